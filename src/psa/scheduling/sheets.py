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
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from psa.core import numbers
from psa.core.numbers import hours as as_hours
from psa.core.schemas import control_character_error
from psa.integrations.spreadsheet import (
    ERR_REQUIRED,
    Progress,
    RowError,
    cell_number,
    cell_text,
    csv_cell,
    parse_date,
    read_rows,
    xlsx_cell,
)
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


def error_order(error: RowError) -> tuple[int, int]:
    """Row by row, each row's problems in column order."""
    column = COLUMNS.index(error.column) if error.column in COLUMNS else len(COLUMNS)
    return (error.row, column)


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


def parse_hours(value: Any) -> tuple[Decimal | None, str]:
    """A number cell or typed text → (hours with two places, "") or (None, reason). Text goes
    through the one hours parser (7.5, 7,5 and 7:30; units, words and ambiguous separators are
    refused); a number cell is rounded to two places (spreadsheets store binary fractions).
    0, negatives, NaN and infinity are refused."""
    number = cell_number(value)
    if not isinstance(number, Decimal):
        try:
            number = numbers.parse_hours(number)
        except ValueError as exc:
            return None, str(exc)
    if not number.is_finite():
        return None, ERR_HOURS_NOT_FINITE.format(value=cell_text(value))
    if number > MAX_HOURS:
        return None, ERR_HOURS_TOO_MANY.format(value=cell_text(value), limit=MAX_HOURS)
    result = as_hours(number)
    if result <= 0:
        return None, ERR_HOURS_POSITIVE_SHEET
    return result, ""


# ------------------------------------------------------------------ rows


def parse_row(number: int, cells: dict[str, Any]) -> tuple[ScheduleRow | Reference, list[RowError]]:
    """One data row ({column: cell}) → a ScheduleRow, or every problem with it (and what it
    names)."""
    cell = cells.__getitem__

    errors: list[RowError] = []

    def fail(column: str, reason: str) -> None:
        errors.append(RowError(number, column, reason))

    resource = cell_text(cell("resource"))
    if not resource:
        fail("resource", ERR_REQUIRED.format(column="resource"))
    engagement = cell_text(cell("engagement"))
    task = cell_text(cell("task"))
    dates: dict[str, dt.date | None] = {}
    for name in ("start", "end"):
        raw = cell(name)
        if raw is None or cell_text(raw) == "":
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
    if raw_hours is None or cell_text(raw_hours) == "":
        fail("hours", ERR_REQUIRED.format(column="hours"))
    else:
        hours, reason = parse_hours(raw_hours)
        if reason:
            fail("hours", reason)
    firmness = cell_text(cell("firmness")).lower()
    if not firmness:
        fail("firmness", ERR_REQUIRED.format(column="firmness"))
    elif firmness not in FIRMNESS:
        fail("firmness", ERR_FIRMNESS.format(value=cell_text(cell("firmness"))))
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


def read_sheet(data: bytes | str, *, progress: Progress | None = None) -> ParsedSheet:
    """An XLSX workbook (its first worksheet) or a CSV file, told apart by content → typed rows
    and every problem."""
    sheet = ParsedSheet()
    for number, cells in read_rows(
        data,
        aliases=ALIASES,
        required=COLUMNS,
        max_rows=MAX_ROWS,
        errors=sheet.errors,
        progress=progress,
    ):
        sheet.total += 1
        row, errors = parse_row(number, cells)
        if isinstance(row, ScheduleRow):
            sheet.rows.append(row)
        else:
            sheet.references.append(row)
        sheet.errors.extend(errors)
    return sheet


read_csv = read_xlsx = read_sheet  # one reader: the content says which


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
