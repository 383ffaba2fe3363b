"""The bulk import of time entries: a file (CSV or XLSX) or an API batch, all or nothing, through
the rules of a single entry; every bad row listed by row and column; the rollup kept."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.text import capfirst
from openpyxl import Workbook

from psa import cli
from psa.core import clock, jobs, numbers, periods
from psa.core.errors import PermissionDenied
from psa.core.models import AuditEntry, Job
from psa.core.roles import Actor, Role
from psa.integrations import spreadsheet
from psa.integrations.spreadsheet import FILE, RowError
from psa.people import selectors as people_selectors
from psa.people.models import Person
from psa.timetracking import entry_files, imports, rollup, rules, services
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import CertificationStep, QuarterlyCertification, TimeEntry, WorkItem
from tests.engagements.factories import EngagementFactory
from tests.helpers import assert_invalid, assert_problem, unchanged
from tests.timetracking.factories import QuarterlyCertificationFactory, WorkItemFactory, category

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)  # a Wednesday
MONDAY = dt.date(2026, 11, 16)
HEADER = ["Person", "Date", "Work item", "Category", "Hours", "Note"]


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def pse(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.PSE, name="Jordan Miller", email="jordan@example.com")


@pytest.fixture
def head(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.HEAD_OF_PS, name="Sam Head", email="sam@example.com")


@pytest.fixture
def item() -> WorkItem:
    return WorkItemFactory.create(
        title="Acme rollout",
        engagement=EngagementFactory.create(),
        epic=category("Project Work", "All project hours"),
    )


def csv_file(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode()


def run(actor: Actor, data: bytes | str, *, dry_run: bool = False) -> imports.ImportReport:
    return imports.time_import(
        actor=actor, rows=entry_files.read_entries(data), dry_run=dry_run, source="test.csv"
    )


def standing(major: str, name: str) -> WorkItem:
    return WorkItem.objects.get(epic=category(major, name), standing=True)


# ------------------------------------------------------------------ what goes in


def test_a_file_of_good_rows_is_written_with_its_rollup_and_one_audit_entry(
    head: Person, pse: Person, item: WorkItem, actor_of: Callable[[Person], Actor]
) -> None:
    data = csv_file(
        [
            ["jordan@example.com", "2026-11-16", f"#{item.pk}", "", "7.5", "kick-off"],
            ["Jordan Miller", "2026-11-16", "", "Sales Assistance", '"0,5"', ""],
            ["jordan@example.com", "2026-11-17", "acme ROLLOUT", "", "7:30", ""],
            ["jordan@example.com", "2026-12-24", "", "PS Team PTO/Sick Days", "8", "planned"],
        ]
    )
    report = run(actor_of(head), data)
    assert report.errors == []
    assert (report.written, report.rows, report.entries, report.people) == (True, 4, 4, 1)
    assert report.hours == D("23.50")
    assert (report.first_date, report.last_date) == (MONDAY, dt.date(2026, 12, 24))
    entries = list(
        TimeEntry.objects.order_by("pk").values_list(
            "person_id", "work_item_id", "date", "hours", "note", "source"
        )
    )
    sales = standing("Internal Assisted", "Sales Assistance").pk
    pto = standing("PTO/Holidays", "PS Team PTO/Sick Days").pk
    assert entries == [
        (pse.pk, item.pk, MONDAY, D("7.50"), "kick-off", "import"),
        (pse.pk, sales, MONDAY, D("0.50"), "", "import"),
        (pse.pk, item.pk, dt.date(2026, 11, 17), D("7.50"), "", "import"),
        (pse.pk, pto, dt.date(2026, 12, 24), D("8.00"), "planned", "import"),
    ]
    ids = [e.pk for e in TimeEntry.objects.order_by("pk")]
    assert report.entry_ids == [[ids[0], ids[-1]]]
    assert rollup.verify() == []
    audit = AuditEntry.objects.get(action=imports.AUDIT_ACTION)
    assert audit.pk == report.audit_id
    assert audit.target_id == f"{ids[0]}-{ids[-1]}"
    assert audit.after is not None
    assert (audit.after["entries"], audit.after["hours"], audit.after["source"]) == (
        4,
        "23.50",
        "test.csv",
    )


def test_new_ids_follow_every_id_ever_given_so_no_approved_id_is_reused(
    pse: Person, item: WorkItem, actor_of: Callable[[Person], Actor]
) -> None:
    me = actor_of(pse)
    gone = services.time_entry_create(actor=me, person=pse, work_item=item, date=MONDAY, hours="1")
    services.time_entry_delete(actor=me, entry=gone)
    report = run(me, csv_file([["", "2026-11-16", f"#{item.pk}", "", "2", ""]]))
    assert report.entry_ids == [[gone.pk + 1, gone.pk + 1]]


def test_without_a_person_column_the_rows_are_the_importers_own_time(
    pse: Person, item: WorkItem, actor_of: Callable[[Person], Actor]
) -> None:
    data = csv_file([["2026-11-16", f"#{item.pk}", "8"]], header=["Date", "Issue", "Hours"])
    report = run(actor_of(pse), data)
    assert report.errors == []
    assert list(TimeEntry.objects.values_list("person_id", "hours")) == [(pse.pk, D("8.00"))]


def test_an_xlsx_workbook_with_date_and_number_cells_imports(
    pse: Person, item: WorkItem, actor_of: Callable[[Person], Actor]
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Date", "Work item ID", "Hours", "Notes"])
    sheet.append([dt.datetime(2026, 11, 16), item.pk, 7.5, "a float cell"])  # noqa: DTZ001 - a cell
    sheet.append([dt.date(2026, 11, 17), float(item.pk), 8, None])
    sheet.append([None, None, None, None])  # a blank row is skipped
    sheet.append(["2026-11-18", item.web_url or item.pk, "6,25", ""])
    out = io.BytesIO()
    book.save(out)
    report = run(actor_of(pse), out.getvalue())
    assert report.errors == []
    assert list(TimeEntry.objects.order_by("date").values_list("date", "hours", "note")) == [
        (MONDAY, D("7.50"), "a float cell"),
        (dt.date(2026, 11, 17), D("8.00"), ""),
        (dt.date(2026, 11, 18), D("6.25"), ""),
    ]


def test_a_dry_run_reports_what_would_be_written_and_writes_nothing(
    pse: Person, item: WorkItem, actor_of: Callable[[Person], Actor]
) -> None:
    data = csv_file([["", "2026-11-16", f"#{item.pk}", "", "8", ""]])
    with unchanged():
        report = run(actor_of(pse), data, dry_run=True)
    assert (report.errors, report.written, report.entries, report.hours) == ([], False, 1, D(8))


def test_a_certified_quarter_goes_back_to_its_manager_when_time_is_imported_into_it(
    make_person: Callable[..., Person], item: WorkItem, actor_of: Callable[[Person], Actor]
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER, name="Marcus")
    alex = make_person(Role.PSE, name="Alex", manager=manager)
    quarter = periods.fiscal_quarter(MONDAY)
    with clock.frozen(
        dt.datetime.combine(quarter.end, dt.time(9), tzinfo=dt.UTC) + dt.timedelta(days=3)
    ):
        services.time_entry_create(
            actor=actor_of(alex), person=alex, work_item=item, date=MONDAY, hours="8"
        )
        cert = cert_services.certification_generate(
            actor=actor_of(manager), person=alex, year=quarter.year, quarter=quarter.quarter
        )
        cert_services.certification_decide(
            actor=actor_of(manager),
            certification=cert,
            step="manager",
            approve=True,
            reason="no timesheets in this test",
        )
        report = run(actor_of(alex), csv_file([["", "2026-11-17", f"#{item.pk}", "", "4", ""]]))
    assert report.errors == []
    cert.refresh_from_db()
    assert cert.status == QuarterlyCertification.Status.GENERATED
    back = CertificationStep.objects.order_by("id").last()
    assert back is not None
    (added,) = TimeEntry.objects.filter(source="import").values_list("pk", flat=True)
    assert (back.step, back.approved, back.reason) == (
        "changed",
        False,
        f"Time entries added #{added}",
    )


# ------------------------------------------------------------------ what is refused


def bad(row: int, column: str, reason: str) -> list[RowError]:
    return [RowError(row, column, reason)]


@pytest.mark.parametrize(
    ("cells", "errors"),
    [
        pytest.param(
            ["jordan@example.com", "2026-11-16", "{item}", "", "8 hrs", ""],
            bad(2, "hours", numbers.ERR_HOURS_TEXT.format(value="8 hrs")),
            id="hours-with-a-unit",
        ),
        pytest.param(
            ["jordan@example.com", "2026-11-16", "{item}", "", "0", ""],
            bad(2, "hours", rules.ERR_HOURS_POSITIVE),
            id="zero-hours",
        ),
        pytest.param(
            ["jordan@example.com", "2026-11-16", "{item}", "", "", ""],
            bad(2, "hours", spreadsheet.ERR_REQUIRED.format(column="hours")),
            id="no-hours",
        ),
        pytest.param(
            ["jordan@example.com", "16/11/2026", "{item}", "", "8", ""],
            bad(2, "date", spreadsheet.ERR_DATE.format(value="16/11/2026")),
            id="bad-date",
        ),
        pytest.param(
            ["nobody@example.com", "2026-11-16", "{item}", "", "8", ""],
            bad(
                2, "person", people_selectors.ERR_UNKNOWN_PERSON.format(value="nobody@example.com")
            ),
            id="unknown-person",
        ),
        pytest.param(
            ["jordan@example.com", "2026-11-16", "", "Sales Assistence", "8", ""],
            bad(2, "category", imports.ERR_UNKNOWN_CATEGORY.format(value="Sales Assistence")),
            id="unknown-category",
        ),
        pytest.param(
            ["jordan@example.com", "2026-11-16", "", "PS Internal", "8", ""],
            bad(2, "category", imports.ERR_CATEGORY_IS_MAJOR.format(name="PS Internal")),
            id="major-epic",
        ),
        pytest.param(
            ["jordan@example.com", "2026-11-16", "", "All project hours", "8", ""],
            bad(
                2,
                "category",
                imports.ERR_CATEGORY_NO_ITEM.format(name="Project Work / All project hours"),
            ),
            id="category-without-its-own-item",
        ),
        pytest.param(
            ["jordan@example.com", "2026-11-16", "#999999", "", "8", ""],
            bad(2, "work_item", imports.ERR_UNKNOWN_WORK_ITEM.format(value="#999999")),
            id="unknown-work-item",
        ),
        pytest.param(
            ["jordan@example.com", "2026-11-16", "", "", "8", ""],
            bad(2, "work_item", entry_files.ERR_NO_ITEM),
            id="no-work-item",
        ),
        pytest.param(
            ["jordan@example.com", "2026-11-16", "{item}", "Sales Assistance", "8", ""],
            bad(
                2,
                "category",
                imports.ERR_ITEM_NOT_IN_CATEGORY.format(
                    id="{id}",
                    actual="Project Work / All project hours",
                    given="Internal Assisted / Sales Assistance",
                ),
            ),
            id="work-item-not-in-the-category",
        ),
        pytest.param(
            ["jordan@example.com", "2026-11-26", "{item}", "", "8", ""],
            bad(2, "date", imports.ERR_FUTURE.format(date="2026-11-26")),
            id="future",
        ),
        pytest.param(
            ["jordan@example.com", "2026-11-16", "{item}", "", "8", "x" * 501],
            bad(2, "note", entry_files.ERR_NOTE_TOO_LONG.format(limit=500)),
            id="long-note",
        ),
    ],
)
def test_a_bad_row_is_refused_with_its_row_and_column_and_nothing_is_written(
    head: Person,
    pse: Person,
    item: WorkItem,
    actor_of: Callable[[Person], Actor],
    cells: list[str],
    errors: list[RowError],
) -> None:
    good = ["jordan@example.com", "2026-11-17", f"#{item.pk}", "", "8", ""]
    row = [c.replace("{item}", f"#{item.pk}") for c in cells]
    expected = [RowError(e.row, e.column, e.reason.replace("{id}", str(item.pk))) for e in errors]
    with unchanged():
        report = run(actor_of(head), csv_file([row, good]))
    assert report.errors == expected
    assert (report.written, report.audit_id) == (False, None)
    assert report.problem().message == imports.ERR_SUMMARY.format(count=1)


def test_every_bad_row_of_a_file_is_listed_and_none_is_written(
    head: Person, pse: Person, item: WorkItem, actor_of: Callable[[Person], Actor]
) -> None:
    rows = [["jordan@example.com", "2026-11-16", f"#{item.pk}", "", "1", ""]] * 5
    rows[1] = ["jordan@example.com", "2026-11-16", f"#{item.pk}", "", "8 hrs", ""]
    rows[3] = ["ghost@example.com", "yesterday", f"#{item.pk}", "", "-2", ""]
    with unchanged():
        report = run(actor_of(head), csv_file(rows))
    assert report.errors == [
        RowError(3, "hours", numbers.ERR_HOURS_TEXT.format(value="8 hrs")),
        RowError(
            5, "person", people_selectors.ERR_UNKNOWN_PERSON.format(value="ghost@example.com")
        ),
        RowError(5, "date", spreadsheet.ERR_DATE.format(value="yesterday")),
        RowError(5, "hours", rules.ERR_HOURS_POSITIVE),
    ]
    assert report.bad_rows == 2


def test_a_day_over_24_hours_across_the_file_and_the_database_is_refused_on_each_row(
    pse: Person, item: WorkItem, actor_of: Callable[[Person], Actor]
) -> None:
    me = actor_of(pse)
    services.time_entry_create(actor=me, person=pse, work_item=item, date=MONDAY, hours="10")
    rows = [
        ["", "2026-11-16", f"#{item.pk}", "", "8", ""],
        ["", "2026-11-17", f"#{item.pk}", "", "8", ""],
        ["", "2026-11-16", "", "Sales Assistance", "6.5", ""],
    ]
    with unchanged():
        report = run(me, csv_file(rows))
    reason = imports.ERR_DAY_OVER.format(
        date=MONDAY, total="24.50", name="Jordan Miller", existing="10.00", in_file="14.50"
    )
    assert report.errors == [RowError(2, "hours", reason), RowError(4, "hours", reason)]


def test_a_locked_date_is_refused(
    pse: Person, item: WorkItem, actor_of: Callable[[Person], Actor]
) -> None:
    cert = QuarterlyCertificationFactory.create(person=pse, day=MONDAY, locked=True)
    with unchanged():
        report = run(actor_of(pse), csv_file([["", "2026-11-16", f"#{item.pk}", "", "8", ""]]))
    assert cert.locked_at is not None
    reason = imports.ERR_LOCKED.format(date=MONDAY, quarter=periods.fiscal_quarter(MONDAY).label)
    assert report.errors == [RowError(2, "date", reason)]


def test_nobody_imports_someone_elses_time_but_the_head_of_ps(
    pse: Person,
    head: Person,
    make_person: Callable[..., Person],
    item: WorkItem,
    actor_of: Callable[[Person], Actor],
) -> None:
    other = make_person(Role.PSE, name="Alex Other")
    data = csv_file([["jordan@example.com", "2026-11-16", f"#{item.pk}", "", "8", ""]])
    with unchanged():
        report = run(actor_of(other), data)
    reason = imports.ERR_NOT_YOUR_TIME.format(name="Jordan Miller")
    assert report.errors == [RowError(2, "person", reason)]
    assert run(actor_of(head), data).written


def test_two_people_of_one_name_need_their_e_mail(
    make_person: Callable[..., Person], head: Person, actor_of: Callable[[Person], Actor]
) -> None:
    make_person(Role.PSE, name="Kim Lee")
    make_person(Role.PSE, name="Kim  Lee")
    data = csv_file([["Kim Lee", "2026-11-16", "", "Sales Assistance", "8", ""]])
    with unchanged():
        report = run(actor_of(head), data)
    reason = people_selectors.ERR_AMBIGUOUS_PERSON.format(count=2, value="Kim Lee")
    assert report.errors == [RowError(2, "person", reason)]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param(b"", RowError(0, FILE, spreadsheet.ERR_EMPTY), id="empty"),
        pytest.param(csv_file([]), RowError(0, FILE, spreadsheet.ERR_NO_ROWS), id="header-only"),
        pytest.param(
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe",
            RowError(0, FILE, spreadsheet.ERR_BINARY),
            id="not-a-table",
        ),
        pytest.param(
            b"PK\x03\x04not really a zip",
            RowError(0, FILE, spreadsheet.ERR_NOT_XLSX.format(reason="File is not a zip file")),
            id="broken-xlsx",
        ),
        pytest.param(
            csv_file([["2026-11-16", "8"]], header=["Date", "Hours"]),
            RowError(1, "work_item", entry_files.ERR_NO_ITEM_COLUMN),
            id="no-work-item-column",
        ),
        pytest.param(
            csv_file([["2026-11-16", "x"]], header=["Date", "Category"]),
            RowError(1, "hours", spreadsheet.ERR_MISSING_COLUMN.format(column="hours")),
            id="no-hours-column",
        ),
    ],
)
def test_a_file_that_is_not_a_table_of_entries_gets_a_clear_error(
    pse: Person, actor_of: Callable[[Person], Actor], data: bytes, error: RowError
) -> None:
    with unchanged():
        report = run(actor_of(pse), data)
    assert report.errors == [error]


def test_people_with_no_person_record_may_not_import(make_person: Callable[..., Person]) -> None:
    outsider = Actor(user_id=99, username="visitor", roles=frozenset())
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        run(outsider, csv_file([["", "2026-11-16", "", "Sales Assistance", "8", ""]]))
    assert exc.value.message == imports.ERR_MAY_NOT_IMPORT


# ------------------------------------------------------------------ the API


def test_the_api_batch_writes_all_or_nothing_naming_each_bad_entry(
    pse: Person, item: WorkItem, api_as: Callable[[Person], Client]
) -> None:
    client = api_as(pse)
    entries: list[dict[str, Any]] = [
        {"date": "2026-11-16", "work_item_id": item.pk, "hours": "7,5"},
        {"date": "2026-11-16", "category": "Sales Assistance", "hours": "8 hrs"},
        {"date": "2026-11-17", "work_item_id": 999999, "hours": 8, "person_id": 999999},
    ]
    with unchanged():
        response = client.post(
            "/api/v1/time/entries/batch", {"entries": entries}, content_type="application/json"
        )
    assert_problem(
        response,
        422,
        imports.ERR_SUMMARY.format(count=2),
        ("entries.1.hours", numbers.ERR_HOURS_TEXT.format(value="8 hrs")),
        ("entries.2.person", people_selectors.ERR_NO_PERSON.format(id=999999)),
        ("entries.2.work_item_id", imports.ERR_UNKNOWN_WORK_ITEM.format(value="#999999")),
    )
    entries[1]["hours"] = "0.5"
    del entries[2]
    response = client.post(
        "/api/v1/time/entries/batch", {"entries": entries}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["written"], body["entries"], body["hours"]) == (True, 2, "8.00")
    assert list(TimeEntry.objects.order_by("pk").values_list("hours", "source")) == [
        (D("7.50"), "import"),
        (D("0.50"), "import"),
    ]


def test_the_api_batch_refuses_an_empty_or_oversized_batch(
    pse: Person, api_as: Callable[[Person], Client]
) -> None:
    response = api_as(pse).post(
        "/api/v1/time/entries/batch", {"entries": []}, content_type="application/json"
    )
    assert_invalid(
        response, ("entries", "List should have at least 1 item after validation, not 0")
    )


def test_the_file_upload_imports_and_a_dry_run_writes_nothing(
    pse: Person, item: WorkItem, api_as: Callable[[Person], Client]
) -> None:
    client = api_as(pse)
    data = csv_file([["", "2026-11-16", f"#{item.pk}", "", "8", ""]])
    with unchanged():
        dry = client.post(
            "/api/v1/time/imports",
            {"file": SimpleUploadedFile("hours.csv", data), "dry_run": "true"},
        )
    assert dry.status_code == 200, dry.content
    assert (dry.json()["written"], dry.json()["entries"]) == (False, 1)
    done = client.post("/api/v1/time/imports", {"file": SimpleUploadedFile("hours.csv", data)})
    assert done.status_code == 200, done.content
    assert done.json()["written"] is True
    audit = AuditEntry.objects.get(action=imports.AUDIT_ACTION)
    assert audit.after is not None
    assert audit.after["sha256"] == imports.file_digest(data)
    with unchanged():
        again = client.post("/api/v1/time/imports", {"file": SimpleUploadedFile("h.csv", data)})
    reason = imports.ERR_ALREADY_IMPORTED.format(source="hours.csv", entries=1, at=NOW)
    assert_problem(again, 422, imports.ERR_SUMMARY.format(count=1), ("file", reason))


# ------------------------------------------------------------------ the command


def test_the_command_imports_a_file_and_lists_every_bad_row_on_stderr(
    pse: Person, item: WorkItem, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert pse.user is not None
    path = tmp_path / "hours.csv"
    path.write_bytes(
        csv_file(
            [
                ["jordan@example.com", "2026-11-16", f"#{item.pk}", "", "8 hrs", ""],
                ["jordan@example.com", "2026-11-17", f"#{item.pk}", "", "8", ""],
            ]
        )
    )
    with unchanged():
        assert cli.main(["time", "import", str(path), "--user", pse.user.username]) == 1
    err = capsys.readouterr().err
    assert f"row 2: hours: {numbers.ERR_HOURS_TEXT.format(value='8 hrs')}" in err.splitlines()
    assert imports.ERR_SUMMARY.format(count=1) in err.splitlines()
    path.write_bytes(csv_file([["jordan@example.com", "2026-11-17", f"#{item.pk}", "", "8", ""]]))
    assert cli.main(["time", "import", str(path), "--dry-run"]) == 0
    assert TimeEntry.objects.count() == 0
    assert cli.main(["time", "import", str(path)]) == 0
    assert list(TimeEntry.objects.values_list("hours", flat=True)) == [D("8.00")]
    assert capsys.readouterr().err.splitlines()[-1] == (
        "imported 1 time entry (8.00 h, 1 person, 2026-11-17 to 2026-11-17) from 1 row"
    )


# ------------------------------------------------------------------ the page


def upload(client: Client, data: bytes, name: str = "hours.csv") -> Any:
    return client.post("/time/import/", {"file": SimpleUploadedFile(name, data)})


def test_the_page_checks_a_file_first_and_imports_it_only_when_clean(
    pse: Person, item: WorkItem, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(pse)
    assert client.get("/time/import/").status_code == 200
    data = csv_file([["", "2026-11-16", f"#{item.pk}", "", "7.5", "kick-off"]])
    checked = upload(client, data)  # a check: its job, nothing else
    assert checked.status_code == 302
    assert (TimeEntry.objects.count(), AuditEntry.objects.filter(action="time.import").count()) == (
        0,
        0,
    )
    check = Job.objects.get()
    assert checked["Location"] == f"/jobs/{check.pk}/"
    assert check.result is not None
    assert (check.status, check.params, check.result["bad_rows"]) == ("done", {"dry_run": True}, 0)
    page = client.get(checked["Location"]).content.decode()
    assert 'id="import-ready"' in page
    assert 'id="import-confirm"' in page
    assert TimeEntry.objects.count() == 0

    confirmed = client.post(f"/time/import/{check.pk}/confirm/")
    run_job = Job.objects.exclude(pk=check.pk).get()
    assert confirmed["Location"] == f"/jobs/{run_job.pk}/"
    assert run_job.params == {"dry_run": False, "checked": check.pk}
    assert run_job.result is not None
    assert (run_job.status, run_job.result["written"], run_job.result["entries"]) == (
        "done",
        True,
        1,
    )
    assert list(TimeEntry.objects.values_list("hours", "note", "source")) == [
        (D("7.50"), "kick-off", "import")
    ]
    assert 'id="import-done"' in client.get(confirmed["Location"]).content.decode()
    with unchanged():
        again = client.post(f"/time/import/{check.pk}/confirm/", follow=True)
    message = jobs.ERR_ALREADY_CONFIRMED.format(name="hours.csv", id=run_job.pk)
    assert [str(m) for m in again.context["messages"]] == [message]


def test_the_page_lists_every_bad_row_and_offers_no_import(
    pse: Person, item: WorkItem, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(pse)
    data = csv_file(
        [
            ["", "2026-11-16", f"#{item.pk}", "", "8 hrs", ""],
            ["", "2026-11-17", "", "Nope", "8", ""],
        ]
    )
    checked = upload(client, data)
    assert TimeEntry.objects.count() == 0
    check = Job.objects.get()
    assert check.result is not None
    assert check.result["problems"] == [
        {
            "row": 2,
            "column": "hours",
            "title": "Hours",
            "reason": numbers.ERR_HOURS_TEXT.format(value="8 hrs"),
        },
        {
            "row": 3,
            "column": "category",
            "title": "Category",
            "reason": imports.ERR_UNKNOWN_CATEGORY.format(value="Nope"),
        },
    ]
    page = client.get(checked["Location"]).content.decode()
    assert 'id="import-problems"' in page
    assert 'id="import-confirm"' not in page
    with unchanged():
        refused = client.post(f"/time/import/{check.pk}/confirm/", follow=True)
    message = jobs.ERR_CHECK_FAILED.format(name="hours.csv", count=2)
    assert [str(m) for m in refused.context["messages"]] == [message]


def test_the_page_refuses_no_file_and_hides_other_peoples_checks(
    pse: Person,
    item: WorkItem,
    make_person: Callable[..., Person],
    client_for: Callable[[Person], Client],
) -> None:
    client = client_for(pse)
    with unchanged():
        response = client.post("/time/import/", {})
    assert response.status_code == 422
    assert f"{capfirst(services.ERR_NO_FILE)}." in response.content.decode()
    upload(client, csv_file([["", "2026-11-16", f"#{item.pk}", "", "8", ""]]))
    check = Job.objects.get()
    other = client_for(make_person(Role.PSE))
    with unchanged():
        assert other.post(f"/time/import/{check.pk}/confirm/").status_code == 404
        assert other.get(f"/jobs/{check.pk}/").status_code == 404


def test_a_note_with_tabs_line_breaks_and_backslashes_is_stored_as_written(
    pse: Person, item: WorkItem, api_as: Callable[[Person], Client]
) -> None:
    note = 'C:\\temp\\new\tfolder\r\nline two \\N "quoted"'
    response = api_as(pse).post(
        "/api/v1/time/entries/batch",
        {"entries": [{"date": "2026-11-16", "work_item_id": item.pk, "hours": 1, "note": note}]},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert list(TimeEntry.objects.values_list("note", flat=True)) == [note]
