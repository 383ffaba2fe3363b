"""Charts laid out as SVG geometry: a round axis, bars side by side or stacked, the line, and
no figure drawn as nothing (never as 0)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from psa.core.charts import Bar, Series, Tick, bar_chart, nice_top

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
