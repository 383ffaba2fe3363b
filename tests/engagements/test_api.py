"""Engagements API: create with milestones, lifecycle, comments; refusals as problem+json."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from psa.core.roles import Role
from psa.engagements import rules, services
from psa.engagements.models import Customer, Milestone
from psa.people.models import Person
from tests.engagements.factories import CustomerFactory, EngagementFactory
from tests.helpers import (
    assert_invalid,
    assert_problem,
    assert_refused,
    pydantic_error,
    unchanged,
)

pytestmark = pytest.mark.django_db
JSON = "application/json"
NOT_A_DECIMAL = pydantic_error("decimal_parsing")


@pytest.fixture
def pc_client(make_person: Callable[..., Person], api_as: Callable[[Person], Client]) -> Client:
    return api_as(make_person(Role.PROJECT_COORDINATOR))


def body(customer: Customer, **kw: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer_id": customer.pk,
        "name": "Migration",
        "kind": "custom_sow",
        "contract_value": "86000.00",
        "budget_hours": "480",
        "start_date": "2026-12-01",
        "end_date": "2027-03-01",
    }
    data.update(kw)
    return data


def test_create_custom_sow_with_milestones_and_walk_it_to_complete(pc_client: Client) -> None:
    customer = CustomerFactory.create()
    milestones = [
        {"name": "Design", "weight": "40"},
        {"name": "Build", "weight": "30"},
        {"name": "Handover", "weight": "30"},
    ]
    created = pc_client.post(
        "/api/v1/engagements", body(customer, milestones=milestones), content_type=JSON
    )
    assert created.status_code == 201, created.content
    e = created.json()
    assert [m["weight"] for m in e["milestones"]] == ["40.00", "30.00", "30.00"]
    assert e["percent_complete"] == "0"
    assert e["customer_name"] == customer.name
    reached = pc_client.post(
        f"/api/v1/engagements/milestones/{e['milestones'][0]['id']}/reached",
        {"reached_on": "2026-12-15"},
        content_type=JSON,
    )
    assert reached.status_code == 200
    assert pc_client.get(f"/api/v1/engagements/{e['id']}").json()["percent_complete"] == "40.00"
    for status in ("booked", "active", "complete"):
        r = pc_client.post(
            f"/api/v1/engagements/{e['id']}/status", {"status": status}, content_type=JSON
        )
        assert r.status_code == 200, r.content
    assert r.json()["status"] == "complete"


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"milestones": [{"name": "a", "weight": "50"}, {"name": "b", "weight": "40"}]},
            "milestones",
            rules.ERR_MILESTONE_SUM.format(total="90"),
        ),
        ({"kind": "retainer"}, "kind", services.ERR_KIND),
        ({"contract_value": "-1"}, "contract_value", services.ERR_AMOUNT),
        ({"contract_value": "lots"}, "contract_value", NOT_A_DECIMAL),
        ({"budget_hours": "8hrs"}, "budget_hours", NOT_A_DECIMAL),
        (
            {"customer_id": 999999},
            "customer_id",
            services.ERR_CUSTOMER_MISSING.format(value=999999),
        ),
        ({"end_date": "2026-11-01"}, "end_date", services.ERR_END_BEFORE_START),
        ({"kind": "embedded_engineer"}, "bill_rate", services.ERR_BILL_RATE),
        ({"probability": 150}, "probability", services.ERR_PROBABILITY),
        ({"currency": "XYZ"}, "currency", services.ERR_CURRENCY.format(value="XYZ")),
    ],
)
def test_bad_engagement_input_is_422_and_nothing_is_written(
    pc_client: Client, change: dict[str, Any], field: str, message: str
) -> None:
    customer = CustomerFactory.create()
    with unchanged():
        response = pc_client.post(
            "/api/v1/engagements", body(customer, **change), content_type=JSON
        )
    assert_invalid(response, (field, message))


def test_illegal_status_change_is_409(pc_client: Client) -> None:
    engagement = EngagementFactory.create()
    with unchanged():
        response = pc_client.post(
            f"/api/v1/engagements/{engagement.pk}/status", {"status": "complete"}, content_type=JSON
        )
    message = rules.ERR_TRANSITION.format(
        current="pipeline", target="complete", allowed="booked, cancelled"
    )
    assert_refused(response, 409, "status", message)


def test_replace_milestones(pc_client: Client) -> None:
    created = pc_client.post(
        "/api/v1/engagements", body(CustomerFactory.create()), content_type=JSON
    )
    eid = created.json()["id"]
    with unchanged():
        bad = pc_client.put(
            f"/api/v1/engagements/{eid}/milestones",
            [{"name": "x", "weight": "10"}],
            content_type=JSON,
        )
    assert_invalid(bad, ("milestones", rules.ERR_MILESTONE_SUM.format(total="10")))
    assert Milestone.objects.filter(engagement_id=eid).count() == 4
    good = pc_client.put(
        f"/api/v1/engagements/{eid}/milestones",
        [{"name": "x", "weight": "60"}, {"name": "y", "weight": "40"}],
        content_type=JSON,
    )
    assert [m["name"] for m in good.json()] == ["x", "y"]


def test_pse_may_read_and_comment_but_not_change(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    engagement = EngagementFactory.create()
    client = api_as(make_person(Role.PSE))
    assert client.get(f"/api/v1/engagements/{engagement.pk}").status_code == 200
    with unchanged():
        refused = client.patch(
            f"/api/v1/engagements/{engagement.pk}", {"name": "Mine"}, content_type=JSON
        )
    assert_problem(refused, 403, services.ERR_MAY_NOT_EDIT)
    comment = client.post(
        f"/api/v1/engagements/{engagement.pk}/comments",
        {"body": "@pc please book me 3 days"},
        content_type=JSON,
    )
    assert comment.status_code == 201
    thread = client.get(f"/api/v1/engagements/{engagement.pk}/comments").json()
    assert [c["body"] for c in thread] == ["@pc please book me 3 days"]


def test_list_filters_by_status_and_search(pc_client: Client) -> None:
    acme = CustomerFactory.create(name="Acme")
    EngagementFactory.create(customer=acme, name="Alpha", status="active")
    EngagementFactory.create(name="Beta", status="pipeline")
    EngagementFactory.create(name="Gamma", status="booked")
    names = {
        e["name"]
        for e in pc_client.get("/api/v1/engagements", {"status": "active,booked"}).json()["items"]
    }
    assert names == {"Alpha", "Gamma"}
    found = pc_client.get("/api/v1/engagements", {"search": "acme"}).json()["items"]
    assert [e["name"] for e in found] == ["Alpha"]


def test_customers_crud_and_duplicates(pc_client: Client) -> None:
    created = pc_client.post("/api/v1/customers", {"name": "Initech"}, content_type=JSON)
    assert created.status_code == 201
    with unchanged():
        dup = pc_client.post("/api/v1/customers", {"name": "initech"}, content_type=JSON)
    assert_refused(dup, 422, "name", services.ERR_CUSTOMER_TAKEN)
    renamed = pc_client.patch(
        f"/api/v1/customers/{created.json()['id']}", {"name": "Initrode"}, content_type=JSON
    )
    assert renamed.json()["name"] == "Initrode"


def test_audit_api_shows_the_history_of_a_record(
    pc_client: Client, make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    engagement = EngagementFactory.create()
    pc_client.post(
        f"/api/v1/engagements/{engagement.pk}/status",
        {"status": "booked", "reason": "SOW signed"},
        content_type=JSON,
    )
    history = (
        api_as(make_person(Role.HEAD_OF_PS))
        .get(
            "/api/v1/audit",
            {"target_type": "engagements.engagement", "target_id": str(engagement.pk)},
        )
        .json()
    )
    assert history[0]["action"] == "engagement.status"
    assert history[0]["reason"] == "SOW signed"
    assert history[0]["before"] == {"status": "pipeline"}
