"""Background jobs for scheduling: each takes a job id, runs as the user who asked (their rights
apply when it runs) and records its progress and outcome on the job (core.jobs)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from psa.core import jobs
from psa.core.models import Job
from psa.integrations.spreadsheet import RowError
from psa.people.selectors import actor_for
from psa.scheduling import imports, sheets

SCHEDULE_IMPORT = "schedule.import"
PROBLEMS_LISTED = 1000  # bad rows a job's result lists (all are counted)


@task()
def schedule_import_task(*, job_id: int) -> None:
    """Check (a dry run) or import the uploaded schedule spreadsheet (imports.schedule_import)."""
    jobs.job_run(job_id, _schedule_import)


def _problem(error: RowError) -> dict[str, Any]:
    title = sheets.TITLES.get(error.column, error.column.capitalize())
    return {"row": error.row, "column": error.column, "title": title, "reason": error.reason}


def _schedule_import(job: Job, progress: jobs.Progress) -> jobs.JobOutput:
    data = jobs.job_input(job=job)

    def report_progress(stage: str, done: int, total: int) -> None:
        progress(done, total, stage)

    sheet = sheets.read_sheet(data, progress=report_progress)
    report = imports.schedule_import(
        actor=actor_for(job.user),
        rows=sheet,
        dry_run=bool(job.params.get("dry_run")),
        override_capacity=bool(job.params.get("override_capacity")),
        progress=report_progress,
        source=job.file_name,
    )
    result: dict[str, Any] = {
        "rows": report.rows,
        "bookings": report.bookings,
        "hours": str(report.hours),
        "people": report.people,
        "written": report.written,
        "bad_rows": report.bad_rows,
        "problems": [_problem(e) for e in report.errors[:PROBLEMS_LISTED]],
        "over_capacity": [_problem(e) for e in report.over_capacity[:PROBLEMS_LISTED]],
    }
    if report.errors:
        result["summary"] = report.problem().message
    if report.audit_id is not None:
        result["audit_id"] = report.audit_id
    return jobs.JobOutput(result=result)
