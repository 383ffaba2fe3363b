"""`psa backup` / `psa restore`: every table round-trips with its ids, refusals change nothing.

These tests commit (transactional_db): restore runs its own transaction, and PostgreSQL checks
deferred foreign keys and sequences only on commit.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission, User
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection, models
from django.test import Client
from django_tasks import task

from psa import backup, cli, demo
from psa.core import audit, clock, periods
from psa.core.errors import Conflict, FieldError, ValidationFailed
from psa.core.roles import SYSTEM
from psa.engagements import services as engagement_services
from psa.engagements.models import Customer
from psa.people.models import Person
from tests.helpers import exactly

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
def audit_files(settings: Any, tmp_path: Path) -> dict[str, Path]:
    """This test's own audit key and checkpoint file (restore writes a checkpoint)."""
    settings.PSA_AUDIT_KEY = ""
    settings.PSA_AUDIT_KEY_FILE = tmp_path / "audit.key"
    settings.PSA_AUDIT_CHECKPOINTS = tmp_path / "audit-checkpoints.jsonl"
    return {"key": tmp_path / "audit.key", "checkpoints": tmp_path / "audit-checkpoints.jsonl"}


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
    from psa.people.models import Invitation

    Invitation.objects.create(
        user=priya,
        digest="0" * 64,
        created_at=clock.now(),
        created_by_name="admin",
        expires_at=clock.now() + dt.timedelta(days=7),
        used_at=clock.now(),
    )
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
    # The first five tables that hold rows, by name, with their counts.
    summary = (
        "1 auth.group, 1 auth.group_permissions, 24 auth.user, 1 auth.user_groups, "
        "1 auth.user_user_permissions"
    )
    with pytest.raises(Conflict, match=exactly(backup.ERR_NOT_EMPTY.format(summary=summary))):
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


def test_a_restore_of_an_older_backup_starts_the_audit_checkpoints_afresh(
    filled: Contents, saved: Path, audit_files: dict[str, Path]
) -> None:
    # given: changes after the backup, and a checkpoint that has them
    engagement_services.customer_create(actor=SYSTEM, name="Made After The Backup")
    before_restore = audit.audit_checkpoint()
    assert before_restore.count == len(filled["core.auditentry"]) + 1

    # when: the older backup replaces the database
    backup.restore(saved, replace=True, progress=lambda _: None)

    # then: a signed "restore" checkpoint says so, and the log verifies against it
    lines = audit_files["checkpoints"].read_text().splitlines()
    marker = json.loads(lines[-1])
    assert marker["kind"] == "restore"
    assert marker["count"] == len(filled["core.auditentry"])
    assert marker["note"].startswith(f"from {saved.name}, made ")
    result = audit.audit_verify()
    assert result.findings == []
    assert result.notes[0] == audit.NOTE_RESTORE.format(at=marker["at"], note=marker["note"])
    # without that checkpoint, the entry the restore dropped reads as deleted
    audit_files["checkpoints"].write_text(lines[0] + "\n")
    assert audit.audit_verify().findings == [
        audit.ERR_TAIL.format(
            at=before_restore.at,
            count=before_restore.count,
            head_id=before_restore.head_id,
            end=max(row[0] for row in filled["core.auditentry"]),
            now=len(filled["core.auditentry"]),
        )
    ]


