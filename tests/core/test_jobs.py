"""Background jobs: running once, progress while running, failures, who sees them, files,
the purge, the job page; heartbeats, a job whose worker stopped, and retries."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from psa import periodic
from psa.core import clock, jobs
from psa.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from psa.core.models import AuditEntry, Job
from psa.core.roles import SYSTEM, Actor, Role
from psa.people.models import Person
from tests.helpers import flash, unchanged

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


class Recorder:
    """A task that records what it was asked to run, without running it. Its module_path names
    RETRY_TASK, as a django-tasks Task names itself: a retry queues there."""

    module_path = f"{__name__}.RETRY_TASK"

    def __init__(self) -> None:
        self.queued: list[int] = []

    def enqueue(self, *, job_id: int) -> object:
        self.queued.append(job_id)
        return None


RETRY_TASK = Recorder()


@pytest.fixture(autouse=True)
def _retry_task_empty() -> Iterator[None]:
    RETRY_TASK.queued.clear()
    yield
    RETRY_TASK.queued.clear()


@pytest.fixture
def owner(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.DELIVERY_MANAGER)


def start(actor: Actor, task: Any = None) -> Job:
    return jobs.job_start(
        actor=actor, kind="test", title="A test job", params={"n": 3}, task=task or Recorder()
    )


def test_a_job_is_queued_for_its_owner(owner: Person, actor_of: Callable[[Person], Actor]) -> None:
    task = Recorder()
    job = start(actor_of(owner), task)
    assert task.queued == [job.pk]
    assert (job.user_id, job.status, job.percent, job.finished) == (
        owner.user_id,
        "queued",
        0,
        False,
    )


def test_the_system_cannot_own_a_job() -> None:
    with unchanged(), pytest.raises(PermissionDenied) as refused:
        start(SYSTEM)
    assert refused.value.message == jobs.ERR_NO_LOGIN


def test_a_run_reports_progress_while_it_works_then_stores_its_file(
    owner: Person, actor_of: Callable[[Person], Actor]
) -> None:
    job = start(actor_of(owner))
    seen: list[tuple[str, int, int, str]] = []

    def work(running: Job, progress: jobs.Progress) -> jobs.JobOutput:
        assert running.params == {"n": 3}
        for i in range(1, 4):
            progress(i, 3, f"step {i}")
            row = Job.objects.get(pk=job.pk)  # what a polling page reads meanwhile
            seen.append((row.status, row.done, row.total, row.stage))
        return jobs.JobOutput(
            result={"rows": 3},
            file=b"PK\x03\x04",
            file_name="out.zip",
            content_type="application/zip",
        )

    with clock.frozen(NOW):
        done = jobs.job_run(job.pk, work)
    assert seen == [("running", i, 3, f"step {i}") for i in range(1, 4)]
    assert done is not None
    assert (done.status, done.percent, done.result, done.finished_at) == (
        "done",
        100,
        {"rows": 3},
        NOW,
    )
    assert jobs.job_file(actor=actor_of(owner), job_id=job.pk) == (
        b"PK\x03\x04",
        "out.zip",
        "application/zip",
    )
    # a second delivery of the same task runs nothing
    assert jobs.job_run(job.pk, lambda j, p: pytest.fail("ran twice")) is None


def test_a_refusal_fails_the_job_with_its_message(
    owner: Person, actor_of: Callable[[Person], Actor]
) -> None:
    job = start(actor_of(owner))

    def work(running: Job, progress: jobs.Progress) -> jobs.JobOutput:
        raise ValidationFailed("quarter must be 1 to 4", field="quarter")

    failed = jobs.job_run(job.pk, work)
    assert failed is not None
    assert (failed.status, failed.error, failed.finished) == (
        "failed",
        "quarter must be 1 to 4",
        True,
    )
    with pytest.raises(Conflict) as exc:
        jobs.job_file(actor=actor_of(owner), job_id=job.pk)
    assert exc.value.message == jobs.ERR_NO_FILE.format(id=job.pk, status="failed")


def test_an_unexpected_error_fails_the_job_and_reaches_the_worker(
    owner: Person, actor_of: Callable[[Person], Actor]
) -> None:
    job = start(actor_of(owner))

    def work(running: Job, progress: jobs.Progress) -> jobs.JobOutput:
        raise KeyError("bug")

    with pytest.raises(KeyError):
        jobs.job_run(job.pk, work)
    row = Job.objects.get(pk=job.pk)
    assert (row.status, row.error) == ("failed", jobs.ERR_UNEXPECTED)


def test_only_the_owner_or_an_admin_sees_a_job(
    owner: Person, make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    job = start(actor_of(owner))
    other = actor_of(make_person(Role.DELIVERY_MANAGER))
    with pytest.raises(NotFound) as hidden:
        jobs.job_get(actor=other, job_id=job.pk)
    assert hidden.value.errors == [FieldError("job_id", jobs.ERR_NOT_FOUND.format(id=job.pk))]
    assert jobs.jobs_for(actor=other) == []
    admin = Actor(user_id=None, username="root", is_admin=True)
    assert jobs.job_get(actor=admin, job_id=job.pk) == job
    assert [j.pk for j in jobs.jobs_for(actor=actor_of(owner))] == [job.pk]


def test_finished_jobs_are_purged_after_a_week(
    owner: Person, actor_of: Callable[[Person], Actor]
) -> None:
    actor = actor_of(owner)
    old, recent, running = start(actor), start(actor), start(actor)
    Job.objects.filter(pk=old.pk).update(status="done", finished_at=NOW - dt.timedelta(days=8))
    Job.objects.filter(pk=recent.pk).update(status="failed", finished_at=NOW - dt.timedelta(days=6))
    Job.objects.filter(pk=running.pk).update(
        status="running", started_at=NOW - dt.timedelta(days=30)
    )
    assert jobs.jobs_purge(now=NOW) == 1
    assert sorted(Job.objects.values_list("pk", flat=True)) == sorted([recent.pk, running.pk])


# ------------------------------------------------------------------ API and pages


def test_api_reads_a_job_and_refuses_its_file_until_it_is_done(
    owner: Person,
    make_person: Callable[..., Person],
    actor_of: Callable[[Person], Actor],
    api_as: Callable[[Person], Client],
) -> None:
    job = start(actor_of(owner))
    body = api_as(owner).get(f"/api/v1/jobs/{job.pk}").json()
    assert (body["status"], body["file_url"], body["percent"]) == ("queued", None, 0)
    refused = api_as(owner).get(f"/api/v1/jobs/{job.pk}/file")
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    assert [j["id"] for j in api_as(owner).get("/api/v1/jobs").json()] == [job.pk]
    stranger = api_as(make_person(Role.PSE))
    assert stranger.get(f"/api/v1/jobs/{job.pk}").status_code == 404
    assert stranger.get(f"/api/v1/jobs/{job.pk}/file").status_code == 404
    assert stranger.get("/api/v1/jobs").json() == []


def test_the_job_page_polls_while_the_job_runs(
    owner: Person, actor_of: Callable[[Person], Actor], client: Client
) -> None:
    job = start(actor_of(owner))
    Job.objects.filter(pk=job.pk).update(status="running", done=40, total=160, stage="Writing")
    assert isinstance(owner.user, User)
    client.force_login(owner.user)
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert '<progress id="job-progress" max="100" value="25">' in html
    assert "Writing: 40 of 160" in html
    partial = client.get(f"/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert partial.lstrip().startswith('<div id="job-status"')
    assert "A test job" in client.get("/jobs/").content.decode()


# ------------------------------------------------------------------ heartbeats


def test_a_running_job_beats_with_each_progress_report(
    owner: Person, actor_of: Callable[[Person], Actor]
) -> None:
    job = start(actor_of(owner))
    beats: list[dt.datetime | None] = []

    def work(running: Job, progress: jobs.Progress) -> jobs.JobOutput:
        beats.append(Job.objects.get(pk=job.pk).heartbeat_at)  # from the start
        with clock.frozen(NOW + dt.timedelta(minutes=3)):
            progress(1, 2, "half")
        beats.append(Job.objects.get(pk=job.pk).heartbeat_at)
        return jobs.JobOutput()

    with clock.frozen(NOW):
        jobs.job_run(job.pk, work)
    assert beats == [NOW, NOW + dt.timedelta(minutes=3)]


def test_a_running_job_beats_without_progress_too(
    owner: Person,
    actor_of: Callable[[Person], Actor],
    transactional_db: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # committed rows (transactional_db): the heartbeat thread has its own connection
    monkeypatch.setattr(jobs, "HEARTBEAT_SECONDS", 0.05)
    job = start(actor_of(owner))
    seen: list[dt.datetime | None] = []

    def work(running: Job, progress: jobs.Progress) -> jobs.JobOutput:
        first = Job.objects.get(pk=job.pk).heartbeat_at
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # a long step that reports nothing
            beat = Job.objects.get(pk=job.pk).heartbeat_at
            if beat != first:
                seen.extend([first, beat])
                break
            time.sleep(0.05)
        return jobs.JobOutput()

    jobs.job_run(job.pk, work)
    for thread in threading.enumerate():
        if thread.name == f"job-{job.pk}-heartbeat":
            thread.join(timeout=5)
            assert not thread.is_alive()
    assert len(seen) == 2, "no heartbeat written while the work ran"
    first, later = seen
    assert first is not None
    assert later is not None
    assert later > first


@pytest.mark.parametrize(
    ("status", "heartbeat_ago", "started_ago", "stale"),
    [
        ("running", 301, 400, True),
        ("running", 300, 400, False),  # exactly the timeout: not yet
        ("running", 10, 4000, False),  # a long job that beats
        ("running", None, 301, True),  # from before heartbeats: counts from its start
        ("running", None, None, False),
        ("queued", 9999, 9999, False),
        ("done", 9999, 9999, False),
    ],
)
def test_is_stale(
    status: str, heartbeat_ago: int | None, started_ago: int | None, stale: bool
) -> None:
    def ago(seconds: int | None) -> dt.datetime | None:
        return None if seconds is None else NOW - dt.timedelta(seconds=seconds)

    job = Job(status=status, heartbeat_at=ago(heartbeat_ago), started_at=ago(started_ago))
    assert jobs.is_stale(job, now=NOW, timeout=dt.timedelta(seconds=300)) is stale


def running_since(job: Job, *, heartbeat: dt.datetime | None, started: dt.datetime) -> None:
    Job.objects.filter(pk=job.pk).update(
        status="running", started_at=started, heartbeat_at=heartbeat, done=2, total=5
    )


def test_the_periodic_runner_fails_the_jobs_whose_worker_stopped(
    owner: Person, actor_of: Callable[[Person], Actor], settings: Any
) -> None:
    assert settings.PSA_JOB_STALE_SECONDS == 300
    actor = actor_of(owner)
    lost, alive, legacy, queued = start(actor), start(actor), start(actor), start(actor)
    running_since(
        lost, heartbeat=NOW - dt.timedelta(seconds=301), started=NOW - dt.timedelta(hours=1)
    )
    running_since(
        alive, heartbeat=NOW - dt.timedelta(seconds=20), started=NOW - dt.timedelta(hours=1)
    )
    running_since(legacy, heartbeat=None, started=NOW - dt.timedelta(minutes=6))

    with clock.frozen(NOW):
        ran = periodic.run_once()
        again = periodic.run_once()

    assert ran["jobs whose worker stopped marked failed"] == 2
    assert again["jobs whose worker stopped marked failed"] == 0
    rows = {
        row["pk"]: row
        for row in Job.objects.values("pk", "status", "error", "finished_at", "done", "total")
    }
    for failed in (lost, legacy):
        assert rows[failed.pk] == {
            "pk": failed.pk,
            "status": "failed",
            "error": jobs.ERR_WORKER_STOPPED,
            "finished_at": NOW,
            "done": 2,
            "total": 5,
        }
    assert (rows[alive.pk]["status"], rows[alive.pk]["error"]) == ("running", "")
    assert (rows[queued.pk]["status"], rows[queued.pk]["finished_at"]) == ("queued", None)
    entries = AuditEntry.objects.filter(action="job.fail").order_by("id")
    assert [(e.target_id, e.actor_name, e.before, e.after, e.reason) for e in entries] == [
        (
            str(lost.pk),
            "system",
            {"status": "running", "error": ""},
            {"status": "failed", "error": jobs.ERR_WORKER_STOPPED},
            "no heartbeat for over 300 s (the last at 2026-11-25 08:54:59 UTC)",
        ),
        (
            str(legacy.pk),
            "system",
            {"status": "running", "error": ""},
            {"status": "failed", "error": jobs.ERR_WORKER_STOPPED},
            "no heartbeat for over 300 s (the last at 2026-11-25 08:54:00 UTC)",
        ),
    ]


def test_reading_a_job_whose_worker_stopped_shows_it_failed(
    owner: Person,
    actor_of: Callable[[Person], Actor],
    api_as: Callable[[Person], Client],
    client: Client,
) -> None:
    actor = actor_of(owner)
    by_api, by_list, by_page = start(actor), start(actor), start(actor)
    late = clock.now() - dt.timedelta(minutes=6)
    for job in (by_api, by_list, by_page):
        running_since(job, heartbeat=late, started=late)

    body = api_as(owner).get(f"/api/v1/jobs/{by_api.pk}").json()
    assert (body["status"], body["error"]) == ("failed", jobs.ERR_WORKER_STOPPED)

    listed = {j["id"]: j["status"] for j in api_as(owner).get("/api/v1/jobs").json()}
    assert listed == {by_api.pk: "failed", by_list.pk: "failed", by_page.pk: "failed"}

    Job.objects.filter(pk=by_page.pk).update(status="running", error="", finished_at=None)
    assert isinstance(owner.user, User)
    client.force_login(owner.user)
    html = client.get(f"/jobs/{by_page.pk}/").content.decode()
    assert jobs.ERR_WORKER_STOPPED in html
    assert 'hx-trigger="every 1s"' not in html  # no longer polls
    assert '<button type="submit" id="job-retry">Retry</button>' in html


# ------------------------------------------------------------------ retry


def failed_job(actor: Actor) -> Job:
    job = start(actor)

    def work(running: Job, progress: jobs.Progress) -> jobs.JobOutput:
        raise ValidationFailed("GitLab said no", field="group")

    jobs.job_run(job.pk, work)
    return Job.objects.get(pk=job.pk)


def test_a_failed_job_is_retried_as_a_new_job_of_its_owner(
    owner: Person,
    actor_of: Callable[[Person], Actor],
    django_capture_on_commit_callbacks: Any,
) -> None:
    old = failed_job(actor_of(owner))
    with clock.frozen(NOW), django_capture_on_commit_callbacks(execute=True):
        retry = jobs.job_retry(actor=actor_of(owner), job_id=old.pk)

    assert RETRY_TASK.queued == [retry.pk]
    assert (
        retry.user_id,
        retry.kind,
        retry.title,
        retry.params,
        retry.task,
        retry.retry_of_id,
        retry.status,
        retry.created_at,
    ) == (
        owner.user_id,
        "test",
        "A test job",
        {"n": 3},
        Recorder.module_path,
        old.pk,
        "queued",
        NOW,
    )
    # the failed job stays as it was
    assert Job.objects.filter(pk=old.pk).values("status", "error").get() == {
        "status": "failed",
        "error": "GitLab said no",
    }
    assert jobs.job_retried_as(job=old) == retry
    entry = AuditEntry.objects.get(action="job.retry")
    assert (entry.actor_name, entry.target_id, entry.after) == (
        owner.user.username if owner.user else "",
        str(retry.pk),
        {"retry_of": old.pk, "kind": "test", "params": {"n": 3}},
    )


def test_an_admin_retries_anyones_job_and_it_stays_the_owners(
    owner: Person,
    actor_of: Callable[[Person], Actor],
    django_capture_on_commit_callbacks: Any,
) -> None:
    old = failed_job(actor_of(owner))
    admin = User.objects.create_superuser("root", "root@example.com", "pw-root-2026")
    admin_actor = Actor(user_id=admin.pk, username="root", is_admin=True)
    with django_capture_on_commit_callbacks(execute=True):
        retry = jobs.job_retry(actor=admin_actor, job_id=old.pk)
    assert (retry.user_id, RETRY_TASK.queued) == (owner.user_id, [retry.pk])
    assert AuditEntry.objects.get(action="job.retry").actor_name == "root"


def test_the_api_retries_a_failed_job(
    owner: Person,
    actor_of: Callable[[Person], Actor],
    api_as: Callable[[Person], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    old = failed_job(actor_of(owner))
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(owner).post(f"/api/v1/jobs/{old.pk}/retry")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["retry_of"], body["kind"], body["error"]) == (
        "queued",
        old.pk,
        "test",
        "",
    )
    assert RETRY_TASK.queued == [body["id"]]


def _refusal(case: str, owner: Person, other: Person, actor_of: Callable[..., Actor]) -> Job:
    """A job that `case` may not retry."""
    actor = actor_of(owner)
    if case == "queued":
        return start(actor)
    if case in ("running", "done"):
        job = start(actor)
        Job.objects.filter(pk=job.pk).update(
            status=case, started_at=clock.now(), heartbeat_at=clock.now()
        )
        return job
    job = failed_job(actor)
    if case == "retried already":
        assert owner.user_id is not None
        Job.objects.create(
            user_id=owner.user_id, kind="test", title="x", retry_of=job, created_at=clock.now()
        )
    if case == "no task recorded":
        Job.objects.filter(pk=job.pk).update(task="")
    if case == "task gone":
        Job.objects.filter(pk=job.pk).update(task="psa.no_such_module.task")
    return job


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("queued", 409, jobs.ERR_NOT_FAILED.format(id="{id}", status="queued")),
        ("running", 409, jobs.ERR_NOT_FAILED.format(id="{id}", status="running")),
        ("done", 409, jobs.ERR_NOT_FAILED.format(id="{id}", status="done")),
        ("retried already", 409, jobs.ERR_RETRIED.format(id="{id}", retry="{retry}")),
        ("no task recorded", 409, jobs.ERR_NO_TASK),
        ("task gone", 409, jobs.ERR_NO_TASK),
        ("someone else's", 404, jobs.ERR_NOT_FOUND),
    ],
)
def test_a_refused_retry_changes_nothing(
    case: str,
    status: int,
    message: str,
    owner: Person,
    make_person: Callable[..., Person],
    actor_of: Callable[[Person], Actor],
    api_as: Callable[[Person], Client],
    django_capture_on_commit_callbacks: Any,
) -> None:
    other = make_person(Role.DELIVERY_MANAGER)
    job = _refusal(case, owner, other, actor_of)
    caller = other if case == "someone else's" else owner
    client = api_as(caller)
    before = list(Job.objects.order_by("pk").values())
    audit_before = AuditEntry.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/jobs/{job.pk}/retry")

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    retry = Job.objects.filter(retry_of=job).values_list("pk", flat=True).first()
    assert response.json()["detail"] == message.format(id=job.pk, retry=retry)
    assert list(Job.objects.order_by("pk").values()) == before
    assert AuditEntry.objects.count() == audit_before
    assert RETRY_TASK.queued == []


def test_the_job_page_retries_a_failed_job_once(
    owner: Person,
    actor_of: Callable[[Person], Actor],
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    old = failed_job(actor_of(owner))
    assert isinstance(owner.user, User)
    client.force_login(owner.user)
    assert 'id="job-retry"' in client.get(f"/jobs/{old.pk}/").content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/jobs/{old.pk}/retry/")
    retry = Job.objects.get(retry_of=old)
    assert (response.status_code, response["Location"]) == (302, f"/jobs/{retry.pk}/")
    page = client.get(f"/jobs/{retry.pk}/").content.decode()
    assert "Queued again." in page
    assert f'A retry of <a href="/jobs/{old.pk}/">job {old.pk}</a>' in page
    html = client.get(f"/jobs/{old.pk}/").content.decode()
    assert f'Retried as <a href="/jobs/{retry.pk}/">job {retry.pk}</a> (queued)' in html
    assert 'id="job-retry"' not in html

    # a second press (another tab): refused, nothing queued
    with unchanged():
        again = client.post(f"/jobs/{old.pk}/retry/")
    assert again.status_code == 409
    message = jobs.ERR_RETRIED.format(id=old.pk, retry=retry.pk)
    assert flash(message) in again.content.decode()
    assert RETRY_TASK.queued == [retry.pk]


def test_a_done_job_has_no_retry_button(
    owner: Person, actor_of: Callable[[Person], Actor], client: Client
) -> None:
    job = start(actor_of(owner))
    jobs.job_run(job.pk, lambda j, p: jobs.JobOutput(result={"rows": 1}))
    assert isinstance(owner.user, User)
    client.force_login(owner.user)
    assert 'id="job-retry"' not in client.get(f"/jobs/{job.pk}/").content.decode()


def test_sqlite_statistics_are_written_once_then_kept_fresh(db: None) -> None:
    from django.db import connection

    from psa.core import database

    if connection.vendor != "sqlite":
        assert database.statistics_refresh() == 0  # PostgreSQL's autovacuum keeps its own
        return
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS sqlite_stat1")
    assert (database.statistics_refresh(), database.statistics_refresh()) == (1, 0)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sqlite_stat1")
        assert cursor.fetchone()[0] > 0
