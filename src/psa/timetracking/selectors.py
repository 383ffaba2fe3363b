"""Reads for time tracking: epics, work items, a person's week, totals."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncMonth

from psa.core import numbers, periods
from psa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from psa.core.numbers import ZERO
from psa.core.roles import Actor, Role
from psa.engagements.models import Engagement
from psa.engagements.selectors import engagements_missing
from psa.people.models import Person
from psa.people.selectors import effective_weekly_hours, person_list
from psa.scheduling.selectors import booking_days_for
from psa.timetracking import rules
from psa.timetracking.models import (
    Epic,
    InternalTimeCategory,
    PersonMonth,
    QuarterlyCertification,
    TimeEntry,
    Timer,
    Timesheet,
    WorkItem,
    WorkItemWeek,
)

PTO_MAJOR = "PTO/Holidays"
OPEN_ENGAGEMENT = ("booked", "active")
LOGGABLE_LIMIT = 1000
ERR_NO_ENTRY = "time entry {id} does not exist"
ERR_NO_EPIC = "epic {id} does not exist"
ERR_NO_WORK_ITEM = "work item {id} does not exist"

# ------------------------------------------------------------------ who may read time

# A person's time (entries, timesheets, certifications, hours reports) is read by the person,
# their delivery manager, and the roles that certify, review or schedule time.
TIME_READERS = (
    Role.DELIVERY_MANAGER,
    Role.HEAD_OF_PS,
    Role.FINANCE_PARTNER,
    Role.CONTROLLER,
    Role.FINANCE_BUSINESS_PARTNER,
    Role.PROJECT_COORDINATOR,
)
ERR_TIME_NOT_YOURS = (
    "you may see your own time, your reports' and, with a manager, finance or coordinator "
    "role, everyone's"
)


def may_see_time_of(actor: Actor, person: Person) -> bool:
    if actor.has_any(*TIME_READERS):
        return True
    return actor.person_id is not None and actor.person_id in (person.pk, person.manager_id)


def access_time_of(*, actor: Actor, person: Person) -> Person:
    """The person, if the actor may read their time (403 otherwise: people are not secret)."""
    if not may_see_time_of(actor, person):
        raise PermissionDenied(ERR_TIME_NOT_YOURS, field="person_id")
    return person


def time_owners_visible_to(actor: Actor, *, owner: str = "person") -> Q | None:
    """A filter for lists of time records on their `owner` (a person), or, with `owner=""`, for
    lists of the people themselves (whose report one may pick): None when the actor sees
    everyone's. The same rule as may_see_time_of, as a query."""
    if actor.has_any(*TIME_READERS):
        return None
    if actor.person_id is None:
        return Q(pk__in=[])
    if not owner:
        return Q(pk=actor.person_id) | Q(manager_id=actor.person_id)
    return Q(**{f"{owner}_id": actor.person_id}) | Q(**{f"{owner}__manager_id": actor.person_id})


def may_see_team_time(actor: Actor, *, manager_id: int | None) -> bool:
    """Whether the actor may read a whole team's time at once: the reports of `manager_id`, or
    everyone's when it is None. Whoever sees everyone's time sees every team; anyone else only
    the team they manage, since a team of someone else's reports is not theirs to read."""
    if time_owners_visible_to(actor) is None:
        return True
    return manager_id is not None and manager_id == actor.person_id


# Whose missing timesheets the timesheets page lists (the reminders go to the people
# themselves): the head of PS follows every PSE, a delivery manager their own reports.
TIMESHEET_SCOPE_ALL = "every PSE"
TIMESHEET_SCOPE_REPORTS = "your reports"


@dataclass(frozen=True)
class TimesheetTeam:
    people: list[Person]  # by name
    scope: str  # TIMESHEET_SCOPE_*, or "" when the actor follows nobody's timesheets


def timesheet_team_for(*, actor: Actor) -> TimesheetTeam:
    """The people whose missing timesheets the actor follows up, among those whose time they
    may see (time_owners_visible_to): so the page never lists one whose time is not theirs to
    read, whatever the follow-up says."""
    if actor.has_any(Role.HEAD_OF_PS):
        chosen, scope = person_list(role=Role.PSE), TIMESHEET_SCOPE_ALL
    elif actor.has_any(Role.DELIVERY_MANAGER) and actor.person_id is not None:
        chosen, scope = person_list(manager_id=actor.person_id), TIMESHEET_SCOPE_REPORTS
    else:
        return TimesheetTeam(people=[], scope="")
    visible = time_owners_visible_to(actor, owner="")
    if visible is not None:
        chosen = chosen.filter(visible)
    return TimesheetTeam(people=list(chosen), scope=scope)


