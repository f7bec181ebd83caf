"""Training impact on crafted officers with known completion dates, against hand-computed
figures; the guide-vs-classification grids; suppression of small groups; role scoping."""

from datetime import date

import pandas as pd
import pytest
from sqlmodel import select

from models import AuditEvent, Course, Enrollment, Organisation, Participant, Referral
from models.enums import EnrollmentStatus, Role, Stage
from services.cases import intake
from services.platform.errors import PermissionDenied
from services.platform.settings import get_settings
from services.reporting import report_catalog
from services.reporting import training_impact as impact
from services.reporting.report_parts import ReportFilters
from tests.support import case_form

FIRST_HALF = ReportFilters(country="AR", date_from=date(2026, 1, 1), date_to=date(2026, 6, 30))
MONTH = 365.25 / 12
TRAFFICKING_SIGNS = ["act_recruitment", "deception", "purpose_forced_labour"]


@pytest.fixture
def crafted(session, make_user):
    """Four Argentine officers and one Brazilian, their course completions and cases (see the
    expected figures in the tests)."""
    course = Course(code="CTR-2026", title="Consular detection of trafficking")
    ngo = Organisation(name="Casa Refugio", org_type="NGO", country="AR")
    session.add_all([course, ngo])
    session.commit()
    o1 = make_user("o1@enlace.test", Role.officer, "AR")  # completed 1 April 2026
    o2 = make_user("o2@enlace.test", Role.officer, "AR")  # completed before the period
    o3 = make_user("o3@enlace.test", Role.officer, "AR")  # enrolled, not completed
    o4 = make_user("o4@enlace.test", Role.officer, "AR")  # never a participant
    o5 = make_user("o5@enlace.test", Role.officer, "BR")  # another country
    coordinator = make_user("coord@enlace.test", Role.coordinator)
    # o1's participant record has another address: her account names it.
    for email, status, done in (
        ("mariana.gomez@cancilleria.ar.test", EnrollmentStatus.completed, date(2026, 4, 1)),
        ("o2@enlace.test", EnrollmentStatus.completed, date(2025, 12, 1)),
        ("o3@enlace.test", EnrollmentStatus.active, None),
        ("o5@enlace.test", EnrollmentStatus.completed, date(2026, 2, 1)),
    ):
        person = Participant(full_name="Someone Trained", email=email.lower())
        session.add(person)
        session.flush()
        session.add(
            Enrollment(
                participant_id=person.id, course_id=course.id, status=status, completed_on=done
            )
        )
        if email.startswith("mariana"):
            o1.participant_id = person.id
            session.add(o1)
    session.commit()

    def case(
        officer,
        identified,
        first,
        final,
        stage,
        *,
        consent=False,
        referred=(),
        signs=(),
        country="AR",
    ):
        opened = intake.create_case(
            session=session,
            actor=officer,
            case_in=case_form(
                reporting_country=country,
                identified_on=identified,
                situation=first,
                consent_given=consent,
                consent_date=identified if consent else None,
                screening_indicators=list(signs),
            ),
        )
        opened.situation, opened.stage = final, stage
        session.add(opened)
        for sent in referred:
            session.add(
                Referral(case_id=opened.id, organisation_id=ngo.id, service="shelter", sent_on=sent)
            )
        session.commit()
        return opened

    case(
        o1,
        date(2026, 2, 10),
        "trafficking",
        "trafficking",
        Stage.referred,
        consent=True,
        referred=[date(2026, 2, 20)],
        signs=TRAFFICKING_SIGNS,
    )
    case(
        o1,
        date(2026, 3, 5),
        "trafficking",
        "labour_rights_violation",
        Stage.closed,
        signs=["labour_unpaid_wages"],
    )
    case(
        o1,
        date(2026, 4, 10),
        "migrant_smuggling",
        "migrant_smuggling",
        Stage.assistance,
        consent=True,
        referred=[date(2026, 4, 14)],
    )
    case(o1, date(2026, 7, 5), "trafficking", "trafficking", Stage.referred)  # after the period
    case(
        o2,
        date(2026, 1, 15),
        "labour_rights_violation",
        "labour_rights_violation",
        Stage.identified,
        consent=True,
    )
    case(
        o2,
        date(2026, 5, 1),
        "trafficking",
        "trafficking",
        Stage.referred,
        referred=[date(2026, 5, 20), date(2026, 5, 7)],
    )
    case(o3, date(2026, 2, 1), "undetermined", "undetermined", Stage.screening)
    case(
        o4,
        date(2026, 6, 30),
        "trafficking",
        "migrant_smuggling",
        Stage.closed,
        consent=True,
        referred=[date(2026, 7, 2)],
        signs=["smuggling_consent"],
    )
    case(o5, date(2026, 3, 1), "trafficking", "trafficking", Stage.referred, country="BR")
    case(coordinator, date(2026, 3, 1), "trafficking", "trafficking", Stage.referred)
    return {"coordinator": coordinator, "officer": o1}


