"""Reads for the hours report: a person's own time in a fiscal quarter (every entry they
logged, whichever work item it is on), with totals per major epic, work item, day and ISO week,
and productive utilization; the same for many people at once (batched queries), the totals alone
(what the certification queue needs), and hours per person and ISO week. Who may read a report is
timetracking.selectors' rule for whose time one may see. The files made from these reads (XLSX,
CSV, the team ZIP) are report_files'.

Only the person's own entries count: time others logged on work items the person authored or is
assigned to is theirs, not this person's. Adjusting entries (negative hours, with a reason) are
rows like any other and count in every total.

Productive utilization = billable hours / the person's capacity over the whole quarter (public
holidays and time off removed), in percent to one place; None when the capacity is 0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import DateField, Sum
from django.db.models.functions import Cast, TruncWeek

from psa.core import clock, periods
from psa.core.errors import PermissionDenied, ValidationFailed
from psa.core.numbers import ZERO
from psa.core.roles import Actor
from psa.people import rules as people_rules
from psa.people import selectors as people
from psa.people.models import Person
from psa.timetracking import selectors
from psa.timetracking.models import Epic, TimeEntry, WorkItem

PERCENT = Decimal("0.1")
CHUNK = 500  # ids per IN (...) list
ERR_TEAM = "the team report needs a manager, finance or head-of-PS role (or your own reports)"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class WorkItemInfo:
    id: int
    title: str
    web_url: str
    epic: str  # the category
    major_epic: str
    major_position: int
    engagement_id: int | None
    engagement: str  # "Customer — Engagement", or ""

    @property
    def billable(self) -> bool:
        return self.engagement_id is not None


@dataclass(frozen=True)
class ReportRow:
    entry_id: int
    date: dt.date
    work_item: WorkItemInfo
    hours: Decimal
    note: str
    source: str
    reason: str  # the adjustment reason, for an entry correcting locked time

    @property
    def billable(self) -> bool:
        return self.work_item.billable


@dataclass(frozen=True)
class WorkItemTotal:
    work_item: WorkItemInfo
    hours: Decimal


@dataclass
class HoursReport:
    person: Person
    quarter: periods.FiscalQuarter
    rows: list[ReportRow]
    capacity: Decimal
    total: Decimal = ZERO
    billable: Decimal = ZERO
    non_billable: Decimal = ZERO
    by_major_epic: dict[str, Decimal] = field(default_factory=dict)  # in epic-tree order
    by_work_item: list[WorkItemTotal] = field(default_factory=list)  # by hours, then title
    by_day: dict[dt.date, Decimal] = field(default_factory=dict)  # days with time, in order
    by_week: dict[dt.date, Decimal] = field(default_factory=dict)  # ISO week's Monday → hours

    @property
    def utilization(self) -> Decimal | None:
        return productive_utilization(self.billable, self.capacity)


def productive_utilization(billable: Decimal, capacity: Decimal) -> Decimal | None:
    """Billable hours over capacity, percent to one place; None when the capacity is 0."""
    if capacity <= 0:
        return None
    return (billable * 100 / capacity).quantize(PERCENT, rounding=ROUND_HALF_UP)


EntryRow = tuple[int, int, dt.date, int, Decimal]  # (person, entry, date, work item id, hours)


@dataclass(frozen=True)
class QuarterTotals:
    """An hours report's totals without its rows (what the certification queue shows): the same
    entries, capacity, billable rule and utilization, read without the report's columns."""

    capacity: Decimal
    total: Decimal
    billable: Decimal
    entries: list[EntryRow]  # in no particular order

    @property
    def utilization(self) -> Decimal | None:
        return productive_utilization(self.billable, self.capacity)


def iso_week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def summarize(report: HoursReport) -> HoursReport:
    """Fill the totals from the rows (one place computes them all)."""
    billable = ZERO
    non_billable = ZERO
    majors: dict[str, Decimal] = defaultdict(lambda: ZERO)
    order: dict[str, tuple[int, str]] = {}
    items: dict[int, Decimal] = defaultdict(lambda: ZERO)
    info: dict[int, WorkItemInfo] = {}
    days: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    weeks: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for row in report.rows:
        wi = row.work_item
        if wi.billable:
            billable += row.hours
        else:
            non_billable += row.hours
        majors[wi.major_epic] += row.hours
        order[wi.major_epic] = (wi.major_position, wi.major_epic)
        items[wi.id] += row.hours
        info[wi.id] = wi
        days[row.date] += row.hours
        weeks[periods.week_start(row.date)] += row.hours
    report.billable = billable
    report.non_billable = non_billable
    report.total = billable + non_billable
    report.by_major_epic = {m: majors[m] for m in sorted(majors, key=lambda m: order[m])}
    report.by_work_item = [
        WorkItemTotal(info[i], h)
        for i, h in sorted(items.items(), key=lambda kv: (-kv[1], info[kv[0]].title, kv[0]))
    ]
    report.by_day = {d: days[d] for d in sorted(days)}
    report.by_week = {w: weeks[w] for w in sorted(weeks)}
    return report


