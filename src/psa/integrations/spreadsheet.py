"""Spreadsheets PSA reads and writes (XLSX through openpyxl, and CSV): safe cells out, typed
cells in.

Text from the database goes out through `xlsx_cell` / `csv_cell`, never raw:
- characters XML 1.0 cannot hold (most C0 control characters, lone surrogates, U+FFFE/U+FFFF)
  are removed, so openpyxl does not raise IllegalCharacterError on a name stored before the API
  refused them (or typed into a page);
- text a spreadsheet program would run as a formula stays text: in XLSX a string cell, in CSV a
  leading apostrophe (which the schedule import removes again).

Files come in through `table_rows` (an XLSX workbook's first worksheet or a CSV file, told
apart by content) and their cells through `cell_text`, `parse_date` and `cell_hours`; every
problem is a `RowError` (row, column, reason), so an import can list them all at once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from psa.core.errors import ValidationFailed

# What XML 1.0 refuses (tab, LF and CR are allowed), plus what UTF-8 cannot encode.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# A cell starting with one of these is a formula to Excel, LibreOffice and Sheets (CSV
# injection); in XLSX only "=" makes openpyxl write a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # its media type
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


# ------------------------------------------------------------------ reading

FILE = "file"  # the column of errors about the file as a whole (row 0)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
ERR_UPLOAD_TOO_BIG = "the file is larger than 50 MB: split it"


def check_upload(data: bytes, *, missing: str, size: int | None = None) -> None:
    """Refuse an upload before reading it: none (`missing` says what to choose) or too big.
    `size`: the upload's size when the bytes are not read yet."""
    if size is None and not data:
        raise ValidationFailed(missing, field=FILE)
    if (size if size is not None else len(data)) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(ERR_UPLOAD_TOO_BIG, field=FILE)


ERR_NOT_XLSX = "not a readable XLSX workbook: {reason}"
ERR_BINARY = "neither an XLSX workbook nor a CSV file (it holds binary data)"
ERR_NOT_TEXT = "the CSV file is neither UTF-8 nor Windows-1252 text"
ERR_BAD_CSV = "not a readable CSV file: {reason}"
ERR_EMPTY = "the file is empty: the first row must name the columns"
ERR_NO_ROWS = "the file has a header row but no rows to import"
ERR_TOO_MANY_ROWS = "more than {limit} rows: split the file"
ERR_MISSING_COLUMN = "the header row has no {column!r} column"
ERR_DUPLICATE_COLUMN = "two columns are headed {column!r}"
ERR_REQUIRED = "{column} is empty"
ERR_DATE = "{value!r} is not a date: write it as YYYY-MM-DD (e.g. 2026-12-07)"
ERR_DATE_NUMBER = "{value!r} is a number, not a date: format the cell as a date or write YYYY-MM-DD"
ERR_DATE_TIME = "{value!r} has a time of day: give the date only"


@dataclass(frozen=True)
class RowError:
    """One problem: the spreadsheet row (1 is the header; 0 the file as a whole), the column
    and why."""

    row: int
    column: str
    reason: str

    @property
    def field(self) -> str:
        """How the API names it: "row 7: hours" ("file" for the file as a whole)."""
        return f"row {self.row}: {self.column}" if self.row else self.column


class TableError(Exception):
    """The file cannot be read as a table at all (the reason is the message)."""


Row = tuple[int, Sequence[Any]]  # the spreadsheet's row number (the header is 1) and its cells


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _xlsx_rows(data: bytes) -> Iterator[Row]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            sheet = workbook.worksheets[0]
            yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        finally:
            workbook.close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError) as exc:
        raise TableError(ERR_NOT_XLSX.format(reason=exc)) from exc


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Not UTF-8 and holding NUL: an image, a PDF, an old .xls, not Windows-1252 text.
    if b"\x00" in data:
        raise TableError(ERR_BINARY)
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise TableError(ERR_NOT_TEXT) from exc


def _csv_rows(text: str) -> Iterator[Row]:
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise TableError(ERR_BAD_CSV.format(reason=exc)) from exc


