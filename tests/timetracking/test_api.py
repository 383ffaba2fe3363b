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
from psa.timetracking import rules, services
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import CertificationStep, QuarterlyCertification, TimeEntry
from tests.helpers import (
    assert_invalid,
    assert_problem,
    assert_refused,
    pydantic_error,
    unchanged,
)
from tests.timetracking.factories import WorkItemFactory, category

pytestmark = pytest.mark.django_db
JSON = "application/json"
MONDAY = dt.date(2026, 11, 16)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)):
        yield


# Hours that do not parse are refused on their own (the detail is the message); hours that
# parse are checked with the entry's other fields (the detail lists them).
@pytest.mark.parametrize(
    ("hours", "message", "parsed"),
    [
        ("8hrs", numbers.ERR_HOURS_TEXT.format(value="8hrs"), False),
        ("eight", numbers.ERR_HOURS_TEXT.format(value="eight"), False),
        ("-2", rules.ERR_HOURS_POSITIVE, True),
        ("0", rules.ERR_HOURS_POSITIVE, True),
        ("NaN", numbers.ERR_HOURS_TEXT.format(value="NaN"), False),
        ("25", rules.ERR_HOURS_DAY.format(total="25.00"), True),
        ("25:00", rules.ERR_HOURS_DAY.format(total="25.00"), True),
        (
            "1,500",
            numbers.ERR_HOURS_AMBIGUOUS.format(value="1,500", decimal="1.5", whole="1500"),
            False,
        ),
        ("1.5.0", numbers.ERR_HOURS_TEXT.format(value="1.5.0"), False),
        ("7:75", numbers.ERR_HOURS_MINUTES.format(value="7:75"), False),
        ("", numbers.ERR_HOURS_TEXT.format(value=""), False),
    ],
)
def test_bad_hours_are_problem_json_and_nothing_is_saved(
    make_person: Callable[..., Person],
    api_as: Callable[[Person], Client],
    hours: str,
    message: str,
    parsed: bool,
) -> None:
    pse = make_person(Role.PSE)
    body = {
        "person_id": pse.pk,
        "work_item_id": WorkItemFactory.create().pk,
        "date": MONDAY.isoformat(),
        "hours": hours,
    }
    client = api_as(pse)
    with unchanged():
        response = client.post("/api/v1/time/entries", body, content_type=JSON)
    if parsed:
        assert_invalid(response, ("hours", message))
    else:
        assert_refused(response, 422, "hours", message)


def test_numbers_and_numeric_text_are_both_accepted(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    pse = make_person(Role.PSE)
    client = api_as(pse)
    item = WorkItemFactory.create()
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
        "/api/v1/time/entries",
        {"person_id": str(pse.pk), "start": "2026-11-16", "end": "2026-11-22"},
    )
    assert [e["hours"] for e in listed.json()] == ["7.50", "0.50", "1.25", "0.75"]


