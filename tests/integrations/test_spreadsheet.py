"""The one safe cell writer: what a workbook cannot hold is left out, formulas stay text."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from psa.integrations.spreadsheet import clean_text, csv_cell, xlsx_cell


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("plain", "plain"),
        ("a\x00b\x01c\x1fd", "abcd"),
        ("tab\tline\nreturn\r", "tab\tline\nreturn\r"),
        ("lone \ud800 surrogate \ufffe", "lone  surrogate "),
        ("Zoë — naïve", "Zoë — naïve"),
    ],
)
def test_clean_text_removes_only_what_xml_cannot_hold(text: str, cleaned: str) -> None:
    assert clean_text(text) == cleaned


@pytest.mark.parametrize("write_only", [True, False])
def test_xlsx_cells_round_trip(write_only: bool) -> None:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("S") if write_only else book.worksheets[0]
    values: list[Any] = ["=SUM(A1)", "x\x00y", dt.date(2026, 12, 1), Decimal("7.50"), 3]
    sheet.append([xlsx_cell(sheet, v) for v in values])
    out = io.BytesIO()
    book.save(out)
    read = load_workbook(io.BytesIO(out.getvalue())).worksheets[-1]
    cells = list(read.iter_rows(values_only=False))[0]
    assert [c.value for c in cells[:2]] == ["=SUM(A1)", "xy"]
    assert cells[0].data_type == "s"
    assert (cells[2].number_format, cells[3].number_format) == ("yyyy-mm-dd", "0.00")
    assert (cells[3].value, cells[4].value) == (7.5, 3)


def test_csv_cells_defuse_formulas_and_drop_control_characters() -> None:
    out = io.StringIO()
    csv.writer(out).writerow(
        [csv_cell(v) for v in ["=1+1", "+1", "-x", "@a", "ok\x00", True, Decimal("1.50")]]
    )
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [
        "'=1+1",
        "'+1",
        "'-x",
        "'@a",
        "ok",
        "yes",
        "1.50",
    ]
