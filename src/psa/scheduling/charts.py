"""The schedule's charts, laid out from the weekly review's own figures (WeekFigures: the
numbers its table shows), drawn by core.charts."""

from __future__ import annotations

from psa.core.charts import Chart, Series, bar_chart
from psa.scheduling.rules import WeekFigures


def planned_hours(weeks: list[WeekFigures], *, title: str) -> Chart:
    """Confirmed, probability-weighted tentative and internal hours stacked per week, the
    capacity as the line: what is planned against what there is."""
    return bar_chart(
        title=title,
        unit="h",
        labels=[f"{w.monday:%d %b}" for w in weeks],
        series=[
            Series("Confirmed", [w.confirmed for w in weeks]),
            Series("Tentative × probability", [w.tentative_weighted for w in weeks]),
            Series("Internal", [w.internal for w in weeks]),
        ],
        line=Series("Capacity", [w.capacity for w in weeks]),
        stacked=True,
    )


def utilization_trend(weeks: list[WeekFigures]) -> Chart:
    """Scheduled utilization per week, the forecast (with weighted tentative work) as the line;
    a week without capacity has neither (None: no bar, a gap in the line)."""
    return bar_chart(
        title="Utilization and forecast",
        unit="%",
        labels=[f"{w.monday:%d %b}" for w in weeks],
        series=[Series("Utilization", [w.utilization for w in weeks])],
        line=Series("Forecast", [w.forecast for w in weeks]),
    )
