"""Backup and restore of the whole database as one portable file (`psa backup`, `psa restore`).

The file is gzip-compressed JSON lines, independent of the database engine (SQLite or
PostgreSQL, either way round):

    {"format": "psa-backup", "version": 1, "created_at": …, "migrations": {app: [names]}, …}
    {"table": "people.person", "db_table": "people_person", "columns": ["id", "user_id", …]}
    [1, 3, "Dana Whitfield", …]                 one JSON array per row, in primary-key order
    …                                           the next table line, its rows, …
    {"end": {"rows": 1234, "tables": {"people.person": 25, …}, "sha256": "…"}}

Every model of every installed app is written, including Django's own tables (users, groups,
permissions, content types, sessions), the task results, the login-throttling tables and the
many-to-many link tables, with their primary keys. `sha256` covers every byte before the last
line, so a damaged or truncated file is refused before anything is written.

Restore loads a file into a database at the same migration state, in one transaction: it
refuses a database that already holds data unless asked to replace it, and either loads
everything or nothing. What migrations themselves put in a database (content types,
permissions, the seeded epic tree) is not data: a freshly migrated database takes a backup
without --replace, and the backup's rows replace those.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import gzip
import hashlib
import json
import os
import sys
import tempfile
import uuid
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.utils.duration import duration_iso_string

from psa.core import audit, clock, generations
from psa.core.errors import Conflict, ValidationFailed

Progress = Callable[[str], None]

FORMAT = "psa-backup"
VERSION = 1
BATCH = 1000
PROGRESS_EVERY = 20_000  # rows: tables bigger than this report progress as they go

# Rows that `migrate` itself creates, whatever they hold: a freshly migrated database has
# them, and a restore replaces them with the backup's (permissions and users refer to them by
# id). The generation tokens are cache keys, not data: a restore writes new ones anyway.
MIGRATE_CREATED = ("contenttypes.contenttype", "auth.permission", "core.generation")

ERR_NOT_EMPTY = (
    "the database already holds data ({summary}); restore into an empty database, "
    "or pass --replace to erase everything in it first"
)
ERR_PENDING = (
    "this database is behind this PSA version: migrations {pending} are not applied yet; "
    "run `psa manage migrate` first"
)
ERR_NOTHING = "this database has no tables yet (never migrated): there is nothing to back up"
ERR_DAMAGED = "{path} is not a PSA backup or is damaged: {detail}"
ERR_NO_FILE = "{path} does not exist"
# What is wrong with a damaged file (ERR_DAMAGED's detail).
DAMAGED_AFTER_END = "line {number}: data after the end marker"
DAMAGED_ROW = "line {number}: a row outside a table or of wrong width"
DAMAGED_TABLE_TWICE = "line {number}: table {table} appears twice"
DAMAGED_CONTENT = "line {number}: unexpected content"
DAMAGED_EMPTY = "the file is empty"
DAMAGED_NO_END = "the end marker is missing (the file is truncated)"
DAMAGED_CHECKSUM = "the checksum does not match its contents"
DAMAGED_COUNTS = "the row counts do not match its contents"
DAMAGED_HEADER = "it does not start with a PSA backup header"
DAMAGED_NO_MIGRATIONS = "the header has no migration state"
DAMAGED_ROW_OUTSIDE = "a row outside a table"
ERR_VERSION = "{path} is backup format version {version}; this PSA reads version {supported}"
ERR_MIGRATIONS = (
    "the backup was made at a different database schema (migrations) than this database has: "
    "{detail}. Restore with the PSA version that made the backup, or bring this database to "
    "the same migrations first"
)
ERR_TABLES = "the backup's tables do not match this PSA's: {detail}"
# ERR_MIGRATIONS' detail: up to eight migrations each way, "app.name" joined by ", ".
MIGRATIONS_MISSING = "backup has, database lacks {names}"
MIGRATIONS_EXTRA = "database has, backup lacks {names}"
ERR_LOAD = "the backup's rows could not be loaded, nothing was changed: {detail}"
ERR_VALUE = (
    "the backup's rows could not be loaded, nothing was changed: table {table}, row {pk}, "
    "field {field}: {detail}"
)
ERR_NULL = "no value (null), but the field requires one"
ERR_COLUMN_UNKNOWN = (
    "the backup's rows could not be loaded, nothing was changed: table {table}, field "
    "{field}: this PSA has no such field in that table"
)
ERR_COLUMN_MISSING = (
    "the backup's rows could not be loaded, nothing was changed: table {table}, field "
    "{field}: missing from the backup"
)
ERR_LOAD_TABLE = "table {table}: {detail}"
WARN_AUDIT_KEY = "  restored, but no audit checkpoint could be signed for the restore: {detail}"
NOTE_AUDIT_KEY = (
    "the audit key ({where}) is not in the backup, on purpose: keep a copy of it with your "
    "backups, or the restored audit log cannot be verified or extended"
)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ what is backed up


def backed_up_models() -> list[type[models.Model]]:
    """Every table Django manages: all installed apps, with auto-created link tables."""
    found = [
        m
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy and not m._meta.swapped
    ]
    return sorted(found, key=lambda m: m._meta.label_lower)


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def migration_state() -> dict[str, list[str]]:
    """The migrations applied to this database, per installed app."""
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return {}
    installed = {c.label for c in apps.get_app_configs()}
    state: dict[str, list[str]] = {}
    for app, name in recorder.applied_migrations():
        if app in installed:
            state.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(state.items())}


def pending_migrations() -> list[str]:
    """Migrations this PSA has that the database has not applied yet ("app.name")."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def _require_migrated() -> None:
    if pending := pending_migrations():
        shown = ", ".join(pending[:8]) + (" …" if len(pending) > 8 else "")
        raise ValidationFailed(ERR_PENDING.format(pending=shown), field="database")


