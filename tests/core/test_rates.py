"""Dated rates: the rate in force on a day is the last one taking effect on or before it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psa.core.rates import DatedRate, RateSeries, is_valid_rate, rate_spans

JAN, FEB, MAR = dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)
SERIES = RateSeries(
    [DatedRate(MAR, Decimal("120.00"), "EUR"), DatedRate(JAN, Decimal("100.00"), "USD")]
)


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        (JAN - dt.timedelta(days=1), None),  # before the first rate: none, never 0
        (JAN, Decimal("100.00")),
        (FEB, Decimal("100.00")),
        (MAR - dt.timedelta(days=1), Decimal("100.00")),
        (MAR, Decimal("120.00")),
        (dt.date(2030, 1, 1), Decimal("120.00")),
    ],
)
def test_the_rate_in_force_on_a_day(day: dt.date, rate: Decimal | None) -> None:
    found = SERIES.on(day)
    assert (found.rate if found else None) == rate


def test_a_rate_keeps_its_currency() -> None:
    assert SERIES.on(MAR) == DatedRate(MAR, Decimal("120.00"), "EUR")


def test_no_rates_no_rate() -> None:
    assert RateSeries().on(JAN) is None
    assert not RateSeries()


def test_two_rates_on_one_day_are_refused() -> None:
    with pytest.raises(ValueError, match="same day"):
        RateSeries([DatedRate(JAN, Decimal("1"), "USD"), DatedRate(JAN, Decimal("2"), "USD")])


days = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 12, 31))


@given(starts=st.sets(days, max_size=8), day=days)
def test_the_lookup_agrees_with_reading_every_rate(starts: set[dt.date], day: dt.date) -> None:
    rates = [DatedRate(s, Decimal(i), "USD") for i, s in enumerate(sorted(starts, reverse=True))]
    in_force = [r for r in rates if r.effective_from <= day]
    expected = max(in_force, key=lambda r: r.effective_from) if in_force else None
    assert RateSeries(rates).on(day) == expected


def test_spans_end_the_day_before_the_next_rate() -> None:
    rates = [DatedRate(MAR, Decimal("3"), "USD"), DatedRate(JAN, Decimal("1"), "USD")]
    spans = rate_spans(rates, today=FEB)
    assert [(s.rate.effective_from, s.until, s.current) for s in spans] == [
        (JAN, MAR - dt.timedelta(days=1), True),
        (MAR, None, False),
    ]
    assert rate_spans([], today=FEB) == []
    assert [s.current for s in rate_spans(rates, today=JAN - dt.timedelta(days=1))] == [
        False,
        False,
    ]


@pytest.mark.parametrize(
    ("rate", "valid"),
    [
        (Decimal("0"), True),
        (Decimal("95.50"), True),
        (Decimal("-0.01"), False),
        (Decimal("95.505"), False),
        (Decimal("NaN"), False),
        (Decimal("Infinity"), False),
    ],
)
def test_a_valid_rate(rate: Decimal, valid: bool) -> None:
    assert is_valid_rate(rate) is valid