def _figures(session, actor, filters=FIRST_HALF):
    groups = impact.impact_groups(session=session, actor=actor, filters=filters)
    return {figures.group: figures for figures in groups}


def test_groups_against_hand_computed_figures(session, users, crafted):
    figures = _figures(session, users["manager"])

    # o1 before 1 April: 1 Jan–31 Mar, 90 days; two cases, both screened, one confirmed, one
    # referred after 10 days, one with consent.
    assert figures["before"] == impact.GroupFigures(
        group="before",
        officers=1,
        officer_months=90 / MONTH,
        cases=2,
        screened=2,
        confirmed=2 - 1,
        referred=1,
        median_days_to_referral=10,
        consent=1,
    )
    # o1 from 1 April (91 days) and o2 all the period (181 days): three cases, two screened and
    # confirmed, referred after 4 and 6 days (o2's first referral counts), two with consent.
    assert figures["after"] == impact.GroupFigures(
        group="after",
        officers=2,
        officer_months=(91 + 181) / MONTH,
        cases=3,
        screened=2,
        confirmed=2,
        referred=2,
        median_days_to_referral=5,
        consent=2,
    )
    # o3 (enrolled only), o4 (not a participant) and the `users` fixture's Argentine officer,
    # 181 days each: o3's undetermined case in screening is not screened; o4's was
    # reclassified, referred after 2 days, with consent.
    assert figures["not_completed"] == impact.GroupFigures(
        group="not_completed",
        officers=3,
        officer_months=3 * 181 / MONTH,
        cases=2,
        screened=1,
        confirmed=0,
        referred=1,
        median_days_to_referral=2,
        consent=1,
    )
    assert round(figures["after"].cases_per_officer_month, 3) == round(3 / (272 / MONTH), 3)
    assert figures["before"].confirmed_share == 0.5


def test_every_country_and_no_start_date_count_from_the_first_case(session, users, crafted):
    every = _figures(session, users["coordinator"], ReportFilters(date_to=date(2026, 6, 30)))
    # The period starts on the first case identified anywhere, 15 January: o5 (Brazil, done on
    # 1 February) is "before" for 17 days, o1 for 76 (15 January to 31 March).
    assert (every["before"].officers, every["before"].officer_months) == (2, (17 + 76) / MONTH)
    assert (every["after"].officers, every["after"].cases) == (3, 4)  # o5's case of 1 March


def test_the_published_table_withholds_small_groups(session, users, crafted):
    table = impact.impact_table(list(_figures(session, users["manager"]).values()), 2)
    rows = {row["group"]: row for row in table.to_dict("records")}
    # "before" has one officer: withheld; then "not completed" (the smallest other group with
    # cases) too, or its cases would follow from the total.
    assert rows["before"]["officers"] == "<2"
    assert {rows["before"][name] for name in impact.METRICS} == {"x"}
    assert set(rows["not_completed"].values()) == {"not_completed", "x"}
    assert rows["after"]["cases"] == 3 and rows["after"]["median_days"] == 5
    assert rows["after"]["confirmed_pct"] == 100.0 and rows["after"]["consent_pct"] == 66.7


def test_with_the_default_threshold_every_crafted_group_is_withheld(session, users, crafted):
    table = impact.impact_table(list(_figures(session, users["manager"]).values()), 5)
    assert all(row["cases"] in ("<5", "x") for row in table.to_dict("records"))
    assert table["per_officer_month"].tolist() == ["x", "x", "x"]


def test_a_share_or_median_of_a_small_denominator_is_left_empty():
    def group(name, screened, referred):
        return impact.GroupFigures(
            group=name,
            officers=6,
            officer_months=60.0,
            cases=12,
            screened=screened,
            confirmed=screened - 1,
            referred=referred,
            median_days_to_referral=7.0,
            consent=9,
        )

    table = impact.impact_table(
        [group("not_completed", 4, 5), group("before", 5, 4), group("after", 10, 10)], 5
    ).set_index("group")
    assert pd.isna(table.loc["not_completed", "confirmed_pct"])  # 3 of 4 tells too much
    assert table.loc["not_completed", "median_days"] == 7.0
    assert table.loc["before", "confirmed_pct"] == 80.0
    assert pd.isna(table.loc["before", "median_days"])
    assert table.loc["after", "consent_pct"] == 75.0
    assert table.loc["after", "per_officer_month"] == 0.2


