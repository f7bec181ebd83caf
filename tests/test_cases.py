from datetime import date

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from models import AuditEvent, Case, CaseEvent, CaseUpdate, Organisation, Referral, ReferralUpdate
from models.base import utcnow
from models.enums import CaseEventKind, OrgType, Role, Service, Stage, Urgency
from services.cases import board, intake, presentation
from services.cases import records as cases
from services.platform.audit import MASK
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleVersion
from tests.support import case_form, validate_case_form

YEAR = utcnow().year


def share_with(session: Session, case: Case, country: str) -> Referral:
    """Refer `case` to an organisation in `country`, across the border."""
    organisation = Organisation(
        name=f"Shelter {country}", org_type=OrgType.NGO, country=country, services=["shelter"]
    )
    session.add(organisation)
    session.commit()
    referral = Referral(
        case_id=case.id,
        organisation_id=organisation.id,
        service=Service.shelter,
        sent_on=date(2026, 3, 5),
        cross_border_country=country,
    )
    session.add(referral)
    session.commit()
    return referral


# --- codes and creation -------------------------------------------------------------------


def test_create_case_assigns_sequential_codes_per_country_and_year(session, users, open_case):
    first = open_case(users["officer_ar"])
    second = open_case(users["officer_ar"])
    brazilian = open_case(users["officer_br"], reporting_country="BR")

    assert first.case_code == f"AR-{YEAR}-0001"
    assert second.case_code == f"AR-{YEAR}-0002"
    assert brazilian.case_code == f"BR-{YEAR}-0001"


def test_next_case_code_follows_the_highest_sequence_of_that_country_and_year(session, users):
    for code in ("AR-2025-0041", "AR-2025-9999", "AR-2025-10000", "BR-2025-0500"):
        session.add(
            Case.model_validate(
                case_form(), update={"case_code": code, "reporting_country": code[:2]}
            )
        )
    session.commit()

    assert intake.next_case_code(session=session, country="AR", year=2025) == "AR-2025-10001"
    assert intake.next_case_code(session=session, country="ar", year=2026) == "AR-2026-0001"
    assert intake.next_case_code(session=session, country="BR", year=2025) == "BR-2025-0501"
    with pytest.raises(ValueError):
        intake.next_case_code(session=session, country="A%", year=2025)


def test_create_case_opens_at_identified_and_records_event_and_masked_audit(
    session, users, open_case
):
    officer = users["officer_ar"]
    case = open_case(officer)

    assert case.stage == Stage.identified
    assert case.version == 1
    assert case.reported_by_id == officer.id
    events = session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)).all()
    assert [event.kind for event in events] == [CaseEventKind.created]
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "case_created")).one()
    assert audit.actor_id == officer.id
    assert audit.entity == "referral_case"
    assert audit.entity_id == str(case.id)
    assert audit.changes["person_alias"] == [MASK, MASK]
    assert audit.changes["case_code"] == [None, case.case_code]
    assert "M.G." not in str(audit.changes)


def test_officer_cannot_create_case_for_another_country(session, users, open_case):
    with pytest.raises(PermissionDenied):
        open_case(users["officer_ar"], reporting_country="BR")
    assert session.exec(select(Case)).all() == []


def test_coordinator_and_admin_may_create_cases_for_any_country(session, users, open_case):
    assert open_case(users["coordinator"], reporting_country="PY").case_code.startswith("PY-")
    assert open_case(users["admin"], reporting_country="UY").case_code.startswith("UY-")


def test_manager_and_inactive_accounts_cannot_create_cases(session, users, make_user, open_case):
    with pytest.raises(PermissionDenied):
        open_case(users["manager"])
    retired = make_user("retired@enlace.test", Role.coordinator)
    retired.is_active = False
    session.add(retired)
    session.commit()
    with pytest.raises(PermissionDenied):
        open_case(retired)


def test_create_case_retries_once_when_its_code_was_just_taken(
    session, users, monkeypatch, open_case
):
    taken = open_case(users["officer_ar"])
    real_next_code = intake.next_case_code
    calls: list[str] = []

    def racing_next_code(**kwargs: object) -> str:
        calls.append("call")
        return taken.case_code if len(calls) == 1 else real_next_code(**kwargs)

    monkeypatch.setattr(intake, "next_case_code", racing_next_code)
    case = open_case(users["officer_ar"])

    assert len(calls) == 2
    assert case.case_code == f"AR-{YEAR}-0002"
    assert len(session.exec(select(Case)).all()) == 2


