"""List filters say what the list shows: how many, and which filters hold (the defaults when
nothing is asked for, never a filter the list does not apply)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from psa.core.roles import Actor, Role
from psa.engagements.models import Status
from psa.people.models import Person
from psa.scheduling import services
from psa.scheduling.models import AssignmentRequest
from tests.engagements.factories import CustomerFactory, EngagementFactory

pytestmark = pytest.mark.django_db


def showing(response: object) -> str:
    content: str = response.content.decode()  # type: ignore[attr-defined]
    start = content.index('<p class="showing muted" id="showing" role="status">')
    return content[content.index(">", start) + 1 : content.index("</p>", start)]


def test_the_request_queue_says_it_shows_open_requests_on_every_page(
    make_person: Callable[..., Person],
    actor_of: Callable[[Person], Actor],
    client_for: Callable[[Person], Client],
) -> None:
    pc = make_person(Role.PROJECT_COORDINATOR)
    pse = make_person(Role.PSE)
    engagement = EngagementFactory.create(status=Status.ACTIVE)
    for week in range(3):
        start = dt.date(2026, 12, 7) + dt.timedelta(days=7 * week)
        request = services.request_create(
            actor=actor_of(pc),
            engagement=engagement,
            person=pse,
            start_date=start,
            end_date=start + dt.timedelta(days=2),
            hours=Decimal("8"),
        )
    services.request_decline(actor=actor_of(pc), request=request, reason="no")
    client = client_for(pc)
    assert showing(client.get("/schedule/requests/")) == "Showing 2 requests: Status: Open."
    # Only ?page= in the query: still the open queue, and it says so.
    page2 = client.get("/schedule/requests/?page=2")
    assert showing(page2) == "Showing 2 requests: Status: Open."
    assert {r["request"].status for r in page2.context["rows"]} == {AssignmentRequest.Status.OPEN}
    assert showing(client.get("/schedule/requests/?status=")) == "Showing 3 requests: all of them."
    declined = client.get("/schedule/requests/?status=declined")
    assert showing(declined) == "Showing 1 request: Status: Declined."


def test_the_people_and_engagement_lists_say_their_filters(
    make_person: Callable[..., Person], client_for: Callable[[Person], Client]
) -> None:
    head = make_person(Role.HEAD_OF_PS, country="DE")
    make_person(Role.PSE, country="DE")
    make_person(Role.PSE, country="US")
    client = client_for(head)
    assert showing(client.get("/people/")) == "Showing 3 people: all of them."
    assert (
        showing(client.get("/people/?role=pse&country=de"))
        == "Showing 1 person: Role: PSE (consultant, trainer) · Country: de."
    )
    # An invalid filter is dropped (its error shown), and the sentence does not claim it.
    assert showing(client.get("/people/?role=wizard")) == "Showing 3 people: all of them."
    acme = CustomerFactory.create(name="Acme Logistics")
    EngagementFactory.create(customer=acme, status=Status.ACTIVE)
    EngagementFactory.create(status=Status.ACTIVE)
    listed = client.get(f"/engagements/?customer_id={acme.pk}&status=active")
    assert showing(listed) == "Showing 1 engagement: Status: Active · Customer: Acme Logistics."
