"""Background jobs that a user starts and follows: a job row records the request, its progress
while the worker runs it, and the file or summary it produced. Only the user who started a job
(or a superuser) sees it. Finished jobs are purged after `KEEP_DAYS` by the periodic runner.

A task runs its work through `job_run`, which marks the job running, passes a progress callback,
stores what the work returns, and turns a refusal (a DomainError) into a failed job with its
message. Progress is written in its own short statements, so a page polling the job sees it
while the work goes on.

A worker that dies (killed, out of memory, the machine restarted) cannot mark its job: the job
would read "running" for ever. So a running job beats: `heartbeat_at` is written with each
progress report and, from a thread beside the work, every HEARTBEAT_SECONDS. A running job
whose heartbeat is older than PSA_JOB_STALE_SECONDS is marked failed (ERR_WORKER_STOPPED) by
the periodic runner and whenever it is read. A failed job can be retried: a new job of the
same owner, kind and parameters, linked to the failed one, which keeps its error."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import Q, QuerySet
from django.utils.module_loading import import_string

from psa.core import audit, clock
from psa.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from psa.core.models import Job
from psa.core.roles import SYSTEM, Actor

log = logging.getLogger(__name__)

KEEP_DAYS = 7
ERR_NOT_FOUND = "job {id} does not exist"
ERR_NO_FILE = "job {id} has no file: it is {status}"
ERR_NO_LOGIN = "only a signed-in user can start a job"
ERR_UNEXPECTED = "an unexpected error stopped this job; the worker's log has the details"
ERR_WORKER_STOPPED = "the worker stopped while this job ran"
ERR_NOT_FAILED = "job {id} is {status}: only a failed job can be retried"
ERR_RETRIED = "job {id} was retried already, as job {retry}"
ERR_NO_TASK = (
    "job {id} cannot be retried: it does not record how to run it again (it was started before "
    "retries existed, or its kind is gone); start it anew"
)

# Well under PSA_JOB_STALE_SECONDS (settings require at least 60): a live job beats several
# times within the timeout, so one slow write does not make it look dead.
HEARTBEAT_SECONDS = 30.0

Progress = Callable[[int, int, str], None]  # (done, total, stage)
# How a finished job of a kind shows its result on the job page (a template of the domain that
# runs it, registered by its app); other kinds show the result's keys and values.
RESULT_TEMPLATES: dict[str, str] = {}
Status = Job.Status


@dataclass(frozen=True)
class JobOutput:
    """What a job's work produced: a JSON-able summary and/or one file."""

    result: dict[str, Any] | None = None
    file: bytes | None = None
    file_name: str = ""
    content_type: str = ""


class JobTask(Protocol):
    """A task that takes the job's id (see psa.timetracking.tasks): a django-tasks Task, whose
    module_path names it for a retry."""

    @property
    def module_path(self) -> str: ...

    def enqueue(self, *, job_id: int) -> object: ...


def job_start(
    *,
    actor: Actor,
    kind: str,
    title: str,
    params: dict[str, Any],
    task: JobTask,
    file: bytes | None = None,
    file_name: str = "",
    content_type: str = "",
) -> Job:
    """Record a job owned by the actor's login and queue its task. `file`: what the job works
    on (an uploaded spreadsheet), kept on the job (a retry works on it again) unless its work
    produces a file of its own."""
    if actor.user_id is None:
        raise PermissionDenied(ERR_NO_LOGIN)
    job = Job.objects.create(
        user_id=actor.user_id,
        kind=kind,
        title=title[:200],
        params=params,
        task=task.module_path,
        file=file,
        file_name=file_name[:200] if file is not None else "",
        content_type=content_type[:100] if file is not None else "",
        created_at=clock.now(),
    )
    task.enqueue(job_id=job.pk)
    # An immediate task backend (the tests, a single-process set-up) has run it already.
    return Job.objects.defer("file").get(pk=job.pk)