def test_create_case_gives_up_after_the_code_is_taken_twice(session, users, monkeypatch, open_case):
    taken = open_case(users["officer_ar"])
    monkeypatch.setattr(intake, "next_case_code", lambda **kwargs: taken.case_code)

    with pytest.raises(Conflict):
        open_case(users["officer_ar"])
    assert len(session.exec(select(Case)).all()) == 1


def test_minor_is_always_high_urgency(session, users):
    form = case_form(is_minor=True, age_band="9-17", urgency="low")
    assert form.urgency == Urgency.high

    case = intake.create_case(session=session, actor=users["officer_ar"], case_in=form)
    assert case.urgency == Urgency.high


# --- schema validation --------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"reporting_country": "ar", "citizenship": "py"},
        {"is_minor": True, "age_band": "0-8"},
        {"consent_given": True, "consent_date": date(2026, 3, 2)},
        {
            "consent_given": True,
            "consent_date": date(2026, 3, 2),
            "consent_scope": ["service_providers"],
        },
    ],
)
def test_referral_case_create_accepts_valid_forms(overrides):
    form = case_form(**overrides)
    assert form.reporting_country == "AR"


@pytest.mark.parametrize(
    "overrides",
    [
        {"reporting_country": "XX"},
        {"reporting_country": "Argentina"},
        {"citizenship": "ZZ"},
        {"age_band": "9-17", "is_minor": False},
        {"consent_given": False, "consent_date": date(2026, 3, 2)},
        {"consent_given": False, "consent_scope": ["origin_authorities"]},
        {"consent_given": True},
        {"person_alias": "   "},
        {"situation": "kidnapping"},
        {"exploitation_types": ["NotAType"]},
    ],
)
def test_referral_case_create_rejects_invalid_forms(overrides):
    with pytest.raises(ValidationError):
        case_form(**overrides)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"situation": "migrant_smuggling", "citizenship": "bo"},
        {"age_band": "9-17", "is_minor": True, "urgency": "high"},
        {"consent_given": True, "consent_date": date(2026, 4, 1)},
    ],
)
def test_referral_case_update_accepts_valid_edits(data):
    assert set(CaseUpdate.model_validate(data).model_dump(exclude_unset=True)) == set(data)


@pytest.mark.parametrize(
    "data",
    [
        {"citizenship": "XX"},
        {"age_band": "0-8", "is_minor": False},
        {"is_minor": True, "urgency": "low"},
        {"consent_given": False, "consent_date": date(2026, 4, 1)},
        {"consent_given": True},
        {"person_alias": ""},
    ],
)
def test_referral_case_update_rejects_invalid_edits(data):
    with pytest.raises(ValidationError):
        CaseUpdate.model_validate(data)


@pytest.mark.parametrize(
    "data",
    [
        {"state": "accepted"},
        {"state": "declined", "decline_reason": "No places left this month"},
        {"state": "completed"},
    ],
)
def test_case_referral_update_accepts_valid_answers(data):
    ReferralUpdate.model_validate(data)


@pytest.mark.parametrize(
    "data",
    [
        {"state": "declined"},
        {"state": "declined", "decline_reason": "   "},
        {"state": "lost"},
    ],
)
def test_case_referral_update_rejects_declined_without_reason_and_unknown_states(data):
    with pytest.raises(ValidationError):
        ReferralUpdate.model_validate(data)


def test_validation_messages_name_the_form_field():
    with pytest.raises(ValidationError) as raised:
        case_form(reporting_country="XX", consent_given=True)
    messages = presentation.validation_messages(raised.value)
    assert any(message.startswith("Reporting country: ") for message in messages)


# --- scoping ------------------------------------------------------------------------------


def test_officer_cannot_see_other_country_cases(session, users, open_case, add_note):
    brazilian = open_case(users["officer_br"], reporting_country="BR")
    officer_ar = users["officer_ar"]

    assert board.list_cases(session=session, actor=officer_ar) == []
    assert sum(board.board_counts(session=session, actor=officer_ar).values()) == 0
    with pytest.raises(NotFound):
        board.get_case(session=session, actor=officer_ar, case_code=brazilian.case_code)
    with pytest.raises(NotFound):
        add_note(officer_ar, brazilian, "hello")


