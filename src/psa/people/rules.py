"""Capacity: a person's working hours on each date. Pure functions on values (no ORM)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from zoneinfo import available_timezones

import holidays

from psa.core.numbers import ZERO, hours

MAX_WEEKLY_HOURS = Decimal("80")

ERR_COUNTRY = "unknown country code {value!r}: use an ISO 3166-1 alpha-2 code that `holidays` knows"
ERR_SUBDIVISION = "unknown subdivision {value!r} for {country}"
ERR_TIMEZONE = "unknown time zone {value!r}: use an IANA name such as Europe/Paris"
ERR_WEEKLY_HOURS = "weekly hours must be between 0 and 80"
ERR_WORKING_DAYS = "working days are ISO weekdays 1 (Monday) to 7 (Sunday), each at most once"


@dataclass(frozen=True)
class WorkPattern:
    """What capacity needs to know about a person."""

    weekly_hours: Decimal
    working_days: tuple[int, ...]  # ISO weekdays
    country: str
    subdivision: str
    start_date: dt.date
    end_date: dt.date | None


@dataclass(frozen=True)
class TimeOffSpan:
    start_date: dt.date
    end_date: dt.date
    hours_per_day: Decimal | None  # None: the whole day
    kind: str = "pto"


@dataclass(frozen=True)
class DayCapacity:
    date: dt.date
    base: Decimal  # hours on this weekday by the work pattern, before holidays and time off
    holiday: str  # the public holiday's name, or ""
    time_off: Decimal  # hours taken off (at most what was left after the holiday)
    hours: Decimal  # capacity: what is left to work

    @property
    def is_working_day(self) -> bool:
        return self.base > 0

    @property
    def normal_hours(self) -> Decimal:
        """A normal day's hours: the pattern's, or nothing on a public holiday. Time off does
        not change it: work asked for on a day off is a conflict, not a shorter request."""
        return ZERO if self.holiday else self.base


def daily_pattern(weekly_hours: Decimal, working_days: Sequence[int]) -> dict[int, Decimal]:
    """Weekly hours spread over the working days, to the cent, summing exactly to the week:
    20 h over 3 days is 6.67 + 6.67 + 6.66, not 3 × 6.67."""
    return dict(_daily_pattern(weekly_hours, tuple(sorted(set(working_days)))))


@lru_cache(maxsize=256)
def _daily_pattern(weekly_hours: Decimal, days: tuple[int, ...]) -> tuple[tuple[int, Decimal], ...]:
    if not days:
        return ()
    cents = int(hours(weekly_hours) * 100)
    base, extra = divmod(cents, len(days))
    return tuple(
        (d, Decimal(base + (1 if i < extra else 0)).scaleb(-2)) for i, d in enumerate(days)
    )


@lru_cache(maxsize=512)
def public_holidays(country: str, subdivision: str, year: int) -> Mapping[dt.date, str]:
    """The public holidays of a country (and subdivision) in a year. A stored combination the
    calendars do not know (data from before the rule, an import) reads as the country's own
    holidays, or none for an unknown country: a read never fails on it."""
    if country_error(country) is not None:
        return {}
    if subdivision_error(country, subdivision) is not None:
        subdivision = ""
    cal = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return dict(cal.items())


def date_range(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


def capacity_days(
    pattern: WorkPattern, start: dt.date, end: dt.date, time_off: Iterable[TimeOffSpan] = ()
) -> list[DayCapacity]:
    """Capacity for each date from start to end (inclusive)."""
    per_weekday = daily_pattern(pattern.weekly_hours, pattern.working_days)
    off = list(time_off)
    result: list[DayCapacity] = []
    for day in date_range(start, end):
        employed = pattern.start_date <= day and (
            pattern.end_date is None or day <= pattern.end_date
        )
        base = per_weekday.get(day.isoweekday(), ZERO) if employed else ZERO
        holiday = public_holidays(pattern.country, pattern.subdivision, day.year).get(day, "")
        left = ZERO if holiday else base
        taken = ZERO
        for span in off:
            if span.start_date <= day <= span.end_date and left > 0:
                want = left if span.hours_per_day is None else min(hours(span.hours_per_day), left)
                taken += want
                left -= want
        result.append(DayCapacity(day, base, holiday if base else "", taken, left))
    return result


def total_hours(days: Iterable[DayCapacity]) -> Decimal:
    return sum((d.hours for d in days), ZERO)


@dataclass(frozen=True)
class CapacityWeek:
    """Seven dates of a capacity calendar, from its Monday."""

    monday: dt.date
    days: tuple[DayCapacity, ...]

    @property
    def total(self) -> Decimal:
        return total_hours(self.days)

    @property
    def off(self) -> list[DayCapacity]:
        """The dates a public holiday or time off took hours from."""
        return [d for d in self.days if d.holiday or d.time_off]


def capacity_by_week(days: Sequence[DayCapacity]) -> list[CapacityWeek]:
    """A capacity calendar that starts on a Monday, cut into its weeks."""
    return [CapacityWeek(days[i].date, tuple(days[i : i + 7])) for i in range(0, len(days), 7)]


# Validation of a person's calendar settings, shared by services and forms.


@lru_cache(maxsize=1)
def supported_countries() -> dict[str, tuple[str, ...]]:
    return {c: tuple(s) for c, s in holidays.list_supported_countries().items()}


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def country_error(country: str) -> str | None:
    if country not in supported_countries():
        return ERR_COUNTRY.format(value=country)
    return None


def subdivision_error(country: str, subdivision: str) -> str | None:
    if subdivision and subdivision not in supported_countries().get(country, ()):
        return ERR_SUBDIVISION.format(value=subdivision, country=country)
    return None


def subdivision_kept(country: str, subdivision: str) -> str:
    """The subdivision a person keeps when their country changes: the same one if the new
    country has it, else none (Texas means nothing in Germany)."""
    return "" if subdivision_error(country, subdivision) else subdivision


def timezone_error(tz: str) -> str | None:
    return None if tz in _timezones() else ERR_TIMEZONE.format(value=tz)


def weekly_hours_error(value: Decimal | None) -> str | None:
    if value is None:
        return None
    if not value.is_finite() or value < 0 or value > MAX_WEEKLY_HOURS:
        return ERR_WEEKLY_HOURS
    return None


def working_days_error(days: Sequence[int]) -> str | None:
    if len(set(days)) != len(days) or any(not isinstance(d, int) or not 1 <= d <= 7 for d in days):
        return ERR_WORKING_DAYS
    return None


# ------------------------------------------------------------------ invitations

ERR_INVITATION_UNKNOWN = "this link is not a valid invitation: check that it was copied whole"
ERR_INVITATION_USED = (
    "this invitation was used already: sign in with the password you set, or ask whoever "
    "manages the team for a new invitation"
)
ERR_INVITATION_REPLACED = (
    "a newer invitation replaced this one: use the link in the latest e-mail from PSA"
)
ERR_INVITATION_EXPIRED = (
    "this invitation expired on {date:%a %-d %b %Y, %H:%M} UTC: ask whoever manages the team "
    "for a new one"
)


def invitation_digest(secret: str) -> str:
    """What is stored of an invitation link's secret (the link itself is only e-mailed)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def invitation_problem(
    *,
    found: bool,
    used_at: dt.datetime | None,
    replaced_at: dt.datetime | None,
    expires_at: dt.datetime | None,
    now: dt.datetime,
) -> str | None:
    """Why an invitation link cannot set a password now, or None when it can."""
    if not found or expires_at is None:
        return ERR_INVITATION_UNKNOWN
    if used_at is not None:
        return ERR_INVITATION_USED
    if replaced_at is not None:
        return ERR_INVITATION_REPLACED
    if now >= expires_at:
        return ERR_INVITATION_EXPIRED.format(date=expires_at.astimezone(dt.UTC))
    return None
