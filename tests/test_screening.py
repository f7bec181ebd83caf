"""The screening guide: the course's textbook cases point to their situation, for the reasons
taught; the ticked codes, the guide's suggestion and the first classification are kept with
the case, audited and on its timeline."""

import pytest
from pydantic import ValidationError

from models import AuditEvent, Case, CaseEvent, CaseUpdate
from models.enums import CaseEventKind, ScreeningIndicator, Situation
from services.cases import intake, records, screening
from services.platform.audit import AuditAction
from services.platform.i18n import set_language
from services.platform.labels import label
from tests.support import case_form

# The course's textbook cases: (ticked codes, is a minor, situation they point to)
TEXTBOOK = {
    "textile workshop: recruited by deception, documents kept, endless hours": (
        [
            "act_recruitment",
            "act_transport",
            "deception",
            "retention_of_identity_documents",
            "excessive_overtime",
        ],
        False,
        Situation.trafficking,
    ),
    "domestic worker: received and housed, isolated, debt, forced labour": (
        ["act_receipt", "act_harbouring", "isolation", "debt_bondage", "purpose_forced_labour"],
        False,
        Situation.trafficking,
    ),
    "minor recruited for sexual exploitation, no means": (
        ["act_recruitment", "purpose_sexual_exploitation"],
        True,
        Situation.trafficking,
    ),
    "paid to cross, free once there": (
        ["smuggling_consent", "smuggling_irregular_crossing", "smuggling_ends_at_arrival"],
        False,
        Situation.migrant_smuggling,
    ),
    "underpaid and long hours, can quit": (
        ["labour_unpaid_wages", "labour_excessive_hours", "abusive_conditions"],
        False,
        Situation.labour_rights_violation,
    ),
}


@pytest.mark.parametrize("name", list(TEXTBOOK))
def test_textbook_cases_point_to_their_situation(name):
    codes, minor, expected = TEXTBOOK[name]
    assert screening.suggest(codes, is_minor=minor).situation == expected


def test_trafficking_reasons_name_the_act_means_and_purpose():
    reasons = screening.suggest(
        ["act_recruitment", "means_fraud_deception", "purpose_forced_labour"]
    ).reasons
    assert reasons == (
        "An act: Recruitment.",
        "A means: Fraud or deception.",
        "A purpose of exploitation: Forced labour or services.",
        "Trafficking needs an act, a means and a purpose.",
    )


def test_an_adult_without_a_means_is_not_yet_trafficking_but_a_minor_is():
    codes = ["act_recruitment", "purpose_sexual_exploitation"]
    adult = screening.suggest(codes, is_minor=False)
    minor = screening.suggest(codes, is_minor=True)
    assert adult.situation == Situation.undetermined
    assert "No means is ticked: for an adult, trafficking needs one." in adult.reasons
    assert minor.situation == Situation.trafficking
    assert "The person is a minor: no means is needed for trafficking." in minor.reasons


def test_smuggling_followed_by_exploitation_is_trafficking_not_smuggling():
    codes = [
        "smuggling_consent",
        "smuggling_irregular_crossing",
        "act_transport",
        "intimidation_threats",
        "purpose_forced_labour",
    ]
    assert screening.suggest(codes).situation == Situation.trafficking


def test_smuggling_markers_with_coercion_but_no_act_ask_to_screen_for_trafficking():
    suggestion = screening.suggest(
        ["smuggling_consent", "smuggling_irregular_crossing", "retention_of_identity_documents"]
    )
    assert suggestion.situation == Situation.undetermined
    assert (
        "Smuggling markers together with signs of exploitation: screen for trafficking."
        in suggestion.reasons
    )


def test_labour_indicators_with_a_means_of_coercion_are_not_a_labour_violation():
    suggestion = screening.suggest(["labour_unpaid_wages", "withholding_of_wages"])
    assert suggestion.situation == Situation.undetermined
    assert any(reason.startswith("No act is ticked") for reason in suggestion.reasons)


def test_nothing_ticked_is_undetermined():
    assert screening.suggest([]) == screening.Suggestion(
        Situation.undetermined, ("No indicator is ticked yet.",)
    )


def test_reasons_and_labels_in_the_readers_language():
    set_language("es")
    try:
        suggestion = screening.suggest(["labour_unpaid_wages"])
        assert suggestion.reasons[0] == (
            "Indicadores laborales: Salarios impagos o por debajo del mínimo."
        )
        assert label("act_recruitment") == "Captación"
    finally:
        set_language("en")


def test_every_indicator_is_in_one_group_and_has_a_label():
    grouped = [code for group in screening.GROUPS for code in group.codes]
    assert sorted(grouped) == sorted(screening.Code)
    assert len(grouped) == len(set(grouped))
    assert all(label(code) != str(code) for code in grouped)


def test_an_unknown_code_is_named():
    with pytest.raises(ValueError, match="unknown screening indicator code\\(s\\): 'bogus'"):
        screening.suggest(["act_recruitment", "bogus"])
    with pytest.raises(ValidationError, match="'bogus'"):
        case_form(screening_indicators=["bogus"])
    _case, errors = intake.validate_new_case(
        case_form().model_dump() | {"screening_indicators": ["act_transport", "nope"]}
    )
    assert errors == {"screening_indicators": "Unknown screening indicator code(s): 'nope'."}


