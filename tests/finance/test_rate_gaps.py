"""The rate gaps report: the period's hours no rate prices, by person (cost) and by time and
materials engagement (bill), for finance and the head of PS; in the selector, the API and
the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client

from psa.core import clock
from psa.core.errors import PermissionDenied, ValidationFailed
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements.models import BillRate, Engagement, Kind
from psa.finance import selectors
from psa.finance.selectors import RateGap
from psa.people.models import CostRate, Person
from psa.timetracking import services as time_services
from psa.timetracking.models import WorkItem
from tests.engagements.factories import EngagementFactory
from tests.helpers import assert_refused, pydantic_error, refusal_page, unchanged
from tests.timetracking.factories import WorkItemFactory, category

MakePerson = Callable[..., Person]
D = Decimal
MON = dt.date(2026, 11, 2)
START, END = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 30, 18, tzinfo=dt.UTC)


def log(person: Person, day: dt.date, hours: str, item: WorkItem | None = None) -> None:
    with clock.frozen(NOW):
        time_services.time_entry_create(
            actor=SYSTEM,
            person=person,
            work_item=item or WorkItemFactory.create(),
            date=day,
            hours=hours,
        )


@dataclass(frozen=True)
class World:
    ada: Person
    bo: Person
    cy: Person
    tm: Engagement


@pytest.fixture
def world(make_person: MakePerson) -> World:
    """Ada has a rate from 4 Nov; Bo has none; Cy has one all along. A time and materials
    engagement's rate starts on 4 Nov too; a packaged one has none and needs none."""
    ada = make_person(Role.PSE, name="Ada Lovelace", cost_rate=False)
    CostRate.objects.create(
        person=ada, effective_from=dt.date(2026, 11, 4), rate=D("90"), currency="EUR"
    )
    bo = make_person(Role.PSE, name="Bo Unpaid", cost_rate=False)
    cy = make_person(Role.PSE, name="Cy Paid")
    tm = EngagementFactory.create(kind=Kind.EMBEDDED_ENGINEER, name="Platform team")
    BillRate.objects.create(engagement=tm, effective_from=dt.date(2026, 11, 4), rate=D("150"))
    packaged = EngagementFactory.create(kind=Kind.PACKAGED)
    project = category("Project Work", "All project hours")
    tm_item = WorkItemFactory.create(engagement=tm, epic=project)
    for day, hours in (
        (MON, "8"),
        (MON + dt.timedelta(days=1), "7.5"),
        (MON + dt.timedelta(days=2), "6"),
    ):
        log(ada, day, hours, tm_item)
    log(bo, MON, "4")
    log(bo, dt.date(2026, 11, 27), "2.25")
    log(cy, MON, "8", WorkItemFactory.create(engagement=packaged, epic=project))
    return World(ada, bo, cy, tm)


def test_the_gaps_name_who_and_which_days(
    world: World, make_person: MakePerson, actor_of: Callable[[Person], Actor]
) -> None:
    ada, bo, tm = world.ada, world.bo, world.tm
    finance = actor_of(make_person(Role.FINANCE_PARTNER))
    gaps = selectors.rate_gaps(actor=finance, start=START, end=END)
    assert gaps.cost == [
        RateGap(ada.pk, "Ada Lovelace", MON, dt.date(2026, 11, 3), 2, D("15.50")),
        RateGap(bo.pk, "Bo Unpaid", MON, dt.date(2026, 11, 27), 2, D("6.25")),
    ]
    assert gaps.bill == [
        RateGap(
            tm.pk, f"{tm.customer.name} — Platform team", MON, dt.date(2026, 11, 3), 2, D("15.50")
        ),
    ]
    # From the day the rates start, nothing is missing.
    later = selectors.rate_gaps(
        actor=finance, start=dt.date(2026, 11, 4), end=dt.date(2026, 11, 26)
    )
    assert (later.cost, later.bill) == ([], [])


@pytest.mark.parametrize(
    ("start", "end", "field", "message"),
    [
        (END, START, "end", selectors.ERR_PERIOD),
        (START, START + dt.timedelta(days=5 * 366), "end", selectors.ERR_PERIOD_LONG),
    ],
)
def test_a_bad_period_is_refused(
    make_person: MakePerson,
    actor_of: Callable[[Person], Actor],
    start: dt.date,
    end: dt.date,
    field: str,
    message: str,
) -> None:
    finance = actor_of(make_person(Role.CONTROLLER))
    with pytest.raises(ValidationFailed) as exc:
        selectors.rate_gaps(actor=finance, start=start, end=end)
    assert [(e.field, e.message) for e in exc.value.errors] == [(field, message)]