# ------------------------------------------------------------------ values <-> JSON


def _encode(value: Any, json_field: bool) -> Any:
    if value is None or json_field or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


class _BadValue(Exception):
    """A value in the file that this field cannot hold (the message says why)."""


def _decoder(f: models.Field[Any, Any]) -> Callable[[Any], Any]:
    # A null for a column that refuses one would otherwise surface as a database error that
    # names neither the row nor the field (and only at commit, for PostgreSQL's deferred checks).
    nullable = f.null
    if isinstance(f, models.JSONField):

        def as_json(v: Any) -> Any:
            if v is None and not nullable:
                raise _BadValue(ERR_NULL)
            return v

        return as_json
    to_python = f.to_python

    def decode(v: Any) -> Any:
        if v is None:
            if not nullable:
                raise _BadValue(ERR_NULL)
            return None
        try:
            return to_python(v)
        except DjangoValidationError as exc:  # its messages quote the value already
            raise _BadValue(" ".join(exc.messages)) from exc
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise _BadValue(f"{v!r}: {exc}") from exc

    return decode


# ------------------------------------------------------------------ backup


@contextlib.contextmanager
def _snapshot() -> Iterator[None]:
    """Read every table from one consistent snapshot without blocking writers."""
    if connection.in_atomic_block:  # the caller's transaction is the snapshot
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        # A deferred read transaction: in WAL mode it sees one snapshot and never blocks the
        # web server or the worker (Django's own atomic() would take the write lock).
        connection.ensure_connection()
        with connection.cursor() as cur:
            cur.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cur:
                cur.execute("COMMIT")
        return
    with transaction.atomic():
        yield


class _Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


