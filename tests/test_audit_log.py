"""The admin's audit log in words: case codes, names, actions and changes in the reader's
language, filtered in SQL by action, person, case and date, exported as CSV (audited)."""

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlmodel import select

from models import AuditEvent, Organisation
from models.base import utcnow
from models.enums import OrgType, Role, Stage
from services.cases import records
from services.platform import audit, audit_log
from services.platform.errors import NotFound, PermissionDenied
from services.platform.i18n import set_language

EVERYTHING = audit_log.LogFilter()


@pytest.fixture
def spanish() -> Iterator[None]:
    set_language("es")
    yield
    set_language("en")


@pytest.fixture
def worked_case(session, users, open_case):
    """AR case: created by officer.ar, assigned to them and moved to screening by the
    coordinator, a note added, referred to an Argentine NGO; a second case left alone."""
    officer, coordinator = users["officer_ar"], users["coordinator"]
    officer.display_name = "Ana Pérez"
    session.add(officer)
    ngo = Organisation(name="Fundación Sur", org_type=OrgType.NGO, country="AR")
    session.add(ngo)
    session.commit()
    case = open_case(
        officer,
        consent_given=True,
        consent_date=date(2026, 3, 2),
        consent_scope=["service_providers"],
    )
    other = open_case(officer, person_alias="B.B.")
    common = {"session": session, "actor": coordinator, "case_code": case.case_code}
    records.assign_case(**common, assignee_id=officer.id, expected_version=1)
    records.move_stage(**common, target=Stage.screening, expected_version=2)
    records.add_note(**common, note="Entrevista hecha", expected_version=3)
    records.refer_case(
        **common,
        organisation_id=ngo.id,
        service="shelter",
        sent_on=date(2026, 3, 3),
        expected_version=4,
    )
    session.commit()
    return case, other


def read(session, users, filters=EVERYTHING, **options):
    return audit_log.read_log(session=session, actor=users["admin"], filters=filters, **options)


def by_action(page, action: audit.AuditAction) -> list[audit_log.LogEntry]:
    return [entry for entry in page.entries if entry.action == action.label]


def test_the_log_names_cases_people_and_changes_in_words(session, users, worked_case):
    case, _other = worked_case
    page = read(session, users, labels=records.FIELD_LABELS)
    (assigned,) = by_action(page, audit.AuditAction.case_assigned)
    assert assigned.record == f"Case {case.case_code}"
    assert assigned.who == "coordinator"
    assert "Assigned to: — → Ana Pérez" in assigned.changes
    (moved,) = by_action(page, audit.AuditAction.case_stage_moved)
    assert "Stage: Identified → Screening" in moved.changes
    (referred,) = by_action(page, audit.AuditAction.case_referral_sent)
    assert referred.record == f"Referral of case {case.case_code} to Fundación Sur"
    (noted,) = by_action(page, audit.AuditAction.case_note_added)
    assert "Entrevista" not in noted.changes, "masked values stay masked"
    for entry in page.entries:
        text = f"{entry.record} {entry.changes}"
        assert "{" not in text and "referral_case" not in text and "_id" not in text, text
        assert "[" not in text and "None" not in text, text
        assert "Version" not in text, "the version counter is bookkeeping"


def test_the_log_reads_in_spanish(session, users, worked_case, spanish):
    case, _other = worked_case
    page = read(session, users, labels=records.FIELD_LABELS)
    (moved,) = [e for e in page.entries if e.action == "Caso movido a otra etapa"]
    assert moved.record == f"Caso {case.case_code}"
    assert "Etapa: Identificado → Evaluación inicial" in moved.changes
    (assigned,) = [e for e in page.entries if "Asignado a" in e.changes]
    assert "Asignado a: — → Ana Pérez" in assigned.changes