MIN_YEAR, MAX_YEAR = 2000, 2100
ERR_QUARTER = "quarter must be 1, 2, 3 or 4"
ERR_YEAR = f"year must be a fiscal year between {MIN_YEAR} and {MAX_YEAR}, such as 2027"
ERR_BOTH = "give both year and quarter, or neither (the current fiscal quarter)"


def report_quarter(year: int | None, quarter: int | None) -> periods.FiscalQuarter:
    """The quarter asked for (FY `year`, quarter 1-4), or the current one (today by the clock,
    settings.PSA_FISCAL_YEAR_START_MONTH) when neither is given."""
    start_month = settings.PSA_FISCAL_YEAR_START_MONTH
    if year is None and quarter is None:
        return periods.fiscal_quarter(clock.today(), start_month=start_month)
    if quarter is not None and not 1 <= quarter <= 4:
        raise ValidationFailed(ERR_QUARTER, field="quarter")
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(ERR_YEAR, field="year")
    if year is None or quarter is None:
        raise ValidationFailed(ERR_BOTH, field="year" if year is None else "quarter")
    return periods.quarter_by_label(year, quarter, start_month=start_month)


# ------------------------------------------------------------------ access


def access_hours_report(*, actor: Actor, person: Person) -> Person:
    """An hours report is the person's time: read by whoever may read that."""
    return selectors.access_time_of(actor=actor, person=person)


def access_team_report(*, actor: Actor, manager_id: int | None) -> None:
    """A team report (the manager's reports, or everyone's) is its people's time."""
    if not selectors.may_see_team_time(actor, manager_id=manager_id):
        raise PermissionDenied(ERR_TEAM, field="manager_id")


@dataclass(frozen=True)
class ReportChoices:
    """What the report page offers the actor for a quarter."""

    people: list[Person]  # whose report they may open: employed in the quarter, by name
    team: bool  # whether they may export a team's reports
    team_manager_id: int | None  # that team: this manager's reports; everyone's when None


def report_choices_for(*, actor: Actor, quarter: periods.FiscalQuarter) -> ReportChoices:
    """The people whose report the actor may pick (the one rule of whose time one may see), and
    the team they may export: everyone's for those who see everyone's, else their own reports
    when they have any in the quarter."""
    chosen = people.person_list(employed_during=(quarter.start, quarter.end))
    visible = selectors.time_owners_visible_to(actor, owner="")
    if visible is not None:
        chosen = chosen.filter(visible)
    choices = list(chosen)
    if selectors.may_see_team_time(actor, manager_id=None):
        return ReportChoices(people=choices, team=True, team_manager_id=None)
    me = actor.person_id
    leads = me is not None and any(p.manager_id == me for p in choices)
    return ReportChoices(people=choices, team=leads, team_manager_id=me if leads else None)


# ------------------------------------------------------------------ reads


def hours_report(*, person: Person, quarter: periods.FiscalQuarter) -> HoursReport:
    """The person's hours report for the quarter."""
    return team_reports(people=[person], quarter=quarter)[0]


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _work_items(ids: Iterable[int]) -> dict[int, WorkItemInfo]:
    majors = {
        pk: (name, position)
        for pk, name, position in Epic.objects.filter(parent__isnull=True).values_list(
            "pk", "name", "position"
        )
    }
    result: dict[int, WorkItemInfo] = {}
    wanted = sorted(set(ids))
    for chunk in _chunks(wanted):
        rows = WorkItem.objects.filter(pk__in=chunk).values_list(
            "pk",
            "title",
            "web_url",
            "epic__name",
            "epic__parent_id",
            "epic_id",
            "engagement_id",
            "engagement__name",
            "engagement__customer__name",
        )
        for pk, title, url, epic, parent_id, epic_id, eng_id, eng, customer in rows:
            major_name, position = majors.get(parent_id or epic_id, (epic, 0))
            label = f"{customer} — {eng}" if eng_id is not None and customer else (eng or "")
            result[pk] = WorkItemInfo(
                pk, title, url, epic, major_name, position, eng_id, label or ""
            )
    return result


