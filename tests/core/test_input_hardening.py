"""No 500 on any input: each bad input gets problem+json naming what is wrong, and nothing
changes. Runs on SQLite and PostgreSQL (which refuses NUL in text and overflows numeric
columns where SQLite would store anything)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from psa.core import clock
from psa.core.api import ERR_METHOD, ERR_MULTIPART, ERR_TOKEN, ERR_UNKNOWN_PATH
from psa.core.models import AuditEntry
from psa.core.numbers import ERR_HOURS_TEXT, ERR_HOURS_TOO_BIG, HOURS_LIMIT
from psa.core.roles import Role
from psa.core.schemas import (
    ERR_LINE_CHARACTER,
    ERR_NOT_AN_OBJECT,
    ERR_TEXT_CHARACTER,
)
from psa.engagements.models import Comment, Engagement, Status
from psa.people.models import Person, TimeOff
from psa.scheduling.models import Booking, BookingDay
from psa.scheduling.rules import ERR_DAY_LIMIT
from psa.timetracking.models import Label, TimeEntry, Timer, WorkItem
from psa.timetracking.rules import ERR_HOURS_DAY, ERR_HOURS_POSITIVE
from tests.engagements.factories import EngagementFactory
from tests.helpers import pydantic_error
from tests.timetracking.factories import WorkItemFactory, category

pytestmark = pytest.mark.django_db
JSON = "application/json"
PROBLEM = "application/problem+json"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
NUL_AT_3 = ERR_LINE_CHARACTER.format(char="U+0000", position=3)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def head(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.HEAD_OF_PS)


def state() -> tuple[int, ...]:
    """Counts of what a refused request could have written (the test client's own token is
    audited when it is made, so token rows are left out)."""
    audit = AuditEntry.objects.exclude(action__startswith="token.").count()
    models = (
        Person,
        TimeOff,
        Engagement,
        Comment,
        Booking,
        BookingDay,
        WorkItem,
        Label,
        TimeEntry,
        Timer,
    )
    return (audit, *(m.objects.count() for m in models))


def problem_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def errors_of(response: Any, status: int = 422) -> dict[str, str]:
    return {e["field"]: e["message"] for e in problem_of(response, status)["errors"]}


# ------------------------------------------------------------------ every error is problem+json


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing", "/api/v1/people/", "/api", "/api/v2/x"])
def test_an_unknown_api_path_is_404_problem_json(head: Person, api_as: Any, path: str) -> None:
    response = api_as(head).post(path, {}, content_type=JSON)
    assert problem_of(response, 404)["detail"] == ERR_UNKNOWN_PATH.format(path=path)


def test_a_method_not_allowed_is_405_problem_json_with_allow(head: Person, api_as: Any) -> None:
    person = head
    response = api_as(head).put(f"/api/v1/people/{person.pk}", {}, content_type=JSON)
    body = problem_of(response, 405)
    assert sorted(response["Allow"].split(", ")) == ["GET", "PATCH"]
    assert body["detail"] == ERR_METHOD.format(method="PUT", allowed=response["Allow"])


def test_a_write_without_credentials_is_401_not_a_csrf_403(db: None) -> None:
    response = Client().post("/api/v1/customers", {"name": "X"}, content_type=JSON)
    assert errors_of(response, 401) == {"Authorization": ERR_TOKEN}


# ------------------------------------------------------------------ query strings


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/people?page=1000000000000000000", "page"),
        ("/api/v1/people?page_size=100000", "page_size"),
        ("/api/v1/scheduling/bookings?page=1000000000000000000", "page"),
        ("/api/v1/customers?page=1000001", "page"),
        ("/api/v1/engagements?page=0", "page"),
    ],
)
def test_a_page_past_the_bounds_is_422(head: Person, api_as: Any, path: str, field: str) -> None:
    assert field in errors_of(api_as(head).get(path))


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/people?search=abc%00",
        "/api/v1/customers?search=abc%00",
        "/api/v1/engagements?search=abc%00",
        "/api/v1/time/work-items?search=abc%00",
        "/api/v1/audit?action=abc%00",
    ],
)
def test_a_nul_in_a_search_is_422(head: Person, api_as: Any, path: str) -> None:
    field = path.split("?")[1].split("=")[0]
    assert errors_of(api_as(head).get(path)) == {field: NUL_AT_3}


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/v1/people/{me}/capacity?start=9999-12-30&end=9999-12-31", "start"),
        ("/api/v1/time/reports/{me}?year=99999", "year"),
        ("/api/v1/time/reports/{me}?quarter=5", "quarter"),
        ("/api/v1/scheduling/bookings?person_id=99999999999999999999", "person_id"),
        ("/api/v1/scheduling/review?start=0001-01-01", "start"),
    ],
)
def test_numbers_and_dates_past_their_bounds_are_422(
    head: Person, api_as: Any, path: str, field: str
) -> None:
    assert field in errors_of(api_as(head).get(path.format(me=head.pk)))


# ------------------------------------------------------------------ bodies


@pytest.mark.parametrize("body", ['"abc"', "[1]", "42", "null"])
def test_a_body_that_is_not_a_json_object_is_422(head: Person, api_as: Any, body: str) -> None:
    before = state()
    response = api_as(head).post("/api/v1/time/gitlab/sync", body, content_type=JSON)
    assert errors_of(response) == {"body": ERR_NOT_AN_OBJECT}
    assert state() == before


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [("multipart/form-data", "None"), ("multipart/form-data; boundary=", "")],
)
def test_multipart_without_a_boundary_is_400(
    make_person: Callable[..., Person], api_as: Any, content_type: str, boundary: str
) -> None:
    # Found by the fuzz run: Django's parser raises on it, which was a 500.
    client = api_as(make_person(Role.PROJECT_COORDINATOR))
    before = state()
    response = client.post("/api/v1/scheduling/imports", b"x", content_type=content_type)
    # The reason is Django's own (MultiPartParserError).
    reason = f"Invalid boundary in multipart: {boundary}"
    assert problem_of(response, 400)["detail"] == ERR_MULTIPART.format(reason=reason)
    assert response.json()["errors"] == []
    assert state() == before


def test_unreadable_json_is_400(head: Person, api_as: Any) -> None:
    before = state()
    response = api_as(head).post("/api/v1/customers", "{", content_type=JSON)
    assert problem_of(response, 400)["detail"] == "Cannot parse request body"
    assert state() == before


@pytest.mark.parametrize(
    ("path", "body", "field", "message"),
    [
        ("/api/v1/customers", {"name": "Acm\x00e"}, "name", NUL_AT_3),
        ("/api/v1/customers", {"name": "Acm\x07e"}, "name", "U+0007"),
        ("/api/v1/customers", {"name": "Acm\ne"}, "name", "U+000A"),
        ("/api/v1/customers", {"name": "x" * 201}, "name", "at most 200 characters"),
        ("/api/v1/customers", {"name": "A", "crm_account_id": "x" * 65}, "crm_account_id", "64"),
        ("/api/v1/people", {"name": "Ad\x00a"}, "name", "U+0000"),
        ("/api/v1/time/epics", {"name": "Ep\x00ic"}, "name", "U+0000"),
    ],
)
def test_bad_strings_in_a_body_are_422_and_nothing_changes(
    head: Person, api_as: Any, path: str, body: dict[str, Any], field: str, message: str
) -> None:
    before = state()
    errors = errors_of(api_as(head).post(path, body, content_type=JSON))
    assert message in errors[field]
    assert state() == before


def test_the_control_character_message_is_exact(head: Person, api_as: Any) -> None:
    response = api_as(head).post("/api/v1/customers", {"name": "Acm\x00e"}, content_type=JSON)
    assert errors_of(response) == {"name": NUL_AT_3}


def test_a_long_engagement_field_is_422_and_nothing_changes(head: Person, api_as: Any) -> None:
    engagement = EngagementFactory.create()
    before = (state(), Engagement.objects.get(pk=engagement.pk).sow_reference)
    response = api_as(head).patch(
        f"/api/v1/engagements/{engagement.pk}", {"sow_reference": "S" * 65}, content_type=JSON
    )
    assert errors_of(response) == {
        "sow_reference": pydantic_error("string_too_long", max_length=64)
    }
    assert (state(), Engagement.objects.get(pk=engagement.pk).sow_reference) == before


def test_a_nul_in_a_comment_is_422_and_a_tab_and_newline_are_kept(
    head: Person, api_as: Any
) -> None:
    engagement = EngagementFactory.create()
    client = api_as(head)
    url = f"/api/v1/engagements/{engagement.pk}/comments"
    before = state()
    refused = client.post(url, {"body": "one\x00two"}, content_type=JSON)
    assert errors_of(refused) == {"body": ERR_TEXT_CHARACTER.format(char="U+0000", position=3)}
    assert state() == before
    kept = client.post(url, {"body": "one\n\ttwo"}, content_type=JSON)
    assert kept.status_code == 201
    assert kept.json()["body"] == "one\n\ttwo"


def test_a_nul_in_a_status_reason_is_422(head: Person, api_as: Any) -> None:
    engagement = EngagementFactory.create(status=Status.PIPELINE)
    before = state()
    response = api_as(head).post(
        f"/api/v1/engagements/{engagement.pk}/status",
        {"status": "booked", "reason": "signed\x00"},
        content_type=JSON,
    )
    assert errors_of(response) == {"reason": ERR_TEXT_CHARACTER.format(char="U+0000", position=6)}
    assert state() == before
    assert Engagement.objects.get(pk=engagement.pk).status == Status.PIPELINE


@pytest.mark.parametrize("field", ["roles", "skills", "name", "country", "working_days"])
def test_null_on_a_person_field_that_cannot_be_empty_is_422(
    head: Person, make_person: Callable[..., Person], api_as: Any, field: str
) -> None:
    person = make_person(Role.PSE, country="US")
    before = state()
    response = api_as(head).patch(f"/api/v1/people/{person.pk}", {field: None}, content_type=JSON)
    assert field in errors_of(response)
    assert state() == before


@pytest.mark.parametrize("field", ["name", "kind", "probability", "customer_id"])
def test_null_on_an_engagement_field_that_cannot_be_empty_is_422(
    head: Person, api_as: Any, field: str
) -> None:
    engagement = EngagementFactory.create()
    before = state()
    response = api_as(head).patch(
        f"/api/v1/engagements/{engagement.pk}", {field: None}, content_type=JSON
    )
    assert field in errors_of(response)
    assert state() == before


# ------------------------------------------------------------------ hours


@pytest.fixture
def pse(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.PSE, start_date=dt.date(2026, 1, 5), timezone="UTC")


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        (1e27, ERR_HOURS_TOO_BIG.format(value="1E+27", limit=HOURS_LIMIT)),
        ("1e27", ERR_HOURS_TEXT.format(value="1e27")),
        (-5000, ERR_HOURS_POSITIVE),
        (50000, ERR_HOURS_DAY.format(total="50000.00")),
    ],
)
def test_huge_hours_on_a_time_entry_are_422_and_nothing_changes(
    pse: Person, api_as: Any, hours: Any, message: str
) -> None:
    item = WorkItemFactory.create()
    before = state()
    response = api_as(pse).post(
        "/api/v1/time/entries",
        {"person_id": pse.pk, "work_item_id": item.pk, "date": "2026-11-24", "hours": hours},
        content_type=JSON,
    )
    assert errors_of(response) == {"hours": message}
    assert state() == before


def test_a_nul_in_a_timer_note_is_422(pse: Person, api_as: Any) -> None:
    item = WorkItemFactory.create()
    before = state()
    response = api_as(pse).post(
        "/api/v1/time/timer/start",
        {"person_id": pse.pk, "work_item_id": item.pk, "note": "a\x00"},
        content_type=JSON,
    )
    assert errors_of(response) == {"note": ERR_TEXT_CHARACTER.format(char="U+0000", position=1)}
    assert state() == before


@pytest.mark.parametrize(
    ("hours", "field", "message"),
    [
        (
            "1500",
            "hours",
            ERR_DAY_LIMIT.format(hours="1500.00", date="2026-12-01"),
        ),
        ("1e27", "hours", None),
        ("NaN", "hours", None),
        ("1.234", "hours", None),
    ],
)
def test_internal_time_past_a_day_is_refused_even_with_an_override(
    pse: Person, api_as: Any, hours: str, field: str, message: str | None
) -> None:
    before = state()
    response = api_as(pse).post(
        "/api/v1/scheduling/internal",
        {
            "person_id": pse.pk,
            "category_id": category("PS Internal", "Personal Enablement").pk,
            "task_name": "Enablement",
            "start_date": "2026-12-01",
            "end_date": "2026-12-01",
            "hours": hours,
            "override_reason": "crunch",
        },
        content_type=JSON,
    )
    errors = errors_of(response)
    assert field in errors
    if message is not None:
        assert errors[field] == message
    assert state() == before


def test_a_control_character_in_a_task_name_is_422(pse: Person, api_as: Any) -> None:
    before = state()
    response = api_as(pse).post(
        "/api/v1/scheduling/internal",
        {
            "person_id": pse.pk,
            "category_id": category("PS Internal", "Personal Enablement").pk,
            "task_name": "Lab\x01prep",
            "start_date": "2026-12-01",
            "end_date": "2026-12-01",
            "hours": "2",
        },
        content_type=JSON,
    )
    assert errors_of(response) == {
        "task_name": ERR_LINE_CHARACTER.format(char="U+0001", position=3)
    }
    assert state() == before


def test_a_control_character_in_a_work_item_title_is_422(head: Person, api_as: Any) -> None:
    epic = WorkItemFactory.build().epic
    before = state()
    response = api_as(head).post(
        "/api/v1/time/work-items",
        {"title": "Fix\x0bit", "epic_id": epic.pk, "labels": ["x" * 101]},
        content_type=JSON,
    )
    assert errors_of(response) == {
        "title": ERR_LINE_CHARACTER.format(char="U+000B", position=3),
        "labels.0": pydantic_error("string_too_long", max_length=100),
    }
    assert state() == before


@pytest.mark.parametrize("token", ["psa_\x00abc_def", "psa_" + "a" * 300 + "_x"])
def test_a_malformed_token_is_401(db: None, token: str) -> None:
    response = Client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/people")
    assert errors_of(response, 401) == {"Authorization": ERR_TOKEN}
