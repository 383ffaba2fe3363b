"""The scheduling spreadsheet: reading XLSX and CSV into typed rows, the all-or-nothing import with
its dry run and per-row errors, export, the round trip, the API and the CLI."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook, load_workbook

from psa import cli
from psa.core import clock, numbers
from psa.core.errors import PermissionDenied
from psa.core.models import AuditEntry
from psa.core.roles import Actor, Role
from psa.core.schemas import ERR_LINE_CHARACTER, codepoint
from psa.engagements.models import Status
from psa.integrations import spreadsheet
from psa.integrations.spreadsheet import RowError
from psa.people.models import Person
from psa.scheduling import imports, services, sheets
from psa.scheduling.models import Booking, BookingDay
from tests.engagements.factories import CustomerFactory, EngagementFactory
from tests.helpers import assert_invalid, assert_problem, pydantic_error, unchanged

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
MON = dt.date(2026, 12, 7)  # no US holiday that week
HEADER = ["Resource", "Engagement", "Task", "Start", "End", "Hours", "Firmness"]
API = "/api/v1/scheduling"


def cell_time(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """What openpyxl gives for a date cell: a naive datetime (spreadsheets have no time zones)."""
    return dt.datetime(year, month, day, hour, minute)  # noqa: DTZ001


def day(offset: int) -> dt.date:
    return MON + dt.timedelta(days=offset)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def team(make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]) -> Any:
    class Team:
        pc_person = make_person(Role.PROJECT_COORDINATOR, name="Priya")
        pc = actor_of(pc_person)
        alex = make_person(Role.PSE, name="Alex Doe", email="alex@example.com")
        sam = make_person(Role.PSE, name="Sam Roe", email="Sam.Roe@example.com")
        acme = CustomerFactory.create(name="Acme")
        rollout = EngagementFactory.create(
            customer=acme, name="Rollout", status=Status.ACTIVE, sow_reference="SOW-17"
        )
        pipeline = EngagementFactory.create(
            customer=acme, name="Expansion", status=Status.PIPELINE, probability=60
        )
        cancelled = EngagementFactory.create(
            customer=acme, name="Old deal", status=Status.CANCELLED
        )

    return Team()


def row(
    resource: str = "alex@example.com",
    engagement: str = "Acme — Rollout",
    task: str = "",
    start: Any = "2026-12-07",
    end: Any = "2026-12-09",
    hours: Any = "12",
    firmness: str = "confirmed",
) -> list[Any]:
    return [resource, engagement, task, start, end, hours, firmness]


def csv_file(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_file(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(header))
    for values in rows:
        sheet.append(list(values))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(actor: Actor, data: bytes, **kw: Any) -> imports.ImportReport:
    kw.setdefault("dry_run", False)
    return imports.schedule_import(actor=actor, rows=sheets.read_sheet(data), **kw)


def nothing_written() -> None:
    assert Booking.objects.count() == 0
    assert BookingDay.objects.count() == 0
    assert not AuditEntry.objects.filter(action=imports.AUDIT_ACTION).exists()


def booking_set() -> set[tuple[Any, ...]]:
    return {
        (
            b.person.email,
            b.engagement_id,
            b.task_name,
            b.firmness,
            b.probability,
            b.start_date,
            b.end_date,
            b.hours,
            tuple((d.date, d.hours, d.kind) for d in b.days.order_by("date")),
        )
        for b in Booking.objects.filter(state=Booking.State.ACTIVE)
    }


# ------------------------------------------------------------------ reading cells


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (8, D("8.00")),
        (7.5, D("7.50")),
        (0.1 + 0.2, D("0.30")),
        ("7.5", D("7.50")),
        (" 16 ", D("16.00")),
        (D("2.345"), D("2.35")),
        ("7,5", D("7.50")),
        ("7:30", D("7.50")),
    ],
)
def test_hours_cells_become_decimal_hours(value: Any, expected: Decimal) -> None:
    assert sheets.parse_hours(value) == (expected, "")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("8 hrs", numbers.ERR_HOURS_TEXT.format(value="8 hrs")),
        ("eight", numbers.ERR_HOURS_TEXT.format(value="eight")),
        ("NaN", numbers.ERR_HOURS_TEXT.format(value="NaN")),
        ("Infinity", numbers.ERR_HOURS_TEXT.format(value="Infinity")),
        ("1,500", numbers.ERR_HOURS_AMBIGUOUS.format(value="1,500", decimal="1.5", whole="1500")),
        (float("nan"), sheets.ERR_HOURS_NOT_FINITE.format(value="nan")),
        ("-8", sheets.ERR_HOURS_POSITIVE_SHEET),
        (0, sheets.ERR_HOURS_POSITIVE_SHEET),
        ("0.001", numbers.ERR_HOURS_PLACES.format(value="0.001")),
        (True, numbers.ERR_HOURS_TEXT.format(value="True")),
        ("1e9", numbers.ERR_HOURS_TEXT.format(value="1e9")),
        (10**9, sheets.ERR_HOURS_TOO_MANY.format(value=10**9, limit=sheets.MAX_HOURS)),
    ],
)
def test_hours_that_are_not_a_positive_number_are_refused(value: Any, reason: str) -> None:
    assert sheets.parse_hours(value) == (None, reason)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2026, 12, 7), dt.date(2026, 12, 7)),
        (cell_time(2026, 12, 7), dt.date(2026, 12, 7)),  # an XLSX date cell
        ("2026-12-07", dt.date(2026, 12, 7)),
        ("2026-12-07 00:00:00", dt.date(2026, 12, 7)),
    ],
)
def test_date_cells_and_iso_text_are_dates(value: Any, expected: dt.date) -> None:
    assert spreadsheet.parse_date(value) == (expected, "")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("07/12/2026", spreadsheet.ERR_DATE.format(value="07/12/2026")),
        ("2026-02-30", spreadsheet.ERR_DATE.format(value="2026-02-30")),
        ("next monday", spreadsheet.ERR_DATE.format(value="next monday")),
        (46363, spreadsheet.ERR_DATE_NUMBER.format(value="46363")),
        (
            cell_time(2026, 12, 7, 9, 30),
            spreadsheet.ERR_DATE_TIME.format(value="2026-12-07 09:30:00"),
        ),
    ],
)
def test_other_dates_are_refused(value: Any, reason: str) -> None:
    assert spreadsheet.parse_date(value) == (None, reason)


def test_headers_match_in_any_order_and_case_and_other_columns_are_ignored() -> None:
    data = csv_file(
        [
            [
                "x",
                "12",
                "2026-12-09",
                "Acme — Rollout",
                "alex@example.com",
                "CONFIRMED",
                "",
                "2026-12-07",
            ]
        ],
        header=["Notes", "hours", "END DATE", "Engagement", "Person", "firmness", "Task", "start"],
    )
    sheet = sheets.read_sheet(data)
    assert sheet.errors == []
    assert sheet.rows == [
        sheets.ScheduleRow(
            2, "alex@example.com", "Acme — Rollout", "", day(0), day(2), D("12.00"), "confirmed"
        )
    ]


def test_semicolon_csv_and_windows_1252_text_are_read() -> None:
    text = ";".join(HEADER) + "\r\n" + "Zoë;;Admin;2026-12-07;2026-12-07;2;internal\r\n"
    sheet = sheets.read_sheet(text.encode("cp1252"))
    assert sheet.errors == []
    assert sheet.rows[0].resource == "Zoë"
    assert sheet.rows[0].task == "Admin"


@pytest.mark.parametrize("missing", ["hours", "resource", "firmness"])
def test_a_missing_column_header_is_reported_on_row_1(team: Any, missing: str) -> None:
    header = [h for h in HEADER if h.lower() != missing]
    values = [v for h, v in zip(HEADER, row(), strict=True) if h.lower() != missing]
    report = run(team.pc, csv_file([values], header=header))
    assert report.errors == [
        RowError(1, missing, spreadsheet.ERR_MISSING_COLUMN.format(column=missing))
    ]
    assert report.errors[0].field == f"row 1: {missing}"
    nothing_written()


def test_an_empty_file_or_one_without_rows_is_refused(team: Any) -> None:
    assert run(team.pc, b"").errors == [RowError(0, "file", spreadsheet.ERR_EMPTY)]
    assert run(team.pc, csv_file([])).errors == [RowError(0, "file", spreadsheet.ERR_NO_ROWS)]
    nothing_written()


def test_no_rows_at_all_is_refused(team: Any) -> None:
    report = imports.schedule_import(actor=team.pc, rows=[], dry_run=False)
    assert report.errors == [RowError(0, "file", spreadsheet.ERR_NO_ROWS)]
    nothing_written()


def test_a_broken_workbook_is_refused(team: Any) -> None:
    report = run(team.pc, b"PK\x03\x04 not really a zip")
    # The reason is the zipfile module's own.
    reason = spreadsheet.ERR_NOT_XLSX.format(reason="File is not a zip file")
    assert report.errors == [RowError(0, "file", reason)]
    nothing_written()


# ------------------------------------------------------------------ importing


def test_an_import_writes_every_row_as_a_booking_with_one_audit_entry(team: Any) -> None:
    data = csv_file(
        [
            row(),
            row(
                resource="Sam Roe",
                engagement="SOW-17",
                hours="8",
                start="2026-12-07",
                end="2026-12-13",
                firmness="confirmed",
            ),
            row(
                engagement="Acme - Expansion",
                firmness="tentative",
                start="2026-12-10",
                end="2026-12-11",
                hours="4",
            ),
            row(
                engagement="",
                task="Knowledge Sharing",
                firmness="internal",
                start="2026-12-10",
                end="2026-12-10",
                hours="1.5",
            ),
        ]
    )
    report = run(team.pc, data, source="schedule.csv")
    assert report.errors == []
    assert (report.written, report.rows, report.bookings, report.people) == (True, 4, 4, 2)
    assert report.hours == D("25.50")
    confirmed, sams, tentative, internal = Booking.objects.order_by("id")
    assert [(d.date, d.hours, d.kind) for d in confirmed.days.all()] == [
        (day(0), D("4.00"), "confirmed"),
        (day(1), D("4.00"), "confirmed"),
        (day(2), D("4.00"), "confirmed"),
    ]
    # The weekend is not worked: 8 h over Mon–Fri, the booking's dates are its working days.
    assert (sams.person, sams.engagement, sams.start_date, sams.end_date) == (
        team.sam,
        team.rollout,
        day(0),
        day(4),
    )
    assert [d.hours for d in sams.days.all()] == [D("1.60")] * 5
    assert (tentative.firmness, tentative.probability, tentative.engagement) == (
        "tentative",
        60,
        team.pipeline,
    )
    assert {d.kind for d in tentative.days.all()} == {"tentative"}
    assert (internal.engagement, internal.task_name, internal.firmness) == (
        None,
        "Knowledge Sharing",
        "confirmed",
    )
    assert [(d.date, d.hours, d.kind) for d in internal.days.all()] == [
        (day(3), D("1.50"), "internal")
    ]
    entry = AuditEntry.objects.get(action=imports.AUDIT_ACTION)
    assert entry.after is not None
    assert AuditEntry.objects.count() == 1
    assert entry.actor_name == team.pc_person.user.username
    assert report.audit_id == entry.pk
    assert entry.after["source"] == "schedule.csv"
    assert entry.after["bookings"] == 4
    assert entry.after["hours"] == "25.50"
    assert entry.after["booking_ids"] == [confirmed.pk, internal.pk]


BAD_ROWS = [
    pytest.param(
        row(hours="8 hrs"), "hours", numbers.ERR_HOURS_TEXT.format(value="8 hrs"), id="text-hours"
    ),
    pytest.param(
        row(hours="eight"), "hours", numbers.ERR_HOURS_TEXT.format(value="eight"), id="word-hours"
    ),
    pytest.param(row(hours="NaN"), "hours", numbers.ERR_HOURS_TEXT.format(value="NaN"), id="nan"),
    pytest.param(row(hours="-4"), "hours", sheets.ERR_HOURS_POSITIVE_SHEET, id="negative"),
    pytest.param(
        row(hours=""), "hours", spreadsheet.ERR_REQUIRED.format(column="hours"), id="no-hours"
    ),
    pytest.param(
        row(resource="nobody@example.com"),
        "resource",
        imports.ERR_UNKNOWN_RESOURCE.format(value="nobody@example.com"),
        id="unknown-resource",
    ),
    pytest.param(
        row(engagement="Acme — Nothing"),
        "engagement",
        imports.ERR_UNKNOWN_ENGAGEMENT.format(value="Acme — Nothing"),
        id="unknown-engagement",
    ),
    pytest.param(
        row(engagement="#999999"),
        "engagement",
        imports.ERR_UNKNOWN_ENGAGEMENT.format(value="#999999"),
        id="unknown-engagement-id",
    ),
    pytest.param(
        row(start="2026-12-09", end="2026-12-07"),
        "end",
        sheets.ERR_END_BEFORE_START,
        id="end-before-start",
    ),
    pytest.param(
        row(start="12/07/2026"),
        "start",
        spreadsheet.ERR_DATE.format(value="12/07/2026"),
        id="bad-date",
    ),
    pytest.param(
        row(firmness="maybe"), "firmness", sheets.ERR_FIRMNESS.format(value="maybe"), id="firmness"
    ),
    pytest.param(
        row(hours="40"),
        "hours",
        imports.ERR_OVER_CAPACITY.format(
            date=day(0),
            name="Alex Doe",
            total="13.34",
            existing="0.00",
            in_file="13.34",
            capacity="8.00",
        ),
        id="over-capacity",
    ),
    pytest.param(
        row(engagement="Acme — Old deal"),
        "engagement",
        imports.ERR_ENGAGEMENT_FINISHED.format(status="cancelled"),
        id="cancelled-engagement",
    ),
    pytest.param(
        row(engagement="Acme — Expansion", firmness="confirmed"),
        "firmness",
        imports.ERR_CONFIRMED_PIPELINE,
        id="confirmed-pipeline",
    ),
    pytest.param(
        row(firmness="internal", task="Admin"),
        "engagement",
        sheets.ERR_INTERNAL_NO_ENGAGEMENT,
        id="internal-with-engagement",
    ),
    pytest.param(
        row(firmness="internal", engagement=""),
        "task",
        sheets.ERR_INTERNAL_NEEDS_TASK,
        id="internal-without-task",
    ),
    pytest.param(
        row(start="2019-12-02", end="2019-12-03"),
        "start",
        services.ERR_BEFORE_START.format(name="Alex Doe", date="2020-01-01"),
        id="before-employment",
    ),
    pytest.param(
        row(start="2029-01-01", end="2029-01-02"),
        "end",
        services.ERR_TOO_FAR.format(limit=dt.date(2026, 11, 25) + dt.timedelta(days=731)),
        id="too-far-ahead",
    ),
    pytest.param(
        row(start="2026-12-12", end="2026-12-13"),
        "start",
        services.ERR_NO_WORKING_DAYS.format(name="Alex Doe"),
        id="weekend-only",
    ),
    pytest.param(
        row(start="2026-12-07", end="2026-12-07", hours="30"),
        "hours",
        imports.ERR_HOURS_PER_DAY.format(hours="30.00", days=1, per_day="30.00", date=day(0)),
        id="over-24-a-day",
    ),
]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(("values", "column", "reason"), BAD_ROWS)
def test_a_bad_row_names_row_column_and_reason_and_writes_nothing(
    team: Any, fmt: str, values: list[Any], column: str, reason: str
) -> None:
    data = csv_file([values]) if fmt == "csv" else xlsx_file([values])
    report = run(team.pc, data)
    assert report.errors == [RowError(2, column, reason)]
    assert not report.written
    nothing_written()


def test_a_mixed_file_with_one_bad_row_writes_nothing(team: Any) -> None:
    good = [
        row(start=f"2026-12-{7 + i:02d}", end=f"2026-12-{7 + i:02d}", hours="2") for i in range(5)
    ]
    bad = row(hours="8 hrs")
    report = run(team.pc, csv_file([*good[:3], bad, *good[3:]]))
    assert report.errors == [RowError(5, "hours", numbers.ERR_HOURS_TEXT.format(value="8 hrs"))]
    assert (report.rows, report.bookings) == (6, 5)
    nothing_written()


def test_every_bad_row_and_every_bad_column_is_reported(team: Any) -> None:
    data = csv_file(
        [
            row(),
            row(resource="ghost", hours="8 hrs", firmness="soon"),
            row(),
            row(engagement="Acme — Old deal", start="2026-13-01"),
        ]
    )
    report = run(team.pc, data)
    assert report.errors == [
        RowError(3, "resource", imports.ERR_UNKNOWN_RESOURCE.format(value="ghost")),
        RowError(3, "hours", numbers.ERR_HOURS_TEXT.format(value="8 hrs")),
        RowError(3, "firmness", sheets.ERR_FIRMNESS.format(value="soon")),
        RowError(5, "engagement", imports.ERR_ENGAGEMENT_FINISHED.format(status="cancelled")),
        RowError(5, "start", spreadsheet.ERR_DATE.format(value="2026-13-01")),
    ]
    assert report.bad_rows == 2
    problem = report.problem()
    assert (problem.status, problem.message) == (422, imports.ERR_SUMMARY.format(count=2))
    assert [(e.field, e.message) for e in problem.errors] == [
        (e.field, e.reason) for e in report.errors
    ]
    assert [e.field for e in problem.errors][:2] == ["row 3: resource", "row 3: hours"]
    nothing_written()


def test_the_dry_run_writes_nothing_and_reports_what_the_import_would_do(team: Any) -> None:
    data = csv_file([row(), row(resource="Sam Roe", hours="5")])
    dry = run(team.pc, data, dry_run=True)
    nothing_written()
    assert (dry.dry_run, dry.written, dry.errors, dry.bookings, dry.hours) == (
        True,
        False,
        [],
        2,
        D("17.00"),
    )
    real = run(team.pc, data)
    assert (real.rows, real.bookings, real.hours, real.people) == (
        dry.rows,
        dry.bookings,
        dry.hours,
        dry.people,
    )
    assert Booking.objects.count() == 2


def test_the_dry_run_lists_bad_rows_the_same_way(team: Any) -> None:
    data = csv_file([row(hours="8 hrs")])
    assert run(team.pc, data, dry_run=True).errors == run(team.pc, data).errors
    nothing_written()


def test_rows_in_the_file_add_up_against_each_persons_capacity(team: Any) -> None:
    # 5 h + 4 h on Monday: 9 h > 8 h. Both rows are named, each with the same day.
    data = csv_file(
        [
            row(start="2026-12-07", end="2026-12-07", hours="5"),
            row(
                engagement="",
                task="Admin",
                firmness="internal",
                start="2026-12-07",
                end="2026-12-07",
                hours="4",
            ),
        ]
    )
    report = run(team.pc, data)
    reason = imports.ERR_OVER_CAPACITY.format(
        date=day(0),
        name="Alex Doe",
        total="9.00",
        existing="0.00",
        in_file="9.00",
        capacity="8.00",
    )
    assert report.errors == [RowError(2, "hours", reason), RowError(3, "hours", reason)]
    nothing_written()


def test_existing_bookings_count_and_the_override_books_over_capacity(team: Any) -> None:
    existing = services.internal_time_create(
        actor=team.pc,
        person=team.alex,
        task_name="Training",
        start_date=day(0),
        end_date=day(0),
        hours=D("6"),
    )
    audit_before = AuditEntry.objects.count()
    data = csv_file([row(start="2026-12-07", end="2026-12-07", hours="4")])
    refused = run(team.pc, data)
    assert refused.errors == [
        RowError(
            2,
            "hours",
            imports.ERR_OVER_CAPACITY.format(
                date=day(0),
                name="Alex Doe",
                total="10.00",
                existing="6.00",
                in_file="4.00",
                capacity="8.00",
            ),
        )
    ]
    assert list(Booking.objects.all()) == [existing]
    assert AuditEntry.objects.count() == audit_before

    report = run(team.pc, data, override_capacity=True)
    assert report.written
    assert report.errors == []
    assert [(e.row, e.column) for e in report.over_capacity] == [(2, "hours")]
    booked = Booking.objects.exclude(pk=existing.pk).get()
    assert booked.over_capacity_reason == imports.OVERRIDE_REASON
    entry = AuditEntry.objects.get(action=imports.AUDIT_ACTION)
    assert entry.after is not None
    assert entry.reason == imports.OVERRIDE_REASON
    assert (entry.after["over_capacity"], entry.after["over_capacity_rows"]) == (1, [2])


def test_time_off_and_holidays_reduce_capacity(team: Any) -> None:
    # Christmas Day 2026 is a Friday: 16 h over Thu 24 – Fri 25 lands on Thursday alone.
    report = run(team.pc, csv_file([row(start="2026-12-24", end="2026-12-25", hours="16")]))
    reason = imports.ERR_OVER_CAPACITY.format(
        date=dt.date(2026, 12, 24),
        name="Alex Doe",
        total="16.00",
        existing="0.00",
        in_file="16.00",
        capacity="8.00",
    )
    assert report.errors == [RowError(2, "hours", reason)]
    nothing_written()


@pytest.mark.parametrize(
    "reference",
    ["Acme — Rollout", "acme - rollout", "ACME  –  Rollout", "SOW-17", "sow-17", "{id}", "#{id}"],
)
def test_engagements_are_found_by_id_label_or_sow_reference(team: Any, reference: str) -> None:
    report = run(team.pc, csv_file([row(engagement=reference.format(id=team.rollout.pk))]))
    assert report.errors == []
    assert Booking.objects.get().engagement == team.rollout


def test_ambiguous_engagements_and_names_are_refused(
    team: Any, make_person: Callable[..., Person]
) -> None:
    twin = EngagementFactory.create(customer=team.acme, name="Rollout", status=Status.ACTIVE)
    make_person(Role.PSE, name="Alex Doe", email="other.alex@example.com")
    report = run(team.pc, csv_file([row(resource="Alex Doe")]))
    ids = f"{team.rollout.pk}, {twin.pk}"
    assert report.errors == [
        RowError(2, "resource", imports.ERR_AMBIGUOUS_RESOURCE.format(count=2, value="Alex Doe")),
        RowError(
            2,
            "engagement",
            imports.ERR_AMBIGUOUS_ENGAGEMENT.format(
                value="Acme — Rollout", count=2, ids=ids, id=team.rollout.pk
            ),
        ),
    ]
    nothing_written()


def test_people_are_found_by_email_in_any_case_or_by_exact_name(team: Any) -> None:
    data = csv_file(
        [
            row(resource="SAM.ROE@EXAMPLE.COM", hours="2"),
            row(resource="Alex Doe", hours="2"),
            row(resource="alex doe", hours="2"),
        ]
    )
    report = run(team.pc, data)
    assert report.errors == [
        RowError(4, "resource", imports.ERR_UNKNOWN_RESOURCE.format(value="alex doe"))
    ]


def test_only_a_coordinator_or_the_head_of_ps_imports(
    team: Any, make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    for role in (Role.PSE, Role.DELIVERY_MANAGER):
        actor = actor_of(make_person(role))
        with unchanged(), pytest.raises(PermissionDenied) as refused:
            run(actor, csv_file([row()]))
        assert refused.value.message == imports.ERR_MAY_NOT_IMPORT
    head = actor_of(make_person(Role.HEAD_OF_PS))
    assert run(head, csv_file([row()])).written


def test_xlsx_number_and_date_cells_are_read(team: Any) -> None:
    data = xlsx_file(
        [
            row(start=cell_time(2026, 12, 7), end=dt.date(2026, 12, 9), hours=7.5),
            row(engagement=team.rollout.pk, start="2026-12-10", end="2026-12-10", hours=2),
        ]
    )
    report = run(team.pc, data)
    assert report.errors == []
    assert [b.hours for b in Booking.objects.order_by("id")] == [D("7.50"), D("2.00")]


# ------------------------------------------------------------------ export and round trip


def make_schedule(team: Any) -> None:
    data = csv_file(
        [
            row(hours="10"),  # 3.34 + 3.33 + 3.33
            row(
                resource="Sam Roe",
                engagement="Acme - Expansion",
                firmness="tentative",
                start="2026-12-07",
                end="2026-12-20",
                hours="37.5",
            ),
            row(
                engagement="",
                task='=Mentoring, "pairing"',
                firmness="internal",
                start="2026-12-10",
                end="2026-12-11",
                hours="3",
            ),
            row(
                resource="Sam Roe",
                engagement="",
                task="Zoë's enablement",
                firmness="internal",
                start="2026-12-21",
                end="2026-12-24",
                hours="4",
            ),
        ]
    )
    assert run(team.pc, data).errors == []


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_into_an_emptied_schedule_reproduces_the_bookings(
    team: Any, fmt: str
) -> None:
    make_schedule(team)
    services.internal_time_create(
        actor=team.pc,
        person=team.alex,
        task_name="Conference",
        start_date=day(14),
        end_date=day(18),
        hours=D("20"),
    )
    before = booking_set()
    assert len(before) == 5
    exported = sheets.write_sheet(imports.schedule_export(), fmt)
    BookingDay.objects.all().delete()
    Booking.objects.all().delete()
    report = run(team.pc, exported)
    assert report.errors == []
    assert booking_set() == before


def test_export_writes_real_dates_and_numbers(team: Any) -> None:
    make_schedule(team)
    workbook = load_workbook(io.BytesIO(sheets.write_xlsx(imports.schedule_export())))
    sheet = workbook.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADER
    assert values[1] == (
        "alex@example.com",
        "Acme — Rollout",
        None,
        cell_time(2026, 12, 7),
        cell_time(2026, 12, 9),
        10,
        "confirmed",
    )
    assert sheet["D2"].number_format == "yyyy-mm-dd"
    assert sheet["F2"].data_type == "n"
    task_cell = sheet["C4"]
    assert (task_cell.value, task_cell.data_type) == ('=Mentoring, "pairing"', "s")


def test_export_filters_by_dates_and_people(team: Any) -> None:
    make_schedule(team)
    assert [r.resource for r in imports.schedule_export(start=day(14))] == ["Sam.Roe@example.com"]
    assert len(imports.schedule_export(end=day(0))) == 2
    assert {r.resource for r in imports.schedule_export(person_ids=[team.alex.pk])} == {
        "alex@example.com"
    }


def test_csv_export_defuses_formulas_and_import_restores_them(team: Any) -> None:
    make_schedule(team)
    text = sheets.write_csv(imports.schedule_export()).decode("utf-8-sig")
    assert "'=Mentoring" in text
    tasks = {r.task for r in sheets.read_csv(text.encode()).rows}
    assert '=Mentoring, "pairing"' in tasks


def test_an_engagement_sharing_its_label_is_exported_by_id(team: Any) -> None:
    twin = EngagementFactory.create(customer=team.acme, name="Rollout", status=Status.ACTIVE)
    run(team.pc, csv_file([row(engagement=f"#{twin.pk}")]))
    assert [r.engagement for r in imports.schedule_export()] == [f"#{twin.pk}"]


# ------------------------------------------------------------------ API


def upload(client: Client, data: bytes, name: str = "schedule.csv", **form: Any) -> Any:
    return client.post(f"{API}/imports", {"file": SimpleUploadedFile(name, data), **form})


def test_api_import_returns_the_report(team: Any, api_as: Callable[[Person], Client]) -> None:
    client = api_as(team.pc_person)
    dry = upload(client, csv_file([row()]), dry_run="true")
    assert dry.status_code == 200, dry.content
    assert dry.json() == {
        "dry_run": True,
        "written": False,
        "rows": 1,
        "bookings": 1,
        "hours": "12.00",
        "people": 1,
        "over_capacity": [],
        "audit_id": None,
    }
    nothing_written()
    done = upload(client, xlsx_file([row()]), name="schedule.xlsx")
    assert done.status_code == 200, done.content
    assert done.json()["written"] is True
    assert Booking.objects.count() == 1
    entry = AuditEntry.objects.get(action=imports.AUDIT_ACTION)
    assert entry.after is not None
    assert entry.after["source"] == "schedule.xlsx"


@pytest.mark.parametrize("dry_run", ["false", "true"])
def test_api_bad_rows_are_problem_json_naming_row_and_column(
    team: Any, api_as: Callable[[Person], Client], dry_run: str
) -> None:
    data = csv_file([row(), row(hours="8 hrs"), row(resource="ghost")])
    client = api_as(team.pc_person)
    with unchanged():
        response = upload(client, data, dry_run=dry_run)
    summary = imports.ERR_SUMMARY_DRY if dry_run == "true" else imports.ERR_SUMMARY
    assert_problem(
        response,
        422,
        summary.format(count=2),
        ("row 3: hours", numbers.ERR_HOURS_TEXT.format(value="8 hrs")),
        ("row 4: resource", imports.ERR_UNKNOWN_RESOURCE.format(value="ghost")),
    )


def test_api_missing_header_and_forbidden_roles(
    team: Any, api_as: Callable[[Person], Client]
) -> None:
    coordinator, pse = api_as(team.pc_person), api_as(team.alex)
    with unchanged():
        response = upload(coordinator, csv_file([row()[1:]], header=HEADER[1:]))
        forbidden = upload(pse, csv_file([row()]))
    assert_problem(
        response,
        422,
        imports.ERR_SUMMARY.format(count=1),
        ("row 1: resource", spreadsheet.ERR_MISSING_COLUMN.format(column="resource")),
    )
    assert_problem(forbidden, 403, imports.ERR_MAY_NOT_IMPORT)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_api_export_downloads_the_import_format(
    team: Any, api_as: Callable[[Person], Client], fmt: str
) -> None:
    make_schedule(team)
    response = api_as(team.alex).get(f"{API}/exports", {"format": fmt, "start": "2026-12-14"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="schedule-2026-11-25.{fmt}"'
    sheet = sheets.read_sheet(response.content)
    assert sheet.errors == []
    assert [r.resource for r in sheet.rows] == ["Sam.Roe@example.com", "Sam.Roe@example.com"]
    bad = api_as(team.alex).get(f"{API}/exports", {"format": "pdf"})
    assert_invalid(bad, ("format", pydantic_error("literal_error", expected="'xlsx' or 'csv'")))


# ------------------------------------------------------------------ CLI


def test_cli_import_and_export(
    team: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PSA_DATA_DIR", str(tmp_path))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([row(hours="8 hrs")]))
    with unchanged():
        assert cli.main(["schedule", "import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-2:] == [
        f"row 2: hours: {numbers.ERR_HOURS_TEXT.format(value='8 hrs')}",
        imports.ERR_SUMMARY.format(count=1),
    ]

    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx_file([row()]))
    assert cli.main(["schedule", "import", str(good), "--dry-run"]) == 0
    assert "would import 1 bookings" in capsys.readouterr().err
    nothing_written()
    user = team.pc_person.user.username
    assert cli.main(["schedule", "import", str(good), "--user", user]) == 0
    err = capsys.readouterr().err
    assert "imported 1 bookings (12.00 h, 1 people) from 1 rows" in err
    assert "[##############################] 1/1 rows" in err
    assert AuditEntry.objects.get(action=imports.AUDIT_ACTION).actor_name == user

    out = tmp_path / "out.csv"
    assert cli.main(["schedule", "export", str(out), "--start", "2026-12-01"]) == 0
    assert [r.resource for r in sheets.read_sheet(out.read_bytes()).rows] == ["alex@example.com"]
    assert cli.main(["schedule", "export", str(tmp_path / "out.pdf")]) == 2


# ------------------------------------------------------------------ 50,000 rows (not in CI)


@pytest.mark.skipif(
    not os.environ.get("PSA_SHEETS_BENCH"), reason="set PSA_SHEETS_BENCH=1 to time 50,000 rows"
)
def test_import_50000_rows_timing(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    """500 people × 100 rows of 3 working days each (no overlaps), written as XLSX."""
    pc = actor_of(make_person(Role.PROJECT_COORDINATOR))
    people = [make_person(Role.PSE, email=f"bench{i}@example.com") for i in range(500)]
    engagement = EngagementFactory.create(status=Status.ACTIVE)
    label = str(engagement)
    rows = []
    first = dt.date(2025, 12, 1)  # a Monday
    for person in people:
        for n in range(100):
            start = first + dt.timedelta(weeks=n // 2, days=3 * (n % 2))  # Mon–Wed, Thu–Sat
            rows.append(
                sheets.ScheduleRow(
                    0,
                    person.email,
                    label,
                    "",
                    start,
                    start + dt.timedelta(days=2),
                    D("6"),
                    "confirmed",
                )
            )
    data = sheets.write_xlsx(rows)
    marks: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        marks[stage] = time.perf_counter() - started  # when the stage last reported

    started = time.perf_counter()
    sheet = sheets.read_sheet(data, progress=progress)
    report = imports.schedule_import(actor=pc, rows=sheet, dry_run=False, progress=progress)
    total = time.perf_counter() - started
    assert report.errors == []
    assert Booking.objects.count() == 50_000
    started = time.perf_counter()
    exported = sheets.write_xlsx(imports.schedule_export())
    export = time.perf_counter() - started
    assert len(sheets.read_sheet(exported).rows) == 50_000
    stages = ", ".join(f"{stage} done at {at:.1f} s" for stage, at in marks.items())
    print(f"\n50,000-row XLSX import: {total:.1f} s ({stages}); export {export:.1f} s")


# ------------------------------------------------------------------ control characters


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_task_name_stored_with_control_characters_exports_cleaned(
    team: Any, api_as: Callable[[Person], Client], fmt: str
) -> None:
    make_schedule(team)
    Booking.objects.filter(task_name='=Mentoring, "pairing"').update(task_name="Lab\x01 prep\x1b")
    response = api_as(team.alex).get(f"{API}/exports", {"format": fmt})
    assert response.status_code == 200, response.content
    tasks = {r.task for r in sheets.read_sheet(response.content).rows}
    assert "Lab prep" in tasks


def test_the_weekly_review_workbook_cleans_names_and_keeps_formulas_as_text(
    team: Any, api_as: Callable[[Person], Client]
) -> None:
    Person.objects.filter(pk=team.alex.pk).update(name="=Alex\x01 Doe")
    response = api_as(team.alex).get(f"{API}/review.xlsx", {"start": "2026-12-07", "weeks": "1"})
    assert response.status_code == 200, response.content
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    names = {(c.value, c.data_type) for c in sheet["A"][1:]}
    assert ("=Alex Doe", "s") in names


@pytest.mark.parametrize(
    ("column", "cells"),
    [
        ("resource", {"resource": "alex\x00@example.com"}),
        ("engagement", {"engagement": "Acme\x01 — Rollout"}),
        ("task", {"engagement": "", "task": "Lab\x7f", "firmness": "internal"}),
    ],
)
def test_an_import_refuses_control_characters_and_writes_nothing(
    team: Any, column: str, cells: dict[str, str]
) -> None:
    with unchanged():
        result = run(team.pc, csv_file([row(**cells)]))
    text = cells.get(column, "")
    position, char = next((i, c) for i, c in enumerate(text) if ord(c) < 32 or ord(c) == 127)
    assert result.errors == [
        RowError(2, column, ERR_LINE_CHARACTER.format(char=codepoint(char), position=position))
    ]
