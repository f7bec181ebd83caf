"""The new-referral form and the board under AppTest: validation keeps input, notes are plain
text, a stale save shows what changed and keeps the input, a coordinator works a case."""

from sqlmodel import Session, select

from models import (
    Case,
    CaseEvent,
    CaseUpdate,
    Organisation,
    Referral,
    UserAccount,
)
from models.enums import Stage
from services.cases import board
from services.cases import records as cases
from tests.support import COORDINATOR, OFFICER

SCRIPT_NOTE = "<script>alert('x')</script> **not bold** [a link](http://evil.test)"


def _account(session: Session, email: str) -> UserAccount:
    return session.exec(select(UserAccount).where(UserAccount.email == email)).one()


def test_failed_submit_keeps_everything_typed_and_marks_the_fields(demo_db, new_referral_page):
    before = len(demo_db.exec(select(Case)).all())
    at = new_referral_page()
    at.text_input(key="nr_person_alias").input("Maria Gonzalez")
    at.text_input(key="nr_consular_post").input("Consulado en La Paz")
    at.selectbox(key="nr_age_band").select("9-17")
    at.pills(key="nr_exploitation_types").set_value(["ForcedLabour"])
    at.pills(key="nr_means_of_control").set_value(["WithholdsDocuments"])
    at.pills(key="nr_needs").set_value(["shelter"])
    at.button(key="nr_submit").click().run()

    assert not at.exception
    assert len(at.error) >= 3  # the alias, the minor's band, and the form's summary
    assert at.text_input(key="nr_person_alias").value == "Maria Gonzalez"
    assert at.text_input(key="nr_consular_post").value == "Consulado en La Paz"
    assert at.selectbox(key="nr_age_band").value == "9-17"
    assert at.pills(key="nr_exploitation_types").value == ["ForcedLabour"]
    assert at.pills(key="nr_means_of_control").value == ["WithholdsDocuments"]
    assert at.pills(key="nr_needs").value == ["shelter"]
    assert not at.success
    assert len(demo_db.exec(select(Case)).all()) == before


def test_corrected_form_opens_the_case_and_links_to_it_on_the_board(demo_db, new_referral_page):
    at = new_referral_page()
    at.text_input(key="nr_person_alias").input("Maria Gonzalez")
    at.button(key="nr_submit").click().run()
    at.text_input(key="nr_person_alias").input("Q.W.")
    at.selectbox(key="nr_age_band").select("9-17")
    at.checkbox(key="nr_is_minor").check()
    at.selectbox(key="nr_urgency").select("low")
    at.pills(key="nr_exploitation_types").set_value(["ForcedLabour"])
    at.button(key="nr_submit").click().run()

    assert not at.exception
    assert not at.error
    case = demo_db.exec(select(Case).where(Case.person_alias == "Q.W.")).one()
    assert case.urgency == "high"  # a minor is always high urgency
    assert case.exploitation_types == ["ForcedLabour"]
    assert case.case_code in at.success[0].value
    assert at.text_input(key="nr_person_alias").value == ""  # ready for the next person


def test_note_with_script_and_markdown_is_shown_literally(demo_db, board_page, ar_case):
    at = board_page(OFFICER, ar_case.case_code)
    at.text_area(key=f"note_{ar_case.case_code}").input(SCRIPT_NOTE)
    at.button(key=f"note_add_{ar_case.case_code}").click().run()

    assert not at.exception
    assert SCRIPT_NOTE in [text.value for text in at.text]
    shown_as_markdown = [m.value for m in at.markdown if "script" in m.value or "evil" in m.value]
    assert shown_as_markdown == []
    note = demo_db.exec(select(CaseEvent.note).where(CaseEvent.kind == "note")).all()
    assert SCRIPT_NOTE in note


