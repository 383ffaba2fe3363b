from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, FilterSchema, Schema

from psa.people.models import Person, TimeOff


class PersonIn(Schema):
    name: str = Field(min_length=1, max_length=150)
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    title: str = ""
    manager_id: int | None = None
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    subdivision: str = ""
    timezone: str = "UTC"
    weekly_hours: Decimal | None = Field(
        None, description="Overrides the country standard (0-80); null uses the standard."
    )
    working_days: list[int] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5], description="ISO weekdays, 1 = Monday"
    )
    cost_rate: Decimal = Decimal("0")
    cost_currency: str = "USD"
    skills: list[str] = Field(default_factory=list)
    roles: list[str] = Field(default_factory=list)
    start_date: dt.date
    end_date: dt.date | None = None
    username: str = Field("", description="Create a login with this username.")
    password: str = Field("", description="Initial password for the new login.")


class PersonPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=150)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    title: str | None = None
    manager_id: int | None = None
    country: str | None = Field(None, min_length=2, max_length=2)
    subdivision: str | None = None
    timezone: str | None = None
    weekly_hours: Decimal | None = None
    working_days: list[int] | None = None
    cost_rate: Decimal | None = None
    cost_currency: str | None = None
    skills: list[str] | None = None
    roles: list[str] | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None


class PersonOut(Schema):
    id: int
    name: str
    email: str
    title: str
    username: str | None
    manager_id: int | None
    manager_name: str | None
    country: str
    subdivision: str
    timezone: str
    weekly_hours: Decimal = Field(description="Effective weekly hours (override or standard).")
    weekly_hours_override: Decimal | None
    working_days: list[int]
    cost_rate: Decimal | None = Field(description="Null unless you may see pay data.")
    cost_currency: str
    skills: list[str]
    roles: list[str]
    start_date: dt.date
    end_date: dt.date | None

    @staticmethod
    def resolve_username(obj: Person) -> str | None:
        if hasattr(obj, "login_name"):  # set by selectors.with_labels
            return obj.login_name
        return obj.user.get_username() if obj.user_id and obj.user else None

    @staticmethod
    def resolve_manager_name(obj: Person) -> str | None:
        if hasattr(obj, "manager_name"):  # set by selectors.with_labels
            return obj.manager_name
        return obj.manager.name if obj.manager_id and obj.manager else None

    @staticmethod
    def resolve_weekly_hours(obj: Person) -> Decimal:
        from psa.people.selectors import effective_weekly_hours

        return effective_weekly_hours(obj)

    @staticmethod
    def resolve_weekly_hours_override(obj: Person) -> Decimal | None:
        return obj.weekly_hours

    @staticmethod
    def resolve_cost_rate(obj: Person, context: dict[str, Any]) -> Decimal | None:
        from psa.core.api import actor
        from psa.people.services import can_view_costs

        return obj.cost_rate if can_view_costs(actor(context["request"]), obj) else None

    @staticmethod
    def resolve_skills(obj: Person) -> list[str]:
        names = getattr(obj, "skill_names", None)  # set by selectors.with_labels
        return names if names is not None else sorted(s.name for s in obj.skills.all())

    @staticmethod
    def resolve_roles(obj: Person) -> list[str]:
        names = getattr(obj, "role_names", None)  # set by selectors.with_labels
        return names if names is not None else sorted(r.role for r in obj.role_rows.all())


class PersonPageOut(Schema):
    items: list[PersonOut]
    count: int
    page: int
    page_size: int
    pages: int


class PersonFilter(FilterSchema):
    search: str = ""
    role: str = ""
    country: str = ""
    skill: str = ""
    manager_id: int | None = None
    active_on: dt.date | None = None


class DayCapacityOut(Schema):
    date: dt.date
    base: Decimal
    holiday: str
    time_off: Decimal
    hours: Decimal


class CapacityOut(Schema):
    person_id: int
    start: dt.date
    end: dt.date
    total: Decimal
    days: list[DayCapacityOut]


class TimeOffIn(Schema):
    kind: str = TimeOff.Kind.PTO
    start_date: dt.date
    end_date: dt.date
    hours_per_day: Decimal | None = None
    note: str = Field("", max_length=200)


class TimeOffOut(Schema):
    id: int
    person_id: int
    kind: str
    start_date: dt.date
    end_date: dt.date
    hours_per_day: Decimal | None
    note: str


def patch_fields(payload: Schema) -> dict[str, Any]:
    return payload.dict(exclude_unset=True)
