"""Reads for finance: who may read them, the days the rates leave unpriced, utilization."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q

from psa.core import clock, periods
from psa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from psa.core.numbers import money
from psa.core.rates import DatedRate, DatedSeries
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements import selectors as engagement_selectors
from psa.engagements.choices import Kind, Status
from psa.finance import rules
from psa.finance.models import (
    CloseOutFiling,
    FigureRecording,
    FiscalPeriod,
    RecordedFigure,
    RecordedForecast,
    RecordedUtilization,
    UtilizationTarget,
)
from psa.people import selectors as people_selectors
from psa.people.models import Person
from psa.scheduling import selectors as scheduling_selectors
from psa.scheduling.models import BookingDay
from psa.scheduling.review import WeeklyReview, weekly_review_of
from psa.scheduling.rules import WeekFigures
from psa.timetracking import selectors as time_selectors
from psa.timetracking.certification import selectors as cert_selectors

CONFIRMED = BookingDay.Kind.CONFIRMED  # booked engagement work, as the schedule keeps it

FINANCE_READERS = (
    Role.HEAD_OF_PS,
    Role.FINANCE_PARTNER,
    Role.CONTROLLER,
    Role.FINANCE_BUSINESS_PARTNER,
)
MAX_PERIOD_DAYS = 5 * 366
ERR_MAY_NOT_READ = "only finance and the head of PS read finance reports"
ERR_PERIOD = "the period ends before it starts"
ERR_PERIOD_LONG = "a period is at most five years"
ERR_NO_PERIOD = "closed period {id} does not exist"


def may_read_finance(actor: Actor) -> bool:
    return actor.has_any(*FINANCE_READERS)


def _check(actor: Actor, start: dt.date, end: dt.date) -> None:
    if not may_read_finance(actor):
        raise PermissionDenied(ERR_MAY_NOT_READ)
    if end < start:
        raise ValidationFailed(ERR_PERIOD, field="end")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed(ERR_PERIOD_LONG, field="end")


@dataclass(frozen=True)
class RateGap:
    """A person (cost) or an engagement (bill) with hours on days no rate covers."""

    owner_id: int
    name: str
    first: dt.date
    last: dt.date
    days: int
    hours: Decimal


@dataclass(frozen=True)
class RateGaps:
    start: dt.date
    end: dt.date
    cost: list[RateGap]  # people whose hours have no cost rate
    bill: list[RateGap]  # time and materials engagements whose hours have no bill rate


def _gaps(gaps: dict[int, rules.Gap], names: dict[int, str]) -> list[RateGap]:
    rows = [
        RateGap(owner, names.get(owner, str(owner)), g.first, g.last, g.days, g.hours)
        for owner, g in gaps.items()
    ]
    return sorted(rows, key=lambda r: (r.name, r.owner_id))


def rate_gaps(*, actor: Actor, start: dt.date, end: dt.date) -> RateGaps:
    """The hours of the period that no rate prices: each person's days before their first
    cost rate, each time and materials engagement's days before its first bill rate."""
    _check(actor, start, end)
    # A rate, once set, holds until the next: only the days before an owner's first rate can
    # lack one. So only those without a rate on the first day are read a day at a time.
    late = people_selectors.people_without_cost_rate_on(day=start)
    person_hours = time_selectors.hours_by_person_day(start=start, end=end, person_ids=late)
    costs = rules.price(person_hours, people_selectors.cost_rate_series(person_ids=late))
    people = people_selectors.person_list(related=False).filter(pk__in=sorted(costs.gaps))
    person_names = dict(people.values_list("pk", "name"))

    engagements = engagement_selectors.engagement_list(kind=Kind.EMBEDDED_ENGINEER)
    billed = {
        pk: f"{customer} — {name}"
        for pk, customer, name in engagements.values_list("pk", "customer__name", "name")
    }
    unbilled = engagement_selectors.engagements_without_bill_rate_on(
        day=start, engagement_ids=engagements.values("pk")
    )
    engagement_hours = time_selectors.engagement_hours_by_day(
        start=start, end=end, engagement_ids=unbilled
    )
    bills = rules.price(
        engagement_hours, engagement_selectors.bill_rate_series(engagement_ids=unbilled)
    )
    return RateGaps(start, end, _gaps(costs.gaps, person_names), _gaps(bills.gaps, billed))


# ------------------------------------------------------------------ utilization

GROUPS = ("person", "team", "role", "country")
ERR_GROUP = "group by one of person, team, role, country"
NO_MANAGER = "No manager"
NO_ROLE = "No role"
ROLE_LABELS = dict(Role.choices)


def targets_of(
    *, person_ids: Iterable[int], everyone: bool = False
) -> dict[int, DatedSeries[rules.DatedTarget]]:
    """Each person's dated targets (an empty series: the default throughout). `everyone`: the
    people are everyone with a target that matters, read in one query."""
    ids = sorted(set(person_ids))
    found: dict[int, list[rules.DatedTarget]] = {}
    queries = (
        [UtilizationTarget.objects.all()]
        if everyone
        else [
            UtilizationTarget.objects.filter(person_id__in=ids[i : i + 500])
            for i in range(0, len(ids), 500)
        ]
    )
    for rows in queries:
        for pid, start, percent in rows.values_list("person_id", "effective_from", "percent"):
            found.setdefault(pid, []).append(rules.DatedTarget(start, percent))
    none: DatedSeries[rules.DatedTarget] = DatedSeries()  # shared: nobody changes a series
    return {pid: DatedSeries(found[pid]) if pid in found else none for pid in ids}


@dataclass(frozen=True)
class UtilizationRow:
    key: str  # the person's id, the manager's id ("" without one), the role or the country
    label: str
    figures: rules.Utilization
    person_id: int | None = None  # a person row links to the person


@dataclass(frozen=True)
class UtilizationReport:
    start: dt.date
    end: dt.date
    # The last day counted: the end, or today for a period still running (its capacity after
    # today has no hours yet; the forecast is for that). None: the period has not begun.
    through: dt.date | None
    group: str
    rows: list[UtilizationRow]
    total: rules.Utilization  # everyone once (a person with two roles is in two role rows)
    as_of: dt.date | None = None  # the figures as recorded at the end of that day


def _person_figures(
    people: Sequence[Person], start: dt.date, end: dt.date, *, everyone: bool = False
) -> dict[int, rules.Utilization]:
    ids = [p.pk for p in people]
    capacity = people_selectors.capacity_for_people(people=people, start=start, end=end)
    targets = targets_of(person_ids=ids, everyone=everyone)
    booked = scheduling_selectors.planned_hours(person_ids=ids, start=start, end=end)
    figures: dict[int, rules.Utilization] = {}
    totals: dict[int, Decimal] = {}  # people with one calendar share its list: sum it once
    for p in people:
        calendar = capacity.get(p.pk, [])
        total = totals.get(id(calendar))
        if total is None:
            total = totals[id(calendar)] = sum((d.hours for d in calendar), rules.ZERO)
        figures[p.pk] = rules.Utilization(
            people=1,
            capacity=total,
            target_hours=rules.target_hours_of(
                calendar, total, targets[p.pk], start=start, end=end
            ),
            booked=sum(
                (kinds.get(CONFIRMED, rules.ZERO) for kinds in booked.get(p.pk, {}).values()),
                rules.ZERO,
            ),
        )
    # Everyone's hours in one query (the people are everyone employed in the period): hours of
    # anyone else are left out.
    whose = None if everyone else ids
    for row in time_selectors.hours_by_person_major(
        start=start, end=end, person_ids=whose, categories=rules.PRODUCTIVE_CATEGORIES
    ):
        f = figures.get(row.person_id)
        if f is None:
            continue
        f.hours += row.hours
        f.by_major[row.major] = f.by_major.get(row.major, rules.ZERO) + row.hours
        f.billable += row.billable
        f.productive += row.billable_or_listed  # rules.is_productive, summed by the database
    return figures


