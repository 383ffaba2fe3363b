"""Many time entries written at once, with their rollup: the time import, the GitLab sync and
the benchmarks' loads all write through `entries_insert`, so every path keeps the stored hours
per work item and week and per person and month exactly as a single entry does.

Ids are taken before the rows are written (PostgreSQL: from the table's sequence; SQLite: after
the highest id, under the write lock every PSA transaction takes at BEGIN IMMEDIATE), so the
rows go in by COPY (PostgreSQL) or one prepared INSERT (SQLite) and the rollup's digests can
name them. The caller checks the rules first and calls this inside its transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction

from psa.timetracking import rollup
from psa.timetracking.models import TimeEntry

COLUMNS = (
    "id",
    "person_id",
    "work_item_id",
    "date",
    "hours",
    "note",
    "source",
    "reason",
    "gitlab_id",
    "created_at",
    "updated_at",
)


class NewEntry(NamedTuple):
    """A time entry to insert, its rules already checked (a tuple: imports make 200,000)."""

    person_id: int
    work_item_id: int
    date: dt.date
    hours: Decimal
    note: str = ""
    source: str = TimeEntry.Source.MANUAL
    gitlab_id: int | None = None


NULL = "\\N"  # COPY's text format: a NULL
COPY_BATCH = 5000  # lines sent to COPY at a time
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(text: str) -> str:
    """Text as a COPY text-format column: backslash, tab and line breaks escaped."""
    return text.translate(_COPY_ESCAPES) if text else text


def _reserve_ids(count: int) -> list[int]:
    table = TimeEntry._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return sorted(row[0] for row in cursor.fetchall())
        # SQLite: the transaction holds the database's write lock from its BEGIN IMMEDIATE, so
        # no other writer can take these ids before the rows are in. Past the highest id ever
        # given (AUTOINCREMENT's counter), not just the highest left: an id an approval once
        # recorded is never given to another entry.
        cursor.execute(
            "SELECT MAX(n) FROM (SELECT COALESCE(MAX(id), 0) AS n FROM "  # noqa: S608
            f"{connection.ops.quote_name(table)} "
            "UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)",
            [table],
        )
        (highest,) = cursor.fetchone()
        return list(range(highest + 1, highest + 1 + count))


def _write(ids: Sequence[int], entries: Sequence[NewEntry], now: dt.datetime) -> None:
    ops = connection.ops
    table = ops.quote_name(TimeEntry._meta.db_table)
    columns = ", ".join(ops.quote_name(c) for c in COLUMNS)
    pairs = zip(ids, entries, strict=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw: Any = cursor.cursor  # psycopg 3's own cursor, for COPY
            # COPY's text format written here, a row a line: psycopg's write_row adapts each
            # value in Python and was half of the write. Dates, hours and ids need no escaping.
            iso = now.isoformat()
            lines = [
                f"{pk}\t{e.person_id}\t{e.work_item_id}\t{e.date.isoformat()}\t{e.hours:f}\t"
                f"{_copy_text(e.note)}\t{e.source}\t\t"
                f"{e.gitlab_id if e.gitlab_id is not None else NULL}\t{iso}\t{iso}\n"
                for pk, e in pairs
            ]
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for i in range(0, len(lines), COPY_BATCH):
                    copy.write("".join(lines[i : i + COPY_BATCH]))
            return
        # SQLite: the values as the ORM adapts them (ISO dates, decimal text, the stamp once).
        stamp = ops.adapt_datetimefield_value(now)
        days: dict[dt.date, str] = {}
        marks = ", ".join(["%s"] * len(COLUMNS))
        rows = []
        for pk, e in pairs:
            day = days.get(e.date)
            if day is None:
                day = days[e.date] = e.date.isoformat()
            rows.append(
                (pk, e.person_id, e.work_item_id, day, str(e.hours), e.note, e.source)
                + ("", e.gitlab_id, stamp, stamp)
            )
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - our own names
            rows,
        )


def entries_insert(entries: Sequence[NewEntry], *, now: dt.datetime) -> list[int]:
    """Insert the entries and add them to the rollup, in the caller's transaction; returns
    their ids in the entries' order."""
    if not entries:
        return []
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("entries_insert runs inside the writing transaction")
    ids = _reserve_ids(len(entries))
    _write(ids, entries, now)
    # Folded and hashed here: the same sums in SQL (sha256 and bit casts per entry in
    # PostgreSQL) took twice as long for 200,000 entries.
    rollup.apply(
        rollup.Change(e.work_item_id, e.date, e.hours, 1, e.person_id, pk)
        for pk, e in zip(ids, entries, strict=True)
    )
    return ids


def id_runs(ids: Sequence[int]) -> list[list[int]]:
    """Ids as [first, last] runs of consecutive ids (how an audit entry names thousands)."""
    runs: list[list[int]] = []
    for pk in sorted(ids):
        if runs and runs[-1][1] == pk - 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    return runs
