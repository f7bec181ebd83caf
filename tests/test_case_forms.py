"""Forms that cannot misfire (issue 14): after an action the case's forms show its new state,
the default move is the next stage, a saved note clears the box, a second click or a second
tab never does an action twice, and a duplicate open referral is refused."""

from dataclasses import replace

import pytest
from sqlmodel import Session, select

from models import Case, CaseEvent, Organisation, Referral, ReferralUpdate, UserAccount
from models.enums import CaseEventKind, ReferralState, Stage
from services.cases import presentation
from services.cases import records as cases
from services.cases.board import CaseCard
from services.platform.errors import Conflict, StaleVersion
from tests.support import COORDINATOR

STALE_NOTE = "Moved after the interview with the labour inspector."


def _account(session: Session, email: str) -> UserAccount:
    return session.exec(select(UserAccount).where(UserAccount.email == email)).one()


def _events(session: Session, case: Case, kind: CaseEventKind) -> list[CaseEvent]:
    session.commit()  # end this session's read snapshot: see the page's writes
    return list(
        session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == kind)
        ).all()
    )


def test_after_a_move_the_form_shows_the_new_stage_and_no_old_note(demo_db, board_page, ar_case):
    code = ar_case.case_code
    at = board_page(COORDINATOR, code)
    assert at.selectbox(key=f"move_target_{code}").value == "screening"  # the next stage
    at.text_area(key=f"move_note_{code}").input(STALE_NOTE)
    at.button(key=f"move_{code}").click().run()

    assert not at.exception and not at.error
    demo_db.commit()
    demo_db.refresh(ar_case)
    assert ar_case.stage == Stage.screening
    # The form starts again from the moved case: next stage, empty note, and the button of
    # the move already made is gone, so pressing it again (a resubmission) reaches nothing.
    assert at.selectbox(key=f"move_target_{code}_1").value == "referred"
    assert at.text_area(key=f"move_note_{code}_1").value == ""
    with pytest.raises(KeyError):
        at.button(key=f"move_{code}")
    at.button(key=f"move_{code}_1").click().run()  # pressing Move again: the shown target
    assert at.error  # "referred" needs a referral: refused, not a move back with the old note
    assert [e.details["to"] for e in _events(demo_db, ar_case, CaseEventKind.stage_change)] == [
        "screening"
    ]


def test_advance_to_the_next_stage_is_one_click(demo_db, board_page, ar_case):
    code = ar_case.case_code
    at = board_page(COORDINATOR, code)
    assert at.button(key=f"advance_{code}").label == "Advance to Screening"
    at.button(key=f"advance_{code}").click().run()

    assert not at.exception and not at.error
    assert at.button(key=f"advance_{code}_1").label == "Advance to Referred"
    demo_db.commit()
    demo_db.refresh(ar_case)
    assert ar_case.stage == Stage.screening


def test_a_saved_note_clears_the_box_and_a_second_click_adds_nothing(demo_db, board_page, ar_case):
    code = ar_case.case_code
    at = board_page(COORDINATOR, code)
    at.text_area(key=f"note_{code}").input("Called the shelter.")
    at.button(key=f"note_add_{code}").click().run()

    assert not at.exception and not at.error
    assert at.text_area(key=f"note_{code}_1").value == ""
    with pytest.raises(KeyError):
        at.button(key=f"note_add_{code}")  # the submitted form is gone with its text
    at.button(key=f"note_add_{code}_1").click().run()  # an empty box: nothing to add
    assert at.warning
    assert [e.note for e in _events(demo_db, ar_case, CaseEventKind.note)] == [
        "Called the shelter."
    ]


def test_a_resubmitted_write_is_refused_as_already_done(demo_db, ar_case, add_note):
    """The service side of a double click: both submits carry the version the form was
    filled at; the second finds the case moved on and writes nothing."""
    coordinator, version = _account(demo_db, COORDINATOR), ar_case.version
    add_note(coordinator, ar_case, "Once.", version)
    demo_db.commit()
    with pytest.raises(StaleVersion):
        add_note(coordinator, ar_case, "Once.", version)
    demo_db.rollback()
    assert [event.note for event in _events(demo_db, ar_case, CaseEventKind.note)] == ["Once."]


def test_a_second_tab_explains_the_other_move_by_name_and_moves_nothing(
    demo_db, board_page, ar_case
):
    code = ar_case.case_code
    first, second = board_page(COORDINATOR, code), board_page(COORDINATOR, code)
    officer = _account(demo_db, "officer.ar@enlace.test")
    first.selectbox(key=f"assign_to_{code}").select(officer.id)
    first.button(key=f"assign_{code}").click().run()
    first.button(key=f"advance_{code}_1").click().run()
    assert not first.exception and not first.error

    second.text_area(key=f"move_note_{code}").input(STALE_NOTE)
    second.button(key=f"move_{code}").click().run()  # still showing "screening", version 1

    assert not second.exception
    assert second.warning
    changes = second.dataframe[-1].value
    shown = {row.iloc[0]: (row.iloc[1], row.iloc[2]) for _i, row in changes.iterrows()}
    assert shown["Stage"] == ("Identified", "Screening")
    assert shown["Assigned to"] == ("—", officer.display_name)
    assert second.text_area(key=f"move_note_{code}").value == STALE_NOTE  # input kept
    assert len(_events(demo_db, ar_case, CaseEventKind.stage_change)) == 1


def _organisation(session: Session, country: str) -> Organisation:
    found = session.exec(select(Organisation).where(Organisation.country == country)).all()
    return next(organisation for organisation in found if organisation.services)


def test_a_second_open_referral_to_the_same_organisation_and_service_is_refused(demo_db, ar_case):
    coordinator = _account(demo_db, COORDINATOR)
    organisation = _organisation(demo_db, "AR")
    service = organisation.services[0]

    def refer(version: int) -> Referral:
        return cases.refer_case(
            session=demo_db,
            actor=coordinator,
            case_code=ar_case.case_code,
            organisation_id=organisation.id,
            service=service,
            sent_on=ar_case.identified_on,
            expected_version=version,
            override_reason="Imminent danger tonight.",
        )

    version = ar_case.version  # the case object is refreshed by each write
    first = refer(version)
    demo_db.commit()
    with pytest.raises(Conflict) as refused:
        refer(version + 1)
    demo_db.rollback()
    assert organisation.name in str(refused.value)
    cases.answer_referral(
        session=demo_db,
        actor=coordinator,
        case_code=ar_case.case_code,
        referral_id=first.id,
        answer=ReferralUpdate(state=ReferralState.declined, decline_reason="No places left."),
        expected_version=version + 1,
    )
    demo_db.commit()
    refer(version + 2)  # the declined one is no longer open: a new one may be sent
    demo_db.commit()
    states = demo_db.exec(select(Referral.state).where(Referral.case_id == ar_case.id)).all()
    assert sorted(states) == ["declined", "pending"]


def test_one_day_in_stage_is_singular():
    card = CaseCard(
        1, "AR-2026-0001", "screening", "high", None, False, "trafficking", "AR", 1, None
    )
    assert "1 day in stage" in presentation.card_lines(card)[1]
    assert "2 days in stage" in presentation.card_lines(replace(card, days_in_stage=2))[1]
