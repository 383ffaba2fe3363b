"""The hours report: a person's own time in a fiscal quarter, its totals and utilization, as
XLSX and CSV, through the API, and for a team."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from psa.core import clock, periods
from psa.core.roles import Actor, Role
from psa.core.schemas import MIN_DATE
from psa.people.models import Person
from psa.timetracking import report_api, report_files, report_selectors, rollup, selectors, services
from psa.timetracking.models import TimeEntry, WorkItem
from tests.engagements.factories import EngagementFactory
from tests.helpers import assert_invalid, assert_refused, pydantic_error, unchanged
from tests.timetracking.factories import WorkItemFactory, category

pytestmark = pytest.mark.django_db

# FY27 Q4 with the fiscal year starting in February: 1 Nov 2026 - 31 Jan 2027.
FY27_Q4 = periods.quarter_by_label(2027, 4, start_month=2)
JSON = "application/json"
NOW = dt.datetime(2027, 2, 10, 15, tzinfo=dt.UTC)  # after the quarter: every date is in the past
# A 40-hour US week: 65 weekdays in the quarter less 5 federal holidays (Veterans Day,
# Thanksgiving, Christmas, New Year, Martin Luther King Jr. Day) = 60 days × 8 h.
CAPACITY = Decimal("480.00")


@pytest.fixture(autouse=True)
def _now(settings: Any) -> Iterator[None]:
    settings.PSA_FISCAL_YEAR_START_MONTH = 2
    with clock.frozen(NOW):
        yield


@dataclass
class World:
    pse: Person
    other: Person
    billable: WorkItem
    internal: WorkItem
    holiday: WorkItem
    own_item: WorkItem  # authored by and assigned to pse; only `other` logs on it


def log(actor: Actor, person: Person, item: WorkItem, day: dt.date, hours: str) -> TimeEntry:
    return services.time_entry_create(
        actor=actor, person=person, work_item=item, date=day, hours=hours, note=f"{hours} h"
    )


@pytest.fixture
def world(make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]) -> World:
    manager = make_person(Role.DELIVERY_MANAGER, name="Dana Manager")
    pse = make_person(
        Role.PSE, name="Alex Pse", weekly_hours=Decimal("40"), country="US", manager=manager
    )
    other = make_person(Role.PSE, name="Blair Other", manager=manager)
    engagement = EngagementFactory.create(name="Migration", customer__name="Acme")
    billable = WorkItemFactory.create(
        title="Acme migration",
        epic=category("Project Work", "All project hours"),
        engagement=engagement,
        web_url="https://gitlab.example.com/ps/acme/-/issues/1",
    )
    internal = WorkItemFactory.create(title="Runbook write-up", author=other)  # not pse's item
    holiday = WorkItemFactory.create(
        title="Public holidays", epic=category("PTO/Holidays", "PS Team Holidays")
    )
    own_item = WorkItemFactory.create(title="Pse's own issue", author=pse)
    own_item.assignees.add(pse)
    me, them = actor_of(pse), actor_of(other)
    log(me, pse, billable, dt.date(2026, 11, 2), "6")
    log(me, pse, internal, dt.date(2026, 11, 2), "2")
    log(me, pse, holiday, dt.date(2026, 11, 26), "8")
    log(me, pse, internal, dt.date(2026, 12, 14), "3.25")
    log(me, pse, billable, dt.date(2027, 1, 29), "4")
    # Outside the quarter.
    log(me, pse, billable, dt.date(2026, 10, 30), "5")
    log(me, pse, billable, dt.date(2027, 2, 1), "5")
    # Other people's time, also on pse's own work item: not pse's.
    log(them, other, own_item, dt.date(2026, 11, 3), "3")
    log(them, other, billable, dt.date(2026, 11, 2), "7")
    return World(pse, other, billable, internal, holiday, own_item)


# ------------------------------------------------------------------ selector


def test_quarter_boundaries_fy_starting_in_february() -> None:
    assert (FY27_Q4.start, FY27_Q4.end) == (dt.date(2026, 11, 1), dt.date(2027, 1, 31))
    assert FY27_Q4.label == "FY27 Q4"


def test_totals_per_epic_work_item_day_week_and_billable(world: World) -> None:
    r = report_selectors.hours_report(person=world.pse, quarter=FY27_Q4)

    assert [(row.date, row.work_item.title, row.hours) for row in r.rows] == [
        (dt.date(2026, 11, 2), "Acme migration", Decimal("6.00")),
        (dt.date(2026, 11, 2), "Runbook write-up", Decimal("2.00")),
        (dt.date(2026, 11, 26), "Public holidays", Decimal("8.00")),
        (dt.date(2026, 12, 14), "Runbook write-up", Decimal("3.25")),
        (dt.date(2027, 1, 29), "Acme migration", Decimal("4.00")),
    ]
    assert r.total == Decimal("23.25")
    assert r.billable == Decimal("10.00")
    assert r.non_billable == Decimal("13.25")
    assert r.by_major_epic == {
        "Project Work": Decimal("10.00"),
        "PS Internal": Decimal("5.25"),
        "PTO/Holidays": Decimal("8.00"),
    }
    assert [(t.work_item.id, t.hours) for t in r.by_work_item] == [
        (world.billable.pk, Decimal("10.00")),
        (world.holiday.pk, Decimal("8.00")),
        (world.internal.pk, Decimal("5.25")),
    ]
    assert r.by_day == {
        dt.date(2026, 11, 2): Decimal("8.00"),
        dt.date(2026, 11, 26): Decimal("8.00"),
        dt.date(2026, 12, 14): Decimal("3.25"),
        dt.date(2027, 1, 29): Decimal("4.00"),
    }
    assert r.by_week == {
        dt.date(2026, 11, 2): Decimal("8.00"),
        dt.date(2026, 11, 23): Decimal("8.00"),
        dt.date(2026, 12, 14): Decimal("3.25"),
        dt.date(2027, 1, 25): Decimal("4.00"),
    }
    first = r.rows[0]
    assert first.billable is True
    assert first.work_item.engagement == "Acme — Migration"
    assert first.work_item.epic == "All project hours"
    assert first.work_item.web_url == "https://gitlab.example.com/ps/acme/-/issues/1"
    assert (first.note, first.source, first.reason) == ("6 h", "manual", "")


def test_other_peoples_entries_are_excluded_even_on_the_persons_own_items(world: World) -> None:
    r = report_selectors.hours_report(person=world.pse, quarter=FY27_Q4)
    assert world.own_item.pk not in {row.work_item.id for row in r.rows}

    theirs = report_selectors.hours_report(person=world.other, quarter=FY27_Q4)
    assert [(row.work_item.id, row.hours) for row in theirs.rows] == [
        (world.billable.pk, Decimal("7.00")),
        (world.own_item.pk, Decimal("3.00")),
    ]


def test_quarter_edges_are_inclusive_and_neighbours_excluded(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    pse = make_person(Role.PSE)
    item = WorkItemFactory.create()
    for day in ("2026-10-31", "2026-11-01", "2027-01-31", "2027-02-01"):
        log(actor_of(pse), pse, item, dt.date.fromisoformat(day), "1")

    r = report_selectors.hours_report(person=pse, quarter=FY27_Q4)

    assert [row.date for row in r.rows] == [dt.date(2026, 11, 1), dt.date(2027, 1, 31)]
    assert r.total == Decimal("2.00")


def test_utilization_is_billable_over_capacity(world: World) -> None:
    r = report_selectors.hours_report(person=world.pse, quarter=FY27_Q4)

    assert r.capacity == CAPACITY
    assert r.utilization == Decimal("2.1")  # 10 / 480 = 2.083 %


def test_utilization_is_none_without_capacity(
    make_person: Callable[..., Person],
) -> None:
    pse = make_person(Role.PSE, weekly_hours=Decimal("0"))
    r = report_selectors.hours_report(person=pse, quarter=FY27_Q4)
    assert r.capacity == Decimal("0")
    assert r.utilization is None
    assert r.rows == []
    assert r.total == Decimal("0")
    summary = load_workbook(io.BytesIO(report_files.report_xlsx(r)))["Summary"]
    values = {row[0]: row[1] for row in summary.iter_rows(values_only=True) if row[0]}
    assert values["Productive utilization %"] is None
    assert report_files.report_csv(r).decode().splitlines()[-1].startswith("Total,")
    assert load_workbook(io.BytesIO(report_files.team_xlsx([r]))).sheetnames == ["Summary", "Daily"]


def test_an_adjusting_entry_counts_with_its_reason(world: World) -> None:
    original = TimeEntry.objects.get(person=world.pse, date=dt.date(2027, 1, 29))
    adjustment = TimeEntry.objects.create(
        person=world.pse,
        work_item=world.billable,
        date=original.date,
        hours=Decimal("-1.50"),
        adjusts=original,
        reason="logged twice",
        created_at=NOW,
        updated_at=NOW,
    )
    rollup.apply([rollup.added(adjustment)])

    r = report_selectors.hours_report(person=world.pse, quarter=FY27_Q4)

    assert r.rows[-1].hours == Decimal("-1.50")
    assert r.rows[-1].reason == "logged twice"
    assert r.billable == Decimal("8.50")
    assert r.total == Decimal("21.75")


# ------------------------------------------------------------------ files


def test_xlsx_cells_are_numbers_and_dates(world: World) -> None:
    r = report_selectors.hours_report(person=world.pse, quarter=FY27_Q4)

    book = load_workbook(io.BytesIO(report_files.report_xlsx(r)))

    assert book.sheetnames == ["Daily", "By work item", "Summary", "By day"]
    daily = book["Daily"]
    header = [c.value for c in daily[1]]
    assert header == report_files.DAILY_COLUMNS
    assert all(c.font.bold for c in daily[1])
    assert daily.freeze_panes == "A2"
    hours_col = header.index("Hours")
    rows = list(daily.iter_rows(min_row=2, values_only=True))
    body, total = rows[:-1], rows[-1]
    assert len(body) == 5
    days = []
    for row in body:
        assert isinstance(row[0], dt.datetime)  # a date cell, not text
        assert isinstance(row[hours_col], int | float)
        assert isinstance(row[header.index("Work item ID")], int)
        assert isinstance(row[header.index("Billable")], bool)
        days.append(row[0].date())
    assert days == [row.date for row in r.rows]
    assert [Decimal(str(row[hours_col])) for row in body] == [row.hours for row in r.rows]
    assert total[0] == "Total"
    assert Decimal(str(total[hours_col])) == Decimal("23.25")

    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Total hours"] == 23.25
    assert summary["Billable hours"] == 10
    assert summary["Non-billable hours"] == 13.25
    assert summary["Capacity (h)"] == 480
    assert summary["Productive utilization %"] == 2.1
    assert summary["Project Work"] == 10
    assert summary["Quarter"] == "FY27 Q4"
    by_item = list(book["By work item"].iter_rows(min_row=2, values_only=True))
    assert [(row[0], row[6]) for row in by_item] == [
        (world.billable.pk, 10),
        (world.holiday.pk, 8),
        (world.internal.pk, 5.25),
    ]


def test_a_formula_like_note_stays_text(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    pse = make_person(Role.PSE)
    services.time_entry_create(
        actor=actor_of(pse),
        person=pse,
        work_item=WorkItemFactory.create(),
        date=dt.date(2026, 12, 1),
        hours="1",
        note="=HYPERLINK(1)",
    )
    r = report_selectors.hours_report(person=pse, quarter=FY27_Q4)

    daily = load_workbook(io.BytesIO(report_files.report_xlsx(r)))["Daily"]
    note = daily.cell(row=2, column=report_files.DAILY_COLUMNS.index("Note") + 1)
    assert (note.value, note.data_type) == ("=HYPERLINK(1)", "s")
    rows = list(csv.DictReader(io.StringIO(report_files.report_csv(r).decode())))
    assert rows[0]["Note"] == "'=HYPERLINK(1)"


def test_csv_parses_back_with_the_same_numbers(world: World) -> None:
    r = report_selectors.hours_report(person=world.pse, quarter=FY27_Q4)

    rows = list(csv.DictReader(io.StringIO(report_files.report_csv(r).decode("utf-8"))))

    body, total = rows[:-1], rows[-1]
    assert [(dt.date.fromisoformat(x["Date"]), Decimal(x["Hours"])) for x in body] == [
        (row.date, row.hours) for row in r.rows
    ]
    assert [x["Billable"] for x in body] == ["yes", "no", "no", "no", "yes"]
    assert body[0]["Engagement"] == "Acme — Migration"
    assert body[0]["ISO week"] == "2026-W45"
    assert total["Date"] == "Total"
    assert Decimal(total["Hours"]) == sum(Decimal(x["Hours"]) for x in body) == r.total


def test_team_reports_batch_their_queries(world: World, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(5):
        reports = report_selectors.team_reports(people=[world.pse, world.other], quarter=FY27_Q4)

    assert [(x.person, x.total) for x in reports] == [
        (world.pse, Decimal("23.25")),
        (world.other, Decimal("10.00")),
    ]
    book = load_workbook(io.BytesIO(report_files.team_xlsx(reports)))
    assert book.sheetnames == ["Summary", "Daily"]
    summary = list(book["Summary"].iter_rows(values_only=True))
    assert summary[0][:8] == tuple(report_files.TEAM_SUMMARY)
    assert [(row[0], row[4], row[5]) for row in summary[1:]] == [
        ("Alex Pse", 23.25, 10),
        ("Blair Other", 10, 7),
    ]
    daily = list(book["Daily"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in daily] == ["Alex Pse"] * 5 + ["Blair Other"] * 2
    assert sum(Decimal(str(row[10])) for row in daily) == Decimal("33.25")


def test_progress_is_reported_per_person(world: World) -> None:
    seen: list[tuple[int, int]] = []
    report_selectors.team_reports(
        people=[world.pse, world.other], quarter=FY27_Q4, progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(1, 2), (2, 2)]


def test_hours_by_person_week_and_engagement(world: World) -> None:
    weeks = report_selectors.hours_by_person_week(
        person_ids=[world.pse.pk], start=FY27_Q4.start, end=FY27_Q4.end
    )
    assert weeks == {
        world.pse.pk: report_selectors.hours_report(person=world.pse, quarter=FY27_Q4).by_week
    }
    assert world.billable.engagement_id is not None
    totals = selectors.engagement_hours(engagement_ids=[world.billable.engagement_id])
    assert totals == {world.billable.engagement_id: Decimal("27.00")}  # every quarter, everyone


# ------------------------------------------------------------------ API

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def url(person: Person, **query: object) -> str:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    return f"/api/v1/time/reports/{person.pk}?{params}"


def test_api_json(world: World, api_as: Callable[[Person], Client]) -> None:
    response = api_as(world.pse).get(url(world.pse, year=2027, quarter=4))

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["quarter"] == "FY27 Q4"
    assert (body["start"], body["end"]) == ("2026-11-01", "2027-01-31")
    assert (body["total"], body["billable"], body["non_billable"]) == ("23.25", "10.00", "13.25")
    assert body["capacity"] == "480.00"
    assert body["utilization"] == "2.1"
    assert body["by_major_epic"][0] == {"major_epic": "Project Work", "hours": "10.00"}
    assert body["by_week"][0] == {"week": "2026-W45", "monday": "2026-11-02", "hours": "8.00"}
    assert len(body["rows"]) == 5
    assert body["rows"][0]["engagement"] == "Acme — Migration"


def test_api_defaults_to_the_current_quarter(
    world: World, api_as: Callable[[Person], Client]
) -> None:
    body = api_as(world.pse).get(url(world.pse)).json()

    assert body["quarter"] == "FY28 Q1"  # 10 Feb 2027
    assert [r["date"] for r in body["rows"]] == ["2027-02-01"]


def test_api_xlsx_and_csv(world: World, api_as: Callable[[Person], Client]) -> None:
    client = api_as(world.pse)

    xlsx = client.get(url(world.pse, year=2027, quarter=4, format="xlsx"))
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"] == XLSX
    assert xlsx["Content-Disposition"].endswith('.xlsx"')
    assert load_workbook(io.BytesIO(xlsx.content)).sheetnames[0] == "Daily"

    text = client.get(url(world.pse, year=2027, quarter=4, format="csv"))
    assert text.status_code == 200
    assert text["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(text.content.decode())))
    assert rows[-1]["Hours"] == "23.25"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"year": 2027, "quarter": 5}, "quarter", pydantic_error("less_than_equal", le=4)),
        ({"year": 2027, "quarter": 0}, "quarter", pydantic_error("greater_than_equal", ge=1)),
        (
            {"year": 27, "quarter": 4},
            "year",
            pydantic_error("greater_than_equal", ge=MIN_DATE.year + 1),  # the API's Year
        ),
    ],
)
def test_api_bad_quarter_is_422_problem_json(
    world: World,
    api_as: Callable[[Person], Client],
    query: dict[str, object],
    field: str,
    message: str,
) -> None:
    response = api_as(world.pse).get(url(world.pse, **query))

    assert_invalid(response, (field, message))


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"year": 2027}, "quarter", report_selectors.ERR_BOTH),
        ({"quarter": 2}, "year", report_selectors.ERR_BOTH),
        ({"year": 2027, "quarter": 4, "format": "pdf"}, "format", report_api.ERR_FORMAT),
    ],
)
def test_api_a_quarter_half_given_or_an_unknown_format_is_refused(
    world: World,
    api_as: Callable[[Person], Client],
    query: dict[str, object],
    field: str,
    message: str,
) -> None:
    response = api_as(world.pse).get(url(world.pse, **query))

    assert_refused(response, 422, field, message)


def test_api_refuses_someone_elses_report(world: World, api_as: Callable[[Person], Client]) -> None:
    response = api_as(world.other).get(url(world.pse, year=2027, quarter=4))

    assert_refused(response, 403, "person_id", selectors.ERR_TIME_NOT_YOURS)


def test_api_team_reports_for_a_manager_as_a_job(
    world: World, api_as: Callable[[Person], Client]
) -> None:
    manager = world.pse.manager
    assert manager is not None
    body = {"year": 2027, "quarter": 4, "manager_id": manager.pk}

    started = api_as(manager).post("/api/v1/time/reports/team", body, content_type=JSON)

    assert started.status_code == 202, started.content
    job = started.json()
    # the tests run tasks as they are queued: the job is done already
    assert (job["status"], job["percent"], job["result"]) == (
        "done",
        100,
        {"people": 2, "entries": 7},
    )
    assert job["file_url"] == f"/api/v1/jobs/{job['id']}/file"
    assert api_as(manager).get(f"/api/v1/jobs/{job['id']}").json()["status"] == "done"
    download = api_as(manager).get(job["file_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    stem = f"hours-FY27-Q4-manager-{manager.pk}"
    assert download["Content-Disposition"] == f'attachment; filename="{stem}.zip"'
    with zipfile.ZipFile(io.BytesIO(download.content)) as bundle:
        names = sorted(bundle.namelist())
        team = load_workbook(io.BytesIO(bundle.read(f"{stem}.xlsx")))
        alex = load_workbook(
            io.BytesIO(bundle.read(report_files.person_file_name(reports_of(world)[0])))
        )
    assert names == sorted(
        [f"{stem}.xlsx", *(report_files.person_file_name(r) for r in reports_of(world))]
    )
    summary = [row[0] for row in team["Summary"].iter_rows(min_row=2, values_only=True)]
    assert summary == ["Alex Pse", "Blair Other"]
    assert (
        alex.sheetnames
        == load_workbook(io.BytesIO(report_files.report_xlsx(reports_of(world)[0]))).sheetnames
    )


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"year": 2027, "quarter": 5}, "quarter", pydantic_error("less_than_equal", le=4)),
        ({"year": "next", "quarter": 4}, "year", pydantic_error("int_parsing")),
    ],
)
def test_api_team_reports_refusals_queue_nothing(
    world: World,
    api_as: Callable[[Person], Client],
    body: dict[str, Any],
    field: str,
    message: str,
) -> None:
    client = api_as(world.pse)
    with unchanged():
        response = client.post("/api/v1/time/reports/team", body, content_type=JSON)
    assert_invalid(response, (field, message))


@pytest.mark.parametrize("whose", ["nobody's", "the manager's"])
def test_a_pse_may_not_export_a_team(
    world: World, api_as: Callable[[Person], Client], whose: str
) -> None:
    manager = world.pse.manager
    assert manager is not None
    manager_id = 999999 if whose == "nobody's" else manager.pk
    body = {"year": 2027, "quarter": 4, "manager_id": manager_id}
    client = api_as(world.pse)
    with unchanged():
        response = client.post("/api/v1/time/reports/team", body, content_type=JSON)
    assert_refused(response, 403, "manager_id", report_selectors.ERR_TEAM)


def reports_of(world: World) -> list[report_selectors.HoursReport]:
    return report_selectors.team_reports(people=[world.pse, world.other], quarter=FY27_Q4)


# ------------------------------------------------------------------ the benchmark's loader


def test_bench_loader_inserts_entries_the_report_reads(
    make_person: Callable[..., Person],
) -> None:
    from psa.bench import timetracking as bench_time

    people = [make_person(Role.PSE, weekly_hours=Decimal("40"), country="US") for _ in range(2)]
    for i in range(3):
        EngagementFactory.create(name=f"Engagement {i:06d}")

    inserted = bench_time.load_time_entries(
        person_ids=[p.pk for p in people], start=FY27_Q4.start, end=FY27_Q4.end
    )
    again = bench_time.load_time_entries(
        person_ids=[p.pk for p in people], start=FY27_Q4.start, end=FY27_Q4.end
    )

    weekdays = 65  # 1 Nov 2026 - 31 Jan 2027
    assert (inserted, again) == (2 * weekdays * 4, 0)
    r = report_selectors.hours_report(person=people[0], quarter=FY27_Q4)
    assert r.total == Decimal(8 * weekdays)
    assert r.billable == Decimal(6 * weekdays)
    assert r.rows[0].date == dt.date(2026, 11, 2)
    assert isinstance(r.rows[0].hours, Decimal)
    stored = TimeEntry.objects.filter(person=people[0]).first()
    assert stored is not None
    assert stored.created_at.tzinfo is not None


def test_the_team_bundle_reports_progress_in_three_passes(world: World) -> None:
    seen: list[tuple[int, int, str]] = []
    bundle = report_files.team_bundle(
        people=[world.pse, world.other],
        quarter=FY27_Q4,
        stem="team",
        progress=lambda d, t, s: seen.append((d, t, s)),
    )
    assert seen == [
        (0, 6, "Reading time"),
        (1, 6, "Reading time"),
        (2, 6, "Reading time"),
        (3, 6, "Writing each person's workbook"),
        (4, 6, "Writing each person's workbook"),
        (5, 6, "Team workbook"),
        (6, 6, "Team workbook"),
        (6, 6, "Done"),
    ]
    assert (bundle.people, bundle.entries, bundle.file_name) == (2, 7, "team.zip")
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as z:
        assert "team.xlsx" in z.namelist()


# ------------------------------------------------------------------ stored control characters


def test_control_characters_stored_earlier_are_cleaned_in_every_workbook(
    world: World, api_as: Callable[[Person], Client]
) -> None:
    # Stored before the API refused them (PostgreSQL takes any but NUL): the report, its CSV and the
    # team job must still be written, with the characters left out.
    WorkItem.objects.filter(pk=world.billable.pk).update(title="Acme\x02 mig\x1bration")
    TimeEntry.objects.filter(person=world.pse).update(note="note\x07")
    manager = world.pse.manager
    assert manager is not None

    xlsx = api_as(world.pse).get(url(world.pse, format="xlsx"))
    csv_file = api_as(world.pse).get(url(world.pse, format="csv"))
    started = api_as(manager).post(
        "/api/v1/time/reports/team",
        {"year": 2027, "quarter": 4, "manager_id": manager.pk},
        content_type=JSON,
    )

    assert (xlsx.status_code, csv_file.status_code) == (200, 200)
    daily = load_workbook(io.BytesIO(xlsx.content))["Daily"]
    titles = {row[3] for row in daily.iter_rows(min_row=2, values_only=True)}
    notes = {row[9] for row in daily.iter_rows(min_row=2, values_only=True)}
    assert "Acme migration" in titles
    assert notes == {"note", None}  # None: the Total row
    rows = list(csv.DictReader(io.StringIO(csv_file.content.decode())))
    assert {r["Work item"] for r in rows} >= {"Acme migration"}
    assert started.json()["status"] == "done", started.json()["error"]


# ------------------------------------------------------------------ totals without the rows


def test_team_totals_are_the_team_reports_totals(
    world: World, make_person: Callable[..., Person], django_assert_num_queries: Any
) -> None:
    original = TimeEntry.objects.get(person=world.pse, date=dt.date(2027, 1, 29))
    adjustment = TimeEntry.objects.create(
        person=world.pse,
        work_item=world.billable,
        date=original.date,
        hours=Decimal("-1.50"),
        adjusts=original,
        reason="logged twice",
        created_at=NOW,
        updated_at=NOW,
    )
    rollup.apply([rollup.added(adjustment)])
    idle = make_person(Role.PSE, weekly_hours=Decimal("0"))
    people = [world.pse, world.other, idle]
    reports = report_selectors.team_reports(people=people, quarter=FY27_Q4)

    # The entries of the lot, which of their work items are billable, the time off.
    with django_assert_num_queries(3):
        totals = report_selectors.team_totals(people=people, quarter=FY27_Q4)

    assert [(t.total, t.billable, t.capacity, t.utilization) for t in totals] == [
        (r.total, r.billable, r.capacity, r.utilization) for r in reports
    ]
    assert [sorted(t.entries) for t in totals] == [
        sorted((r.person.pk, row.entry_id, row.date, row.work_item.id, row.hours) for row in r.rows)
        for r in reports
    ]
    pse, _, nobody = totals
    assert (pse.total, pse.billable, pse.capacity, pse.utilization) == (
        Decimal("21.75"),
        Decimal("8.50"),
        CAPACITY,
        Decimal("1.8"),  # 8.5 / 480 = 1.77 %
    )
    assert (nobody.total, nobody.billable, nobody.utilization, nobody.entries) == (
        Decimal("0.00"),
        Decimal("0.00"),
        None,
        [],
    )