def test_a_short_week_submission_is_422_with_the_days(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    pse = make_person(Role.PSE)
    client = api_as(pse)
    item = WorkItemFactory.create()
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
    with unchanged():
        short = client.post(
            "/api/v1/time/timesheets",
            {"person_id": pse.pk, "week": "2026-11-18"},
            content_type=JSON,
        )
    assert_problem(
        short,
        422,
        services.ERR_SHORT_WEEK.format(logged="32.00", required="40.00", days="Fri 20 Nov 8.00 h"),
        ("hours", services.ERR_DAY_MISSING.format(date="2026-11-20", missing="8.00")),
    )
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
    with unchanged():
        again = client.post(
            "/api/v1/time/timesheets",
            {"person_id": pse.pk, "week": "2026-11-16"},
            content_type=JSON,
        )
    submitted = dt.datetime(2026, 11, 25, 9, tzinfo=dt.UTC)
    message = services.ERR_SUBMITTED_TWICE.format(week=MONDAY, at=submitted)
    assert_refused(again, 409, "week", message)


def test_someone_elses_time_is_403(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    pse, other = make_person(Role.PSE), make_person(Role.PSE)
    item = WorkItemFactory.create()
    client = api_as(other)
    with unchanged():
        response = client.post(
            "/api/v1/time/entries",
            {"person_id": pse.pk, "work_item_id": item.pk, "date": "2026-11-16", "hours": "8"},
            content_type=JSON,
        )
    assert_refused(response, 403, "person_id", services.ERR_NOT_YOUR_TIME)


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
    with unchanged():
        refused = client.post(
            "/api/v1/time/work-items", {"title": "x", "epic_id": major}, content_type=JSON
        )
    assert_invalid(refused, ("epic_id", services.ERR_MAJOR_EPIC))
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
                "work_item_id": WorkItemFactory.create().pk,
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
    pse_client, manager_client, finance_client = api_as(pse), api_as(manager), api_as(finance)
    with unchanged():
        out_of_turn = finance_client.post(
            f"/api/v1/time/certifications/{cid}/decide",
            {"step": "finance", "approve": True, "reason": "no timesheets"},
            content_type=JSON,
        )
    message = cert_services.ERR_NOT_THIS_STEP.format(
        step=CertificationStep.Step.FINANCE.label,
        status=QuarterlyCertification.Status.GENERATED.label.lower(),
    )
    assert_refused(out_of_turn, 409, "step", message)
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
    with unchanged():
        early = finance_client.post(
            f"/api/v1/time/certifications/{cid}/decide",
            {"step": "finance", "approve": True, "reason": "no timesheets", "digest": digest},
            content_type=JSON,
        )
    message = cert_services.ERR_NOT_ENDED.format(quarter="FY27 Q4", end="2027-01-31")
    assert_refused(early, 409, "step", message)
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
    with unchanged():
        locked = pse_client.patch(
            f"/api/v1/time/entries/{entry['id']}", {"hours": "6"}, content_type=JSON
        )
    message = cert_services.ERR_LOCKED.format(date="2026-11-16", quarter="FY27 Q4")
    assert_refused(locked, 409, "date", message)
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
        with unchanged():
            refused_correction = pse_client.post(
                "/api/v1/time/corrections", correction, content_type=JSON
            )
        assert_invalid(refused_correction, ("reason", cert_services.ERR_REASON))
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
    with unchanged():
        bad = manager_client.post(
            "/api/v1/time/certifications",
            {"person_id": pse.pk, "year": 2027, "quarter": 5},
            content_type=JSON,
        )
        refused = pse_client.post(
            "/api/v1/time/certifications",
            {"person_id": pse.pk, "year": 2027, "quarter": 4},
            content_type=JSON,
        )
    assert_invalid(bad, ("quarter", pydantic_error("less_than_equal", le=4)))
    assert_problem(refused, 403, cert_services.ERR_MAY_NOT_GENERATE)


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
    head_client, pse_client = api_as(head), api_as(pse)
    with unchanged():
        wrong = head_client.post(
            f"{url}/decide",
            {"step": "head", "approve": False, "reason": "x", "back_to": "head"},
            content_type=JSON,
        )
    message = cert_services.ERR_BACK_TO.format(step="Head of PS", targets="person, manager")
    assert_refused(wrong, 422, "back_to", message)
    returned = api_as(head).post(
        f"{url}/decide",
        {"step": "head", "approve": False, "reason": "PTO missing"},
        content_type=JSON,
    )
    assert returned.status_code == 200, returned.content
    assert returned.json()["status"] == "returned"
    assert returned.json()["steps"][-1]["back_to"] == "person"
    with unchanged():
        not_theirs = head_client.post(f"{url}/resubmit", content_type=JSON)
    assert_problem(not_theirs, 403, cert_services.ERR_NOT_YOURS_TO_RESUBMIT.format(name=pse.name))
    back = api_as(pse).post(f"{url}/resubmit", content_type=JSON)
    assert back.status_code == 200, back.content
    assert back.json()["status"] == "generated"
    with unchanged():
        again = pse_client.post(f"{url}/resubmit", content_type=JSON)
    message = cert_services.ERR_NOT_RETURNED.format(
        status=QuarterlyCertification.Status.GENERATED.label.lower()
    )
    assert_refused(again, 409, "status", message)


def test_deciding_when_the_certifications_epic_was_renamed_is_refused_clearly(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    """Found by the API fuzz run: an administrator renamed the Time Tracking epic, and the
    manager's certification, which is recorded on an issue under it, answered 500."""
    from psa.timetracking import selectors as time_selectors
    from psa.timetracking.certification.services import CERTIFICATION_EPIC_PURPOSE
    from psa.timetracking.models import Epic

    manager = make_person(Role.DELIVERY_MANAGER)
    pse = make_person(Role.PSE, manager=manager)
    made = api_as(manager).post(
        "/api/v1/time/certifications",
        {"person_id": pse.pk, "year": 2027, "quarter": 4},
        content_type=JSON,
    )
    Epic.objects.filter(name="Time Tracking", parent__name="PS Internal").update(name="Timesheets")
    client = api_as(manager)  # its token first: a refusal then changes nothing
    with unchanged():
        refused = client.post(
            f"/api/v1/time/certifications/{made.json()['id']}/decide",
            {"step": "manager", "approve": True, "reason": "no timesheets"},
            content_type=JSON,
        )
    message = time_selectors.ERR_EPIC_PATH.format(
        major="PS Internal", name="Time Tracking", purpose=CERTIFICATION_EPIC_PURPOSE
    )
    assert_refused(refused, 409, "epic", message)
