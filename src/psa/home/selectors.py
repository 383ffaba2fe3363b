"""The home dashboard: one read composed of people's and engagements' selectors."""

from __future__ import annotations

from typing import Any

from psa.core import clock, periods
from psa.core.roles import Actor, Role
from psa.engagements import selectors as engagements
from psa.engagements.models import Status
from psa.people import selectors as people

HOME_WEEKS = 4  # the home page's capacity: this week and the three after


def dashboard_for(*, actor: Actor) -> dict[str, Any]:
    """What the home page shows: the person's own next weeks, plus what their roles watch."""
    today = clock.today()
    monday = periods.week_start(today)
    context: dict[str, Any] = {"today": today, "roles": sorted(actor.roles)}
    if actor.person_id is not None:
        person = people.person_get(person_id=actor.person_id)
        context["person"] = person
        context["weeks"] = people.capacity_weeks(person=person, monday=monday, weeks=HOME_WEEKS)
        context["reports"] = list(people.person_list(manager_id=person.pk)[:50])
    watch_all = actor.has_any(
        Role.PROJECT_COORDINATOR,
        Role.DELIVERY_MANAGER,
        Role.HEAD_OF_PS,
        Role.FINANCE_PARTNER,
        Role.SALES,
    )
    context["show_pipeline"] = watch_all
    if watch_all:
        context["pipeline"] = list(engagements.engagement_list(status=Status.PIPELINE)[:10])
        context["active"] = list(
            engagements.engagement_list(status=f"{Status.BOOKED},{Status.ACTIVE}")[:10]
        )
    if actor.person_id is not None:
        context["my_engagements"] = list(engagements.engagement_list(owner_id=actor.person_id)[:10])
    return context
