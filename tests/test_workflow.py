"""The case workflow as a table: (stage, action, role, consent) → allowed or refused.

Each row opens an Argentine case (with or without the person's consent), puts it in `stage`
and has `role` try `action` through the services. From `referred` on (and when closed) the
case has a pending referral to a Brazilian shelter, so `officer_br` is then the officer of a
country the case was shared with (read and comment only); before that Brazil cannot see it.
"""

from datetime import date

import pytest
from sqlmodel import Session, select

from models import (
    AuditEvent,
    Case,
    CaseEvent,
    CaseUpdate,
    Organisation,
    Referral,
    ReferralUpdate,
    UserAccount,
)
from models.enums import OrgType, ReferralState, Service, Stage
from services.cases import board, workflow
from services.cases import records as cases
from services.platform.errors import Conflict, NotFound, PermissionDenied

OK, REFUSED, CONFLICT, NOT_FOUND = "ok", "refused", "conflict", "not found"
REASON = "Imminent danger: the person needs a shelter tonight."

# (stage, action, role, consent) → outcome
RULES = [
    # reading and commenting
    ("identified", "read", "officer_ar", False, OK),
    ("referred", "read", "officer_br", True, OK),
    ("identified", "read", "officer_br", True, NOT_FOUND),  # not shared with Brazil
    ("identified", "read", "manager", True, REFUSED),
    ("referred", "comment", "officer_br", True, OK),
    ("referred", "comment", "manager", True, REFUSED),
    # editing and assigning: not for the country it was shared with
    ("screening", "edit", "officer_ar", False, OK),
    ("referred", "edit", "officer_br", True, REFUSED),
    ("screening", "edit", "admin", False, OK),
    ("screening", "assign", "officer_ar", False, OK),
    ("referred", "assign", "officer_br", True, REFUSED),
    ("screening", "assign", "coordinator", False, OK),
    # moving forward
    ("identified", "move:screening", "officer_ar", False, OK),
    ("screening", "move:referred", "coordinator", True, CONFLICT),  # no referral yet
    ("screening", "refer+move:referred", "officer_ar", True, OK),
    ("screening", "refer+move:referred", "coordinator", True, OK),
    ("referred", "move:assistance", "officer_br", True, REFUSED),
    ("referred", "move:assistance", "admin", True, OK),
    ("assistance", "move:return_reintegration", "officer_ar", True, OK),
    ("identified", "move:closed", "officer_ar", False, CONFLICT),  # no closure reason
    ("identified", "move:closed+reason", "officer_ar", False, OK),
    ("referred", "move:closed+reason", "coordinator", True, OK),
    # moving back needs a note
    ("assistance", "move:screening", "coordinator", True, CONFLICT),
    ("assistance", "move:screening+note", "coordinator", True, OK),
    ("closed", "move:assistance+note", "officer_ar", True, OK),
    ("closed", "move:screening+note", "officer_ar", True, OK),
    # referrals need consent, or a coordinator's override with a written reason
    ("screening", "refer", "officer_ar", True, OK),
    ("screening", "refer", "officer_ar", False, CONFLICT),
    ("screening", "refer", "coordinator", False, CONFLICT),
    ("screening", "refer+override", "coordinator", False, OK),
    ("screening", "refer+override", "officer_ar", False, REFUSED),
    ("screening", "refer+override", "admin", False, REFUSED),
    ("screening", "refer+empty_override", "coordinator", False, CONFLICT),
    ("referred", "refer", "officer_br", True, REFUSED),
    ("closed", "refer", "coordinator", True, CONFLICT),
    # answering referrals
    ("referred", "accept", "officer_ar", True, OK),
    # the receiving country answers for its organisation (no partner account of its own)
    ("referred", "accept", "officer_br", True, OK),
    ("referred", "decline+reason", "officer_br", True, OK),
    ("referred", "decline+reason", "coordinator", True, OK),
    ("referred", "complete", "coordinator", True, CONFLICT),  # pending → completed skips
    ("referred", "withdraw", "officer_ar", True, OK),
    # the return stage
    ("return_reintegration", "return", "officer_ar", True, OK),
    ("assistance", "return", "coordinator", True, CONFLICT),
    ("return_reintegration", "return", "officer_br", True, OK),
]