def test_not_found_is_the_same_for_missing_and_hidden_cases(session, users, open_case):
    brazilian = open_case(users["officer_br"], reporting_country="BR")
    with pytest.raises(NotFound) as hidden:
        board.get_case(session=session, actor=users["officer_ar"], case_code=brazilian.case_code)
    with pytest.raises(NotFound) as missing:
        board.get_case(session=session, actor=users["officer_ar"], case_code="BR-2026-9999")
    assert type(hidden.value) is type(missing.value)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "case_read")).all() == []


def test_officer_sees_and_comments_on_cases_shared_across_the_border(
    session, users, open_case, make_user, add_note
):
    brazilian = open_case(users["officer_br"], reporting_country="BR")
    share_with(session, brazilian, "AR")
    officer_ar = users["officer_ar"]

    listed = board.list_cases(session=session, actor=officer_ar)
    assert [card.case_code for card in listed] == [brazilian.case_code]
    detail = board.get_case(session=session, actor=officer_ar, case_code=brazilian.case_code)
    assert detail.case.id == brazilian.id
    add_note(officer_ar, brazilian, "Shelter in Buenos Aires confirmed a place.")
    # A case shared with another country stays hidden.
    chilean = make_user("officer.cl@enlace.test", Role.officer, "CL")
    assert board.list_cases(session=session, actor=chilean) == []


def test_coordinator_and_admin_see_every_country(session, users, open_case):
    open_case(users["officer_ar"])
    open_case(users["officer_br"], reporting_country="BR")
    for role in ("coordinator", "admin"):
        assert len(board.list_cases(session=session, actor=users[role])) == 2


def test_manager_cannot_read_case_rows(session, users, open_case, add_note):
    case = open_case(users["officer_ar"])
    manager = users["manager"]
    with pytest.raises(PermissionDenied):
        board.list_cases(session=session, actor=manager)
    with pytest.raises(PermissionDenied):
        board.board_counts(session=session, actor=manager)
    with pytest.raises(PermissionDenied):
        board.get_case(session=session, actor=manager, case_code=case.case_code)
    with pytest.raises(PermissionDenied):
        add_note(manager, case, "hello")


# --- reading one case ---------------------------------------------------------------------


def test_get_case_writes_a_case_read_audit_event(session, users, open_case):
    case = open_case(users["officer_ar"])
    coordinator = users["coordinator"]

    board.get_case(session=session, actor=coordinator, case_code=case.case_code)

    reads = session.exec(select(AuditEvent).where(AuditEvent.action == "case_read")).all()
    assert [(read.actor_id, read.entity, read.entity_id) for read in reads] == [
        (coordinator.id, "referral_case", str(case.id))
    ]


def test_get_case_returns_referrals_with_organisation_and_timeline_oldest_first(
    session, users, open_case, add_note
):
    case = open_case(users["officer_ar"])
    share_with(session, case, "BR")
    add_note(users["officer_ar"], case, "First contact at the consulate.")

    detail = board.get_case(session=session, actor=users["officer_ar"], case_code=case.case_code)

    assert [(r.organisation_name, r.organisation_country) for r in detail.referrals] == [
        ("Shelter BR", "BR")
    ]
    assert [event.kind for event in detail.events] == ["created", "note"]
    assert detail.events[1].note == "First contact at the consulate."
    assert detail.events[1].author == users["officer_ar"].display_name
    assert detail.case.version == 2


# --- notes and optimistic locking ---------------------------------------------------------


def test_second_note_on_the_same_version_is_refused_as_stale(session, users, open_case, add_note):
    case = open_case(users["officer_ar"])
    officer = users["officer_ar"]
    add_note(officer, case, "one")
    session.commit()  # the first click's unit of work

    with pytest.raises(StaleVersion):
        add_note(officer, case, "two")

    notes = session.exec(select(CaseEvent.note).where(CaseEvent.kind == CaseEventKind.note)).all()
    assert notes == ["one"]
    version = session.exec(select(Case.version).where(Case.id == case.id)).one()
    assert version == 2


