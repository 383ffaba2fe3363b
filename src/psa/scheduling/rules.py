"""Scheduling rules on plain values: spreading hours, fitting a plan into a person's free time,
and proposing alternatives. No ORM here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from psa.core.numbers import ZERO
from psa.core.numbers import hours as as_hours
from psa.people.rules import DayCapacity

MAX_DAYS_AHEAD = 731  # requests at most two years ahead
PROPOSAL_HORIZON_DAYS = 182  # search for other windows up to ~6 months around the request
WINDOW_PROPOSALS = 3

ERR_NO_WORKING_DAYS = "the person has no working hours between these dates"
ERR_HOURS_POSITIVE = "hours must be more than 0"
ERR_DAY_LIMIT = "{hours} h on {date} is more than a day has: at most 24 h a day, even over capacity"
MAX_HOURS_PER_DAY = Decimal("24")
IDLE_BELOW = Decimal("0.50")  # scheduled under half of capacity: flag as idle
PERCENT = Decimal("0.1")


@dataclass(frozen=True)
class DayLoad:
    """A person's date: capacity (after holidays and time off) and what is already planned."""

    date: dt.date
    capacity: Decimal
    holiday: str = ""
    time_off: Decimal = ZERO
    confirmed: Decimal = ZERO
    tentative: Decimal = ZERO
    internal: Decimal = ZERO

    @property
    def planned(self) -> Decimal:
        return self.confirmed + self.tentative + self.internal

    @property
    def free(self) -> Decimal:
        """Hours still free; tentative holds and internal time count as taken."""
        return max(ZERO, self.capacity - self.planned)

    @property
    def over(self) -> Decimal:
        return max(ZERO, self.planned - self.capacity)

    @property
    def is_working_day(self) -> bool:
        return self.capacity > 0


def day_loads(
    capacity: Sequence[DayCapacity],
    planned: Mapping[dt.date, Mapping[str, Decimal]],
) -> dict[dt.date, DayLoad]:
    """Join capacity with planned hours per kind ("confirmed", "tentative", "internal")."""
    loads: dict[dt.date, DayLoad] = {}
    for day in capacity:
        kinds = planned.get(day.date, {})
        loads[day.date] = DayLoad(
            date=day.date,
            capacity=day.hours,
            holiday=day.holiday,
            time_off=day.time_off,
            confirmed=kinds.get("confirmed", ZERO),
            tentative=kinds.get("tentative", ZERO),
            internal=kinds.get("internal", ZERO),
        )
    return loads


def day_fits(requested: Decimal, load: DayLoad | None) -> bool:
    """Whether a date's requested hours fit its free hours (a date without a load has none):
    the day-by-day answer of a request's review, the converse of `shortfalls`."""
    return requested <= (load.free if load else ZERO)


def spread_evenly(total: Decimal, days: Sequence[dt.date]) -> dict[dt.date, Decimal]:
    """A total spread over days to the cent; earlier days take the odd cents."""
    if not days:
        return {}
    cents = int(total * 100)
    base, extra = divmod(cents, len(days))
    return {d: Decimal(base + (1 if i < extra else 0)).scaleb(-2) for i, d in enumerate(days)}


def plan_hours(
    capacity: Sequence[DayCapacity], *, hours: Decimal, per_day: bool = False
) -> dict[dt.date, Decimal]:
    """Requested hours per date, on the person's working days only (their pattern's days that
    are not public holidays; days off count, so that time off shows as a conflict): `hours` on
    each of them (per_day) or a total spread evenly over them. Empty when the person has no
    working day in the range."""
    working = [d.date for d in capacity if d.normal_hours > 0]
    if per_day:
        return dict.fromkeys(working, as_hours(hours))
    return spread_evenly(hours, working)


@dataclass(frozen=True)
class Shortfall:
    date: dt.date
    requested: Decimal
    free: Decimal

    @property
    def short(self) -> Decimal:
        return self.requested - self.free


def shortfalls(
    plan: Mapping[dt.date, Decimal], loads: Mapping[dt.date, DayLoad]
) -> list[Shortfall]:
    """Where a plan does not fit: each date whose requested hours exceed the free hours."""
    result = []
    for day, wanted in sorted(plan.items()):
        load = loads.get(day)
        if not day_fits(wanted, load):
            result.append(Shortfall(day, wanted, load.free if load else ZERO))
    return result


@dataclass(frozen=True)
class Proposal:
    """An alternative the coordinator can pick. `key` identifies it across re-computation."""

    kind: str  # "window" | "person" | "partial" | "spread"
    person_id: int
    start: dt.date
    end: dt.date
    days: dict[dt.date, Decimal] = field(hash=False)
    reason: str

    @property
    def hours(self) -> Decimal:
        return sum(self.days.values(), ZERO)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.person_id}:{self.start.isoformat()}:{self.end.isoformat()}"


