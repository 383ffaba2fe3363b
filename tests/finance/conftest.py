"""Shared by the finance tests: a quarter's books (FY27 Q4) with every kind of engagement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest

from psa.core import clock
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements import services as engagement_services
from psa.engagements.models import BillRate, Engagement, Kind, Status
from psa.people.models import Person
from psa.timetracking import epics
from psa.timetracking import services as time_services
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import Epic, WorkItem
from tests.engagements.factories import EngagementFactory
from tests.timetracking.factories import WorkItemFactory, category

MakePerson = Callable[..., Person]
D = Decimal
START, END = dt.date(2026, 11, 1), dt.date(2027, 1, 31)  # FY27 Q4
NOW = dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC)
NO_SHEETS = "no timesheets in this test"


@dataclass(frozen=True)
class Books:
    ada: Person
    bo: Person
    finance: Person
    manager: Person
    head: Person
    tm: Engagement
    sow: Engagement
    packaged: Engagement


def item(engagement: Engagement) -> WorkItem:
    return WorkItemFactory.create(
        engagement=engagement, epic=category("Project Work", "All project hours")
    )


def log(person: Person, work_item: WorkItem, day: dt.date, hours: str) -> None:
    time_services.time_entry_create(
        actor=SYSTEM, person=person, work_item=work_item, date=day, hours=hours
    )


@pytest.fixture
def books(make_person: MakePerson, actor_of: Callable[[Person], Actor]) -> Books:
    # A transactional test before this one (the thread test) may have flushed the epic tree
    # its migration seeds.
    epics.seed(Epic)
    manager = make_person(Role.DELIVERY_MANAGER)
    head = make_person(Role.HEAD_OF_PS)
    finance = make_person(Role.FINANCE_PARTNER, name="Ellen Finance")
    ada = make_person(Role.PSE, name="Ada Lovelace", manager=manager)
    bo = make_person(Role.PSE, name="Bo Dupont", manager=manager)
    tm = EngagementFactory.create(
        kind=Kind.EMBEDDED_ENGINEER, currency="EUR", name="Platform", status=Status.ACTIVE
    )
    BillRate.objects.create(engagement=tm, effective_from=START, rate=D("150"))
    BillRate.objects.create(engagement=tm, effective_from=dt.date(2027, 1, 1), rate=D("160"))
    sow = engagement_services.engagement_create(
        actor=SYSTEM,
        data=engagement_services.EngagementInput(
            customer_id=EngagementFactory.create().customer_id,
            name="Migration",
            kind=Kind.CUSTOM_SOW,
            contract_value=D("100000"),
            budget_hours=D("30"),
            start_date=dt.date(2026, 10, 1),
        ),
    )
    first, second, *_ = list(sow.milestones.order_by("position"))
    engagement_services.milestone_set_reached(
        actor=SYSTEM, milestone=first, reached_on=dt.date(2026, 10, 15)
    )
    engagement_services.milestone_set_reached(
        actor=SYSTEM, milestone=second, reached_on=dt.date(2026, 12, 5)
    )
    packaged = EngagementFactory.create(
        kind=Kind.PACKAGED, name="Health check", contract_value=D("20000"), status=Status.ACTIVE
    )
    with clock.frozen(dt.datetime(2026, 12, 10, 12, tzinfo=dt.UTC)):
        engagement_services.engagement_set_status(
            actor=SYSTEM, engagement=packaged, status=Status.COMPLETE
        )
    with clock.frozen(NOW):
        tm_item = item(tm)
        log(ada, tm_item, dt.date(2026, 11, 16), "6")
        log(ada, tm_item, dt.date(2027, 1, 20), "4")
        log(bo, tm_item, dt.date(2026, 12, 1), "8")
        sow_item = item(sow)
        for day in (2, 3, 4):
            log(bo, sow_item, dt.date(2026, 11, day), "8")
        cert = cert_services.certification_generate(
            actor=actor_of(manager), person=ada, year=2027, quarter=4
        )
        for who, step in ((manager, "manager"), (head, "head"), (finance, "finance")):
            cert = cert_services.certification_decide(
                actor=actor_of(who), certification=cert, step=step, approve=True, reason=NO_SHEETS
            )
        cert_services.certification_generate(
            actor=actor_of(manager), person=bo, year=2027, quarter=4
        )
    return Books(ada, bo, finance, manager, head, tm, sow, packaged)
