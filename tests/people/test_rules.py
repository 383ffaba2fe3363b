"""Capacity on real calendars (the `holidays` library), part-timers, starters and time off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psa.people import rules
from psa.people.rules import TimeOffSpan, WorkPattern, capacity_days, daily_pattern, total_hours

D = Decimal


def pattern(**kw: Any) -> WorkPattern:
    base: dict[str, Any] = {
        "weekly_hours": D("40"),
        "working_days": (1, 2, 3, 4, 5),
        "country": "US",
        "subdivision": "",
        "start_date": dt.date(2020, 1, 1),
        "end_date": None,
    }
    base.update(kw)
    return WorkPattern(**base)


def hours_by_day(days: list[rules.DayCapacity]) -> list[str]:
    return [str(d.hours) for d in days]


def test_us_pse_over_thanksgiving_week_loses_thursday() -> None:
    days = capacity_days(pattern(), dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert hours_by_day(days) == ["8.00", "8.00", "8.00", "0.00", "8.00", "0.00", "0.00"]
    assert days[3].holiday == "Thanksgiving Day"
    assert total_hours(days) == D("32.00")


def test_california_pse_also_loses_the_day_after_thanksgiving() -> None:
    days = capacity_days(pattern(subdivision="CA"), dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert total_hours(days) == D("24.00")
    assert days[4].holiday == "Day After Thanksgiving"


def test_french_pse_on_35_hours_over_may_day() -> None:
    fr = pattern(weekly_hours=D("35"), country="FR")
    days = capacity_days(fr, dt.date(2026, 4, 27), dt.date(2026, 5, 3))
    assert hours_by_day(days)[:5] == ["7.00", "7.00", "7.00", "7.00", "0.00"]
    assert days[4].holiday == "Labor Day"
    assert total_hours(days) == D("28.00")


def test_part_timer_works_only_their_days() -> None:
    part = pattern(weekly_hours=D("24"), working_days=(1, 2, 3))
    days = capacity_days(part, dt.date(2026, 12, 7), dt.date(2026, 12, 13))
    assert hours_by_day(days) == ["8.00", "8.00", "8.00", "0.00", "0.00", "0.00", "0.00"]


def test_person_starting_mid_week_has_no_capacity_before_their_start() -> None:
    starter = pattern(start_date=dt.date(2026, 12, 9))  # a Wednesday
    days = capacity_days(starter, dt.date(2026, 12, 7), dt.date(2026, 12, 13))
    assert total_hours(days) == D("24.00")
    assert days[0].hours == days[1].hours == D("0")


def test_person_who_left_has_no_capacity_after_their_end() -> None:
    leaver = pattern(end_date=dt.date(2026, 12, 8))
    days = capacity_days(leaver, dt.date(2026, 12, 7), dt.date(2026, 12, 13))
    assert total_hours(days) == D("16.00")


def test_uneven_week_is_spread_to_the_cent_and_sums_exactly() -> None:
    assert daily_pattern(D("20"), [1, 3, 5]) == {1: D("6.67"), 3: D("6.67"), 5: D("6.66")}
    assert daily_pattern(D("37.5"), [1, 2, 3, 4, 5])[5] == D("7.50")
    assert daily_pattern(D("40"), []) == {}


def test_full_day_time_off_removes_the_day_and_partial_time_off_only_its_hours() -> None:
    off = [
        TimeOffSpan(dt.date(2026, 12, 7), dt.date(2026, 12, 8), None),
        TimeOffSpan(dt.date(2026, 12, 10), dt.date(2026, 12, 10), D("3")),
    ]
    days = capacity_days(pattern(), dt.date(2026, 12, 7), dt.date(2026, 12, 11), off)
    assert hours_by_day(days) == ["0.00", "0.00", "8.00", "5.00", "8.00"]
    assert [str(d.time_off) for d in days] == ["8.00", "8.00", "0.00", "3.00", "0.00"]


def test_time_off_on_a_holiday_is_not_counted_twice() -> None:
    off = [TimeOffSpan(dt.date(2026, 11, 26), dt.date(2026, 11, 27), None)]
    days = capacity_days(pattern(), dt.date(2026, 11, 26), dt.date(2026, 11, 27), off)
    assert [d.time_off for d in days] == [D("0"), D("8.00")]
    assert total_hours(days) == D("0")


def test_time_off_hours_larger_than_the_day_are_capped() -> None:
    off = [TimeOffSpan(dt.date(2026, 12, 7), dt.date(2026, 12, 7), D("12"))]
    (day,) = capacity_days(pattern(), dt.date(2026, 12, 7), dt.date(2026, 12, 7), off)
    assert day.time_off == D("8.00")
    assert day.hours == D("0")


@given(
    weekly=st.decimals(min_value=0, max_value=80, places=2),
    days=st.sets(st.integers(min_value=1, max_value=7), min_size=1),
)
def test_a_week_without_holidays_sums_to_the_weekly_hours(weekly: Decimal, days: set[int]) -> None:
    # 2026-12-07..13 has no public holiday in Japan.
    jp = pattern(weekly_hours=weekly, working_days=tuple(days), country="JP")
    week = capacity_days(jp, dt.date(2026, 12, 7), dt.date(2026, 12, 13))
    assert total_hours(week) == weekly


@pytest.mark.parametrize(
    ("check", "value", "error"),
    [
        (rules.country_error, "US", None),
        (rules.country_error, "XX", rules.ERR_COUNTRY.format(value="XX")),
        (rules.country_error, "us", rules.ERR_COUNTRY.format(value="us")),
        (rules.timezone_error, "Europe/Paris", None),
        (rules.timezone_error, "Mars/Olympus", rules.ERR_TIMEZONE.format(value="Mars/Olympus")),
        (rules.weekly_hours_error, D("0"), None),
        (rules.weekly_hours_error, D("80"), None),
        (rules.weekly_hours_error, D("80.01"), rules.ERR_WEEKLY_HOURS),
        (rules.weekly_hours_error, D("-1"), rules.ERR_WEEKLY_HOURS),
        (rules.weekly_hours_error, D("NaN"), rules.ERR_WEEKLY_HOURS),
        (rules.working_days_error, [1, 2, 3], None),
        (rules.working_days_error, [0, 1], rules.ERR_WORKING_DAYS),
        (rules.working_days_error, [1, 1], rules.ERR_WORKING_DAYS),
        (rules.working_days_error, [8], rules.ERR_WORKING_DAYS),
    ],
)
def test_calendar_settings_validation(
    check: Callable[[Any], str | None], value: object, error: str | None
) -> None:
    assert check(value) == error


def test_subdivision_must_belong_to_the_country() -> None:
    assert rules.subdivision_error("US", "CA") is None
    assert rules.subdivision_error("US", "") is None
    assert rules.subdivision_error("FR", "CA") == rules.ERR_SUBDIVISION.format(
        value="CA", country="FR"
    )


def test_a_calendar_cut_into_weeks_keeps_each_weeks_total_and_its_days_off() -> None:
    off = [TimeOffSpan(dt.date(2026, 12, 1), dt.date(2026, 12, 1), D("4"))]
    days = capacity_days(pattern(), dt.date(2026, 11, 23), dt.date(2026, 12, 6), off)
    weeks = rules.capacity_by_week(days)
    assert [(w.monday, len(w.days), w.total) for w in weeks] == [
        (dt.date(2026, 11, 23), 7, D("32.00")),
        (dt.date(2026, 11, 30), 7, D("36.00")),
    ]
    assert [[(d.date, d.holiday, d.time_off) for d in w.off] for w in weeks] == [
        [(dt.date(2026, 11, 26), "Thanksgiving Day", D("0.00"))],
        [(dt.date(2026, 12, 1), "", D("4.00"))],
    ]
    assert rules.capacity_by_week([]) == []
