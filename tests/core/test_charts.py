"""Charts laid out as SVG geometry: a round axis, bars side by side or stacked, the line, and
no figure drawn as nothing (never as 0)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from psa.core.charts import (
    Bar,
    HBar,
    Row,
    Series,
    Tick,
    XLabel,
    bar_chart,
    hbar_chart,
    meter,
    nice_top,
)

D = Decimal


@pytest.mark.parametrize(
    ("value", "top"),
    [
        (D("0"), D("1")),
        (D("0.4"), D("0.5")),
        (D("7"), D("10")),
        (D("75"), D("100")),
        (D("101"), D("200")),
        (D("240"), D("250")),
        (D("36500"), D("50000")),
    ],
)
def test_the_axis_ends_on_a_round_number(value: Decimal, top: Decimal) -> None:
    assert nice_top(value) == top


def test_bars_side_by_side_with_the_line_and_a_missing_figure() -> None:
    chart = bar_chart(
        title="Utilization",
        unit="%",
        labels=["Nov", "Dec"],
        series=[Series("Billable", [D("50"), None]), Series("Productive", [D("80"), D("40")])],
        line=Series("Target", [D("75"), D("75")]),
    )
    # 572 px of plot from x = 56: 2 slots of 286, 20 % of each the gap, two lanes of 114.4.
    assert chart.ticks == [
        Tick(212.0, "0 %"),
        Tick(162.0, "25 %"),
        Tick(112.0, "50 %"),
        Tick(62.0, "75 %"),
        Tick(12.0, "100 %"),
    ]
    assert chart.bars == [
        Bar(84.6, 112.0, 114.4, 100.0, "s1", "Nov · Billable: 50 %"),
        Bar(199.0, 52.0, 114.4, 160.0, "s2", "Nov · Productive: 80 %"),
        Bar(485.0, 132.0, 114.4, 80.0, "s2", "Dec · Productive: 40 %"),
    ]
    assert chart.points == "199.0,62.0 485.0,62.0"
    assert chart.rows == [("Nov", [D("50"), D("80"), D("75")]), ("Dec", [None, D("40"), D("75")])]
    assert chart.columns == ["Billable", "Productive", "Target"]


def test_stacked_bars_reach_their_sum() -> None:
    chart = bar_chart(
        title="Forecast",
        unit="h",
        labels=["7 Dec"],
        series=[Series("Confirmed", [D("30")]), Series("Tentative", [D("10")])],
        line=Series("Capacity", [D("50")]),
        stacked=True,
    )
    assert chart.ticks[-1] == Tick(12.0, "50 h")
    confirmed, tentative = chart.bars
    assert (confirmed.y, confirmed.height) == (92.0, 120.0)
    assert (tentative.y + tentative.height, tentative.y) == (confirmed.y, 52.0)


def test_nothing_to_draw() -> None:
    chart = bar_chart(title="Empty", unit="h", labels=["Jan"], series=[Series("Hours", [None])])
    assert (chart.empty, chart.bars, chart.points) == (True, [], "")


def test_a_flat_line_at_zero_alone_is_nothing_to_draw() -> None:
    no_capacity = bar_chart(
        title="Planned",
        unit="h",
        labels=["Jan"],
        series=[Series("Confirmed", [D("0")])],
        line=Series("Capacity", [D("0")]),
    )
    assert (no_capacity.empty, no_capacity.points) == (True, "342.0,212.0")
    some = bar_chart(
        title="Planned", unit="h", labels=["Jan"], series=[], line=Series("Capacity", [D("8")])
    )
    assert some.empty is False


# ------------------------------------------------------------------ horizontal bars and meters


def test_a_row_per_label_its_limit_and_the_part_beyond_it() -> None:
    chart = hbar_chart(
        title="Hours against capacity",
        unit="h",
        rows=[
            Row("Ada", D("450"), D("500")),
            Row("Grace", D("600"), D("500")),
            Row("Linus", D("100"), D("500"), note="Low hours"),
            Row("Nobody", None, D("0")),
        ],
    )
    # 348 px of plot from x = 180 to 1000 h: 0.348 px an hour; rows 24 px apart from y = 11.
    assert chart.ticks == [
        XLabel(180.0, "0 h"),
        XLabel(267.0, "250 h"),
        XLabel(354.0, "500 h"),
        XLabel(441.0, "750 h"),
        XLabel(528.0, "1,000 h"),
    ]
    ada, grace, linus, nobody = chart.bars
    assert ada == HBar(
        label="Ada",
        shown_label="Ada",
        y=11.0,
        within=Bar(180.0, 11.0, 156.6, 14.0, "within", "Ada · Hours: 450 h of 500 h capacity"),
        beyond=None,
        limit_x=354.0,
        value_x=636.0,  # right-aligned in the values' column
        text="450 h of 500 h",
        note="",
    )
    assert (grace.within, grace.beyond) == (
        Bar(180.0, 35.0, 174.0, 14.0, "within", "Grace · Hours: 600 h of 500 h capacity"),
        Bar(354.0, 35.0, 34.8, 14.0, "beyond", "Grace · Hours: 600 h of 500 h capacity"),
    )
    assert (grace.value_x, grace.mid_y, grace.limit_y, grace.text) == (
        636.0,
        42.0,
        (32.0, 52.0),
        "600 h of 500 h",
    )
    assert linus.within == Bar(
        180.0, 59.0, 34.8, 14.0, "within", "Linus · Hours: 100 h of 500 h capacity · Low hours"
    )
    assert linus.shown_label == "Linus ⚑"
    assert (nobody.within, nobody.beyond, nobody.text, nobody.limit_x) == (
        None,
        None,
        "— of 0 h",
        180.0,
    )
    assert (chart.height, chart.axis_y, chart.has_limit, chart.has_notes) == (122, 102, True, True)


def test_a_long_label_is_cut_short_on_the_picture_only() -> None:
    name = "Global Company Meetings and Offsites"
    chart = hbar_chart(title="By epic", unit="h", rows=[Row(name, D("12.5"))])
    (bar,) = chart.bars
    assert (bar.shown_label, bar.label, bar.limit_x, bar.text) == (
        "Global Company Meetings…",
        name,
        None,
        "12.5 h",
    )
    assert chart.rows == [Row(name, D("12.5"))]
    assert (chart.has_limit, chart.has_notes) == (False, False)


def test_no_rows_or_no_hours_draw_the_empty_state() -> None:
    assert hbar_chart(title="By epic", unit="h", rows=[]).empty
    assert hbar_chart(title="By epic", unit="h", rows=[Row("Ada", D("0"), D("40"))]).empty


def test_a_meter_within_its_budget() -> None:
    m = meter(used=D("30.00"), limit=D("120"))
    assert m is not None
    assert (m.within, m.beyond, m.limit_x) == (
        Bar(0, 0, 30.0, 12, "within", "30 h of 120 h"),
        None,
        120.0,
    )
    assert (m.over, m.over_by, m.text) == (False, D("0"), "90.00 h left")


def test_a_meter_over_its_budget_ends_its_scale_at_the_hours() -> None:
    m = meter(used=D("235.50"), limit=D("120"))
    assert m is not None
    # 120 px for 235.5 h: the budget's tick at 61.1 px, the overrun red from there.
    assert (m.within, m.beyond, m.limit_x) == (
        Bar(0, 0, 61.1, 12, "within", "236 h of 120 h"),
        Bar(61.1, 0, 58.9, 12, "beyond", "236 h of 120 h"),
        61.1,
    )
    assert (m.over, m.over_by, m.text) == (True, D("115.50"), "over by 115.50 h")


def test_no_budget_no_meter() -> None:
    assert meter(used=D("8"), limit=D("0")) is None
