"""Time entries in bulk over the API: a JSON batch (`POST /time/entries/batch`) or an XLSX/CSV
upload (`POST /time/imports`), all or nothing, through psa.timetracking.imports. See
docs/time-import.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from psa.core.api import actor
from psa.core.schemas import WRITE, Day, Id, In, Line, Text, answers
from psa.integrations import spreadsheet
from psa.integrations.spreadsheet import FILE, RowError
from psa.timetracking import entry_files, imports
from psa.timetracking.schemas import HoursText

router = Router(tags=["time"])

MAX_BATCH = 10_000  # entries in one JSON batch: more go in as a file upload
# How a batch names each column of an entry.
_BATCH_FIELDS = {"work_item": "work_item_id"}


class BatchEntryIn(In):
    person_id: Id | None = Field(None, description="Whose time; or `person`; default: yours")
    person: Annotated[str, Line(254)] = Field("", description="E-mail or exact name")
    date: Day
    work_item_id: Id | None = Field(None, description="The work item; or `category`")
    category: Annotated[str, Line(300)] = Field(
        "", description="An epic category, e.g. 'Sales Assistance': its standing work item"
    )
    hours: HoursText = Field(description='7.5, "7.5", "7,5" or "7:30"; more than 0')
    note: Annotated[str, Text(500)] = ""


class BatchIn(In):
    entries: list[BatchEntryIn] = Field(min_length=1, max_length=MAX_BATCH)
    dry_run: bool = False


class ImportOut(Schema):
    dry_run: bool
    written: bool
    rows: int
    entries: int
    hours: Decimal
    people: int
    first_date: dt.date | None
    last_date: dt.date | None
    entry_ids: list[list[int]] = Field(description="The new entries' ids as [first, last] runs")
    audit_id: int | None


def _out(report: imports.ImportReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "written": report.written,
        "rows": report.rows,
        "entries": report.entries,
        "hours": report.hours,
        "people": report.people,
        "first_date": report.first_date,
        "last_date": report.last_date,
        "entry_ids": report.entry_ids,
        "audit_id": report.audit_id,
    }


def _batch_field(error: RowError) -> str:
    if error.row == 0 or error.column == FILE:
        return "entries"
    return f"entries.{error.row - 1}.{_BATCH_FIELDS.get(error.column, error.column)}"


@router.post("/entries/batch", response=answers({200: ImportOut}, *WRITE))
def import_batch(request: HttpRequest, payload: BatchIn) -> Any:
    """Log many entries at once, all or nothing, through the rules of a single entry (the
    hours parser, 24 hours a day across the batch and what is logged, locks, future dates).
    Any bad entry → 422 problem+json listing each as `{"field": "entries.6.hours", …}` and
    nothing is written. `dry_run`: check everything, write nothing."""
    who = actor(request)
    imports.require_importer(who)
    rows = []
    errors: list[RowError] = []
    for index, entry in enumerate(payload.entries):
        cells = {
            "person": entry.person,
            "person_id": entry.person_id,
            "date": entry.date,
            "work_item": f"#{entry.work_item_id}" if entry.work_item_id else "",
            "category": entry.category,
            "hours": entry.hours,
            "note": entry.note,
        }
        row, problems = entry_files.parse_row(index + 1, cells)
        rows.append(row)
        errors += problems
    parsed = entry_files.ParsedEntries(rows=rows, errors=errors)
    report = imports.time_import(
        actor=who, rows=parsed, dry_run=payload.dry_run, source="api batch"
    )
    if report.errors:
        raise report.problem(_batch_field)
    return _out(report)


@router.post("/imports", response=answers({200: ImportOut}, *WRITE))
def import_file(request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False) -> Any:
    """Import time entries from an XLSX or CSV file (multipart field `file`; columns in
    docs/time-import.md), all or nothing. Any bad row → 422 problem+json listing each as
    `{"field": "row 7: hours", …}` and nothing is written. `dry_run`: check, write nothing."""
    who = actor(request)
    imports.require_importer(who)
    if file.size is not None:
        spreadsheet.check_upload(b"", missing="", size=file.size)
    data = file.read()
    report = imports.time_import(
        actor=who,
        rows=entry_files.read_entries(data),
        dry_run=dry_run,
        source=file.name or "",
        digest=imports.file_digest(data),
    )
    if report.errors:
        raise report.problem()
    return _out(report)