def epic_tree() -> list[tuple[Epic, list[Epic]]]:
    epics = list(Epic.objects.order_by("position", "name"))
    majors = [e for e in epics if e.parent_id is None]
    return [(m, [e for e in epics if e.parent_id == m.pk]) for m in majors]


def category_choices(*, major: str | None = None) -> list[tuple[str, list[Epic]]]:
    """The categories a work item may go under, grouped by major epic in the tree's order (only
    those of `major` when named): never a major epic itself."""
    return [
        (m.name, children)
        for m, children in epic_tree()
        if children and (major is None or m.name == major)
    ]


def internal_categories() -> list[tuple[str, list[Epic]]]:
    """The categories internal time may be planned under, by major epic."""
    return [
        (major, kept)
        for major, children in category_choices()
        if (kept := [c for c in children if rules.internal_category_error(major, c.name) is None])
    ]


def internal_time_categories(*, booking_ids: Iterable[int]) -> dict[int, Epic]:
    """The category each of these internal-time bookings was planned under (if any)."""
    rows = InternalTimeCategory.objects.filter(booking_id__in=list(booking_ids)).select_related(
        "epic", "epic__parent"
    )
    return {row.booking_id: row.epic for row in rows}


def engagement_work_items(*, engagement_id: int) -> list[WorkItem]:
    """An engagement's work items with the hours logged on each (`hours`), by title."""
    items = list(
        WorkItem.objects.filter(engagement_id=engagement_id)
        .select_related("epic")
        .order_by("title", "id")
    )
    hundredths = dict(
        WorkItemWeek.objects.filter(work_item__engagement_id=engagement_id)
        .values_list("work_item_id")
        .annotate(total=Sum("hundredths"))
        .order_by()
    )
    for item in items:
        item.hours = (Decimal(hundredths.get(item.pk, 0)) / 100).quantize(CENT)  # type: ignore[attr-defined]
    return items


def work_items_per_epic() -> dict[int, int]:
    """How many work items each category holds (categories without any are absent)."""
    rows = WorkItem.objects.values_list("epic_id").annotate(n=Count("id")).order_by()
    return dict(rows)


def epic_get(*, epic_id: int, field: str = "epic_id") -> Epic:
    epic = Epic.objects.select_related("parent").filter(pk=epic_id).first()
    if epic is None:
        raise NotFound(ERR_NO_EPIC.format(id=epic_id), field=field)
    return epic


ERR_EPIC_PATH = "the epic tree has no {major} / {name}, which {purpose}: restore it under Epics"


def epic_by_path(major: str, name: str, *, purpose: str = "this needs") -> Epic:
    """A category of the epic tree by its major epic and name. The tree is edited by people:
    a category PSA relies on may have been renamed or removed, which is refused clearly."""
    epic = Epic.objects.filter(parent__name=major, parent__parent__isnull=True, name=name).first()
    if epic is None:
        raise Conflict(ERR_EPIC_PATH.format(major=major, name=name, purpose=purpose), field="epic")
    return epic


def work_item_get(*, work_item_id: int) -> WorkItem:
    item = (
        WorkItem.objects.select_related("epic", "epic__parent", "engagement")
        .filter(pk=work_item_id)
        .first()
    )
    if item is None:
        raise NotFound(ERR_NO_WORK_ITEM.format(id=work_item_id), field="work_item_id")
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
    if person_id is not None:  # authored, assigned, or logged on (subqueries: no DISTINCT)
        assigned = WorkItem.assignees.through.objects.filter(person_id=person_id)
        logged = TimeEntry.objects.filter(person_id=person_id)
        qs = qs.filter(
            Q(author_id=person_id)
            | Q(pk__in=assigned.values("workitem_id"))
            | Q(pk__in=logged.values("work_item_id"))
        )
    return qs.order_by("title", "id")


def loggable_work_items(*, person: Person) -> list[tuple[str, list[WorkItem]]]:
    """What a person may log time on, grouped by "major epic / category" in the tree's order:
    every category's standing item, the items they author, are assigned to or logged on, and
    the work items of engagements that are booked or active. Never another person's
    certification issue; each item once."""
    assigned = WorkItem.assignees.through.objects.filter(person_id=person.pk)
    logged = TimeEntry.objects.filter(person_id=person.pk)
    mine = (
        Q(author_id=person.pk)
        | Q(pk__in=assigned.values("workitem_id"))
        | Q(pk__in=logged.values("work_item_id"))
    )
    open_engagement = Q(engagement__status__in=OPEN_ENGAGEMENT)
    items = (
        WorkItem.objects.filter(Q(standing=True) | mine | open_engagement)
        .select_related("epic", "epic__parent")
        .order_by("epic__parent__position", "epic__position", "-standing", "title", "id")
    )
    groups: dict[str, list[WorkItem]] = {}
    for item in items[:LOGGABLE_LIMIT]:
        epic = item.epic
        path = f"{epic.parent.name} / {epic.name}" if epic.parent is not None else epic.name
        groups.setdefault(path, []).append(item)
    return list(groups.items())