def test_add_note_bumps_version_and_audits_without_the_note_text(
    session, users, open_case, add_note
):
    case = open_case(users["officer_ar"])
    add_note(users["coordinator"], case, "  Sensitive detail  ")

    event = session.exec(select(CaseEvent).where(CaseEvent.kind == CaseEventKind.note)).one()
    assert event.note == "Sensitive detail"
    assert event.author_id == users["coordinator"].id
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "case_note_added")).one()
    assert audit.changes == {"note": [MASK, MASK], "version": [1, 2]}


def test_add_note_refuses_an_empty_note(session, users, open_case, add_note):
    case = open_case(users["officer_ar"])
    with pytest.raises(ValueError):
        add_note(users["officer_ar"], case, "   ")


# --- organisations ------------------------------------------------------------------------


def test_list_organisations_filters_by_country_and_service_for_any_role(session, users):
    session.add_all(
        [
            Organisation(
                name="Casa Refugio", org_type=OrgType.NGO, country="AR", services=["shelter"]
            ),
            Organisation(
                name="Retorno Seguro",
                org_type=OrgType.InternationalOrganisation,
                country="AR",
                services=["return", "reintegration"],
            ),
            Organisation(
                name="Closed NGO",
                org_type=OrgType.NGO,
                country="AR",
                services=["return"],
                is_active=False,
            ),
            Organisation(
                name="Abrigo", org_type=OrgType.NGO, country="BR", services=["shelter", "health"]
            ),
        ]
    )
    session.commit()

    def names(**filters: str) -> list[str]:
        found = board.list_organisations(session=session, actor=users["manager"], **filters)
        return [organisation.name for organisation in found]

    assert names() == ["Casa Refugio", "Retorno Seguro", "Abrigo"]
    assert names(country="AR") == ["Casa Refugio", "Retorno Seguro"]
    assert names(service="return") == ["Retorno Seguro"]
    assert names(service="shelter", country="BR") == ["Abrigo"]
    assert names(service="legal") == []


# --- plain data for the pages -------------------------------------------------------------


def test_case_summary_and_cards_show_labels_but_never_the_alias(session, users, open_case):
    case = open_case(users["officer_ar"], citizenship="PY", needs=["shelter", "legal"])
    detail = board.get_case(session=session, actor=users["officer_ar"], case_code=case.case_code)

    summary = dict(presentation.case_summary(detail.case).itertuples(index=False, name=None))
    card = "\n".join(
        presentation.card_lines(board.list_cases(session=session, actor=users["officer_ar"])[0])
    )

    assert summary["Stage"] == "Identified"
    assert summary["Citizenship"] == "Paraguay (PY)"
    assert summary["Needs"] == "Shelter, Legal assistance"
    assert summary["Consent given"] == "No"
    assert card.splitlines()[0].startswith(case.case_code + " · ")
    assert card.splitlines()[1].startswith("Human trafficking · ")
    assert "M.G." not in summary.values()
    assert "M.G." not in card


# --- no lost updates ----------------------------------------------------------------------


def test_two_concurrent_edits_exactly_one_wins_the_other_is_stale(session, users, db, open_case):
    case = open_case(users["officer_ar"])
    with (
        Session(db, expire_on_commit=False) as first,
        Session(db, expire_on_commit=False) as second,
    ):
        # Both editors opened the case at version 1.
        # Each page run is its own unit of work (reading a case audits the read).
        seen_first = board.get_case(
            session=first, actor=users["officer_ar"], case_code=case.case_code
        )
        first.commit()
        seen_second = board.get_case(
            session=second, actor=users["coordinator"], case_code=case.case_code
        )
        second.commit()
        before = presentation.case_snapshot(seen_second.case)

        def save(editor: Session, role: str, change: CaseUpdate, seen_version: int) -> None:
            cases.update_assessment(
                session=editor,
                actor=users[role],
                case_code=case.case_code,
                case_in=change,
                expected_version=seen_version,
            )

        save(first, "officer_ar", CaseUpdate(urgency="high"), seen_first.case.version)
        first.commit()
        with pytest.raises(StaleVersion):
            save(
                second,
                "coordinator",
                CaseUpdate(situation="migrant_smuggling"),
                seen_second.case.version,
            )
        current = board.get_case(
            session=second, actor=users["coordinator"], case_code=case.case_code
        )

    session.refresh(case)
    assert (case.version, case.urgency, case.situation) == (2, Urgency.high, "trafficking")
    changes = presentation.what_changed(before, current.case)
    assert [(c.field, c.old, c.new) for c in changes] == [("urgency", "Medium", "High")]


