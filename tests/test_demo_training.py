"""The demo data feeds the training-impact report and the screening guide: officers who did
and did not complete the 2018 course, cases with the guide's indicators, and corrected first
classifications; with the default small-count threshold the report shows figures."""

from sqlmodel import select

from models import Case, CaseEvent, UserAccount
from models.enums import CaseEventKind, Role, Situation
from services.reporting import training_impact as impact
from services.reporting.report_parts import ReportFilters


def test_the_demo_report_shows_officers_who_did_and_did_not_complete_the_course(demo_db):
    manager = demo_db.exec(select(UserAccount).where(UserAccount.role == Role.manager)).first()
    parts = impact.training_impact(session=demo_db, actor=manager, filters=ReportFilters())
    not_completed, before, after = parts[0].table["Officers"].tolist()
    # Nobody completed a course while the demo's cases were identified (2018's officers did
    # in 2018): "before" is empty, and the other two groups are large enough to be shown.
    assert before == 0
    assert isinstance(not_completed, int) and not_completed >= 5
    assert isinstance(after, int) and after >= 5
    first = parts[1].table
    assert first.iloc[-1, -1] not in (0, "x")  # cases with the guide, in total


def test_demo_cases_carry_the_guide_and_some_first_classifications_were_corrected(demo_db):
    cases = demo_db.exec(select(Case)).all()
    guided = [case for case in cases if case.screening_indicators]
    assert len(cases) // 2 < len(guided) < len(cases)
    assert {case.screening_suggestion for case in guided} >= {
        Situation.trafficking,
        Situation.migrant_smuggling,
    }
    corrected = [c for c in cases if c.initial_situation not in (None, c.situation)]
    assert corrected
    for case in corrected:
        event = demo_db.exec(
            select(CaseEvent).where(
                CaseEvent.case_id == case.id, CaseEvent.kind == CaseEventKind.assessment_updated
            )
        ).one()
        assert event.details["changes"]["situation"] == [case.initial_situation, case.situation]


def test_the_colleagues_are_linked_to_their_participant_record_and_open_cases(demo_db):
    officers = demo_db.exec(select(UserAccount).where(UserAccount.role == Role.officer)).all()
    assert len(officers) == 38 and all(officer.participant_id for officer in officers)
    reporters = set(demo_db.exec(select(Case.reported_by_id)).all())
    assert len(reporters) > len({officer.country for officer in officers})
