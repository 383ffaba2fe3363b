"""Background jobs: running once, progress while running, failures, who sees them, files,
the purge, and the job page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from psa.core import clock, jobs
from psa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from psa.core.models import Job
from psa.core.roles import SYSTEM, Actor, Role
from psa.people.models import Person

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


class Recorder:
    """A task that records what it was asked to run, without running it."""

    def __init__(self) -> None:
        self.queued: list[int] = []

    def enqueue(self, *, job_id: int) -> object:
        self.queued.append(job_id)
        return None


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
    with pytest.raises(PermissionDenied):
        start(SYSTEM)
    assert not Job.objects.exists()


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
    assert exc.value.message == f"job {job.pk} has no file: it is failed"


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
    with pytest.raises(NotFound):
        jobs.job_get(actor=other, job_id=job.pk)
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