def _groups(person: Person, group: str) -> list[tuple[str, str]]:
    if group == "team":
        manager = getattr(person, "manager_name", None)
        return [(str(person.manager_id or ""), manager or NO_MANAGER)]
    if group == "role":
        roles = getattr(person, "role_names", [])
        return [(r, ROLE_LABELS.get(r, r)) for r in roles] or [("", NO_ROLE)]
    return [(person.country, person.country)]


def utilization(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    group: str = "person",
    as_of: dt.date | None = None,
) -> UtilizationReport:
    """Capacity, hours by major epic, billable and productive hours, the target and the
    booked hours of everyone employed in the period, per person or per team (manager), role
    or country, with each group's utilization from its summed hours. `as_of`: as recorded at
    the end of that past day (`utilization_as_of`)."""
    if as_of is not None:
        return utilization_as_of(actor=actor, start=start, end=end, as_of=as_of, group=group)
    _check(actor, start, end)
    if group not in GROUPS:
        raise ValidationFailed(ERR_GROUP, field="group")
    through = min(end, clock.today())
    if through < start:
        return UtilizationReport(start, end, None, group, [], rules.Utilization())
    people = list(people_selectors.person_list(employed_during=(start, through), related=False))
    if group in ("team", "role"):
        people = people_selectors.with_labels(people)
    figures = _person_figures(people, start, through, everyone=True)
    total = rules.Utilization()
    for f in figures.values():
        total.add(f)
    if group == "person":
        rows = [UtilizationRow(str(p.pk), p.name, figures[p.pk], p.pk) for p in people]
        return UtilizationReport(start, end, through, group, rows, total)
    grouped: dict[str, UtilizationRow] = {}
    for p in people:
        for key, label in _groups(p, group):
            row = grouped.setdefault(key, UtilizationRow(key, label, rules.Utilization()))
            row.figures.add(figures[p.pk])
    rows = sorted(grouped.values(), key=lambda r: (r.label == NO_MANAGER, r.label))
    return UtilizationReport(start, end, through, group, rows, total)


# ------------------------------------------------------------------ forecast

FORECAST_WEEKS = 13
MAX_FORECAST_WEEKS = 26
ERR_FORECAST_WEEKS = f"a forecast is 1 to {MAX_FORECAST_WEEKS} weeks"
OPEN_STATUSES = "pipeline,booked,active"


@dataclass(frozen=True)
class PersonForecast:
    person_id: int
    name: str
    over: list[dt.date]  # weeks (Mondays) planned above capacity
    under: list[dt.date]  # weeks whose expected billable utilization is below the target


@dataclass(frozen=True)
class ExpectedRevenue:
    engagement_id: int
    name: str
    kind: str
    currency: str
    amount: Decimal
    basis: str


@dataclass(frozen=True)
class Forecast:
    start: dt.date  # a Monday
    end: dt.date  # a Sunday
    weeks: list[WeekFigures]  # the team's, week by week
    people: list[PersonForecast]  # those over- or under-booked in some week
    revenue: list[ExpectedRevenue]
    totals: dict[tuple[str, str], Decimal]  # (kind, currency) → expected; never across currencies
    gaps: list[RateGap]  # time and materials bookings on days without a bill rate
    as_of: dt.date | None = None  # the forecast as recorded then


def _booking_flags(
    review: WeeklyReview, targets: dict[int, DatedSeries[rules.DatedTarget]]
) -> list[PersonForecast]:
    flagged = []
    for pr in review.people:
        over = [w.monday for w in pr.weeks if w.overbooked]
        under = []
        for w in pr.weeks:
            target = targets[pr.person.pk].on(w.monday)
            percent = target.percent if target else rules.DEFAULT_TARGET
            if w.capacity > 0 and w.forecast is not None and w.forecast < percent:
                under.append(w.monday)
        if over or under:
            flagged.append(PersonForecast(pr.person.pk, pr.person.name, over, under))
    return flagged


def _expected_revenue(start: dt.date, end: dt.date) -> tuple[list[ExpectedRevenue], list[RateGap]]:
    booked = scheduling_selectors.engagement_booked_by_day(start=start, end=end)
    # Only what can earn in the window: the engagements booked in it, and the packaged ones
    # ending in it (of thousands open, most do neither).
    candidates = engagement_selectors.engagement_list(status=OPEN_STATUSES).filter(
        Q(pk__in=sorted({eid for eid, _ in booked}))
        | Q(kind=Kind.PACKAGED, end_date__gte=start, end_date__lte=end)
    )
    engagements = list(candidates.prefetch_related("milestones"))
    ids = {e.pk for e in engagements}
    hours = {k: c + t for k, (c, t) in booked.items() if k[0] in ids}
    by_engagement: dict[int, Decimal] = {}
    for (eid, _), h in hours.items():
        by_engagement[eid] = by_engagement.get(eid, rules.ZERO) + h
    tm = {e.pk for e in engagements if e.kind == Kind.EMBEDDED_ENGINEER}
    priced = rules.price(
        {k: h for k, h in hours.items() if k[0] in tm},
        engagement_selectors.bill_rate_series(engagement_ids=tm),
    )
    logged = time_selectors.engagement_hours(
        engagement_ids=[e.pk for e in engagements if e.kind == Kind.CUSTOM_SOW]
    )
    found = []
    for e in engagements:
        name = f"{e.customer.name} — {e.name}"
        booked_hours = by_engagement.get(e.pk, rules.ZERO)
        if e.kind == Kind.EMBEDDED_ENGINEER:
            amount = priced.amounts.get(e.pk, {}).get(e.currency, rules.ZERO)
            basis = f"{booked_hours} h booked × the bill rate of each day"
        elif e.kind == Kind.CUSTOM_SOW:
            reached = sum(
                (m.weight for m in e.milestones.all() if m.reached_on is not None), rules.ZERO
            )
            remaining_value = e.contract_value * (rules.HUNDRED - reached) / rules.HUNDRED
            remaining_hours = e.budget_hours - logged.get(e.pk, rules.ZERO)
            amount = rules.sow_expected(
                remaining_value=remaining_value,
                remaining_budget_hours=remaining_hours,
                booked_hours=booked_hours,
            )
            basis = (
                f"{booked_hours} h booked of {max(remaining_hours, rules.ZERO)} h left in the "
                f"budget, of the {100 - reached} % its milestones have not earned"
            )
        else:
            ends = e.end_date is not None and start <= e.end_date <= end
            amount = rules.packaged_expected(
                contract_value=e.contract_value, probability=e.probability, ends_in_window=ends
            )
            basis = f"ends {e.end_date}, {e.probability} % likely" if ends else "ends later"
        if amount:
            found.append(ExpectedRevenue(e.pk, name, e.kind, e.currency, money(amount), basis))
    names = {e.pk: f"{e.customer.name} — {e.name}" for e in engagements}
    return sorted(found, key=lambda r: (r.kind, r.name)), _gaps(priced.gaps, names)