def test_backup_reminds_that_the_audit_key_is_not_in_the_file(
    filled: Contents,
    tmp_path: Path,
    audit_files: dict[str, Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["backup", str(tmp_path / "b.psa")]) == 0

    err = capsys.readouterr().err
    assert backup.NOTE_AUDIT_KEY.format(where=audit_files["key"]) in err
    with gzip.open(tmp_path / "b.psa") as f:
        assert audit_files["key"].read_text().strip().encode() not in f.read()


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
    ("damage", "detail"),
    [
        # The first two details are the gzip module's own words.
        (_truncated, "Compressed file ended before the end-of-stream marker was reached"),
        (_not_gzip, "Not a gzipped file (b'{\"')"),
        (_empty, backup.DAMAGED_EMPTY),
        (_edited_row, backup.DAMAGED_CHECKSUM),
        (_without_end, backup.DAMAGED_NO_END),
        (_other_format, backup.DAMAGED_HEADER),
    ],
)
def test_a_damaged_or_foreign_file_is_refused_and_nothing_changes(
    filled: Contents, saved: Path, damage: Callable[[Path], Path], detail: str
) -> None:
    bad = damage(saved)

    with pytest.raises(ValidationFailed) as refused:
        backup.restore(bad, replace=True, progress=lambda _: None)

    assert refused.value.errors == [
        FieldError("file", backup.ERR_DAMAGED.format(path=bad, detail=detail))
    ]
    assert contents() == filled


def test_a_file_of_a_newer_format_is_refused_and_nothing_changes(
    filled: Contents, saved: Path
) -> None:
    bad = _newer_version(saved)

    with pytest.raises(ValidationFailed) as refused:
        backup.restore(bad, replace=True, progress=lambda _: None)

    message = backup.ERR_VERSION.format(path=bad, version=99, supported=backup.VERSION)
    assert refused.value.errors == [FieldError("file", message)]
    assert contents() == filled


def test_a_backup_from_other_migrations_is_refused(filled: Contents, saved: Path) -> None:
    def older(items: list[Any]) -> list[Any]:
        header = dict(items[0])
        migrations = {app: list(names) for app, names in header["migrations"].items()}
        migrations["people"] = migrations["people"] + ["0099_from_the_future"]
        return [{**header, "migrations": migrations}, *items[1:]]

    detail = backup.MIGRATIONS_MISSING.format(names="people.0099_from_the_future")
    with pytest.raises(
        ValidationFailed, match=exactly(backup.ERR_MIGRATIONS.format(detail=detail))
    ):
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
    with pytest.raises(ValidationFailed) as refused:
        backup.restore(bad, replace=True, progress=lambda _: None)

    # then: the refusal names the table; what follows is the database's own words, which
    # differ between SQLite and PostgreSQL
    table = backup.ERR_LOAD_TABLE.format(table="timetracking.workitemweek", detail="")
    assert refused.value.message.startswith(backup.ERR_LOAD.format(detail=table))

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

    behind = exactly(backup.ERR_PENDING.format(pending="people.0099_next"))
    with pytest.raises(ValidationFailed, match=behind):
        backup.backup(saved.with_suffix(".new"), progress=lambda _: None)
    with pytest.raises(ValidationFailed, match=behind):
        backup.restore(saved, replace=True, progress=lambda _: None)

    assert not saved.with_suffix(".new").exists()
    assert contents() == filled


# ------------------------------------------------------------------ restore into a fresh database

REPO = Path(__file__).resolve().parent.parent


def _portable(value: Any) -> Any:
    """A value as text that says everything about it (type included), for comparing databases
    across processes: PostgreSQL hands binary columns back as memoryview."""
    if isinstance(value, memoryview):
        value = bytes(value)
    return repr(value)


