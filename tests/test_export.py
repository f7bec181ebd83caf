"""Exported tables are real files, say what they are, and never carry a live formula."""

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from services.reporting.export import ExportInfo, neutralise, to_csv, to_xlsx

DANGEROUS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_formula_cells_are_neutralised(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["Asunción", "12", 12, -3, None, "a=b"])
def test_other_cells_are_left_alone(value):
    assert neutralise(value) == value


def frame() -> pd.DataFrame:
    return pd.DataFrame({"country": ["AR", "=1+1"], "cases": [7, -2], "note": ["@x", "ok"]})


INFO = ExportInfo(title="Cases by country", filters={"Stage": "Referred"})


def test_csv_has_header_lines_and_neutralised_cells():
    text = to_csv(frame(), INFO).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["# Title: Cases by country"]
    assert ["# Stage: Referred"] in rows
    assert ["country", "cases", "note"] in rows
    assert ["'=1+1", "-2", "ok"] in rows
    assert ["AR", "7", "'@x"] in rows


def test_xlsx_opens_with_data_and_about_sheets():
    workbook = load_workbook(io.BytesIO(to_xlsx(frame(), INFO)))
    data = workbook["Data"]
    assert [c.value for c in data[1]] == ["country", "cases", "note"]
    assert [c.value for c in data[3]] == ["'=1+1", -2, "ok"]
    about = {row[0]: row[1] for row in workbook["About"].iter_rows(values_only=True)}
    assert about["Title"] == "Cases by country" and about["Stage"] == "Referred"