def test_guide_suggestion_against_first_and_final_classification(session, users, crafted):
    manager = users["manager"]
    first = impact.classification_grid(
        session=session, actor=manager, filters=FIRST_HALF, compared="first"
    )
    final = impact.classification_grid(
        session=session, actor=manager, filters=FIRST_HALF, compared="final"
    )
    assert first.loc["trafficking", "trafficking"] == 1
    assert first.loc["labour_rights_violation", "trafficking"] == 1  # the officer disagreed
    assert final.loc["labour_rights_violation", "labour_rights_violation"] == 1  # then agreed
    assert first.loc["undetermined", "trafficking"] == 1  # o4's lone smuggling marker
    assert int(first.to_numpy().sum()) == int(final.to_numpy().sum()) == 3
    assert "undetermined" not in first.columns and "not_classified" in first.columns
    published = impact.grid_table(final, 2)
    totals = published.set_index("guide").loc["total"]
    assert totals["total"] == 3


def test_the_report_parts(session, users, crafted, monkeypatch):
    monkeypatch.setenv("ENLACE_SMALL_COUNT_THRESHOLD", "1")
    get_settings.cache_clear()
    parts = impact.training_impact(session=session, actor=users["admin"], filters=FIRST_HALF)
    assert [part.name for part in parts] == ["training_impact", "guide_vs_first", "guide_vs_final"]
    assert "descriptive, not causal" in parts[0].note.lower()
    assert "participant record chosen on their account" in parts[0].note
    assert parts[0].table["Cases"].tolist() == [2, 2, 3]
    assert all(part.chart is not None for part in parts)
    exported = report_catalog.export_part(
        session=session, actor=users["admin"], part=parts[1], fmt="csv", filters=FIRST_HALF
    )
    assert b"Screening guide" in exported.data
    png = report_catalog.export_part(
        session=session, actor=users["admin"], part=parts[0], fmt="png", filters=FIRST_HALF
    )
    assert png.data.startswith(b"\x89PNG")
    session.commit()
    exports = session.exec(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert sorted(event.entity_id for event in exports) == ["guide_vs_first", "training_impact"]


@pytest.mark.parametrize("role", ["officer_ar", "officer_br"])
def test_case_workers_of_a_country_may_not_read_it(session, users, crafted, role):
    with pytest.raises(PermissionDenied):
        impact.training_impact(session=session, actor=users[role], filters=FIRST_HALF)


def test_a_partner_may_not_read_it(session, make_user, crafted):
    partner = make_user("staff@ngo.test", Role.partner)
    with pytest.raises(PermissionDenied):
        impact.impact_groups(session=session, actor=partner, filters=FIRST_HALF)


def test_the_catalog_gives_the_report_to_readers_of_dashboards_only(session, users, crafted):
    filters = FIRST_HALF
    for role in ("manager", "admin"):
        every = report_catalog.build_reports(session=session, actor=users[role], filters=filters)
        assert list(every)[-1] == "training"
        assert [part.name for part in every["training"]][0] == "training_impact"
    every = report_catalog.build_reports(
        session=session, actor=users["officer_ar"], filters=filters
    )
    assert "training" not in every and "cases" in every
    with pytest.raises(PermissionDenied):
        report_catalog.build_report(
            "training", session=session, actor=users["officer_ar"], filters=filters
        )


def test_an_empty_group_is_shown_as_zero_not_withheld():
    def group(name, officers, cases):
        return impact.GroupFigures(
            group=name,
            officers=officers,
            officer_months=officers * 6.0,
            cases=cases,
            screened=cases,
            confirmed=cases,
            referred=cases,
            median_days_to_referral=3.0,
            consent=cases,
        )

    table = impact.impact_table(
        [group("not_completed", 7, 12), group("before", 0, 0), group("after", 30, 48)], 5
    ).set_index("group")
    assert table.loc["before", "officers"] == 0 and table.loc["before", "cases"] == 0
    assert table.loc["not_completed", "cases"] == 12 and table.loc["after", "cases"] == 48