def report_figures() -> dict[str, Any]:
    """What people read off the data: each person's hours report (its CSV and its totals) and
    capacity for every fiscal quarter with time logged, and the hours of every engagement."""
    from django.db.models import Max, Min

    from psa.engagements.models import Engagement
    from psa.people import rules as people_rules
    from psa.people import selectors as people_selectors
    from psa.timetracking import report_files, report_selectors
    from psa.timetracking import selectors as time_selectors
    from psa.timetracking.models import TimeEntry

    span = TimeEntry.objects.aggregate(first=Min("date"), last=Max("date"))
    assert span["first"] is not None, "no time logged: the reports would say nothing"
    people = list(Person.objects.order_by("pk"))
    figures: dict[str, Any] = {}
    quarter = periods.fiscal_quarter(span["first"])
    while quarter.start <= span["last"]:
        capacity = people_selectors.capacity_for_people(
            people=people, start=quarter.start, end=quarter.end
        )
        for person_report in report_selectors.team_reports(people=people, quarter=quarter):
            email = person_report.person.email
            figures[f"{quarter.label} {email}"] = {
                "csv": report_files.report_csv(person_report).decode(),
                "capacity": str(people_rules.total_hours(capacity[person_report.person.pk])),
                "report_capacity": str(person_report.capacity),
                "billable": str(person_report.billable),
                "by_major_epic": {k: str(v) for k, v in person_report.by_major_epic.items()},
                "utilization": str(person_report.utilization),
            }
        quarter = periods.fiscal_quarter(quarter.end + dt.timedelta(days=1))
    engagement_ids = list(Engagement.objects.values_list("pk", flat=True))
    figures["engagement hours"] = {
        str(k): str(v)
        for k, v in time_selectors.engagement_hours(engagement_ids=engagement_ids).items()
    }
    return figures


def database_json(with_figures: bool = True) -> str:
    """Every row of every table (the generation tokens by name only: a restore renews them) and,
    if asked, the report figures, as JSON: the same function runs in a subprocess on the
    restored database and here on the source."""
    rows = {
        label: [[_portable(v) for v in row] for row in table] for label, table in contents().items()
    }
    rows["core.generation"] = [[name] for name, *_ in rows["core.generation"]]
    return json.dumps({"rows": rows, "figures": report_figures() if with_figures else None})


class FreshDatabase:
    """A database that only `psa manage migrate` has touched, used through `psa` subprocesses
    the way an operator would: a new SQLite file in its own data folder, or a new PostgreSQL
    database when the tests run on PostgreSQL."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def psa(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "psa.cli", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def read(self, *, with_figures: bool = True) -> dict[str, Any]:
        script = (
            "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
            "'psa.settings'); django.setup(); from tests.test_backup import database_json; "
            f"sys.stdout.write(database_json(with_figures={with_figures}))"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        result: dict[str, Any] = json.loads(done.stdout)
        return result


@pytest.fixture
def fresh_database(tmp_path: Path) -> Iterator[FreshDatabase]:
    env = {**os.environ, "PSA_DATA_DIR": str(tmp_path / "fresh-data"), "PYTHONPATH": str(REPO)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    name = ""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        name = f"{db['NAME']}_fresh"
        with connection.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}"')
        login = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            login += ":" + quote(db["PASSWORD"], safe="")
        env["DATABASE_URL"] = (
            f"postgres://{login}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
        )
    else:
        env.pop("DATABASE_URL", None)
    fresh = FreshDatabase(env)
    migrated = fresh.psa("manage", "migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    yield fresh
    if name:
        with connection.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def crafted(path: Path, table: str, field: str, value: Any) -> tuple[Path, Any]:
    """A copy of a backup with one value of the first row of `table` replaced, its checksum
    recomputed; returns the file and that row's primary key."""
    found: list[Any] = []

    def change(items: list[Any]) -> list[Any]:
        for i, item in enumerate(items):
            if isinstance(item, dict) and item.get("table") == table:
                row = list(items[i + 1])
                found.append(row[item["columns"].index("id")])
                row[item["columns"].index(field)] = value
                items[i + 1] = row
                return items
        raise AssertionError(f"{table} is not in the backup")

    return rewrite(path, change), found[0]