class _Heartbeat(threading.Thread):
    """Writes a running job's heartbeat every HEARTBEAT_SECONDS, also while its work reports no
    progress (one long query, a slow remote API). It dies with the worker, which is the point."""

    def __init__(self, job_id: int) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.job_id = job_id
        self.every = HEARTBEAT_SECONDS
        self.done = threading.Event()

    def run(self) -> None:
        try:
            while not self.done.wait(self.every):
                try:
                    Job.objects.filter(pk=self.job_id, status=Status.RUNNING).update(
                        heartbeat_at=clock.now()
                    )
                except DatabaseError:
                    # SQLite busy past its timeout, a dropped connection: the next beat tries
                    # again, and several must fail in a row before the job looks stale.
                    log.warning("job %s: heartbeat not written", self.job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's own connections

    def stop(self) -> None:
        self.done.set()


def job_run(job_id: int, work: Callable[[Job, Progress], JobOutput]) -> Job | None:
    """Run a queued job's work once (a second delivery of the same task does nothing)."""
    now = clock.now()
    started = Job.objects.filter(pk=job_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now
    )
    if not started:
        return None
    job = Job.objects.defer("file").get(pk=job_id)

    def progress(done: int, total: int, stage: str = "") -> None:
        Job.objects.filter(pk=job_id).update(
            done=done, total=total, stage=stage[:100], heartbeat_at=clock.now()
        )

    heartbeat = _Heartbeat(job_id)
    heartbeat.start()
    try:
        output = work(job, progress)
    except DomainError as exc:
        _finish(job_id, status=Status.FAILED, error=exc.message)
    except Exception:
        log.exception("job %s (%s) failed", job_id, job.kind)
        _finish(job_id, status=Status.FAILED, error=ERR_UNEXPECTED)
        raise
    else:
        produced: dict[str, Any] = {}
        if output.file is not None:  # else the file it worked on, if any, stays
            produced = {
                "file": output.file,
                "file_name": output.file_name,
                "content_type": output.content_type,
            }
        _finish(
            job_id,
            status=Status.DONE,
            error="",  # a job marked stale that finished after all: it did finish
            result=output.result,
            **produced,
        )
    finally:
        # Not joined: a beat waiting on a lock must not hold up the worker; it stops after it.
        heartbeat.stop()
    return Job.objects.defer("file").get(pk=job_id)


def _finish(job_id: int, **fields: Any) -> None:
    Job.objects.filter(pk=job_id).update(finished_at=clock.now(), **fields)


def _visible(actor: Actor) -> QuerySet[Job]:
    jobs = Job.objects.defer("file")
    if actor.is_admin:
        return jobs
    return jobs.filter(user_id=actor.user_id) if actor.user_id is not None else jobs.none()


def is_stale(job: Job, *, now: dt.datetime, timeout: dt.timedelta) -> bool:
    """Whether a job reads "running" but its worker has not been heard of for `timeout`. A job
    from before heartbeats counts from its start."""
    last = job.heartbeat_at or job.started_at
    return job.status == Status.RUNNING and last is not None and now - last > timeout


def _stale_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.PSA_JOB_STALE_SECONDS)


def _stale(jobs: QuerySet[Job], now: dt.datetime) -> QuerySet[Job]:
    """The query form of is_stale."""
    cutoff = now - _stale_timeout()
    return jobs.filter(status=Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff)
    )