@pytest.mark.parametrize(
    ("role", "may"),
    [
        (Role.HEAD_OF_PS, True),
        (Role.FINANCE_PARTNER, True),
        (Role.CONTROLLER, True),
        (Role.FINANCE_BUSINESS_PARTNER, True),
        (Role.DELIVERY_MANAGER, False),
        (Role.PROJECT_COORDINATOR, False),
        (Role.PSE, False),
    ],
)
def test_who_reads_finance(
    make_person: MakePerson,
    actor_of: Callable[[Person], Actor],
    client_for: Callable[[Person], Client],
    role: str,
    may: bool,
) -> None:
    who = make_person(role)
    page = client_for(who).get("/finance/rates/")
    home = client_for(who).get("/").content.decode()
    assert ('href="/finance/utilization/"' in home) is may
    if may:
        assert page.status_code == 200
    else:
        assert page.status_code == 403
        assert refusal_page(selectors.ERR_MAY_NOT_READ) in page.content.decode()
        with pytest.raises(PermissionDenied):
            selectors.rate_gaps(actor=actor_of(who), start=START, end=END)


def test_the_api_lists_the_gaps(
    world: World, make_person: MakePerson, api_as: Callable[[Person], Client]
) -> None:
    client = api_as(make_person(Role.FINANCE_PARTNER))
    body = client.get(
        "/api/v1/finance/rate-gaps", {"start": "2026-11-01", "end": "2026-11-30"}
    ).json()
    assert body["start"] == "2026-11-01"
    assert [(g["name"], g["first"], g["last"], g["days"], g["hours"]) for g in body["cost"]] == [
        ("Ada Lovelace", "2026-11-02", "2026-11-03", 2, "15.50"),
        ("Bo Unpaid", "2026-11-02", "2026-11-27", 2, "6.25"),
    ]
    assert [g["owner_id"] for g in body["bill"]] == [world.tm.pk]


def test_the_api_refuses_a_bad_period_and_a_reader_who_may_not(
    make_person: MakePerson, api_as: Callable[[Person], Client]
) -> None:
    client = api_as(make_person(Role.FINANCE_PARTNER))
    reversed_period = client.get(
        "/api/v1/finance/rate-gaps", {"start": "2026-11-30", "end": "2026-11-01"}
    )
    assert_refused(reversed_period, 422, "end", selectors.ERR_PERIOD)
    not_a_date = client.get(
        "/api/v1/finance/rate-gaps", {"start": "30/11/2026", "end": "2026-11-01"}
    )
    assert not_a_date.status_code == 422
    assert [e["field"] for e in not_a_date.json()["errors"]] == ["start"]
    missing = client.get("/api/v1/finance/rate-gaps", {"start": "2026-11-01"})
    assert [(e["field"], e["message"]) for e in missing.json()["errors"]] == [
        ("end", pydantic_error("missing"))
    ]
    pse = api_as(make_person(Role.PSE))
    with unchanged():
        refused = pse.get("/api/v1/finance/rate-gaps", {"start": "2026-11-01", "end": "2026-11-30"})
    assert (refused.status_code, refused.json()["detail"]) == (403, selectors.ERR_MAY_NOT_READ)


def test_the_page_links_each_gap_to_where_its_rate_is_set(
    world: World, make_person: MakePerson, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(make_person(Role.HEAD_OF_PS))
    page = client.get(
        "/finance/rates/", {"start": "2026-11-01", "end": "2026-11-30"}
    ).content.decode()
    ada, tm = world.ada, world.tm
    assert f'<a href="/people/{ada.pk}/#cost-rates">Ada Lovelace</a>' in page
    assert f'<a href="/engagements/{tm.pk}/#bill-rates">' in page
    assert "<td>Mon 2 Nov 2026</td><td>Tue 3 Nov 2026</td>" in page
    reversed_period = client.get("/finance/rates/", {"start": "2026-11-30", "end": "2026-11-01"})
    assert reversed_period.status_code == 422
    assert selectors.ERR_PERIOD in reversed_period.content.decode()
