"""Utilization: capacity, hours by major epic, billable and productive hours, the dated
target and the booked hours, per person and per team, role and country; every percentage
divides summed hours. In the selector, the API and the page; targets set and refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client

from psa.core import clock
from psa.core.errors import PermissionDenied, ValidationFailed
from psa.core.models import AuditEntry
from psa.core.roles import SYSTEM, Actor, Role
from psa.finance import rules, selectors, services
from psa.finance.models import UtilizationTarget
from psa.people.models import Person
from psa.scheduling.models import Booking, BookingDay, Firmness
from psa.timetracking import services as time_services
from psa.timetracking.models import WorkItem
from tests.engagements.factories import EngagementFactory
from tests.helpers import assert_invalid, assert_refused, flash, pydantic_error, unchanged
from tests.timetracking.factories import WorkItemFactory, category

MakePerson = Callable[..., Person]
D = Decimal
MON, SUN = dt.date(2026, 11, 2), dt.date(2026, 11, 8)
WED = dt.date(2026, 11, 4)
NOW = dt.datetime(2026, 11, 30, 18, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Team:
    manager: Person
    ada: Person
    bo: Person


def log(person: Person, day: dt.date, hours: str, item: WorkItem) -> None:
    with clock.frozen(NOW):
        time_services.time_entry_create(
            actor=SYSTEM, person=person, work_item=item, date=day, hours=hours
        )


def book(person: Person, days: dict[dt.date, str]) -> None:
    booking = Booking.objects.create(
        person=person,
        engagement=EngagementFactory.create(),
        firmness=Firmness.CONFIRMED,
        start_date=min(days),
        end_date=max(days),
        hours=sum((D(h) for h in days.values()), D(0)),
        created_at=NOW,
        updated_at=NOW,
    )
    BookingDay.objects.bulk_create(
        BookingDay(booking=booking, person=person, date=d, hours=D(h), kind="confirmed")
        for d, h in days.items()
    )


@pytest.fixture
def team(make_person: MakePerson) -> Team:
    """The week of 2 November 2026. Ada (US, 40 h): 30 h billable, 4 h sales assistance, 2 h
    knowledge sharing, 32 h booked. Bo (France, 35 h): 10 h billable, a 50 % target from
    Wednesday. Their manager logs nothing."""
    manager = make_person(Role.DELIVERY_MANAGER, name="Mara Manager", country="US")
    ada = make_person(Role.PSE, name="Ada Lovelace", manager=manager, country="US")
    bo = make_person(
        Role.PSE, name="Bo Dupont", manager=manager, country="FR", timezone="Europe/Paris"
    )
    UtilizationTarget.objects.create(person=bo, effective_from=WED, percent=D("50"))
    billable = WorkItemFactory.create(
        engagement=EngagementFactory.create(), epic=category("Project Work", "All project hours")
    )
    sales = WorkItemFactory.create(epic=category("Internal Assisted", "Sales Assistance"))
    sharing = WorkItemFactory.create(epic=category("PS Internal", "Knowledge Sharing"))
    for i, hours in enumerate(("8", "8", "8", "6")):
        log(ada, MON + dt.timedelta(days=i), hours, billable)
    log(ada, dt.date(2026, 11, 6), "4", sales)
    log(ada, dt.date(2026, 11, 6), "2", sharing)
    log(bo, MON, "6", billable)
    log(bo, dt.date(2026, 11, 3), "4", billable)
    book(ada, {MON + dt.timedelta(days=i): "8" for i in range(4)})
    return Team(manager, ada, bo)


def finance(make_person: MakePerson, actor_of: Callable[[Person], Actor]) -> Actor:
    return actor_of(
        make_person(Role.FINANCE_PARTNER, name="Zed Finance", start_date=dt.date(2030, 1, 1))
    )


def figures(f: rules.Utilization) -> tuple[object, ...]:
    return (
        f.people,
        f.capacity,
        f.hours,
        f.billable,
        f.billable_utilization,
        f.productive_utilization,
        f.target,
        f.booked_utilization,
        f.below_target,
    )


def test_per_person(
    team: Team, make_person: MakePerson, actor_of: Callable[[Person], Actor]
) -> None:
    report = selectors.utilization(actor=finance(make_person, actor_of), start=MON, end=SUN)
    rows = {r.label: r.figures for r in report.rows}
    assert list(rows) == ["Ada Lovelace", "Bo Dupont", "Mara Manager"]
    #          people capacity hours billable billable% productive% target% booked% below
    assert figures(rows["Ada Lovelace"]) == (
        1,
        D("40.00"),
        D("36.00"),
        D("30.00"),
        D("75.0"),
        D("85.0"),
        D("75.0"),
        D("80.0"),
        False,
    )
    # Bo: 7 h days; 75 % on Monday and Tuesday, 50 % from Wednesday: 5.25 × 2 + 3.5 × 3 = 21 h
    assert rows["Bo Dupont"].target_hours == D("21.00")
    assert figures(rows["Bo Dupont"]) == (
        1,
        D("35.00"),
        D("10.00"),
        D("10.00"),
        D("28.6"),
        D("28.6"),
        D("60.0"),
        D("0.0"),
        True,
    )
    assert figures(rows["Mara Manager"]) == (
        1,
        D("40.00"),
        D("0"),
        D("0"),
        D("0.0"),
        D("0.0"),
        D("75.0"),
        D("0.0"),
        True,
    )
    assert rows["Ada Lovelace"].by_major == {
        "Global Company Meetings": D("0"),
        "Project Work": D("30.00"),
        "PS Internal": D("2.00"),
        "Internal Assisted": D("4.00"),
        "PTO/Holidays": D("0"),
    }


def test_groups_sum_their_hours_before_dividing(
    team: Team, make_person: MakePerson, actor_of: Callable[[Person], Actor]
) -> None:
    reader = finance(make_person, actor_of)
    by_team = selectors.utilization(actor=reader, start=MON, end=SUN, group="team")
    teams = {r.label: r.figures for r in by_team.rows}
    assert list(teams) == ["Mara Manager", "No manager"]
    # 40 billable of 75 h: 53.3 %, not the 51.8 % an average of 75.0 and 28.6 would give
    assert figures(teams["Mara Manager"]) == (
        2,
        D("75.00"),
        D("46.00"),
        D("40.00"),
        D("53.3"),
        D("58.7"),
        D("68.0"),
        D("42.7"),
        True,
    )
    assert teams["No manager"].people == 1
    by_role = selectors.utilization(actor=reader, start=MON, end=SUN, group="role")
    assert {r.key: r.figures.people for r in by_role.rows} == {"delivery_manager": 1, "pse": 2}
    by_country = selectors.utilization(actor=reader, start=MON, end=SUN, group="country")
    countries = {r.key: r.figures for r in by_country.rows}
    assert (countries["US"].capacity, countries["US"].billable_utilization) == (
        D("80.00"),
        D("37.5"),
    )
    assert countries["FR"].billable_utilization == D("28.6")
    assert figures(by_team.total) == figures(by_country.total)
    assert by_team.total.people == 3  # the finance reader starts in 2030: not employed


def test_an_empty_period_has_no_rows_and_no_percentages(
    make_person: MakePerson, actor_of: Callable[[Person], Actor]
) -> None:
    report = selectors.utilization(
        actor=finance(make_person, actor_of), start=dt.date(2019, 1, 1), end=dt.date(2019, 3, 31)
    )
    assert report.rows == []
    assert (report.total.capacity, report.total.billable_utilization) == (D("0"), None)


@pytest.mark.parametrize(
    ("start", "end", "group", "field", "message"),
    [
        (SUN, MON, "person", "end", selectors.ERR_PERIOD),
        (MON, SUN, "customer", "group", selectors.ERR_GROUP),
    ],
)
def test_a_bad_report_is_refused(
    make_person: MakePerson,
    actor_of: Callable[[Person], Actor],
    start: dt.date,
    end: dt.date,
    group: str,
    field: str,
    message: str,
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        selectors.utilization(
            actor=finance(make_person, actor_of), start=start, end=end, group=group
        )
    assert [(e.field, e.message) for e in exc.value.errors] == [(field, message)]


def test_a_delivery_manager_may_not_read_it(
    team: Team, actor_of: Callable[[Person], Actor]
) -> None:
    with pytest.raises(PermissionDenied) as exc:
        selectors.utilization(actor=actor_of(team.manager), start=MON, end=SUN)
    assert exc.value.message == selectors.ERR_MAY_NOT_READ


# ------------------------------------------------------------------ targets


def test_the_head_of_ps_sets_replaces_and_takes_back_a_target(
    team: Team, make_person: MakePerson, actor_of: Callable[[Person], Actor]
) -> None:
    head = actor_of(make_person(Role.HEAD_OF_PS))
    services.target_set(actor=head, person=team.ada, effective_from=WED, percent=D("80"))
    services.target_set(actor=head, person=team.ada, effective_from=WED, percent=D("85.5"))
    assert list(
        UtilizationTarget.objects.filter(person=team.ada).values_list("percent", flat=True)
    ) == [D("85.50")]
    entries = AuditEntry.objects.filter(action="person.utilization_target_set").order_by("id")
    assert [(e.before, e.after) for e in entries] == [
        (None, {"effective_from": "2026-11-04", "utilization_target": "80.00"}),
        ({"utilization_target": "80.00"}, {"utilization_target": "85.50"}),
    ]
    services.target_delete(actor=head, person=team.ada, effective_from=WED)
    assert not UtilizationTarget.objects.filter(person=team.ada).exists()


@pytest.mark.parametrize("percent", [D("-1"), D("100.01"), D("NaN"), D("50.001")])
def test_a_target_outside_0_to_100_is_refused(
    team: Team, make_person: MakePerson, actor_of: Callable[[Person], Actor], percent: Decimal
) -> None:
    head = actor_of(make_person(Role.HEAD_OF_PS))
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.target_set(actor=head, person=team.ada, effective_from=WED, percent=percent)
    assert exc.value.message == services.ERR_TARGET


def test_only_the_head_of_ps_sets_targets(
    team: Team, make_person: MakePerson, actor_of: Callable[[Person], Actor]
) -> None:
    reader = finance(make_person, actor_of)
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        services.target_set(actor=reader, person=team.ada, effective_from=WED, percent=D("1"))
    assert exc.value.message == services.ERR_MAY_NOT_SET_TARGET


# ------------------------------------------------------------------ API and page


def test_the_api_reports_utilization(
    team: Team, make_person: MakePerson, api_as: Callable[[Person], Client]
) -> None:
    client = api_as(make_person(Role.CONTROLLER, start_date=dt.date(2030, 1, 1)))
    body = client.get(
        "/api/v1/finance/utilization", {"start": "2026-11-02", "end": "2026-11-08", "group": "team"}
    ).json()
    row = body["rows"][0]
    assert (row["label"], row["person_id"]) == ("Mara Manager", None)
    assert {
        k: row["figures"][k]
        for k in (
            "people",
            "capacity",
            "billable",
            "billable_utilization",
            "target",
            "below_target",
        )
    } == {
        "people": 2,
        "capacity": "75.00",
        "billable": "40.00",
        "billable_utilization": "53.3",
        "target": "68.0",
        "below_target": True,
    }
    assert body["total"]["people"] == 3
    bad = client.get(
        "/api/v1/finance/utilization", {"start": "2026-11-02", "end": "2026-11-08", "group": "x"}
    )
    assert_refused(bad, 422, "group", selectors.ERR_GROUP)


def test_the_api_sets_a_target_and_refuses_bad_ones(
    team: Team, make_person: MakePerson, api_as: Callable[[Person], Client]
) -> None:
    client = api_as(make_person(Role.HEAD_OF_PS))
    url = f"/api/v1/finance/targets/{team.ada.pk}/2026-11-04"
    ok = client.put(url, {"percent": "80"}, content_type="application/json")
    assert (ok.status_code, ok.json()) == (
        200,
        {"person_id": team.ada.pk, "effective_from": "2026-11-04", "percent": "80.00"},
    )
    with unchanged():
        too_high = client.put(url, {"percent": "101"}, content_type="application/json")
        not_a_number = client.put(url, {"percent": "eighty"}, content_type="application/json")
    assert_refused(too_high, 422, "percent", services.ERR_TARGET)
    assert_invalid(not_a_number, ("percent", pydantic_error("decimal_parsing")))
    assert client.delete(url).status_code == 204
    assert_refused(
        client.delete(url), 404, "effective_from", services.ERR_NO_TARGET.format(day="2026-11-04")
    )


def test_the_page_shows_the_report_and_the_head_sets_a_target(
    team: Team, make_person: MakePerson, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(make_person(Role.HEAD_OF_PS, start_date=dt.date(2030, 1, 1)))
    page = client.get(
        "/finance/utilization/", {"start": "2026-11-02", "end": "2026-11-08", "group": "person"}
    ).content.decode()
    assert f'<a href="/people/{team.bo.pk}/">Bo Dupont</a>' in page
    assert (
        '<td class="num overrun">28.6 <span class="visually-hidden">(below target)</span></td>'
        in page
    )
    response = client.post(
        "/finance/targets/",
        {
            "target-person": team.ada.pk,
            "target-effective_from": "2026-11-04",
            "target-percent": "80",
        },
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert flash("Target for Ada Lovelace from 4 Nov 2026 saved.", "success") in page
    with unchanged():
        bad = client.post(
            "/finance/targets/",
            {
                "target-person": team.ada.pk,
                "target-effective_from": "2026-11-04",
                "target-percent": "180",
            },
        )
    assert bad.status_code == 422
    assert services.ERR_TARGET in bad.content.decode()


def test_the_page_refuses_a_target_from_finance(
    team: Team, make_person: MakePerson, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(make_person(Role.FINANCE_PARTNER))
    assert 'id="targets"' not in client.get("/finance/utilization/").content.decode()
    with unchanged():
        refused = client.post(
            "/finance/targets/",
            {
                "target-person": team.ada.pk,
                "target-effective_from": "2026-11-04",
                "target-percent": "80",
            },
        )
    assert refused.status_code == 403


def test_a_running_period_counts_to_today_and_a_future_one_not_at_all(
    team: Team, make_person: MakePerson, actor_of: Callable[[Person], Actor]
) -> None:
    reader = finance(make_person, actor_of)
    with clock.frozen(dt.datetime(2026, 11, 3, 12, tzinfo=dt.UTC)):
        running = selectors.utilization(actor=reader, start=MON, end=SUN)
        future = selectors.utilization(
            actor=reader, start=dt.date(2027, 1, 4), end=dt.date(2027, 1, 10)
        )
    assert running.through == dt.date(2026, 11, 3)
    ada = next(r.figures for r in running.rows if r.label == "Ada Lovelace")
    # Monday and Tuesday: 16 h of capacity, 16 h billable, 16 h booked
    assert figures(ada) == (
        1,
        D("16.00"),
        D("16.00"),
        D("16.00"),
        D("100.0"),
        D("100.0"),
        D("75.0"),
        D("100.0"),
        False,
    )
    assert (future.through, future.rows, future.total.billable_utilization) == (None, [], None)
