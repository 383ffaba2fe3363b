"""Background jobs that a user starts and follows: a job row records the request, its progress
while the worker runs it, and the file or summary it produced. Only the user who started a job
(or a superuser) sees it. Finished jobs are purged after `KEEP_DAYS` by the periodic runner.

A task runs its work through `job_run`, which marks the job running, passes a progress callback,
stores what the work returns, and turns a refusal (a DomainError) into a failed job with its
message. Progress is written in its own short statements, so a page polling the job sees it
while the work goes on."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.db.models import QuerySet

from psa.core import clock
from psa.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from psa.core.models import Job
from psa.core.roles import Actor

log = logging.getLogger(__name__)

KEEP_DAYS = 7
ERR_NOT_FOUND = "job {id} does not exist"
ERR_NO_FILE = "job {id} has no file: it is {status}"
ERR_NO_LOGIN = "only a signed-in user can start a job"
ERR_UNEXPECTED = "an unexpected error stopped this job; the worker's log has the details"

Progress = Callable[[int, int, str], None]  # (done, total, stage)
Status = Job.Status


@dataclass(frozen=True)
class JobOutput:
    """What a job's work produced: a JSON-able summary and/or one file."""

    result: dict[str, Any] | None = None
    file: bytes | None = None
    file_name: str = ""
    content_type: str = ""


class JobTask(Protocol):
    """A task that takes the job's id (see psa.timetracking.tasks)."""

    def enqueue(self, *, job_id: int) -> object: ...


def job_start(*, actor: Actor, kind: str, title: str, params: dict[str, Any], task: JobTask) -> Job:
    """Record a job owned by the actor's login and queue its task."""
    if actor.user_id is None:
        raise PermissionDenied(ERR_NO_LOGIN)
    job = Job.objects.create(
        user_id=actor.user_id, kind=kind, title=title[:200], params=params, created_at=clock.now()
    )
    task.enqueue(job_id=job.pk)
    # An immediate task backend (the tests, a single-process set-up) has run it already.
    return Job.objects.defer("file").get(pk=job.pk)


def job_run(job_id: int, work: Callable[[Job, Progress], JobOutput]) -> Job | None:
    """Run a queued job's work once (a second delivery of the same task does nothing)."""
    started = Job.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=clock.now()
    )
    if not started:
        return None
    job = Job.objects.defer("file").get(pk=job_id)

    def progress(done: int, total: int, stage: str = "") -> None:
        Job.objects.filter(pk=job_id).update(done=done, total=total, stage=stage[:100])

    try:
        output = work(job, progress)
    except DomainError as exc:
        _finish(job_id, status=Status.FAILED, error=exc.message)
    except Exception:
        log.exception("job %s (%s) failed", job_id, job.kind)
        _finish(job_id, status=Status.FAILED, error=ERR_UNEXPECTED)
        raise
    else:
        _finish(
            job_id,
            status=Status.DONE,
            result=output.result,
            file=output.file,
            file_name=output.file_name,
            content_type=output.content_type,
        )
    return Job.objects.defer("file").get(pk=job_id)


def _finish(job_id: int, **fields: Any) -> None:
    Job.objects.filter(pk=job_id).update(finished_at=clock.now(), **fields)


def _visible(actor: Actor) -> QuerySet[Job]:
    jobs = Job.objects.defer("file")
    if actor.is_admin:
        return jobs
    return jobs.filter(user_id=actor.user_id) if actor.user_id is not None else jobs.none()


def job_get(*, actor: Actor, job_id: int) -> Job:
    """A job of the actor's (an admin sees every job); anyone else's reads as missing."""
    job = _visible(actor).filter(pk=job_id).first()
    if job is None:
        raise NotFound(ERR_NOT_FOUND.format(id=job_id), field="job_id")
    return job


def job_file(*, actor: Actor, job_id: int) -> tuple[bytes, str, str]:
    """(content, file name, content type) of a finished job's file."""
    job = job_get(actor=actor, job_id=job_id)
    if job.status != Status.DONE or not job.file_name:
        raise Conflict(ERR_NO_FILE.format(id=job_id, status=job.get_status_display().lower()))
    content = Job.objects.filter(pk=job_id).values_list("file", flat=True).get()
    return bytes(content or b""), job.file_name, job.content_type


def jobs_for(*, actor: Actor, limit: int = 50) -> list[Job]:
    """The actor's own jobs, newest first."""
    if actor.user_id is None:
        return []
    return list(Job.objects.defer("file").filter(user_id=actor.user_id)[:limit])


def jobs_purge(*, now: dt.datetime | None = None) -> int:
    """Delete finished jobs (and their files) older than KEEP_DAYS; returns how many."""
    cutoff = (now or clock.now()) - dt.timedelta(days=KEEP_DAYS)
    deleted, _ = Job.objects.filter(
        status__in=[Status.DONE, Status.FAILED], finished_at__lt=cutoff
    ).delete()
    return deleted
