"""Reads for time tracking: epics, work items, a person's week, totals."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from psa.core.errors import NotFound
from psa.core.numbers import ZERO
from psa.people.models import Person
from psa.timetracking import rules
from psa.timetracking.models import Epic, TimeEntry, Timesheet, WorkItem

PTO_MAJOR = "PTO/Holidays"


def epic_tree() -> list[tuple[Epic, list[Epic]]]:
    epics = list(Epic.objects.order_by("position", "name"))
    majors = [e for e in epics if e.parent_id is None]
    return [(m, [e for e in epics if e.parent_id == m.pk]) for m in majors]


def epic_get(*, epic_id: int) -> Epic:
    epic = Epic.objects.select_related("parent").filter(pk=epic_id).first()
    if epic is None:
        raise NotFound(f"epic {epic_id} does not exist", field="epic_id")
    return epic


def epic_by_path(major: str, name: str) -> Epic:
    return Epic.objects.get(parent__name=major, parent__parent__isnull=True, name=name)


def work_item_get(*, work_item_id: int) -> WorkItem:
    item = (
        WorkItem.objects.select_related("epic", "epic__parent", "engagement")
        .filter(pk=work_item_id)
        .first()
    )
    if item is None:
        raise NotFound(f"work item {work_item_id} does not exist", field="work_item_id")
    return item


def work_item_list(
    *,
    search: str = "",
    epic_id: int | None = None,
    engagement_id: int | None = None,
    person_id: int | None = None,
) -> QuerySet[WorkItem]:
    qs = WorkItem.objects.select_related("epic", "epic__parent", "engagement")
    if search:
        qs = qs.filter(title__icontains=search)
    if epic_id is not None:
        qs = qs.filter(epic_id=epic_id)
    if engagement_id is not None:
        qs = qs.filter(engagement_id=engagement_id)
    if person_id is not None:  # authored, assigned, or logged on
        qs = qs.filter(
            Q(author_id=person_id) | Q(assignees__id=person_id) | Q(entries__person_id=person_id)
        ).distinct()
    return qs.order_by("title", "id")


def entry_get(*, entry_id: int) -> TimeEntry:
    entry = TimeEntry.objects.select_related("work_item", "person").filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(f"time entry {entry_id} does not exist", field="entry_id")
    return entry


def entries_for(*, person: Person, start: dt.date, end: dt.date) -> QuerySet[TimeEntry]:
    return (
        TimeEntry.objects.filter(person=person, date__gte=start, date__lte=end)
        .select_related("work_item", "work_item__epic", "work_item__epic__parent")
        .order_by("date", "id")
    )


def hours_by_day(*, person: Person, start: dt.date, end: dt.date) -> dict[dt.date, Decimal]:
    rows = (
        TimeEntry.objects.filter(person=person, date__gte=start, date__lte=end)
        .values_list("date")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    return dict(rows)


def day_total(*, person: Person, day: dt.date, exclude_entry_id: int | None = None) -> Decimal:
    qs = TimeEntry.objects.filter(person=person, date=day)
    if exclude_entry_id is not None:
        qs = qs.exclude(pk=exclude_entry_id)
    return qs.aggregate(total=Sum("hours"))["total"] or ZERO


def timesheet_for(*, person: Person, week: dt.date) -> Timesheet | None:
    return Timesheet.objects.filter(person=person, week_start=rules.week_start(week)).first()


def week_grid(*, person: Person, week: dt.date) -> dict[int, dict[dt.date, Decimal]]:
    """Hours per work item and day for a person's ISO week."""
    monday = rules.week_start(week)
    grid: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    rows = (
        TimeEntry.objects.filter(
            person=person, date__gte=monday, date__lte=monday + dt.timedelta(days=6)
        )
        .values_list("work_item_id", "date")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    for item, day, total in rows:
        grid[item][day] = total
    return grid


def is_pto(work_item: WorkItem) -> bool:
    epic = work_item.epic
    major = epic.parent if epic.parent_id else epic
    return major is not None and major.name == PTO_MAJOR


def timesheet_list(*, person: Person, limit: int = 104) -> list[Timesheet]:
    return list(Timesheet.objects.filter(person=person).order_by("-week_start")[:limit])
