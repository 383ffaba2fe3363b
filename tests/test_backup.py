"""`psa backup` / `psa restore`: every table round-trips with its ids, refusals change nothing.

These tests commit (transactional_db): restore runs its own transaction, and PostgreSQL checks
deferred foreign keys and sequences only on commit.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import models
from django.test import Client
from django_tasks import task

from psa import backup, demo
from psa.core import audit, clock
from psa.core.errors import Conflict, ValidationFailed
from psa.core.roles import SYSTEM
from psa.engagements import services as engagement_services
from psa.engagements.models import Customer
from psa.people.models import Person

pytestmark = pytest.mark.usefixtures("transactional_db")

Contents = dict[str, list[tuple[Any, ...]]]
FILLED_APPS = {
    "auth",
    "contenttypes",
    "sessions",
    "django_tasks_database",
    "axes",
    "core",
    "people",
    "engagements",
    "scheduling",
    "timetracking",
}


@task()
def noop_task(value: int) -> int:
    """A task whose queued result gives the task results table a row."""
    return value


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_in_the_database(settings: Any) -> None:
    # The default backend, so queued task results are a table to back up.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def all_models() -> list[type[models.Model]]:
    return [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    ]


def contents() -> Contents:
    """Every row of every table, every column, in primary-key order."""
    out: Contents = {}
    for model in all_models():
        names = [f.attname for f in model._meta.concrete_fields]
        out[model._meta.label_lower] = list(model._base_manager.order_by("pk").values_list(*names))
    return out


def fill_every_table() -> None:
    """The small demo set, plus a row in each table the demo leaves empty."""
    demo.load_small()
    priya = User.objects.get(username="priya.raman")
    group = Group.objects.create(name="Schedulers")
    permission = Permission.objects.get(codename="change_person")
    group.permissions.add(permission)
    priya.groups.add(group)
    priya.user_permissions.add(Permission.objects.get(codename="view_engagement"))
    # Sign-in throttling and sessions, the way they really happen.
    Client().post("/login/", {"username": "nobody", "password": "wrong"})
    signed_in = Client().post(
        "/login/", {"username": "priya.raman", "password": demo.DEMO_PASSWORD}
    )
    assert signed_in.status_code == 302
    session = SessionStore()
    session["note"] = "kept"
    session.create()
    from axes.models import AccessAttempt, AccessAttemptExpiration, AccessFailureLog, AccessLog

    if not AccessAttempt.objects.exists():
        AccessAttempt.objects.create(
            username="nobody",
            ip_address="127.0.0.1",
            user_agent="test",
            http_accept="*/*",
            path_info="/login/",
            get_data="",
            post_data="",
            failures_since_start=1,
        )
    if not AccessFailureLog.objects.exists():
        AccessFailureLog.objects.create(
            username="nobody",
            ip_address="127.0.0.1",
            user_agent="test",
            http_accept="*/*",
            path_info="/login/",
        )
    if not AccessLog.objects.exists():
        AccessLog.objects.create(
            username="priya.raman",
            ip_address="::1",
            user_agent="test",
            http_accept="*/*",
            path_info="/login/",
        )
    if not AccessAttemptExpiration.objects.exists():
        AccessAttemptExpiration.objects.create(
            access_attempt=AccessAttempt.objects.first(),
            expires_at=clock.now() + dt.timedelta(minutes=15),
        )
    noop_task.enqueue(7)
    from psa.core import tokens

    tokens.token_create(actor=SYSTEM, user=priya, name="laptop")
    from psa.core.models import Job

    Job.objects.create(  # binary content must survive the trip byte for byte
        user=priya,
        kind="time.team_reports",
        title="Hours reports",
        params={"year": 2027, "quarter": 4, "manager_id": None},
        status=Job.Status.DONE,
        done=3,
        total=3,
        result={"people": 1},
        file=bytes(range(256)),
        file_name="hours.zip",
        content_type="application/zip",
        created_at=clock.now(),
        finished_at=clock.now(),
    )


@pytest.fixture
def filled() -> Contents:
    fill_every_table()
    return contents()


@pytest.fixture
def saved(filled: Contents, tmp_path: Path) -> Path:
    path = tmp_path / "psa.backup"
    assert backup.backup(path, progress=lambda _: None) == sum(len(r) for r in filled.values())
    return path


def flush() -> None:
    call_command("flush", interactive=False, verbosity=0)


def rewrite(path: Path, change: Callable[[list[Any]], list[Any]]) -> Path:
    """A copy of a backup with its lines changed and its checksum recomputed: well-formed,
    so only the check under test can refuse it."""
    with gzip.open(path, "rb") as f:
        items = [json.loads(line) for line in f]
    body, footer = change(items[:-1]), items[-1]
    data = b"".join((json.dumps(i) + "\n").encode() for i in body)
    footer["end"]["sha256"] = hashlib.sha256(data).hexdigest()
    out = path.with_suffix(".changed")
    with gzip.open(out, "wb") as f:
        f.write(data + (json.dumps(footer) + "\n").encode())
    return out


# ------------------------------------------------------------------ round trip


def test_every_table_round_trips_with_its_ids(filled: Contents, saved: Path) -> None:
    # given: rows in every table of these apps (other apps' tables round-trip too, with what
    # the demo set puts in them)
    assert [
        label for label, rows in filled.items() if not rows and label.split(".")[0] in FILLED_APPS
    ] == []
    flush()

    # when
    count = backup.restore(saved, progress=lambda _: None)

    # then: same rows, same ids, same values, in every table; the generation tokens alone are
    # new, so that no web worker serves a list it cached before the restore
    assert count == sum(len(rows) for rows in filled.values())
    after = contents()
    for label, rows in filled.items():
        assert len(after[label]) == len(rows), label
        if label == "core.generation":
            assert [name for name, _ in after[label]] == [name for name, _ in rows]
            assert not set(after[label]) & set(rows)
            continue
        assert after[label] == rows, label
    assert audit.verify_chain() == (len(filled["core.auditentry"]), [])


def test_new_rows_after_restore_get_fresh_ids(filled: Contents, saved: Path) -> None:
    flush()
    backup.restore(saved, progress=lambda _: None)
    highest_customer = max(row[0] for row in filled["engagements.customer"])
    highest_audit = max(row[0] for row in filled["core.auditentry"])

    customer = engagement_services.customer_create(actor=SYSTEM, name="New After Restore")

    assert customer.pk > highest_customer
    entry = audit.audit_list(actor=SYSTEM, limit=1)[0]
    assert entry.pk > highest_audit
    assert entry.target_id == str(customer.pk)
    assert audit.verify_chain() == (len(filled["core.auditentry"]) + 1, [])
    group = Group.objects.create(name="After")
    assert group.pk > max(row[0] for row in filled["auth.group"])


def test_restore_from_a_fresh_migrate_replaces_content_types(saved: Path) -> None:
    # given: a database that only holds what `migrate` creates, with other ids
    flush()
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.all().delete()
    call_command("migrate", interactive=False, verbosity=0)  # re-creates them with new ids

    backup.restore(saved, progress=lambda _: None)

    person_type = ContentType.objects.get_for_model(Person)
    assert Permission.objects.get(codename="change_person").content_type_id == person_type.pk


# ------------------------------------------------------------------ refusals change nothing


def test_restore_into_a_database_with_data_is_refused(filled: Contents, saved: Path) -> None:
    with pytest.raises(Conflict, match="already holds data.*--replace"):
        backup.restore(saved, progress=lambda _: None)

    assert contents() == filled


def test_replace_erases_what_is_there_and_restores_the_backup(
    filled: Contents, saved: Path
) -> None:
    # given: changes made after the backup
    engagement_services.customer_create(actor=SYSTEM, name="Made After The Backup")
    Person.objects.filter(email="sam.patel@example.com").update(title="Changed")
    Group.objects.all().delete()

    # when
    backup.restore(saved, replace=True, progress=lambda _: None)

    # then: everything as it was, but new generation tokens (see the round trip)
    after = contents()
    assert after.pop("core.generation") != filled["core.generation"]
    assert after == {k: v for k, v in filled.items() if k != "core.generation"}
    assert audit.verify_chain() == (len(filled["core.auditentry"]), [])


def _truncated(path: Path) -> Path:
    out = path.with_suffix(".truncated")
    out.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return out


def _not_gzip(path: Path) -> Path:
    out = path.with_suffix(".txt")
    out.write_text('{"format": "psa-backup", "version": 1}\n')
    return out


def _edited_row(path: Path) -> Path:
    """A row changed after the backup was written (checksum left as it was)."""
    with gzip.open(path, "rb") as f:
        lines = f.readlines()
    for i, line in enumerate(lines):
        if b"Dana Whitfield" in line and line.startswith(b"["):
            lines[i] = line.replace(b"Dana Whitfield", b"Dana Whitfielt")
            break
    out = path.with_suffix(".edited")
    with gzip.open(out, "wb") as f:
        f.writelines(lines)
    return out


def _without_end(path: Path) -> Path:
    with gzip.open(path, "rb") as f:
        lines = f.readlines()
    out = path.with_suffix(".noend")
    with gzip.open(out, "wb") as f:
        f.writelines(lines[:-1])
    return out


def _other_format(path: Path) -> Path:
    return rewrite(path, lambda items: [{**items[0], "format": "something-else"}, *items[1:]])


def _newer_version(path: Path) -> Path:
    return rewrite(path, lambda items: [{**items[0], "version": 99}, *items[1:]])


def _empty(path: Path) -> Path:
    out = path.with_suffix(".empty")
    out.write_bytes(b"")
    return out


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_truncated, "damaged"),
        (_not_gzip, "damaged"),
        (_empty, "damaged"),
        (_edited_row, "checksum"),
        (_without_end, "end marker"),
        (_other_format, "not a PSA backup"),
        (_newer_version, "format version 99"),
    ],
)
def test_a_damaged_or_foreign_file_is_refused_and_nothing_changes(
    filled: Contents, saved: Path, damage: Callable[[Path], Path], message: str
) -> None:
    bad = damage(saved)

    with pytest.raises(ValidationFailed, match=message):
        backup.restore(bad, replace=True, progress=lambda _: None)

    assert contents() == filled


def test_a_backup_from_other_migrations_is_refused(filled: Contents, saved: Path) -> None:
    def older(items: list[Any]) -> list[Any]:
        header = dict(items[0])
        migrations = {app: list(names) for app, names in header["migrations"].items()}
        migrations["people"] = migrations["people"] + ["0099_from_the_future"]
        return [{**header, "migrations": migrations}, *items[1:]]

    with pytest.raises(ValidationFailed, match="different database schema.*0099_from_the_future"):
        backup.restore(rewrite(saved, older), replace=True, progress=lambda _: None)

    assert contents() == filled


def test_a_file_that_fails_while_loading_leaves_nothing_half_done(
    filled: Contents, saved: Path
) -> None:
    # given: a well-formed file whose last table repeats a primary key
    def duplicate_last_row(items: list[Any]) -> list[Any]:
        return [*items, items[-1]]

    def fix_counts(path: Path) -> Path:
        with gzip.open(path, "rb") as f:
            items = [json.loads(line) for line in f]
        tables = [i["table"] for i in items if isinstance(i, dict) and "table" in i]
        last_table = tables[-1]
        items[-1]["end"]["tables"][last_table] += 1
        items[-1]["end"]["rows"] += 1
        with gzip.open(path, "wb") as f:
            f.writelines((json.dumps(i) + "\n").encode() for i in items)
        return path

    bad = fix_counts(rewrite(saved, duplicate_last_row))

    # when: restoring over the existing data
    with pytest.raises(ValidationFailed, match="nothing was changed"):
        backup.restore(bad, replace=True, progress=lambda _: None)

    # then: the erase and the rows loaded before the failure were rolled back
    assert contents() == filled


def test_check_describes_an_intact_backup(saved: Path) -> None:
    summary = backup.check(saved)

    assert "intact PSA backup" in summary
    assert "matches this database's migrations" in summary
    assert Customer.objects.count() > 0


def test_a_database_behind_this_version_is_refused(
    filled: Contents, saved: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup, "pending_migrations", lambda: ["people.0099_next"])

    with pytest.raises(ValidationFailed, match="people.0099_next.*psa manage migrate"):
        backup.backup(saved.with_suffix(".new"), progress=lambda _: None)
    with pytest.raises(ValidationFailed, match="people.0099_next.*psa manage migrate"):
        backup.restore(saved, replace=True, progress=lambda _: None)

    assert not saved.with_suffix(".new").exists()
    assert contents() == filled