def forecast(
    *,
    actor: Actor,
    start: dt.date | None = None,
    weeks: int = FORECAST_WEEKS,
    as_of: dt.date | None = None,
) -> Forecast:
    """The next weeks from `start`'s Monday (this week's by default): the PSEs' capacity,
    confirmed and probability-weighted tentative hours, expected billable utilization, who is
    over- or under-booked, and the revenue expected per engagement, kind and currency.
    `as_of`: the forecast as recorded by the end of that past day (`forecast_as_of`)."""
    if as_of is not None:
        return forecast_as_of(actor=actor, as_of=as_of)
    if not may_read_finance(actor):
        raise PermissionDenied(ERR_MAY_NOT_READ)
    if not 1 <= weeks <= MAX_FORECAST_WEEKS:
        raise ValidationFailed(ERR_FORECAST_WEEKS, field="weeks")
    review = weekly_review_of(start=start, weeks=weeks)
    monday = review.start
    end = monday + dt.timedelta(days=7 * weeks - 1)
    targets = targets_of(person_ids=[pr.person.pk for pr in review.people])
    revenue, gaps = _expected_revenue(monday, end)
    totals: dict[tuple[str, str], Decimal] = {}
    for r in revenue:
        totals[(r.kind, r.currency)] = totals.get((r.kind, r.currency), rules.ZERO) + r.amount
    return Forecast(
        monday, end, review.team, _booking_flags(review, targets), revenue, totals, gaps
    )


# ------------------------------------------------------------------ revenue recognition


@dataclass(frozen=True)
class RevenueRow:
    engagement_id: int
    name: str
    kind: str
    currency: str
    recognized: Decimal
    basis: str
    # A custom SOW's progress: the share of its budget hours logged and of its milestones
    # reached (to date), the hours it will take at that pace, and whether the hours lead.
    hours_percent: Decimal | None = None
    milestone_percent: Decimal | None = None
    estimate_at_completion: Decimal | None = None
    lagging: bool = False


@dataclass(frozen=True)
class UnapprovedHours:
    person_id: int
    name: str
    hours: Decimal  # time and materials hours logged in the period and not finally approved


@dataclass(frozen=True)
class RevenueReport:
    start: dt.date
    end: dt.date
    rows: list[RevenueRow]
    totals: dict[tuple[str, str], Decimal]  # (kind, currency); never across currencies
    unapproved: list[UnapprovedHours]
    gaps: list[RateGap]  # approved time and materials hours on days without a bill rate
    as_of: dt.date | None = None  # the figures as recorded at the end of that day


def _engagement_name(e: Any) -> str:
    return f"{e.customer.name} — {e.name}"


def revenue(
    *, actor: Actor, start: dt.date, end: dt.date, as_of: dt.date | None = None
) -> RevenueReport:
    """Revenue recognised in a period, per engagement, by its kind: packaged, its whole value
    in the period of its completion; custom SOW, the value × the weights of the milestones
    reached in the period (beside it, the hours-based percent complete and the estimate at
    completion); time and materials, the finally approved billable hours of the period × the
    bill rate in force on each day. What is logged but not yet approved is listed per person.
    A closed period shows what it recognised when it closed; a late change to a closed period
    is recognised in the first open period after it, as a prior-period adjustment."""
    if as_of is not None:
        return revenue_as_of(actor=actor, start=start, end=end, as_of=as_of)
    _check(actor, start, end)
    periods_closed = closed_periods()
    exact = next((p for p in periods_closed if (p.start, p.end) == (start, end)), None)
    live = _revenue_live(start, end)
    if exact is None and not periods_closed:
        return live
    rows = list(live.rows) if exact is None else _frozen_revenue_rows(exact)
    if exact is None:
        spans = [(p.start, p.end) for p in periods_closed]
        for p in periods_closed:
            if start <= rules.first_open_day(p.end, spans) <= end:
                rows.extend(_revenue_adjustments(p))
    totals: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        totals[(r.kind, r.currency)] = totals.get((r.kind, r.currency), rules.ZERO) + r.recognized
    rows.sort(key=lambda r: (r.kind, r.name))
    return RevenueReport(start, end, rows, totals, live.unapproved, [] if exact else live.gaps)


def _frozen_revenue_rows(period: FiscalPeriod) -> list[RevenueRow]:
    figures = [f for f in period.figures.select_related("engagement__customer") if f.revenue]
    return [
        RevenueRow(
            f.engagement_id,
            _engagement_name(f.engagement),
            f.engagement.kind,
            f.currency,
            f.revenue,
            f"as recognised when {period.label} closed on {period.closed_at:%Y-%m-%d}",
        )
        for f in figures
    ]


def _revenue_adjustments(period: FiscalPeriod) -> list[RevenueRow]:
    """What the closed period would recognise now, less what it recognised when it closed."""
    now: dict[tuple[int, str], Decimal] = {}
    kinds: dict[int, tuple[str, str]] = {}
    for r in _revenue_live(period.start, period.end).rows:
        now[(r.engagement_id, r.currency)] = r.recognized
        kinds[r.engagement_id] = (r.kind, r.name)
    then: dict[tuple[int, str], Decimal] = {}
    for f in period.figures.select_related("engagement__customer"):
        then[(f.engagement_id, f.currency)] = f.revenue
        kinds.setdefault(f.engagement_id, (f.engagement.kind, _engagement_name(f.engagement)))
    rows = []
    for key in sorted({*now, *then}):
        change = now.get(key, rules.ZERO) - then.get(key, rules.ZERO)
        if change:
            kind, name = kinds[key[0]]
            rows.append(
                RevenueRow(
                    key[0],
                    name,
                    kind,
                    key[1],
                    change,
                    f"prior-period adjustment: a late change to {period.label}",
                )
            )
    return rows


def _revenue_live(
    start: dt.date,
    end: dt.date,
    logged_on_all: dict[tuple[int, int], Decimal] | None = None,
) -> RevenueReport:
    """The revenue of a period as the data give it now (closed or not). `logged_on_all`: the
    hours logged on every engagement per person, when the caller has read them already."""
    # Time and materials: finally approved hours on their work items, a day at a time.
    item_engagement = time_selectors.work_items_of_engagements(
        engagement_ids=engagement_selectors.engagement_list(kind=Kind.EMBEDDED_ENGINEER).values(
            "pk"
        )
    )
    approved = cert_selectors.approved_entries(
        start=start, end=end, work_item_ids=item_engagement.keys()
    )
    # Of the thousands of time and materials engagements, only those with hours in the
    # period are read whole: the rest are a subquery.
    if logged_on_all is None:
        tm_ids = engagement_selectors.engagement_list(kind=Kind.EMBEDDED_ENGINEER).values("pk")
        logged = time_selectors.engagement_hours_by_person(
            start=start, end=end, engagement_ids=tm_ids
        )
    else:
        with_items = set(item_engagement.values())
        logged = {k: h for k, h in logged_on_all.items() if k[0] in with_items}
    candidates = {eid for eid, _ in logged} | {
        eid for a in approved if (eid := item_engagement.get(a.work_item_id)) is not None
    }
    tm = {
        e.pk: e
        for e in engagement_selectors.engagement_list(kind=Kind.EMBEDDED_ENGINEER).filter(
            pk__in=sorted(candidates)
        )
    }
    by_day: dict[tuple[int, dt.date], Decimal] = {}
    approved_by_person: dict[tuple[int, int], Decimal] = {}
    approved_hours: dict[int, Decimal] = {}
    for a in approved:
        eid = item_engagement.get(a.work_item_id)
        if eid in tm:
            by_day[(eid, a.date)] = by_day.get((eid, a.date), rules.ZERO) + a.hours
            key = (eid, a.person_id)
            approved_by_person[key] = approved_by_person.get(key, rules.ZERO) + a.hours
            approved_hours[eid] = approved_hours.get(eid, rules.ZERO) + a.hours
    priced = rules.price(by_day, engagement_selectors.bill_rate_series(engagement_ids=tm))
    rows: list[RevenueRow] = []
    for eid, e in tm.items():
        amount = priced.amounts.get(eid, {}).get(e.currency, rules.ZERO)
        hours = approved_hours.get(eid, rules.ZERO)
        if hours:
            rows.append(
                RevenueRow(
                    eid,
                    _engagement_name(e),
                    e.kind,
                    e.currency,
                    money(amount),
                    f"{hours} approved h × the bill rate of each day",
                )
            )
    unapproved = _unapproved(logged, approved_by_person)
    rows.extend(_packaged_and_sow(start, end))
    totals: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        totals[(r.kind, r.currency)] = totals.get((r.kind, r.currency), rules.ZERO) + r.recognized
    names = {eid: _engagement_name(e) for eid, e in tm.items()}
    rows.sort(key=lambda r: (r.kind, r.name))
    return RevenueReport(start, end, rows, totals, unapproved, _gaps(priced.gaps, names))


