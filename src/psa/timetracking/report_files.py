"""The hours report's files: a person's quarter as XLSX (sheets Daily, By work item, Summary,
By day) and CSV, the team workbook, and the team's ZIP of every person's workbook plus the team
workbook. The figures are report_selectors'; this module only lays them out. Every cell goes
through integrations.spreadsheet (formula guard, control characters, numeric cells).

The team workbook is one "Summary" sheet (a row per person) plus one long "Daily" sheet with a
Person column (filterable and pivotable; 500 sheets, one a person, would not be).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from psa.core import periods
from psa.core.numbers import ZERO
from psa.core.roles import Actor
from psa.integrations.spreadsheet import csv_cell, xlsx_cell
from psa.people.models import Person
from psa.timetracking.report_selectors import (
    HoursReport,
    Progress,
    ReportRow,
    access_team_report,
    iso_week_label,
    team_people,
    team_reports,
)

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
