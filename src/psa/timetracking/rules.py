"""Time-tracking rules on plain values: hours, daily limits, due dates, short weeks, what an
approval covers, the certification chain and where a rejection goes. No ORM here; weeks and
fiscal quarters are the kernel's (psa.core.periods)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from psa.core import periods
from psa.core.numbers import ZERO
from psa.core.roles import Role
from psa.timetracking import epics

MAX_HOURS_PER_DAY = Decimal("24")
# Who logs anyone's time (everyone else logs their own): the entry services and the import.
TIME_ADMINS = (Role.HEAD_OF_PS,)
ERR_FUTURE = "{date} is after today: only planned PTO may be logged ahead"
TWO_PLACES = Decimal("0.01")
# Monday morning, the person's time zone: the week before is due by noon.
DUE_WEEKDAY_TIME = dt.time(12, 0)

ERR_HOURS_POSITIVE = "hours must be more than 0"
ERR_HOURS_NEGATIVE = "hours cannot be below 0"
ERR_HOURS_DAY = "at most 24 hours in one day for one person ({total} h with this entry)"


def day_total_error(existing: Decimal, adding: Decimal) -> str | None:
    total = existing + adding
    if total > MAX_HOURS_PER_DAY:
        return ERR_HOURS_DAY.format(total=total)
    return None


def due_at(week: dt.date, tz: str) -> dt.datetime:
    """When a week's timesheet is due: the next Monday at noon in the person's time zone."""
    monday = periods.week_start(week) + dt.timedelta(days=7)
    return dt.datetime.combine(monday, DUE_WEEKDAY_TIME, tzinfo=ZoneInfo(tz))


def is_late(week: dt.date, tz: str, at: dt.datetime) -> bool:
    return at > due_at(week, tz)


@dataclass(frozen=True)
class MissingDay:
    date: dt.date
    expected: Decimal
    logged: Decimal

    @property
    def missing(self) -> Decimal:
        return self.expected - self.logged


@dataclass(frozen=True)
class WeekCheck:
    required: Decimal
    logged: Decimal
    missing_days: list[MissingDay]

    @property
    def short(self) -> Decimal:
        return max(ZERO, self.required - self.logged)

    @property
    def complete(self) -> bool:
        return self.logged >= self.required


def check_week(
    *,
    week: dt.date,
    weekly_hours: Decimal,
    daily_pattern: Mapping[int, Decimal],
    logged: Mapping[dt.date, Decimal],
) -> WeekCheck:
    """Is a week complete? It needs at least the person's weekly hours (PTO and holidays are
    logged as time too). When short, the working days below their normal hours say where."""
    monday = periods.week_start(week)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    total = sum((logged.get(d, ZERO) for d in days), ZERO)
    missing = []
    for d in days:
        expected = daily_pattern.get(d.isoweekday(), ZERO)
        have = logged.get(d, ZERO)
        if expected > have:
            missing.append(MissingDay(d, expected, have))
    return WeekCheck(
        required=weekly_hours, logged=total, missing_days=missing if total < weekly_hours else []
    )


# GitLab's fixed duration rules: 1mo = 4w, 1w = 5d, 1d = 8h.
GITLAB_UNITS = {
    "mo": 4 * 5 * 8 * 3600,
    "w": 5 * 8 * 3600,
    "d": 8 * 3600,
    "h": 3600,
    "m": 60,
    "s": 1,
}
_GITLAB_PART = re.compile(r"(\d+(?:\.\d+)?)(mo|w|d|h|m|s)")
ERR_DURATION = "not a GitLab duration such as '1mo 1w 2d 3h 30m': {value!r}"


def parse_gitlab_duration(text: str) -> int:
    """Seconds in a GitLab duration string. A number without a unit is refused, not guessed."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise ValueError(ERR_DURATION.format(value=text))
    seconds = Decimal(0)
    for token in cleaned.split():
        matches = list(_GITLAB_PART.finditer(token))
        if not matches or "".join(m.group(0) for m in matches) != token:
            raise ValueError(ERR_DURATION.format(value=text))
        for m in matches:
            seconds += Decimal(m.group(1)) * GITLAB_UNITS[m.group(2)]
    return int(seconds)


def seconds_to_hours(seconds: int) -> Decimal:
    return (Decimal(seconds) / 3600).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


FRIDAY_REMINDER = dt.time(14, 0)
MONDAY_REMINDER = dt.time(8, 0)