def table_rows(data: bytes | str) -> Iterator[Row]:
    """The numbered rows of an XLSX workbook (its first worksheet) or a CSV file (UTF-8 or
    Windows-1252; comma, semicolon or tab as the first line shows), told apart by content.
    Raises TableError, also while iterating, when the file cannot be read."""
    if isinstance(data, str):
        return _csv_rows(data)
    if is_xlsx(data):
        return _xlsx_rows(data)
    return _csv_rows(_decode(data))


def is_blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def cell_text(value: Any) -> str:
    """A text cell: trimmed; a number cell as its plain digits (an id typed as 42 reads "42");
    the apostrophe export puts before a formula-like text is removed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_START:
        text = text[1:]
    return text


def parse_date(value: Any) -> tuple[dt.date | None, str]:
    """A date cell or ISO text → (date, "") or (None, reason)."""
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            return None, ERR_DATE_TIME.format(value=value.isoformat(sep=" "))
        return value.date(), ""
    if isinstance(value, dt.date):
        return value, ""
    if isinstance(value, bool):
        return None, ERR_DATE.format(value=str(value))
    if isinstance(value, int | float | Decimal):
        return None, ERR_DATE_NUMBER.format(value=cell_text(value))
    text = cell_text(value)
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text), ""
        # "2026-12-07 00:00:00", as some tools write date cells into CSV.
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None, ERR_DATE.format(value=text)
    if moment.time() != dt.time(0, 0) or moment.tzinfo is not None:
        return None, ERR_DATE_TIME.format(value=text)
    return moment.date(), ""


def cell_number(value: Any) -> Decimal | str:
    """A number cell as a Decimal, read by its shortest repr (7.5, not 7.4999…: spreadsheets
    store binary fractions of what was typed; NaN and infinity stay what they are); any other
    cell as its text, for the one hours parser to read or refuse."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, Decimal):
        return value
    return cell_text(value)


def header_map(
    header: Sequence[Any], aliases: Mapping[str, Sequence[str]], required: Sequence[str]
) -> tuple[dict[str, int], list[RowError]]:
    """Column name → index, from the header row (case, spaces and underscores ignored; each
    column known by its aliases; other columns ignored); every missing required or doubled
    column reported."""
    lookup = {alias: name for name, names in aliases.items() for alias in names}
    found: dict[str, int] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        title = " ".join(cell_text(cell).lower().replace("_", " ").split())
        name = lookup.get(title)
        if name is None:
            continue
        if name in found:
            errors.append(RowError(1, name, ERR_DUPLICATE_COLUMN.format(column=name)))
            continue
        found[name] = index
    for name in required:
        if name not in found:
            errors.append(RowError(1, name, ERR_MISSING_COLUMN.format(column=name)))
    return found, errors


Progress = Callable[[str, int, int], None]  # (stage, done, total: 0 while unknown)
PROGRESS_EVERY = 1000


def read_rows(
    data: bytes | str,
    *,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    max_rows: int,
    errors: list[RowError],
    progress: Progress | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """The data rows of a file as (row number, {column: cell}) for every column the header
    names (blank rows skipped). What is wrong with the file as a whole (unreadable, empty, a
    missing column, too many rows, no rows) is appended to `errors` and ends the rows."""
    count = 0
    try:
        rows = table_rows(data)
        header = next(rows, None)
        if header is None or is_blank(header[1]):
            errors.append(RowError(0, FILE, ERR_EMPTY))
            return
        columns, header_errors = header_map(header[1], aliases, required)
        if header_errors:
            errors.extend(header_errors)
            return
        for number, cells in rows:
            if is_blank(cells):
                continue
            count += 1
            if count > max_rows:
                errors.append(RowError(0, FILE, ERR_TOO_MANY_ROWS.format(limit=max_rows)))
                return
            width = len(cells)
            yield number, {name: cells[i] if i < width else None for name, i in columns.items()}
            if progress and count % PROGRESS_EVERY == 0:
                progress("reading", count, 0)
    except TableError as exc:
        errors.append(RowError(0, FILE, str(exc)))
        return
    if count == 0:
        errors.append(RowError(0, FILE, ERR_NO_ROWS))
    if progress:
        progress("reading", count, count)
