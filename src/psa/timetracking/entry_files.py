"""Time entries from a spreadsheet (XLSX or CSV): each row read into typed cells, every problem
collected as (row, column, reason). No ORM here: people, work items, categories, locks and the
24-hour day are psa.timetracking.imports. The columns are documented in docs/time-import.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from psa.core import numbers
from psa.core.schemas import control_character_error
from psa.integrations.spreadsheet import (
    ERR_REQUIRED,
    Progress,
    RowError,
    cell_number,
    cell_text,
    parse_date,
    read_rows,
)
from psa.timetracking.rules import ERR_HOURS_POSITIVE

COLUMNS = ("person", "date", "work_item", "category", "hours", "note")
TITLES = {
    "person": "Person",
    "date": "Date",
    "work_item": "Work item",
    "category": "Category",
    "hours": "Hours",
    "note": "Note",
}
# Headers are matched case-insensitively, in any order; other columns are ignored.
ALIASES = {
    "person": ("person", "e-mail", "email", "name", "resource"),
    "date": ("date", "day", "spent at", "spent on"),
    "work_item": ("work item", "work item id", "issue", "issue id"),
    "category": ("category", "epic category"),
    "hours": ("hours", "time spent", "hours spent"),
    "note": ("note", "notes", "summary", "comment"),
}
REQUIRED = ("date", "hours")
MAX_ROWS = 500_000
MAX_NOTE = 500
MAX_REFERENCE = 300

ERR_NO_ITEM_COLUMN = "the header row needs a 'work item' or a 'category' column"
ERR_NO_ITEM = "give the work item (its id or address) or the category"
ERR_NOTE_TOO_LONG = "a note has at most {limit} characters"
ERR_TOO_LONG = "{column} has at most {limit} characters"


@dataclass(frozen=True)
class TimeRow:
    """One row as written: the texts that name the person, work item and category (resolved by
    psa.timetracking.imports), the date and hours when they could be read (None when not: the
    row's other problems are still reported)."""

    row: int
    person: str
    date: dt.date | None
    work_item: str
    category: str
    hours: Decimal | None
    note: str
    person_id: int | None = None  # an API batch may name the person by id

    @property
    def complete(self) -> bool:
        return self.date is not None and self.hours is not None


@dataclass
class ParsedEntries:
    rows: list[TimeRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def parse_hours(value: Any) -> tuple[Decimal | None, str]:
    """A number cell or typed text → (hours, "") or (None, reason), through the one hours
    parser: 7.5, 7,5 and 7:30; more than two decimals, units and words are refused, never
    rounded. More than 0."""
    try:
        hours = numbers.parse_hours(cell_number(value))
    except ValueError as exc:
        return None, str(exc)
    if hours <= 0:
        return None, ERR_HOURS_POSITIVE
    return hours, ""


def parse_row(number: int, cells: dict[str, Any]) -> tuple[TimeRow, list[RowError]]:
    """One data row ({column: cell}) → its typed cells and every problem with them."""
    errors: list[RowError] = []

    def fail(column: str, reason: str) -> None:
        errors.append(RowError(number, column, reason))

    texts = {
        name: cell_text(cells.get(name)) for name in ("person", "work_item", "category", "note")
    }
    day: dt.date | None = None
    raw_date = cells["date"]
    if cell_text(raw_date) == "":
        fail("date", ERR_REQUIRED.format(column="date"))
    else:
        day, reason = parse_date(raw_date)
        if reason:
            fail("date", reason)
    hours: Decimal | None = None
    raw_hours = cells["hours"]
    if cell_text(raw_hours) == "":
        fail("hours", ERR_REQUIRED.format(column="hours"))
    else:
        hours, reason = parse_hours(raw_hours)
        if reason:
            fail("hours", reason)
    if not texts["work_item"] and not texts["category"]:
        fail("work_item" if "work_item" in cells else "category", ERR_NO_ITEM)
    for name in ("person", "work_item", "category"):
        if len(texts[name]) > MAX_REFERENCE:
            fail(name, ERR_TOO_LONG.format(column=name.replace("_", " "), limit=MAX_REFERENCE))
            texts[name] = ""
        message = control_character_error(texts[name], multiline=False)
        if message is not None:
            fail(name, message)
            texts[name] = ""
    if len(texts["note"]) > MAX_NOTE:
        fail("note", ERR_NOTE_TOO_LONG.format(limit=MAX_NOTE))
    message = control_character_error(texts["note"], multiline=True)
    if message is not None:
        fail("note", message)
    row = TimeRow(
        number,
        texts["person"],
        day,
        texts["work_item"],
        texts["category"],
        hours,
        texts["note"],
        cells.get("person_id"),
    )
    return row, errors


def read_entries(data: bytes | str, *, progress: Progress | None = None) -> ParsedEntries:
    """An XLSX workbook (its first worksheet) or a CSV file → typed rows and every problem."""
    parsed = ParsedEntries()
    rows = read_rows(
        data,
        aliases=ALIASES,
        required=REQUIRED,
        max_rows=MAX_ROWS,
        errors=parsed.errors,
        progress=progress,
    )
    for number, cells in rows:
        if "work_item" not in cells and "category" not in cells:
            parsed.errors.append(RowError(1, "work_item", ERR_NO_ITEM_COLUMN))
            break
        row, errors = parse_row(number, cells)
        parsed.rows.append(row)
        parsed.errors.extend(errors)
    return parsed


def error_order(error: RowError) -> tuple[int, int]:
    """Row by row, each row's problems in column order."""
    column = COLUMNS.index(error.column) if error.column in COLUMNS else len(COLUMNS)
    return (error.row, column)
