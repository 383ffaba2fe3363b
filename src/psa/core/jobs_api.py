"""API for background jobs: follow one's progress, read its summary, download its file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from psa.core import jobs
from psa.core.api import actor
from psa.core.schemas import WRITE, answers

router = Router(tags=["jobs"])


class JobOut(Schema):
    id: int
    kind: str
    title: str
    status: str = Field(description="queued, running, done or failed")
    done: int
    total: int
    percent: int
    stage: str
    result: dict[str, Any] | None
    error: str
    file_name: str
    file_url: str | None = Field(description="Where to download the file, once it is done")
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    heartbeat_at: dt.datetime | None = Field(
        description="When its worker last reported, while it runs; a running job not heard of "
        "for the stale timeout (5 minutes by default) reads as failed"
    )
    retry_of: int | None = Field(alias="retry_of_id", description="The failed job it retries")

    @staticmethod
    def resolve_file_url(obj: Any) -> str | None:
        if obj.status == jobs.Status.DONE and obj.file_name:
            return f"/api/v1/jobs/{obj.pk}/file"
        return None


@router.get("", response=answers({200: list[JobOut]}))
def list_jobs(request: HttpRequest) -> Any:
    """Your jobs, newest first (the last 50)."""
    return jobs.jobs_for(actor=actor(request))


@router.get("/{job_id}", response=answers({200: JobOut}, 404))
def get_job(request: HttpRequest, job_id: int) -> Any:
    return jobs.job_get(actor=actor(request), job_id=job_id)


@router.post("/{job_id}/retry", response=answers({201: JobOut}, *WRITE, 404, 409))
def retry_job(request: HttpRequest, job_id: int) -> Any:
    """Queue a failed job of yours again, as a new job with the same kind and parameters (an
    admin may retry anyone's). 409 when it is not failed or was retried already; someone
    else's job is 404, as when reading it."""
    return 201, jobs.job_retry(actor=actor(request), job_id=job_id)


@router.get("/{job_id}/file", response=answers({200: None}, 404, 409))
def job_file(request: HttpRequest, job_id: int) -> HttpResponse:
    """The file a finished job produced (409 while it runs or when it failed)."""
    content, name, content_type = jobs.job_file(actor=actor(request), job_id=job_id)
    response = HttpResponse(content, content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
