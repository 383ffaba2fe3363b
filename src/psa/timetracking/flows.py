"""Time tracking composed with the domains below it: planned internal time with its category
(a scheduling booking that time tracking knows the category of)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from psa.core import audit
from psa.core.errors import FieldError, ValidationFailed
from psa.core.roles import Actor
from psa.people.models import Person
from psa.scheduling import services as scheduling
from psa.scheduling.models import Booking
from psa.timetracking import rules
from psa.timetracking.models import Epic, InternalTimeCategory


def internal_time_plan(
    *,
    actor: Actor,
    person: Person,
    category: Epic | None,
    task_name: str,
    start_date: dt.date,
    end_date: dt.date,
    hours: Decimal,
    per_day: bool = False,
    override_reason: str = "",
) -> Booking:
    """Plan internal time under its category: the scheduling service books it (availability,
    the override) and the category is recorded with it, all or nothing. Every input error is
    reported at once, the category's with the schedule's."""
    problem = rules.internal_category_error(
        category.parent.name if category is not None and category.parent else None,
        category.name if category is not None else "",
    )
    errors = [FieldError("category_id", problem)] if problem else []
    try:
        with transaction.atomic():
            booking = scheduling.internal_time_create(
                actor=actor,
                person=person,
                task_name=task_name,
                start_date=start_date,
                end_date=end_date,
                hours=hours,
                per_day=per_day,
                override_reason=override_reason,
            )
            if errors:
                raise ValidationFailed.collect(errors)  # rolls the booking back
            assert category is not None  # noqa: S101  # no error means a category
            InternalTimeCategory.objects.create(booking=booking, epic=category)
            audit.record(
                actor=actor,
                action="internal.category",
                target=booking,
                after={"category": f"{category.parent} / {category.name}"},
            )
    except ValidationFailed as exc:
        if not errors or exc.errors == errors:
            raise
        raise ValidationFailed.collect(errors + exc.errors) from exc
    return booking
