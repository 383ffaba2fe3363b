"""Pricing hours with dated rates, and utilization: pure functions on values."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Generic, TypeVar

from psa.core import periods
from psa.core.rates import DatedSeries, RateSeries

K = TypeVar("K", bound=Hashable)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Gap:
    """Days with hours and no rate in force: reported, never priced at 0."""

    first: dt.date
    last: dt.date
    days: int
    hours: Decimal


@dataclass
class Priced(Generic[K]):
    """Hours priced by owner (a person, an engagement): the amount in each currency (exact,
    hours × rate, rounded only where shown) and the days that had no rate."""

    amounts: dict[K, dict[str, Decimal]] = field(default_factory=dict)
    gaps: dict[K, Gap] = field(default_factory=dict)


def price(hours: Mapping[tuple[K, dt.date], Decimal], rates: Mapping[K, RateSeries]) -> Priced[K]:
    """Each owner's hours of each day at the rate in force that day."""
    amounts: dict[K, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    unpriced: dict[K, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for (owner, day), h in hours.items():
        rate = rates[owner].on(day) if owner in rates else None
        if rate is None:
            unpriced[owner].append((day, h))
        else:
            amounts[owner][rate.currency] += h * rate.rate
    gaps = {
        owner: Gap(
            first=min(d for d, _ in days),
            last=max(d for d, _ in days),
            days=len(days),
            hours=sum((h for _, h in days), ZERO),
        )
        for owner, days in unpriced.items()
    }
    return Priced({k: dict(v) for k, v in amounts.items()}, gaps)


# ------------------------------------------------------------------ utilization

DEFAULT_TARGET = Decimal("75")  # percent of capacity, billable, where a person has no target
PERCENT = Decimal("0.1")
# Productive time: billable work plus these categories of the epic tree (Internal Assisted).
PRODUCTIVE_CATEGORIES = frozenset(
    {"Sales Assistance", "Support Assistance", "Practice Development"}
)
MAJORS = (
    "Global Company Meetings",
    "Project Work",
    "PS Internal",
    "Internal Assisted",
    "PTO/Holidays",
)


@dataclass(frozen=True)
class DatedTarget:
    effective_from: dt.date
    percent: Decimal


def percent_of(part: Decimal, whole: Decimal) -> Decimal | None:
    """`part` as a percentage of `whole`, to one place; None when `whole` is 0."""
    if whole <= 0:
        return None
    return (part * 100 / whole).quantize(PERCENT, rounding=ROUND_HALF_UP)


def target_hours(
    days: Iterable[tuple[dt.date, Decimal]], targets: DatedSeries[DatedTarget]
) -> Decimal:
    """The billable hours a person's targets ask of these days: each day's capacity × the
    target in force that day (the default before the first)."""
    total = ZERO
    for day, capacity in days:
        target = targets.on(day)
        total += capacity * (target.percent if target else DEFAULT_TARGET) / 100
    return total


def target_hours_of(
    days: Sequence[Any],
    capacity: Decimal,
    targets: DatedSeries[DatedTarget],
    *,
    start: dt.date,
    end: dt.date,
) -> Decimal:
    """`target_hours` of a person's capacity days (with `.date` and `.hours`) whose total is
    `capacity`: where one target holds from start to end, the total × it, which is the same
    sum exactly (Decimal products of cents and percents are exact), without a day-by-day loop."""
    changes = [t for t in targets.rates if start < t.effective_from <= end]
    if not changes:
        target = targets.on(start)
        return capacity * (target.percent if target else DEFAULT_TARGET) / 100
    return target_hours(((d.date, d.hours) for d in days), targets)


@dataclass
class Utilization:
    """Hours summed over a person or a group; every percentage divides the sums (never an
    average of percentages)."""

    people: int = 0
    capacity: Decimal = ZERO
    hours: Decimal = ZERO
    by_major: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(MAJORS, ZERO))
    billable: Decimal = ZERO
    productive: Decimal = ZERO
    target_hours: Decimal = ZERO
    booked: Decimal = ZERO  # confirmed engagement bookings on the schedule

    def add(self, other: Utilization) -> None:
        self.people += other.people
        self.capacity += other.capacity
        self.hours += other.hours
        for major, h in other.by_major.items():
            self.by_major[major] = self.by_major.get(major, ZERO) + h
        self.billable += other.billable
        self.productive += other.productive
        self.target_hours += other.target_hours
        self.booked += other.booked

    @property
    def billable_utilization(self) -> Decimal | None:
        return percent_of(self.billable, self.capacity)

    @property
    def productive_utilization(self) -> Decimal | None:
        return percent_of(self.productive, self.capacity)

    @property
    def target(self) -> Decimal | None:
        return percent_of(self.target_hours, self.capacity)

    @property
    def booked_utilization(self) -> Decimal | None:
        return percent_of(self.booked, self.capacity)

    @property
    def below_target(self) -> bool:
        actual, target = self.billable_utilization, self.target
        return actual is not None and target is not None and actual < target


def is_productive(*, category: str, billable: bool) -> bool:
    return billable or category in PRODUCTIVE_CATEGORIES


# ------------------------------------------------------------------ forecast

HUNDRED = Decimal("100")


def sow_expected(
    *, remaining_value: Decimal, remaining_budget_hours: Decimal, booked_hours: Decimal
) -> Decimal:
    """A custom SOW's revenue expected from the hours booked ahead: the share of the budget
    hours still to work that the bookings cover, of the value its milestones have not yet
    earned (all of it once the bookings cover the rest, or the budget is spent)."""
    if booked_hours <= 0 or remaining_value <= 0:
        return ZERO
    if remaining_budget_hours <= booked_hours:
        return remaining_value
    return remaining_value * booked_hours / remaining_budget_hours


def packaged_expected(
    *, contract_value: Decimal, probability: int, ends_in_window: bool
) -> Decimal:
    """A packaged engagement earns its whole value when it completes: expected in the window
    its end date falls in, weighted by its probability."""
    return contract_value * probability / HUNDRED if ends_in_window else ZERO


# ------------------------------------------------------------------ revenue recognition

LAGS_BY = Decimal("10")  # hours ahead of the milestones by more points than this: flagged


def milestone_revenue(contract_value: Decimal, weights: Iterable[Decimal]) -> Decimal:
    """A custom SOW's revenue for milestones reached: the contract value × their weights (%)."""
    return contract_value * sum(weights, ZERO) / HUNDRED


def estimate_at_completion(logged_hours: Decimal, milestone_percent: Decimal) -> Decimal | None:
    """The hours the whole SOW will take if the milestones reached so far are as far as the
    hours logged so far got: logged ÷ milestone share. None before the first milestone."""
    if milestone_percent <= 0:
        return None
    return (logged_hours * HUNDRED / milestone_percent).quantize(Decimal("0.01"), ROUND_HALF_UP)


def milestones_lag(hours_percent: Decimal | None, milestone_percent: Decimal) -> bool:
    """The hours have gone further than the milestones: the SOW may be over budget."""
    return hours_percent is not None and hours_percent - milestone_percent > LAGS_BY


# ------------------------------------------------------------------ gross margin


@dataclass
class Margin:
    """Revenue and cost by currency; a margin only where both are in the same currency (no
    exchange rates: amounts in different currencies are never set against each other)."""

    revenue: dict[str, Decimal] = field(default_factory=dict)
    cost: dict[str, Decimal] = field(default_factory=dict)

    def add_revenue(self, currency: str, amount: Decimal) -> None:
        self.revenue[currency] = self.revenue.get(currency, ZERO) + amount

    def add_cost(self, currency: str, amount: Decimal) -> None:
        self.cost[currency] = self.cost.get(currency, ZERO) + amount

    def add(self, other: Margin) -> None:
        for c, a in other.revenue.items():
            self.add_revenue(c, a)
        for c, a in other.cost.items():
            self.add_cost(c, a)

    @property
    def currencies(self) -> list[str]:
        return sorted({*self.revenue, *self.cost})

    @property
    def comparable(self) -> bool:
        """One currency for revenue and cost alike: the margin means something."""
        return len(self.currencies) <= 1

    @property
    def margin(self) -> dict[str, Decimal]:
        if not self.comparable:
            return {}
        return {c: self.revenue.get(c, ZERO) - self.cost.get(c, ZERO) for c in self.currencies}

    @property
    def margin_percent(self) -> Decimal | None:
        """Margin ÷ revenue, in the one currency; None without revenue or with two currencies."""
        if not self.comparable or not self.currencies:
            return None
        currency = self.currencies[0]
        revenue = self.revenue.get(currency, ZERO)
        if revenue <= 0:
            return None
        return percent_of(revenue - self.cost.get(currency, ZERO), revenue)


# ------------------------------------------------------------------ period close


def closable_label(
    start: dt.date, end: dt.date, *, fiscal_start_month: int | None = None
) -> str | None:
    """The name of the period if it is exactly a calendar month or a fiscal quarter (the
    periods finance closes), else None."""
    month = periods.month(start)
    if (month.start, month.end) == (start, end):
        return month.label
    quarter = periods.fiscal_quarter(start, start_month=fiscal_start_month)
    if (quarter.start, quarter.end) == (start, end):
        return quarter.label
    return None


def first_open_day(end: dt.date, closed: Iterable[tuple[dt.date, dt.date]]) -> dt.date:
    """The first day after `end` that no closed period covers: where a late change to the
    period ending on `end` lands."""
    spans = sorted(closed)
    day = end + dt.timedelta(days=1)
    moved = True
    while moved:
        moved = False
        for first, last in spans:
            if first <= day <= last:
                day = last + dt.timedelta(days=1)
                moved = True
    return day


# ------------------------------------------------------------------ close-out filing

FILING_ATTEMPTS = 10
FILING_FIRST_WAIT = dt.timedelta(minutes=5)
FILING_LONGEST_WAIT = dt.timedelta(hours=6)


def filing_retry_wait(attempts: int) -> dt.timedelta | None:
    """How long a failed filing waits before the worker tries again: 5 minutes after the
    first failure, doubling to at most 6 hours; None once it has failed FILING_ATTEMPTS times
    (then it waits for someone to try again from the page, having seen why)."""
    if attempts >= FILING_ATTEMPTS:
        return None
    wait: dt.timedelta = FILING_FIRST_WAIT * (2 ** max(attempts - 1, 0))
    return min(wait, FILING_LONGEST_WAIT)


# ------------------------------------------------------------------ charts over time

CHART_WEEKS_UP_TO = dt.timedelta(days=62)  # up to about two months: week by week
CHART_MONTHS_UP_TO = 24  # up to two years: month by month; longer, by fiscal quarter


def chart_periods(start: dt.date, end: dt.date) -> list[periods.Period]:
    """The parts a period's charts show it in: its weeks (up to about two months), its months
    (up to two years), else its fiscal quarters; each cut to the period."""
    if end < start:
        return []
    if end - start <= CHART_WEEKS_UP_TO:
        step = periods.week_start
        parts = []
        monday = step(start)
        while monday <= end:
            sunday = monday + dt.timedelta(days=6)
            parts.append(periods.Period(f"{monday:%d %b}", monday, sunday))
            monday += dt.timedelta(days=7)
    else:
        whole = periods.month if _months(start, end) <= CHART_MONTHS_UP_TO else _quarter
        parts = []
        day = start
        while day <= end:
            part = whole(day)
            label = f"{part.start:%b %y}" if whole is periods.month else part.label
            parts.append(periods.Period(label, part.start, part.end))
            day = part.end + dt.timedelta(days=1)
    return [periods.Period(p.label, max(p.start, start), min(p.end, end)) for p in parts]


def _months(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _quarter(day: dt.date) -> periods.Period:
    q = periods.fiscal_quarter(day)
    return periods.Period(q.label, q.start, q.end)
