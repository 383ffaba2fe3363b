"""Planned internal time with its category: booked by scheduling, its category kept by time
tracking, and "fill my week" logs it on the category's standing work item."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from psa.core import clock
from psa.core.errors import Conflict, FieldError, ValidationFailed
from psa.core.models import AuditEntry
from psa.core.roles import SYSTEM, Actor, Role
from psa.people.models import Person
from psa.scheduling import services as scheduling
from psa.scheduling.models import Booking
from psa.timetracking import flows, rules, selectors, services
from psa.timetracking.models import InternalTimeCategory, WorkItem
from tests.helpers import field_error, unchanged
from tests.timetracking.factories import category

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
WEEK = dt.date(2026, 12, 7)


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def pse(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.PSE, name="Yuki")


def plan(actor: Actor, person: Person, epic: Any, **kw: Any) -> Booking:
    fields: dict[str, Any] = {
        "task_name": "CI templates",
        "start_date": WEEK,
        "end_date": WEEK + dt.timedelta(days=1),
        "hours": D("2"),
        "per_day": True,
    }
    fields.update(kw)
    return flows.internal_time_plan(actor=actor, person=person, category=epic, **fields)


def test_internal_time_is_planned_under_its_category_and_filled_onto_it(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    practice = category("Internal Assisted", "Practice Development")
    booking = plan(actor_of(pse), pse, practice, task_name="CI templates for the workshop")
    assert InternalTimeCategory.objects.get(booking=booking).epic == practice
    assert AuditEntry.objects.filter(action="internal.category").get().after == {
        "category": "Internal Assisted / Practice Development"
    }
    standing = WorkItem.objects.get(standing=True, epic=practice)
    suggestions = selectors.week_from_schedule(person=pse, week=WEEK)
    assert [(s.date, s.hours, s.work_item) for s in suggestions] == [
        (WEEK, D("2.00"), standing),
        (WEEK + dt.timedelta(days=1), D("2.00"), standing),
    ]
    # The task name says nothing about the category: the category decides.
    assert "Practice" not in booking.task_name


@pytest.mark.parametrize(
    ("epic", "message"),
    [
        (None, rules.ERR_INTERNAL_CATEGORY),
        ("major", rules.ERR_INTERNAL_CATEGORY),
        (
            ("Project Work", "All project hours"),
            rules.ERR_NOT_INTERNAL_CATEGORY.format(name="Project Work / All project hours"),
        ),
        (
            ("PS Internal", "Time Tracking"),
            rules.ERR_NOT_INTERNAL_CATEGORY.format(name="PS Internal / Time Tracking"),
        ),
    ],
)
def test_internal_time_needs_an_internal_category_and_books_nothing_without_one(
    pse: Person, actor_of: Callable[[Person], Actor], epic: Any, message: str
) -> None:
    if epic == "major":
        chosen = category("Internal Assisted", "Mentoring").parent
    elif epic is not None:
        chosen = category(*epic)
    else:
        chosen = None
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        plan(actor_of(pse), pse, chosen)
    assert exc.value.errors == [FieldError("category_id", message)]


def test_every_input_error_is_reported_at_once(
    pse: Person, actor_of: Callable[[Person], Actor]
) -> None:
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        plan(actor_of(pse), pse, None, task_name="  ", hours=D("0"))
    assert exc.value.errors == [
        FieldError("category_id", rules.ERR_INTERNAL_CATEGORY),
        FieldError("hours", scheduling.ERR_HOURS),
        FieldError("task_name", scheduling.ERR_TASK_NAME),
    ]


def test_a_category_with_planned_internal_time_is_not_removed(
    pse: Person, actor_of: Callable[[Person], Actor], make_person: Callable[..., Person]
) -> None:
    admin = make_person(Role.PSE, user__is_superuser=True)
    mentoring = category("Internal Assisted", "Mentoring")
    plan(actor_of(pse), pse, mentoring)
    with unchanged(), pytest.raises(Conflict) as exc:
        services.epic_delete(actor=actor_of(admin), epic=mentoring)
    assert exc.value.message == services.ERR_EPIC_IN_USE.format(
        name="Mentoring", what="planned internal time"
    )


def test_internal_time_without_a_category_still_fills_by_its_name(pse: Person) -> None:
    # Imported from the schedule spreadsheet, which has task names only.
    scheduling.internal_time_create(
        actor=SYSTEM,
        person=pse,
        task_name="Mentoring",
        start_date=WEEK,
        end_date=WEEK,
        hours=D("1"),
    )
    [suggestion] = selectors.week_from_schedule(person=pse, week=WEEK)
    assert suggestion.work_item == WorkItem.objects.get(standing=True, epic__name="Mentoring")


def test_the_schedule_page_plans_internal_time_under_a_category(pse: Person) -> None:
    client = Client()
    assert pse.user is not None
    client.force_login(pse.user)
    page = client.get("/schedule/me/").content.decode()
    enablement = category("PS Internal", "Personal Enablement")
    assert f'<option value="{enablement.pk}">Personal Enablement</option>' in page
    project = category("Project Work", "All project hours")
    assert f'<option value="{project.pk}">' not in page
    data = {
        "internal-task_name": "Kubernetes course",
        "internal-start_date": WEEK.isoformat(),
        "internal-end_date": WEEK.isoformat(),
        "internal-hours": "4",
    }

    with unchanged():
        refused = client.post("/schedule/me/internal/", data)

    assert refused.status_code == 422
    html = refused.content.decode()
    assert field_error("id_internal-category_id", rules.ERR_INTERNAL_CATEGORY) in html
    done = client.post(
        "/schedule/me/internal/", {**data, "internal-category_id": str(enablement.pk)}
    )
    assert done.status_code == 302
    assert InternalTimeCategory.objects.get().epic == enablement
    page = client.get("/schedule/me/").content.decode()
    assert "PS Internal / Personal Enablement" in page