def _unapproved(
    logged: dict[tuple[int, int], Decimal], approved: dict[tuple[int, int], Decimal]
) -> list[UnapprovedHours]:
    per_person: dict[int, Decimal] = {}
    for key, hours in logged.items():
        left = hours - approved.get(key, rules.ZERO)
        if left:
            per_person[key[1]] = per_person.get(key[1], rules.ZERO) + left
    people = people_selectors.person_list(related=False).filter(pk__in=sorted(per_person))
    names = dict(people.values_list("pk", "name"))
    return sorted(
        (UnapprovedHours(pid, names.get(pid, str(pid)), h) for pid, h in per_person.items() if h),
        key=lambda u: (u.name, u.person_id),
    )


def _packaged_and_sow(start: dt.date, end: dt.date) -> list[RevenueRow]:
    rows: list[RevenueRow] = []
    packaged = engagement_selectors.engagement_list(kind=Kind.PACKAGED).filter(
        status=Status.COMPLETE, completed_on__gte=start, completed_on__lte=end
    )
    for e in packaged:
        rows.append(
            RevenueRow(
                e.pk,
                _engagement_name(e),
                e.kind,
                e.currency,
                money(e.contract_value),
                f"completed on {e.completed_on}",
            )
        )
    sows = list(
        engagement_selectors.engagement_list(kind=Kind.CUSTOM_SOW)
        .filter(milestones__reached_on__gte=start, milestones__reached_on__lte=end)
        .distinct()
        .prefetch_related("milestones")
    )
    logged = time_selectors.engagement_hours(engagement_ids=[e.pk for e in sows])
    for e in sows:
        reached = [m for m in e.milestones.all() if m.reached_on is not None]
        in_period = [m for m in reached if start <= m.reached_on <= end]  # type: ignore[operator]
        to_date = sum((m.weight for m in reached), rules.ZERO)
        hours = logged.get(e.pk, rules.ZERO)
        hours_percent = rules.percent_of(hours, e.budget_hours)
        rows.append(
            RevenueRow(
                e.pk,
                _engagement_name(e),
                e.kind,
                e.currency,
                money(rules.milestone_revenue(e.contract_value, (m.weight for m in in_period))),
                "reached: "
                + ", ".join(f"{m.name} ({m.weight} %) on {m.reached_on}" for m in in_period),
                hours_percent=hours_percent,
                milestone_percent=to_date,
                estimate_at_completion=rules.estimate_at_completion(hours, to_date),
                lagging=rules.milestones_lag(hours_percent, to_date),
            )
        )
    return rows


# ------------------------------------------------------------------ gross margin

MARGIN_GROUPS = ("engagement", "customer", "kind")
ERR_MARGIN_GROUP = "group by one of engagement, customer, kind"


@dataclass(frozen=True)
class MarginRow:
    key: str
    label: str
    figures: rules.Margin
    engagement_id: int | None = None


@dataclass(frozen=True)
class PriorAdjustment:
    """A late change to a closed period, shown in the first open period after it: the live
    figures of the closed period less those frozen when it closed."""

    period: str
    engagement_id: int
    name: str
    figures: rules.Margin


@dataclass(frozen=True)
class MarginReport:
    start: dt.date
    end: dt.date
    group: str
    rows: list[MarginRow]
    cost_gaps: list[RateGap]  # people whose engagement hours have no cost rate: not costed
    closed: str = ""  # the closed period these frozen figures are, if the period is one
    partly_closed: list[str] = field(default_factory=list)  # closed periods it cuts into
    adjustments: list[PriorAdjustment] = field(default_factory=list)  # included in the rows
    as_of: dt.date | None = None  # the figures as recorded at the end of that day


def _live_margin(
    actor: Actor, start: dt.date, end: dt.date
) -> tuple[dict[int, rules.Margin], dict[int, rules.Gap]]:
    """Each engagement's revenue and cost of a period as the data give them now, and the
    people whose hours have no cost rate."""
    whole = time_selectors.engagement_hours_by_person_in(start=start, end=end)
    recognised = _revenue_live(start, end, logged_on_all=whole)
    exact, daily = _engagement_costs(start, end, whole)
    per_engagement: dict[int, rules.Margin] = {}
    for r in recognised.rows:
        per_engagement.setdefault(r.engagement_id, rules.Margin()).add_revenue(
            r.currency, r.recognized
        )
    # Summed exactly over the engagement's people, rounded once: the figure the entries behind
    # it (entries_behind) add up to.
    for (eid, currency), amount in sorted(exact.items()):
        per_engagement.setdefault(eid, rules.Margin()).add_cost(currency, money(amount))
    # Only a day priced one by one can lack a rate.
    return per_engagement, _person_gaps(((pid, day), h) for (_, pid, day), h in daily.items())


def _engagement_costs(
    start: dt.date, end: dt.date, whole: dict[tuple[int, int], Decimal] | None = None
) -> tuple[dict[tuple[int, str], Decimal], dict[tuple[int, int, dt.date], Decimal]]:
    """The exact cost of each engagement's hours in a period per currency, each hour at its
    person's cost rate of the day; and the person-days priced a day at a time (where the rate
    changed or there was none). The database sums the hours as coarsely as the rates allow:
    per person over the whole period where one rate holds throughout (nearly everyone), per
    month for those whose rate changes in the period, a day at a time only in the months it
    changes or is missing. Each sum × its one rate equals the days priced one by one."""
    exact: dict[tuple[int, str], Decimal] = {}

    def add(eid: int, rate: DatedRate, hours: Decimal) -> None:
        exact[(eid, rate.currency)] = (
            exact.get((eid, rate.currency), rules.ZERO) + hours * rate.rate
        )

    if whole is None:
        whole = time_selectors.engagement_hours_by_person_in(start=start, end=end)
    series = people_selectors.cost_rate_series(person_ids={pid for _, pid in whole})
    changing: set[int] = set()
    for (eid, pid), h in whole.items():
        rate = series[pid].throughout(start, end)
        if rate is None:
            changing.add(pid)
        else:
            add(eid, rate, h)
    split: set[tuple[int, dt.date]] = set()
    for (eid, pid, month), h in time_selectors.engagement_hours_by_month(
        start=start, end=end, person_ids=changing
    ).items():
        rate = series[pid].throughout(max(month, start), min(periods.month(month).end, end))
        if rate is None:
            split.add((pid, month))
        else:
            add(eid, rate, h)
    daily = {
        (eid, pid, day): h
        for (eid, pid, day), h in time_selectors.engagement_hours_by_day_of(
            start=start, end=end, person_ids={pid for pid, _ in split}
        ).items()
        if (pid, periods.month(day).start) in split
    }
    priced = rules.price(
        {((eid, pid), day): h for (eid, pid, day), h in daily.items()},
        {(eid, pid): series[pid] for eid, pid, _ in daily},
    )
    for (eid, _), amounts in priced.amounts.items():
        for currency, amount in amounts.items():
            exact[(eid, currency)] = exact.get((eid, currency), rules.ZERO) + amount
    return exact, daily