def team_reports(
    *,
    people: Sequence[Person],
    quarter: periods.FiscalQuarter,
    progress: Progress | None = None,
) -> list[HoursReport]:
    """Hours reports for many people, in the order given. Queries: the entries of each chunk of
    500 people, the work items they are on, the epics, and the time off (capacity)."""
    people_list = list(people)
    capacity = _capacity(people_list, quarter)
    raw: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    item_ids: set[int] = set()
    ids = [p.pk for p in people_list]
    for chunk in _chunks(ids):
        rows = _quarter_entries(chunk, quarter).values_list(
            "person_id", "id", "date", "work_item_id", "hours", "note", "source", "reason"
        )
        for row in rows.iterator(chunk_size=5000):
            raw[row[0]].append(row)
            item_ids.add(row[3])
    items = _work_items(item_ids)
    reports = []
    total = len(people_list)
    for done, person in enumerate(people_list, start=1):
        rows_out = [
            ReportRow(eid, day, items[wid], hours, note, source, reason)
            for _, eid, day, wid, hours, note, source, reason in raw.get(person.pk, ())
        ]
        reports.append(
            summarize(HoursReport(person, quarter, rows_out, capacity.get(person.pk, ZERO)))
        )
        if progress is not None:
            progress(done, total)
    return reports


def _quarter_entries(person_ids: Sequence[int], quarter: periods.FiscalQuarter) -> Any:
    """The entries an hours report counts: the people's own, dated in the quarter, in the
    report's order."""
    return TimeEntry.objects.filter(
        person_id__in=person_ids, date__gte=quarter.start, date__lte=quarter.end
    ).order_by("person_id", "date", "id")


def team_totals(*, people: Sequence[Person], quarter: periods.FiscalQuarter) -> list[QuarterTotals]:
    """The totals team_reports gives, for many people in the order given, without building
    its rows: a queue of hundreds of certifications needs only these. Queries: the entries of
    each chunk of 500 people, which of their work items are billable, the time off."""
    people_list = list(people)
    capacity = _capacity(people_list, quarter)
    raw: dict[int, list[EntryRow]] = defaultdict(list)
    for chunk in _chunks([p.pk for p in people_list]):
        # Unordered: sorting 100,000 rows spills to disk on PostgreSQL, and totals need no order.
        rows = (
            _quarter_entries(chunk, quarter)
            .order_by()
            .values_list("person_id", "id", "date", "work_item_id", "hours")
        )
        for row in rows:
            raw[row[0]].append(row)
    billable_items = _billable_items({row[3] for entries in raw.values() for row in entries})
    result = []
    for person in people_list:
        entries = raw.get(person.pk, [])
        billable = non_billable = ZERO
        for _, _, _, wid, hours in entries:
            if wid in billable_items:
                billable += hours
            else:
                non_billable += hours
        result.append(
            QuarterTotals(
                capacity=capacity.get(person.pk, ZERO),
                total=billable + non_billable,
                billable=billable,
                entries=entries,
            )
        )
    return result


def _billable_items(ids: Iterable[int]) -> set[int]:
    """The work items among these that are billable (WorkItemInfo.billable: on an engagement)."""
    billable: set[int] = set()
    for chunk in _chunks(sorted(set(ids))):
        billable.update(
            WorkItem.objects.filter(pk__in=chunk, engagement__isnull=False).values_list(
                "pk", flat=True
            )
        )
    return billable


def _capacity(people_list: list[Person], quarter: periods.FiscalQuarter) -> dict[int, Decimal]:
    days = people.capacity_for_people(people=people_list, start=quarter.start, end=quarter.end)
    return {pid: people_rules.total_hours(d) for pid, d in days.items()}


def hours_by_person_week(
    *, person_ids: Sequence[int], start: dt.date, end: dt.date
) -> dict[int, dict[dt.date, Decimal]]:
    """Hours per person and ISO week (the week's Monday). PostgreSQL groups by
    date_trunc('week') itself; SQLite's week truncation is a Python function called per row,
    so there the database sums per day (a plain GROUP BY) and the days are folded into weeks
    here. Both give the same figures."""
    by_week = connection.vendor == "postgresql"
    result: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for chunk in _chunks(list(person_ids)):
        qs = TimeEntry.objects.filter(person_id__in=chunk, date__gte=start, date__lte=end)
        rows: Iterable[tuple[int, dt.date, Decimal]]
        if by_week:
            # The cast keeps the week a date in SQL: without it PostgreSQL returns timestamps
            # with a time zone, and converting 6,500 of them back costs a third of the query.
            rows = (
                qs.annotate(week=Cast(TruncWeek("date"), DateField()))
                .values_list("person_id", "week")
                .annotate(total=Sum("hours"))
                .order_by()
            )
        else:
            rows = qs.values_list("person_id", "date").annotate(total=Sum("hours")).order_by()
        for pid, day, hours in rows:
            result[pid][periods.week_start(day)] += hours
    return {pid: dict(weeks) for pid, weeks in result.items()}


def team_people(*, quarter: periods.FiscalQuarter, manager_id: int | None = None) -> list[Person]:
    """Who a team report covers: the manager's reports (everyone without a manager), employed
    on at least one day of the quarter, by name."""
    return list(
        people.person_list(manager_id=manager_id, employed_during=(quarter.start, quarter.end))
    )
