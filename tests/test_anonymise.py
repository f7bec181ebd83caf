"""The k-anonymity engine: hierarchies, the search over levels, withholding."""

import random

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting import anonymise

UNKNOWN = "?"


def keep(value: str) -> str:
    return value


def hide(_value: str) -> str:
    return UNKNOWN


def decade(value: str) -> str:
    return value[:-1] + "0s"


HIERARCHIES = {"year": [keep, decade, hide], "gender": [keep, hide], "country": [keep, hide]}
QI = list(HIERARCHIES)


def people(rows):
    return pd.DataFrame(rows, columns=[*QI, "situation"])


def test_an_already_k_anonymous_table_is_left_alone():
    frame = people([("2021", "F", "AR", "t")] * 3 + [("2022", "M", "BO", "s")] * 3)
    result = anonymise.k_anonymise(frame, HIERARCHIES, 3)
    assert result.frame.equals(frame)
    assert (result.generalised, result.withheld, result.kept) == (0, 0, 6)
    assert result.levels == {"year": 0, "gender": 0, "country": 0}


def test_generalising_one_column_is_preferred_to_withholding_records():
    frame = people(
        [("2021", "F", "AR", "t"), ("2022", "F", "AR", "t"), ("2023", "F", "AR", "s")]
        + [("2024", "M", "BO", "t"), ("2025", "M", "BO", "t"), ("2026", "M", "BO", "s")]
    )
    result = anonymise.k_anonymise(frame, HIERARCHIES, 3)
    assert result.levels == {"year": 1, "gender": 0, "country": 0}
    assert result.withheld == 0 and result.generalised == 6
    assert set(result.frame["year"]) == {"2020s"}
    assert list(result.frame["situation"]) == list(frame["situation"])  # other columns untouched


def test_an_outlier_is_withheld_rather_than_coarsening_everyone():
    rows = [("2021", "F", "AR", "t")] * 10 + [("2021", "M", "AR", "t")] * 10
    rows.append(("1999", "M", "UY", "t"))
    result = anonymise.k_anonymise(people(rows), HIERARCHIES, 5, max_withheld=0.1)
    assert result.withheld == 1 and result.generalised == 0
    assert "UY" not in set(result.frame["country"])


def test_fewer_records_than_k_withholds_them_all():
    frame = people([("2021", "F", "AR", "t")] * 4)
    result = anonymise.k_anonymise(frame, HIERARCHIES, 5)
    assert result.frame.empty and result.withheld == 4


def test_an_empty_table_stays_empty():
    result = anonymise.k_anonymise(people([]), HIERARCHIES, 11)
    assert result.frame.empty and result.records == 0


def test_smallest_group_is_the_k_a_table_reaches():
    frame = people([("2021", "F", "AR", "t")] * 3 + [("2022", "M", "BO", "s")] * 2)
    assert anonymise.smallest_group(frame, QI) == 2
    assert anonymise.smallest_group(people([]), QI) == 0


@pytest.mark.parametrize("k", [2, 5, 11])
def test_random_tables_become_k_anonymous(k):
    rng = random.Random(k)
    rows = [
        (
            str(rng.choice(range(2015, 2027))),
            rng.choice("FMX"),
            rng.choice(["AR", "BO", "BR", "CL", "CO", "PY", "PE", "UY"]),
            "t",
        )
        for _ in range(200)
    ]
    result = anonymise.k_anonymise(people(rows), HIERARCHIES, k)
    assert anonymise.smallest_group(result.frame, QI) >= k
    assert result.kept + result.withheld == 200


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["2019", "2020", "2021", "2025"]),
            st.sampled_from("FM"),
            st.sampled_from(["AR", "BO", "PY"]),
            st.just("t"),
        ),
        max_size=60,
    ),
    st.integers(min_value=2, max_value=12),
)
def test_every_output_is_k_anonymous(rows, k):
    result = anonymise.k_anonymise(people(rows), HIERARCHIES, k)
    assert result.frame.empty or anonymise.smallest_group(result.frame, QI) >= k
    assert result.kept + result.withheld == len(rows)
