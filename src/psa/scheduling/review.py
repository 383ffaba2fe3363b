"""The weekly schedule review: per person and for the team, week by week — capacity, what is
planned (confirmed, tentative, internal), time off, free hours, utilization, and flags."""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from psa.core import clock, periods
from psa.core.errors import ValidationFailed
from psa.core.numbers import ZERO
from psa.integrations.spreadsheet import xlsx_cell
from psa.people import selectors as people
from psa.people.models import Person
from psa.scheduling.models import BookingDay
from psa.scheduling.rules import WeekFigures

MAX_WEEKS = 26
ERR_WEEKS = f"weeks must be between 1 and {MAX_WEEKS}"


@dataclass
class PersonReview:
    person: Person
    weeks: list[WeekFigures]

    @property
    def flagged(self) -> bool:
        return any(w.overbooked or w.idle for w in self.weeks)


@dataclass(frozen=True)
class WeekCounts:
    overbooked: int  # people over-booked that week
    idle: int  # people planned under half their capacity


@dataclass
class WeeklyReview:
    start: dt.date
    weeks: int
    people: list[PersonReview]
    team: list[WeekFigures]

    @property
    def counts(self) -> list[WeekCounts]:
        """For each week, how many of the people reviewed are over-booked, how many idle."""
        return [
            WeekCounts(
                overbooked=sum(1 for pr in self.people if pr.weeks[i].overbooked),
                idle=sum(1 for pr in self.people if pr.weeks[i].idle),
            )
            for i in range(len(self.team))
        ]