@pytest.mark.slow
def test_restore_into_a_fresh_database_needs_no_replace_and_gives_the_same_data(
    filled: Contents, saved: Path, fresh_database: FreshDatabase, audit_files: dict[str, Path]
) -> None:
    # given: a database that only migrations have touched (they seed the epic tree), and a
    # file with a valid checksum but an impossible date
    migrated = fresh_database.read(with_figures=False)
    assert len(migrated["rows"]["timetracking.epic"]) == 28
    bad, pk = crafted(saved, "timetracking.timeentry", "date", "2026-13-45")

    # when: the bad file is restored
    refused = fresh_database.psa("restore", str(bad))

    # then: a clear refusal that names the table, the row and the field, and nothing changed
    assert refused.returncode == 2, refused.stderr
    message = backup.ERR_VALUE.format(
        table="timetracking.timeentry",
        pk=pk,
        field="date",
        detail=_django(models.DateField, "invalid_date", "2026-13-45"),
    )
    assert refused.stderr.splitlines()[-1] == f"psa restore: {message}"
    assert "Traceback" not in refused.stderr
    assert fresh_database.read(with_figures=False) == migrated

    # when: the good file is restored, without --replace
    restored = fresh_database.psa("restore", str(saved))

    # then: every row of every table and every report figure are the source's
    assert restored.returncode == 0, restored.stderr
    expected = json.loads(database_json())
    actual = fresh_database.read()
    assert actual["rows"].keys() == expected["rows"].keys()
    for label, rows in expected["rows"].items():
        assert actual["rows"][label] == rows, label
    assert actual["figures"] == expected["figures"]
    assert len(expected["figures"]) > 1

    # and: the audit log is keyed with a key the new data folder lacks: restore says so,
    # verify refuses to call the log intact, and with the key copied over it verifies
    fresh_key = Path(fresh_database.env["PSA_DATA_DIR"]) / "audit.key"
    no_key = audit.ERR_KEY_MISSING.format(path=fresh_key)
    assert backup.WARN_AUDIT_KEY.format(detail=no_key) in restored.stderr.splitlines()
    unkeyed = fresh_database.psa("audit", "verify")
    assert unkeyed.returncode == 1
    assert f"  {no_key}" in unkeyed.stdout.splitlines()
    assert not fresh_key.exists()
    fresh_key.write_bytes(audit_files["key"].read_bytes())
    verified = fresh_database.psa("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    count = len(expected["rows"]["core.auditentry"])
    assert f"audit chain intact: {count} entries" in verified.stdout
    assert "checkpoint written" in verified.stdout


@pytest.mark.slow
def test_a_fresh_database_that_got_data_refuses_a_restore_without_replace(
    saved: Path, fresh_database: FreshDatabase
) -> None:
    # given: one change in the fresh database
    changed = fresh_database.psa(
        "manage",
        "shell",
        "-c",
        "from psa.timetracking.models import Epic; "
        "Epic.objects.filter(name='SKO').update(name='Sales Kick-Off')",
    )
    assert changed.returncode == 0, changed.stderr
    before = fresh_database.read(with_figures=False)

    refused = fresh_database.psa("restore", str(saved))

    assert refused.returncode == 2
    # Renamed, SKO's epic and its standing work item are the database's own now.
    summary = "28 timetracking.epic, 15 timetracking.workitem"
    message = backup.ERR_NOT_EMPTY.format(summary=summary)
    assert refused.stderr.splitlines()[-1] == f"psa restore: {message}"
    assert fresh_database.read(with_figures=False) == before


def test_restore_over_the_seeded_epic_tree_alone_needs_no_replace(
    filled: Contents, saved: Path
) -> None:
    # given: what migrations leave (the epic tree and content types), nothing else
    flush()
    demo.load_reference_data()

    backup.restore(saved, progress=lambda _: None)

    after = contents()
    assert after.pop("core.generation") != filled["core.generation"]
    assert after == {k: v for k, v in filled.items() if k != "core.generation"}


def _rename_an_epic() -> None:
    from psa.timetracking.models import Epic

    Epic.objects.filter(name="SKO").update(name="Sales Kick-Off")


def _add_an_epic() -> None:
    from psa.timetracking.models import Epic

    Epic.objects.create(name="Hackathon", parent=Epic.objects.get(name="PS Internal"), position=9)


def _describe_an_epic() -> None:
    from psa.timetracking.models import Epic

    Epic.objects.filter(name="SKO").update(description="Sales kick-off, every January")


def _move_an_epic() -> None:
    from psa.timetracking.models import Epic

    Epic.objects.filter(name="SKO").update(position=7)


@pytest.mark.parametrize(
    ("change", "summary"),
    [
        # the category's standing work item keeps the old title: no longer as seeded either
        (_rename_an_epic, "28 timetracking.epic, 15 timetracking.workitem"),
        (_add_an_epic, "29 timetracking.epic"),
        (_describe_an_epic, "28 timetracking.epic"),
        (_move_an_epic, "28 timetracking.epic"),
    ],
)
def test_an_epic_tree_changed_after_migrating_is_data(
    saved: Path, change: Callable[[], None], summary: str
) -> None:
    # given: the seeded tree, then one change an administrator could make
    flush()
    demo.load_reference_data()
    change()
    before = contents()

    with pytest.raises(Conflict, match=exactly(backup.ERR_NOT_EMPTY.format(summary=summary))):
        backup.restore(saved, progress=lambda _: None)

    assert contents() == before


def _person_table_with_a_colour(path: Path) -> tuple[Path, Any]:
    def change(items: list[Any]) -> list[Any]:
        inside = False
        out = []
        for item in items:
            if isinstance(item, dict) and "table" in item:
                inside = item["table"] == "people.person"
                if inside:
                    item = {**item, "columns": [*item["columns"], "colour"]}
            elif inside and isinstance(item, list):
                item = [*item, "red"]
            out.append(item)
        return out

    return rewrite(path, change), None


def _django(field: type[models.Field[Any, Any]], code: str, value: str) -> str:
    """Django's own message for a value a model field refuses."""
    return str(field.default_error_messages[code]) % {"value": value}


@pytest.mark.parametrize(
    ("craft", "table", "field", "detail"),
    [
        (
            lambda p: crafted(p, "timetracking.timeentry", "date", "2026-13-45"),
            "timetracking.timeentry",
            "date",
            _django(models.DateField, "invalid_date", "2026-13-45"),
        ),
        (
            lambda p: crafted(p, "timetracking.timeentry", "hours", "eight"),
            "timetracking.timeentry",
            "hours",
            _django(models.DecimalField, "invalid", "eight"),
        ),
        (
            lambda p: crafted(p, "people.person", "start_date", 20260101),
            "people.person",
            "start_date",
            "20260101: fromisoformat: argument must be str",  # the TypeError's words
        ),
        (
            lambda p: crafted(p, "core.auditentry", "at", "yesterday"),
            "core.auditentry",
            "at",
            _django(models.DateTimeField, "invalid", "yesterday"),
        ),
        (
            lambda p: crafted(p, "people.person", "name", None),
            "people.person",
            "name",
            backup.ERR_NULL,
        ),
        (_person_table_with_a_colour, "people.person", "colour", None),
    ],
    ids=["date", "decimal", "date-as-number", "datetime", "null", "unknown-field"],
)
def test_a_bad_value_with_a_valid_checksum_is_refused_by_name_and_nothing_changes(
    filled: Contents,
    saved: Path,
    capsys: pytest.CaptureFixture[str],
    craft: Callable[[Path], tuple[Path, Any]],
    table: str,
    field: str,
    detail: str | None,
) -> None:
    bad, pk = craft(saved)
    assert backup.verify_file(bad).rows == backup.verify_file(saved).rows  # checksum is valid

    code = cli.main(["restore", str(bad), "--replace"])

    assert code == 2
    if detail is None:
        message = backup.ERR_COLUMN_UNKNOWN.format(table=table, field=field)
    else:
        message = backup.ERR_VALUE.format(table=table, pk=pk, field=field, detail=detail)
    assert capsys.readouterr().err == f"psa restore: {message}\n"
    assert contents() == filled