def reminder_due(local: dt.datetime) -> tuple[str, dt.date] | None:
    """Which timesheet reminder is due at this local time, and for which week: "friday" from
    Friday 14:00 until Monday 08:00 (this week), "monday" from Monday 08:00 until the noon
    deadline (last week)."""
    day, time = local.date(), local.time()
    monday = periods.week_start(day)
    weekday = day.weekday()
    if (weekday == 4 and time >= FRIDAY_REMINDER) or weekday in (5, 6):
        return "friday", monday
    if weekday == 0 and MONDAY_REMINDER <= time < DUE_WEEKDAY_TIME:
        return "monday", monday - dt.timedelta(days=7)
    return None


# ------------------------------------------------------------------ what an approval covers

# One entry as an approval sees it: (date, work item id, hours), as text so that it survives a
# round trip through JSON unchanged.
EntryKey = tuple[str, int, str]
LOW_SHARE_OF_CAPACITY = Decimal("0.5")  # under half the capacity logged: flagged on the queue
FLAG_NO_HOURS = "no hours logged"
FLAG_MISSING_WEEKS = "{count} week(s) not submitted: {weeks}"
FLAG_LOW = "{total} h logged of {capacity} h capacity"


def entry_key(day: dt.date, work_item_id: int, hours: Decimal) -> EntryKey:
    # The texts are memoized: a queue of hundreds of quarters repeats a few dozen days and hour
    # values over 100,000 entries, and formatting each afresh was a third of its time. Zero is
    # one text: -0 (an entry taken away negates its hours) is the same entry as 0.
    return (_day_text(day), work_item_id, _hours_text(hours) if hours else "0.00")


@functools.lru_cache(maxsize=4096)
def _day_text(day: dt.date) -> str:
    return day.isoformat()


@functools.lru_cache(maxsize=4096)
def _hours_text(hours: Decimal) -> str:
    return f"{hours:.2f}"


# A digest is the sum of its entries' hashes, each SHA-256 read as eight 32-bit limbs added
# limb by limb: the sum does not depend on order, so the stored summary of a person's month
# (PersonMonth) keeps it current by adding and subtracting in SQL, one write at a time, and a
# queue reads it without reading the entries. Limbs of 32 bits keep every running sum inside
# a signed 64-bit column for 2**31 entries.
DIGEST_LIMBS = 8
LIMB = 2**32
Limbs = tuple[int, ...]
NO_ENTRIES: Limbs = (0,) * DIGEST_LIMBS


_EIGHT_LIMBS = struct.Struct(">8I")


def entry_limbs(pk: int, key: EntryKey) -> Limbs:
    day, work_item_id, hours = key
    raw = hashlib.sha256(f"{pk}|{day}|{work_item_id}|{hours}".encode()).digest()
    return _EIGHT_LIMBS.unpack(raw)  # eight big-endian 32-bit words, in one call


def add_limbs(a: Sequence[int], b: Sequence[int], sign: int = 1) -> Limbs:
    return tuple(x + sign * y for x, y in zip(a, b, strict=True))


def digest_of(limbs: Sequence[int]) -> str:
    return "".join(f"{limb % LIMB:08x}" for limb in limbs)


def entries_limbs(entries: Mapping[int, EntryKey]) -> Limbs:
    total = [0] * DIGEST_LIMBS
    for pk, key in entries.items():
        for i, limb in enumerate(entry_limbs(pk, key)):
            total[i] += limb
    return tuple(total)


def entries_digest(entries: Mapping[int, EntryKey]) -> str:
    """A digest of exactly these entries (ids, days, work items, hours): an approval records
    it, and a decision sent with another digest was made on figures that are no longer true.
    Equal entries give equal digests whatever their order; whether entries changed since an
    approval is decided by the summary's change count and the entries themselves, never by a
    digest alone (PersonMonth.changes)."""
    return digest_of(entries_limbs(entries))