def test_the_log_is_newest_first_and_paged(session, users, worked_case, monkeypatch):
    whole = read(session, users)
    assert whole.total == len(whole.entries)
    assert [e.id for e in whole.entries] == sorted((e.id for e in whole.entries), reverse=True)
    monkeypatch.setattr(audit_log, "PAGE_SIZE", 2)
    first, second = read(session, users), read(session, users, page=2)
    assert first.total == second.total == whole.total > 4
    assert [e.id for e in first.entries + second.entries] == [e.id for e in whole.entries[:4]]


def test_filters_by_action_person_and_case(session, users, worked_case):
    case, other = worked_case
    moves = read(session, users, audit_log.LogFilter(actions=("case_stage_moved",)))
    assert moves.total == 1
    by_officer = read(session, users, audit_log.LogFilter(person_id=users["officer_ar"].id))
    assert by_officer.total == 2  # the two cases the officer opened
    assert {e.who for e in by_officer.entries} == {"Ana Pérez"}
    about = read(session, users, audit_log.LogFilter(case_code=f" {case.case_code.lower()} "))
    records_named = {e.record for e in about.entries}
    assert records_named == {
        f"Case {case.case_code}",
        f"Referral of case {case.case_code} to Fundación Sur",
    }
    assert about.total == 5  # created, assigned, moved, note, referral
    assert read(session, users, audit_log.LogFilter(case_code=other.case_code)).total == 1
    with pytest.raises(NotFound):
        read(session, users, audit_log.LogFilter(case_code="AR-1999-9999"))


def test_filters_by_date_range(session, users, worked_case):
    old = session.exec(select(AuditEvent).order_by(AuditEvent.id)).first()
    old.created_at = utcnow() - timedelta(days=40)
    session.add(old)
    session.commit()
    today = utcnow().date()
    recent = read(session, users, audit_log.LogFilter(since=today - timedelta(days=1)))
    assert old.id not in {e.id for e in recent.entries}
    back_then = old.created_at.date()
    only_old = read(session, users, audit_log.LogFilter(since=back_then, until=back_then))
    assert [e.id for e in only_old.entries] == [old.id]
    assert read(session, users, audit_log.LogFilter(until=back_then - timedelta(days=1))).total == 0


def test_export_is_the_filtered_log_as_csv_and_is_audited(session, users, worked_case):
    case, _other = worked_case
    filters = audit_log.LogFilter(case_code=case.case_code)
    data = audit_log.export_log(
        session=session, actor=users["admin"], filters=filters, labels=records.FIELD_LABELS
    )
    session.commit()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["When (UTC)", "Who", "Action", "Record", "Changes"]
    assert len(rows) == 1 + 5
    assert any("Stage: Identified → Screening" in row[4] for row in rows)
    exported = session.exec(
        select(AuditEvent).where(AuditEvent.action == audit.AuditAction.audit_log_exported)
    ).one()
    assert exported.actor_id == users["admin"].id
    assert exported.changes["rows"] == [None, 5]
    assert exported.changes["filters"][1] == {"case_code": case.case_code}
    (entry,) = by_action(read(session, users), audit.AuditAction.audit_log_exported)
    assert entry.changes == f"Rows: — → 5; Filters: — → Case code: {case.case_code}"


def test_export_neutralises_a_name_a_spreadsheet_would_run(session, users, worked_case):
    officer = users["officer_ar"]
    officer.display_name = '=HYPERLINK("http://evil.test","x")'
    session.add(officer)
    session.commit()
    filters = audit_log.LogFilter(person_id=officer.id)
    data = audit_log.export_log(session=session, actor=users["admin"], filters=filters)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
    assert rows and {row[1] for row in rows} == {"'" + officer.display_name}


def test_export_in_batches_keeps_every_row_once(session, users, worked_case, monkeypatch):
    monkeypatch.setattr(audit_log, "EXPORT_BATCH", 2)
    total = read(session, users).total
    data = audit_log.export_log(session=session, actor=users["admin"], filters=EVERYTHING)
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:]
    assert len(lines) == total