def jobs_fail_stale(*, now: dt.datetime | None = None, job_ids: list[int] | None = None) -> int:
    """Mark failed (ERR_WORKER_STOPPED) every running job whose worker stopped, or those of
    `job_ids`; each with an audit entry by the system. Returns how many."""
    now = now or clock.now()
    candidates = _stale(Job.objects.all(), now)
    if job_ids is not None:
        candidates = candidates.filter(pk__in=job_ids)
    # A plain read first: the usual answer is "none", and then no write lock is taken at all.
    ids = list(candidates.values_list("pk", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        # A row locked right now is being written by its worker (progress inside the work's
        # own transaction): alive, so skipped rather than waited for. (SQLite has no row locks;
        # its IMMEDIATE transactions already serialise writers.)
        lost = list(
            _stale(Job.objects.filter(pk__in=ids), now)
            .select_for_update(skip_locked=True)
            .only("pk", "title", "status", "error", "started_at", "heartbeat_at")
            .order_by("pk")
        )
        Job.objects.filter(pk__in=[job.pk for job in lost]).update(
            status=Status.FAILED, error=ERR_WORKER_STOPPED, finished_at=now
        )
        for job in lost:
            last = job.heartbeat_at or job.started_at
            audit.record(
                actor=SYSTEM,
                action="job.fail",
                target=job,
                before={"status": job.status, "error": job.error},
                after={"status": Status.FAILED, "error": ERR_WORKER_STOPPED},
                reason=f"no heartbeat for over {settings.PSA_JOB_STALE_SECONDS} s "
                f"(the last at {last:%Y-%m-%d %H:%M:%S} UTC)",
            )
    return len(lost)


def _fail_stale_on_read(jobs: list[Job]) -> bool:
    """Mark the stale ones of jobs about to be shown; whether any was. A failure to write (a
    locked SQLite database) leaves them for the periodic runner rather than failing the read."""
    now = clock.now()
    stale = [job.pk for job in jobs if is_stale(job, now=now, timeout=_stale_timeout())]
    if not stale:
        return False
    try:
        return jobs_fail_stale(now=now, job_ids=stale) > 0
    except DatabaseError:
        log.warning("stale jobs %s not marked failed on read", stale, exc_info=True)
        return False


def job_get(*, actor: Actor, job_id: int) -> Job:
    """A job of the actor's (an admin sees every job); anyone else's reads as missing. A job
    whose worker stopped reads as failed."""
    job = _visible(actor).filter(pk=job_id).first()
    if job is None:
        raise NotFound(ERR_NOT_FOUND.format(id=job_id), field="job_id")
    if _fail_stale_on_read([job]):
        job = _visible(actor).get(pk=job_id)
    return job


def _task_of(job: Job) -> JobTask:
    """The task a job's `task` path names (recorded by job_start, so never user input)."""
    try:
        task = import_string(job.task) if job.task else None
    except ImportError:
        task = None
    if task is None or not callable(getattr(task, "enqueue", None)):
        raise Conflict(ERR_NO_TASK.format(id=job.pk), field="job_id")
    return cast(JobTask, task)


def job_retry(*, actor: Actor, job_id: int) -> Job:
    """Queue a failed job again: a new job for the same owner (their rights apply when it runs,
    as for the first), with the same kind, title and parameters, linked by `retry_of`. The
    failed job stays as it was, error included. Its owner or an admin may; a job can be retried
    once (retry the retry if that fails too), so a double click queues one job, not two."""
    job_get(actor=actor, job_id=job_id)  # anyone else's reads as missing; a stale one fails now
    with transaction.atomic():
        job = Job.objects.select_for_update().defer("file").get(pk=job_id)
        if job.status != Status.FAILED:
            raise Conflict(
                ERR_NOT_FAILED.format(id=job.pk, status=job.get_status_display().lower()),
                field="status",
            )
        if earlier := Job.objects.filter(retry_of=job).values_list("pk", flat=True).first():
            raise Conflict(ERR_RETRIED.format(id=job.pk, retry=earlier), field="job_id")
        task = _task_of(job)
        # A failed job produced no file: any it holds is what it worked on, for the retry too.
        held = Job.objects.filter(pk=job.pk).values_list("file", flat=True).get()
        retry = Job.objects.create(
            user_id=job.user_id,
            kind=job.kind,
            title=job.title,
            params=job.params,
            task=job.task,
            retry_of=job,
            file=held,
            file_name=job.file_name if held is not None else "",
            content_type=job.content_type if held is not None else "",
            created_at=clock.now(),
        )
        audit.record(
            actor=actor,
            action="job.retry",
            target=retry,
            after={"retry_of": job.pk, "kind": job.kind, "params": job.params},
        )
        transaction.on_commit(lambda: task.enqueue(job_id=retry.pk))
    # An immediate task backend has run it already.
    return Job.objects.defer("file").get(pk=retry.pk)


def job_file(*, actor: Actor, job_id: int) -> tuple[bytes, str, str]:
    """(content, file name, content type) of a finished job's file."""
    job = job_get(actor=actor, job_id=job_id)
    if job.status != Status.DONE or not job.file_name:
        raise Conflict(ERR_NO_FILE.format(id=job_id, status=job.get_status_display().lower()))
    content = Job.objects.filter(pk=job_id).values_list("file", flat=True).get()
    return bytes(content or b""), job.file_name, job.content_type


def job_input(*, job: Job) -> bytes:
    """The file a job works on (job_start's `file`), for its task."""
    content = Job.objects.filter(pk=job.pk).values_list("file", flat=True).get()
    return bytes(content or b"")


def job_retried_as(*, job: Job) -> Job | None:
    """The job that retried this one, if any (same owner, so visible to whoever sees this)."""
    return Job.objects.defer("file").filter(retry_of=job).first()


def jobs_for(*, actor: Actor, limit: int = 50) -> list[Job]:
    """The actor's own jobs, newest first; those whose worker stopped read as failed."""
    if actor.user_id is None:
        return []
    mine = Job.objects.defer("file").filter(user_id=actor.user_id)
    jobs = list(mine[:limit])
    if _fail_stale_on_read(jobs):
        jobs = list(mine[:limit])
    return jobs


def jobs_purge(*, now: dt.datetime | None = None) -> int:
    """Delete finished jobs (and their files) older than KEEP_DAYS; returns how many."""
    cutoff = (now or clock.now()) - dt.timedelta(days=KEEP_DAYS)
    deleted, _ = Job.objects.filter(
        status__in=[Status.DONE, Status.FAILED], finished_at__lt=cutoff
    ).delete()
    return deleted


# ------------------------------------------------------------------ a file checked, then imported

ERR_NOT_A_CHECK = "job {id} is not the check of a file to import"
ERR_CHECK_NOT_DONE = "the check of {name} has not finished ({status})"
ERR_CHECK_FAILED = "the check of {name} found bad rows ({count}): fix the file and check it again"
ERR_ALREADY_CONFIRMED = "{name} is being imported already: job {id}"


def job_check_confirm(*, actor: Actor, job_id: int, kind: str, title: str, task: JobTask) -> Job:
    """Import the file that a finished, clean check holds, as a new job of the same kind. The
    check is a job of `kind` with `dry_run` in its params and `bad_rows` in its result; the
    import runs with `dry_run` false and `checked` naming the check, and checks every rule
    again when it runs (the database may have changed since). Once per check, under a lock on
    it, so two presses of the button start one import. `title` may name the file: {name}."""
    check = job_get(actor=actor, job_id=job_id)
    if check.kind != kind or not check.params.get("dry_run"):
        raise Conflict(ERR_NOT_A_CHECK.format(id=job_id), field="job_id")
    if check.status != Job.Status.DONE:
        status = check.get_status_display().lower()
        raise Conflict(
            ERR_CHECK_NOT_DONE.format(name=check.file_name, status=status), field="job_id"
        )
    bad = (check.result or {}).get("bad_rows", 0)
    if bad:
        raise Conflict(ERR_CHECK_FAILED.format(name=check.file_name, count=bad), field="job_id")
    with transaction.atomic():
        Job.objects.select_for_update().filter(pk=check.pk).values_list("pk").get()
        earlier = Job.objects.filter(kind=kind, params__checked=check.pk).values_list(
            "pk", flat=True
        )
        if earlier:
            raise Conflict(
                ERR_ALREADY_CONFIRMED.format(name=check.file_name, id=earlier[0]), field="job_id"
            )
        return job_start(
            actor=actor,
            kind=kind,
            title=title.format(name=check.file_name),
            params={**check.params, "dry_run": False, "checked": check.pk},
            task=task,
            file=job_input(job=check),
            file_name=check.file_name,
            content_type=check.content_type,
        )
