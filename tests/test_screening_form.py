"""The screening guide in the case form under AppTest: a tick shows at once which situation
the indicators point to and why; the ticks are saved with the case, kept when another field
of the form is refused, and editable from the case page."""

from sqlmodel import select

from models import Case
from models.enums import Situation
from services.platform.i18n import set_language
from tests.support import COORDINATOR

TEXTILE = {
    "nr_screening_act": ["act_recruitment"],
    "nr_screening_ilo": ["deception", "retention_of_identity_documents", "excessive_overtime"],
}


def _tick(at, ticks: dict[str, list[str]]):
    for key, codes in ticks.items():
        at.pills(key=key).set_value(codes)
    return at.run()


def test_ticking_indicators_shows_the_suggestion_and_why(demo_db, new_referral_page):
    at = new_referral_page()
    assert "No indicator is ticked yet." in at.info[0].value

    _tick(at, TEXTILE)

    assert not at.exception
    shown = at.success[0].value
    assert "The indicators point to: Human trafficking." in shown
    assert "An act: Recruitment." in shown
    assert "A means: Deception, Retention of identity documents." in shown

    _tick(
        at,
        {
            "nr_screening_act": [],
            "nr_screening_ilo": [],
            "nr_screening_labour": ["labour_unpaid_wages"],
        },
    )
    assert "The indicators point to: Labour-rights violation." in at.success[0].value


def test_the_suggestion_is_in_the_readers_language(demo_db, app_as):
    at = app_as("officer.ar@enlace.test", language="es").run()
    at.switch_page("pages/new_referral.py").run()
    set_language("es")  # AppTest formats the widgets' options in the test's language
    try:
        _tick(at, {"nr_screening_smuggling": ["smuggling_consent", "smuggling_irregular_crossing"]})
    finally:
        set_language("en")
    assert "Los indicadores apuntan a: Tráfico ilícito de migrantes." in at.success[0].value


def test_the_ticks_survive_a_refused_submit_and_are_saved_with_the_case(demo_db, new_referral_page):
    at = _tick(new_referral_page(), TEXTILE)
    at.text_input(key="nr_person_alias").input("Maria Gonzalez")  # a name: refused
    at.button(key="nr_submit").click().run()

    assert at.error
    assert at.pills(key="nr_screening_ilo").value == TEXTILE["nr_screening_ilo"]
    assert "Human trafficking" in at.success[0].value

    at.text_input(key="nr_person_alias").input("T.X.")
    at.selectbox(key="nr_situation").select("labour_rights_violation")
    at.button(key="nr_submit").click().run()

    assert not at.exception and not at.error
    case = demo_db.exec(select(Case).where(Case.person_alias == "T.X.")).one()
    assert case.screening_indicators == [
        "act_recruitment",
        "deception",
        "retention_of_identity_documents",
        "excessive_overtime",
    ]
    assert case.screening_suggestion == Situation.trafficking
    assert case.initial_situation == Situation.labour_rights_violation
    assert at.pills(key="nr_screening_ilo").value == []  # ready for the next person


def test_the_case_page_edits_the_ticks_and_the_timeline_says_so(demo_db, board_page, ar_case):
    code = ar_case.case_code
    at = board_page(COORDINATOR, code)
    _tick(at, {f"edit_screening_labour_{code}": ["labour_excessive_hours"]})
    assert "Labour-rights violation" in at.success[0].value
    at.button(key=f"edit_save_{code}").click().run()

    assert not at.exception and not at.error
    demo_db.commit()
    demo_db.refresh(ar_case)
    assert ar_case.screening_indicators == ["labour_excessive_hours"]
    assert ar_case.screening_suggestion == Situation.labour_rights_violation
    timeline = " ".join(text.value for text in at.text)
    assert "Screening guide's suggestion: — → Labour-rights violation" in timeline


def test_a_tick_in_the_guide_is_already_ticked_in_the_form(demo_db, new_referral_page):
    at = _tick(new_referral_page(), {"nr_screening_ilo": ["withholding_of_wages", "debt_bondage"]})
    assert not at.exception
    assert at.pills(key="nr_indicators").value == ["withholding_of_wages", "debt_bondage"]
    assert at.pills(key="nr_means_of_control").value == ["DebtBondage"]
    said = [caption.value for caption in at.caption if "From the screening guide" in caption.value]
    assert "From the screening guide: Withholding of wages, Debt bondage." in said[-1]

    # Unticked in the guide: only what the guide added goes.
    _tick(at, {"nr_screening_ilo": ["debt_bondage"]})
    assert at.pills(key="nr_indicators").value == ["debt_bondage"]


def test_the_officers_own_choices_and_typing_survive_the_guide_and_a_refused_submit(
    demo_db, new_referral_page
):
    at = new_referral_page()
    at.pills(key="nr_indicators").set_value(["isolation"])
    at.text_input(key="nr_person_alias").input("Maria Gonzalez")  # a name: refused
    at.button(key="nr_submit").click().run()
    assert at.error

    _tick(at, {"nr_screening_ilo": ["withholding_of_wages"]})
    assert at.pills(key="nr_indicators").value == ["isolation", "withholding_of_wages"]
    assert at.text_input(key="nr_person_alias").value == "Maria Gonzalez"

    # The officer takes the guide's code out of the form: a rerun does not put it back.
    at.pills(key="nr_indicators").set_value(["isolation"])
    at.button(key="nr_submit").click().run()
    assert at.error
    _tick(at, {"nr_screening_act": ["act_recruitment"]})
    assert at.pills(key="nr_indicators").value == ["isolation"]
    # ...and the guide's untick takes nothing the officer chose.
    _tick(at, {"nr_screening_ilo": []})
    assert at.pills(key="nr_indicators").value == ["isolation"]

    _tick(at, {"nr_screening_ilo": ["withholding_of_wages"]})
    at.text_input(key="nr_person_alias").input("W.W.")
    at.button(key="nr_submit").click().run()
    assert not at.exception and not at.error
    case = demo_db.exec(select(Case).where(Case.person_alias == "W.W.")).one()
    assert case.indicators == ["isolation", "withholding_of_wages"]
    assert case.screening_indicators == ["act_recruitment", "withholding_of_wages"]


def test_the_assessment_edit_starts_from_the_cases_ticks_carried(demo_db, board_page, ar_case):
    code = ar_case.case_code
    at = board_page(COORDINATOR, code)
    _tick(at, {f"edit_screening_purpose_{code}": ["purpose_organ_removal"]})
    assert "OrganRemoval" in at.pills(key=f"edit_exploitation_types_{code}").value
    at.button(key=f"edit_save_{code}").click().run()
    assert not at.exception and not at.error
    demo_db.commit()
    demo_db.refresh(ar_case)
    assert "OrganRemoval" in ar_case.exploitation_types
