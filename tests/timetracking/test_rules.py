from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from psa.core import periods
from psa.timetracking import rules
from tests.helpers import exactly

D = Decimal


def test_a_day_holds_at_most_24_hours() -> None:
    assert rules.day_total_error(D("16"), D("8")) is None
    assert rules.day_total_error(D("16"), D("8.01")) == (
        "at most 24 hours in one day for one person (24.01 h with this entry)"
    )


def test_timesheets_are_due_monday_noon_in_the_persons_time_zone() -> None:
    week = dt.date(2026, 11, 18)  # a Wednesday
    due = rules.due_at(week, "Europe/Paris")
    assert due.isoformat() == "2026-11-23T12:00:00+01:00"
    assert not rules.is_late(week, "Europe/Paris", dt.datetime(2026, 11, 23, 10, 59, tzinfo=dt.UTC))
    assert rules.is_late(week, "Europe/Paris", dt.datetime(2026, 11, 23, 11, 1, tzinfo=dt.UTC))
    # The same instant is still Monday morning in Los Angeles.
    assert not rules.is_late(
        week, "America/Los_Angeles", dt.datetime(2026, 11, 23, 11, 1, tzinfo=dt.UTC)
    )


def test_a_short_week_names_the_days_and_hours_missing() -> None:
    pattern = {1: D("8"), 2: D("8"), 3: D("8"), 4: D("8"), 5: D("8")}
    monday = dt.date(2026, 11, 16)
    logged = {
        monday: D("8"),
        monday + dt.timedelta(days=1): D("8"),
        monday + dt.timedelta(days=2): D("8"),
        monday + dt.timedelta(days=3): D("6"),
    }
    check = rules.check_week(
        week=monday, weekly_hours=D("40"), daily_pattern=pattern, logged=logged
    )
    assert not check.complete
    assert check.short == D("10")
    assert [(d.date.day, d.missing) for d in check.missing_days] == [(19, D("2")), (20, D("8"))]
    logged[monday + dt.timedelta(days=5)] = D("10")  # made up on Saturday: complete
    check = rules.check_week(
        week=monday, weekly_hours=D("40"), daily_pattern=pattern, logged=logged
    )
    assert check.complete
    assert check.missing_days == []


@pytest.mark.parametrize(
    ("day", "label", "start", "end"),
    [
        (dt.date(2020, 2, 1), "FY21 Q1", dt.date(2020, 2, 1), dt.date(2020, 4, 30)),
        (dt.date(2021, 1, 31), "FY21 Q4", dt.date(2020, 11, 1), dt.date(2021, 1, 31)),
        (dt.date(2026, 11, 25), "FY27 Q4", dt.date(2026, 11, 1), dt.date(2027, 1, 31)),
        (dt.date(2026, 7, 1), "FY27 Q2", dt.date(2026, 5, 1), dt.date(2026, 7, 31)),
    ],
)
def test_fiscal_quarters_start_in_february(
    day: dt.date, label: str, start: dt.date, end: dt.date
) -> None:
    q = periods.fiscal_quarter(day)
    assert (q.label, q.start, q.end) == (label, start, end)
    assert periods.quarter_by_label(q.year, q.quarter) == q


def test_fiscal_year_may_start_in_january() -> None:
    q = periods.fiscal_quarter(dt.date(2026, 5, 5), start_month=1)
    assert (q.label, q.start, q.end) == ("FY26 Q2", dt.date(2026, 4, 1), dt.date(2026, 6, 30))
    assert periods.quarter_by_label(2026, 2, start_month=1) == q


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1mo 1w 2d 3h 30m", (160 + 40 + 16 + 3) * 3600 + 1800),
        ("1h30m", 5400),
        ("2d", 16 * 3600),
        ("45m", 2700),
        ("1w", 40 * 3600),
    ],
)
def test_gitlab_durations_use_gitlabs_fixed_rules(text: str, seconds: int) -> None:
    assert rules.parse_gitlab_duration(text) == seconds


@pytest.mark.parametrize("text", ["90", "1x", "", "h", "1 h", "1h 90"])
def test_gitlab_durations_without_units_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=exactly(rules.ERR_DURATION.format(value=text))):
        rules.parse_gitlab_duration(text)


def test_seconds_to_hours() -> None:
    assert rules.seconds_to_hours(5400) == D("1.50")
    assert rules.seconds_to_hours(100) == D("0.03")


def test_entry_keys_are_the_same_texts_however_often_a_value_repeats() -> None:
    day = dt.date(2026, 11, 2)
    values = [D("0.00"), D("-0.00"), D("0.00"), D("8"), D("8.00"), D("-1.5"), D("0.25")] * 2

    keys = [rules.entry_key(day, 7, h) for h in values]

    # 0 and -0 are one entry (taking an entry away negates its hours) and read the same.
    assert [h for _, _, h in keys] == ["0.00", "0.00", "0.00", "8.00", "8.00", "-1.50", "0.25"] * 2
    assert {(d, w) for d, w, _ in keys} == {("2026-11-02", 7)}
    assert rules.entry_key(dt.date(2027, 1, 31), 8, D("7.5")) == ("2027-01-31", 8, "7.50")


def test_entries_digest_is_the_same_in_any_order_and_names_every_entry() -> None:
    a = rules.entry_key(dt.date(2026, 11, 2), 7, D("8"))
    b = rules.entry_key(dt.date(2026, 11, 3), 7, D("1.5"))
    both = rules.entries_digest({1: a, 2: b})

    assert rules.entries_digest({2: b, 1: a}) == both
    assert len(both) == 64
    assert int(both, 16) > 0
    assert rules.entries_digest({}) == "0" * 64
    # another id, day, work item or hours is another digest
    assert rules.entries_digest({1: a, 3: b}) != both
    assert rules.entries_digest({1: a, 2: (b[0], 8, b[2])}) != both
    assert rules.entries_digest({1: a, 2: (b[0], b[1], "1.51")}) != both
    assert rules.entries_digest({1: a}) != both


def test_entries_digest_adds_and_takes_away_one_entry_at_a_time() -> None:
    a = rules.entry_key(dt.date(2026, 11, 2), 7, D("8"))
    b = rules.entry_key(dt.date(2026, 11, 3), 7, D("1.5"))
    running = rules.add_limbs(rules.NO_ENTRIES, rules.entry_limbs(1, a))
    running = rules.add_limbs(running, rules.entry_limbs(2, b))
    assert rules.digest_of(running) == rules.entries_digest({1: a, 2: b})
    running = rules.add_limbs(running, rules.entry_limbs(1, a), sign=-1)
    assert rules.digest_of(running) == rules.entries_digest({2: b})
    # limbs grow past 32 bits as sums; the digest reads each modulo 2**32
    many = rules.entries_limbs(dict.fromkeys(range(1, 40), a))
    assert max(many) >= rules.LIMB
    assert rules.digest_of(many) == rules.entries_digest(dict.fromkeys(range(1, 40), a))
