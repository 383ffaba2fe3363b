"""Background jobs for time tracking: each takes a job id, runs as the user who asked (their
rights apply when it runs) and records its progress and outcome on the job (core.jobs)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from psa.core import jobs
from psa.core.models import Job
from psa.integrations.gitlab import GitLabClient, gitlab_settings
from psa.people.selectors import actor_for
from psa.timetracking import entry_files, imports, report_files, report_selectors
from psa.timetracking.gitlab_sync import gitlab_sync

GITLAB_SYNC = "time.gitlab_sync"
TEAM_REPORTS = "time.team_reports"
TIME_IMPORT = "time.import"
ZIP = "application/zip"
PROBLEMS_LISTED = 1000  # bad rows a job's result lists (all are counted)


@task()
def gitlab_sync_task(*, job_id: int) -> None:
    """Run a GitLab sync; approved quarters are never changed (reported instead)."""
    jobs.job_run(job_id, _gitlab_sync)


def _gitlab_sync(job: Job, progress: jobs.Progress) -> jobs.JobOutput:
    group = str(job.params.get("group") or "")
    settings = gitlab_settings(require_group=not group)
    with GitLabClient.from_settings(settings) as client:
        outcome = gitlab_sync(
            actor=actor_for(job.user),
            client=client,
            group=group or settings.group,
            progress=lambda stage, done, total: progress(done, total, stage),
        )
    result: dict[str, Any] = {
        "group": outcome.group,
        **outcome.counts(),
        "reported": [f"{r.code}: {r.message}" for r in outcome.reported[:200]],
    }
    return jobs.JobOutput(result=result)


@task()
def team_reports_task(*, job_id: int) -> None:
    """Every quarterly hours report of a team as one ZIP (see report_files.team_bundle)."""
    jobs.job_run(job_id, _team_reports)


def _team_reports(job: Job, progress: jobs.Progress) -> jobs.JobOutput:
    params = job.params
    quarter = report_selectors.report_quarter(params["year"], params["quarter"])
    bundle = report_files.team_bundle_for(
        actor=actor_for(job.user),
        quarter=quarter,
        manager_id=params.get("manager_id"),
        progress=progress,
    )
    return jobs.JobOutput(
        result={"people": bundle.people, "entries": bundle.entries},
        file=bundle.data,
        file_name=bundle.file_name,
        content_type=ZIP,
    )


@task()
def time_import_task(*, job_id: int) -> None:
    """Check (a dry run) or import the uploaded file of time entries (imports.time_import)."""
    jobs.job_run(job_id, _time_import)


def _time_import(job: Job, progress: jobs.Progress) -> jobs.JobOutput:
    data = jobs.job_input(job=job)
    dry_run = bool(job.params.get("dry_run"))

    def report_progress(stage: str, done: int, total: int) -> None:
        progress(done, total, stage)

    parsed = entry_files.read_entries(data, progress=report_progress)
    report = imports.time_import(
        actor=actor_for(job.user),
        rows=parsed,
        dry_run=dry_run,
        progress=report_progress,
        source=job.file_name,
        digest=imports.file_digest(data),
    )
    result: dict[str, Any] = {
        "rows": report.rows,
        "entries": report.entries,
        "hours": str(report.hours),
        "people": report.people,
        "first_date": report.first_date.isoformat() if report.first_date else None,
        "last_date": report.last_date.isoformat() if report.last_date else None,
        "written": report.written,
        "bad_rows": report.bad_rows,
        "problems": [
            {
                "row": e.row,
                "column": e.column,
                "title": entry_files.TITLES.get(e.column, e.column.capitalize()),
                "reason": e.reason,
            }
            for e in report.errors[:PROBLEMS_LISTED]
        ],
    }
    if report.errors:
        result["summary"] = report.problem().message
    if report.audit_id is not None:
        result["audit_id"] = report.audit_id
    return jobs.JobOutput(result=result)
