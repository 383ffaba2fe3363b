"""The stored rollups of time entries: hours and entry counts per work item and ISO week
(`WorkItemWeek`, read by engagement totals), and per person and month (`PersonMonth`: hours,
billable hours, entries, their digest and a change count, read by the certification queue).

Every write of a TimeEntry (the services, adjustments, the GitLab sync, bulk loads) passes its
changes to `apply` in the same transaction. `verify` recomputes both from the entries and
names every difference; `rebuild` replaces them (`psa time rollup --check/--rebuild`)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Count, Sum

from psa.core import periods
from psa.timetracking import rules
from psa.timetracking.models import PersonMonth, TimeEntry, WorkItem, WorkItemWeek

HUNDRED = Decimal(100)


class Change(NamedTuple):
    """One entry added (entries +1, its hours) or taken away (entries -1, its hours negated),
    as it was when it was added or before it changed. A tuple: a bulk write makes 200,000."""

    work_item_id: int
    date: dt.date
    hours: Decimal
    entries: int
    person_id: int
    entry_id: int

    @property
    def key(self) -> rules.EntryKey:
        return rules.entry_key(self.date, self.work_item_id, self.hours * self.entries)


def _saved(entry: TimeEntry) -> int:
    # The digest names entries by id: an entry not yet saved has none to give.
    if entry.pk is None:
        raise ValueError("a time entry reaches the rollup once it is saved")
    return entry.pk


def added(entry: TimeEntry) -> Change:
    return Change(entry.work_item_id, entry.date, entry.hours, 1, entry.person_id, _saved(entry))


def removed(entry: TimeEntry) -> Change:
    return Change(entry.work_item_id, entry.date, -entry.hours, -1, entry.person_id, _saved(entry))


def _hundredths(hours: Decimal) -> int:
    return int((hours * HUNDRED).to_integral_value())


# A bulk write repeats a few dozen days and hour values over 200,000 changes: each is
# converted once (a plain dict per fold; values as _hundredths and week_start give them).
def _memo(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    seen: dict[Any, Any] = {}

    def get(value: Any) -> Any:
        found = seen.get(value)
        if found is None:
            found = seen[value] = convert(value)
        return found

    return get


def fold(changes: Iterable[Change]) -> dict[tuple[int, dt.date], tuple[int, int]]:
    """Changes summed per (work item, week): (hundredths, entries); no-ops left out."""
    totals: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    hundredths, week = _memo(_hundredths), _memo(periods.week_start)
    for change in changes:
        cell = totals[(change.work_item_id, week(change.date))]
        cell[0] += hundredths(change.hours)
        cell[1] += change.entries
    return {key: (h, n) for key, (h, n) in totals.items() if h or n}


def apply(changes: Iterable[Change]) -> None:
    """Add the changes to the stored rollups: one upsert per (work item, week) and one per
    (person, month). The increments happen in SQL, so concurrent writers never lose each
    other's hours."""
    changes = list(changes)
    apply_weeks(changes)
    _apply_months(changes)


def apply_weeks(changes: Iterable[Change]) -> None:
    """The work-item weeks alone: for a bulk load that refreshes its people's months after
    (refresh_months), its rows having no ids to digest yet."""
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
    """Every (work item, week) and (person, month) where a stored rollup differs from the
    entries."""
    return _week_problems() + _month_problems()


def _week_problems() -> list[str]:
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
    """Replace the stored rollups with ones computed from the entries; returns their row
    count."""
    return _rebuild_weeks() + refresh_months()


def _rebuild_weeks() -> int:
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


# ------------------------------------------------------------------ per person and month

MONTH_COLUMNS = PersonMonth.SUMMED_FIELDS
Month = tuple[int, ...]  # the MONTH_COLUMNS of one (person, month), in order


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def billable_items(ids: Iterable[int]) -> set[int]:
    """The work items among these that are billable (on an engagement, as the hours report
    counts them)."""
    ids = sorted(set(ids))
    found: set[int] = set()
    for i in range(0, len(ids), 500):
        found.update(
            WorkItem.objects.filter(pk__in=ids[i : i + 500], engagement__isnull=False).values_list(
                "pk", flat=True
            )
        )
    return found


