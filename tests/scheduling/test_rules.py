"""Fitting plans into free time and proposing alternatives: pure rules on values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from psa.people.rules import DayCapacity
from psa.scheduling import rules
from psa.scheduling.rules import DayLoad

D = Decimal
MON = dt.date(2026, 12, 7)


def day(offset: int) -> dt.date:
    return MON + dt.timedelta(days=offset)


def loads(
    weeks: int = 4, busy: dict[int, str] | None = None, holidays: tuple[int, ...] = ()
) -> dict[dt.date, DayLoad]:
    """Mon-Fri 8 h days from MON; `busy` maps day offsets to confirmed hours."""
    busy = busy or {}
    result = {}
    for i in range(weeks * 7):
        d = day(i)
        working = d.weekday() < 5 and i not in holidays
        result[d] = DayLoad(
            date=d,
            capacity=D("8") if working else D("0"),
            holiday="Holiday" if i in holidays else "",
            confirmed=D(busy.get(i, "0")),
        )
    return result


def caps(n: int, hours: str = "8") -> list[DayCapacity]:
    out = []
    for i in range(n):
        d = day(i)
        base = D(hours) if d.weekday() < 5 else D("0")
        out.append(DayCapacity(d, base, "", D("0"), base))
    return out


def test_total_hours_spread_over_working_days_only() -> None:
    plan = rules.plan_hours(caps(7), hours=D("20"))
    assert plan == {
        day(0): D("4.00"),
        day(1): D("4.00"),
        day(2): D("4.00"),
        day(3): D("4.00"),
        day(4): D("4.00"),
    }
    assert sum(rules.plan_hours(caps(7), hours=D("10")).values()) == D("10")
    assert rules.plan_hours(caps(7), hours=D("10"))[day(0)] == D("2.00")


def test_per_day_hours_on_each_working_day() -> None:
    plan = rules.plan_hours(caps(7), hours=D("6"), per_day=True)
    assert list(plan.values()) == [D("6")] * 5


def test_no_working_days_gives_an_empty_plan() -> None:
    weekend = [DayCapacity(day(5), D("0"), "", D("0"), D("0"))]
    assert rules.plan_hours(weekend, hours=D("8")) == {}


def test_tentative_and_internal_count_as_taken() -> None:
    load = DayLoad(date=MON, capacity=D("8"), confirmed=D("2"), tentative=D("3"), internal=D("1"))
    assert load.free == D("2")
    assert DayLoad(date=MON, capacity=D("8"), confirmed=D("10")).over == D("2")


def test_shortfalls_name_each_date_and_the_hours_short() -> None:
    plan = {day(0): D("8"), day(1): D("8"), day(2): D("8")}
    short = rules.shortfalls(plan, loads(busy={1: "6"}))
    assert [(s.date, s.requested, s.free, s.short) for s in short] == [
        (day(1), D("8"), D("2"), D("6"))
    ]
    assert rules.shortfalls(plan, loads()) == []


def test_other_windows_keep_hours_and_working_days_nearest_first() -> None:
    plan = {day(1): D("8"), day(2): D("8"), day(3): D("8")}  # Tue-Thu, Wed busy
    proposals = rules.other_windows(
        person_id=1, plan=plan, loads=loads(busy={2: "4"}), earliest=MON
    )
    assert len(proposals) == 3
    for p in proposals:
        assert p.hours == D("24")
        assert len(p.days) == 3
        assert day(2) not in p.days
    # Nearest: Thu-Mon (distance 2, later), then Wed-... is busy; Fri-Tue (3); ...
    starts = [p.start for p in proposals]
    assert starts == sorted(starts, key=lambda s: abs((s - day(1)).days))
    assert proposals[0].start == day(3)
    assert proposals[0].end == day(7)  # skips the weekend: Thu, Fri, Mon


def test_other_windows_never_share_a_day_with_one_already_offered() -> None:
    plan = {day(1): D("8"), day(2): D("8"), day(3): D("8")}  # Tue-Thu, Wed busy
    proposals = rules.other_windows(
        person_id=1, plan=plan, loads=loads(busy={2: "4"}), earliest=MON
    )
    # Thu-Mon is nearest; Fri-Tue and Mon-Wed would repeat two of its days and one: skipped
    assert [(p.start, p.end) for p in proposals] == [
        (day(3), day(7)),
        (day(8), day(10)),
        (day(11), day(15)),
    ]
    offered = [d for p in proposals for d in p.days]
    assert len(offered) == len(set(offered))


def test_windows_skip_holidays_and_never_start_before_earliest() -> None:
    plan = {day(7): D("8"), day(8): D("8")}  # Mon-Tue of week 2, Tue fully booked
    proposals = rules.other_windows(
        person_id=1, plan=plan, loads=loads(busy={8: "8"}, holidays=(9,)), earliest=day(7)
    )
    assert all(p.start >= day(7) for p in proposals)
    assert all(day(9) not in p.days and day(8) not in p.days for p in proposals)
    assert proposals[0].start == day(10)  # Thu-Fri: Wed is a holiday


def test_partial_books_only_what_fits() -> None:
    plan = {day(0): D("8"), day(1): D("8")}
    partial = rules.partial_fit(person_id=1, plan=plan, loads=loads(busy={1: "5"}))
    assert partial is not None
    assert partial.days == {day(0): D("8"), day(1): D("3")}
    assert "11.00 h of 16.00 h" in partial.reason


def test_spread_longer_reaches_the_same_total_later() -> None:
    plan = {day(0): D("8"), day(1): D("8")}
    spread = rules.spread_longer(person_id=1, plan=plan, loads=loads(busy={0: "4", 1: "4"}))
    assert spread is not None
    assert spread.hours == D("16")
    assert spread.days == {day(0): D("4"), day(1): D("4"), day(2): D("8")}
    assert spread.end == day(2)


def candidate(
    person_id: int, name: str, plan: dict[dt.date, Decimal], busy: dict[int, str] | None = None
) -> rules.Candidate:
    days = loads(busy=busy)
    return rules.Candidate(
        person_id,
        name,
        plan,
        {d: v.capacity for d, v in days.items()},
        {d: v.planned for d, v in days.items() if v.planned},
    )


def test_other_people_are_those_free_on_all_dates_most_spare_first() -> None:
    plan = {day(0): D("4"), day(1): D("4")}
    busy = candidate(2, "Busy", plan, busy={0: "6"})
    free = candidate(3, "Free", plan)
    half = candidate(4, "Half", plan, busy={0: "2"})
    proposals = rules.other_people([busy, half, free], skill="Kubernetes")
    assert [p.person_id for p in proposals] == [3, 4, 2]
    assert "has the skill Kubernetes" in proposals[0].reason
    assert "(8.00 h to spare)" in proposals[0].reason
    assert "(6.00 h to spare)" in proposals[1].reason
    # Busy has 2 h free on the first day: offered after those who fit, for what fits them
    assert proposals[2].days == {day(0): D("2"), day(1): D("4")}
    assert proposals[2].reason == (
        "Busy has 6.00 h of the 8.00 h free on these dates (1 of 2 working days in full): "
        "books what fits; has the skill Kubernetes"
    )


def test_people_free_for_part_of_it_fill_the_places_left_most_hours_first() -> None:
    plan = {day(0): D("8"), day(1): D("8"), day(2): D("8")}
    full = candidate(2, "Full", plan, busy={0: "8", 1: "8", 2: "8"})
    one = candidate(3, "One day", plan, busy={0: "8", 1: "8"})
    most = candidate(4, "Most", plan, busy={0: "4"})
    proposals = rules.other_people([full, one, most], count=5)
    assert [(p.person_id, p.hours) for p in proposals] == [(4, D("20")), (3, D("8"))]
    assert proposals[1].days == {day(2): D("8")}
    assert (proposals[1].start, proposals[1].end) == (day(2), day(2))
    # the list is capped, the most hours kept
    assert [p.person_id for p in rules.other_people([full, one, most], count=1)] == [4]


def test_other_people_ties_are_by_name_and_the_list_is_capped() -> None:
    plan = {day(0): D("8")}
    team = [candidate(i, name, plan) for i, name in enumerate(["Cy", "Al", "Bo"], start=1)]
    assert [p.person_id for p in rules.other_people(team, count=2)] == [2, 3]


def test_proposal_keys_are_stable() -> None:
    plan = {day(1): D("8")}
    a = rules.other_windows(person_id=1, plan=plan, loads=loads(busy={1: "8"}), earliest=MON)
    b = rules.other_windows(person_id=1, plan=plan, loads=loads(busy={1: "8"}), earliest=MON)
    assert [p.key for p in a] == [p.key for p in b]
    assert a[0].key == f"window:1:{a[0].start}:{a[0].end}"


def test_spread_longer_starts_on_its_first_booked_day() -> None:
    plan = {day(0): D("8"), day(1): D("8")}
    spread = rules.spread_longer(person_id=1, plan=plan, loads=loads(busy={0: "8", 1: "8"}))
    assert spread is not None
    assert (spread.start, spread.end) == (day(2), day(3))
    assert spread.key == f"spread:1:{day(2)}:{day(3)}"


# ------------------------------------------------------------------ a person's week


def week(**figures: Any) -> rules.WeekFigures:
    return rules.WeekFigures(MON, **figures)


def test_week_figures_follow_from_capacity_and_what_is_planned() -> None:
    w = week(
        capacity=D("32.00"),
        confirmed=D("12.00"),
        tentative=D("4.00"),
        tentative_weighted=D("1.00"),
        internal=D("2.00"),
    )
    assert (w.planned, w.free, w.utilization, w.forecast) == (
        D("18.00"),
        D("14.00"),
        D("37.5"),
        D("40.6"),  # (12 + 1) / 32
    )
    assert (w.overbooked, w.idle) == (False, False)
    # Under half of capacity planned is idle; nothing to work with has no percentages.
    assert week(capacity=D("40"), confirmed=D("19.99")).idle is True
    assert week(capacity=D("40"), confirmed=D("20")).idle is False
    assert (week().utilization, week().forecast, week().idle) == (None, None, False)


@pytest.mark.parametrize(
    ("figures", "level"),
    [
        ({"capacity": D("40")}, rules.LOAD_FREE),
        ({"capacity": D("40"), "confirmed": D("8")}, rules.LOAD_LIGHT),
        ({"capacity": D("40"), "tentative": D("19.99")}, rules.LOAD_LIGHT),
        ({"capacity": D("40"), "internal": D("20")}, rules.LOAD_BUSY),
        ({"capacity": D("40"), "confirmed": D("39.99")}, rules.LOAD_BUSY),
        ({"capacity": D("40"), "confirmed": D("32"), "internal": D("8")}, rules.LOAD_FULL),
        ({"capacity": D("40"), "confirmed": D("40.01")}, rules.LOAD_OVER),
        # A day over capacity makes the week over-booked though the week's total fits.
        ({"capacity": D("40"), "confirmed": D("8"), "over_days": [MON]}, rules.LOAD_OVER),
        ({"capacity": D("0")}, rules.LOAD_NONE),
        ({"capacity": D("0"), "time_off": D("40")}, rules.LOAD_NONE),
        ({"capacity": D("0"), "internal": D("4")}, rules.LOAD_OVER),
    ],
)
def test_load_level_of_a_week(figures: dict[str, Any], level: str) -> None:
    assert rules.load_level(week(**figures)) == level


def test_adding_weeks_sums_every_figure() -> None:
    team = week()
    team.add(week(capacity=D("40"), confirmed=D("8"), time_off=D("8"), holidays=D("8")))
    team.add(week(capacity=D("32"), tentative=D("4"), tentative_weighted=D("1"), internal=D("2")))
    assert (team.capacity, team.planned, team.time_off, team.holidays) == (
        D("72"),
        D("14"),
        D("8"),
        D("8"),
    )


@pytest.mark.parametrize(
    ("requested", "load", "fits"),
    [
        (D("4"), DayLoad(MON, capacity=D("8"), confirmed=D("4")), True),  # exactly the free hours
        (D("4.01"), DayLoad(MON, capacity=D("8"), confirmed=D("4")), False),
        (D("1"), DayLoad(MON, capacity=D("8"), confirmed=D("9")), False),  # over: none free
        (D("0"), None, True),  # nothing asked of a date without a load
        (D("1"), None, False),
    ],
)
def test_a_days_request_fits_its_free_hours(
    requested: Decimal, load: DayLoad | None, fits: bool
) -> None:
    assert rules.day_fits(requested, load) is fits
    assert (rules.shortfalls({MON: requested}, {MON: load} if load else {}) == []) is fits
