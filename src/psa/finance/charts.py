"""The finance pages' charts, laid out from the selectors' figures (core.charts draws them)."""

from __future__ import annotations

from decimal import Decimal

from psa.core.charts import Chart, Series, bar_chart
from psa.engagements.choices import Kind
from psa.finance import rules
from psa.scheduling import charts as scheduling_charts
from psa.scheduling.rules import WeekFigures


def utilization(parts: list[tuple[str, rules.Utilization]]) -> Chart:
    labels = [label for label, _ in parts]
    return bar_chart(
        title="Utilization against target",
        unit="%",
        labels=labels,
        series=[
            Series("Billable", [u.billable_utilization for _, u in parts]),
            Series("Productive", [u.productive_utilization for _, u in parts]),
        ],
        line=Series("Target", [u.target for _, u in parts]),
    )


def forecast(weeks: list[WeekFigures]) -> Chart:
    return scheduling_charts.planned_hours(
        weeks, title="The next weeks: planned hours against capacity"
    )


def revenue(parts: list[tuple[str, dict[tuple[str, str], Decimal]]]) -> list[Chart]:
    """One chart per currency (amounts in two currencies are never drawn on one axis), the
    kinds stacked."""
    currencies = sorted({c for _, totals in parts for _, c in totals})
    charts = []
    for currency in currencies:
        kinds = [k for k in Kind.values if any((k, currency) in t for _, t in parts)]
        charts.append(
            bar_chart(
                title=f"Revenue recognised ({currency})",
                unit=currency,
                labels=[label for label, _ in parts],
                series=[
                    Series(Kind(k).label, [t.get((k, currency)) for _, t in parts]) for k in kinds
                ],
                stacked=True,
            )
        )
    return charts


def margin(parts: list[tuple[str, rules.Margin]]) -> list[Chart]:
    """Revenue and cost side by side per part, the margin as the line; one chart per currency."""
    currencies = sorted({c for _, m in parts for c in m.currencies})
    charts = []
    for currency in currencies:
        labels = [label for label, _ in parts]
        revenue_values = [m.revenue.get(currency) for _, m in parts]
        cost_values = [m.cost.get(currency) for _, m in parts]
        charts.append(
            bar_chart(
                title=f"Revenue, cost and margin ({currency})",
                unit=currency,
                labels=labels,
                series=[Series("Revenue", revenue_values), Series("Cost", cost_values)],
                line=Series(
                    "Margin",
                    [
                        (r or rules.ZERO) - (c or rules.ZERO)
                        if r is not None or c is not None
                        else None
                        for r, c in zip(revenue_values, cost_values, strict=True)
                    ],
                ),
            )
        )
    return charts
