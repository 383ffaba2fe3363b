"""Reads about people: lookups, the acting user's roles, capacity."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, Q, QuerySet

from psa.core.errors import NotFound
from psa.core.roles import Actor
from psa.people.models import Person, PersonRole, TimeOff
from psa.people.rules import DayCapacity, TimeOffSpan, WorkPattern, capacity_days
from psa.people.standards import standard_weekly_hours


def person_for_user(*, user: AbstractBaseUser | AnonymousUser) -> Person | None:
    if not user.is_authenticated:
        return None
    return Person.objects.filter(user_id=user.pk).first()


def actor_for(user: AbstractBaseUser) -> Actor:
    """The Actor services see for a signed-in user: roles from their Person."""
    row = (
        Person.objects.filter(user_id=user.pk)
        .prefetch_related(Prefetch("role_rows", queryset=PersonRole.objects.only("role", "person")))
        .only("id")
        .first()
    )
    roles = frozenset(r.role for r in row.role_rows.all()) if row else frozenset()
    return Actor(
        user_id=user.pk,
        username=user.get_username(),
        person_id=row.pk if row else None,
        roles=roles,
        is_admin=bool(getattr(user, "is_superuser", False)),
    )


def person_get(*, person_id: int) -> Person:
    person = (
        Person.objects.select_related("manager", "user")
        .prefetch_related("skills", "role_rows")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise NotFound(f"person {person_id} does not exist", field="person_id")
    return person


def person_list(
    *,
    search: str = "",
    role: str = "",
    country: str = "",
    skill: str = "",
    manager_id: int | None = None,
    active_on: dt.date | None = None,
) -> QuerySet[Person]:
    qs = Person.objects.select_related("manager", "user").prefetch_related("skills", "role_rows")
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(email__icontains=search))
    if role:
        qs = qs.filter(role_rows__role=role)
    if country:
        qs = qs.filter(country=country.upper())
    if skill:
        qs = qs.filter(skills__name__iexact=skill)
    if manager_id is not None:
        qs = qs.filter(manager_id=manager_id)
    if active_on is not None:
        qs = qs.filter(start_date__lte=active_on).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=active_on)
        )
    return qs.distinct().order_by("name", "id")


def roles_of(person: Person) -> list[str]:
    return sorted(r.role for r in person.role_rows.all())


def effective_weekly_hours(person: Person) -> Decimal:
    if person.weekly_hours is not None:
        return person.weekly_hours
    return standard_weekly_hours(person.country)


def work_pattern(person: Person) -> WorkPattern:
    return WorkPattern(
        weekly_hours=effective_weekly_hours(person),
        working_days=tuple(person.working_days),
        country=person.country,
        subdivision=person.subdivision,
        start_date=person.start_date,
        end_date=person.end_date,
    )


def _spans(rows: Iterable[TimeOff]) -> list[TimeOffSpan]:
    return [TimeOffSpan(r.start_date, r.end_date, r.hours_per_day, r.kind) for r in rows]


def capacity_calendar(*, person: Person, start: dt.date, end: dt.date) -> list[DayCapacity]:
    """Each date's capacity for one person, with the holiday and time off that reduced it."""
    rows = TimeOff.objects.filter(person=person, start_date__lte=end, end_date__gte=start)
    return capacity_days(work_pattern(person), start, end, _spans(rows))


def capacity_for_people(
    *, people: Sequence[Person], start: dt.date, end: dt.date
) -> dict[int, list[DayCapacity]]:
    """Capacity for many people at once: one query for all their time off."""
    by_person: dict[int, list[TimeOff]] = defaultdict(list)
    rows = TimeOff.objects.filter(
        person_id__in=[p.pk for p in people], start_date__lte=end, end_date__gte=start
    ).only("person_id", "start_date", "end_date", "hours_per_day", "kind")
    for row in rows:
        by_person[row.person_id].append(row)
    return {
        p.pk: capacity_days(work_pattern(p), start, end, _spans(by_person[p.pk])) for p in people
    }


def time_off_list(
    *, person: Person, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[TimeOff]:
    qs = TimeOff.objects.filter(person=person)
    if start is not None:
        qs = qs.filter(end_date__gte=start)
    if end is not None:
        qs = qs.filter(start_date__lte=end)
    return qs.order_by("start_date", "id")


def time_off_get(*, time_off_id: int) -> TimeOff:
    row = TimeOff.objects.select_related("person").filter(pk=time_off_id).first()
    if row is None:
        raise NotFound(f"time off {time_off_id} does not exist", field="time_off_id")
    return row
