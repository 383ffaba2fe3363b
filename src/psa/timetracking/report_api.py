"""Hours reports: a person's fiscal quarter as JSON, XLSX or CSV; a team's as a background job
that makes a ZIP of workbooks."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from psa.core.api import actor
from psa.core.errors import ValidationFailed
from psa.core.jobs_api import JobOut
from psa.core.schemas import WRITE, Id, In, Line, Quarter, Year, answers
from psa.integrations.spreadsheet import XLSX
from psa.people import selectors as people
from psa.timetracking import report_files, report_selectors, services

router = Router(tags=["time"])

CSV = "text/csv; charset=utf-8"
FORMATS = ("json", "xlsx", "csv")
ERR_FORMAT = "format must be json, xlsx or csv"


class EpicHoursOut(Schema):
    major_epic: str
    hours: Decimal


class WorkItemHoursOut(Schema):
    work_item_id: int
    title: str
    web_url: str
    major_epic: str
    epic: str
    billable: bool
    engagement: str
    hours: Decimal


class DayHoursOut(Schema):
    date: dt.date
    hours: Decimal


class ReportWeekOut(Schema):
    week: str = Field(description="ISO week, e.g. 2026-W45")
    monday: dt.date
    hours: Decimal


class ReportRowOut(Schema):
    entry_id: int
    date: dt.date
    work_item_id: int
    work_item: str
    web_url: str
    major_epic: str
    epic: str
    billable: bool
    engagement: str
    hours: Decimal
    note: str
    source: str
    reason: str = Field(description="The adjustment reason, for a correction to locked time")


class HoursReportOut(Schema):
    person_id: int
    name: str
    quarter: str = Field(description="e.g. FY27 Q4")
    start: dt.date
    end: dt.date
    capacity: Decimal
    total: Decimal
    billable: Decimal
    non_billable: Decimal
    utilization: Decimal | None = Field(description="Billable hours / capacity, percent")
    by_major_epic: list[EpicHoursOut]
    by_work_item: list[WorkItemHoursOut]
    by_day: list[DayHoursOut]
    by_week: list[ReportWeekOut]
    rows: list[ReportRowOut]


def _item(wi: report_selectors.WorkItemInfo) -> dict[str, Any]:
    return {
        "work_item_id": wi.id,
        "title": wi.title,
        "web_url": wi.web_url,
        "major_epic": wi.major_epic,
        "epic": wi.epic,
        "billable": wi.billable,
        "engagement": wi.engagement,
    }


def _json(r: report_selectors.HoursReport) -> dict[str, Any]:
    return {
        "person_id": r.person.pk,
        "name": r.person.name,
        "quarter": r.quarter.label,
        "start": r.quarter.start,
        "end": r.quarter.end,
        "capacity": r.capacity,
        "total": r.total,
        "billable": r.billable,
        "non_billable": r.non_billable,
        "utilization": r.utilization,
        "by_major_epic": [{"major_epic": m, "hours": h} for m, h in r.by_major_epic.items()],
        "by_work_item": [{**_item(t.work_item), "hours": t.hours} for t in r.by_work_item],
        "by_day": [{"date": d, "hours": h} for d, h in r.by_day.items()],
        "by_week": [
            {"week": report_selectors.iso_week_label(m), "monday": m, "hours": h}
            for m, h in r.by_week.items()
        ],
        "rows": [
            {
                "entry_id": row.entry_id,
                "date": row.date,
                "work_item_id": row.work_item.id,
                "work_item": row.work_item.title,
                "web_url": row.work_item.web_url,
                "major_epic": row.work_item.major_epic,
                "epic": row.work_item.epic,
                "billable": row.billable,
                "engagement": row.work_item.engagement,
                "hours": row.hours,
                "note": row.note,
                "source": row.source,
                "reason": row.reason,
            }
            for row in r.rows
        ],
    }


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class TeamReportsIn(In):
    year: Year | None = Field(None, description="Fiscal year, e.g. 2027 (default: current)")
    quarter: Quarter | None = Field(None, description="1-4 (default: the current quarter)")
    manager_id: Id | None = Field(None, description="Only this manager's reports")


@router.post("/reports/team", response=answers({202: JobOut}, *WRITE, 404))
def start_team_reports(request: HttpRequest, payload: TeamReportsIn) -> Any:
    """Every quarterly hours report of a team, made in the background: one ZIP with a workbook
    per person and the team workbook (a summary row per person and one Daily sheet). Follow
    the job at /api/v1/jobs/{id} and download its file when it is done. The team is the
    manager's reports (everyone employed in the quarter without manager_id)."""
    return 202, services.team_reports_start(
        actor=actor(request),
        year=payload.year,
        quarter=payload.quarter,
        manager_id=payload.manager_id,
    )


@router.get("/reports/{person_id}", response=answers({200: HoursReportOut}, 403, 404))
def hours_report(
    request: HttpRequest,
    person_id: int,
    year: Year | None = None,
    quarter: Quarter | None = None,
    format: Annotated[str, Line(10)] = "json",  # noqa: A002 - the query parameter's name
) -> Any:
    """A person's hours report for a fiscal quarter (default: the current one): every entry
    they logged, totals per major epic, work item, day and ISO week, and productive utilization.
    `format=xlsx` or `format=csv` downloads it."""
    if format not in FORMATS:
        raise ValidationFailed(ERR_FORMAT, field="format")
    q = report_selectors.report_quarter(year, quarter)
    person = report_selectors.access_hours_report(
        actor=actor(request), person=people.person_get(person_id=person_id)
    )
    result = report_selectors.hours_report(person=person, quarter=q)
    stem = f"{report_files.file_stem(q)}-person-{person.pk}"
    if format == "xlsx":
        return _download(report_files.report_xlsx(result), XLSX, f"{stem}.xlsx")
    if format == "csv":
        return _download(report_files.report_csv(result), CSV, f"{stem}.csv")
    return _json(result)