def entry_get(*, entry_id: int) -> TimeEntry:
    entry = TimeEntry.objects.select_related("work_item", "person").filter(pk=entry_id).first()
    if entry is None:
        raise NotFound(ERR_NO_ENTRY.format(id=entry_id), field="entry_id")
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


CHUNK = 500  # ids per IN (...) list


def day_totals(
    *, person_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[tuple[int, dt.date], Decimal]:
    """The hours already logged per (person, day) from start to end, for many people at once
    (an import checks its 24-hour days against them)."""
    ids = sorted(set(person_ids))
    totals: dict[tuple[int, dt.date], Decimal] = {}
    for i in range(0, len(ids), CHUNK):
        rows = (
            TimeEntry.objects.filter(
                person_id__in=ids[i : i + CHUNK], date__gte=start, date__lte=end
            )
            .values_list("person_id", "date")
            .annotate(total=Sum("hours"))
            .order_by()
        )
        totals.update(((pid, day), numbers.hours(total)) for pid, day, total in rows)
    return totals


def locked_spans(*, person_ids: Iterable[int]) -> dict[int, list[tuple[dt.date, dt.date]]]:
    """Each person's locked (approved) quarters as (first, last day), for many people at once."""
    ids = sorted(set(person_ids))
    spans: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for i in range(0, len(ids), CHUNK):
        rows = QuarterlyCertification.objects.filter(
            person_id__in=ids[i : i + CHUNK], locked_at__isnull=False
        ).values_list("person_id", "start_date", "end_date")
        for pid, first, last in rows:
            spans[pid].append((first, last))
    return dict(spans)


def people_with_approvals_in(
    *, person_ids: Iterable[int], start: dt.date, end: dt.date
) -> set[int]:
    """Which of these people have a certification part-way up the chain (certified, not yet
    finally approved) overlapping start–end: the ones a change of time sends back."""
    ids = sorted(set(person_ids))
    found: set[int] = set()
    for i in range(0, len(ids), CHUNK):
        found.update(
            QuarterlyCertification.objects.filter(
                person_id__in=ids[i : i + CHUNK],
                status__in=[
                    QuarterlyCertification.Status.MANAGER_CERTIFIED,
                    QuarterlyCertification.Status.HEAD_APPROVED,
                ],
                start_date__lte=end,
                end_date__gte=start,
            ).values_list("person_id", flat=True)
        )
    return found


def day_total(*, person: Person, day: dt.date, exclude_entry_id: int | None = None) -> Decimal:
    qs = TimeEntry.objects.filter(person=person, date=day)
    if exclude_entry_id is not None:
        qs = qs.exclude(pk=exclude_entry_id)
    return qs.aggregate(total=Sum("hours"))["total"] or ZERO


def timesheet_for(*, person: Person, week: dt.date) -> Timesheet | None:
    return Timesheet.objects.filter(person=person, week_start=periods.week_start(week)).first()


def locked_certification(*, person_id: int, day: dt.date) -> QuarterlyCertification | None:
    return QuarterlyCertification.objects.filter(
        person_id=person_id, start_date__lte=day, end_date__gte=day, locked_at__isnull=False
    ).first()


def is_locked(person_id: int, day: dt.date) -> bool:
    return locked_certification(person_id=person_id, day=day) is not None


def locked_days(*, person_id: int, start: dt.date, end: dt.date) -> set[dt.date]:
    """The dates from start to end that are locked for the person (one query)."""
    spans = QuarterlyCertification.objects.filter(
        person_id=person_id, start_date__lte=end, end_date__gte=start, locked_at__isnull=False
    ).values_list("start_date", "end_date")
    days: set[dt.date] = set()
    for first, last in spans:
        day = max(first, start)
        while day <= min(last, end):
            days.add(day)
            day += dt.timedelta(days=1)
    return days


# Entries a week cell may change in place: one typed by hand or by the timer. Others (several
# on one day, or from GitLab) are changed where they come from.
CELL_EDITABLE_SOURCES = (TimeEntry.Source.MANUAL, TimeEntry.Source.TIMER)


@dataclass
class WeekCell:
    """One work item on one day of a person's week."""

    item: WorkItem
    day: dt.date
    entries: list[TimeEntry]
    locked: bool

    @property
    def total(self) -> Decimal:
        return sum((e.hours for e in self.entries), ZERO)

    @property
    def editable(self) -> bool:
        """Typed over in the grid: not locked, and empty or one entry of its own."""
        if self.locked:
            return False
        return not self.entries or (
            len(self.entries) == 1 and self.entries[0].source in CELL_EDITABLE_SOURCES
        )


@dataclass
class WeekRow:
    item: WorkItem
    cells: list[WeekCell]

    @property
    def total(self) -> Decimal:
        return sum((c.total for c in self.cells), ZERO)


@dataclass
class WeekGrid:
    """A person's ISO week as My week shows it: a row per work item with time (or asked for),
    by title, a cell per day, which days are locked."""

    monday: dt.date
    days: list[dt.date]
    rows: list[WeekRow]
    locked: dict[dt.date, bool]

    def cell(self, item_id: int, day: dt.date) -> WeekCell | None:
        for row in self.rows:
            if row.item.pk == item_id:
                return next((c for c in row.cells if c.day == day), None)
        return None

    @property
    def day_totals(self) -> list[Decimal]:
        return [sum((r.cells[i].total for r in self.rows), ZERO) for i in range(7)]

    @property
    def total(self) -> Decimal:
        return sum(self.day_totals, ZERO)


def week_grid(*, person: Person, week: dt.date, extra_items: Iterable[int] = ()) -> WeekGrid:
    """The read model of My week: the week's entries by work item and day, plus rows for the
    work items asked for (`extra_items`: ids; unknown ones are left out)."""
    days = periods.week_days(week)
    by_cell: dict[tuple[int, dt.date], list[TimeEntry]] = defaultdict(list)
    items: dict[int, WorkItem] = {}
    for entry in entries_for(person=person, start=days[0], end=days[-1]):
        by_cell[(entry.work_item_id, entry.date)].append(entry)
        items.setdefault(entry.work_item_id, entry.work_item)
    wanted = [i for i in dict.fromkeys(extra_items) if i not in items]
    for item in WorkItem.objects.filter(pk__in=wanted).select_related("epic", "epic__parent"):
        items[item.pk] = item
    closed = locked_days(person_id=person.pk, start=days[0], end=days[-1])
    locked = {d: d in closed for d in days}
    rows = [
        WeekRow(
            item=item,
            cells=[
                WeekCell(item=item, day=d, entries=by_cell.get((item.pk, d), []), locked=locked[d])
                for d in days
            ],
        )
        for item in sorted(items.values(), key=lambda i: (i.title.lower(), i.pk))
    ]
    return WeekGrid(monday=days[0], days=days, rows=rows, locked=locked)


def is_pto(work_item: WorkItem) -> bool:
    epic = work_item.epic
    major = epic.parent if epic.parent_id else epic
    return major is not None and major.name == PTO_MAJOR


def timesheet_list(*, person: Person, limit: int = 104) -> list[Timesheet]:
    return list(Timesheet.objects.filter(person=person).order_by("-week_start")[:limit])


@dataclass(frozen=True)
class Suggestion:
    """A pre-filled cell of "my week": hours planned on the schedule, for the person to adjust."""

    date: dt.date
    hours: Decimal
    engagement_id: int | None
    task_name: str
    work_item: WorkItem | None  # where the hours would go, when there is an obvious one


def week_from_schedule(*, person: Person, week: dt.date) -> list[Suggestion]:
    """The person's confirmed bookings and internal time in a week, as time to log: engagement
    work on the engagement's first "All project hours" work item (if it has one), internal time
    on its category's standing work item (planned with one), else on a work item of the same
    title (if one exists). Nothing is saved."""
    monday = periods.week_start(week)
    days = booking_days_for(
        person_id=person.pk,
        start=monday,
        end=monday + dt.timedelta(days=6),
        kinds=("confirmed", "internal"),
    )
    engagement_ids = {d.engagement_id for d in days if d.engagement_id}
    items_by_engagement: dict[int, WorkItem] = {}
    for item in WorkItem.objects.filter(engagement_id__in=engagement_ids).order_by("id"):
        items_by_engagement.setdefault(item.engagement_id or 0, item)
    categories = internal_time_categories(
        booking_ids={d.booking_id for d in days if not d.engagement_id}
    )
    standing = {
        item.epic_id: item
        for item in WorkItem.objects.filter(
            standing=True, epic_id__in=[e.pk for e in categories.values()]
        ).order_by("-id")  # the oldest wins
    }
    titles = {d.task_name for d in days if d.task_name}
    # The oldest item of a title wins, as for engagements (whatever the database's order).
    items_by_title: dict[str, WorkItem] = {}
    for item in WorkItem.objects.filter(title__in=titles).order_by("id"):
        items_by_title.setdefault(item.title, item)
    return [
        Suggestion(
            date=d.date,
            hours=d.hours,
            engagement_id=d.engagement_id,
            task_name=d.task_name,
            work_item=(
                items_by_engagement.get(d.engagement_id)
                if d.engagement_id
                else (
                    standing.get(categories[d.booking_id].pk)
                    if d.booking_id in categories
                    else None
                )
                or items_by_title.get(d.task_name)
            ),
        )
        for d in days
    ]


@dataclass(frozen=True)
class MissingTimesheet:
    person: Person
    week_start: dt.date
    logged: Decimal
    required: Decimal
    due: dt.datetime


def missing_timesheets(
    *, people: Iterable[Person], weeks: Iterable[dt.date]
) -> list[MissingTimesheet]:
    """Weeks not submitted yet, per person, with the hours logged so far (a manager's view and
    the reminders' list). Two queries for the lot."""
    people = list(people)
    mondays = sorted({periods.week_start(w) for w in weeks})
    gaps = unsubmitted_weeks(people=people, weeks=mondays)
    if not gaps:
        return []
    logged: dict[tuple[int, dt.date], Decimal] = defaultdict(lambda: ZERO)
    rows = (
        TimeEntry.objects.filter(
            person__in=people, date__gte=mondays[0], date__lte=mondays[-1] + dt.timedelta(days=6)
        )
        .values_list("person_id", "date")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    for pid, day, total in rows:
        logged[(pid, periods.week_start(day))] += total
    result = []
    for person in people:
        required = effective_weekly_hours(person)
        for monday in gaps.get(person.pk, []):
            result.append(
                MissingTimesheet(
                    person=person,
                    week_start=monday,
                    logged=logged[(person.pk, monday)],
                    required=required,
                    due=rules.due_at(monday, person.timezone),
                )
            )
    return result


def unsubmitted_weeks(
    *, people: Iterable[Person], weeks: Iterable[dt.date]
) -> dict[int, list[dt.date]]:
    """The weeks (Mondays, in order) each person was employed in and has not submitted;
    people with none are left out. Two queries, and no time entries read."""
    people = list(people)
    mondays = sorted({periods.week_start(w) for w in weeks})
    if not people or not mondays:
        return {}
    sheets = Timesheet.objects.filter(week_start__in=mondays)
    # Counted first: only people with fewer sheets than weeks can have a gap to list.
    counts = dict(
        sheets.filter(person_id__in=[p.pk for p in people])
        .values_list("person_id")
        .annotate(n=Count("id"))
        .order_by()
        .values_list("person_id", "n")
    )
    short = [p for p in people if counts.get(p.pk, 0) < len(mondays)]
    submitted = (
        set(
            sheets.filter(person_id__in=[p.pk for p in short]).values_list(
                "person_id", "week_start"
            )
        )
        if short
        else set()
    )
    result: dict[int, list[dt.date]] = {}
    for person in short:
        gaps = [
            monday
            for monday in mondays
            if person.start_date <= monday + dt.timedelta(days=6)
            and (person.end_date is None or person.end_date >= monday)
            and (person.pk, monday) not in submitted
        ]
        if gaps:
            result[person.pk] = gaps
    return result


def timer_for(*, person: Person) -> Timer | None:
    """The person's running timer, if any."""
    return Timer.objects.select_related("work_item").filter(person=person).first()


# ------------------------------------------------------------------ engagement totals

ENGAGEMENT_CHUNK = 500  # ids per query, under every database's parameter limit
CENT = Decimal("0.01")


def _from_hundredths(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(CENT)


def engagement_hours(*, engagement_ids: Iterable[int]) -> dict[int, Decimal]:
    """All hours logged on each engagement's work items (adjustments included), read from the
    stored rollup: one small aggregate per 500 engagements. Engagements without time are
    absent."""
    ids = sorted(set(engagement_ids))
    result: dict[int, Decimal] = {}
    for i in range(0, len(ids), ENGAGEMENT_CHUNK):
        rows = (
            WorkItemWeek.objects.filter(work_item__engagement_id__in=ids[i : i + ENGAGEMENT_CHUNK])
            .values_list("work_item__engagement_id")
            .annotate(total=Sum("hundredths"))
            .order_by()
        )
        result.update({eid: _from_hundredths(total) for eid, total in rows})
    return result


MAX_ENGAGEMENTS = 500
ERR_ENGAGEMENT_IDS = f"give between 1 and {MAX_ENGAGEMENTS} engagement ids"
ERR_UNKNOWN_ENGAGEMENTS = "no engagement has the id {ids}"


def engagement_totals(*, engagement_ids: Iterable[int]) -> dict[int, Decimal]:
    """Hours of each asked engagement, by id, 0 where nothing is logged: between 1 and 500
    engagements that must all exist (a 404 names the unknown ids)."""
    ids = sorted(set(engagement_ids))
    if not 1 <= len(ids) <= MAX_ENGAGEMENTS:
        raise ValidationFailed(ERR_ENGAGEMENT_IDS, field="engagement_id")
    missing = engagements_missing(engagement_ids=ids)
    if missing:
        unknown = ", ".join(map(str, missing))
        raise NotFound(ERR_UNKNOWN_ENGAGEMENTS.format(ids=unknown), field="engagement_id")
    totals = engagement_hours(engagement_ids=ids)
    return {i: totals.get(i, ZERO) for i in ids}


def engagement_weeks(*, engagement_id: int) -> list[tuple[dt.date, Decimal]]:
    """Hours logged on an engagement per ISO week (the Monday), oldest first."""
    rows = (
        WorkItemWeek.objects.filter(work_item__engagement_id=engagement_id)
        .values_list("week_start")
        .annotate(total=Sum("hundredths"))
        .order_by("week_start")
    )
    return [(week, _from_hundredths(total)) for week, total in rows]


@dataclass(frozen=True)
class EngagementTime:
    """Time logged on an engagement against its budget hours."""

    engagement_id: int
    hours: Decimal
    budget_hours: Decimal
    weeks: list[tuple[dt.date, Decimal]]

    @property
    def remaining_hours(self) -> Decimal:
        return self.budget_hours - self.hours

    @property
    def percent_of_budget(self) -> Decimal | None:
        """Hours logged as a percentage of the budget (one place); None without a budget."""
        if self.budget_hours <= 0:
            return None
        return (self.hours * 100 / self.budget_hours).quantize(Decimal("0.1"))


def engagement_time(*, engagement: Engagement) -> EngagementTime:
    weeks = engagement_weeks(engagement_id=engagement.pk)
    return EngagementTime(
        engagement_id=engagement.pk,
        hours=sum((hours for _, hours in weeks), ZERO).quantize(CENT),
        budget_hours=engagement.budget_hours,
        weeks=weeks,
    )


# ------------------------------------------------------------------ the stored summary per month


@dataclass(frozen=True)
class TimeSummary:
    """A person's time over whole months as the stored summary gives it (PersonMonth): what
    the certification queue shows without reading the entries."""

    total: Decimal
    billable: Decimal
    entries: int
    changes: int  # writes that touched these months; grows with every one
    digest: str  # rules.entries_digest of the entries


def time_summaries(
    *, person_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, TimeSummary]:
    """The summaries of many people over the months from `start` to `end` (whole months, as a
    fiscal quarter is), every person given included: one query per 500 people."""
    if start.day != 1 or (end + dt.timedelta(days=1)).day != 1:
        raise ValueError(f"{start} to {end} is not whole months")
    ids = sorted(set(person_ids))
    sums: dict[int, list[int]] = {pid: [0] * (4 + rules.DIGEST_LIMBS) for pid in ids}
    sums_of = {name: Sum(name) for name in PersonMonth.SUMMED_FIELDS}
    for i in range(0, len(ids), 500):
        rows = (
            PersonMonth.objects.filter(
                person_id__in=ids[i : i + 500], month__gte=start, month__lte=end
            )
            .values("person_id")
            .annotate(**sums_of)
            .order_by()
            .values_list("person_id", *sums_of)
        )
        for pid, *cell in rows:
            # PostgreSQL sums bigints as numeric: back to int, exactly.
            sums[pid] = [int(value) for value in cell]
    hundred = Decimal(100)
    return {
        pid: TimeSummary(
            total=(Decimal(s[0]) / hundred).quantize(rules.TWO_PLACES),
            billable=(Decimal(s[1]) / hundred).quantize(rules.TWO_PLACES),
            entries=s[2],
            changes=s[3],
            digest=rules.digest_of(s[4:]),
        )
        for pid, s in sums.items()
    }


def quarter_entry_keys(
    *, person_ids: Iterable[int], start: dt.date, end: dt.date
) -> dict[int, dict[int, rules.EntryKey]]:
    """The entries of many people in a period as an approval records them ({id: key}), every
    person given included: one query per 500 people."""
    ids = sorted(set(person_ids))
    found: dict[int, dict[int, rules.EntryKey]] = {pid: {} for pid in ids}
    for i in range(0, len(ids), 500):
        rows = (
            TimeEntry.objects.filter(person_id__in=ids[i : i + 500], date__gte=start, date__lte=end)
            .order_by()
            .values_list("person_id", "id", "date", "work_item_id", "hours")
        )
        for pid, pk, day, item, hours in rows:
            found[pid][pk] = rules.entry_key(day, item, hours)
    return found


def hours_by_person_day(
    *, start: dt.date, end: dt.date, person_ids: Iterable[int] | None = None
) -> dict[tuple[int, dt.date], Decimal]:
    """Hours each person logged on each day of a period (adjustments included): what a cost
    is priced on, a day at a time with the rate in force that day. Days whose entries cancel
    out are left out. Whose time this is, is the caller's check."""
    qs = TimeEntry.objects.filter(date__gte=start, date__lte=end)
    if person_ids is not None:
        qs = qs.filter(person_id__in=sorted(set(person_ids)))
    rows = qs.values_list("person_id", "date").annotate(total=Sum("hours")).order_by()
    # SQLite sums without the column's two places: hours() gives them back.
    return {(pid, day): numbers.hours(total) for pid, day, total in rows if total}


def engagement_hours_by_day(
    *, start: dt.date, end: dt.date, engagement_ids: Iterable[int] | None = None
) -> dict[tuple[int, dt.date], Decimal]:
    """Hours logged on each engagement's work items on each day of a period (adjustments
    included): what time and materials bills, a day at a time with the rate in force."""
    qs = TimeEntry.objects.filter(
        date__gte=start, date__lte=end, work_item__engagement_id__isnull=False
    )
    if engagement_ids is not None:
        qs = qs.filter(work_item__engagement_id__in=sorted(set(engagement_ids)))
    rows = qs.values_list("work_item__engagement_id", "date").annotate(total=Sum("hours"))
    return {(eid, day): numbers.hours(total) for eid, day, total in rows.order_by() if total}


@dataclass(frozen=True)
class MajorHours:
    """A person's hours of a period under one major epic: all of them, those on billable work
    items (an engagement's), and those billable or in one of the categories asked for."""

    person_id: int
    major: str
    hours: Decimal
    billable: Decimal
    billable_or_listed: Decimal


def hours_by_person_major(
    *,
    start: dt.date,
    end: dt.date,
    person_ids: Iterable[int] | None,
    categories: Iterable[str],
) -> list[MajorHours]:
    """Each person's hours of a period by major epic (adjustments included), with the billable
    ones and those billable or in `categories` (by name) summed beside them: what utilization
    sums, added up in the database so a quarter of everyone's time comes back as a few rows per
    person. One query per 500 people; None: everyone's, in one."""
    chunks: list[list[int] | None] = [None]
    if person_ids is not None:
        ids = sorted(set(person_ids))
        chunks = [ids[i : i + 500] for i in range(0, len(ids), 500)]
    on_engagement = Q(work_item__engagement_id__isnull=False)
    listed = on_engagement | Q(work_item__epic__name__in=sorted(set(categories)))
    found: list[MajorHours] = []
    for chunk in chunks:
        entries = TimeEntry.objects.filter(date__gte=start, date__lte=end)
        if chunk is not None:
            entries = entries.filter(person_id__in=chunk)
        rows = (
            entries.values_list("person_id", "work_item__epic__parent__name")
            .annotate(
                total=Sum("hours"),
                billable=Sum("hours", filter=on_engagement, default=numbers.ZERO),
                listed=Sum("hours", filter=listed, default=numbers.ZERO),
            )
            .order_by()
        )
        # The sums come back as the hours field's Decimals (two places on both databases).
        found.extend(
            MajorHours(pid, major, total, billable, listed)
            for pid, major, total, billable, listed in rows
            if total
        )
    return found


def work_item_engagements(*, work_item_ids: Iterable[int]) -> dict[int, int | None]:
    """The engagement of each work item (None: internal work)."""
    ids = sorted(set(work_item_ids))
    found: dict[int, int | None] = {}
    for i in range(0, len(ids), 500):
        rows = WorkItem.objects.filter(pk__in=ids[i : i + 500]).values_list("pk", "engagement_id")
        found.update(dict(rows))
    return found


def engagement_hours_by_person(
    *, start: dt.date, end: dt.date, engagement_ids: Iterable[int] | QuerySet[Any, Any]
) -> dict[tuple[int, int], Decimal]:
    """Hours logged now on each engagement by each person in a period: {(engagement, person)}.
    `engagement_ids` may be a query of ids (read as a subquery, however many)."""
    ids: Any = (
        engagement_ids if isinstance(engagement_ids, QuerySet) else sorted(set(engagement_ids))
    )
    rows = (
        TimeEntry.objects.filter(
            date__gte=start,
            date__lte=end,
            work_item__engagement_id__in=ids,
        )
        .values_list("work_item__engagement_id", "person_id")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    return {(eid, pid): numbers.hours(total) for eid, pid, total in rows if total}


def engagement_person_day_hours(
    *, start: dt.date, end: dt.date
) -> dict[tuple[int, int, dt.date], Decimal]:
    """Hours logged on engagements in a period, per engagement, person and day (adjustments
    included): what the cost of the work is priced on, at each person's rate of the day."""
    rows = (
        TimeEntry.objects.filter(
            date__gte=start, date__lte=end, work_item__engagement_id__isnull=False
        )
        .values_list("work_item__engagement_id", "person_id", "date")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    return {(eid, pid, day): numbers.hours(total) for eid, pid, day, total in rows if total}


def engagement_entry_hours(*, engagement_id: int) -> dict[tuple[int, int, dt.date], Decimal]:
    """All hours logged on an engagement, per person, work item and day (adjustments
    included): what its close-out costs, each hour at its person's rate of the day."""
    rows = (
        TimeEntry.objects.filter(work_item__engagement_id=engagement_id)
        .values_list("person_id", "work_item_id", "date")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    return {(pid, item, day): numbers.hours(total) for pid, item, day, total in rows if total}


@dataclass(frozen=True)
class EntryRow:
    """One entry as a report lists it: whose, what on, its category (the epic) and hours."""

    entry_id: int
    date: dt.date
    person_id: int
    person: str
    work_item_id: int
    work_item: str
    engagement_id: int | None
    major: str
    category: str
    hours: Decimal


def entry_rows(
    *,
    start: dt.date,
    end: dt.date,
    person_id: int | None = None,
    engagement_id: int | None = None,
    entry_ids: Iterable[int] | None = None,
) -> list[EntryRow]:
    """The entries of a period, of a person and/or on an engagement (or exactly those given),
    by day: the rows behind a figure."""
    rows = TimeEntry.objects.filter(date__gte=start, date__lte=end)
    if person_id is not None:
        rows = rows.filter(person_id=person_id)
    if engagement_id is not None:
        rows = rows.filter(work_item__engagement_id=engagement_id)
    if entry_ids is not None:
        rows = rows.filter(pk__in=sorted(set(entry_ids)))
    return [
        EntryRow(pk, day, pid, name, item, title, eid, major or "", category or "", hours)
        for pk, day, pid, name, item, title, eid, major, category, hours in rows.order_by(
            "date", "person__name", "id"
        ).values_list(
            "pk",
            "date",
            "person_id",
            "person__name",
            "work_item_id",
            "work_item__title",
            "work_item__engagement_id",
            "work_item__epic__parent__name",
            "work_item__epic__name",
            "hours",
        )
    ]


def first_entry_date() -> dt.date | None:
    """The day of the earliest entry (None without one)."""
    return TimeEntry.objects.order_by("date").values_list("date", flat=True).first()


def _engagement_hours(
    start: dt.date, end: dt.date, person_ids: Iterable[int] | None, *by: Any
) -> list[tuple[Any, ...]]:
    rows = TimeEntry.objects.filter(
        date__gte=start, date__lte=end, work_item__engagement_id__isnull=False
    )
    ids = None if person_ids is None else sorted(set(person_ids))
    chunks = [None] if ids is None else [ids[i : i + 500] for i in range(0, len(ids), 500)]
    found: list[tuple[Any, ...]] = []
    for chunk in chunks:
        part = rows if chunk is None else rows.filter(person_id__in=chunk)
        found.extend(
            part.annotate(**{f"k{i}": key for i, key in enumerate(by) if not isinstance(key, str)})
            .values_list(
                "work_item__engagement_id",
                "person_id",
                *(key if isinstance(key, str) else f"k{i}" for i, key in enumerate(by)),
            )
            .annotate(total=Sum("hours"))
            .order_by()
        )
    return found


def engagement_hours_by_person_in(
    *, start: dt.date, end: dt.date
) -> dict[tuple[int, int], Decimal]:
    """Hours logged on engagements in a period per engagement and person, summed in the
    database: what the cost of the work is priced on where one cost rate holds throughout."""
    return {
        (eid, pid): numbers.hours(total)
        for eid, pid, total in _engagement_hours(start, end, None)
        if total
    }


def engagement_hours_by_month(
    *, start: dt.date, end: dt.date, person_ids: Iterable[int]
) -> dict[tuple[int, int, dt.date], Decimal]:
    """The same per month (its first day), for the given people."""
    return {
        (eid, pid, month if isinstance(month, dt.date) else month.date()): numbers.hours(total)
        for eid, pid, month, total in _engagement_hours(start, end, person_ids, TruncMonth("date"))
        if total
    }


def engagement_hours_by_day_of(
    *, start: dt.date, end: dt.date, person_ids: Iterable[int]
) -> dict[tuple[int, int, dt.date], Decimal]:
    """The same a day at a time, for the given people."""
    return {
        (eid, pid, day): numbers.hours(total)
        for eid, pid, day, total in _engagement_hours(start, end, person_ids, "date")
        if total
    }


def work_items_of_engagements(
    *, engagement_ids: Iterable[int] | QuerySet[Any, Any]
) -> dict[int, int]:
    """The work items of the given engagements (a query of ids is read as a subquery): item →
    its engagement."""
    ids: Any = (
        engagement_ids if isinstance(engagement_ids, QuerySet) else sorted(set(engagement_ids))
    )
    return dict(WorkItem.objects.filter(engagement_id__in=ids).values_list("pk", "engagement_id"))