def fold_months(changes: Iterable[Change], billable: set[int]) -> dict[tuple[int, dt.date], Month]:
    """Changes summed per (person, month), in MONTH_COLUMNS order. Every change counts as one
    in `changes`, even an edit that moves an entry within its month (its hours and count
    cancel, its digest does not)."""
    totals: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0] * 4)
    # Each cell's signed limbs, summed column by column at the end (in C, not per entry).
    limbs: dict[tuple[int, dt.date], list[tuple[int, ...]]] = defaultdict(list)
    to_hundredths, month = _memo(_hundredths), _memo(month_of)
    for change in changes:
        key = (change.person_id, month(change.date))
        cell = totals[key]
        hundredths = to_hundredths(change.hours)
        cell[0] += hundredths
        if change.work_item_id in billable:
            cell[1] += hundredths
        cell[2] += change.entries
        cell[3] += 1
        entry = rules.entry_limbs(change.entry_id, change.key)
        limbs[key].append(entry if change.entries > 0 else tuple(-limb for limb in entry))
    return {
        key: (*cell, *(sum(column) for column in zip(*limbs[key], strict=True)))
        for key, cell in totals.items()
    }


def _apply_months(changes: list[Change]) -> None:
    if not changes:
        return
    folded = fold_months(changes, billable_items(c.work_item_id for c in changes))
    rows: list[tuple[int | dt.date, ...]] = [
        (person, month, *cell) for (person, month), cell in sorted(folded.items())
    ]
    table = connection.ops.quote_name(PersonMonth._meta.db_table)
    columns = ", ".join(MONTH_COLUMNS)
    placeholders = ", ".join(["%s"] * (2 + len(MONTH_COLUMNS)))
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in MONTH_COLUMNS)
    sql = (
        f"INSERT INTO {table} (person_id, month, {columns}) "  # noqa: S608
        f"VALUES ({placeholders}) ON CONFLICT (person_id, month) DO UPDATE SET {updates}"
    )
    # The rows stay when their hours reach 0: `changes` only grows (see PersonMonth).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def computed_months(person_ids: Iterable[int] | None = None) -> dict[tuple[int, dt.date], Month]:
    """The months as the entries give them, `changes` left at 0 (only writes count it)."""
    entries = TimeEntry.objects.all()
    if person_ids is not None:
        entries = entries.filter(person_id__in=list(person_ids))
    rows = entries.order_by().values_list("pk", "person_id", "work_item_id", "date", "hours")
    found = [
        Change(item, day, hours, 1, person, pk)
        for pk, person, item, day, hours in rows.iterator(chunk_size=5000)
    ]
    folded = fold_months(found, billable_items(c.work_item_id for c in found))
    return {key: (*cell[:3], 0, *cell[4:]) for key, cell in folded.items()}


def stored_months() -> dict[tuple[int, dt.date], Month]:
    rows = PersonMonth.objects.values_list("person_id", "month", *MONTH_COLUMNS)
    return {(person, month): tuple(cell) for person, month, *cell in rows.iterator(chunk_size=5000)}


def _month_problems() -> list[str]:
    want, have = computed_months(), stored_months()
    problems = []
    for key in sorted(want.keys() | have.keys()):
        w = want.get(key, (0,) * len(MONTH_COLUMNS))
        h = have.get(key, (0,) * len(MONTH_COLUMNS))
        w_digest, h_digest = rules.digest_of(w[4:]), rules.digest_of(h[4:])
        if w[:3] != h[:3] or w_digest != h_digest:
            person, month = key
            problems.append(
                f"person {person}, {month:%B %Y}: entries give {Decimal(w[0]) / HUNDRED} h "
                f"({Decimal(w[1]) / HUNDRED} h billable) in {w[2]}, digest {w_digest[:12]}; "
                f"the summary has {Decimal(h[0]) / HUNDRED} h ({Decimal(h[1]) / HUNDRED} h "
                f"billable) in {h[2]}, digest {h_digest[:12]}"
            )
    return problems


def refresh_months(*, person_ids: Iterable[int] | None = None) -> int:
    """Recompute these people's months (everyone's when None) from their entries: a bulk load,
    a rebuild. Each month's change count still only grows (one more than before), so no
    approval reads a refreshed month as untouched. Returns the number of months kept."""
    ids = None if person_ids is None else sorted(set(person_ids))
    want = computed_months(ids)
    with transaction.atomic():
        existing = PersonMonth.objects.all()
        if ids is not None:
            existing = existing.filter(person_id__in=ids)
        counted = {
            (person, month): n
            for person, month, n in existing.values_list("person_id", "month", "changes")
        }
        existing.delete()
        zero = (0,) * len(MONTH_COLUMNS)
        rows = []
        for person, month in sorted(want.keys() | counted.keys()):
            cell = dict(zip(MONTH_COLUMNS, want.get((person, month), zero), strict=True))
            cell["changes"] = counted.get((person, month), 0) + 1
            rows.append(PersonMonth(person_id=person, month=month, **cell))
        PersonMonth.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
