from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, cast

from ninja import Field, FilterSchema, Schema

from psa.core.rates import DatedRate
from psa.core.schemas import Day, Hours, Id, In, Line, Search, not_null
from psa.people.models import Person, TimeOff

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Name = Annotated[str, Line(150, min_length=1)]
Email = Annotated[str, Line(254), Field(pattern=EMAIL_PATTERN)]
Country = Annotated[str, Line(2, min_length=2), Field(description="ISO 3166-1 alpha-2")]
Subdivision = Annotated[str, Line(10), Field(description="ISO 3166-2 code, e.g. TX")]
TimeZone = Annotated[str, Line(64), Field(description="IANA name, e.g. Europe/Paris")]
Currency = Annotated[str, Line(3)]
# Pay: the cost rate column's ten digits.
RatePerHour = Annotated[Decimal, Field(max_digits=10, decimal_places=2, allow_inf_nan=False)]
Names = Annotated[list[Annotated[str, Line(80)]], Field(max_length=100)]
WorkingDays = Annotated[list[int], Field(max_length=7, description="ISO weekdays, 1 = Monday")]


class PersonIn(In):
    name: Name
    email: Email
    title: Annotated[str, Line(150)] = ""
    manager_id: Id | None = None
    country: Country
    subdivision: Subdivision = ""
    timezone: TimeZone = "UTC"
    weekly_hours: Hours | None = Field(
        None, description="Overrides the country standard (0-80); null uses the standard."
    )
    working_days: WorkingDays = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    cost_rate: RatePerHour | None = Field(
        None,
        description="The first cost rate, per hour, in force from the start date; "
        "later rates through /people/{id}/cost-rates. Null: none yet.",
    )
    cost_currency: Currency = "USD"
    skills: Names = Field(default_factory=list)
    roles: Names = Field(default_factory=list)
    start_date: Day
    end_date: Day | None = None
    username: Annotated[str, Line(150)] = Field(
        "", description="Create a login with this username."
    )
    password: Annotated[str, Line(128)] = Field(
        "", description="Initial password for the new login."
    )


class PersonPatch(In):
    """Only the fields sent change. Fields that cannot be empty refuse null."""

    name: Name = not_null()
    email: Email = not_null()
    title: Annotated[str, Line(150)] = not_null()
    manager_id: Id | None = None
    country: Country = not_null(
        description="Changing the country clears a subdivision it does not have, unless "
        "subdivision is sent too"
    )
    subdivision: Subdivision = not_null()
    timezone: TimeZone = not_null()
    weekly_hours: Hours | None = Field(None, description="null uses the country standard")
    working_days: WorkingDays = not_null()
    cost_rate: RatePerHour = not_null(
        description="Refused (422): cost rates are dated, PUT /people/{id}/cost-rates/{date}"
    )
    cost_currency: Currency = not_null(description="Refused (422), as cost_rate")
    skills: Names = not_null()
    roles: Names = not_null()
    start_date: Day = not_null()
    end_date: Day | None = None


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
    cost_rate: Decimal | None = Field(
        description="The cost rate in force today, per hour; null without one or unless you "
        "may see pay data."
    )
    cost_currency: str | None
    cost_rate_from: dt.date | None = Field(description="The day the cost rate took effect.")
    skills: list[str]
    roles: list[str]
    start_date: dt.date
    end_date: dt.date | None

    @staticmethod
    def resolve_username(obj: Person) -> str | None:
        if hasattr(obj, "login_name"):  # set by selectors.with_labels
            return cast(str | None, obj.login_name)
        return obj.user.get_username() if obj.user_id and obj.user else None

    @staticmethod
    def resolve_manager_name(obj: Person) -> str | None:
        if hasattr(obj, "manager_name"):  # set by selectors.with_labels
            return cast(str | None, obj.manager_name)
        return obj.manager.name if obj.manager_id and obj.manager else None

    @staticmethod
    def resolve_weekly_hours(obj: Person) -> Decimal:
        from psa.people.selectors import effective_weekly_hours

        return effective_weekly_hours(obj)

    @staticmethod
    def resolve_weekly_hours_override(obj: Person) -> Decimal | None:
        return obj.weekly_hours

    @staticmethod
    def resolve_cost_rate(obj: Person) -> Decimal | None:
        # Decided by selectors.with_pay_for for the reader; a person read without it shows no
        # pay, so a route that forgets the reader hides pay data instead of leaking it.
        rate = _visible_rate(obj)
        return rate.rate if rate else None

    @staticmethod
    def resolve_cost_currency(obj: Person) -> str | None:
        rate = _visible_rate(obj)
        return rate.currency if rate else None

    @staticmethod
    def resolve_cost_rate_from(obj: Person) -> dt.date | None:
        rate = _visible_rate(obj)
        return rate.effective_from if rate else None

    @staticmethod
    def resolve_skills(obj: Person) -> list[str]:
        names = getattr(obj, "skill_names", None)  # set by selectors.with_labels
        return names if names is not None else sorted(s.name for s in obj.skills.all())

    @staticmethod
    def resolve_roles(obj: Person) -> list[str]:
        names = getattr(obj, "role_names", None)  # set by selectors.with_labels
        return names if names is not None else sorted(r.role for r in obj.role_rows.all())


def _visible_rate(obj: Person) -> DatedRate | None:
    return cast(DatedRate | None, getattr(obj, "visible_cost_rate", None))


class CostRateIn(In):
    rate: RatePerHour = Field(description="Per hour.")
    currency: Currency


class CostRateOut(Schema):
    id: int
    person_id: int
    effective_from: dt.date
    rate: Decimal
    currency: str


class PersonPageOut(Schema):
    items: list[PersonOut]
    count: int
    page: int
    page_size: int
    pages: int


class PersonFilter(FilterSchema):
    search: Search = ""
    role: Annotated[str, Line(40)] = ""
    country: Annotated[str, Line(2)] = ""
    skill: Annotated[str, Line(80)] = ""
    manager_id: Id | None = None
    active_on: Day | None = None


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


class TimeOffIn(In):
    kind: Annotated[str, Line(10)] = TimeOff.Kind.PTO
    start_date: Day
    end_date: Day
    hours_per_day: Hours | None = None
    note: Annotated[str, Line(200)] = ""


class TimeOffOut(Schema):
    id: int
    person_id: int
    kind: str
    start_date: dt.date
    end_date: dt.date
    hours_per_day: Decimal | None
    note: str
