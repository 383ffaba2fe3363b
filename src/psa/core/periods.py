"""Periods every domain counts in: ISO weeks, calendar months, fiscal years and quarters, and
business days of a country's calendar. Pure functions on dates, with one setting (the month a
fiscal year starts, `PSA_FISCAL_YEAR_START_MONTH`) read when a caller does not name it.

A fiscal year is named by the calendar year it ends in: with February as its first month,
FY27 runs from 1 February 2026 to 31 January 2027 and its Q4 is November to January."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

import holidays

ERR_QUARTER = "quarter must be 1-4"
ERR_START_MONTH = "a fiscal year starts in month 1-12"


# ------------------------------------------------------------------ weeks and days


def week_start(day: dt.date) -> dt.date:
    """The Monday of the ISO week a date is in."""
    return day - dt.timedelta(days=day.weekday())


def week_days(day: dt.date) -> list[dt.date]:
    """Monday to Sunday of the ISO week a date is in."""
    monday = week_start(day)
    return [monday + dt.timedelta(days=i) for i in range(7)]


def weeks_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The Mondays of every ISO week that has a day from start to end (inclusive)."""
    weeks: list[dt.date] = []
    monday = week_start(start)
    while monday <= end:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    return weeks


def days_between(start: dt.date, end: dt.date) -> Iterator[dt.date]:
    """Every date from start to end, inclusive."""
    day = start
    while day <= end:
        yield day
        day += dt.timedelta(days=1)


# ------------------------------------------------------------------ months, fiscal years, quarters


@dataclass(frozen=True)
class Period:
    """A span of whole days with the name people give it ("Nov 2026", "FY27", "FY27 Q4")."""

    label: str
    start: dt.date
    end: dt.date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


@dataclass(frozen=True)
class FiscalQuarter:
    """A fiscal quarter of the fiscal year named by the calendar year it ends in."""

    year: int
    quarter: int  # 1-4
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        return f"FY{self.year % 100:02d} Q{self.quarter}"

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day <= self.end


def fiscal_start_month(start_month: int | None = None) -> int:
    """The month fiscal years start in: the one named, else the setting."""
    if start_month is None:
        from django.conf import settings

        start_month = int(settings.PSA_FISCAL_YEAR_START_MONTH)
    if not 1 <= start_month <= 12:
        raise ValueError(ERR_START_MONTH)
    return start_month


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after the month of `day` (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month(day: dt.date) -> Period:
    first = dt.date(day.year, day.month, 1)
    return Period(f"{first:%b %Y}", first, add_months(first, 1) - dt.timedelta(days=1))


def fiscal_year(day: dt.date, *, start_month: int | None = None) -> Period:
    """The fiscal year a date falls in."""
    first = fiscal_start_month(start_month)
    offset = (day.month - first) % 12
    start = add_months(dt.date(day.year, day.month, 1), -offset)
    end = add_months(start, 12) - dt.timedelta(days=1)
    return Period(f"FY{end.year % 100:02d}", start, end)


def fiscal_quarter(day: dt.date, *, start_month: int | None = None) -> FiscalQuarter:
    """The fiscal quarter a date falls in."""
    first = fiscal_start_month(start_month)
    year = fiscal_year(day, start_month=first)
    quarter = ((day.month - first) % 12) // 3 + 1
    start = add_months(year.start, 3 * (quarter - 1))
    end = add_months(start, 3) - dt.timedelta(days=1)
    return FiscalQuarter(year=year.end.year, quarter=quarter, start=start, end=end)


def quarter_by_label(year: int, quarter: int, *, start_month: int | None = None) -> FiscalQuarter:
    """FY `year` (the calendar year the fiscal year ends in), quarter 1-4."""
    if not 1 <= quarter <= 4:
        raise ValueError(ERR_QUARTER)
    first = fiscal_start_month(start_month)
    last_month = dt.date(year, (first - 2) % 12 + 1, 1)  # the fiscal year's last month
    start = add_months(last_month, -11 + 3 * (quarter - 1))
    return fiscal_quarter(start, start_month=first)


def quarters_of_year(year: int, *, start_month: int | None = None) -> list[FiscalQuarter]:
    return [quarter_by_label(year, q, start_month=start_month) for q in (1, 2, 3, 4)]


# ------------------------------------------------------------------ business days


@lru_cache(maxsize=512)
def public_holidays(country: str, subdivision: str, year: int) -> Mapping[dt.date, str]:
    """A country's (and subdivision's) public holidays in a year. An unknown country has none
    and an unknown subdivision reads as the country's own: a read never fails on stored data."""
    try:
        cal = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    except NotImplementedError:  # an unknown country, or a subdivision the country lacks
        return public_holidays(country, "", year) if subdivision else {}
    return dict(cal.items())


@dataclass(frozen=True)
class Calendar:
    """Business days: Monday to Friday that are not public holidays of the country (and
    subdivision). The calendar of a person, an engagement or a course session."""

    country: str
    subdivision: str = ""

    def holiday(self, day: dt.date) -> str:
        return public_holidays(self.country, self.subdivision, day.year).get(day, "")

    def is_business_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and not self.holiday(day)

    def add_business_days(self, day: dt.date, count: int) -> dt.date:
        """The business day `count` business days after `day` (before it when negative); 0
        gives `day` itself when it is a business day, else the next one."""
        step = 1 if count >= 0 else -1
        current = day
        if count == 0:
            while not self.is_business_day(current):
                current += dt.timedelta(days=1)
            return current
        left = abs(count)
        while left:
            current += dt.timedelta(days=step)
            if self.is_business_day(current):
                left -= 1
        return current

    def business_days_between(self, start: dt.date, end: dt.date) -> int:
        """How many business days away `end` is: those after `start` up to and including
        `end`, or, when `end` is before `start`, minus those from `end` up to `start` (so that
        `add_business_days(day, n)` is `n` away from `day` either way)."""
        if end < start:
            return -sum(
                1
                for d in days_between(end, start - dt.timedelta(days=1))
                if self.is_business_day(d)
            )
        return sum(
            1 for d in days_between(start + dt.timedelta(days=1), end) if self.is_business_day(d)
        )
