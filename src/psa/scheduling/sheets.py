"""The schedule as a spreadsheet (XLSX or CSV): read a file into typed rows, collecting every
problem as (row, column, reason), and write rows back in the same format.

No ORM here: resolving people and engagements, capacity and writing bookings are
psa.scheduling.imports. The columns and accepted values are documented in
docs/scheduling-spreadsheets.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from psa.core import numbers
from psa.core.numbers import hours as as_hours
from psa.core.schemas import control_character_error
from psa.integrations.spreadsheet import FORMULA_START, csv_cell, xlsx_cell
from psa.scheduling.rules import ERR_HOURS_POSITIVE

# The columns, in the order export writes them. Import matches headers case-insensitively, in any
# order, with the aliases below; other columns are ignored.
COLUMNS = ("resource", "engagement", "task", "start", "end", "hours", "firmness")
TITLES = {
    "resource": "Resource",
    "engagement": "Engagement",
    "task": "Task",
    "start": "Start",
    "end": "End",
    "hours": "Hours",
    "firmness": "Firmness",
}
ALIASES = {
    "resource": ("resource", "person", "e-mail", "email"),
    "engagement": ("engagement", "project"),
    "task": ("task", "internal task", "task name"),
    "start": ("start", "start date", "from"),
    "end": ("end", "end date", "to"),
    "hours": ("hours", "total hours"),
    "firmness": ("firmness",),
}
FIRMNESS = ("confirmed", "tentative", "internal")
MAX_HOURS = Decimal("100000")
MAX_TASK_NAME = 200
MAX_ROWS = 200_000
PROGRESS_EVERY = 1000
FILE = "file"  # the column of errors about the file as a whole (row 0)

ERR_NOT_XLSX = "not a readable XLSX workbook: {reason}"
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
ERR_END_BEFORE_START = "end date is before the start date"
ERR_HOURS_NOT_FINITE = "{value!r} is not a finite number of hours"
ERR_HOURS_POSITIVE_SHEET = ERR_HOURS_POSITIVE
ERR_HOURS_TOO_MANY = "{value} h is more than {limit} h"
ERR_FIRMNESS = "{value!r} is not a firmness: write confirmed, tentative or internal"
ERR_INTERNAL_NEEDS_TASK = "internal time needs a task name"
ERR_INTERNAL_NO_ENGAGEMENT = "internal time has no engagement: leave engagement empty"
ERR_WORK_NEEDS_ENGAGEMENT = "{firmness} work needs an engagement"
ERR_WORK_NO_TASK = "a task name is only for internal time: leave it empty or use firmness internal"
ERR_TASK_TOO_LONG = "a task name has at most {limit} characters"


Progress = Callable[[str, int, int], None]


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

    def sort_key(self) -> tuple[int, int]:
        position = COLUMNS.index(self.column) if self.column in COLUMNS else len(COLUMNS)
        return (self.row, position)


@dataclass(frozen=True)
class ScheduleRow:
    """One booking as a spreadsheet row. `engagement` and `resource` are as written in the file
    (resolved by psa.scheduling.imports); `task` is set for internal time only."""

    row: int
    resource: str
    engagement: str
    task: str
    start: dt.date
    end: dt.date
    hours: Decimal
    firmness: str  # confirmed | tentative | internal


@dataclass(frozen=True)
class Reference:
    """What a row that could not be parsed still names (as written), so that the import checks
    the person and engagement too and reports every problem of the row at once."""

    row: int
    resource: str
    engagement: str
    firmness: str


@dataclass
class ParsedSheet:
    rows: list[ScheduleRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)  # of the rows that failed
    total: int = 0  # data rows (blank rows are skipped)


# ------------------------------------------------------------------ cells


def _text(value: Any) -> str:
    """A text cell: trimmed; a number cell as its plain digits (an engagement id typed as 42 reads
    "42"); the apostrophe export puts before a formula-like text is removed."""
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
        return None, ERR_DATE_NUMBER.format(value=_text(value))
    text = _text(value)
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


def parse_hours(value: Any) -> tuple[Decimal | None, str]:
    """A number cell or typed text → (hours with two places, "") or (None, reason). Text goes
    through the one hours parser (7.5, 7,5 and 7:30; units, words and ambiguous separators are
    refused); a number cell is rounded to two places (spreadsheets store binary fractions).
    0, negatives, NaN and infinity are refused."""
    if isinstance(value, bool):
        return None, numbers.ERR_HOURS_TEXT.format(value=str(value))
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        # str() gives the shortest repr (7.5, not 7.4999…); NaN and inf are refused below.
        number = Decimal(str(value))
    elif isinstance(value, Decimal):
        number = value
    else:
        try:
            number = numbers.parse_hours(_text(value))
        except ValueError as exc:
            return None, str(exc)
    if not number.is_finite():
        return None, ERR_HOURS_NOT_FINITE.format(value=_text(value))
    if number > MAX_HOURS:
        return None, ERR_HOURS_TOO_MANY.format(value=_text(value), limit=MAX_HOURS)
    result = as_hours(number)
    if result <= 0:
        return None, ERR_HOURS_POSITIVE_SHEET
    return result, ""


# ------------------------------------------------------------------ rows


def _header_map(header: Sequence[Any]) -> tuple[dict[str, int], list[RowError]]:
    """Column name → index, from the header row; every missing or doubled column reported."""
    lookup = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
    found: dict[str, int] = {}
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        title = " ".join(_text(cell).lower().replace("_", " ").split())
        name = lookup.get(title)
        if name is None:
            continue
        if name in found:
            errors.append(RowError(1, name, ERR_DUPLICATE_COLUMN.format(column=name)))
            continue
        found[name] = index
    for name in COLUMNS:
        if name not in found:
            errors.append(RowError(1, name, ERR_MISSING_COLUMN.format(column=name)))
    return found, errors


def parse_row(
    number: int, cells: Sequence[Any], columns: dict[str, int]
) -> tuple[ScheduleRow | Reference, list[RowError]]:
    """One data row → a ScheduleRow, or every problem with it (and what it names)."""

    def cell(name: str) -> Any:
        index = columns[name]
        return cells[index] if index < len(cells) else None

    errors: list[RowError] = []

    def fail(column: str, reason: str) -> None:
        errors.append(RowError(number, column, reason))

    resource = _text(cell("resource"))
    if not resource:
        fail("resource", ERR_REQUIRED.format(column="resource"))
    engagement = _text(cell("engagement"))
    task = _text(cell("task"))
    dates: dict[str, dt.date | None] = {}
    for name in ("start", "end"):
        raw = cell(name)
        if raw is None or _text(raw) == "":
            fail(name, ERR_REQUIRED.format(column=name))
            dates[name] = None
            continue
        dates[name], reason = parse_date(raw)
        if reason:
            fail(name, reason)
    start, end = dates["start"], dates["end"]
    if start is not None and end is not None and end < start:
        fail("end", ERR_END_BEFORE_START)
    raw_hours = cell("hours")
    hours: Decimal | None = None
    if raw_hours is None or _text(raw_hours) == "":
        fail("hours", ERR_REQUIRED.format(column="hours"))
    else:
        hours, reason = parse_hours(raw_hours)
        if reason:
            fail("hours", reason)
    firmness = _text(cell("firmness")).lower()
    if not firmness:
        fail("firmness", ERR_REQUIRED.format(column="firmness"))
    elif firmness not in FIRMNESS:
        fail("firmness", ERR_FIRMNESS.format(value=_text(cell("firmness"))))
    elif firmness == "internal":
        if not task:
            fail("task", ERR_INTERNAL_NEEDS_TASK)
        if engagement:
            fail("engagement", ERR_INTERNAL_NO_ENGAGEMENT)
    else:
        if not engagement:
            fail("engagement", ERR_WORK_NEEDS_ENGAGEMENT.format(firmness=firmness.capitalize()))
        if task:
            fail("task", ERR_WORK_NO_TASK)
    if len(task) > MAX_TASK_NAME:
        fail("task", ERR_TASK_TOO_LONG.format(limit=MAX_TASK_NAME))
    # The same refusal as the API's: a NUL cannot be stored, other control characters cannot be
    # exported again.
    for column, text in (("resource", resource), ("engagement", engagement), ("task", task)):
        message = control_character_error(text, multiline=False)
        if message is not None:
            fail(column, message)
    if errors or start is None or end is None or hours is None:
        return Reference(number, resource, engagement, firmness), errors
    return ScheduleRow(number, resource, engagement, task, start, end, hours, firmness), []


def _blank(cells: Sequence[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def parse_rows(
    raw: Iterable[tuple[int, Sequence[Any]]], *, progress: Progress | None = None
) -> ParsedSheet:
    """Numbered rows (the first is the header) → typed rows and every problem."""
    sheet = ParsedSheet()
    rows = iter(raw)
    header = next(rows, None)
    if header is None or _blank(header[1]):
        sheet.errors.append(RowError(0, FILE, ERR_EMPTY))
        return sheet
    columns, header_errors = _header_map(header[1])
    if header_errors:
        sheet.errors.extend(header_errors)
        return sheet
    for number, cells in rows:
        if _blank(cells):
            continue
        sheet.total += 1
        if sheet.total > MAX_ROWS:
            sheet.errors.append(RowError(0, FILE, ERR_TOO_MANY_ROWS.format(limit=MAX_ROWS)))
            break
        row, errors = parse_row(number, cells, columns)
        if isinstance(row, ScheduleRow):
            sheet.rows.append(row)
        else:
            sheet.references.append(row)
        sheet.errors.extend(errors)
        if progress and sheet.total % PROGRESS_EVERY == 0:
            progress("reading", sheet.total, 0)
    if sheet.total == 0:
        sheet.errors.append(RowError(0, FILE, ERR_NO_ROWS))
    if progress:
        progress("reading", sheet.total, sheet.total)
    return sheet


# ------------------------------------------------------------------ files


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, Sequence[Any]]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        yield from enumerate(sheet.iter_rows(values_only=True), start=1)
    finally:
        workbook.close()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252")


def _csv_rows(text: str) -> Iterator[tuple[int, Sequence[Any]]]:
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    yield from enumerate(reader, start=1)


def read_xlsx(data: bytes, *, progress: Progress | None = None) -> ParsedSheet:
    try:
        return parse_rows(_xlsx_rows(data), progress=progress)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError) as exc:
        return ParsedSheet(errors=[RowError(0, FILE, ERR_NOT_XLSX.format(reason=exc))])


def read_csv(data: bytes | str, *, progress: Progress | None = None) -> ParsedSheet:
    if isinstance(data, bytes):
        try:
            text = _decode(data)
        except UnicodeDecodeError:
            return ParsedSheet(errors=[RowError(0, FILE, ERR_NOT_TEXT)])
    else:
        text = data
    try:
        return parse_rows(_csv_rows(text), progress=progress)
    except csv.Error as exc:
        return ParsedSheet(errors=[RowError(0, FILE, ERR_BAD_CSV.format(reason=exc))])


def read_sheet(data: bytes, *, progress: Progress | None = None) -> ParsedSheet:
    """An XLSX workbook (its first worksheet) or a CSV file, told apart by content."""
    if is_xlsx(data):
        return read_xlsx(data, progress=progress)
    return read_csv(data, progress=progress)


def write_xlsx(rows: Iterable[ScheduleRow]) -> bytes:
    """The rows as a workbook: one worksheet, a header row, real date cells and numeric hours."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Schedule")
    for letter, width in zip("ABCDEFG", (32, 40, 28, 12, 12, 10, 11), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in COLUMNS:
        title = WriteOnlyCell(sheet, value=TITLES[name])
        title.font = bold
        header.append(title)
    sheet.append(header)

    def text(value: str) -> Any:
        return xlsx_cell(sheet, value) if value else None

    for row in rows:
        sheet.append(
            [
                xlsx_cell(sheet, row.resource),
                text(row.engagement),
                text(row.task),
                xlsx_cell(sheet, row.start, "yyyy-mm-dd"),
                xlsx_cell(sheet, row.end, "yyyy-mm-dd"),
                xlsx_cell(sheet, row.hours, "0.00"),
                row.firmness,
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def write_csv(rows: Iterable[ScheduleRow]) -> bytes:
    """The rows as UTF-8 CSV (with a byte-order mark, so spreadsheet programs read it as UTF-8):
    ISO dates, hours as plain decimals."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([TITLES[name] for name in COLUMNS])
    for row in rows:
        writer.writerow(
            [
                csv_cell(row.resource),
                csv_cell(row.engagement),
                csv_cell(row.task),
                row.start.isoformat(),
                row.end.isoformat(),
                str(row.hours),
                row.firmness,
            ]
        )
    return out.getvalue().encode("utf-8-sig")


FORMATS = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", write_xlsx),
    "csv": ("text/csv; charset=utf-8", write_csv),
}


def write_sheet(rows: Iterable[ScheduleRow], fmt: str) -> bytes:
    return FORMATS[fmt][1](rows)