@pytest.fixture
def organisations(session: Session) -> dict[str, Organisation]:
    """A shelter in Argentina and one in Brazil (across the border)."""
    found = {
        "AR": Organisation(
            name="Refugio AR", org_type=OrgType.NGO, country="AR", services=["shelter"]
        ),
        "BR": Organisation(
            name="Abrigo BR", org_type=OrgType.NGO, country="BR", services=["shelter"]
        ),
    }
    session.add_all(found.values())
    session.commit()
    return found


def _consent(given: bool) -> dict[str, object]:
    if not given:
        return {"consent_given": False}
    return {
        "consent_given": True,
        "consent_date": date(2026, 3, 2),
        "consent_scope": ["service_providers", "origin_authorities"],
    }


@pytest.fixture
def case_in_stage(session, users, organisations, open_case, move_case):
    """`case_in_stage(stage, consent)`: an Argentine case put in `stage`, with or without
    consent; a stage past screening has a pending referral to Brazil."""

    def make(stage: Stage, consent: bool):
        case = open_case(users["officer_ar"], **_consent(consent))
        if stage in workflow.NEEDS_REFERRAL or stage == Stage.closed:
            # Set-up, not under test: a pending cross-border referral shares the case with Brazil.
            session.add(
                Referral(
                    case_id=case.id,
                    organisation_id=organisations["BR"].id,
                    service=Service.shelter,
                    sent_on=date(2026, 3, 5),
                    cross_border_country="BR",
                )
            )
            session.commit()
        move_case(case, stage)
        if stage == Stage.closed:
            case.closure_reason = "Assisted and returned home."
            session.add(case)
            session.commit()
        session.refresh(case)
        return case

    return make


def _do(session, actor: UserAccount, case: Case, action: str, organisations) -> None:
    code, version = case.case_code, case.version
    common = {"session": session, "actor": actor, "case_code": code}

    def refer(override: str | None = None) -> None:
        cases.refer_case(
            **common,
            organisation_id=organisations["AR"].id,
            service="shelter",
            sent_on=date(2026, 3, 6),
            expected_version=version,
            override_reason=override,
        )

    def answer(state: str, reason: str | None = None) -> None:
        referral = session.exec(select(Referral).where(Referral.case_id == case.id)).one()
        cases.answer_referral(
            **common,
            referral_id=referral.id,
            answer=ReferralUpdate(state=state, decline_reason=reason),
            expected_version=version,
        )

    if action == "read":
        board.get_case(**common)
    elif action == "comment":
        cases.add_note(**common, note="Called the shelter.", expected_version=version)
    elif action == "edit":
        cases.update_assessment(
            **common,
            case_in=CaseUpdate(situation="labour_rights_violation"),
            expected_version=version,
        )
    elif action == "assign":
        cases.assign_case(**common, assignee_id=actor.id, expected_version=version)
    elif action == "refer":
        refer()
    elif action == "refer+override":
        refer(REASON)
    elif action == "refer+empty_override":
        refer("   ")
    elif action.startswith("refer+move:"):
        refer()
        cases.move_stage(**common, target=action.split(":")[1], expected_version=version + 1)
    elif action.startswith("move:"):
        target, _, extra = action.split(":")[1].partition("+")
        cases.move_stage(
            **common,
            target=target,
            expected_version=version,
            note="Back for a new interview." if extra == "note" else "",
            closure_reason="Not a victim; labour claim filed." if extra == "reason" else None,
        )
    elif action == "accept":
        answer("accepted")
    elif action == "decline+reason":
        answer("declined", "No places left this month")
    elif action == "complete":
        answer("completed")
    elif action == "withdraw":
        answer("withdrawn")
    elif action == "return":
        cases.record_return(
            **common,
            plan=cases.ReturnPlan(
                counterpart="Dirección de Migraciones, La Paz",
                travel_date=date(2026, 5, 2),
                reception="Met at El Alto airport by the IOM office.",
            ),
            expected_version=version,
        )
    else:
        raise AssertionError(f"unknown action {action}")


@pytest.mark.parametrize(("stage", "action", "role", "consent", "outcome"), RULES)
def test_workflow_rule(
    session, users, organisations, stage, action, role, consent, outcome, case_in_stage
):
    case = case_in_stage(Stage(stage), consent)
    expected = {
        OK: None,
        REFUSED: PermissionDenied,
        CONFLICT: Conflict,
        NOT_FOUND: NotFound,
    }[outcome]
    if expected is None:
        _do(session, users[role], case, action, organisations)
    else:
        events_before = len(session.exec(select(CaseEvent)).all())
        with pytest.raises(expected):
            _do(session, users[role], case, action, organisations)
        session.rollback()
        # A refused action changes nothing.
        session.refresh(case)
        assert case.stage == Stage(stage)
        assert len(session.exec(select(CaseEvent)).all()) == events_before


