"""The hours report: a person's own time in a fiscal quarter (every entry they logged, whichever
work item it is on), with totals per major epic, work item, day and ISO week, and productive
utilization; as data, XLSX and CSV. Also the team report (many people, batched queries).

Only the person's own entries count: time others logged on work items the person authored or is
assigned to is theirs, not this person's. Adjusting entries (negative hours, with a reason) are
rows like any other and count in every total.

Productive utilization = billable hours / the person's capacity over the whole quarter (public
holidays and time off removed), in percent to one place; None when the capacity is 0.

The team workbook is one "Summary" sheet (a row per person) plus one long "Daily" sheet with a
Person column (filterable and pivotable; 500 sheets, one a person, would not be).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import DateField, Sum
from django.db.models.functions import Cast, TruncWeek
from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from psa.core import clock, periods
from psa.core.errors import PermissionDenied, ValidationFailed
from psa.core.numbers import ZERO
from psa.core.roles import Actor
from psa.integrations.spreadsheet import csv_cell, xlsx_cell
from psa.people import rules as people_rules
from psa.people import selectors as people
from psa.people.models import Person
from psa.timetracking import selectors
from psa.timetracking.models import Epic, TimeEntry, WorkItem

PERCENT = Decimal("0.1")
CHUNK = 500  # ids per IN (...) list
ERR_TEAM = "the team report needs a manager, finance or head-of-PS role (or your own reports)"

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class WorkItemInfo:
    id: int
    title: str
    web_url: str
    epic: str  # the category
    major_epic: str
    major_position: int
    engagement_id: int | None
    engagement: str  # "Customer — Engagement", or ""

    @property
    def billable(self) -> bool:
        return self.engagement_id is not None


@dataclass(frozen=True)
class ReportRow:
    entry_id: int
    date: dt.date
    work_item: WorkItemInfo
    hours: Decimal
    note: str
    source: str
    reason: str  # the adjustment reason, for an entry correcting locked time

    @property
    def billable(self) -> bool:
        return self.work_item.billable


@dataclass(frozen=True)
class WorkItemTotal:
    work_item: WorkItemInfo
    hours: Decimal


@dataclass
class HoursReport:
    person: Person
    quarter: periods.FiscalQuarter
    rows: list[ReportRow]
    capacity: Decimal
    total: Decimal = ZERO
    billable: Decimal = ZERO
    non_billable: Decimal = ZERO
    by_major_epic: dict[str, Decimal] = field(default_factory=dict)  # in epic-tree order
    by_work_item: list[WorkItemTotal] = field(default_factory=list)  # by hours, then title
    by_day: dict[dt.date, Decimal] = field(default_factory=dict)  # days with time, in order
    by_week: dict[dt.date, Decimal] = field(default_factory=dict)  # ISO week's Monday → hours

    @property
    def utilization(self) -> Decimal | None:
        return productive_utilization(self.billable, self.capacity)


def productive_utilization(billable: Decimal, capacity: Decimal) -> Decimal | None:
    """Billable hours over capacity, percent to one place; None when the capacity is 0."""
    if capacity <= 0:
        return None
    return (billable * 100 / capacity).quantize(PERCENT, rounding=ROUND_HALF_UP)


EntryRow = tuple[int, int, dt.date, int, Decimal]  # (person, entry, date, work item id, hours)


@dataclass(frozen=True)
class QuarterTotals:
    """An hours report's totals without its rows (what the certification queue shows): the same
    entries, capacity, billable rule and utilization, read without the report's columns."""

    capacity: Decimal
    total: Decimal
    billable: Decimal
    entries: list[EntryRow]  # in no particular order

    @property
    def utilization(self) -> Decimal | None:
        return productive_utilization(self.billable, self.capacity)


