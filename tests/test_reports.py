import json
from datetime import date

import pandas as pd
import pytest

from models import Case, CaseCreate, UserAccount
from models.enums import Role
from services.cases import intake
from services.platform.errors import PermissionDenied
from services.platform.settings import get_settings
from services.reporting import report_catalog, reports
from services.reporting.report_parts import ReportFilters
from tests.support import REPORT_ALIAS as ALIAS


def as_rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    return list(frame.itertuples(index=False, name=None))


@pytest.fixture
def seeded(seed_cases, users: dict[str, UserAccount]) -> dict[str, UserAccount]:
    """The REPORT_CASES, opened by the coordinator; returns the users."""
    seed_cases(users["coordinator"])
    return users


def test_cases_by_stage_counts_every_stage_in_board_order(session, seeded):
    frame = reports.cases_by_stage(session=session, actor=seeded["manager"])
    assert list(frame.columns) == ["stage", "cases"]
    assert as_rows(frame) == [
        ("identified", 2),
        ("screening", 0),
        ("referred", 2),
        ("assistance", 2),
        ("return_reintegration", 0),
        ("closed", 1),
    ]


def test_cases_by_country_counts_reporting_countries_most_first(session, seeded):
    frame = reports.cases_by_country(session=session, actor=seeded["coordinator"])
    assert list(frame.columns) == ["country", "cases"]
    assert as_rows(frame) == [("AR", 4), ("BR", 2), ("PY", 1)]


def test_cases_by_situation_counts_every_situation(session, seeded):
    frame = reports.cases_by_situation(session=session, actor=seeded["admin"])
    assert dict(as_rows(frame)) == {
        "trafficking": 4,
        "migrant_smuggling": 1,
        "labour_rights_violation": 1,
        "other": 0,
        "undetermined": 1,
    }


def test_cases_by_month_counts_month_identified_including_empty_months(session, seeded):
    frame = reports.cases_by_month(session=session, actor=seeded["manager"])
    assert list(frame.columns) == ["month", "cases"]
    assert as_rows(frame) == [("2025-12", 1), ("2026-01", 3), ("2026-02", 0), ("2026-03", 3)]


def test_reports_are_empty_without_cases(session, users):
    manager = users["manager"]
    assert reports.cases_by_stage(session=session, actor=manager)["cases"].sum() == 0
    assert reports.cases_by_country(session=session, actor=manager).empty
    assert reports.cases_by_month(session=session, actor=manager).empty


@pytest.mark.parametrize(
    "report",
    [
        reports.cases_by_stage,
        reports.cases_by_country,
        reports.cases_by_situation,
        reports.cases_by_month,
    ],
)
def test_officers_read_their_own_country_only(session, seeded, make_user, report):
    frame = report(session=session, actor=seeded["officer_ar"])
    assert frame["cases"].sum() == 4  # the four AR cases of REPORT_CASES
    with pytest.raises(PermissionDenied):
        report(session=session, actor=seeded["officer_ar"], filters=ReportFilters(country="BR"))
    partner = make_user("partner@enlace.test", Role.partner)
    with pytest.raises(PermissionDenied):
        report(session=session, actor=partner)


def test_reports_carry_no_alias_or_free_text(session, seeded):
    manager = seeded["manager"]
    frames = [
        reports.cases_by_stage(session=session, actor=manager),
        reports.cases_by_country(session=session, actor=manager),
        reports.cases_by_situation(session=session, actor=manager),
        reports.cases_by_month(session=session, actor=manager),
    ]
    for frame in frames:
        assert len(frame.columns) == 2
        assert ALIAS not in frame.to_csv()


# --- small-count suppression --------------------------------------------------------------


def test_suppression_turns_small_counts_into_below_threshold_and_keeps_0_and_7():
    frame = pd.DataFrame({"stage": ["a", "b", "c", "d", "e"], "cases": [3, 0, 7, 1, 5]})
    suppressed = reports.suppress_small(frame, 5)
    assert suppressed["cases"].tolist() == ["<5", 0, 7, "<5", 5]
    assert frame["cases"].tolist() == [3, 0, 7, 1, 5]


def test_suppression_works_on_lists_of_dicts():
    rows = [
        {"country": "AR", "cases": 3},
        {"country": "BR", "cases": 0},
        {"country": "PY", "cases": 12},
        {"country": "UY", "cases": 8},
    ]
    # AR alone would be the total (known from the other reports) minus the others: the
    # smallest other count is hidden too, as "x".
    assert reports.suppress_small(rows, 5) == [
        {"country": "AR", "cases": "<5"},
        {"country": "BR", "cases": 0},
        {"country": "PY", "cases": 12},
        {"country": "UY", "cases": "x"},
    ]


def test_a_report_of_fewer_cases_than_the_threshold_is_hidden_whole():
    rows = [{"country": "AR", "cases": 3}, {"country": "BR", "cases": 0}]
    assert [row["cases"] for row in reports.suppress_small(rows, 5)] == ["<5", "x"]


def test_suppression_threshold_comes_from_settings(monkeypatch):
    monkeypatch.setenv("ENLACE_SMALL_COUNT_THRESHOLD", "10")
    get_settings.cache_clear()
    frame = pd.DataFrame({"month": ["2026-01", "2026-02", "2026-03"], "cases": [7, 12, 30]})
    assert reports.suppress_small(frame)["cases"].tolist() == ["<10", "x", 30]


# --- charts -------------------------------------------------------------------------------


