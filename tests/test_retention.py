"""Retention and erasure: closed cases lose the person's data after the retention period, an
admin erases one case on request; statistics stay, the audit log says what was done."""

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import AuditEvent, Case, CaseEvent, Referral, UserAccount
from models.base import utcnow
from models.enums import OrgType, ReferralState, Service, Stage
from services.cases import records as cases
from services.cases import retention
from services.platform.audit import MASK
from services.platform.errors import Conflict, NotFound, PermissionDenied
from services.platform.personal_data import PersonalDataFound
from services.reporting import report_catalog
from services.reporting.report_parts import ReportFilters
from tests.support import ACCOUNTS

ENLACE = str(Path(sys.executable).parent / "enlace")
LONG_AGO = datetime(2019, 5, 17, 10, 30, tzinfo=UTC)


def close(session: Session, case: Case, when: datetime) -> None:
    """Close `case` at `when` with a reason (test set-up, bypassing the workflow)."""
    case.stage = Stage.closed
    case.closure_reason = "Returned to the country of origin."
    case.stage_changed_at = when
    session.add(case)
    session.commit()


def table_rows(session: Session) -> dict[str, list]:
    """Every row of the tables a retention run may touch, as plain tuples."""
    return {
        table: sorted(map(tuple, session.execute(sa.text(f"SELECT * FROM {table}")).all()))
        for table in ("referral_case", "case_event", "case_referral", "audit_event")
    }


def every_report(session: Session, manager) -> dict[str, list]:
    every = report_catalog.build_reports(session=session, actor=manager, filters=ReportFilters())
    # Counts only: the time statistics leave anonymised cases out (dates kept to the month).
    return {
        part.name: part.table.drop(columns=TIMES, errors="ignore").to_dict("records")
        for name, parts in every.items()
        if name != "times"
        for part in parts
        if part.name != "answer_times"
    }


# The training report's one time statistic (anonymised cases left out of it, as above).
TIMES = ["Median days from identification to referral"]


@pytest.fixture
def old_closed_case(session, users, open_case, add_note) -> Case:
    """A case closed in 2019 with free text everywhere: a note, a declined referral, a return."""
    case = open_case(
        users["officer_ar"],
        person_alias="Q.Z.",
        identified_place="Textile workshop",
        primary_language="Spanish",
        identified_on=date(2019, 3, 14),
        consent_given=True,
        consent_date=date(2019, 3, 15),
        consent_scope=["service_providers"],
    )
    add_note(users["officer_ar"], case, "First interview at the consulate.")
    organisation = cases.Organisation(name="Shelter", org_type=OrgType.NGO, country="AR")
    session.add(organisation)
    session.commit()
    referral = cases.refer_case(
        session=session,
        actor=users["officer_ar"],
        case_code=case.case_code,
        organisation_id=organisation.id,
        service=Service.shelter,
        sent_on=date(2019, 3, 20),
        expected_version=2,
    )
    cases.answer_referral(
        session=session,
        actor=users["officer_ar"],
        case_code=case.case_code,
        referral_id=referral.id,
        answer=cases.ReferralUpdate(
            state=ReferralState.declined, decline_reason="No places this month."
        ),
        expected_version=3,
    )
    session.refresh(case)
    close(session, case, LONG_AGO)
    return case


# --- retention ------------------------------------------------------------------------------


def test_a_dry_run_counts_and_writes_nothing(session, users, old_closed_case):
    before = table_rows(session)

    report = retention.apply_retention(session=session, actor=users["admin"], dry_run=True)

    assert report.dry_run and report.eligible == 1 and report.years == 5
    # The note, and the decline reason the timeline keeps with the answer.
    assert report.done.notes_removed == 2 and report.done.referral_reasons_removed == 1
    assert report.done.fields_cleared >= 4  # alias, place, language, closure reason
    session.rollback()
    assert table_rows(session) == before


