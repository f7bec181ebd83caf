"""Issue 16's referral statistics against values worked out by hand on the crafted cases of
tests/fixtures_report_stats.py (STATS_CASES), scoping by role, the filters, and small-count
suppression on every new table, with an attack on the origin × destination matrix."""

from datetime import date

import numpy as np
import pytest

from models.enums import Role
from services.platform.errors import PermissionDenied
from services.platform.settings import get_settings
from services.reporting import report_catalog
from services.reporting.referral_stats import InvalidFilter, spread
from services.reporting.report_parts import ReportFilters

ALL = ReportFilters()


@pytest.fixture
def threshold(monkeypatch):
    """`threshold(n)`: the small-count threshold setting for the rest of the test."""

    def set_to(value: int) -> None:
        monkeypatch.setenv("ENLACE_SMALL_COUNT_THRESHOLD", str(value))
        get_settings.cache_clear()

    return set_to


def parts(session, actor, filters=ALL):
    every = report_catalog.build_reports(session=session, actor=actor, filters=filters)
    return {part.name: part for report in every.values() for part in report}


def column(part, name):
    return dict(zip(part.table.iloc[:, 0], part.table[name], strict=True))


def test_every_count_by_hand(session, stats_cases, threshold):
    threshold(1)  # nothing hidden: the raw counts
    got = parts(session, stats_cases["manager"])
    assert column(got["stage"], "Cases") == {
        "Identified": 1, "Screening": 0, "Referred": 1, "Assistance": 1,
        "Return & reintegration": 0, "Closed": 3,
    }  # fmt: skip
    # Suspected: AR-0001 was first a labour-rights violation, BR-2025 first trafficking.
    assert column(got["situation"], "Cases") == {
        "Human trafficking": 3, "Migrant smuggling": 1, "Labour-rights violation": 1,
        "Other": 0, "Not yet determined": 1,
    }  # fmt: skip
    assert column(got["final_situation"], "Cases") == {
        "Human trafficking": 2, "Migrant smuggling": 0, "Labour-rights violation": 1,
        "Other": 0, "Not yet determined": 0,
    }  # fmt: skip
    assert column(got["country"], "Cases") == {"Argentina": 4, "Brazil": 2}
    types = column(got["exploitation_type"], "Cases")
    assert (types["Forced labour"], types["Sexual exploitation"], types["Not recorded"]) == (
        4,
        2,
        1,
    )
    assert sum(types.values()) == 7  # a case may have two types
    industries = column(got["industry"], "Cases")
    assert industries["Manufacturing (incl. textiles)"] == 2
    assert industries["Domestic work (households as employers)"] == 2
    assert industries["Agriculture, forestry and fishing"] == 1
    assert industries["Not recorded"] == 2


def test_times_by_hand(session, stats_cases, threshold):
    threshold(1)
    got = parts(session, stats_cases["coordinator"])
    stages = got["stage_times"].table.set_index("Stage")
    # Identified: 2, 1, 2, 1, 1 days (AR-0004 is still there); median 1, p90 2.
    # Screening: 3, 4, 6, 10, 10; referred: 10, 10; assistance: 30 (AR-0002 still in it).
    assert stages.loc["Identified"].tolist() == [5, 1.0, 2.0]
    assert stages.loc["Screening"].tolist() == [5, 6.0, 10.0]
    assert stages.loc["Referred"].tolist() == [2, 10.0, 10.0]
    assert stages.loc["Assistance"].tolist() == [1, 30.0, 30.0]
    assert stages.loc["Return & reintegration"].tolist() == [0, "—", "—"]
    steps = got["milestone_times"].table.set_index("Measured")
    # First referral: 5, 5, 8, 1 days → median 5, p90 5 + 0.7 × 3 = 7.1; assistance: 15, 15.
    assert steps.loc["Identification → first referral"].tolist() == [4, 5.0, 7.1]
    assert steps.loc["Identification → assistance"].tolist() == [2, 15.0, 15.0]


def test_spread_interpolates_like_percentile_cont():
    assert spread([(1, 1), (5, 2), (8, 1)]) == spread([(8, 1), (5, 2), (1, 1)])
    result = spread([(1, 1), (5, 2), (8, 1)])
    assert (result.cases, result.median, result.p90) == (4, 5.0, pytest.approx(7.1))
    assert spread([]).median is None


