"""The stored hours rollup (hours per work item and ISO week) and the engagement totals read
from it. Every database test also checks, on teardown, that the rollup equals the entries
(tests/conftest.py), so each write path is covered wherever it is exercised."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from psa import cli
from psa.core import clock
from psa.core.roles import Actor, Role
from psa.people.models import Person
from psa.timetracking import bulk, rollup, rules, selectors, services
from psa.timetracking.models import PersonMonth, TimeEntry, WorkItem, WorkItemWeek
from tests.engagements.factories import EngagementFactory
from tests.timetracking.factories import WorkItemFactory, category

pytestmark = pytest.mark.django_db
D = Decimal
MONDAY = dt.date(2026, 11, 16)
SUNDAY = dt.date(2026, 11, 22)
NEXT_MONDAY = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def pse(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.PSE)


def billable_item() -> WorkItem:
    return WorkItemFactory.create(
        engagement=EngagementFactory.create(), epic=category("Project Work", "All project hours")
    )


def weeks(item: WorkItem) -> list[tuple[dt.date, int, int]]:
    return list(
        WorkItemWeek.objects.filter(work_item=item).values_list(
            "week_start", "hundredths", "entries"
        )
    )


def test_fold_groups_by_monday_and_drops_changes_that_cancel_out() -> None:
    changes = [
        rollup.Change(1, MONDAY, D("1.25"), 1, 7, 1),
        rollup.Change(1, SUNDAY, D("0.75"), 1, 7, 2),  # the same ISO week
        rollup.Change(1, NEXT_MONDAY, D("2.00"), 1, 7, 3),
        rollup.Change(2, MONDAY, D("3.00"), 1, 7, 4),
        rollup.Change(2, MONDAY, D("-3.00"), -1, 7, 4),  # added and taken away again
    ]
    assert rollup.fold(changes) == {(1, MONDAY): (200, 2), (1, NEXT_MONDAY): (200, 1)}


def test_create_update_and_delete_keep_the_weeks_exact(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    actor, item = actor_of(pse), billable_item()
    # given two entries in one week, and one in the next
    first = services.time_entry_create(
        actor=actor, person=pse, work_item=item, date=MONDAY, hours="0.1"
    )
    services.time_entry_create(actor=actor, person=pse, work_item=item, date=SUNDAY, hours="0.2")
    assert weeks(item) == [(MONDAY, 30, 2)]  # 0.1 + 0.2 is exactly 0.30, on SQLite too

    # when one moves to the next week with new hours, then the other is deleted
    services.time_entry_update(actor=actor, entry=first, hours="7.75", date=NEXT_MONDAY)
    assert weeks(item) == [(MONDAY, 20, 1), (NEXT_MONDAY, 775, 1)]
    services.time_entry_delete(actor=actor, entry=TimeEntry.objects.get(date=SUNDAY))

    # then the emptied week has no row and the engagement's total is the one entry left
    assert weeks(item) == [(NEXT_MONDAY, 775, 1)]
    assert item.engagement_id is not None
    assert selectors.engagement_hours(engagement_ids=[item.engagement_id]) == {
        item.engagement_id: D("7.75")
    }
    assert selectors.engagement_weeks(engagement_id=item.engagement_id) == [
        (NEXT_MONDAY, D("7.75"))
    ]


def months(person: Person) -> list[tuple[dt.date, int, int, int, int]]:
    return list(
        PersonMonth.objects.filter(person=person).values_list(
            "month", "hundredths", "billable_hundredths", "entries", "changes"
        )
    )


def month_digest(person: Person, month: dt.date) -> str:
    row = PersonMonth.objects.get(person=person, month=month)
    return rules.digest_of([getattr(row, name) for name in PersonMonth.DIGEST_FIELDS])


def entries_digest(person: Person, start: dt.date, end: dt.date) -> str:
    keys = selectors.quarter_entry_keys(person_ids=[person.pk], start=start, end=end)
    return rules.entries_digest(keys[person.pk])


def test_months_keep_hours_billable_entries_digest_and_a_count_of_writes(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    actor, billable = actor_of(pse), billable_item()
    internal = WorkItem.objects.get(
        standing=True, epic=category("PS Internal", "Meetings/Staff Time")
    )
    # given a billable and an internal entry in October
    first = services.time_entry_create(
        actor=actor, person=pse, work_item=billable, date=dt.date(2026, 10, 26), hours="1.25"
    )
    services.time_entry_create(
        actor=actor, person=pse, work_item=internal, date=dt.date(2026, 10, 25), hours="0.5"
    )
    october = dt.date(2026, 10, 1)
    assert months(pse) == [(october, 175, 125, 2, 2)]

    # when the billable one moves within October, the digest follows though the hours do not
    before = month_digest(pse, october)
    services.time_entry_update(actor=actor, entry=first, date=dt.date(2026, 10, 19))
    assert months(pse) == [(october, 175, 125, 2, 4)]  # taken away and added: two changes
    assert month_digest(pse, october) != before
    assert month_digest(pse, october) == entries_digest(pse, october, dt.date(2026, 10, 31))

    # when it moves into November and the internal one is deleted
    services.time_entry_update(actor=actor, entry=first, date=MONDAY, hours="2")
    services.time_entry_delete(actor=actor, entry=TimeEntry.objects.get(date=dt.date(2026, 10, 25)))

    # then October keeps its row at 0 with every write counted, and November has the entry
    november = dt.date(2026, 11, 1)
    assert months(pse) == [(october, 0, 0, 0, 6), (november, 200, 200, 1, 1)]
    assert month_digest(pse, october) == rules.entries_digest({})
    assert month_digest(pse, november) == entries_digest(pse, november, dt.date(2026, 11, 30))


def test_a_bulk_write_adds_to_both_rollups_exactly_as_single_writes_do(
    pse: Person, make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    """bulk.entries_insert (COPY on PostgreSQL, one prepared INSERT on SQLite, ids taken before
    the rows go in): the stored rollups equal what the entries give."""
    billable, internal = billable_item(), WorkItemFactory.create()
    other = make_person(Role.PSE)
    # (person, item, date, hours): a week and a month boundary, negative and odd hours
    wanted = [
        (pse, billable, dt.date(2026, 10, 31), D("23.99")),
        (pse, internal, dt.date(2026, 11, 1), D("0.01")),
        (pse, billable, dt.date(2026, 11, 2), D("-1.50")),
        (other, billable, dt.date(2026, 11, 2), D("7.33")),
        (other, internal, dt.date(2026, 11, 22), D("12.50")),
    ]
    with transaction.atomic():
        ids = bulk.entries_insert(
            [
                bulk.NewEntry(person_id=p.pk, work_item_id=i.pk, date=d, hours=h)
                for p, i, d, h in wanted
            ],
            now=NOW,
        )
    assert list(TimeEntry.objects.order_by("pk").values_list("pk", flat=True)) == ids
    stored_weeks, stored_months = rollup.stored(), rollup.stored_months()
    assert rollup.verify() == []
    assert stored_weeks == {
        (billable.pk, dt.date(2026, 10, 26)): (2399, 1),
        (internal.pk, dt.date(2026, 10, 26)): (1, 1),
        (billable.pk, dt.date(2026, 11, 2)): (583, 2),
        (internal.pk, dt.date(2026, 11, 16)): (1250, 1),
    }
    assert sorted((p, m, cell[:4]) for (p, m), cell in stored_months.items()) == [
        (pse.pk, dt.date(2026, 10, 1), (2399, 2399, 1, 1)),
        (pse.pk, dt.date(2026, 11, 1), (-149, -150, 2, 2)),
        (other.pk, dt.date(2026, 11, 1), (1983, 733, 2, 2)),
    ]
    assert month_digest(pse, dt.date(2026, 11, 1)) == entries_digest(
        pse, dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    )


def test_time_summaries_sum_the_months_of_a_quarter(
    pse: Person, actor_of: Callable[[Person], Actor], make_person: Callable[..., Person]
) -> None:
    actor, item = actor_of(pse), billable_item()
    for day, hours in ((dt.date(2026, 9, 1), "8"), (dt.date(2026, 10, 30), "0.25")):
        services.time_entry_create(actor=actor, person=pse, work_item=item, date=day, hours=hours)
    services.time_entry_create(
        actor=actor, person=pse, work_item=item, date=dt.date(2026, 11, 2), hours="3"
    )
    idle = make_person(Role.PSE)
    start, end = dt.date(2026, 9, 1), dt.date(2026, 10, 31)

    found = selectors.time_summaries(person_ids=[pse.pk, idle.pk], start=start, end=end)

    assert found == {
        pse.pk: selectors.TimeSummary(
            total=D("8.25"),
            billable=D("8.25"),
            entries=2,
            changes=2,
            digest=entries_digest(pse, start, end),
        ),
        idle.pk: selectors.TimeSummary(
            total=D("0.00"), billable=D("0.00"), entries=0, changes=0, digest="0" * 64
        ),
    }
    with pytest.raises(ValueError, match="is not whole months"):
        selectors.time_summaries(person_ids=[pse.pk], start=start, end=dt.date(2026, 10, 30))


def test_verify_names_a_drifted_month_and_rebuild_counts_past_it(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    item = billable_item()
    services.time_entry_create(
        actor=actor_of(pse), person=pse, work_item=item, date=MONDAY, hours="3"
    )
    november = dt.date(2026, 11, 1)
    good = month_digest(pse, november)
    # when the summary is changed behind the services' back
    PersonMonth.objects.filter(person=pse).update(billable_hundredths=0, digest_3=5)
    drifted = month_digest(pse, november)

    assert rollup.verify() == [
        f"person {pse.pk}, November 2026: entries give 3 h (3 h billable) in 1, digest "
        f"{good[:12]}; the summary has 3 h (0 h billable) in 1, digest {drifted[:12]}"
    ]
    # then rebuild puts it back, and its count of writes still grows
    assert rollup.rebuild() == 2
    assert months(pse) == [(november, 300, 300, 1, 2)]
    assert month_digest(pse, november) == good
    assert rollup.verify() == []


def test_engagement_totals_sum_every_work_item_and_person_and_skip_internal_time(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    engagement = EngagementFactory.create()
    kickoff = WorkItemFactory.create(
        engagement=engagement, epic=category("Project Work", "Internal/External status meetings")
    )
    build = WorkItemFactory.create(
        engagement=engagement, epic=category("Project Work", "All project hours")
    )
    other = billable_item()
    internal = WorkItemFactory.create()
    alice, bob = make_person(Role.PSE), make_person(Role.PSE)
    for person, item, hours in (
        (alice, kickoff, "1.5"),
        (bob, kickoff, "2"),
        (alice, build, "6.25"),
        (bob, other, "4"),
        (alice, internal, "0.25"),
    ):
        services.time_entry_create(
            actor=actor_of(person), person=person, work_item=item, date=MONDAY, hours=hours
        )
    assert other.engagement_id is not None
    totals = selectors.engagement_hours(
        engagement_ids=[engagement.pk, other.engagement_id, EngagementFactory.create().pk]
    )
    # the engagement without time is absent; internal time belongs to no engagement
    assert totals == {engagement.pk: D("9.75"), other.engagement_id: D("4.00")}


def test_engagement_totals_read_in_chunks_for_many_engagements(
    pse: Person, actor_of: Callable[[Person], Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "ENGAGEMENT_CHUNK", 2)
    items = [billable_item() for _ in range(5)]
    for i, item in enumerate(items, start=1):
        services.time_entry_create(
            actor=actor_of(pse), person=pse, work_item=item, date=MONDAY, hours=str(i)
        )
    ids = [item.engagement_id for item in items]
    assert selectors.engagement_hours(engagement_ids=[i for i in ids if i]) == {
        eid: D(i) for i, eid in enumerate(ids, start=1)
    }


def test_verify_names_a_drifted_week_and_rebuild_repairs_it(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    item = billable_item()
    services.time_entry_create(
        actor=actor_of(pse), person=pse, work_item=item, date=MONDAY, hours="3"
    )
    assert rollup.verify() == []
    # when the rollup is changed behind the services' back
    WorkItemWeek.objects.filter(work_item=item).update(hundredths=100)
    problems = rollup.verify()
    assert problems == [
        f"work item {item.pk}, week of 2026-11-16: entries give 3 h in 1, the rollup has 1 h in 1"
    ]
    # then rebuild puts it back: one work-item week and one person-month
    assert rollup.rebuild() == 2
    assert weeks(item) == [(MONDAY, 300, 1)]
    assert rollup.verify() == []


def test_cli_checks_and_rebuilds_the_rollup(
    pse: Person,
    actor_of: Callable[[Person], Actor],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PSA_DATA_DIR", str(tmp_path))
    item = billable_item()
    services.time_entry_create(
        actor=actor_of(pse), person=pse, work_item=item, date=MONDAY, hours="2"
    )
    assert cli.main(["time", "rollup"]) == 0
    assert "hours rollup matches the time entries" in capsys.readouterr().out
    WorkItemWeek.objects.all().delete()
    assert cli.main(["time", "rollup"]) == 1
    out = capsys.readouterr().out
    assert "entries give 2 h in 1, the rollup has 0 h in 0" in out
    assert out.endswith("hours rollup DIFFERS from the entries in 1 weeks or months\n")
    assert cli.main(["time", "rollup", "--rebuild"]) == 0
    assert capsys.readouterr().out == (
        "hours rollup rebuilt: 2 work item weeks and person months\n"
    )
    assert weeks(item) == [(MONDAY, 200, 1)]


# ------------------------------------------------------------------ API and the engagement page


@pytest.fixture
def logged(pse: Person, actor_of: Callable[[Person], Actor]) -> WorkItem:
    """An engagement with a 10-hour budget and 12.5 hours over two weeks."""
    item = WorkItemFactory.create(
        engagement=EngagementFactory.create(budget_hours=D("10")),
        epic=category("Project Work", "All project hours"),
    )
    for day, hours in ((MONDAY, "8"), (NEXT_MONDAY, "4.5")):
        services.time_entry_create(
            actor=actor_of(pse), person=pse, work_item=item, date=day, hours=hours
        )
    return item


def test_api_engagement_time_per_week_against_the_budget(
    logged: WorkItem, pse: Person, api_as: Callable[[Person], Any]
) -> None:
    response = api_as(pse).get(f"/api/v1/time/engagements/{logged.engagement_id}/hours")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "engagement_id": logged.engagement_id,
        "hours": "12.50",
        "budget_hours": "10.00",
        "remaining_hours": "-2.50",
        "percent_of_budget": "125.0",
        "weeks": [
            {"week_start": "2026-11-16", "hours": "8.00"},
            {"week_start": "2026-11-23", "hours": "4.50"},
        ],
    }


def test_api_engagement_time_without_budget_or_time(
    pse: Person, api_as: Callable[[Person], Any]
) -> None:
    engagement = EngagementFactory.create(budget_hours=D("0"))
    body = api_as(pse).get(f"/api/v1/time/engagements/{engagement.pk}/hours").json()
    assert (body["hours"], body["percent_of_budget"], body["weeks"]) == ("0.00", None, [])
    missing = api_as(pse).get("/api/v1/time/engagements/999999/hours")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["field"] == "engagement_id"


def test_api_hours_of_many_engagements(
    logged: WorkItem, pse: Person, api_as: Callable[[Person], Any]
) -> None:
    quiet = EngagementFactory.create()
    ids = f"engagement_id={quiet.pk}&engagement_id={logged.engagement_id}"
    response = api_as(pse).get(f"/api/v1/time/engagement-hours?{ids}")
    assert response.status_code == 200, response.content
    expected: list[dict[str, Any]] = [
        {"engagement_id": logged.engagement_id, "hours": "12.50"},
        {"engagement_id": quiet.pk, "hours": "0.00"},
    ]
    assert sorted(response.json(), key=lambda r: r["engagement_id"]) == sorted(
        expected, key=lambda r: r["engagement_id"]
    )


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("", 422, None),  # the parameter is required
        ("engagement_id=abc", 422, None),
        (
            "engagement_id=999998&engagement_id=999999",
            404,
            "no engagement has the id 999998, 999999",
        ),
        ("&".join(f"engagement_id={i}" for i in range(1, 502)), 422, "between 1 and 500"),
    ],
)
def test_api_hours_of_many_engagements_refuses_bad_ids(
    pse: Person, api_as: Callable[[Person], Any], query: str, status: int, message: str | None
) -> None:
    response = api_as(pse).get(f"/api/v1/time/engagement-hours?{query}")
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert errors[0]["field"].startswith("engagement_id")
    if message:
        assert message in errors[0]["message"]


def test_the_engagement_page_shows_time_logged_against_the_budget(
    logged: WorkItem, pse: Person, client: Any
) -> None:
    client.force_login(pse.user)
    html = client.get(f"/engagements/{logged.engagement_id}/").content.decode()
    assert '<dd id="time-logged">12.50 h</dd>' in html
    assert 'class="overrun">-2.50 h</dd>' in html
    assert "125.0 %" in html
    assert html.index("Mon 23 Nov 2026") < html.index("Mon 16 Nov 2026")  # newest week first


def test_the_engagement_list_shows_time_logged_with_one_query_for_the_page(
    logged: WorkItem, pse: Person, client: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        EngagementFactory.create()
    client.force_login(pse.user)
    client.get("/engagements/")  # warm the session
    with django_assert_max_num_queries(12) as queries:
        html = client.get("/engagements/").content.decode()
    assert "12.50 / 10 h" in html
    assert html.count("0.00 / ") >= 5
    rollup_reads = [q for q in queries.captured_queries if "workitemweek" in q["sql"]]
    assert len(rollup_reads) == 1
