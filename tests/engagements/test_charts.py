"""Budget burn: the hours logged on an engagement against its budget hours, on the list and
the engagement's page; over the budget it turns red and says by how much (never colour
alone); without budget hours there is no meter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from psa.core import clock
from psa.core.charts import Bar
from psa.core.roles import SYSTEM, Role
from psa.engagements import charts
from psa.people.models import Person
from psa.timetracking import services as time_services
from tests.engagements.factories import EngagementFactory
from tests.timetracking.factories import WorkItemFactory, category

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 11, 25, 15, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


def test_within_the_budget() -> None:
    burn = charts.budget_burn(logged=D("30.00"), budget=D("120.00"))
    assert burn is not None
    assert (burn.within, burn.beyond, burn.over, burn.text) == (
        Bar(0, 0, 30.0, 12, "within", "30 h of 120 h"),
        None,
        False,
        "90.00 h left",
    )


def test_over_the_budget() -> None:
    burn = charts.budget_burn(logged=D("235.50"), budget=D("120.00"))
    assert burn is not None
    assert (burn.limit_x, burn.beyond and burn.beyond.width) == (61.1, 58.9)
    assert (burn.over, burn.over_by, burn.text) == (True, D("115.50"), "over by 115.50 h")


def test_no_budget_no_meter() -> None:
    assert charts.budget_burn(logged=D("12.00"), budget=D("0.00")) is None


def log_on(engagement: Any, person: Person, hours: str, day: dt.date) -> None:
    item = WorkItemFactory.create(
        engagement=engagement, epic=category("Project Work", "All project hours")
    )
    time_services.time_entry_create(
        actor=SYSTEM, person=person, work_item=item, date=day, hours=hours
    )


def test_the_list_and_the_page_draw_the_burn(
    make_person: Callable[..., Person], client_for: Callable[[Person], Client]
) -> None:
    pse = make_person(Role.PSE)
    over = EngagementFactory.create(name="Overrun", budget_hours=D("120"))
    within = EngagementFactory.create(name="Healthy", budget_hours=D("40"))
    EngagementFactory.create(name="No budget", budget_hours=D("0"))
    for k in range(14):  # 14 days × 8.75 h = 122.5 h
        log_on(over, pse, "8.75", dt.date(2026, 11, 1) + dt.timedelta(days=k))
    log_on(within, pse, "10", dt.date(2026, 11, 20))
    client = client_for(pse)

    listed = client.get("/engagements/").content.decode()
    page = client.get(f"/engagements/{over.pk}/").content.decode()
    healthy = client.get(f"/engagements/{within.pk}/").content.decode()

    # 122.5 h of 120: the scale ends at 122.5, the budget's tick at 117.6 px.
    assert (
        '<td class="num nowrap burn overrun">122.50 / 120 h<br><span class="meter over">'
    ) in listed
    assert (
        '<rect class="within" x="0" y="0" width="117.6" height="12"/>'
        '<rect class="beyond" x="117.6" y="0" width="2.4" height="12"/>'
        '<line class="limit" x1="117.6" x2="117.6" y1="0" y2="12"/>'
    ) in listed
    assert '<span class="meter-text">over by 2.50 h</span>' in listed
    assert '<td class="num nowrap burn">10.00 / 40 h<br><span class="meter">' in listed
    assert '<span class="meter-text">30.00 h left</span>' in listed
    assert '0.00 / 0 h<br><span class="muted small">no budget</span>' in listed
    assert '<p class="progress-line burn overrun" id="budget-burn">' in page
    assert "Budget used: 102.1 %" in page
    assert '<span class="meter-text">over by 2.50 h</span>' in page
    assert '<p class="progress-line burn" id="budget-burn">' in healthy
    assert " style=" not in listed + page