def weekly_review(*, people_list: Sequence[Person], start: dt.date, weeks: int) -> WeeklyReview:
    """Figures for each person and week from `start`'s Monday, plus team totals.
    Queries: one for time off, one for the planned hours of everyone in the range."""
    monday = periods.week_start(start)
    end = monday + dt.timedelta(days=7 * weeks - 1)
    capacity = people.capacity_for_people(people=people_list, start=monday, end=end)
    planned = _planned_by_day(person_ids=[p.pk for p in people_list], start=monday, end=end)
    team = [WeekFigures(monday + dt.timedelta(weeks=i)) for i in range(weeks)]
    reviews = []
    for person in people_list:
        figures = [WeekFigures(monday + dt.timedelta(weeks=i)) for i in range(weeks)]
        mine = planned.get(person.pk, {})
        for day in capacity[person.pk]:
            week = figures[(day.date - monday).days // 7]
            week.capacity += day.hours
            week.time_off += day.time_off
            if day.holiday:
                week.holidays += day.base
            kinds = mine.get(day.date)
            if kinds:
                week.confirmed += kinds[0]
                week.tentative += kinds[1]
                week.tentative_weighted += kinds[2]
                week.internal += kinds[3]
                if kinds[0] + kinds[1] + kinds[3] > day.hours:
                    week.over_days.append(day.date)
        for total, week in zip(team, figures, strict=True):
            total.add(week)
        reviews.append(PersonReview(person, figures))
    return WeeklyReview(start=monday, weeks=weeks, people=reviews, team=team)


def _planned_by_day(
    *, person_ids: list[int], start: dt.date, end: dt.date
) -> dict[int, dict[dt.date, tuple[Decimal, Decimal, Decimal, Decimal]]]:
    """(confirmed, tentative, tentative weighted by probability, internal) per person and date."""
    weighted = ExpressionWrapper(
        F("hours") * F("booking__probability") / 100,
        output_field=DecimalField(max_digits=12, decimal_places=4),
    )
    kind = BookingDay.Kind
    hours = DecimalField(max_digits=12, decimal_places=2)
    # One row per person and date, the kinds side by side (summed in the database): the
    # review reads tens of thousands of these for a large team.
    rows = (
        BookingDay.objects.filter(person_id__in=person_ids, date__gte=start, date__lte=end)
        .values_list("person_id", "date")
        .annotate(
            confirmed=Coalesce(
                Sum("hours", filter=Q(kind=kind.CONFIRMED)), ZERO, output_field=hours
            ),
            tentative=Coalesce(
                Sum("hours", filter=Q(kind=kind.TENTATIVE)), ZERO, output_field=hours
            ),
            weighted=Sum(weighted, filter=Q(kind=kind.TENTATIVE)),
            internal=Coalesce(Sum("hours", filter=Q(kind=kind.INTERNAL)), ZERO, output_field=hours),
        )
        .order_by()
    )
    cent = Decimal("0.01")
    planned: dict[int, dict[dt.date, tuple[Decimal, Decimal, Decimal, Decimal]]] = defaultdict(dict)
    for pid, day, confirmed, tentative, weighted_sum, internal in rows:
        share = Decimal(weighted_sum).quantize(cent, ROUND_HALF_UP) if weighted_sum else ZERO
        planned[pid][day] = (Decimal(confirmed), Decimal(tentative), share, Decimal(internal))
    return planned


COLUMNS = [
    "Person",
    "Week of",
    "Capacity",
    "Confirmed",
    "Tentative",
    "Tentative (weighted)",
    "Internal",
    "Time off",
    "Holidays",
    "Free",
    "Utilization %",
    "Forecast %",
    "Flags",
]


def _row(name: str, w: WeekFigures) -> list[object]:
    flags = ", ".join(f for f, on in (("over-booked", w.overbooked), ("idle", w.idle)) if on)
    return [
        name,
        w.monday,
        w.capacity,
        w.confirmed,
        w.tentative,
        w.tentative_weighted,
        w.internal,
        w.time_off,
        w.holidays,
        w.free,
        w.utilization,
        w.forecast,
        flags,
    ]


def review_xlsx(review: WeeklyReview) -> bytes:
    """The review as a workbook: numbers are numeric cells and dates are date cells."""
    book = Workbook()
    sheet = book.worksheets[0]
    sheet.title = "Weekly review"
    sheet.append(COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    warn = PatternFill("solid", fgColor="FDE2E1")
    for pr in review.people:
        for w in pr.weeks:
            sheet.append([xlsx_cell(sheet, v) for v in _row(pr.person.name, w)])
            if w.overbooked:
                for cell in sheet[sheet.max_row]:
                    cell.fill = warn
    for w in review.team:
        sheet.append([xlsx_cell(sheet, v) for v in _row("Team", w)])
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2):
        row[1].number_format = "yyyy-mm-dd"
        for cell in row[2:12]:
            cell.number_format = "0.00"
    sheet.freeze_panes = "C2"
    for letter, width in zip(
        "ABCDEFGHIJKLM", (28, 12, 10, 10, 10, 12, 10, 10, 10, 10, 12, 11, 20), strict=True
    ):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def review_people(
    *,
    start: dt.date,
    weeks: int,
    role: str = "pse",
    skill: str = "",
    country: str = "",
    manager_id: int | None = None,
) -> QuerySet[Person]:
    """Who the review covers: people with the role (PSEs by default) employed at some point in
    the weeks reviewed, by name."""
    monday = periods.week_start(start)
    end = monday + dt.timedelta(days=7 * weeks - 1)
    return people.person_list(
        role=role,
        skill=skill,
        country=country,
        manager_id=manager_id,
        employed_during=(monday, end),
    )


def weekly_review_of(
    *,
    start: dt.date | None,
    weeks: int,
    role: str = "pse",
    skill: str = "",
    country: str = "",
    manager_id: int | None = None,
) -> WeeklyReview:
    """The review of the people the filters choose (`review_people`), from `start`'s week
    (this week when not given) for 1 to MAX_WEEKS weeks."""
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValidationFailed(ERR_WEEKS, field="weeks")
    start = start or clock.today()
    chosen = review_people(
        start=start, weeks=weeks, role=role, skill=skill, country=country, manager_id=manager_id
    )
    return weekly_review(people_list=list(chosen), start=start, weeks=weeks)