def test_matrix_and_referrals_by_hand(session, stats_cases, threshold):
    threshold(1)
    got = parts(session, stats_cases["admin"])
    matrix = got["origin_destination"].table.set_index("Origin (citizenship)")
    assert list(matrix.columns) == ["Argentina", "Brazil", "Not recorded", "Total"]
    assert matrix.loc["Bolivia"].tolist() == ["2", "2", "0", "4"]
    assert matrix.loc["Paraguay"].tolist() == ["1", "0", "1", "2"]
    assert matrix.loc["Total"].tolist() == ["3", "2", "1", "6"]
    outcomes = got["referral_outcomes"].table.set_index("Organisation")
    assert list(outcomes.columns) == [
        "Pending", "Accepted", "Declined", "Completed", "Withdrawn", "Total"
    ]  # fmt: skip
    assert outcomes.loc["Refugio Norte (AR)"].tolist() == ["0", "2", "0", "0", "0", "2"]
    assert outcomes.loc["Clínica Sur (AR)"].tolist() == ["1", "0", "1", "0", "0", "2"]
    assert outcomes.loc["Casa Abrigo (BR)"].tolist() == ["0", "0", "0", "1", "0", "1"]
    answers = got["answer_times"].table.set_index("Organisation")
    # Refugio Norte answered in 2 and 3 days; Clínica Sur in 10; Casa Abrigo in 2.
    assert answers.loc["Refugio Norte (AR)"].tolist() == [2, 2.5, 2.9]
    assert answers.loc["Clínica Sur (AR)"].tolist() == [1, 10.0, 10.0]


def test_filters_apply_in_sql(session, stats_cases, threshold):
    threshold(1)
    manager = stats_cases["manager"]
    argentina = parts(session, manager, ReportFilters(country="AR"))
    assert column(argentina["country"], "Cases") == {"Argentina": 4}
    assert column(argentina["stage"], "Cases")["Closed"] == 1
    period = parts(session, manager, ReportFilters(date_from=date(2026, 1, 1)))
    assert column(period["stage"], "Cases")["Closed"] == 2  # BR-2025 is left out
    assert column(period["final_situation"], "Cases")["Labour-rights violation"] == 0
    one = parts(session, manager, ReportFilters("BR", date(2026, 1, 1), date(2026, 1, 31)))
    assert column(one["country"], "Cases") == {"Brazil": 1}
    assert one["referral_outcomes"].table.iloc[0].tolist()[0] == "Casa Abrigo (BR)"
    until = parts(session, manager, ReportFilters(date_to=date(2026, 1, 10)))
    assert sum(column(until["country"], "Cases").values()) == 3  # 2025-12-01, 01-05, 01-10


def test_bad_filters_name_what_is_wrong(session, stats_cases):
    manager = stats_cases["manager"]
    with pytest.raises(InvalidFilter, match="Reporting country"):
        parts(session, manager, ReportFilters(country="Argentina"))
    with pytest.raises(InvalidFilter, match=r"Period: the start \(2026-02-01\) is after"):
        parts(session, manager, ReportFilters(None, date(2026, 2, 1), date(2026, 1, 1)))


def test_scope_by_role(session, stats_cases, make_user, threshold):
    threshold(1)
    officer = parts(session, stats_cases["officer_ar"])
    assert column(officer["country"], "Cases") == {"Argentina": 4}
    assert officer["origin_destination"].table.iloc[-1].tolist()[-1] == "4"
    assert {"Casa Abrigo (BR)"}.isdisjoint(officer["referral_outcomes"].table["Organisation"])
    with pytest.raises(PermissionDenied, match="your own country"):
        parts(session, stats_cases["officer_ar"], ReportFilters(country="BR"))
    assert column(parts(session, stats_cases["officer_br"])["country"], "Cases") == {"Brazil": 2}
    for role in ("manager", "coordinator", "admin"):
        everyone = parts(session, stats_cases[role])
        assert sum(column(everyone["country"], "Cases").values()) == 6
    partner = make_user("partner@enlace.test", Role.partner)
    with pytest.raises(PermissionDenied):
        parts(session, partner)
    no_country = make_user("nowhere@enlace.test", Role.officer)
    with pytest.raises(PermissionDenied):
        parts(session, no_country)


def test_retained_cases_leave_the_time_statistics(session, stats_cases, threshold):
    threshold(1)
    from models import Case

    case = session.get(Case, 1)
    assert case is not None
    case.anonymised_at = case.created_at
    session.add(case)
    session.commit()
    got = parts(session, stats_cases["manager"])
    assert got["stage_times"].table.set_index("Stage").loc["Identified"].tolist()[0] == 4


# --- suppression --------------------------------------------------------------------------

SMALL = {"1", "2", "3", "4"}


