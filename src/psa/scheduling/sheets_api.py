"""The schedule spreadsheet over the API: upload an XLSX or CSV file to import (or dry-run) it,
download the schedule in the same format. See docs/scheduling-spreadsheets.md."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Schema
from ninja.files import UploadedFile

from psa.core import clock
from psa.core.api import actor
from psa.core.schemas import WRITE, Day, Id, answers
from psa.integrations import spreadsheet
from psa.scheduling import imports, sheets

router = Router(tags=["scheduling"])


class RowErrorOut(Schema):
    field: str  # "row 7: hours"
    row: int
    column: str
    reason: str


class ImportReportOut(Schema):
    dry_run: bool
    written: bool
    rows: int
    bookings: int
    hours: Decimal
    people: int
    over_capacity: list[RowErrorOut]
    audit_id: int | None


def _error_out(error: spreadsheet.RowError) -> dict[str, Any]:
    return {"field": error.field, "row": error.row, "column": error.column, "reason": error.reason}


@router.post("/imports", response=answers({200: ImportReportOut}, *WRITE))
def import_schedule(
    request: HttpRequest,
    file: File[UploadedFile],
    dry_run: Form[bool] = False,
    override_capacity: Form[bool] = False,
) -> Any:
    """Import the scheduling spreadsheet (XLSX or CSV, multipart field `file`), all or nothing.
    `dry_run`: check every row, write nothing. Any bad row → 422 problem+json listing each one as
    `{"field": "row 7: hours", "message": …}` and nothing is written."""
    who = actor(request)
    imports.require_importer(who)
    if file.size is not None:
        spreadsheet.check_upload(b"", missing="", size=file.size)
    sheet = sheets.read_sheet(file.read())
    report = imports.schedule_import(
        actor=who,
        rows=sheet,
        dry_run=dry_run,
        override_capacity=override_capacity,
        source=file.name or "",
    )
    if report.errors:
        raise report.problem()
    return {
        "dry_run": report.dry_run,
        "written": report.written,
        "rows": report.rows,
        "bookings": report.bookings,
        "hours": report.hours,
        "people": report.people,
        "over_capacity": [_error_out(e) for e in report.over_capacity],
        "audit_id": report.audit_id,
    }


class ExportQuery(Schema):
    format: Literal["xlsx", "csv"] = "xlsx"
    start: Day | None = None
    end: Day | None = None
    person_id: Id | None = None


@router.get("/exports", response=answers({200: None}))
def export_schedule(request: HttpRequest, q: Query[ExportQuery]) -> HttpResponse:
    """The schedule as a spreadsheet in the import format: the active bookings overlapping
    `start`–`end` (whole bookings), optionally one person's."""
    rows = imports.schedule_export(
        person_ids=None if q.person_id is None else [q.person_id], start=q.start, end=q.end
    )
    content_type, _ = sheets.FORMATS[q.format]
    response = HttpResponse(sheets.write_sheet(rows, q.format), content_type=content_type)
    name = f"schedule-{clock.today().isoformat()}.{q.format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