def test_the_case_keeps_the_indicators_the_suggestion_and_the_first_classification(session, users):
    officer = users["officer_ar"]
    codes = ["act_recruitment", "deception", "purpose_forced_labour"]
    case = intake.create_case(
        session=session,
        actor=officer,
        case_in=case_form(situation="labour_rights_violation", screening_indicators=codes),
    )
    assert case.screening_indicators == codes
    assert case.screening_suggestion == Situation.trafficking
    assert case.initial_situation == Situation.labour_rights_violation

    case = records.update_assessment(
        session=session,
        actor=officer,
        case_code=case.case_code,
        case_in=CaseUpdate(situation="trafficking", screening_indicators=["labour_unpaid_wages"]),
        expected_version=case.version,
    )
    session.commit()
    stored = session.get(Case, case.id)
    assert stored.situation == Situation.trafficking
    assert stored.initial_situation == Situation.labour_rights_violation  # the first one kept
    assert stored.screening_suggestion == Situation.labour_rights_violation
    event = (
        session.query(CaseEvent)
        .filter_by(case_id=case.id, kind=CaseEventKind.assessment_updated)
        .one()
    )
    assert event.details["changes"]["screening_indicators"] == [codes, ["labour_unpaid_wages"]]
    assert event.details["changes"]["screening_suggestion"] == [
        "trafficking",
        "labour_rights_violation",
    ]
    row = session.query(AuditEvent).filter_by(action=AuditAction.case_assessment_updated).one()
    assert "screening_indicators" in row.changes


def test_a_case_opened_undetermined_takes_its_first_classification_later(session, users):
    officer = users["officer_ar"]
    case = intake.create_case(
        session=session, actor=officer, case_in=case_form(situation="undetermined")
    )
    assert case.initial_situation is None and case.screening_suggestion is None
    for situation in ("migrant_smuggling", "trafficking"):
        case = records.update_assessment(
            session=session,
            actor=officer,
            case_code=case.case_code,
            case_in=CaseUpdate(situation=situation),
            expected_version=case.version,
        )
    assert case.initial_situation == Situation.migrant_smuggling


def test_every_guide_code_says_what_it_fills_in_on_the_case_or_that_nothing_does():
    from models.enums import ExploitationType, Indicator, MethodOfControl

    assert set(screening.CASE_FIELDS) == set(ScreeningIndicator)
    allowed = {
        screening.INDICATORS: {code.value for code in Indicator},
        screening.MEANS_OF_CONTROL: {code.value for code in MethodOfControl},
        screening.EXPLOITATION_TYPES: {code.value for code in ExploitationType},
    }
    for guide_code, pairs in screening.CASE_FIELDS.items():
        for field, value in pairs:
            assert value in allowed[field], (guide_code, field, value)
        # The ILO's eleven are the case's indicators under the same code; nothing else is.
        indicators = [value for field, value in pairs if field == screening.INDICATORS]
        assert indicators == ([guide_code.value] if guide_code in screening.ILO else [])


def test_the_ticks_stand_for_the_cases_codes_where_htcds_has_the_same_thing():
    carried = screening.carried_codes(
        [
            "debt_bondage",
            "act_recruitment",
            "withholding_of_wages",
            "purpose_sexual_exploitation",
            "labour_unpaid_wages",
            "intimidation_threats",
        ]
    )
    assert carried == {
        "indicators": ["intimidation_threats", "withholding_of_wages", "debt_bondage"],
        "means_of_control": ["DebtBondage"],
        "exploitation_types": ["SexualExploitation"],
    }
    nothing = screening.carried_codes(["act_transport", "smuggling_consent", "isolation"])
    assert nothing == {
        "indicators": ["isolation"],
        "means_of_control": [],
        "exploitation_types": [],
    }
    with pytest.raises(ValueError, match="nope"):
        screening.carried_codes(["nope"])


def test_a_case_stores_the_guides_ticks_in_its_fields_keeping_the_officers_own(session, users):
    officer = users["officer_ar"]
    case = intake.create_case(
        session=session,
        actor=officer,
        case_in=case_form(
            screening_indicators=["withholding_of_wages", "debt_bondage", "purpose_forced_labour"],
            exploitation_types=["SexualExploitation"],
            indicators=["isolation"],
            means_of_control=["PhysicalThreats"],
        ),
    )
    assert case.indicators == ["isolation", "withholding_of_wages", "debt_bondage"]
    assert case.means_of_control == ["PhysicalThreats", "DebtBondage"]
    assert case.exploitation_types == ["SexualExploitation", "ForcedLabour"]

    # A later tick is added; an untick in the guide takes nothing the case holds away.
    case = records.update_assessment(
        session=session,
        actor=officer,
        case_code=case.case_code,
        case_in=CaseUpdate(screening_indicators=["excessive_overtime"]),
        expected_version=case.version,
    )
    session.commit()
    stored = session.get(Case, case.id)
    assert stored.indicators == [
        "isolation",
        "withholding_of_wages",
        "debt_bondage",
        "excessive_overtime",
    ]
    assert stored.means_of_control == ["PhysicalThreats", "DebtBondage", "ExcessiveWorkingHours"]
    # Nothing new to carry: an edit of another field changes only that field.
    before = stored.version
    case = records.update_assessment(
        session=session,
        actor=officer,
        case_code=case.case_code,
        case_in=CaseUpdate(primary_language="Guaraní"),
        expected_version=before,
    )
    event = (
        session.query(CaseEvent)
        .filter_by(case_id=case.id, kind=CaseEventKind.assessment_updated)
        .order_by(CaseEvent.id.desc())
        .first()
    )
    assert event.details["fields"] == ["primary_language"]