def _person_gaps(
    hours: Iterable[tuple[tuple[int, dt.date], Decimal]],
) -> dict[int, rules.Gap]:
    """Each person's days with hours and no cost rate, whatever the hours were spent on (a day
    on two engagements is one day)."""
    by_day: dict[tuple[int, dt.date], Decimal] = {}
    for key, h in hours:
        by_day[key] = by_day.get(key, rules.ZERO) + h
    series = people_selectors.cost_rate_series(person_ids={pid for pid, _ in by_day})
    return rules.price({k: h for k, h in by_day.items() if h}, series).gaps


def _frozen(period: FiscalPeriod) -> dict[int, rules.Margin]:
    found: dict[int, rules.Margin] = {}
    for f in period.figures.all():
        m = found.setdefault(f.engagement_id, rules.Margin())
        if f.revenue:
            m.add_revenue(f.currency, f.revenue)
        if f.cost:
            m.add_cost(f.currency, f.cost)
    return found


def _difference(live: rules.Margin | None, frozen: rules.Margin | None) -> rules.Margin:
    delta = rules.Margin()
    live, frozen = live or rules.Margin(), frozen or rules.Margin()
    for c in {*live.revenue, *frozen.revenue}:
        change = live.revenue.get(c, rules.ZERO) - frozen.revenue.get(c, rules.ZERO)
        if change:
            delta.add_revenue(c, change)
    for c in {*live.cost, *frozen.cost}:
        change = live.cost.get(c, rules.ZERO) - frozen.cost.get(c, rules.ZERO)
        if change:
            delta.add_cost(c, change)
    return delta


def margin(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    group: str = "engagement",
    as_of: dt.date | None = None,
) -> MarginReport:
    """Gross margin of a period: the revenue recognised (`revenue`) less the cost of the hours
    worked on each engagement in it, each hour at its person's cost rate in force that day;
    per engagement, customer or kind, per currency, with the margin as a share of revenue.
    A closed period reads the figures frozen when it closed; late changes to a closed period
    are added to the first open period after it, and listed there."""
    if as_of is not None:
        return margin_as_of(actor=actor, start=start, end=end, as_of=as_of, group=group)
    _check(actor, start, end)
    if group not in MARGIN_GROUPS:
        raise ValidationFailed(ERR_MARGIN_GROUP, field="group")
    periods_closed = closed_periods()
    exact = next((p for p in periods_closed if (p.start, p.end) == (start, end)), None)
    adjustments: list[PriorAdjustment] = []
    gaps: dict[int, rules.Gap] = {}
    if exact is not None:
        per_engagement = _frozen(exact)
    else:
        per_engagement, gaps = _live_margin(actor, start, end)
        spans = [(p.start, p.end) for p in periods_closed]
        for p in periods_closed:
            if not start <= rules.first_open_day(p.end, spans) <= end:
                continue
            live, _ = _live_margin(actor, p.start, p.end)
            frozen = _frozen(p)
            for eid in sorted({*live, *frozen}):
                delta = _difference(live.get(eid), frozen.get(eid))
                if delta.currencies:
                    adjustments.append(PriorAdjustment(p.label, eid, "", delta))
                    per_engagement.setdefault(eid, rules.Margin()).add(delta)
    engagements = {
        e.pk: e
        for e in engagement_selectors.engagement_list().filter(pk__in=sorted(per_engagement))
    }
    adjustments = [
        PriorAdjustment(
            a.period, a.engagement_id, _engagement_name(engagements[a.engagement_id]), a.figures
        )
        for a in adjustments
    ]
    partly = [
        p.label
        for p in periods_closed
        if p is not exact
        and p.start <= end
        and p.end >= start
        and not (start <= p.start and p.end <= end)
    ]
    names = dict(
        people_selectors.person_list(related=False)
        .filter(pk__in=sorted(gaps))
        .values_list("pk", "name")
    )
    return MarginReport(
        start,
        end,
        group,
        _margin_rows(group, per_engagement, engagements),
        _gaps(gaps, names),
        closed=exact.label if exact else "",
        partly_closed=partly,
        adjustments=adjustments,
    )


def _margin_rows(
    group: str, per_engagement: dict[int, rules.Margin], engagements: dict[int, Any]
) -> list[MarginRow]:
    labels = dict(Kind.choices)
    if group == "engagement":
        rows = [
            MarginRow(str(eid), _engagement_name(engagements[eid]), m, eid)
            for eid, m in per_engagement.items()
        ]
        return sorted(rows, key=lambda r: r.label)
    grouped: dict[str, MarginRow] = {}
    for eid, m in per_engagement.items():
        e = engagements[eid]
        key, label = (
            (str(e.customer_id), e.customer.name)
            if group == "customer"
            else (e.kind, labels[e.kind])
        )
        grouped.setdefault(key, MarginRow(key, label, rules.Margin())).figures.add(m)
    return sorted(grouped.values(), key=lambda r: r.label)


# ------------------------------------------------------------------ closed periods


def closed_periods() -> list[FiscalPeriod]:
    return list(FiscalPeriod.objects.order_by("start"))


def period_get(*, period_id: int) -> FiscalPeriod:
    period = FiscalPeriod.objects.filter(pk=period_id).first()
    if period is None:
        raise NotFound(ERR_NO_PERIOD.format(id=period_id), field="period_id")
    return period


def closed_on(day: dt.date) -> FiscalPeriod | None:
    """The closed period a day falls in, if any."""
    return FiscalPeriod.objects.filter(start__lte=day, end__gte=day).first()


def first_open_day_after(period: FiscalPeriod) -> dt.date:
    spans = list(FiscalPeriod.objects.values_list("start", "end"))
    return rules.first_open_day(period.end, spans)


def closing_figures(
    *, actor: Actor, start: dt.date, end: dt.date
) -> list[tuple[int, str, Decimal, Decimal]]:
    """What closing the period freezes: each engagement's revenue and cost per currency."""
    live, _ = _live_margin(actor, start, end)
    figures = []
    for eid, m in sorted(live.items()):
        for currency in m.currencies:
            figures.append(
                (
                    eid,
                    currency,
                    m.revenue.get(currency, rules.ZERO),
                    m.cost.get(currency, rules.ZERO),
                )
            )
    return figures


# ------------------------------------------------------------------ close-out

ERR_CLOSE_OUT_UNAPPROVED = "time on this engagement is not finally approved yet: {who}"
ERR_CLOSE_OUT_NO_TIME = "no time is logged on this engagement: there is nothing to close out"


@dataclass(frozen=True)
class CostLine:
    """One person's or one work item's part of a close-out."""

    key: int
    name: str
    hours: Decimal
    cost: dict[str, Decimal]  # per cost currency