def test_a_run_anonymises_only_cases_closed_longer_ago_than_the_retention_period(
    session, users, old_closed_case, open_case
):
    officer = users["officer_ar"]
    recently_closed = open_case(officer, person_alias="R.C.")
    close(session, recently_closed, utcnow() - timedelta(days=300))
    old_but_open = open_case(officer, person_alias="O.O.")
    old_but_open.stage_changed_at = LONG_AGO
    session.add(old_but_open)
    session.commit()

    report = retention.apply_retention(session=session, actor=users["admin"])

    assert (report.eligible, report.done.cases) == (1, 1)
    session.commit()  # a new transaction: see what other connections wrote
    session.expire_all()
    case = session.get(Case, old_closed_case.id)
    assert case.anonymised_at is not None
    assert (case.person_alias, case.identified_place, case.primary_language) == ("ANON", "", "")
    assert case.closure_reason is None
    assert case.identified_on == date(2019, 3, 1) and case.consent_date == date(2019, 3, 1)
    assert case.stage_changed_at == datetime(2019, 5, 1, tzinfo=UTC)
    assert (case.stage, case.situation, case.age_band) == (
        old_closed_case.stage,
        old_closed_case.situation,
        old_closed_case.age_band,
    )
    notes = session.exec(select(CaseEvent.note).where(CaseEvent.case_id == case.id)).all()
    assert set(notes) == {""}
    referral = session.exec(select(Referral).where(Referral.case_id == case.id)).one()
    assert referral.decline_reason is None and referral.sent_on == date(2019, 3, 1)
    for untouched in (recently_closed, old_but_open):
        assert session.get(Case, untouched.id).anonymised_at is None
    assert session.get(Case, recently_closed.id).person_alias == "R.C."
    # A second run has nothing left to do.
    assert retention.apply_retention(session=session, actor=users["admin"]).eligible == 0


def test_the_audit_log_records_the_run_and_keeps_no_earlier_date_or_text(
    session, users, old_closed_case
):
    retention.apply_retention(session=session, actor=users["admin"])

    rows = session.exec(select(AuditEvent)).all()
    actions = [row.action for row in rows]
    assert "case_anonymised" in actions and "retention_applied" in actions
    logged = json.dumps([row.changes for row in rows])
    for text in ("2019-03-14", "2019-03-15", "2019-03-20", "Q.Z.", "Textile", "No places"):
        assert text not in logged
    created = next(row for row in rows if row.action == "case_created")
    assert created.changes["identified_on"] == [None, MASK]
    assert created.changes["age_band"] == [None, "24-26"]  # coded statistics stay


def test_report_totals_are_the_same_before_and_after_on_the_demo_data(demo_db):
    admin, manager = (
        demo_db.exec(select(UserAccount).where(UserAccount.email == ACCOUNTS[role])).one()
        for role in ("admin", "manager")
    )
    closed = demo_db.exec(select(Case).where(Case.stage == Stage.closed)).all()
    assert len(closed) >= 4
    for case in closed[::2]:
        case.stage_changed_at = LONG_AGO
        demo_db.add(case)
    demo_db.commit()
    before = every_report(demo_db, manager)
    seen: list[tuple[int, int]] = []

    report = retention.apply_retention(
        session=demo_db,
        actor=admin,
        progress=lambda done, total: seen.append((done, total)),
        batch_size=2,
    )

    assert report.done.cases == len(closed[::2]) and seen[-1] == (report.eligible,) * 2
    assert every_report(demo_db, manager) == before


def test_the_retention_period_comes_from_the_setting(session, users, monkeypatch, open_case):
    case = open_case(users["officer_ar"])
    close(session, case, utcnow() - timedelta(days=800))
    assert (
        retention.apply_retention(session=session, actor=users["admin"], dry_run=True).eligible == 0
    )

    monkeypatch.setenv("ENLACE_RETENTION_YEARS", "2")
    retention.get_settings.cache_clear()

    report = retention.apply_retention(session=session, actor=users["admin"], dry_run=True)
    assert (report.years, report.eligible) == (2, 1)


@pytest.mark.parametrize("role", ["coordinator", "manager", "officer_ar"])
def test_only_an_admin_applies_retention(session, users, role):
    with pytest.raises(PermissionDenied):
        retention.apply_retention(session=session, actor=users[role], dry_run=True)


# --- erasure on request ---------------------------------------------------------------------


def test_an_admin_erases_an_open_case_on_request_and_it_is_audited_with_the_reason_masked(
    session, users, open_case, add_note
):
    case = open_case(users["officer_ar"], person_alias="E.R.")
    add_note(users["officer_ar"], case, "Met at the bus terminal.")

    erased = retention.erase_case(
        session=session,
        actor=users["admin"],
        case_code=case.case_code.lower(),
        reason="Request of the person, received at the consulate",
    )

    assert erased.case_code == case.case_code and erased.done.notes_removed == 1
    session.commit()  # a new transaction: see what other connections wrote
    session.expire_all()
    stored = session.get(Case, case.id)
    assert stored.person_alias == "ANON" and stored.anonymised_at is not None
    assert stored.stage == Stage.identified and stored.version == 3
    row = session.exec(select(AuditEvent).where(AuditEvent.action == "case_erased")).one()
    assert row.actor_email == users["admin"].email
    assert row.changes["reason"] == [MASK, MASK]
    assert "Request of the person" not in json.dumps(row.changes)
    with pytest.raises(Conflict):
        retention.erase_case(
            session=session, actor=users["admin"], case_code=case.case_code, reason="Again"
        )


