"""The kernel's periods: ISO weeks, months, fiscal years and quarters, business days."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psa.core import periods
from tests.helpers import exactly

D = dt.date
dates = st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31))
months = st.integers(min_value=1, max_value=12)


def test_weeks_are_iso_monday_to_sunday() -> None:
    assert periods.week_start(D(2026, 11, 22)) == D(2026, 11, 16)  # a Sunday
    assert periods.week_start(D(2026, 11, 16)) == D(2026, 11, 16)
    assert periods.week_days(D(2026, 12, 31))[0] == D(2026, 12, 28)
    assert periods.week_days(D(2026, 12, 31))[-1] == D(2027, 1, 3)
    assert periods.weeks_between(D(2026, 11, 1), D(2026, 11, 17)) == [
        D(2026, 10, 26),
        D(2026, 11, 2),
        D(2026, 11, 9),
        D(2026, 11, 16),
    ]


def test_the_handbook_fiscal_year_starts_in_february() -> None:
    q = periods.fiscal_quarter(D(2026, 12, 1), start_month=2)
    assert (q.label, q.start, q.end) == ("FY27 Q4", D(2026, 11, 1), D(2027, 1, 31))
    assert periods.fiscal_year(D(2026, 2, 1), start_month=2) == periods.Period(
        "FY27", D(2026, 2, 1), D(2027, 1, 31)
    )
    assert periods.quarter_by_label(2027, 1, start_month=2).start == D(2026, 2, 1)
    assert periods.month(D(2027, 2, 14)) == periods.Period(
        "Feb 2027", D(2027, 2, 1), D(2027, 2, 28)
    )


def test_the_setting_names_the_start_month(settings: Any) -> None:
    settings.PSA_FISCAL_YEAR_START_MONTH = 7
    q = periods.fiscal_quarter(D(2026, 12, 1))
    assert (q.label, q.start, q.end) == ("FY27 Q2", D(2026, 10, 1), D(2026, 12, 31))


@pytest.mark.parametrize(("year", "quarter"), [(2027, 0), (2027, 5)])
def test_a_quarter_outside_1_to_4_is_refused(year: int, quarter: int) -> None:
    with pytest.raises(ValueError, match=exactly(periods.ERR_QUARTER)):
        periods.quarter_by_label(year, quarter, start_month=2)


@given(day=dates, start_month=months)
def test_every_day_is_in_exactly_one_quarter_of_its_year(day: D, start_month: int) -> None:
    q = periods.fiscal_quarter(day, start_month=start_month)
    year = periods.fiscal_year(day, start_month=start_month)
    assert day in q
    assert day in year
    assert periods.quarter_by_label(q.year, q.quarter, start_month=start_month) == q
    quarters = periods.quarters_of_year(q.year, start_month=start_month)
    assert quarters[0].start == year.start
    assert quarters[-1].end == year.end
    for before, after in zip(quarters, quarters[1:], strict=False):
        assert after.start == before.end + dt.timedelta(days=1)
    assert year.label == f"FY{q.year % 100:02d}"


def test_business_days_skip_weekends_and_the_calendars_holidays() -> None:
    us, fr = periods.Calendar("US"), periods.Calendar("FR")
    # Thursday 26 November 2026 is Thanksgiving in the US, a working day in France.
    assert not us.is_business_day(D(2026, 11, 26))
    assert fr.is_business_day(D(2026, 11, 26))
    # Three business days before Monday 30 Nov: Wed 25 (US), Wed 25 (FR)... and back over it.
    assert us.add_business_days(D(2026, 11, 30), -3) == D(2026, 11, 24)
    assert fr.add_business_days(D(2026, 11, 30), -3) == D(2026, 11, 25)
    assert us.add_business_days(D(2026, 11, 28), 0) == D(2026, 11, 30)  # Saturday: next one
    assert us.business_days_between(D(2026, 11, 24), D(2026, 11, 30)) == 3
    assert us.business_days_between(D(2026, 11, 30), D(2026, 11, 24)) == -3


def test_an_unknown_calendar_reads_without_failing() -> None:
    assert periods.Calendar("ZZ").is_business_day(D(2026, 12, 25))
    assert not periods.Calendar("US", "XX").is_business_day(D(2026, 12, 25))


@given(day=dates, count=st.integers(min_value=-40, max_value=40))
def test_adding_business_days_lands_on_one_that_far_away(day: D, count: int) -> None:
    cal = periods.Calendar("DE", "BY")
    landed = cal.add_business_days(day, count)
    assert cal.is_business_day(landed)
    if count != 0:
        assert cal.business_days_between(day, landed) == count