def iso_week_label(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def summarize(report: HoursReport) -> HoursReport:
    """Fill the totals from the rows (one place computes them all)."""
    billable = ZERO
    non_billable = ZERO
    majors: dict[str, Decimal] = defaultdict(lambda: ZERO)
    order: dict[str, tuple[int, str]] = {}
    items: dict[int, Decimal] = defaultdict(lambda: ZERO)
    info: dict[int, WorkItemInfo] = {}
    days: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    weeks: dict[dt.date, Decimal] = defaultdict(lambda: ZERO)
    for row in report.rows:
        wi = row.work_item
        if wi.billable:
            billable += row.hours
        else:
            non_billable += row.hours
        majors[wi.major_epic] += row.hours
        order[wi.major_epic] = (wi.major_position, wi.major_epic)
        items[wi.id] += row.hours
        info[wi.id] = wi
        days[row.date] += row.hours
        weeks[periods.week_start(row.date)] += row.hours
    report.billable = billable
    report.non_billable = non_billable
    report.total = billable + non_billable
    report.by_major_epic = {m: majors[m] for m in sorted(majors, key=lambda m: order[m])}
    report.by_work_item = [
        WorkItemTotal(info[i], h)
        for i, h in sorted(items.items(), key=lambda kv: (-kv[1], info[kv[0]].title, kv[0]))
    ]
    report.by_day = {d: days[d] for d in sorted(days)}
    report.by_week = {w: weeks[w] for w in sorted(weeks)}
    return report


MIN_YEAR, MAX_YEAR = 2000, 2100
ERR_QUARTER = "quarter must be 1, 2, 3 or 4"
ERR_YEAR = f"year must be a fiscal year between {MIN_YEAR} and {MAX_YEAR}, such as 2027"
ERR_BOTH = "give both year and quarter, or neither (the current fiscal quarter)"


def report_quarter(year: int | None, quarter: int | None) -> periods.FiscalQuarter:
    """The quarter asked for (FY `year`, quarter 1-4), or the current one (today by the clock,
    settings.PSA_FISCAL_YEAR_START_MONTH) when neither is given."""
    start_month = settings.PSA_FISCAL_YEAR_START_MONTH
    if year is None and quarter is None:
        return periods.fiscal_quarter(clock.today(), start_month=start_month)
    if quarter is not None and not 1 <= quarter <= 4:
        raise ValidationFailed(ERR_QUARTER, field="quarter")
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed(ERR_YEAR, field="year")
    if year is None or quarter is None:
        raise ValidationFailed(ERR_BOTH, field="year" if year is None else "quarter")
    return periods.quarter_by_label(year, quarter, start_month=start_month)


# ------------------------------------------------------------------ access


def access_hours_report(*, actor: Actor, person: Person) -> Person:
    """An hours report is the person's time: read by whoever may read that."""
    return selectors.access_time_of(actor=actor, person=person)


def access_team_report(*, actor: Actor, manager_id: int | None) -> None:
    if actor.has_any(*selectors.TIME_READERS):
        return
    if manager_id is not None and actor.person_id == manager_id:
        return
    raise PermissionDenied(ERR_TEAM, field="manager_id")


# ------------------------------------------------------------------ selectors


def hours_report(*, person: Person, quarter: periods.FiscalQuarter) -> HoursReport:
    """The person's hours report for the quarter."""
    return team_reports(people=[person], quarter=quarter)[0]


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _work_items(ids: Iterable[int]) -> dict[int, WorkItemInfo]:
    majors = {
        pk: (name, position)
        for pk, name, position in Epic.objects.filter(parent__isnull=True).values_list(
            "pk", "name", "position"
        )
    }
    result: dict[int, WorkItemInfo] = {}
    wanted = sorted(set(ids))
    for chunk in _chunks(wanted):
        rows = WorkItem.objects.filter(pk__in=chunk).values_list(
            "pk",
            "title",
            "web_url",
            "epic__name",
            "epic__parent_id",
            "epic_id",
            "engagement_id",
            "engagement__name",
            "engagement__customer__name",
        )
        for pk, title, url, epic, parent_id, epic_id, eng_id, eng, customer in rows:
            major_name, position = majors.get(parent_id or epic_id, (epic, 0))
            label = f"{customer} — {eng}" if eng_id is not None and customer else (eng or "")
            result[pk] = WorkItemInfo(
                pk, title, url, epic, major_name, position, eng_id, label or ""
            )
    return result


def team_reports(
    *,
    people: Sequence[Person],
    quarter: periods.FiscalQuarter,
    progress: Progress | None = None,
) -> list[HoursReport]:
    """Hours reports for many people, in the order given. Queries: the entries of each chunk of
    500 people, the work items they are on, the epics, and the time off (capacity)."""
    people_list = list(people)
    capacity = _capacity(people_list, quarter)
    raw: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    item_ids: set[int] = set()
    ids = [p.pk for p in people_list]
    for chunk in _chunks(ids):
        rows = _quarter_entries(chunk, quarter).values_list(
            "person_id", "id", "date", "work_item_id", "hours", "note", "source", "reason"
        )
        for row in rows.iterator(chunk_size=5000):
            raw[row[0]].append(row)
            item_ids.add(row[3])
    items = _work_items(item_ids)
    reports = []
    total = len(people_list)
    for done, person in enumerate(people_list, start=1):
        rows_out = [
            ReportRow(eid, day, items[wid], hours, note, source, reason)
            for _, eid, day, wid, hours, note, source, reason in raw.get(person.pk, ())
        ]
        reports.append(
            summarize(HoursReport(person, quarter, rows_out, capacity.get(person.pk, ZERO)))
        )
        if progress is not None:
            progress(done, total)
    return reports


def _quarter_entries(person_ids: Sequence[int], quarter: periods.FiscalQuarter) -> Any:
    """The entries an hours report counts: the people's own, dated in the quarter, in the
    report's order."""
    return TimeEntry.objects.filter(
        person_id__in=person_ids, date__gte=quarter.start, date__lte=quarter.end
    ).order_by("person_id", "date", "id")


def team_totals(*, people: Sequence[Person], quarter: periods.FiscalQuarter) -> list[QuarterTotals]:
    """The totals team_reports gives, for many people in the order given, without building
    its rows: a queue of hundreds of certifications needs only these. Queries: the entries of
    each chunk of 500 people, which of their work items are billable, the time off."""
    people_list = list(people)
    capacity = _capacity(people_list, quarter)
    raw: dict[int, list[EntryRow]] = defaultdict(list)
    for chunk in _chunks([p.pk for p in people_list]):
        # Unordered: sorting 100,000 rows spills to disk on PostgreSQL, and totals need no order.
        rows = (
            _quarter_entries(chunk, quarter)
            .order_by()
            .values_list("person_id", "id", "date", "work_item_id", "hours")
        )
        for row in rows:
            raw[row[0]].append(row)
    billable_items = _billable_items({row[3] for entries in raw.values() for row in entries})
    result = []
    for person in people_list:
        entries = raw.get(person.pk, [])
        billable = non_billable = ZERO
        for _, _, _, wid, hours in entries:
            if wid in billable_items:
                billable += hours
            else:
                non_billable += hours
        result.append(
            QuarterTotals(
                capacity=capacity.get(person.pk, ZERO),
                total=billable + non_billable,
                billable=billable,
                entries=entries,
            )
        )
    return result


def _billable_items(ids: Iterable[int]) -> set[int]:
    """The work items among these that are billable (WorkItemInfo.billable: on an engagement)."""
    billable: set[int] = set()
    for chunk in _chunks(sorted(set(ids))):
        billable.update(
            WorkItem.objects.filter(pk__in=chunk, engagement__isnull=False).values_list(
                "pk", flat=True
            )
        )
    return billable


def _capacity(people_list: list[Person], quarter: periods.FiscalQuarter) -> dict[int, Decimal]:
    days = people.capacity_for_people(people=people_list, start=quarter.start, end=quarter.end)
    return {pid: people_rules.total_hours(d) for pid, d in days.items()}


def hours_by_person_week(
    *, person_ids: Sequence[int], start: dt.date, end: dt.date
) -> dict[int, dict[dt.date, Decimal]]:
    """Hours per person and ISO week (the week's Monday). PostgreSQL groups by
    date_trunc('week') itself; SQLite's week truncation is a Python function called per row,
    so there the database sums per day (a plain GROUP BY) and the days are folded into weeks
    here. Both give the same figures."""
    by_week = connection.vendor == "postgresql"
    result: dict[int, dict[dt.date, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for chunk in _chunks(list(person_ids)):
        qs = TimeEntry.objects.filter(person_id__in=chunk, date__gte=start, date__lte=end)
        rows: Iterable[tuple[int, dt.date, Decimal]]
        if by_week:
            # The cast keeps the week a date in SQL: without it PostgreSQL returns timestamps
            # with a time zone, and converting 6,500 of them back costs a third of the query.
            rows = (
                qs.annotate(week=Cast(TruncWeek("date"), DateField()))
                .values_list("person_id", "week")
                .annotate(total=Sum("hours"))
                .order_by()
            )
        else:
            rows = qs.values_list("person_id", "date").annotate(total=Sum("hours")).order_by()
        for pid, day, hours in rows:
            result[pid][periods.week_start(day)] += hours
    return {pid: dict(weeks) for pid, weeks in result.items()}


def team_people(*, quarter: periods.FiscalQuarter, manager_id: int | None = None) -> list[Person]:
    """Who a team report covers: the manager's reports (everyone without a manager), employed
    on at least one day of the quarter, by name."""
    return list(
        people.person_list(manager_id=manager_id, employed_during=(quarter.start, quarter.end))
    )


# ------------------------------------------------------------------ files

DAILY_COLUMNS = [
    "Date",
    "ISO week",
    "Work item ID",
    "Work item",
    "Major epic",
    "Epic category",
    "Billable",
    "Engagement",
    "Hours",
    "Note",
    "Source",
    "Adjustment reason",
    "URL",
]
DAILY_WIDTHS = (12, 10, 12, 40, 22, 28, 9, 36, 9, 40, 10, 30, 40)


def _daily_values(row: ReportRow) -> list[Any]:
    wi = row.work_item
    return [
        row.date,
        iso_week_label(row.date),
        wi.id,
        wi.title,
        wi.major_epic,
        wi.epic,
        wi.billable,
        wi.engagement,
        row.hours,
        row.note,
        row.source,
        row.reason,
        wi.web_url,
    ]


class _Sheet:
    """A write-only worksheet: bold header, frozen header row, typed cells."""

    def __init__(self, book: Workbook, title: str, columns: list[str], widths: Sequence[int]):
        self.sheet: WriteOnlyWorksheet = book.create_sheet(title)
        for i, width in enumerate(widths):
            self.sheet.column_dimensions[_letter(i)].width = width
        self.sheet.freeze_panes = "A2"
        self.bold = Font(bold=True)
        self.append([self.header(c) for c in columns])

    def header(self, text: str) -> Cell:
        cell = WriteOnlyCell(self.sheet, value=text)
        cell.font = self.bold
        return cell

    def cell(self, value: Any) -> Any:
        return xlsx_cell(self.sheet, value)

    def append(self, values: Iterable[Any]) -> None:
        self.sheet.append([self.cell(v) for v in values])


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _save(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _summary_pairs(report: HoursReport) -> list[tuple[str, Any]]:
    q = report.quarter
    return [
        ("Person", report.person.name),
        ("E-mail", report.person.email),
        ("Quarter", q.label),
        ("From", q.start),
        ("To", q.end),
        ("Capacity (h)", report.capacity),
        ("Total hours", report.total),
        ("Billable hours", report.billable),
        ("Non-billable hours", report.non_billable),
        ("Productive utilization %", report.utilization),
    ]


def report_xlsx(report: HoursReport) -> bytes:
    """The report as a workbook: "Daily" (one row an entry), "By work item", "Summary" (totals,
    utilization, hours per major epic and per ISO week) and "By day". Hours are numeric cells,
    dates are date cells."""
    book = Workbook(write_only=True)
    daily = _Sheet(book, "Daily", DAILY_COLUMNS, DAILY_WIDTHS)
    for row in report.rows:
        daily.append(_daily_values(row))
    daily.append([daily.header("Total"), *[None] * 7, report.total])

    by_item = _Sheet(
        book,
        "By work item",
        ["Work item ID", "Work item", "Major epic", "Epic category", "Billable", "Engagement"]
        + ["Hours", "URL"],
        (12, 40, 22, 28, 9, 36, 9, 40),
    )
    for t in report.by_work_item:
        wi = t.work_item
        by_item.append(
            [wi.id, wi.title, wi.major_epic, wi.epic, wi.billable, wi.engagement, t.hours]
            + [wi.web_url]
        )

    summary = _Sheet(book, "Summary", ["Item", "Value"], (28, 36))
    for label, value in _summary_pairs(report):
        summary.append([label, value])
    summary.append([])
    summary.append([summary.header("Major epic"), summary.header("Hours")])
    for name, hours in report.by_major_epic.items():
        summary.append([name, hours])
    summary.append([])
    summary.append([summary.header("ISO week"), summary.header("Monday"), summary.header("Hours")])
    for monday, hours in report.by_week.items():
        summary.append([iso_week_label(monday), monday, hours])

    by_day = _Sheet(book, "By day", ["Date", "ISO week", "Hours"], (12, 10, 9))
    for day, hours in report.by_day.items():
        by_day.append([day, iso_week_label(day), hours])
    return _save(book)


def report_csv(report: HoursReport) -> bytes:
    """The daily rows (hours as plain numbers such as 7.50, dates as YYYY-MM-DD) and a last
    "Total" line with the total hours."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(DAILY_COLUMNS)
    for row in report.rows:
        writer.writerow([csv_cell(v) for v in _daily_values(row)])
    writer.writerow(["Total", *[""] * 7, report.total, *[""] * 4])
    return out.getvalue().encode("utf-8")


TEAM_SUMMARY = [
    "Person",
    "E-mail",
    "Quarter",
    "Capacity (h)",
    "Total hours",
    "Billable hours",
    "Non-billable hours",
    "Productive utilization %",
]


def team_xlsx(reports: Sequence[HoursReport], progress: Progress | None = None) -> bytes:
    """The team's quarter: "Summary" (a row per person, plus an hours column per major epic)
    and one long "Daily" sheet with the person's name and e-mail first."""
    book = Workbook(write_only=True)
    majors: dict[str, tuple[int, str]] = {}
    for r in reports:
        for row in r.rows:
            wi = row.work_item
            majors[wi.major_epic] = (wi.major_position, wi.major_epic)
    major_names = sorted(majors, key=lambda m: majors[m])
    summary = _Sheet(
        book,
        "Summary",
        TEAM_SUMMARY + major_names,
        (28, 32, 10, 12, 12, 12, 14, 14) + (14,) * len(major_names),
    )
    for r in reports:
        summary.append(
            [
                r.person.name,
                r.person.email,
                r.quarter.label,
                r.capacity,
                r.total,
                r.billable,
                r.non_billable,
                r.utilization,
            ]
            + [r.by_major_epic.get(m, ZERO) for m in major_names]
        )
    daily = _Sheet(book, "Daily", ["Person", "E-mail", *DAILY_COLUMNS], (28, 32, *DAILY_WIDTHS))
    for done, r in enumerate(reports, start=1):
        for row in r.rows:
            daily.append([r.person.name, r.person.email, *_daily_values(row)])
        if progress is not None:
            progress(done, len(reports))
    return _save(book)


def file_stem(quarter: periods.FiscalQuarter) -> str:
    return f"hours-FY{quarter.year % 100:02d}-Q{quarter.quarter}"


def person_file_name(report: HoursReport) -> str:
    """The person's workbook: the quarter and their e-mail, made safe for any file system."""
    local = "".join(c if c.isalnum() or c in "._-" else "_" for c in report.person.email)
    return f"{file_stem(report.quarter)}-{local}.xlsx"


def team_file_stem(quarter: periods.FiscalQuarter, manager_id: int | None) -> str:
    suffix = f"-manager-{manager_id}" if manager_id is not None else "-team"
    return f"{file_stem(quarter)}{suffix}"


StageProgress = Callable[[int, int, str], None]  # (done, total, stage)


@dataclass(frozen=True)
class TeamBundle:
    data: bytes  # a ZIP
    file_name: str
    people: int
    entries: int


def team_bundle_for(
    *,
    actor: Actor,
    quarter: periods.FiscalQuarter,
    manager_id: int | None,
    progress: StageProgress | None = None,
) -> TeamBundle:
    """Every quarterly report of a team (the manager's reports, or everyone employed in the
    quarter), if the actor may read them."""
    access_team_report(actor=actor, manager_id=manager_id)
    return team_bundle(
        people=team_people(quarter=quarter, manager_id=manager_id),
        quarter=quarter,
        stem=team_file_stem(quarter, manager_id),
        progress=progress,
    )


def team_bundle(
    *,
    people: Sequence[Person],
    quarter: periods.FiscalQuarter,
    stem: str,
    progress: StageProgress | None = None,
) -> TeamBundle:
    """Every person's quarterly report in one ZIP: a workbook per person and the team
    workbook (`stem`.xlsx). Progress runs over three passes of the people: reading their time,
    writing their workbooks, writing the team workbook."""
    import zipfile

    chosen = list(people)
    n = len(chosen)
    total = 3 * n or 1

    def stage(offset: int, name: str) -> Progress:
        def step(done: int, _of: int) -> None:
            if progress is not None:
                progress(offset + done, total, name)

        return step

    if progress is not None:
        progress(0, total, "Reading time")
    reports = team_reports(people=chosen, quarter=quarter, progress=stage(0, "Reading time"))
    out = io.BytesIO()
    # The workbooks are compressed already: storing them is as small and much faster.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as bundle:
        write = stage(n, "Writing each person's workbook")
        for done, r in enumerate(reports, start=1):
            bundle.writestr(person_file_name(r), report_xlsx(r))
            write(done, n)
        bundle.writestr(f"{stem}.xlsx", team_xlsx(reports, progress=stage(2 * n, "Team workbook")))
    if progress is not None:
        progress(total, total, "Done")
    entries = sum(len(r.rows) for r in reports)
    return TeamBundle(out.getvalue(), f"{stem}.zip", people=n, entries=entries)
