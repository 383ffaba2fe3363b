"""The stored rollup of time entries: hours and entry counts per work item and ISO week
(`WorkItemWeek`).

Every write of a TimeEntry (the services, adjustments, the GitLab sync, bulk loads) passes its
changes to `apply` in the same transaction. `verify` recomputes the rollup from the entries and
names every difference; `rebuild` replaces it (`psa time rollup --check/--rebuild`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Sum

from psa.core import periods
from psa.timetracking.models import TimeEntry, WorkItemWeek

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Change:
    """One entry's contribution to its work item's week: added (+1) or taken away (-1)."""

    work_item_id: int
    date: dt.date
    hours: Decimal
    entries: int


def added(entry: TimeEntry) -> Change:
    return Change(entry.work_item_id, entry.date, entry.hours, 1)


def removed(entry: TimeEntry) -> Change:
    return Change(entry.work_item_id, entry.date, -entry.hours, -1)


def _hundredths(hours: Decimal) -> int:
    return int((hours * HUNDRED).to_integral_value())


def fold(changes: Iterable[Change]) -> dict[tuple[int, dt.date], tuple[int, int]]:
    """Changes summed per (work item, week): (hundredths, entries); no-ops left out."""
    totals: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    for change in changes:
        cell = totals[(change.work_item_id, periods.week_start(change.date))]
        cell[0] += _hundredths(change.hours)
        cell[1] += change.entries
    return {key: (h, n) for key, (h, n) in totals.items() if h or n}


def apply(changes: Iterable[Change]) -> None:
    """Add the changes to the stored rollup, one upsert per (work item, week). The increment
    happens in SQL, so concurrent writers never lose each other's hours."""
    rows = [
        (item, week, hundredths, entries)
        for (item, week), (hundredths, entries) in sorted(fold(changes).items())
    ]
    if not rows:
        return
    table = connection.ops.quote_name(WorkItemWeek._meta.db_table)
    sql = (
        f"INSERT INTO {table} (work_item_id, week_start, hundredths, entries) "  # noqa: S608
        "VALUES (%s, %s, %s, %s) ON CONFLICT (work_item_id, week_start) DO UPDATE SET "
        f"hundredths = {table}.hundredths + excluded.hundredths, "
        f"entries = {table}.entries + excluded.entries"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)
        # A week whose last entry went away leaves no row behind.
        WorkItemWeek.objects.filter(work_item_id__in={row[0] for row in rows}, entries=0).delete()


def computed() -> dict[tuple[int, dt.date], tuple[int, int]]:
    """The rollup as the entries give it: (hundredths, entries) per (work item, week)."""
    totals: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        TimeEntry.objects.values_list("work_item_id", "date")
        .annotate(total=Sum("hours"), n=Count("id"))
        .order_by()
    )
    for item, day, hours, n in rows.iterator(chunk_size=5000):
        cell = totals[(item, periods.week_start(day))]
        cell[0] += _hundredths(hours)
        cell[1] += n
    return {key: (h, n) for key, (h, n) in totals.items() if h or n}


def stored() -> dict[tuple[int, dt.date], tuple[int, int]]:
    rows = WorkItemWeek.objects.values_list("work_item_id", "week_start", "hundredths", "entries")
    return {(item, week): (h, n) for item, week, h, n in rows.iterator(chunk_size=5000)}


def verify() -> list[str]:
    """Every (work item, week) where the stored rollup differs from the entries."""
    want, have = computed(), stored()
    problems = []
    for key in sorted(want.keys() | have.keys()):
        if want.get(key) != have.get(key):
            item, week = key
            w, h = want.get(key, (0, 0)), have.get(key, (0, 0))
            problems.append(
                f"work item {item}, week of {week.isoformat()}: entries give "
                f"{Decimal(w[0]) / HUNDRED} h in {w[1]}, the rollup has "
                f"{Decimal(h[0]) / HUNDRED} h in {h[1]}"
            )
    return problems


def rebuild() -> int:
    """Replace the stored rollup with one computed from the entries; returns its row count."""
    want = computed()
    with transaction.atomic():
        WorkItemWeek.objects.all().delete()
        WorkItemWeek.objects.bulk_create(
            [
                WorkItemWeek(work_item_id=item, week_start=week, hundredths=h, entries=n)
                for (item, week), (h, n) in sorted(want.items())
            ],
            batch_size=2000,
        )
    return len(want)