@pytest.mark.parametrize("operation", ["assign", "move", "refer", "return", "note"])
def test_every_save_checks_the_version(session, users, operation, move_case, open_case):
    case = open_case(
        users["officer_ar"],
        consent_given=True,
        consent_date=date(2026, 3, 2),
        consent_scope=["service_providers"],
    )
    organisation = Organisation(
        name="Casa", org_type=OrgType.NGO, country="AR", services=["shelter"]
    )
    session.add(organisation)
    session.commit()
    if operation == "return":
        move_case(case, Stage.return_reintegration)
    stale = {"session": session, "actor": users["coordinator"], "case_code": case.case_code}
    # Someone else saved first: the case is now at version 2.
    cases.add_note(**stale, note="first", expected_version=1)
    session.commit()
    with pytest.raises(StaleVersion):
        if operation == "assign":
            cases.assign_case(**stale, assignee_id=users["coordinator"].id, expected_version=1)
        elif operation == "move":
            cases.move_stage(**stale, target="screening", expected_version=1)
        elif operation == "refer":
            cases.refer_case(
                **stale,
                organisation_id=organisation.id,
                service="shelter",
                sent_on=date(2026, 3, 3),
                expected_version=1,
            )
        elif operation == "return":
            plan = cases.ReturnPlan(counterpart="Consulado de Bolivia")
            cases.record_return(**stale, plan=plan, expected_version=1)
        else:
            cases.add_note(**stale, note="second", expected_version=1)
    session.refresh(case)
    assert case.version == 2
    assert session.exec(select(Referral)).all() == []


def test_edit_is_checked_as_a_whole_case_and_audited_old_to_new(session, users, open_case):
    case = open_case(users["officer_ar"])
    officer = users["officer_ar"]

    with pytest.raises(ValidationError):
        cases.update_assessment(
            session=session,
            actor=officer,
            case_code=case.case_code,
            case_in=CaseUpdate(age_band="9-17"),  # a minor's band, not ticked
            expected_version=1,
        )
    updated = cases.update_assessment(
        session=session,
        actor=officer,
        case_code=case.case_code,
        case_in=CaseUpdate(age_band="9-17", is_minor=True, person_alias="R.T."),
        expected_version=1,
    )

    assert (updated.version, updated.urgency, updated.is_minor) == (2, Urgency.high, True)
    audit = session.exec(
        select(AuditEvent).where(AuditEvent.action == "case_assessment_updated")
    ).one()
    assert audit.changes["age_band"] == ["24-26", "9-17"]
    assert audit.changes["urgency"] == ["medium", "high"]
    assert audit.changes["person_alias"] == [MASK, MASK]
    assert audit.changes["version"] == [1, 2]


def test_a_full_name_is_refused_as_alias(session, users, open_case):
    with pytest.raises(Conflict):
        open_case(users["officer_ar"], person_alias="Maria Gonzalez")
    _, errors = validate_case_form(person_alias="Maria Gonzalez")
    assert set(errors) == {"person_alias"}
    _, errors = validate_case_form(person_alias="M.G.")
    assert errors == {}


def test_form_errors_sit_next_to_their_fields():
    case_in, errors = validate_case_form(person_alias="", age_band="9-17", citizenship="ZZ")
    assert case_in is None
    assert set(errors) == {"person_alias", "citizenship"}

    _, errors = validate_case_form(age_band="9-17")
    assert set(errors) == {"is_minor"}
    _, errors = validate_case_form(consent_given=True)
    assert set(errors) == {"consent_date"}


# --- notes are plain text ---------------------------------------------------------------


def test_a_note_with_script_and_markdown_is_stored_and_returned_verbatim(
    session, users, open_case, add_note
):
    case = open_case(users["officer_ar"])
    text = "<script>alert('x')</script> **bold** [link](http://evil.test) # heading"
    add_note(users["officer_ar"], case, text)
    detail = board.get_case(session=session, actor=users["officer_ar"], case_code=case.case_code)
    assert detail.events[-1].note == text
