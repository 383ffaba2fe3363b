"""The time pages' charts, laid out from the figures their tables show (the hours report, the
certification queue's views, My week's grid), drawn by core.charts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from psa.core.charts import Chart, HChart, Row, Series, bar_chart, hbar_chart
from psa.timetracking.certification.selectors import CertificationView
from psa.timetracking.report_selectors import HoursReport


def report_epics(report: HoursReport) -> HChart:
    """A row per major epic (names too long for a column's foot), in the epic tree's order."""
    return hbar_chart(
        title="Hours by major epic",
        unit="h",
        rows=[Row(name, hours) for name, hours in report.by_major_epic.items()],
    )


def report_weeks(report: HoursReport) -> Chart:
    """The quarter's weeks with time, labelled by week number alone so thirteen fit (the table
    beside it gives the year and the Monday)."""
    weeks = list(report.by_week.items())
    return bar_chart(
        title="Hours by week",
        unit="h",
        labels=[f"W{monday.isocalendar()[1]:02d}" for monday, _ in weeks],
        series=[Series("Hours", [hours for _, hours in weeks])],
    )


def queue_capacity(views: Sequence[CertificationView]) -> HChart:
    """Each quarter waiting: its hours against the person's capacity, the flags an approver
    must look at (no or low hours, weeks not submitted) marking the row."""
    return hbar_chart(
        title="Hours against capacity",
        unit="h",
        rows=[
            Row(
                f"{v.cert.person.name} · FY{v.cert.fiscal_year} Q{v.cert.quarter}",
                v.total_hours,
                v.capacity_hours,
                note="; ".join(v.flags),
            )
            for v in views
        ],
    )


def week_days(days: Sequence[tuple[dt.date, Decimal, Decimal]]) -> Chart:
    """My week a day at a time: (day, hours logged, the day's normal hours) as the grid's
    foot and its over-the-day check have them."""
    return bar_chart(
        title="Each day against its hours",
        unit="h",
        labels=[f"{day:%a} {day.day}" for day, _, _ in days],
        series=[Series("Logged", [logged for _, logged, _ in days])],
        line=Series("Normal hours", [normal for _, _, normal in days]),
    )
