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
from psa.engagements import selectors as engagements
from psa.engagements.models import Status
from psa.people import selectors as people
from psa.people.models import Person
from psa.scheduling import services
from psa.scheduling.models import AssignmentRequest
from tests.engagements.factories import EngagementFactory
from tests.helpers import (
    assert_invalid,
    assert_problem,
    assert_refused,
    pydantic_error,
    unchanged,
)
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
        engagement = EngagementFactory.create(status=Status.ACTIVE)

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
    with unchanged():
        refused = setup.pc.post(f"/api/v1/scheduling/requests/{rid}/confirm", {}, content_type=JSON)
    day = services.ERR_SHORTFALL.format(date="2026-12-09", requested="8.00", free="0.00")
    assert_problem(
        refused,
        409,
        services.ERR_DOES_NOT_FIT.format(details=day),
        ("hours", services.ERR_SHORT.format(date="2026-12-09", short="8.00")),
    )
    picked = setup.pc.post(
        f"/api/v1/scheduling/requests/{rid}/confirm",
        {"proposal": windows[0]["key"]},
        content_type=JSON,
    )
    assert picked.status_code == 200, picked.content
    assert picked.json()["start_date"] == windows[0]["start"]


OVER_CAPACITY = services.ERR_OVER_CAPACITY.format(
    hours="12.00", date="2026-12-08", name="Alex", capacity="8.00"
)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"end_date": "2026-12-01"}, "end_date", services.ERR_END_BEFORE_START),
        ({"hours": "0"}, "hours", services.ERR_HOURS),
        ({"hours": "8 hrs"}, "hours", pydantic_error("decimal_parsing")),
        ({"hours": "12", "per_day": True}, "hours", OVER_CAPACITY),
        (
            {"start_date": "2029-01-01", "end_date": "2029-01-03"},
            "end_date",
            services.ERR_TOO_FAR.format(limit="2028-11-25"),
        ),
        ({"action": "change"}, "booking_id", services.ERR_BOOKING_NEEDED),
    ],
)
def test_bad_requests_get_problem_json_and_nothing_is_saved(
    setup: Any, change: dict[str, Any], field: str, message: str
) -> None:
    with unchanged():
        response = setup.dm.post(
            "/api/v1/scheduling/requests", body(setup, **change), content_type=JSON
        )
    assert_invalid(response, (field, message))


@pytest.mark.parametrize(
    ("field", "missing"),
    [("engagement_id", engagements.ERR_NO_ENGAGEMENT), ("person_id", people.ERR_NO_PERSON)],
)
def test_a_request_for_what_does_not_exist_is_404(setup: Any, field: str, missing: str) -> None:
    with unchanged():
        response = setup.dm.post(
            "/api/v1/scheduling/requests", body(setup, **{field: 999999}), content_type=JSON
        )
    assert_refused(response, 404, field, missing.format(id=999999))


def test_request_on_a_cancelled_engagement_is_409(setup: Any) -> None:
    setup.engagement.status = Status.CANCELLED
    setup.engagement.save()
    with unchanged():
        response = setup.dm.post("/api/v1/scheduling/requests", body(setup), content_type=JSON)
    message = services.ERR_ENGAGEMENT_FINISHED.format(status="cancelled")
    assert_refused(response, 409, "engagement_id", message)


def test_duplicate_open_request_is_409(setup: Any) -> None:
    first = setup.dm.post("/api/v1/scheduling/requests", body(setup), content_type=JSON)
    assert first.status_code == 201
    with unchanged():
        again = setup.dm.post("/api/v1/scheduling/requests", body(setup), content_type=JSON)
    message = services.ERR_DUPLICATE.format(id=first.json()["id"])
    assert_refused(again, 409, "start_date", message)
    assert AssignmentRequest.objects.count() == 1


def test_a_pse_cannot_confirm_and_decline_needs_a_reason(setup: Any) -> None:
    rid = setup.dm.post("/api/v1/scheduling/requests", body(setup), content_type=JSON).json()["id"]
    with unchanged():
        confirmed = setup.me.post(
            f"/api/v1/scheduling/requests/{rid}/confirm", {}, content_type=JSON
        )
        no_reason = setup.pc.post(
            f"/api/v1/scheduling/requests/{rid}/decline", {"reason": ""}, content_type=JSON
        )
    assert_problem(confirmed, 403, services.ERR_MAY_NOT_DECIDE)
    assert_invalid(no_reason, ("reason", pydantic_error("string_too_short", min_length=1)))
    declined = setup.pc.post(
        f"/api/v1/scheduling/requests/{rid}/decline",
        {"reason": "on another project"},
        content_type=JSON,
    )
    assert declined.json()["status"] == "declined"


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
    with unchanged():
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
    # A weekend: no working hours.
    message = services.ERR_NO_WORKING_DAYS.format(name="Alex")
    assert_refused(bad, 422, "start_date", message)


def test_tentative_firm_up_when_the_engagement_is_booked(setup: Any) -> None:
    deal = EngagementFactory.create(status=Status.PIPELINE, probability=70)
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