@dataclass(frozen=True)
class CloseOut:
    """The cost-vs-actual analysis at the end of an engagement (the handbook's close-out)."""

    engagement_id: int
    name: str
    kind: str
    currency: str
    start: dt.date
    end: dt.date
    budget_hours: Decimal
    actual_hours: Decimal
    contract_value: Decimal
    revenue: Decimal  # recognised from the first day worked to today, in the engagement's currency
    cost: dict[str, Decimal]  # per cost currency
    people: list[CostLine]
    work_items: list[CostLine]
    cost_gaps: list[RateGap]

    @property
    def hours_variance(self) -> Decimal:
        """Actual less budget: above 0, over budget."""
        return self.actual_hours - self.budget_hours

    @property
    def hours_variance_percent(self) -> Decimal | None:
        return rules.percent_of(self.hours_variance, self.budget_hours)

    @property
    def budget_cost(self) -> dict[str, Decimal]:
        """The budget hours at the cost per hour the work actually had (one cost currency)."""
        if len(self.cost) != 1 or self.actual_hours <= 0:
            return {}
        currency, cost = next(iter(self.cost.items()))
        return {currency: money(cost * self.budget_hours / self.actual_hours)}

    @property
    def cost_variance(self) -> dict[str, Decimal]:
        return {c: self.cost[c] - b for c, b in self.budget_cost.items()}

    @property
    def margin(self) -> rules.Margin:
        m = rules.Margin()
        m.add_revenue(self.currency, self.revenue)
        for c, a in self.cost.items():
            m.add_cost(c, a)
        return m


def close_out(*, actor: Actor, engagement_id: int) -> CloseOut:
    """An engagement's close-out: budget and actual hours and cost with their variance,
    revenue recognised and margin, per person and per work item. Refused, naming who, while
    any of its time is not finally approved (the figures would not be final)."""
    if not may_read_finance(actor):
        raise PermissionDenied(ERR_MAY_NOT_READ)
    e = engagement_selectors.engagement_get(engagement_id=engagement_id)
    hours = time_selectors.engagement_entry_hours(engagement_id=e.pk)
    if not hours:
        raise Conflict(ERR_CLOSE_OUT_NO_TIME, field="engagement_id")
    first_day = min(d for _, _, d in hours)
    # From the engagement's start (a milestone may be reached before the first hour logged).
    start = min(first_day, e.start_date) if e.start_date else first_day
    end = max(max(d for _, _, d in hours), clock.today())
    approved: dict[int, Decimal] = {}
    items = {item for _, item, _ in hours}
    for a in cert_selectors.approved_entries(start=start, end=end):
        if a.work_item_id in items:
            approved[a.person_id] = approved.get(a.person_id, rules.ZERO) + a.hours
    logged: dict[int, Decimal] = {}
    for (pid, _, _), h in hours.items():
        logged[pid] = logged.get(pid, rules.ZERO) + h
    person_names = dict(
        people_selectors.person_list(related=False)
        .filter(pk__in=sorted(logged))
        .values_list("pk", "name")
    )
    pending = [
        (person_names.get(pid, str(pid)), h - approved.get(pid, rules.ZERO))
        for pid, h in sorted(logged.items())
        if h != approved.get(pid, rules.ZERO)
    ]
    if pending:
        who = ", ".join(f"{name} {h} h" for name, h in sorted(pending))
        raise Conflict(ERR_CLOSE_OUT_UNAPPROVED.format(who=who), field="engagement_id")
    series = people_selectors.cost_rate_series(person_ids=logged)
    priced = rules.price(
        {((pid, item), day): h for (pid, item, day), h in hours.items()},
        {(pid, item): series[pid] for pid, item, _ in hours},
    )
    by_person: dict[int, tuple[Decimal, dict[str, Decimal]]] = {}
    by_item: dict[int, tuple[Decimal, dict[str, Decimal]]] = {}
    for (pid, item, _), h in hours.items():
        for table, key in ((by_person, pid), (by_item, item)):
            total, costs = table.get(key, (rules.ZERO, {}))
            table[key] = (total + h, costs)
    total_cost: dict[str, Decimal] = {}
    for (pid, item), amounts in priced.amounts.items():
        for currency, amount in amounts.items():
            for table, key in ((by_person, pid), (by_item, item)):
                costs = table[key][1]
                costs[currency] = costs.get(currency, rules.ZERO) + amount
            total_cost[currency] = total_cost.get(currency, rules.ZERO) + amount
    item_names = {w.pk: w.title for w in time_selectors.engagement_work_items(engagement_id=e.pk)}
    gaps = _person_gaps(((pid, day), h) for (pid, _, day), h in hours.items())
    recognised = revenue(actor=actor, start=start, end=end)
    own = sum(
        (
            r.recognized
            for r in recognised.rows
            if r.engagement_id == e.pk and r.currency == e.currency
        ),
        rules.ZERO,
    )

    def lines(
        table: dict[int, tuple[Decimal, dict[str, Decimal]]], names: dict[int, str]
    ) -> list[CostLine]:
        return sorted(
            (
                CostLine(k, names.get(k, str(k)), h, {c: money(a) for c, a in costs.items()})
                for k, (h, costs) in table.items()
            ),
            key=lambda line: (line.name, line.key),
        )

    return CloseOut(
        engagement_id=e.pk,
        name=_engagement_name(e),
        kind=e.kind,
        currency=e.currency,
        start=start,
        end=end,
        budget_hours=e.budget_hours,
        actual_hours=sum(logged.values(), rules.ZERO),
        contract_value=e.contract_value,
        revenue=own,
        cost={c: money(a) for c, a in total_cost.items()},
        people=lines(by_person, person_names),
        work_items=lines(by_item, item_names),
        cost_gaps=_gaps(gaps, person_names),
    )