def test_every_move_is_an_event_and_an_audited_old_to_new(
    session, users, organisations, case_in_stage
):
    case = case_in_stage(Stage.screening, True)
    coordinator = users["coordinator"]
    cases.move_stage(
        session=session,
        actor=coordinator,
        case_code=case.case_code,
        target="closed",
        expected_version=case.version,
        closure_reason="The person went home on their own.",
    )

    event = session.exec(select(CaseEvent).where(CaseEvent.kind == "stage_change")).one()
    assert event.details == {"from": "screening", "to": "closed"}
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "case_stage_moved")).one()
    assert audit.changes["stage"] == ["screening", "closed"]
    assert audit.changes["closure_reason"] == ["•••", "•••"]
    assert "went home" not in str(audit.changes)


def test_a_cross_border_referral_shares_the_case_with_that_country(
    session, users, organisations, open_case
):
    case = open_case(users["officer_ar"], **_consent(True))
    officer_br = users["officer_br"]
    with pytest.raises(NotFound):
        board.get_case(session=session, actor=officer_br, case_code=case.case_code)

    referral = cases.refer_case(
        session=session,
        actor=users["officer_ar"],
        case_code=case.case_code,
        organisation_id=organisations["BR"].id,
        service="shelter",
        sent_on=date(2026, 3, 6),
        expected_version=case.version,
    )

    assert referral.cross_border_country == "BR"
    assert referral.state == ReferralState.pending
    detail = board.get_case(session=session, actor=officer_br, case_code=case.case_code)
    assert detail.party == "shared_officer"
    assert detail.allowed == {"read", "comment", "answer_referral", "record_return"}
    listed = [card.case_code for card in board.list_cases(session=session, actor=officer_br)]
    assert listed == [case.case_code]


def test_a_referral_in_the_same_country_is_not_shared(session, users, organisations, open_case):
    case = open_case(users["officer_ar"], **_consent(True))
    referral = cases.refer_case(
        session=session,
        actor=users["officer_ar"],
        case_code=case.case_code,
        organisation_id=organisations["AR"].id,
        service="shelter",
        sent_on=date(2026, 3, 6),
        expected_version=case.version,
    )
    assert referral.cross_border_country is None
    assert board.list_cases(session=session, actor=users["officer_br"]) == []


def test_override_records_the_reason_on_the_case_and_a_masked_audit(
    session, users, organisations, open_case
):
    case = open_case(users["officer_ar"])
    cases.refer_case(
        session=session,
        actor=users["coordinator"],
        case_code=case.case_code,
        organisation_id=organisations["AR"].id,
        service="shelter",
        sent_on=date(2026, 3, 6),
        expected_version=case.version,
        override_reason=REASON,
    )
    session.refresh(case)
    assert case.consent_override_reason == REASON
    audit = session.exec(
        select(AuditEvent).where(AuditEvent.action == "case_consent_overridden")
    ).one()
    assert audit.actor_id == users["coordinator"].id
    assert REASON not in str(audit.changes)


@pytest.mark.parametrize(
    ("scope", "org_type", "org_country", "covered"),
    [
        (["service_providers"], OrgType.NGO, "BR", True),
        (["service_providers"], OrgType.Consulate, "BO", False),  # authority of origin
        (["origin_authorities"], OrgType.Consulate, "BO", True),
        (["origin_authorities"], OrgType.NGO, "AR", False),
        (["service_providers"], OrgType.Consulate, "AR", True),  # not the origin's authority
        ([], OrgType.NGO, "AR", False),
    ],
)
def test_consent_scope_decides_which_organisations_it_covers(scope, org_type, org_country, covered):
    assert (
        workflow.consent_covers(
            consent_given=True,
            consent_scope=scope,
            organisation_country=org_country,
            organisation_type=org_type,
            citizenship="BO",
        )
        is covered
    )


def test_referral_states_follow_pending_accepted_completed():
    assert workflow.next_referral_states("pending") == ["accepted", "declined", "withdrawn"]
    assert workflow.next_referral_states("accepted") == ["completed", "withdrawn"]
    for final in ("declined", "completed", "withdrawn"):
        assert workflow.next_referral_states(final) == []