@pytest.mark.parametrize("role", ["coordinator", "manager", "officer_ar"])
def test_erasure_by_anyone_but_an_admin_is_refused(session, users, role, open_case):
    case = open_case(users["officer_ar"])
    with pytest.raises(PermissionDenied):
        retention.erase_case(
            session=session, actor=users[role], case_code=case.case_code, reason="Request"
        )
    assert session.get(Case, case.id).anonymised_at is None


def test_erasure_needs_a_reason_without_personal_data_and_an_existing_case(
    session, users, open_case
):
    case = open_case(users["officer_ar"])
    admin = users["admin"]
    with pytest.raises(Conflict, match="reason"):
        retention.erase_case(session=session, actor=admin, case_code=case.case_code, reason=" ")
    with pytest.raises(PersonalDataFound) as refused:
        retention.erase_case(
            session=session,
            actor=admin,
            case_code=case.case_code,
            reason="Asked by her sister Rosa Mamani, +591 71234567",
        )
    assert "Reason for the erasure: looks like a person's name" in str(refused.value)
    with pytest.raises(NotFound):
        retention.erase_case(session=session, actor=admin, case_code="AR-1999-0001", reason="x")
    assert session.get(Case, case.id).anonymised_at is None
    assert not session.exec(select(AuditEvent).where(AuditEvent.action == "case_erased")).all()


def test_the_admin_page_erases_a_case_after_the_confirmation(demo_db, app_as):
    code = demo_db.exec(select(Case.case_code).order_by(Case.id)).first()
    at = app_as(ACCOUNTS["admin"]).run().switch_page("pages/admin.py").run()
    at.text_input(key="erase_code").input(code)
    at.text_area(key="erase_reason").input("Request of the person, by e-mail to the consulate")
    at.button(key="erase_submit").click().run()
    assert any("confirmation" in error.value for error in at.error)
    assert at.text_area(key="erase_reason").value.startswith("Request of the person")

    at.checkbox(key="erase_confirm").check()
    at.button(key="erase_submit").click().run()

    assert not at.exception and not at.error
    assert any(code in message.value for message in at.success)
    demo_db.commit()  # a new transaction: see what other connections wrote
    demo_db.expire_all()
    case = demo_db.exec(select(Case).where(Case.case_code == code)).one()
    assert case.anonymised_at is not None and case.person_alias == "ANON"


# --- the command line -----------------------------------------------------------------------


def enlace(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENLACE_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([ENLACE, *args], env=env, capture_output=True, text=True, timeout=180)


def test_the_command_line_says_what_a_dry_run_and_a_run_did(
    db, database_url, session, users, open_case
):
    case = open_case(users["officer_ar"])
    close(session, case, LONG_AGO)
    other = open_case(users["officer_ar"])

    dry = enlace("retention", "apply", "--dry-run", url=database_url)
    assert dry.returncode == 0, dry.stderr
    assert "Dry run, nothing written: 1 closed case was closed" in dry.stdout
    session.commit()  # a new transaction: see what other connections wrote
    session.expire_all()
    assert session.get(Case, case.id).anonymised_at is None

    done = enlace("retention", "apply", url=database_url)
    assert done.returncode == 0, done.stderr
    assert "Anonymised 1 closed case closed" in done.stdout

    refused = enlace(
        "retention", "erase", other.case_code, "--reason", "Juan Pérez", url=database_url
    )
    assert refused.returncode == 1 and "looks like a person's name" in refused.stderr
    erased = enlace(
        "retention", "erase", other.case_code, "--reason", "Request of the person", url=database_url
    )
    assert erased.returncode == 0, erased.stderr
    assert f"Personal data of case {other.case_code} erased" in erased.stdout
    session.commit()  # a new transaction: see what other connections wrote
    session.expire_all()
    assert session.get(Case, other.id).person_alias == "ANON"


def test_the_board_says_when_a_case_was_anonymised(demo_db, app_as):
    admin = demo_db.exec(select(UserAccount).where(UserAccount.email == ACCOUNTS["admin"])).one()
    code = demo_db.exec(select(Case.case_code).order_by(Case.id)).first()
    retention.erase_case(session=demo_db, actor=admin, case_code=code, reason="Request")
    demo_db.commit()

    at = app_as(ACCOUNTS["coordinator"]).run().switch_page("pages/board.py").run()
    at.query_params["case"] = code
    at.run()

    assert not at.exception
    assert any("personal data was removed" in info.value for info in at.info)
    assert "Alias or initials: ANON" in [text.value for text in at.text]
