"""Safe cells for every spreadsheet PSA writes (XLSX through openpyxl, and CSV).

Text from the database goes out through `xlsx_cell` / `csv_cell`, never raw:
- characters XML 1.0 cannot hold (most C0 control characters, lone surrogates, U+FFFE/U+FFFF)
  are removed, so openpyxl does not raise IllegalCharacterError on a name stored before the API
  refused them (or typed into a page);
- text a spreadsheet program would run as a formula stays text: in XLSX a string cell, in CSV a
  leading apostrophe (which the schedule import removes again).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

# What XML 1.0 refuses (tab, LF and CR are allowed), plus what UTF-8 cannot encode.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets (CSV
# injection); in XLSX only "=" makes openpyxl write a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
HOURS_FORMAT = "0.00"


def clean_text(text: str) -> str:
    """The text without characters a workbook cannot store."""
    return _NOT_XML.sub("", text)


def xlsx_cell(
    sheet: WriteOnlyWorksheet | Worksheet, value: Any, number_format: str | None = None
) -> Any:
    """A value ready for `sheet.append`: text cleaned and never a formula, dates and Decimals
    as typed cells (DATE_FORMAT, HOURS_FORMAT unless `number_format` says otherwise)."""
    if isinstance(value, str):
        text = clean_text(value)
        if not text.startswith("="):
            return text
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"  # a string cell: shown as typed, never evaluated
        return cell
    if isinstance(value, Decimal | dt.date) and not isinstance(value, bool):
        cell = WriteOnlyCell(sheet)
        cell.value = value  # the stubs omit Decimal and date, which openpyxl writes natively
        if number_format is None:
            number_format = HOURS_FORMAT if isinstance(value, Decimal) else DATE_FORMAT
        cell.number_format = number_format
        return cell
    return value


def csv_cell(value: Any) -> Any:
    """A value ready for csv.writer: text cleaned of NUL and other control characters (tab and
    line breaks kept, the csv module quotes them) and formula-like text behind an apostrophe."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        text = clean_text(value)
        return "'" + text if text.startswith(FORMULA_START) else text
    return value