class _HashingWriter:
    def __init__(self, out: _Sink) -> None:
        self.out = out
        self.sha = hashlib.sha256()

    def line(self, obj: Any, *, hashed: bool = True) -> None:
        data = (json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n").encode()
        if hashed:
            self.sha.update(data)
        self.out.write(data)


def backup(path: Path, *, progress: Progress = _stderr) -> int:
    """Write every table to `path` (replaced atomically); return the number of rows."""
    path = Path(path)
    migrations = migration_state()
    if not migrations:
        raise ValidationFailed(ERR_NOTHING, field="database")
    _require_migrated()
    header = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": clock.now().isoformat(),
        "psa_version": _psa_version(),
        "django_version": _django_version(),
        "database": connection.vendor,
        "migrations": migrations,
    }
    counts: dict[str, int] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with (
            os.fdopen(fd, "wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz,
        ):
            writer = _HashingWriter(gz)
            writer.line(header)
            with _snapshot():
                for model in backed_up_models():
                    counts[model._meta.label_lower] = _dump_model(model, writer, progress)
            total = sum(counts.values())
            writer.line(
                {"end": {"rows": total, "tables": counts, "sha256": writer.sha.hexdigest()}},
                hashed=False,
            )
            gz.flush()
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return total


def _dump_model(model: type[models.Model], writer: _HashingWriter, progress: Progress) -> int:
    label = model._meta.label_lower
    fields = _columns(model)
    attnames = [f.attname for f in fields]
    json_cols = [isinstance(f, models.JSONField) for f in fields]
    writer.line({"table": label, "db_table": model._meta.db_table, "columns": attnames})
    count = 0
    rows = model._base_manager.order_by("pk").values_list(*attnames).iterator(chunk_size=BATCH)
    for row in rows:
        writer.line([_encode(v, j) for v, j in zip(row, json_cols, strict=True)])
        count += 1
        if count % PROGRESS_EVERY == 0:
            progress(f"  {label}: {count} rows…")
    if count >= PROGRESS_EVERY:
        progress(f"  {label}: {count} rows")
    return count


def _psa_version() -> str:
    try:
        return metadata.version("psa")
    except metadata.PackageNotFoundError:
        return "unknown"


def _django_version() -> str:
    import django

    return django.get_version()


# ------------------------------------------------------------------ reading a file


@dataclass
class BackupInfo:
    """What a backup file says about itself (after checking it end to end)."""

    header: dict[str, Any]
    rows: int
    tables: dict[str, int] = field(default_factory=dict)


def _lines(path: Path) -> Iterator[bytes]:
    with gzip.open(path, "rb") as gz:
        yield from gz


def _damaged(path: Path, detail: str) -> ValidationFailed:
    return ValidationFailed(ERR_DAMAGED.format(path=path, detail=detail), field="file")


def verify_file(path: Path) -> BackupInfo:
    """Read the whole file and check it: format, version, checksum, row counts.
    Raises ValidationFailed for anything that is not an intact PSA backup."""
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed(ERR_NO_FILE.format(path=path), field="file")
    sha = hashlib.sha256()
    header: dict[str, Any] | None = None
    footer: dict[str, Any] | None = None
    counts: dict[str, int] = {}
    current: str | None = None
    width = 0
    try:
        for number, data in enumerate(_lines(path), start=1):
            if footer is not None:
                raise _damaged(path, DAMAGED_AFTER_END.format(number=number))
            item = json.loads(data)
            if header is None:
                header = _check_header(path, item)
                sha.update(data)
                continue
            if isinstance(item, list):
                if current is None or len(item) != width:
                    raise _damaged(path, DAMAGED_ROW.format(number=number))
                counts[current] += 1
            elif isinstance(item, dict) and "table" in item:
                current = str(item["table"])
                if current in counts:
                    raise _damaged(path, DAMAGED_TABLE_TWICE.format(number=number, table=current))
                width = len(item.get("columns") or [])
                counts[current] = 0
            elif isinstance(item, dict) and isinstance(item.get("end"), dict):
                footer = item["end"]
                continue
            else:
                raise _damaged(path, DAMAGED_CONTENT.format(number=number))
            sha.update(data)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as exc:
        # OSError covers "not a gzipped file"; EOFError a truncated file; ValueError bad JSON.
        raise _damaged(path, str(exc) or type(exc).__name__) from exc
    if header is None:
        raise _damaged(path, DAMAGED_EMPTY)
    if footer is None:
        raise _damaged(path, DAMAGED_NO_END)
    if footer.get("sha256") != sha.hexdigest():
        raise _damaged(path, DAMAGED_CHECKSUM)
    if footer.get("tables") != counts or footer.get("rows") != sum(counts.values()):
        raise _damaged(path, DAMAGED_COUNTS)
    return BackupInfo(header=header, rows=sum(counts.values()), tables=counts)


def _check_header(path: Path, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or item.get("format") != FORMAT:
        raise _damaged(path, DAMAGED_HEADER)
    if item.get("version") != VERSION:
        raise ValidationFailed(
            ERR_VERSION.format(path=path, version=item.get("version"), supported=VERSION),
            field="file",
        )
    if not isinstance(item.get("migrations"), dict):
        raise _damaged(path, DAMAGED_NO_MIGRATIONS)
    return item


# ------------------------------------------------------------------ restore


def _migration_difference(wanted: dict[str, list[str]], have: dict[str, list[str]]) -> str:
    want_set = {(a, n) for a, names in wanted.items() for n in names}
    have_set = {(a, n) for a, names in have.items() for n in names}
    parts = []
    if missing := sorted(want_set - have_set):
        names = ", ".join(f"{a}.{n}" for a, n in missing[:8])
        parts.append(MIGRATIONS_MISSING.format(names=names))
    if extra := sorted(have_set - want_set):
        names = ", ".join(f"{a}.{n}" for a, n in extra[:8])
        parts.append(MIGRATIONS_EXTRA.format(names=names))
    return "; ".join(parts)


def _table_difference(in_file: set[str], here: set[str]) -> str:
    parts = []
    if missing := sorted(in_file - here):
        parts.append("unknown here: " + ", ".join(missing[:8]))
    if extra := sorted(here - in_file):
        parts.append("missing from the backup: " + ", ".join(extra[:8]))
    return "; ".join(parts)


def _epics_as_seeded(model: type[models.Model]) -> bool:
    """True when the epic table holds exactly the tree its data migration seeds: nobody has
    added, renamed, moved or described an epic yet."""
    from psa.timetracking.epics import TREE

    seeded: set[tuple[str, str | None, int]] = set()
    for i, (major, children) in enumerate(TREE):
        seeded.add((major, None, i))
        seeded.update((name, major, j) for j, name in enumerate(children))
    names = dict(model._base_manager.values_list("pk", "name"))
    rows = model._base_manager.values_list(
        "name", "parent_id", "position", "description", "gitlab_id"
    )
    here = set()
    for name, parent_id, position, description, gitlab_id in rows:
        if description or gitlab_id is not None:
            return False
        here.add((name, names.get(parent_id), position))
    return len(here) == len(names) == len(seeded) and here == seeded


# Tables that data migrations fill: while a table holds exactly what its migration put there,
# it holds no data of anyone's, and a restore into that database replaces it without --replace.
# A new data migration belongs here (the fresh-database restore test fails until it is).
def _work_items_as_seeded(model: type[models.Model]) -> bool:
    """True when the only work items are the categories' standing items as their migration
    makes them: titled as their category, on no engagement, from no one and not from GitLab."""
    rows = model._base_manager.values_list(
        "title", "epic__name", "standing", "engagement_id", "author_id", "gitlab_id", "web_url"
    )
    return all(
        standing
        and title == category
        and engagement is None
        and author is None
        and gitlab is None
        and not url
        for title, category, standing, engagement, author, gitlab, url in rows
    )


SEEDED_BY_MIGRATIONS: dict[str, Callable[[type[models.Model]], bool]] = {
    "timetracking.epic": _epics_as_seeded,
    "timetracking.workitem": _work_items_as_seeded,
}


def _occupied(targets: list[type[models.Model]]) -> dict[str, int]:
    occupied = {}
    for model in targets:
        label = model._meta.label_lower
        if label in MIGRATE_CREATED:
            continue
        count = model._base_manager.count()
        if not count:
            continue
        as_seeded = SEEDED_BY_MIGRATIONS.get(label)
        if as_seeded is not None and as_seeded(model):
            continue
        occupied[label] = count
    return occupied


def restore(path: Path, replace: bool = False, *, progress: Progress = _stderr) -> int:
    """Load a backup into this database in one transaction; return the number of rows.

    Refuses (Conflict) a database that already holds data unless `replace`; refuses
    (ValidationFailed) a damaged or foreign file, or one made at other migrations.
    """
    path = Path(path)
    info = verify_file(path)
    if not migration_state():
        # A brand-new database: create the tables first (this also creates the content
        # types and permissions, which the backup's own replace).
        progress("  creating the database tables (migrate)…")
        call_command("migrate", interactive=False, verbosity=0)
    if difference := _migration_difference(info.header["migrations"], migration_state()):
        raise ValidationFailed(ERR_MIGRATIONS.format(detail=difference), field="file")
    _require_migrated()
    targets = {m._meta.label_lower: m for m in backed_up_models()}
    if detail := _table_difference(set(info.tables), set(targets)):
        raise ValidationFailed(ERR_TABLES.format(detail=detail), field="file")

    loading: list[str] = []  # the table being loaded, to name it if the database refuses a row
    try:
        with transaction.atomic():
            occupied = _occupied(list(targets.values()))
            if occupied and not replace:
                summary = ", ".join(f"{n} {label}" for label, n in sorted(occupied.items())[:5])
                raise Conflict(ERR_NOT_EMPTY.format(summary=summary))
            _erase(list(targets.values()))
            total = _load(path, targets, progress, loading)
            loading.clear()  # what fails from here on (deferred checks at commit) is no one table
            _reset_sequences(list(targets.values()))
            generations.bump_all()  # rows were written without signals: drop cached reads
    except DatabaseError as exc:
        detail = ERR_LOAD_TABLE.format(table=loading[-1], detail=exc) if loading else str(exc)
        raise ValidationFailed(ERR_LOAD.format(detail=detail), field="file") from exc
    finally:
        ContentType.objects.clear_cache()
    # The log was replaced: the checkpoints of the one before would report its entries after
    # the backup as deleted, so a signed "restore" checkpoint starts the comparison afresh.
    # A missing key does not undo the restore: the data is in, and verify names the problem.
    try:
        audit.checkpoint_after_restore(
            note=f"from {path.name}, made {info.header.get('created_at')}"
        )
    except ImproperlyConfigured as exc:
        progress(WARN_AUDIT_KEY.format(detail=exc))
    return total


def audit_key_note() -> str:
    """Where the audit key lives, for `psa backup` to remind that the file does not hold it."""
    from django.conf import settings

    where = "PSA_AUDIT_KEY" if settings.PSA_AUDIT_KEY else str(settings.PSA_AUDIT_KEY_FILE)
    return NOTE_AUDIT_KEY.format(where=where)


def _erase(targets: list[type[models.Model]]) -> None:
    tables = [m._meta.db_table for m in targets]
    statements = connection.ops.sql_flush(no_style(), tables, reset_sequences=False)
    with connection.cursor() as cur:
        for sql in statements:
            cur.execute(sql)


def _load(
    path: Path, targets: dict[str, type[models.Model]], progress: Progress, loading: list[str]
) -> int:
    total = 0
    model: type[models.Model] | None = None
    fields: list[models.Field[Any, Any]] = []
    decoders: list[Callable[[Any], Any]] = []
    attnames: list[str] = []
    pk_at = 0
    batch: list[models.Model] = []
    done = 0

    def flush() -> None:
        if model is not None and batch:
            size = max(1, min(BATCH, connection.ops.bulk_batch_size(fields, batch)))
            for i in range(0, len(batch), size):
                # raw=True: store values as they are (no auto_now, no pre_save), like loaddata.
                model._base_manager._insert(  # type: ignore[attr-defined]
                    batch[i : i + size], fields=fields, raw=True, using=connection.alias
                )
            batch.clear()

    lines = _lines(path)
    next(lines)  # the header, checked by verify_file()
    for data in lines:
        item = json.loads(data)
        if isinstance(item, list):
            if model is None:  # verify_file() checked this; the file changed since
                raise _damaged(path, DAMAGED_ROW_OUTSIDE)
            values = {}
            for a, d, v in zip(attnames, decoders, item, strict=True):
                try:
                    values[a] = d(v)
                except _BadValue as exc:
                    raise ValidationFailed(
                        ERR_VALUE.format(
                            table=model._meta.label_lower, pk=item[pk_at], field=a, detail=exc
                        ),
                        field="file",
                    ) from exc
            batch.append(model(**values))
            done += 1
            total += 1
            if len(batch) >= BATCH:
                flush()
                if done % PROGRESS_EVERY == 0:
                    progress(f"  {model._meta.label_lower}: {done} rows…")
            continue
        flush()
        if model is not None and done >= PROGRESS_EVERY:
            progress(f"  {model._meta.label_lower}: {done} rows")
        if "end" in item:
            break
        model = targets[item["table"]]
        label = model._meta.label_lower
        by_attname = {f.attname: f for f in _columns(model)}
        attnames = list(item["columns"])
        if unknown := [a for a in attnames if a not in by_attname]:
            raise ValidationFailed(
                ERR_COLUMN_UNKNOWN.format(table=label, field=", ".join(unknown)), field="file"
            )
        if missing := [a for a in by_attname if a not in attnames]:
            raise ValidationFailed(
                ERR_COLUMN_MISSING.format(table=label, field=", ".join(missing)), field="file"
            )
        fields = [by_attname[a] for a in attnames]
        decoders = [_decoder(f) for f in fields]
        pk_at = attnames.index(model._meta.pk.attname)
        loading.append(label)
        done = 0
    return total


def _reset_sequences(targets: list[type[models.Model]]) -> None:
    """Make the next generated id follow the restored ones (PostgreSQL sequences; SQLite's
    AUTOINCREMENT counter follows explicit ids by itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), targets)
    if statements:
        with connection.cursor() as cur:
            for sql in statements:
                cur.execute(sql)


def check(path: Path) -> str:
    """Check a backup without changing anything (`psa restore --check`): a readable summary.
    Raises ValidationFailed if the file is damaged or not a PSA backup."""
    info = verify_file(path)
    header = info.header
    biggest = sorted(info.tables.items(), key=lambda kv: (-kv[1], kv[0]))[:6]
    lines = [
        f"{path}: intact PSA backup (format {header['version']}, checksum verified)",
        f"  made {header.get('created_at')} from {header.get('database')} "
        f"by PSA {header.get('psa_version')} (Django {header.get('django_version')})",
        f"  {info.rows} rows in {len(info.tables)} tables; largest: "
        + ", ".join(f"{label} {n}" for label, n in biggest),
    ]
    here = migration_state()
    if not here:
        lines.append("  this database is empty and unmigrated: restore will create its tables")
    elif difference := _migration_difference(header["migrations"], here):
        lines.append(f"  does NOT match this database's migrations: {difference}")
    else:
        lines.append("  matches this database's migrations")
    return "\n".join(lines)
