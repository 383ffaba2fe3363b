"""A form says every problem in one submit: its own checks and the service's, together (the
person form, the request form, the internal-time form); nothing is written."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from psa.core.roles import Role
from psa.engagements.models import Status
from psa.people import services as people_services
from psa.people.models import Person
from psa.scheduling import services
from tests.engagements.factories import EngagementFactory
from tests.helpers import unchanged
from tests.people.test_views import person_data
from tests.scheduling.test_views import day, internal_data, request_data

pytestmark = pytest.mark.django_db
REQUIRED = "This field is required."


def errors_of(response: object) -> dict[str, list[str]]:
    form = response.context["form"]  # type: ignore[attr-defined]
    return {k: list(v) for k, v in form.errors.items()}


def test_the_person_form_says_a_missing_name_a_taken_e_mail_and_a_taken_login_at_once(
    make_person: Callable[..., Person], client_for: Callable[[Person], Client]
) -> None:
    head = make_person(Role.HEAD_OF_PS, email="taken@example.com")
    assert head.user is not None
    client = client_for(head)
    client.get("/people/new/")  # the first page read starts the people cache's generation
    with unchanged():
        response = client.post(
            "/people/new/",
            person_data(
                name="",
                email="taken@example.com",
                username=head.user.username,
                end_date="2025-01-01",
            ),
        )
    assert response.status_code == 422
    assert errors_of(response) == {
        "name": [REQUIRED],
        "email": [people_services.ERR_EMAIL_TAKEN],
        "username": [people_services.ERR_USERNAME_TAKEN],
        "end_date": [people_services.ERR_END_BEFORE_START],
    }


def test_the_request_form_says_a_missing_engagement_and_bad_dates_and_hours_at_once(
    make_person: Callable[..., Person], client_for: Callable[[Person], Client]
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER)
    alex = make_person(Role.PSE)
    engagement = EngagementFactory.create(status=Status.ACTIVE)
    data = request_data(
        engagement, alex, end_date=day(-3).isoformat(), start_date=day(1).isoformat(), hours="0"
    )
    data["engagement_id"] = ""
    client = client_for(manager)
    client.get("/schedule/requests/new/")
    with unchanged():
        response = client.post("/schedule/requests/new/", data)
    assert response.status_code == 422
    errors = errors_of(response)
    assert errors["engagement_id"] == [REQUIRED]
    assert errors["end_date"] == [services.ERR_END_BEFORE_START]
    assert errors["hours"] == [services.ERR_HOURS]


def test_the_internal_time_form_says_a_missing_category_and_bad_dates_at_once(
    make_person: Callable[..., Person], client_for: Callable[[Person], Client]
) -> None:
    me = make_person(Role.PSE)
    client = client_for(me)
    client.get("/schedule/me/")
    with unchanged():
        response = client.post(
            "/schedule/me/internal/",
            internal_data(
                **{
                    "internal-category_id": "",
                    "internal-end_date": day(1).isoformat(),
                    "internal-start_date": day(5).isoformat(),
                }
            ),
        )
    assert response.status_code == 422
    form = response.context["internal_form"]
    assert {k: list(v) for k, v in form.errors.items()} == {
        "category_id": ["choose the category this internal time is for"],
        "end_date": [services.ERR_END_BEFORE_START],
    }