def test_stale_edit_shows_what_changed_and_keeps_the_input_to_reapply(demo_db, board_page, ar_case):
    code = ar_case.case_code
    at = board_page(COORDINATOR, code)
    at.selectbox(key=f"edit_situation_{code}").select("labour_rights_violation")
    # Meanwhile the officer raises the urgency.
    cases.update_assessment(
        session=demo_db,
        actor=_account(demo_db, OFFICER),
        case_code=code,
        case_in=CaseUpdate(urgency="high"),
        expected_version=ar_case.version,
    )
    demo_db.commit()
    at.button(key=f"edit_save_{code}").click().run()

    assert not at.exception
    assert at.warning, "the user is told someone else saved first"
    changes = at.dataframe[-1].value
    assert list(changes.iloc[:, 0]) == ["Urgency"]
    assert at.selectbox(key=f"edit_situation_{code}").value == "labour_rights_violation"
    demo_db.refresh(ar_case)
    assert (ar_case.situation, ar_case.urgency) == ("undetermined", "high")

    at.button(key=f"edit_save_{code}").click().run()  # re-apply

    assert not at.exception
    demo_db.commit()  # end this session's read snapshot: see the page's write
    demo_db.refresh(ar_case)
    assert (ar_case.situation, ar_case.urgency) == ("labour_rights_violation", "high")


def test_coordinator_refers_with_an_override_and_moves_the_case_to_referred(
    demo_db, board_page, ar_case
):
    code = ar_case.case_code
    at = board_page(COORDINATOR, code)
    at.selectbox(key=f"move_target_{code}").select("referred")
    at.button(key=f"move_{code}").click().run()
    assert at.error, "no referral yet: refused"

    at.selectbox(key=f"refer_country_{code}").select("AR").run()
    at.checkbox(key=f"refer_override_{code}").check().run()
    at.text_area(key=f"refer_override_reason_{code}").input("Imminent danger tonight.")
    at.button(key=f"refer_{code}").click().run()
    assert not at.exception and not at.error
    # After one's own save the forms start again, under keys of the next generation.
    at.selectbox(key=f"move_target_{code}_1").select("referred")
    at.button(key=f"move_{code}_1").click().run()

    assert not at.exception and not at.error
    demo_db.refresh(ar_case)
    assert ar_case.stage == Stage.referred
    assert ar_case.consent_override_reason == "Imminent danger tonight."
    referral = demo_db.exec(select(Referral).where(Referral.case_id == ar_case.id)).one()
    organisation = demo_db.get(Organisation, referral.organisation_id)
    assert organisation.country == "AR" and referral.cross_border_country is None


def test_export_prepares_csv_and_xlsx_of_the_filtered_list(demo_db, app_as):
    at = app_as(OFFICER).run()
    at.switch_page("pages/board.py").run()
    at.radio(key="board_export_layout").set_value("htcds")
    at.button(key="board_export_prepare").click().run()

    assert not at.exception
    csv_bytes = at.session_state["board_export"][1]
    lines = csv_bytes.decode("utf-8-sig").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("cas_CaseNumber,"))
    exported = {line.split(",")[0] for line in lines[header + 1 :]}
    officer = _account(demo_db, OFFICER)
    visible = sum(board.board_counts(session=demo_db, actor=officer).values())
    assert len(exported) == visible
    assert all(code.startswith("AR-") or code in shared_with_ar(demo_db) for code in exported)


def shared_with_ar(session: Session) -> set[str]:
    return set(
        session.exec(
            select(Case.case_code)
            .join(Referral, Referral.case_id == Case.id)
            .where(Referral.cross_border_country == "AR")
        ).all()
    )


def test_picking_a_card_in_a_column_opens_its_case_and_leaves_the_column_unpicked(demo_db, app_as):
    at = app_as(COORDINATOR).run()
    at.switch_page("pages/board.py").run()
    column = at.radio(key="board_column_identified")
    assert column.label.startswith("Identified · ") and column.value is None
    code = column.options[0].split(" · ")[0].strip("*")
    column.set_value(code).run()
    assert not at.exception, at.exception
    # The case's own page, at the top (not below the board), at its shareable address.
    assert at.query_params["code"] == code
    assert at.subheader[0].value == f"Case {code}"
    at.switch_page("pages/board.py").run()
    assert at.radio(key="board_column_identified").value is None


def test_a_card_shows_an_assignee_name_as_typed_not_as_markdown(demo_db, app_as):
    coordinator = _account(demo_db, COORDINATOR)
    coordinator.display_name = "**Ana** [x](http://evil.test)"
    demo_db.add(coordinator)
    case = demo_db.exec(select(Case).where(Case.stage == Stage.identified)).first()
    case.assigned_to_id = coordinator.id
    demo_db.add(case)
    demo_db.commit()
    at = app_as(COORDINATOR).run()
    at.switch_page("pages/board.py").run()
    shown = " ".join(at.radio(key="board_column_identified").proto.captions)
    assert r"\*\*Ana\*\* \[x\](http://evil.test)" in shown
