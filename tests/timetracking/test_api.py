"""Time API: entries, refusals as problem+json naming the field, timesheets, the timer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from psa.core import clock, numbers
from psa.core.roles import Role
from psa.people.models import Person
from psa.timetracking import rules
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import QuarterlyCertification, TimeEntry
from tests.timetracking.factories import WorkItemFactory, category

pytestmark = pytest.mark.django_db
JSON = "application/json"
MONDAY = dt.date(2026, 11, 16)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)):
        yield


def problem(response: Any, status: int, field: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert field in [e["field"] for e in body["errors"]], body
    return body


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("8hrs", numbers.ERR_HOURS_TEXT.format(value="8hrs")),
        ("eight", numbers.ERR_HOURS_TEXT.format(value="eight")),
        ("-2", rules.ERR_HOURS_POSITIVE),
        ("0", rules.ERR_HOURS_POSITIVE),
        ("NaN", numbers.ERR_HOURS_TEXT.format(value="NaN")),
        ("25", rules.ERR_HOURS_DAY.format(total="25.00")),
        ("25:00", rules.ERR_HOURS_DAY.format(total="25.00")),
        ("1,500", numbers.ERR_HOURS_AMBIGUOUS.format(value="1,500", decimal="1.5", whole="1500")),
        ("1.5.0", numbers.ERR_HOURS_TEXT.format(value="1.5.0")),
        ("7:75", numbers.ERR_HOURS_MINUTES.format(value="7:75")),
        ("", numbers.ERR_HOURS_TEXT.format(value="")),
    ],
)
def test_bad_hours_are_problem_json_and_nothing_is_saved(
    make_person: Callable[..., Person],
    api_as: Callable[[Person], Client],
    hours: str,
    message: str,
) -> None:
    pse = make_person(Role.PSE)
    body = {
        "person_id": pse.pk,
        "work_item_id": WorkItemFactory().pk,
        "date": MONDAY.isoformat(),
        "hours": hours,
    }
    answer = problem(
        api_as(pse).post("/api/v1/time/entries", body, content_type=JSON), 422, "hours"
    )
    assert answer["errors"] == [{"field": "hours", "message": message}]
    assert TimeEntry.objects.count() == 0


def test_numbers_and_numeric_text_are_both_accepted(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    pse = make_person(Role.PSE)
    client = api_as(pse)
    item = WorkItemFactory()
    for hours in (7.5, "0.5", "1,25", "0:45"):
        created = client.post(
            "/api/v1/time/entries",
            {
                "person_id": pse.pk,
                "work_item_id": item.pk,
                "date": MONDAY.isoformat(),
                "hours": hours,
            },
            content_type=JSON,
        )
        assert created.status_code == 201, created.content
    listed = client.get(
        "/api/v1/time/entries", {"person_id": pse.pk, "start": "2026-11-16", "end": "2026-11-22"}
    )
    assert [e["hours"] for e in listed.json()] == ["7.50", "0.50", "1.25", "0.75"]


def test_a_short_week_submission_is_422_with_the_days(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    pse = make_person(Role.PSE)
    client = api_as(pse)
    item = WorkItemFactory()
    for i in range(4):
        client.post(
            "/api/v1/time/entries",
            {
                "person_id": pse.pk,
                "work_item_id": item.pk,
                "date": (MONDAY + dt.timedelta(days=i)).isoformat(),
                "hours": "8",
            },
            content_type=JSON,
        )
    body = problem(
        client.post(
            "/api/v1/time/timesheets",
            {"person_id": pse.pk, "week": "2026-11-18"},
            content_type=JSON,
        ),
        422,
        "hours",
    )
    assert "2026-11-20: 8.00 h missing" in [e["message"] for e in body["errors"]]
    client.post(
        "/api/v1/time/entries",
        {"person_id": pse.pk, "work_item_id": item.pk, "date": "2026-11-20", "hours": "8"},
        content_type=JSON,
    )
    sheet = client.post(
        "/api/v1/time/timesheets", {"person_id": pse.pk, "week": "2026-11-18"}, content_type=JSON
    )
    assert sheet.status_code == 201
    assert sheet.json()["late"] is True
    problem(
        client.post(
            "/api/v1/time/timesheets",
            {"person_id": pse.pk, "week": "2026-11-16"},
            content_type=JSON,
        ),
        409,
        "week",
    )


def test_someone_elses_time_is_403(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    pse, other = make_person(Role.PSE), make_person(Role.PSE)
    response = api_as(other).post(
        "/api/v1/time/entries",
        {
            "person_id": pse.pk,
            "work_item_id": WorkItemFactory().pk,
            "date": "2026-11-16",
            "hours": "8",
        },
        content_type=JSON,
    )
    assert response.status_code == 403
    assert TimeEntry.objects.count() == 0


def test_work_items_and_epics(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    client = api_as(make_person(Role.PSE))
    tree = client.get("/api/v1/time/epics").json()
    assert [m["name"] for m in tree] == [
        "Global Company Meetings",
        "Project Work",
        "PS Internal",
        "Internal Assisted",
        "PTO/Holidays",
    ]
    major = tree[1]["id"]
    problem(
        client.post("/api/v1/time/work-items", {"title": "x", "epic_id": major}, content_type=JSON),
        422,
        "epic_id",
    )
    made = client.post(
        "/api/v1/time/work-items",
        {"title": "Kick-off", "epic_id": category("Project Work", "All project hours").pk},
        content_type=JSON,
    )
    assert made.status_code == 201
    assert made.json()["billable"] is False


def test_certification_chain_over_the_api(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER)
    pse = make_person(Role.PSE, manager=manager)
    head, finance = make_person(Role.HEAD_OF_PS), make_person(Role.FINANCE_PARTNER)
    entry = (
        api_as(pse)
        .post(
            "/api/v1/time/entries",
            {
                "person_id": pse.pk,
                "work_item_id": WorkItemFactory().pk,
                "date": "2026-11-16",
                "hours": "8",
            },
            content_type=JSON,
        )
        .json()
    )
    made = api_as(manager).post(
        "/api/v1/time/certifications",
        {"person_id": pse.pk, "year": 2027, "quarter": 4},
        content_type=JSON,
    )
    assert made.status_code == 201, made.content
    cid = made.json()["id"]
    problem(
        api_as(finance).post(
            f"/api/v1/time/certifications/{cid}/decide",
            {"step": "finance", "approve": True, "reason": "no timesheets"},
            content_type=JSON,
        ),
        409,
        "step",
    )
    digest = made.json()["digest"]
    assert (made.json()["total_hours"], made.json()["changes"]) == (
        "8.00",
        {"added": [], "changed": [], "removed": []},
    )
    for who, step in ((manager, "manager"), (head, "head")):
        r = api_as(who).post(
            f"/api/v1/time/certifications/{cid}/decide",
            {"step": step, "approve": True, "reason": "no timesheets", "digest": digest},
            content_type=JSON,
        )
        assert r.status_code == 200, r.content
    # 25 November: the quarter runs to 31 January, so finance's final approval must wait.
    early = api_as(finance).post(
        f"/api/v1/time/certifications/{cid}/decide",
        {"step": "finance", "approve": True, "reason": "no timesheets", "digest": digest},
        content_type=JSON,
    )
    assert problem(early, 409, "step")["errors"] == [
        {
            "field": "step",
            "message": cert_services.ERR_NOT_ENDED.format(quarter="FY27 Q4", end="2027-01-31"),
        }
    ]
    assert QuarterlyCertification.objects.get(pk=cid).status == "head_approved"
    with clock.frozen(dt.datetime(2027, 2, 2, 9, tzinfo=dt.UTC)):
        r = api_as(finance).post(
            f"/api/v1/time/certifications/{cid}/decide",
            {"step": "finance", "approve": True, "reason": "no timesheets", "digest": digest},
            content_type=JSON,
        )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "approved"
    assert [s["total_hours"] for s in r.json()["steps"]] == ["8.00", "8.00", "8.00"]
    assert [s["step"] for s in r.json()["steps"]] == ["manager", "head", "finance"]
    locked = api_as(pse).patch(
        f"/api/v1/time/entries/{entry['id']}", {"hours": "6"}, content_type=JSON
    )
    problem(locked, 409, "date")
    adjusted = api_as(pse).post(
        f"/api/v1/time/entries/{entry['id']}/adjust",
        {"hours": "-2", "reason": "double-counted"},
        content_type=JSON,
    )
    assert adjusted.status_code == 201, adjusted.content
    assert QuarterlyCertification.objects.get(pk=cid).status == "generated"
    # The whole chain again, then a correction "to what the day should say".
    with clock.frozen(dt.datetime(2027, 2, 2, 9, tzinfo=dt.UTC)):
        for who, step in ((manager, "manager"), (head, "head"), (finance, "finance")):
            r = api_as(who).post(
                f"/api/v1/time/certifications/{cid}/decide",
                {"step": step, "approve": True, "reason": "no timesheets"},
                content_type=JSON,
            )
            assert r.status_code == 200, r.content
        correction = {
            "person_id": pse.pk,
            "work_item_id": entry["work_item_id"],
            "date": "2026-11-16",
            "hours": "7,5",
            "reason": "",
        }
        refused_correction = api_as(pse).post(
            "/api/v1/time/corrections", correction, content_type=JSON
        )
        assert problem(refused_correction, 422, "reason")["errors"] == [
            {"field": "reason", "message": cert_services.ERR_REASON}
        ]
        assert TimeEntry.objects.count() == 2
        corrected = api_as(pse).post(
            "/api/v1/time/corrections",
            {**correction, "reason": "the review ran long"},
            content_type=JSON,
        )
        assert corrected.status_code == 201, corrected.content
        assert (corrected.json()["hours"], corrected.json()["reason"]) == (
            "1.50",
            "the review ran long",
        )
    bad = api_as(manager).post(
        "/api/v1/time/certifications",
        {"person_id": pse.pk, "year": 2027, "quarter": 5},
        content_type=JSON,
    )
    problem(bad, 422, "quarter")
    refused = api_as(pse).post(
        "/api/v1/time/certifications",
        {"person_id": pse.pk, "year": 2027, "quarter": 4},
        content_type=JSON,
    )
    assert refused.status_code == 403


def test_a_rejection_over_the_api_goes_back_to_its_owner_and_returns_by_resubmit(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER)
    pse = make_person(Role.PSE, manager=manager)
    head = make_person(Role.HEAD_OF_PS)
    cid = (
        api_as(manager)
        .post(
            "/api/v1/time/certifications",
            {"person_id": pse.pk, "year": 2027, "quarter": 4},
            content_type=JSON,
        )
        .json()["id"]
    )
    url = f"/api/v1/time/certifications/{cid}"
    ok = api_as(manager).post(
        f"{url}/decide",
        {"step": "manager", "approve": True, "reason": "no timesheets"},
        content_type=JSON,
    )
    assert ok.status_code == 200, ok.content
    wrong = api_as(head).post(
        f"{url}/decide",
        {"step": "head", "approve": False, "reason": "x", "back_to": "head"},
        content_type=JSON,
    )
    assert problem(wrong, 422, "back_to")["errors"] == [
        {
            "field": "back_to",
            "message": cert_services.ERR_BACK_TO.format(
                step="Head of PS", targets="person, manager"
            ),
        }
    ]
    assert QuarterlyCertification.objects.get(pk=cid).status == "manager_certified"
    returned = api_as(head).post(
        f"{url}/decide",
        {"step": "head", "approve": False, "reason": "PTO missing"},
        content_type=JSON,
    )
    assert returned.status_code == 200, returned.content
    assert returned.json()["status"] == "returned"
    assert returned.json()["steps"][-1]["back_to"] == "person"
    not_theirs = api_as(head).post(f"{url}/resubmit", content_type=JSON)
    assert not_theirs.status_code == 403
    assert not_theirs.json()["detail"] == cert_services.ERR_NOT_YOURS_TO_RESUBMIT.format(
        name=pse.name
    )
    back = api_as(pse).post(f"{url}/resubmit", content_type=JSON)
    assert back.status_code == 200, back.content
    assert back.json()["status"] == "generated"
    again = api_as(pse).post(f"{url}/resubmit", content_type=JSON)
    problem(again, 409, "status")