def closable_next(today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """What finance closes next: the last month and the last fiscal quarter that have ended,
    those not closed yet (nor overlapping a closed period)."""
    month = periods.month(periods.month(today).start - dt.timedelta(days=1))
    quarter = periods.fiscal_quarter(periods.fiscal_quarter(today).start - dt.timedelta(days=1))
    taken = list(FiscalPeriod.objects.values_list("start", "end"))
    return [
        (p.label, p.start, p.end)
        for p in (month, quarter)
        if not any(first <= p.end and p.start <= last for first, last in taken)
    ]


def close_out_filing(*, actor: Actor, engagement_id: int) -> Any:
    """The engagement's close-out filing (a finance.models.CloseOutFiling), None before one
    was asked for."""
    if not may_read_finance(actor):
        raise PermissionDenied(ERR_MAY_NOT_READ)
    return CloseOutFiling.objects.defer("pdf").filter(engagement_id=engagement_id).first()


# ------------------------------------------------------------------ over time (the charts)

MAX_CHART_PARTS = 26


def _chart_parts(start: dt.date, end: dt.date) -> list[periods.Period]:
    return rules.chart_periods(start, end)[:MAX_CHART_PARTS]


def utilization_over_time(
    *, actor: Actor, start: dt.date, end: dt.date
) -> list[tuple[str, rules.Utilization]]:
    """Everyone's utilization in each week, month or quarter of the period (rules.
    chart_periods): each part's hours summed, then divided. A part after today has none."""
    _check(actor, start, end)
    return [
        (p.label, utilization(actor=actor, start=p.start, end=p.end).total)
        for p in _chart_parts(start, end)
    ]


def margin_over_time(
    *, actor: Actor, start: dt.date, end: dt.date
) -> list[tuple[str, rules.Margin]]:
    """Revenue and cost of all engagements in each part of the period, per currency (closed
    periods as frozen, like `margin`)."""
    _check(actor, start, end)
    parts: list[tuple[str, rules.Margin]] = []
    for p in _chart_parts(start, end):
        total = rules.Margin()
        for row in margin(actor=actor, start=p.start, end=p.end, group="kind").rows:
            total.add(row.figures)
        parts.append((p.label, total))
    return parts


def revenue_over_time(
    *, actor: Actor, start: dt.date, end: dt.date
) -> list[tuple[str, dict[tuple[str, str], Decimal]]]:
    """Revenue recognised in each part of the period, per (kind, currency)."""
    _check(actor, start, end)
    return [
        (p.label, revenue(actor=actor, start=p.start, end=p.end).totals)
        for p in _chart_parts(start, end)
    ]


# ------------------------------------------------------------------ the entries behind a figure

ERR_ENTRIES_WHOSE = "name a person or an engagement whose entries to list"
ERR_APPROVED_NEEDS_ENGAGEMENT = "approved hours are listed per time and materials engagement"
BASIS_LOGGED, BASIS_APPROVED = "logged", "approved"


@dataclass(frozen=True)
class EntryLine:
    """An entry behind a figure, priced: at the person's cost rate of the day (logged), or at
    the engagement's bill rate of the day with the hours the final approval recorded
    (approved). No rate: amount None, never 0."""

    entry_id: int
    date: dt.date
    person_id: int
    person: str
    work_item: str
    engagement_id: int | None
    category: str
    billable: bool
    productive: bool
    hours: Decimal
    rate: Decimal | None
    currency: str
    amount: Decimal | None  # hours × rate, exact


@dataclass(frozen=True)
class EntriesBehind:
    start: dt.date
    end: dt.date
    basis: str  # logged (utilization, cost) or approved (time and materials revenue)
    person_id: int | None
    engagement_id: int | None
    title: str
    lines: list[EntryLine]

    def _sum(self, lines: Iterable[EntryLine]) -> Decimal:
        return sum((line.hours for line in lines), rules.ZERO)

    @property
    def hours(self) -> Decimal:
        return self._sum(self.lines)

    @property
    def billable(self) -> Decimal:
        return self._sum(line for line in self.lines if line.billable)

    @property
    def productive(self) -> Decimal:
        return self._sum(line for line in self.lines if line.productive)

    @property
    def unpriced(self) -> Decimal:
        return self._sum(line for line in self.lines if line.amount is None)

    @property
    def amounts(self) -> dict[str, Decimal]:
        """The priced lines summed exactly per currency, then rounded once: the figure."""
        found: dict[str, Decimal] = {}
        for line in self.lines:
            if line.amount is not None:
                found[line.currency] = found.get(line.currency, rules.ZERO) + line.amount
        return {c: money(a) for c, a in sorted(found.items())}


def entries_behind(
    *,
    actor: Actor,
    start: dt.date,
    end: dt.date,
    person_id: int | None = None,
    engagement_id: int | None = None,
    basis: str = BASIS_LOGGED,
) -> EntriesBehind:
    """The entries a figure comes from, each priced, with the totals the figure shows:
    a person's hours of a period (utilization), an engagement's hours and their cost (margin),
    or a time and materials engagement's finally approved hours at its bill rates (revenue)."""
    _check(actor, start, end)
    if person_id is None and engagement_id is None:
        raise ValidationFailed(ERR_ENTRIES_WHOSE, field="person_id")
    person = people_selectors.person_get(person_id=person_id) if person_id is not None else None
    engagement = (
        engagement_selectors.engagement_get(engagement_id=engagement_id)
        if engagement_id is not None
        else None
    )
    title = " · ".join(
        [
            *([person.name] if person else []),
            *([_engagement_name(engagement)] if engagement else []),
        ]
    )
    if basis == BASIS_APPROVED:
        if engagement is None:
            raise ValidationFailed(ERR_APPROVED_NEEDS_ENGAGEMENT, field="engagement_id")
        lines = _approved_lines(engagement, start, end, person_id)
    elif basis == BASIS_LOGGED:
        lines = _logged_lines(start, end, person_id, engagement_id)
    else:
        raise ValidationFailed(f"basis is {BASIS_LOGGED} or {BASIS_APPROVED}", field="basis")
    return EntriesBehind(start, end, basis, person_id, engagement_id, title, lines)


def _logged_lines(
    start: dt.date, end: dt.date, person_id: int | None, engagement_id: int | None
) -> list[EntryLine]:
    rows = time_selectors.entry_rows(
        start=start, end=end, person_id=person_id, engagement_id=engagement_id
    )
    series = people_selectors.cost_rate_series(person_ids={r.person_id for r in rows})
    lines = []
    for r in rows:
        rate = series[r.person_id].on(r.date)
        billable = r.engagement_id is not None
        lines.append(
            EntryLine(
                r.entry_id,
                r.date,
                r.person_id,
                r.person,
                r.work_item,
                r.engagement_id,
                r.category,
                billable,
                rules.is_productive(category=r.category, billable=billable),
                r.hours,
                rate.rate if rate else None,
                rate.currency if rate else "",
                r.hours * rate.rate if rate else None,
            )
        )
    return lines


def _approved_lines(
    engagement: Any, start: dt.date, end: dt.date, person_id: int | None
) -> list[EntryLine]:
    items = {
        w.pk: w.title for w in time_selectors.engagement_work_items(engagement_id=engagement.pk)
    }
    approved = [
        a
        for a in cert_selectors.approved_entries(start=start, end=end)
        if a.work_item_id in items and (person_id is None or a.person_id == person_id)
    ]
    names = dict(
        people_selectors.person_list(related=False)
        .filter(pk__in=sorted({a.person_id for a in approved}))
        .values_list("pk", "name")
    )
    series = engagement_selectors.bill_rate_series(engagement_ids=[engagement.pk])[engagement.pk]
    lines = []
    for a in sorted(approved, key=lambda a: (a.date, names.get(a.person_id, ""), a.entry_id)):
        rate = series.on(a.date)
        lines.append(
            EntryLine(
                a.entry_id,
                a.date,
                a.person_id,
                names.get(a.person_id, str(a.person_id)),
                items[a.work_item_id],
                engagement.pk,
                "",
                True,
                True,
                a.hours,
                rate.rate if rate else None,
                engagement.currency,
                a.hours * rate.rate if rate else None,
            )
        )
    return lines


# ------------------------------------------------------------------ as of a past day

ERR_AS_OF_MONTHS = "a report as of a past day covers whole months: from a 1st to a month's end"
ERR_AS_OF_ENDED = "a report as of a day needs a day that has ended (before {today})"
ERR_AS_OF_BEFORE = "figures are recorded from {first} on: ask for a day from then"
ERR_AS_OF_NONE = "no figures have been recorded yet: as-of reports start with the first record"


def first_figure_month() -> dt.date | None:
    """The first month with an hour logged, a milestone reached or an engagement completed:
    where the recorded figures begin."""
    days = [
        d
        for d in (time_selectors.first_entry_date(), engagement_selectors.first_recognition_day())
        if d is not None
    ]
    return periods.month(min(days)).start if days else None


def figures_of_month(month: periods.Period) -> dict[tuple[int, str], tuple[Decimal, Decimal]]:
    """Each engagement's revenue and cost of the month per currency, as `margin` shows them
    (a closed month frozen, late changes as adjustments): what services.figures_record
    records."""
    report = margin(actor=SYSTEM, start=month.start, end=month.end)
    found: dict[tuple[int, str], tuple[Decimal, Decimal]] = {}
    for row in report.rows:
        if row.engagement_id is None:  # never: the rows are per engagement
            continue
        for currency in row.figures.currencies:
            found[(row.engagement_id, currency)] = (
                row.figures.revenue.get(currency, rules.ZERO),
                row.figures.cost.get(currency, rules.ZERO),
            )
    return found


def _as_of_moment(actor: Actor, start: dt.date, end: dt.date, as_of: dt.date) -> dt.datetime:
    """The end of `as_of` (UTC), once the period and the day are known to be answerable."""
    _check(actor, start, end)
    if periods.month(start).start != start or periods.month(end).end != end:
        raise ValidationFailed(ERR_AS_OF_MONTHS, field="start")
    today = clock.today()
    if as_of >= today:
        raise ValidationFailed(ERR_AS_OF_ENDED.format(today=today.isoformat()), field="as_of")
    first = FigureRecording.objects.order_by("ran_at").first()
    if first is None:
        raise ValidationFailed(ERR_AS_OF_NONE, field="as_of")
    moment = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    if moment <= first.ran_at:
        raise ValidationFailed(
            ERR_AS_OF_BEFORE.format(first=first.ran_at.date().isoformat()), field="as_of"
        )
    return moment


def _as_of_figures(
    actor: Actor, start: dt.date, end: dt.date, as_of: dt.date
) -> dict[int, rules.Margin]:
    moment = _as_of_moment(actor, start, end, as_of)
    rows = RecordedFigure.objects.filter(
        month__gte=start, month__lte=end, recorded_from__lt=moment
    ).filter(Q(recorded_to__isnull=True) | Q(recorded_to__gte=moment))
    found: dict[int, rules.Margin] = {}
    for eid, currency, revenue_amount, cost in rows.values_list(
        "engagement_id", "currency", "revenue", "cost"
    ):
        m = found.setdefault(eid, rules.Margin())
        if revenue_amount:
            m.add_revenue(currency, revenue_amount)
        if cost:
            m.add_cost(currency, cost)
    return found


def margin_as_of(
    *, actor: Actor, start: dt.date, end: dt.date, as_of: dt.date, group: str = "engagement"
) -> MarginReport:
    """Gross margin of whole months as PSA had recorded it at the end of `as_of` (UTC): the
    same figures every time, whatever changed since."""
    if group not in MARGIN_GROUPS:
        raise ValidationFailed(ERR_MARGIN_GROUP, field="group")
    per_engagement = _as_of_figures(actor, start, end, as_of)
    engagements = {
        e.pk: e
        for e in engagement_selectors.engagement_list().filter(pk__in=sorted(per_engagement))
    }
    rows = _margin_rows(group, per_engagement, engagements)
    return MarginReport(start, end, group, rows, [], as_of=as_of)


def revenue_as_of(*, actor: Actor, start: dt.date, end: dt.date, as_of: dt.date) -> RevenueReport:
    """Revenue recognised in whole months as PSA had recorded it at the end of `as_of`."""
    per_engagement = _as_of_figures(actor, start, end, as_of)
    engagements = {
        e.pk: e
        for e in engagement_selectors.engagement_list().filter(pk__in=sorted(per_engagement))
    }
    basis = f"as recorded at the end of {as_of.isoformat()}"
    rows = [
        RevenueRow(eid, _engagement_name(engagements[eid]), engagements[eid].kind, c, a, basis)
        for eid, m in per_engagement.items()
        for c, a in sorted(m.revenue.items())
        if a
    ]
    rows.sort(key=lambda r: (r.kind, r.name))
    totals: dict[tuple[str, str], Decimal] = {}
    for r in rows:
        totals[(r.kind, r.currency)] = totals.get((r.kind, r.currency), rules.ZERO) + r.recognized
    return RevenueReport(start, end, rows, totals, [], [], as_of=as_of)


def utilization_of_month(month: periods.Period) -> dict[int, rules.Utilization]:
    """Each person's utilization figures of the month, to today if it is in progress: what
    services.figures_record records for utilization as of a day."""
    through = min(month.end, clock.today())
    if through < month.start:
        return {}
    people = list(
        people_selectors.person_list(employed_during=(month.start, through), related=False)
    )
    return _person_figures(people, month.start, through, everyone=True)


def utilization_as_of(
    *, actor: Actor, start: dt.date, end: dt.date, as_of: dt.date, group: str = "person"
) -> UtilizationReport:
    """Utilization of whole months as PSA recorded it at the end of `as_of` (UTC); the groups
    (team, role, country) are today's."""
    if group not in GROUPS:
        raise ValidationFailed(ERR_GROUP, field="group")
    moment = _as_of_moment(actor, start, end, as_of)
    rows = RecordedUtilization.objects.filter(
        month__gte=start, month__lte=end, recorded_from__lt=moment
    ).filter(Q(recorded_to__isnull=True) | Q(recorded_to__gte=moment))
    figures: dict[int, rules.Utilization] = {}
    for r in rows:
        f = figures.setdefault(r.person_id, rules.Utilization(people=1))
        f.add(
            rules.Utilization(
                capacity=r.capacity,
                hours=r.hours,
                by_major={m: Decimal(h) for m, h in r.by_major.items()},
                billable=r.billable,
                productive=r.productive,
                target_hours=r.target_hours,
                booked=r.booked,
            )
        )
    people = people_selectors.with_labels(
        list(people_selectors.person_list(related=False).filter(pk__in=sorted(figures)))
    )
    total = rules.Utilization()
    for f in figures.values():
        total.add(f)
    through = min(end, as_of)
    if group == "person":
        report_rows = [UtilizationRow(str(p.pk), p.name, figures[p.pk], p.pk) for p in people]
    else:
        grouped: dict[str, UtilizationRow] = {}
        for p in people:
            for key, label in _groups(p, group):
                row = grouped.setdefault(key, UtilizationRow(key, label, rules.Utilization()))
                row.figures.add(figures[p.pk])
        report_rows = sorted(grouped.values(), key=lambda r: (r.label == NO_MANAGER, r.label))
    return UtilizationReport(start, end, through, group, report_rows, total, as_of=as_of)


def forecast_as_of(*, actor: Actor, as_of: dt.date) -> Forecast:
    """The forecast as the last daily recording before the end of `as_of` (UTC) had it: its
    weeks from that day's Monday, who was over- or under-booked, the revenue expected."""
    if not may_read_finance(actor):
        raise PermissionDenied(ERR_MAY_NOT_READ)
    today = clock.today()
    if as_of >= today:
        raise ValidationFailed(ERR_AS_OF_ENDED.format(today=today.isoformat()), field="as_of")
    moment = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    row = RecordedForecast.objects.filter(recorded_at__lt=moment).order_by("-recorded_at").first()
    if row is None:
        first = RecordedForecast.objects.order_by("recorded_at").first()
        if first is None:
            raise ValidationFailed(ERR_AS_OF_NONE, field="as_of")
        raise ValidationFailed(
            ERR_AS_OF_BEFORE.format(first=first.recorded_at.date().isoformat()), field="as_of"
        )
    weeks = [
        WeekFigures(
            monday=dt.date.fromisoformat(w["monday"]),
            capacity=Decimal(w["capacity"]),
            confirmed=Decimal(w["confirmed"]),
            tentative=Decimal(w["tentative"]),
            tentative_weighted=Decimal(w["tentative_weighted"]),
            internal=Decimal(w["internal"]),
            time_off=Decimal(w["time_off"]),
            holidays=Decimal(w["holidays"]),
            over_days=[dt.date.fromisoformat(d) for d in w["over_days"]],
        )
        for w in row.weeks
    ]
    people = [
        PersonForecast(
            pid,
            name,
            [dt.date.fromisoformat(d) for d in over],
            [dt.date.fromisoformat(d) for d in under],
        )
        for pid, name, over, under in row.people
    ]
    revenue = [
        ExpectedRevenue(eid, name, kind, currency, Decimal(amount), basis)
        for eid, name, kind, currency, amount, basis in row.revenue
    ]
    totals: dict[tuple[str, str], Decimal] = {}
    for r in revenue:
        totals[(r.kind, r.currency)] = totals.get((r.kind, r.currency), rules.ZERO) + r.amount
    return Forecast(row.start, row.end, weeks, people, revenue, totals, [], as_of=as_of)