@pytest.mark.parametrize("role", ["coordinator", "manager", "officer_ar", "officer_br"])
def test_only_admins_read_or_export_the_log(session, users, worked_case, role):
    actor = users[role]
    assert actor.role != Role.admin
    with pytest.raises(PermissionDenied):
        audit_log.read_log(session=session, actor=actor, filters=EVERYTHING)
    with pytest.raises(PermissionDenied):
        audit_log.export_log(session=session, actor=actor, filters=EVERYTHING)


def test_a_new_case_lists_what_was_filled_in_only(session, users, worked_case):
    case, _other = worked_case
    page = read(
        session, users, audit_log.LogFilter(actions=("case_created",), case_code=case.case_code)
    )
    (created,) = page.entries
    assert "Reporting country: — → Argentina" in created.changes
    assert "Forced-labour industries" not in created.changes, "empty before and after"
    assert "— → —" not in created.changes


def test_the_seed_counts_and_an_unknown_field_read_as_words(session, users):
    event = audit.record(
        session,
        actor=None,
        actor_email="seed_demo",
        action=audit.AuditAction.seed_demo,
        entity="database",
        changes={"referral_case": [None, 60], "some_new_field": [None, True]},
    )
    session.commit()
    (entry,) = read(session, users).entries
    assert entry.id == event.id and entry.who == "Demo data" and entry.record == "Database"
    assert entry.changes == "Cases: — → 60; Some new field: — → Yes"


def _csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_export_is_cut_at_its_maximum_keeping_the_newest_and_the_file_says_so(
    session, users, worked_case
):
    newest = [entry.id for entry in read(session, users).entries]
    assert len(newest) > 3
    data = audit_log.export_log(
        session=session, actor=users["admin"], filters=EVERYTHING, max_rows=3
    )
    session.commit()
    rows = _csv(data)
    assert len(rows) == 1 + 3 + 1
    when = [row[0] for row in rows[1:4]]
    assert when == sorted(when, reverse=True)
    assert rows[-1] == [
        "This file was cut at 3 events, the newest: the log has older ones that match. "
        "Narrow the period (From, To) to export them."
    ]
    exported = session.exec(
        select(AuditEvent).where(AuditEvent.action == audit.AuditAction.audit_log_exported)
    ).one()
    assert exported.changes["rows"] == [None, 3]


def test_an_export_that_fits_exactly_is_not_said_to_be_cut(session, users, worked_case):
    total = read(session, users).total
    data = audit_log.export_log(
        session=session, actor=users["admin"], filters=EVERYTHING, max_rows=total
    )
    rows = _csv(data)
    assert len(rows) == 1 + total
    assert not any("cut" in row[0] for row in rows)
    assert audit_log.export_is_cut(total, max_rows=total) is None


def test_export_follows_the_action_person_and_period_filters(session, users, worked_case):
    def export(filters: audit_log.LogFilter) -> list[list[str]]:
        return _csv(audit_log.export_log(session=session, actor=users["admin"], filters=filters))[
            1:
        ]

    (moved,) = export(audit_log.LogFilter(actions=("case_stage_moved",)))
    assert moved[2] == audit.AuditAction.case_stage_moved.label
    by_officer = export(audit_log.LogFilter(person_id=users["officer_ar"].id))
    assert by_officer and {row[1] for row in by_officer} == {"Ana Pérez"}
    assert export(audit_log.LogFilter(since=utcnow().date() + timedelta(days=1))) == []


def test_the_page_warns_before_a_download_that_would_be_cut(spanish):
    assert audit_log.export_is_cut(3, max_rows=3) is None
    warning = audit_log.export_is_cut(25_000, max_rows=20_000)
    assert warning is not None
    assert "25.000" in warning and "20.000" in warning, "numbers in the reader's language"
    assert "Reduzca el período" in warning