def _fmt(day: dt.date) -> str:
    return day.strftime("%a %d %b %Y")


def other_windows(
    *,
    person_id: int,
    plan: Mapping[dt.date, Decimal],
    loads: Mapping[dt.date, DayLoad],
    earliest: dt.date,
    count: int = WINDOW_PROPOSALS,
) -> list[Proposal]:
    """Other date windows for the same person with the same hours on the same number of working
    days, nearest to the requested start first (later before earlier on a tie), no two sharing
    a day: a window shifted by a day from one already offered is no real choice."""
    if not plan:
        return []
    requested_days = sorted(plan)
    amounts = [plan[d] for d in requested_days]
    n = len(amounts)
    working = [d for d in sorted(loads) if loads[d].is_working_day and d >= earliest]
    requested_start = requested_days[0]
    candidates: list[tuple[int, int, int]] = []  # (distance, earlier?, index)
    for i in range(len(working) - n + 1):
        start = working[i]
        if start == requested_start:
            continue
        window = working[i : i + n]
        if all(loads[d].free >= amounts[j] for j, d in enumerate(window)):
            distance = abs((start - requested_start).days)
            candidates.append((distance, 1 if start < requested_start else 0, i))
    candidates.sort()
    proposals: list[Proposal] = []
    taken: set[dt.date] = set()
    for distance, earlier, i in candidates:
        if len(proposals) == count:
            break
        window = working[i : i + n]
        if taken.intersection(window):
            continue
        taken.update(window)
        direction = "earlier" if earlier else "later"
        proposals.append(
            Proposal(
                kind="window",
                person_id=person_id,
                start=window[0],
                end=window[-1],
                days=dict(zip(window, amounts, strict=True)),
                reason=(
                    f"same {sum(amounts, ZERO)} h on {n} working day{'s' if n > 1 else ''}, "
                    f"{distance} day{'s' if distance != 1 else ''} {direction}; "
                    "free of holidays, time off, internal time and other bookings"
                ),
            )
        )
    return proposals


def partial_fit(
    *, person_id: int, plan: Mapping[dt.date, Decimal], loads: Mapping[dt.date, DayLoad]
) -> Proposal | None:
    """Book only what fits on the requested dates."""
    days = {d: min(h, loads[d].free if d in loads else ZERO) for d, h in sorted(plan.items())}
    days = {d: h for d, h in days.items() if h > 0}
    if not days:
        return None
    wanted = sum(plan.values(), ZERO)
    got = sum(days.values(), ZERO)
    return Proposal(
        kind="partial",
        person_id=person_id,
        start=min(days),
        end=max(days),
        days=days,
        reason=f"only what fits on the requested dates: {got} h of {wanted} h",
    )


def spread_longer(
    *,
    person_id: int,
    plan: Mapping[dt.date, Decimal],
    loads: Mapping[dt.date, DayLoad],
) -> Proposal | None:
    """The same total hours from the requested start, taking the free hours of each working day
    until the total is reached (a longer window)."""
    if not plan:
        return None
    wanted = sum(plan.values(), ZERO)
    start = min(plan)
    days: dict[dt.date, Decimal] = {}
    remaining = wanted
    for day in sorted(d for d in loads if d >= start):
        free = loads[day].free
        if free <= 0:
            continue
        take = min(free, remaining)
        days[day] = take
        remaining -= take
        if remaining <= 0:
            break
    if remaining > 0 or not days:
        return None
    end = max(days)
    return Proposal(
        kind="spread",
        person_id=person_id,
        start=min(days),
        end=end,
        days=days,
        reason=(
            f"the same {wanted} h spread over {len(days)} working days, "
            f"ending {_fmt(end)} instead of {_fmt(max(plan))}"
        ),
    )


@dataclass(frozen=True)
class Candidate:
    """Someone who might take the asked dates: their plan for the ask, their capacity and the
    hours already planned for them (all kinds), per date."""

    person_id: int
    name: str
    plan: Mapping[dt.date, Decimal]
    capacity: Mapping[dt.date, Decimal]
    planned: Mapping[dt.date, Decimal]


