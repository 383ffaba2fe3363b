"""Pricing hours with dated rates: each day at the rate in force that day; days without a
rate are a gap, never priced at 0."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psa.core.rates import DatedRate, RateSeries
from psa.finance import rules
from psa.finance.rules import Gap, price

D = Decimal
JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)


def test_each_day_is_priced_at_the_rate_in_force_that_day() -> None:
    rates = {
        7: RateSeries([DatedRate(JAN, D("100.00"), "USD"), DatedRate(FEB, D("110.50"), "USD")])
    }
    hours = {(7, dt.date(2026, 1, 31)): D("8"), (7, FEB): D("7.5"), (7, MAR): D("-0.25")}
    priced = price(hours, rates)
    # 8 × 100 + 7.5 × 110.50 − 0.25 × 110.50, exactly: no rounding until shown
    assert priced.amounts == {7: {"USD": D("800.00") + D("828.750") - D("27.6250")}}
    assert priced.amounts[7]["USD"] == D("1601.1250")
    assert priced.gaps == {}


def test_days_before_the_first_rate_are_a_gap_and_not_priced() -> None:
    rates = {7: RateSeries([DatedRate(FEB, D("100"), "EUR")])}
    hours = {
        (7, JAN): D("8"),
        (7, dt.date(2026, 1, 20)): D("4"),
        (7, FEB): D("2"),
        (9, MAR): D("1"),
    }
    priced = price(hours, rates)
    assert priced.amounts == {7: {"EUR": D("200")}}
    assert priced.gaps == {
        7: Gap(first=JAN, last=dt.date(2026, 1, 20), days=2, hours=D("12")),
        9: Gap(first=MAR, last=MAR, days=1, hours=D("1")),  # no rates at all
    }


def test_a_currency_change_keeps_the_currencies_apart() -> None:
    rates = {1: RateSeries([DatedRate(JAN, D("90"), "USD"), DatedRate(FEB, D("80"), "EUR")])}
    priced = price({(1, JAN): D("1"), (1, FEB): D("1")}, rates)
    assert priced.amounts == {1: {"USD": D("90"), "EUR": D("80")}}


hours_st = st.decimals(min_value=D("-24"), max_value=D("24"), places=2).filter(bool)
days_st = st.dates(min_value=dt.date(2025, 12, 1), max_value=dt.date(2026, 4, 30))


@given(st.dictionaries(days_st, hours_st, max_size=40))
def test_every_hour_is_either_priced_or_in_a_gap(by_day: dict[dt.date, Decimal]) -> None:
    rates = {1: RateSeries([DatedRate(JAN, D("100"), "USD"), DatedRate(MAR, D("120"), "USD")])}
    priced = price({(1, d): h for d, h in by_day.items()}, rates)
    gap_hours = priced.gaps[1].hours if 1 in priced.gaps else D("0")
    billed = priced.amounts.get(1, {}).get("USD", D("0"))
    assert billed == sum(
        (h * (D("120") if d >= MAR else D("100")) for d, h in by_day.items() if d >= JAN), D("0")
    )
    assert gap_hours == sum((h for d, h in by_day.items() if d < JAN), D("0"))


@pytest.mark.parametrize(
    ("start", "end", "labels", "first", "last"),
    [
        # A month: its weeks, the first and last cut to the month.
        (
            dt.date(2026, 12, 1),
            dt.date(2026, 12, 31),
            ["30 Nov", "07 Dec", "14 Dec", "21 Dec", "28 Dec"],
            (dt.date(2026, 12, 1), dt.date(2026, 12, 6)),
            (dt.date(2026, 12, 28), dt.date(2026, 12, 31)),
        ),
        # A fiscal quarter (Nov – Jan): its months.
        (
            dt.date(2026, 11, 1),
            dt.date(2027, 1, 31),
            ["Nov 26", "Dec 26", "Jan 27"],
            (dt.date(2026, 11, 1), dt.date(2026, 11, 30)),
            (dt.date(2027, 1, 1), dt.date(2027, 1, 31)),
        ),
        # Three years: fiscal quarters, cut to the period.
        (
            dt.date(2024, 3, 15),
            dt.date(2027, 1, 31),
            None,
            (dt.date(2024, 3, 15), dt.date(2024, 4, 30)),
            (dt.date(2026, 11, 1), dt.date(2027, 1, 31)),
        ),
    ],
)
def test_the_parts_a_period_is_charted_in(
    start: dt.date,
    end: dt.date,
    labels: list[str] | None,
    first: tuple[dt.date, dt.date],
    last: tuple[dt.date, dt.date],
) -> None:
    parts = rules.chart_periods(start, end)
    if labels is not None:
        assert [p.label for p in parts] == labels
    assert ((parts[0].start, parts[0].end), (parts[-1].start, parts[-1].end)) == (first, last)
    # Every day once, in order.
    days = sum(((p.end - p.start).days + 1 for p in parts), 0)
    assert days == (end - start).days + 1
    assert all(a.end + dt.timedelta(days=1) == b.start for a, b in itertools.pairwise(parts))
    assert rules.chart_periods(end, start) == []


@given(
    hours=st.lists(
        st.decimals(min_value=0, max_value=12, places=2, allow_nan=False), min_size=1, max_size=40
    ),
    targets=st.dictionaries(
        st.integers(min_value=-20, max_value=60),
        st.decimals(min_value=0, max_value=100, places=2, allow_nan=False),
        max_size=3,
    ),
)
def test_the_target_as_one_product_equals_the_day_by_day_sum(
    hours: list[Decimal], targets: dict[int, Decimal]
) -> None:
    from types import SimpleNamespace

    from psa.core.rates import DatedSeries

    start = dt.date(2026, 11, 1)
    days = [
        SimpleNamespace(date=start + dt.timedelta(days=i), hours=h) for i, h in enumerate(hours)
    ]
    end = days[-1].date
    series = DatedSeries(
        rules.DatedTarget(start + dt.timedelta(days=offset), percent)
        for offset, percent in targets.items()
    )
    total = sum(hours, Decimal(0))
    assert rules.target_hours_of(days, total, series, start=start, end=end) == rules.target_hours(
        ((d.date, d.hours) for d in days), series
    )
