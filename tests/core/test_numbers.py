"""The one hours parser: what a person types in a cell, an API client sends or an import holds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psa.core import numbers
from psa.core.numbers import parse_hours

D = Decimal


@pytest.mark.parametrize(
    ("value", "hours"),
    [
        ("8", D("8.00")),
        ("7.5", D("7.50")),
        ("7,5", D("7.50")),  # a decimal comma (France, Germany)
        ("7:30", D("7.50")),  # hours:minutes
        ("7:20", D("7.33")),  # stored in hundredths of an hour, as the timer does
        ("0:45", D("0.75")),
        (" 0.25 ", D("0.25")),
        ("0,25", D("0.25")),
        (".5", D("0.50")),
        (",5", D("0.50")),
        ("1,50", D("1.50")),
        ("-2", D("-2.00")),  # adjustments remove time; entries refuse it in their rule
        ("-1,5", D("-1.50")),
        (D("1.5"), D("1.50")),
        (3, D("3.00")),
        ("25:00", D("25.00")),  # a number: the 24-hour day refuses it where it applies
    ],
)
def test_hours_are_read_exactly(value: object, hours: Decimal) -> None:
    assert parse_hours(value) == hours


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("1,5,0", numbers.ERR_HOURS_TEXT.format(value="1,5,0")),
        ("1.5.0", numbers.ERR_HOURS_TEXT.format(value="1.5.0")),
        ("1,500", numbers.ERR_HOURS_AMBIGUOUS.format(value="1,500", decimal="1.5", whole="1500")),
        ("1.500", numbers.ERR_HOURS_AMBIGUOUS.format(value="1.500", decimal="1.5", whole="1500")),
        ("2,250", numbers.ERR_HOURS_AMBIGUOUS.format(value="2,250", decimal="2.25", whole="2250")),
        ("7.555", numbers.ERR_HOURS_PLACES.format(value="7.555")),
        ("0.001", numbers.ERR_HOURS_PLACES.format(value="0.001")),
        (D("1.005"), numbers.ERR_HOURS_PLACES.format(value="1.005")),
        (":30", numbers.ERR_HOURS_TEXT.format(value=":30")),
        ("7:75", numbers.ERR_HOURS_MINUTES.format(value="7:75")),
        ("7:5", numbers.ERR_HOURS_TEXT.format(value="7:5")),
        ("", numbers.ERR_HOURS_TEXT.format(value="")),
        ("8hrs", numbers.ERR_HOURS_TEXT.format(value="8hrs")),
        ("8 h", numbers.ERR_HOURS_TEXT.format(value="8 h")),
        ("eight", numbers.ERR_HOURS_TEXT.format(value="eight")),
        ("1 000", numbers.ERR_HOURS_TEXT.format(value="1 000")),
        ("1e3", numbers.ERR_HOURS_TEXT.format(value="1e3")),
        ("NaN", numbers.ERR_HOURS_TEXT.format(value="NaN")),
        ("inf", numbers.ERR_HOURS_TEXT.format(value="inf")),
        (D("NaN"), numbers.ERR_HOURS_TEXT.format(value="NaN")),
        ("٣", numbers.ERR_HOURS_TEXT.format(value="٣")),  # digits of another script
        (7.5, numbers.ERR_HOURS_TEXT.format(value="7.5")),  # a float's binary fraction
        (True, numbers.ERR_HOURS_TEXT.format(value="True")),
        (None, numbers.ERR_HOURS_TEXT.format(value="None")),
        (D("1E+27"), numbers.ERR_HOURS_TOO_BIG.format(value="1E+27", limit=numbers.HOURS_LIMIT)),
        ("100000", numbers.ERR_HOURS_TOO_BIG.format(value="100000", limit=numbers.HOURS_LIMIT)),
    ],
)
def test_anything_ambiguous_or_not_a_number_is_refused(value: object, reason: str) -> None:
    with pytest.raises(numbers.HoursError) as refused:
        parse_hours(value)
    assert str(refused.value) == reason


@given(st.decimals(min_value=-9999, max_value=9999, places=2), st.sampled_from([".", ","]))
def test_every_two_place_number_reads_back_with_either_separator(
    value: Decimal, separator: str
) -> None:
    assert parse_hours(f"{value:f}".replace(".", separator)) == value


@given(st.integers(min_value=0, max_value=99), st.integers(min_value=0, max_value=59))
def test_hours_and_minutes_are_the_same_time(h: int, m: int) -> None:
    assert abs(parse_hours(f"{h}:{m:02d}") - (D(h) + D(m) / 60)) <= D("0.005")