def test_every_new_table_hides_small_counts(session, stats_cases, threshold):
    threshold(5)
    got = parts(session, stats_cases["manager"])
    for name in ("stage", "situation", "final_situation", "country", "exploitation_type",
                 "industry"):  # fmt: skip
        values = {str(value) for value in got[name].table["Cases"]}
        assert not values & SMALL, name
    for name in ("origin_destination", "referral_outcomes"):
        cells = {str(value) for value in got[name].table.iloc[:, 1:].to_numpy().ravel()}
        assert not cells & SMALL, name
    for name in ("stage_times", "milestone_times", "answer_times"):
        table = got[name].table
        for count, median in zip(table.iloc[:, 1], table.iloc[:, 2], strict=True):
            assert str(count) not in SMALL
            if count == "<5" or count == 0:
                assert median == "—", name  # fewer than 5 cases: withheld


def published_matrix(part):
    """(cells, row totals, column totals, grand) of a published matrix, as strings."""
    table = part.table.set_index(part.table.columns[0])
    cells = table.iloc[:-1, :-1].to_numpy().tolist()
    return cells, table.iloc[:-1, -1].tolist(), table.iloc[-1, :-1].tolist(), table.iloc[-1, -1]


def recoverable(cells, row_totals, column_totals, grand) -> list[tuple[int, int]]:
    """The attack: every row and column sum as an equation over the hidden cells (and
    hidden totals), the grand total known; a hidden cell whose unit vector lies in the span
    of the equations is worked out exactly."""
    rows, columns = len(cells), len(cells[0])
    unknown = [("cell", r, c) for r in range(rows) for c in range(columns)
               if not cells[r][c].isdigit()]  # fmt: skip
    unknown += [("row", r) for r in range(rows) if not row_totals[r].isdigit()]
    unknown += [("column", c) for c in range(columns) if not column_totals[c].isdigit()]
    index = {key: i for i, key in enumerate(unknown)}
    equations = []
    for r in range(rows):
        line = np.zeros(len(unknown))
        for c in range(columns):
            if ("cell", r, c) in index:
                line[index[("cell", r, c)]] += 1
        if ("row", r) in index:
            line[index[("row", r)]] -= 1
        equations.append(line)
    for c in range(columns):
        line = np.zeros(len(unknown))
        for r in range(rows):
            if ("cell", r, c) in index:
                line[index[("cell", r, c)]] += 1
        if ("column", c) in index:
            line[index[("column", c)]] -= 1
        equations.append(line)
    assert grand.isdigit()  # the number of cases: public
    for kind in ("row", "column"):
        line = np.zeros(len(unknown))
        for key, i in index.items():
            if key[0] == kind:
                line[i] = 1
        equations.append(line)
    system = np.array(equations)
    rank = np.linalg.matrix_rank(system)
    found = []
    for key, i in index.items():
        unit = np.zeros(len(unknown))
        unit[i] = 1
        if key[0] == "cell" and np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            found.append(key[1:])
    return found


def test_a_suppressed_matrix_cell_cannot_be_recovered_from_the_totals(
    session, stats_case, users, threshold
):
    threshold(5)
    # Bolivia → Argentina 10, Bolivia → Brazil 1 (the small cell), Chile 5 / 6, Peru 7 / 0.
    plan = {("BO", "AR"): 10, ("BO", "BR"): 1, ("CL", "AR"): 5, ("CL", "BR"): 6,
            ("PE", "AR"): 7}  # fmt: skip
    for (origin, destination), number in plan.items():
        for _ in range(number):
            stats_case(citizenship=origin, exploitation_country=destination)
    part = parts(session, users["manager"])["origin_destination"]
    cells, row_totals, column_totals, grand = published_matrix(part)
    assert grand == "29"
    bolivia = part.table.set_index("Origin (citizenship)").loc["Bolivia"]
    assert bolivia["Brazil"] == "<5"
    # Primary suppression alone leaves Bolivia → Brazil = 11 - 10: it needs company.
    assert sum(not value.isdigit() for value in bolivia.iloc[:-1]) >= 2
    assert recoverable(cells, row_totals, column_totals, grand) == []
    # The naive publication (only the small cell hidden) is what the attack breaks.
    naive = [[str(plan.get((o, d), 0)) for d in ("AR", "BR")] for o in ("BO", "CL", "PE")]
    naive[0][1] = "<5"
    totals = [str(sum(plan.get((o, d), 0) for d in ("AR", "BR"))) for o in ("BO", "CL", "PE")]
    columns = [str(sum(plan.get((o, d), 0) for o in ("BO", "CL", "PE"))) for d in ("AR", "BR")]
    assert recoverable(naive, totals, columns, "29") == [(0, 1)]