def other_people(
    candidates: Sequence[Candidate], *, skill: str = "", count: int = 5
) -> list[Proposal]:
    """People free for the whole plan on the original dates, most spare hours first (then by
    name); then, in the places left, people free for part of it, most hours first, each
    offered for what fits them day by day (how much, said in the reason). Kept lean: it runs
    over every PSE of the team."""
    fitting: list[tuple[Decimal, str, Candidate]] = []
    partly: list[tuple[Decimal, str, Candidate, dict[dt.date, Decimal]]] = []
    for c in candidates:
        if not c.plan:
            continue
        spare = ZERO
        fits: dict[dt.date, Decimal] = {}
        for d, h in c.plan.items():
            free = c.capacity.get(d, ZERO) - c.planned.get(d, ZERO)
            spare += free - h
            if free > 0:
                fits[d] = min(h, free)
        if len(fits) == len(c.plan) and all(fits[d] == h for d, h in c.plan.items()):
            fitting.append((-spare, c.name, c))
        elif fits:
            partly.append((-sum(fits.values(), ZERO), c.name, c, fits))
    fitting.sort(key=lambda t: (t[0], t[1]))
    partly.sort(key=lambda t: (t[0], t[1]))
    proposals = []
    for negative_spare, _, c in fitting[:count]:
        why = f"{c.name} is free on all {len(c.plan)} working days ({-negative_spare} h to spare)"
        if skill:
            why += f" and has the skill {skill}"
        proposals.append(
            Proposal(
                kind="person",
                person_id=c.person_id,
                start=min(c.plan),
                end=max(c.plan),
                days=dict(c.plan),
                reason=why,
            )
        )
    for negative_fitted, _, c, fits in partly[: count - len(proposals)]:
        asked = sum(c.plan.values(), ZERO)
        whole = sum(1 for d, h in c.plan.items() if fits.get(d) == h)
        why = (
            f"{c.name} has {-negative_fitted} h of the {asked} h free on these dates "
            f"({whole} of {len(c.plan)} working days in full): books what fits"
        )
        if skill:
            why += f"; has the skill {skill}"
        proposals.append(
            Proposal(
                kind="person",
                person_id=c.person_id,
                start=min(fits),
                end=max(fits),
                days=fits,
                reason=why,
            )
        )
    return proposals


def over_capacity(plan: Mapping[dt.date, Decimal], capacity: Mapping[dt.date, Decimal]) -> bool:
    """More hours on some date than the person's capacity allows (needs an override)."""
    return any(h > capacity.get(d, ZERO) for d, h in plan.items())


def day_limit_error(plan: Mapping[dt.date, Decimal]) -> str | None:
    """No plan puts more than 24 h on one day: an override reason books over a person's
    capacity, not over the day itself."""
    for day, planned in sorted(plan.items()):
        if planned > MAX_HOURS_PER_DAY:
            return ERR_DAY_LIMIT.format(hours=planned, date=day)
    return None


# ------------------------------------------------------------------ a person's week


@dataclass
class WeekFigures:
    """A person's (or the team's) week in the schedule review: capacity, what is planned of
    each kind, and what follows from them (free hours, utilization, the flags)."""

    monday: dt.date
    capacity: Decimal = ZERO
    confirmed: Decimal = ZERO
    tentative: Decimal = ZERO
    tentative_weighted: Decimal = ZERO  # tentative hours × their probability
    internal: Decimal = ZERO
    time_off: Decimal = ZERO
    holidays: Decimal = ZERO  # working hours lost to public holidays
    over_days: list[dt.date] = field(default_factory=list)  # planned above capacity

    @property
    def planned(self) -> Decimal:
        return self.confirmed + self.tentative + self.internal

    @property
    def free(self) -> Decimal:
        return max(ZERO, self.capacity - self.planned)

    @property
    def utilization(self) -> Decimal | None:
        """Scheduled utilization: confirmed customer hours over capacity, in percent."""
        return _percent(self.confirmed, self.capacity)

    @property
    def forecast(self) -> Decimal | None:
        """Confirmed plus probability-weighted tentative hours over capacity, in percent."""
        return _percent(self.confirmed + self.tentative_weighted, self.capacity)

    @property
    def overbooked(self) -> bool:
        return bool(self.over_days) or self.planned > self.capacity

    @property
    def idle(self) -> bool:
        return self.capacity > 0 and self.planned < self.capacity * IDLE_BELOW

    def add(self, other: WeekFigures) -> None:
        self.capacity += other.capacity
        self.confirmed += other.confirmed
        self.tentative += other.tentative
        self.tentative_weighted += other.tentative_weighted
        self.internal += other.internal
        self.time_off += other.time_off
        self.holidays += other.holidays


def _percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if whole <= 0:
        return None
    return (part * 100 / whole).quantize(PERCENT, rounding=ROUND_HALF_UP)


# How loaded a person's week is, lightest to heaviest; "none": no working hours that week.
LOAD_NONE, LOAD_FREE, LOAD_LIGHT, LOAD_BUSY, LOAD_FULL, LOAD_OVER = (
    "none",
    "free",
    "light",
    "busy",
    "full",
    "over",
)


def load_level(week: WeekFigures) -> str:
    """The week's load: over(-booked) whenever something planned does not fit, else none (no
    working hours), free (nothing planned), full (no free hours), light (idle: under half
    planned) or busy."""
    if week.overbooked and week.planned > 0:
        return LOAD_OVER
    if week.capacity <= 0:
        return LOAD_NONE
    if week.planned <= 0:
        return LOAD_FREE
    if week.free <= 0:
        return LOAD_FULL
    return LOAD_LIGHT if week.idle else LOAD_BUSY
