"""Keeping the database's query planner informed.

SQLite plans a query from its statistics (`sqlite_stat1`), which only `ANALYZE` writes: without
them it takes the date index even for a range that holds nearly every entry, reading a year of
time entries twice as slowly as a plain scan. The periodic runner calls `statistics_refresh`:
the first time a full `ANALYZE`, then `PRAGMA optimize`, which analyzes again only the tables
whose statistics have drifted. PostgreSQL's autovacuum keeps its own statistics."""

from __future__ import annotations

from django.db import connection


def statistics_refresh() -> int:
    """Returns 1 when a full ANALYZE ran, else 0."""
    if connection.vendor != "sqlite":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            cursor.execute("ANALYZE")
            return 1
        cursor.execute("PRAGMA optimize")
    return 0