def test_stage_chart_shows_suppressed_counts_as_text_without_a_bar(session, seeded):
    rows = reports.suppress_small(reports.cases_by_stage(session=session, actor=seeded["manager"]))
    spec = reports.stage_chart(rows).to_dict()
    text = json.dumps(spec)

    assert spec["title"] == "Cases by stage"
    values = next(iter(spec["datasets"].values()))
    identified = next(value for value in values if value["code"] == "identified")
    assert identified["shown"] == "<5"
    assert identified["value"] == 0
    assert "Return & reintegration" in text
    assert reports.OKABE_ITO[0] in text
    assert ALIAS not in text


@pytest.mark.parametrize(
    ("report", "chart", "title"),
    [
        (reports.cases_by_country, reports.country_chart, "Cases by reporting country"),
        (reports.cases_by_situation, reports.situation_chart, "Cases by suspected situation"),
        (reports.cases_by_month, reports.month_chart, "Cases by month identified"),
    ],
)
def test_charts_build_valid_specs_with_titles(session, seeded, report, chart, title):
    rows = reports.suppress_small(report(session=session, actor=seeded["manager"]), 2)
    spec = chart(rows).to_dict()
    assert spec["title"] == title
    assert "tooltip" in json.dumps(spec)
    assert Case.__tablename__ not in json.dumps(spec)


# --- the page's reports and their export tables -------------------------------------------


def test_the_catalog_holds_every_report_of_the_page(session, seeded):
    every = report_catalog.build_reports(
        session=session, actor=seeded["manager"], filters=ReportFilters()
    )
    assert list(every) == list(report_catalog.REPORTS)
    assert as_rows(reports.cases_by_country(session=session, actor=seeded["manager"])) == [
        ("AR", 4),
        ("BR", 2),
        ("PY", 1),
    ]
    officer = report_catalog.build_reports(
        session=session, actor=seeded["officer_ar"], filters=ReportFilters()
    )
    country = report_catalog.find_part(officer, "country").table
    assert as_rows(country) == [("Argentina", "<5")]


def test_part_tables_have_translated_headers_labels_and_suppressed_counts(session, seeded):
    parts = report_catalog.build_report(
        "cases", session=session, actor=seeded["manager"], filters=ReportFilters()
    )
    stage = parts[0].table
    assert list(stage.columns) == ["Stage", "Cases"]
    assert as_rows(stage)[:2] == [("Identified", "<5"), ("Screening", 0)]
    countries = report_catalog.find_part({"cases": parts}, "country").table
    assert list(countries["Reporting country"]) == ["Argentina", "Brazil", "Paraguay"]


def test_every_part_chart_is_titled_and_carries_no_alias(session, seeded):
    every = report_catalog.build_reports(
        session=session, actor=seeded["manager"], filters=ReportFilters()
    )
    for part in (part for parts in every.values() for part in parts):
        if part.chart is None:  # no referral was sent: nothing to draw, an empty table
            assert part.name in {"referral_outcomes", "answer_times"}
            continue
        spec = part.chart.to_dict()
        assert spec["title"] == part.title
        assert ALIAS not in json.dumps(spec) and ALIAS not in part.table.to_csv()


def test_cases_by_month_folds_days_into_months_across_years(session, users):
    days = [
        date(2024, 2, 1),
        date(2024, 2, 29),
        date(2024, 2, 29),
        date(2024, 12, 31),
        date(2025, 1, 1),
        date(2025, 3, 15),
    ]
    for identified_on in days:
        intake.create_case(
            session=session,
            actor=users["coordinator"],
            case_in=CaseCreate(
                reporting_country="AR", identified_on=identified_on, person_alias=ALIAS
            ),
        )
    frame = reports.cases_by_month(session=session, actor=users["manager"])
    rows = as_rows(frame)
    assert rows[:2] == [("2024-02", 3), ("2024-03", 0)]
    assert rows[-4:] == [("2024-12", 1), ("2025-01", 1), ("2025-02", 0), ("2025-03", 1)]
    assert len(rows) == 14 and sum(count for _month, count in rows) == len(days)
    assert frame["cases"].dtype == "int64"


def test_issue_case_one_small_situation_is_not_the_stage_total_minus_the_others(session, users):
    # 21 cases: the stage report hides nothing and so gives the total; the situation report
    # has one undetermined case, which must not be that total minus the visible counts.
    plan = [("identified", "trafficking")] * 11 + [("referred", "trafficking")]
    plan += [("referred", "migrant_smuggling")] * 8 + [("referred", "undetermined")]
    for stage, situation in plan:
        case = intake.create_case(
            session=session,
            actor=users["coordinator"],
            case_in=CaseCreate(
                reporting_country="AR",
                identified_on=date(2026, 1, 5),
                person_alias=ALIAS,
                situation=situation,
            ),
        )
        case.stage = stage
        session.add(case)
    session.commit()
    manager = users["manager"]
    stage = reports.suppress_small(reports.cases_by_stage(session=session, actor=manager), 5)
    situation = reports.suppress_small(
        reports.cases_by_situation(session=session, actor=manager), 5
    )
    population = sum(count for count in stage["cases"] if isinstance(count, int))
    assert population == len(plan)  # nothing hidden in the stage report
    shown = dict(zip(situation["situation"], situation["cases"], strict=True))
    assert shown["undetermined"] == "<5"
    assert shown["migrant_smuggling"] == "x"  # the smallest other count, hidden with it
    visible = sum(count for count in shown.values() if isinstance(count, int))
    hidden = [code for code, count in shown.items() if not isinstance(count, int)]
    assert population - visible == 9 and len(hidden) == 2
