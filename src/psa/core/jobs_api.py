"""API for background jobs: follow one's progress, read its summary, download its file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from psa.core import jobs
from psa.core.api import actor
from psa.core.schemas import answers

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


@router.get("/{job_id}/file", response=answers({200: None}, 404, 409))
def job_file(request: HttpRequest, job_id: int) -> HttpResponse:
    """The file a finished job produced (409 while it runs or when it failed)."""
    content, name, content_type = jobs.job_file(actor=actor(request), job_id=job_id)
    response = HttpResponse(content, content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