@dataclass(frozen=True)
class EntryChanges:
    """How a quarter's entries differ from what an earlier step approved (ids, in order)."""

    added: tuple[int, ...] = ()
    removed: tuple[int, ...] = ()
    changed: tuple[int, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def describe(self) -> str:
        parts = [
            f"{label} {', '.join(f'#{pk}' for pk in ids)}"
            for label, ids in (
                ("added", self.added),
                ("changed", self.changed),
                ("removed", self.removed),
            )
            if ids
        ]
        return "Time entries " + "; ".join(parts) if parts else "No change"


def entry_changes(before: Mapping[int, EntryKey], after: Mapping[int, EntryKey]) -> EntryChanges:
    return EntryChanges(
        added=tuple(sorted(set(after) - set(before))),
        removed=tuple(sorted(set(before) - set(after))),
        changed=tuple(sorted(pk for pk in set(before) & set(after) if before[pk] != after[pk])),
    )


def quarter_weeks(start: dt.date, end: dt.date, today: dt.date) -> list[dt.date]:
    """The Mondays of the ISO weeks that overlap the quarter and have ended by `today`."""
    return [m for m in periods.weeks_between(start, end) if m + dt.timedelta(days=6) < today]


def certification_flags(
    *, total: Decimal, capacity: Decimal, missing_weeks: list[dt.date]
) -> list[str]:
    """What an approver must look at before approving a quarter."""
    flags = []
    if total <= 0:
        flags.append(FLAG_NO_HOURS)
    elif capacity > 0 and total < capacity * LOW_SHARE_OF_CAPACITY:
        flags.append(FLAG_LOW.format(total=total, capacity=capacity))
    if missing_weeks:
        flags.append(
            FLAG_MISSING_WEEKS.format(
                count=len(missing_weeks), weeks=", ".join(w.isoformat() for w in missing_weeks)
            )
        )
    return flags


# ------------------------------------------------------------------ internal time

ERR_INTERNAL_CATEGORY = "choose the category this internal time is for"
ERR_NOT_INTERNAL_CATEGORY = (
    "{name} is not internal time: customer work is booked on its engagement, certifications "
    "on their own issue"
)


def internal_category_error(major: str | None, category: str) -> str | None:
    """Internal time goes under a category (not a major epic) with a standing work item to
    log it on."""
    if major is None:
        return ERR_INTERNAL_CATEGORY
    if not epics.has_standing_item(major, category):
        return ERR_NOT_INTERNAL_CATEGORY.format(name=f"{major} / {category}")
    return None


# ------------------------------------------------------------------ the chain and rejections

# Which step decides at which status, who may take it, and where approval leads: the values of
# QuarterlyCertification.Status and CertificationStep.Step, as plain strings.
CHAIN: dict[str, tuple[str, str, str]] = {
    "generated": ("manager", Role.DELIVERY_MANAGER, "manager_certified"),
    "manager_certified": ("head", Role.HEAD_OF_PS, "head_approved"),
    "head_approved": ("finance", Role.FINANCE_PARTNER, "approved"),
}
# The deciding steps of the chain, in order.
DECIDING_STEPS = tuple(step for step, _, _ in CHAIN.values())
STEP_ROLES = {step: role for step, role, _ in CHAIN.values()}
STEP_STATUS = {step: status for status, (step, _, _) in CHAIN.items()}
QUEUE_ROLES = tuple(role for _, role, _ in CHAIN.values())
GENERATORS = (Role.DELIVERY_MANAGER, Role.HEAD_OF_PS, Role.FINANCE_PARTNER)
# The label of the issue a manager's certification is recorded on.
CERTIFIED_LABEL = "ManagerCertifiedTimesheet"
# A rejection sent to the person: the hours themselves need correcting.
BACK_TO_PERSON = "person"


def rejection_targets(step: str) -> tuple[str, ...]:
    """Where a rejection at `step` may send the certification: to the person, to correct the
    hours (the first choice), or to an earlier step, to decide again."""
    return (BACK_TO_PERSON, *DECIDING_STEPS[: DECIDING_STEPS.index(step)])


class StepLike(Protocol):
    @property
    def step(self) -> str: ...
    @property
    def approved(self) -> bool: ...
    @property
    def back_to(self) -> str: ...


S = TypeVar("S", bound=StepLike)


def standing_approvals(steps: Sequence[S]) -> list[S]:
    """The approvals that still stand after these decisions of one revision, oldest first.
    A rejection back to an earlier step keeps the approvals of the steps before it (finance
    sending it back to the head of PS keeps the manager's certification); a rejection to the
    person, a change of the entries or a resubmission starts the round again."""
    standing: list[S] = []
    for s in steps:
        if s.approved:
            standing.append(s)
        elif s.back_to in DECIDING_STEPS:
            keep = DECIDING_STEPS.index(s.back_to)
            standing = [a for a in standing if DECIDING_STEPS.index(a.step) < keep]
        else:
            standing = []
    return standing


# ------------------------------------------------------------------ a week against its hours

WEEK_SHORT, WEEK_COMPLETE, WEEK_OVER = "short", "complete", "over"


def week_state(logged: Decimal, weekly_hours: Decimal) -> str:
    """Short of the weekly hours, exactly them, or over them (which is worth a second look,
    not a tick)."""
    if logged < weekly_hours:
        return WEEK_SHORT
    return WEEK_OVER if logged > weekly_hours else WEEK_COMPLETE


def hours_over(logged: Decimal, capacity: Decimal) -> Decimal:
    """How far a day's logged hours go past its normal hours (0 when they do not)."""
    return max(logged - capacity, ZERO)
