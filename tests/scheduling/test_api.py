"""Scheduling API: the request → review → decision flow, availability, bookings, internal time;
refusals as problem+json naming the field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from psa.core import clock
from psa.core.roles import Role
from psa.engagements.models import Status
from psa.people.models import Person
from psa.scheduling.models import AssignmentRequest, Booking
from tests.engagements.factories import EngagementFactory
from tests.timetracking.factories import category

pytestmark = pytest.mark.django_db
JSON = "application/json"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def setup(make_person: Callable[..., Person], api_as: Callable[[Person], Client]) -> Any:
    class S:
        pse = make_person(Role.PSE, name="Alex")
        pc = api_as(make_person(Role.PROJECT_COORDINATOR))
        dm = api_as(make_person(Role.DELIVERY_MANAGER))
        me = api_as(pse)
        engagement = EngagementFactory(status=Status.ACTIVE)

    return S()


def body(s: Any, **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "engagement_id": s.engagement.pk,
        "person_id": s.pse.pk,
        "start_date": "2026-12-08",
        "end_date": "2026-12-10",
        "hours": "24",
    }
    data.update(kw)
    return data


def assert_problem(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert field in [e["field"] for e in problem["errors"]], problem
    return problem


def test_request_review_confirm_flow(setup: Any) -> None:
    created = setup.dm.post("/api/v1/scheduling/requests", body(setup), content_type=JSON)
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    queue = setup.pc.get("/api/v1/scheduling/requests", {"status": "open"}).json()
    assert [r["id"] for r in queue["items"]] == [rid]
    detail = setup.pc.get(f"/api/v1/scheduling/requests/{rid}").json()
    assert detail["review"]["fits"] is True
    assert [d["requested"] for d in detail["review"]["days"]] == ["8.00", "8.00", "8.00"]
    booking = setup.pc.post(f"/api/v1/scheduling/requests/{rid}/confirm", {}, content_type=JSON)
    assert booking.status_code == 200, booking.content
    assert booking.json()["hours"] == "24.00"
    assert [d["hours"] for d in booking.json()["days"]] == ["8.00", "8.00", "8.00"]
    listed = setup.me.get("/api/v1/scheduling/bookings", {"person_id": setup.pse.pk}).json()
    assert listed["count"] == 1


def test_conflict_gives_proposals_and_one_can_be_picked(setup: Any) -> None:
    internal = setup.me.post(
        "/api/v1/scheduling/internal",
        {
            "person_id": setup.pse.pk,
            "category_id": category("PS Internal", "Personal Enablement").pk,
            "task_name": "Enablement",
            "start_date": "2026-12-09",
            "end_date": "2026-12-09",
            "hours": "8",
        },
        content_type=JSON,
    )
    assert internal.status_code == 201, internal.content
    rid = setup.dm.post("/api/v1/scheduling/requests", body(setup), content_type=JSON).json()["id"]
    review = setup.pc.get(f"/api/v1/scheduling/requests/{rid}").json()["review"]
    assert review["fits"] is False
    assert review["shortfalls"] == [
        {"date": "2026-12-09", "requested": "8.00", "free": "0.00", "short": "8.00"}
    ]
    windows = [p for p in review["proposals"] if p["kind"] == "window"]
    assert len(windows) == 3
    refused = setup.pc.post(f"/api/v1/scheduling/requests/{rid}/confirm", {}, content_type=JSON)
    assert_problem(refused, 409, "hours")
    picked = setup.pc.post(
        f"/api/v1/scheduling/requests/{rid}/confirm",
        {"proposal": windows[0]["key"]},
        content_type=JSON,
    )
    assert picked.status_code == 200, picked.content
    assert picked.json()["start_date"] == windows[0]["start"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"end_date": "2026-12-01"}, 422, "end_date"),
        ({"hours": "0"}, 422, "hours"),
        ({"hours": "8 hrs"}, 422, "hours"),
        ({"hours": "12", "per_day": True}, 422, "hours"),
        ({"start_date": "2029-01-01", "end_date": "2029-01-03"}, 422, "end_date"),
        ({"engagement_id": 999999}, 404, "engagement_id"),
        ({"person_id": 999999}, 404, "person_id"),
        ({"action": "change"}, 422, "booking_id"),
    ],
)
def test_bad_requests_get_problem_json_and_nothing_is_saved(
    setup: Any, change: dict[str, Any], status: int, field: str
) -> None:
    response = setup.dm.post(
        "/api/v1/scheduling/requests", body(setup, **change), content_type=JSON
    )
    assert_problem(response, status, field)
    assert AssignmentRequest.objects.count() == 0


def test_request_on_a_cancelled_engagement_is_409(setup: Any) -> None:
    setup.engagement.status = Status.CANCELLED
    setup.engagement.save()
    response = setup.dm.post("/api/v1/scheduling/requests", body(setup), content_type=JSON)
    assert_problem(response, 409, "engagement_id")


def test_duplicate_open_request_is_409(setup: Any) -> None:
    assert (
        setup.dm.post("/api/v1/scheduling/requests", body(setup), content_type=JSON).status_code
        == 201
    )
    again = setup.dm.post("/api/v1/scheduling/requests", body(setup), content_type=JSON)
    assert_problem(again, 409, "start_date")
    assert AssignmentRequest.objects.count() == 1


def test_a_pse_cannot_confirm_and_decline_needs_a_reason(setup: Any) -> None:
    rid = setup.dm.post("/api/v1/scheduling/requests", body(setup), content_type=JSON).json()["id"]
    assert (
        setup.me.post(
            f"/api/v1/scheduling/requests/{rid}/confirm", {}, content_type=JSON
        ).status_code
        == 403
    )
    assert_problem(
        setup.pc.post(
            f"/api/v1/scheduling/requests/{rid}/decline", {"reason": ""}, content_type=JSON
        ),
        422,
        "reason",
    )
    declined = setup.pc.post(
        f"/api/v1/scheduling/requests/{rid}/decline",
        {"reason": "on another project"},
        content_type=JSON,
    )
    assert declined.json()["status"] == "declined"
    assert Booking.objects.count() == 0


def test_availability_check_saves_nothing(setup: Any) -> None:
    response = setup.me.post(
        "/api/v1/scheduling/availability",
        {
            "person_id": setup.pse.pk,
            "start_date": "2026-11-23",
            "end_date": "2026-11-27",
            "hours": "8",
            "per_day": True,
        },
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    review = response.json()
    thanksgiving = next(d for d in review["days"] if d["date"] == "2026-11-26")
    assert thanksgiving["holiday"] == "Thanksgiving Day"
    assert thanksgiving["requested"] == "0"
    assert review["hours"] == "32.00"
    assert review["fits"] is True
    bad = setup.me.post(
        "/api/v1/scheduling/availability",
        {
            "person_id": setup.pse.pk,
            "start_date": "2026-11-28",
            "end_date": "2026-11-29",
            "hours": "8",
        },
        content_type=JSON,
    )
    assert_problem(bad, 422, "start_date")  # a weekend: no working hours
    assert AssignmentRequest.objects.count() == 0


def test_tentative_firm_up_when_the_engagement_is_booked(setup: Any) -> None:
    deal = EngagementFactory(status=Status.PIPELINE, probability=70)
    rid = setup.dm.post(
        "/api/v1/scheduling/requests", body(setup, engagement_id=deal.pk), content_type=JSON
    ).json()["id"]
    booking = setup.pc.post(
        f"/api/v1/scheduling/requests/{rid}/confirm", {}, content_type=JSON
    ).json()
    assert (booking["firmness"], booking["probability"]) == ("tentative", 70)
    booked = setup.pc.post(
        f"/api/v1/engagements/{deal.pk}/status", {"status": "booked"}, content_type=JSON
    )
    assert booked.status_code == 200, booked.content
    assert booked.json()["bookings_not_confirmed"] == []
    after = setup.pc.get(f"/api/v1/scheduling/bookings/{booking['id']}").json()
    assert (after["firmness"], after["sequence"]) == ("confirmed", 1)
