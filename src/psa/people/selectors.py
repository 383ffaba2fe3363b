"""Reads about people: lookups, the acting user's roles, capacity."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    TextField,
    Value,
    Window,
)
from django.db.models.functions import Cast

from psa.core import clock
from psa.core.errors import NotFound, PermissionDenied, ValidationFailed
from psa.core.rates import DatedRate, RateSeries
from psa.core.roles import Actor, Role
from psa.people import rules
from psa.people.models import CostRate, Invitation, Person, PersonRole, Skill, TimeOff
from psa.people.rules import (
    CapacityWeek,
    DayCapacity,
    TimeOffSpan,
    WorkPattern,
    capacity_by_week,
    capacity_days,
    total_hours,
)
from psa.people.standards import standard_weekly_hours

ERR_NO_PERSON = "person {id} does not exist"
ERR_NO_EMAIL = "no person with e-mail {email}"
ERR_NO_TIME_OFF = "time off {id} does not exist"
ERR_MAY_NOT_READ_PAY = "you may not see this person's pay data"


def person_for_user(*, user: AbstractBaseUser | AnonymousUser) -> Person | None:
    if not user.is_authenticated:
        return None
    return Person.objects.filter(user_id=user.pk).first()


# In SQL: it runs on nearly every request, and the ORM's building of it cost more than the
# database's answer (docs/benchmarks.md).
_ACTOR_SQL = (
    "SELECT p.id, r.role FROM {person} p LEFT JOIN {role} r ON r.person_id = p.id "
    "WHERE p.user_id = %s"
)


def actor_for(user: AbstractBaseUser) -> Actor:
    """The Actor services see for a signed-in user: roles from their Person. One query (the
    person joined to their roles, a row a role): it runs on nearly every request."""
    with connection.cursor() as cursor:
        cursor.execute(
            _ACTOR_SQL.format(person=Person._meta.db_table, role=PersonRole._meta.db_table),
            [user.pk],
        )
        rows = cursor.fetchall()
    # A login belongs to one person at most (Person.user is one-to-one); no row: no person.
    return Actor(
        user_id=user.pk,
        username=user.get_username(),
        person_id=rows[0][0] if rows else None,
        roles=frozenset(role for _, role in rows if role is not None),
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
        raise NotFound(ERR_NO_PERSON.format(id=person_id), field="person_id")
    return person


# ------------------------------------------------------------------ who may read pay data

# A person's cost rate is pay data: the person, their managers, the head of PS and finance
# read it; everyone else sees the person without it (the API's cost_rate is null).
PAY_READERS = (
    Role.HEAD_OF_PS,
    Role.DELIVERY_MANAGER,
    Role.FINANCE_PARTNER,
    Role.CONTROLLER,
    Role.FINANCE_BUSINESS_PARTNER,
)


def may_read_pay(actor: Actor, person_id: int) -> bool:
    """The one pay-data rule: the person page, the API and the audit log's mask ask it."""
    return actor.person_id == person_id or actor.has_any(*PAY_READERS)


def cost_rate_series(*, person_ids: Iterable[int]) -> dict[int, RateSeries]:
    """Every given person's cost rates, one series each (empty without a rate). For the
    readers of pay data: who that is, is the caller's check (may_read_pay)."""
    ids = sorted(set(person_ids))
    found: dict[int, list[DatedRate]] = {pid: [] for pid in ids}
    # In SQL with the ids as one parameter (`_id_match`): the people list asks this on every
    # page, and the ORM's building of a 50-id lookup costs more than the database's answer.
    sql = (
        f"SELECT person_id, effective_from, rate, currency FROM {CostRate._meta.db_table} "  # noqa: S608 - our own names
        f"WHERE {_id_match('person_id')}"
    )
    with connection.cursor() as cursor:
        for i in range(0, len(ids), 500):
            cursor.execute(sql, [_id_list(ids[i : i + 500])])
            for pid, start, rate, currency in cursor.fetchall():  # columns NOT NULL
                found[pid].append(DatedRate(_day(start), _cents(rate), currency))  # type: ignore[arg-type]
    return {pid: RateSeries(rates) for pid, rates in found.items()}


def with_pay_for(actor: Actor, people: Sequence[Person]) -> list[Person]:
    """Attach `visible_cost_rate` to each person: the cost rate in force today where the actor
    may read pay data, else None. What a reader is shown of pay is decided here, not where
    it is shown."""
    people = list(people)
    readable = [p.pk for p in people if may_read_pay(actor, p.pk)]
    series = cost_rate_series(person_ids=readable) if readable else {}
    today = clock.today()
    for p in people:
        p.visible_cost_rate = series[p.pk].on(today) if p.pk in series else None  # type: ignore[attr-defined]
    return people


def cost_rates_for(*, actor: Actor, person: Person) -> list[CostRate]:
    """A person's cost rates, oldest first, for a reader of their pay data."""
    if not may_read_pay(actor, person.pk):
        raise PermissionDenied(ERR_MAY_NOT_READ_PAY, field="person_id")
    return list(CostRate.objects.filter(person=person).order_by("effective_from"))


def person_for(*, actor: Actor, person_id: int) -> Person:
    """`person_get`, with what the actor may read of the person's pay (`with_pay_for`)."""
    return with_pay_for(actor, [person_get(person_id=person_id)])[0]


def people_for(actor: Actor, people: Sequence[Person]) -> list[Person]:
    """A page of people as the actor reads them: labels (`with_labels`) and pay."""
    return with_pay_for(actor, with_labels(people))


def people_without_cost_rate_on(*, day: dt.date) -> list[int]:
    """Everyone who has no cost rate in force on the day (none yet, or a first one later)."""
    return list(
        Person.objects.exclude(cost_rates__effective_from__lte=day)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def emails_with_roles(*, roles: Sequence[str], on: dt.date) -> list[str]:
    """The e-mail addresses of those who hold any of the roles and still work here that day."""
    return list(
        Person.objects.filter(role_rows__role__in=roles)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()
    )


def person_by_email(*, email: str) -> Person:
    person = Person.objects.filter(email__iexact=email.strip()).first()
    if person is None:
        raise NotFound(ERR_NO_EMAIL.format(email=email), field="email")
    return person


ERR_UNKNOWN_PERSON = "no person has the e-mail or name {value!r}"
ERR_AMBIGUOUS_PERSON = "{count} people are named {value!r}: use their e-mail instead"


def _name_key(text: str) -> str:
    return " ".join(text.split())


class PersonLookup:
    """Everyone, found as a spreadsheet names them: by e-mail (any case) or by exact name
    (spaces collapsed); two people of one name need their e-mail. For imports, which resolve
    thousands of rows against one read of the people."""

    def __init__(self, people: Iterable[Person] | None = None) -> None:
        self.by_id: dict[int, Person] = {}
        self.by_email: dict[str, Person] = {}
        self.by_name: dict[str, list[Person]] = defaultdict(list)
        for person in person_list(related=False) if people is None else people:
            self.by_id[person.pk] = person
            self.by_email[person.email.casefold()] = person
            self.by_name[_name_key(person.name)].append(person)

    def resolve(self, value: str) -> tuple[Person | None, str]:
        """(the person, "") or (None, why not)."""
        person = self.by_email.get(value.casefold())
        if person is not None:
            return person, ""
        named = self.by_name.get(_name_key(value), [])
        if len(named) == 1:
            return named[0], ""
        if named:
            return None, ERR_AMBIGUOUS_PERSON.format(count=len(named), value=value)
        return None, ERR_UNKNOWN_PERSON.format(value=value)


def person_list(
    *,
    search: str = "",
    role: str = "",
    country: str = "",
    skill: str = "",
    manager_id: int | None = None,
    active_on: dt.date | None = None,
    employed_during: tuple[dt.date, dt.date] | None = None,
    related: bool = True,
) -> QuerySet[Person]:
    """People matching the filters, by name, with their manager and login joined in
    (`related=False` leaves them out, for a page that `with_labels` completes). Roles and
    skills are not loaded: call `with_labels` on the page of people you show."""
    qs = Person.objects.select_related("manager", "user") if related else Person.objects.all()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(email__icontains=search))
    # EXISTS rather than joins: no duplicate rows, so no DISTINCT over every column.
    if role:
        qs = qs.filter(Exists(PersonRole.objects.filter(person=OuterRef("pk"), role=role)))
    if country:
        qs = qs.filter(country=country.upper())
    if skill:
        qs = qs.filter(Exists(Skill.objects.filter(people=OuterRef("pk"), name__iexact=skill)))
    if manager_id is not None:
        qs = qs.filter(manager_id=manager_id)
    if active_on is not None:
        qs = qs.filter(start_date__lte=active_on).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=active_on)
        )
    if employed_during is not None:  # employed on at least one day of the period
        first, last = employed_during
        qs = qs.filter(start_date__lte=last).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=first)
        )
    return qs.order_by("name", "id")


def _tagged(qs: QuerySet[Any], kind: str, person: str, label: str) -> QuerySet[Any]:
    """(person id, kind, label) rows of one lookup, to UNION with the others in one query."""
    rows: QuerySet[Any] = (
        qs.annotate(kind=Value(kind, output_field=CharField()))
        .values_list(person, "kind", label)
        .order_by()
    )
    return rows


def with_labels(people: Sequence[Person]) -> list[Person]:
    """Attach `role_names` and `skill_names` (sorted), `manager_name` and `login_name` to each
    person: one query for the lot (a UNION of four small lookups by id)."""
    ids = [p.pk for p in people]
    rows = _tagged(PersonRole.objects.filter(person_id__in=ids), "r", "person_id", "role").union(
        _tagged(
            Person.skills.through.objects.filter(person_id__in=ids), "s", "person_id", "skill__name"
        ),
        _tagged(
            Person.objects.filter(pk__in=ids, manager__isnull=False), "m", "pk", "manager__name"
        ),
        _tagged(Person.objects.filter(pk__in=ids, user__isnull=False), "u", "pk", "user__username"),
        all=True,
    )
    found: dict[str, dict[int, list[str]]] = {k: defaultdict(list) for k in "rsmu"}
    for pid, kind, label in rows:
        found[kind][pid].append(label)
    for p in people:
        p.role_names = sorted(found["r"][p.pk])  # type: ignore[attr-defined]
        p.skill_names = sorted(found["s"][p.pk])  # type: ignore[attr-defined]
        p.manager_name = next(iter(found["m"][p.pk]), None)  # type: ignore[attr-defined]
        p.login_name = next(iter(found["u"][p.pk]), None)  # type: ignore[attr-defined]
    return list(people)


# The columns of a person the list shows, read as plain values (no model instances): the list
# is the API's busiest read, and building 50 Person objects and walking them through the
# schema's resolvers cost more than the queries.
_ROW_COLUMNS = (
    "id",
    "name",
    "email",
    "title",
    "manager_id",
    "country",
    "subdivision",
    "timezone",
    "weekly_hours",
    "working_days",
    "start_date",
    "end_date",
    "manager__name",
    "user__username",
)


@dataclass(frozen=True)
class PeoplePage:
    """One page of people as the actor reads them, each a dict of PersonOut's fields."""

    items: list[dict[str, Any]]
    count: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return (self.count + self.page_size - 1) // self.page_size


def _id_match(column: str) -> str:
    """`column` is one of a list of ids given as one parameter (`_id_list`): the statement's
    text is the same for any number of ids, so the driver reuses its parse of it."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)"
    return f"{column} IN (SELECT value FROM json_each(%s))"  # noqa: S608 - our own names


def _id_list(ids: Sequence[int]) -> list[int] | str:
    return list(ids) if connection.vendor == "postgresql" else json.dumps(list(ids))


def _json_list(value: object) -> list[Any]:
    # PostgreSQL's driver may decode json itself; SQLite's gives text; no rows give NULL.
    if value is None:
        return []
    return cast(list[Any], json.loads(value) if isinstance(value, str) else value)


def _day(value: object) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else cast(dt.date | None, value)


def _cents(value: object) -> Decimal | None:
    # SQLite stores a DecimalField as a number; PostgreSQL's driver gives a Decimal already.
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _page_rows(ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """The people's rows as the list shows them, manager's name, login and their roles and
    skills (sorted) included: one statement. Written in SQL because this is the API's busiest
    read: the same lookups through the ORM cost 1.4 ms more a page in building the queries
    alone (docs/benchmarks.md)."""
    person, user = Person._meta.db_table, User._meta.db_table
    role, skill = PersonRole._meta.db_table, Skill._meta.db_table
    through = Person.skills.through._meta.db_table
    listed = "json_agg" if connection.vendor == "postgresql" else "json_group_array"
    sql = (
        "SELECT p.id, p.name, p.email, p.title, p.manager_id, p.country, p.subdivision, "  # noqa: S608 - our own names
        "p.timezone, p.weekly_hours, p.working_days, p.start_date, p.end_date, "
        # Each label a lookup by key, not a join: joined, PostgreSQL hashes the whole people
        # table to name 50 managers (1.1 ms against 0.3 ms for the statement, measured).
        f"(SELECT m.name FROM {person} m WHERE m.id = p.manager_id), "
        f"(SELECT u.username FROM {user} u WHERE u.id = p.user_id), "
        f"(SELECT {listed}(r.role) FROM {role} r WHERE r.person_id = p.id), "
        f"(SELECT {listed}(s.name) FROM {through} ps JOIN {skill} s ON s.id = ps.skill_id "
        "WHERE ps.person_id = p.id) "
        f"FROM {person} p WHERE {_id_match('p.id')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [_id_list(ids)])
        found = cursor.fetchall()
    return [
        (
            *row[:8],
            _cents(row[8]),
            _json_list(row[9]),
            _day(row[10]),
            _day(row[11]),
            row[12],
            row[13],
            sorted(_json_list(row[14])),
            sorted(_json_list(row[15])),
        )
        for row in found
    ]


def people_page(actor: Actor, people: QuerySet[Person], *, page: int, page_size: int) -> PeoplePage:
    """A page of `people` (a `person_list`) with labels and the pay the actor may read, in
    three or four queries: the page's ids with the total (one window query), their rows with
    manager and login, their roles and skills, and the cost rates the actor may read."""
    start = (page - 1) * page_size
    window = people.annotate(total=Window(Count("pk"))).values_list("pk", "total")
    found = list(window[start : start + page_size])
    # Past the last page the window has no row to carry the total: count it alone.
    count = found[0][1] if found else (people.count() if page > 1 else 0)
    ids = [pk for pk, _ in found]
    if not ids:
        return PeoplePage([], count, page, page_size)
    rows = {r[0]: r for r in _page_rows(ids)}
    readable = [pid for pid in ids if may_read_pay(actor, pid)]
    series = cost_rate_series(person_ids=readable) if readable else {}
    today = clock.today()
    items = []
    for pid in ids:
        (_, name, email, title, manager_id, country, subdivision, tz, weekly, days, first, last,
         manager_name, username, roles, skills) = rows[pid]  # fmt: skip
        rate = series[pid].on(today) if pid in series else None
        items.append(
            {
                "id": pid,
                "name": name,
                "email": email,
                "title": title,
                "username": username,
                "manager_id": manager_id,
                "manager_name": manager_name,
                "country": country,
                "subdivision": subdivision,
                "timezone": tz,
                "weekly_hours": weekly if weekly is not None else standard_weekly_hours(country),
                "weekly_hours_override": weekly,
                "working_days": days,
                "cost_rate": rate.rate if rate else None,
                "cost_currency": rate.currency if rate else None,
                "cost_rate_from": rate.effective_from if rate else None,
                "skills": skills,
                "roles": roles,
                "start_date": first,
                "end_date": last,
            }
        )
    return PeoplePage(items, count, page, page_size)


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


def capacity_weeks(*, person: Person, monday: dt.date, weeks: int) -> list[CapacityWeek]:
    """The person's capacity for `weeks` weeks from `monday`, week by week with its total."""
    end = monday + dt.timedelta(days=7 * weeks - 1)
    return capacity_by_week(capacity_calendar(person=person, start=monday, end=end))


MAX_CAPACITY_DAYS = 800
ERR_CAPACITY_END = "end is before start"
ERR_CAPACITY_SPAN = f"ask for at most {MAX_CAPACITY_DAYS} days"


@dataclass(frozen=True)
class CapacitySpan:
    person_id: int
    start: dt.date
    end: dt.date
    days: list[DayCapacity]

    @property
    def total(self) -> Decimal:
        return total_hours(self.days)


def capacity_between(*, person_id: int, start: dt.date, end: dt.date) -> CapacitySpan:
    """A person's capacity from start to end, each date and the total, for at most
    MAX_CAPACITY_DAYS days (a longer span is refused before anything is read)."""
    if end < start:
        raise ValidationFailed(ERR_CAPACITY_END, field="end")
    if (end - start).days > MAX_CAPACITY_DAYS:
        raise ValidationFailed(ERR_CAPACITY_SPAN, field="end")
    person = person_get(person_id=person_id)
    days = capacity_calendar(person=person, start=start, end=end)
    return CapacitySpan(person.pk, start, end, days)


def capacity_for_people(
    *, people: Sequence[Person], start: dt.date, end: dt.date
) -> dict[int, list[DayCapacity]]:
    """Capacity for many people at once: one query for all their time off. People with the same
    calendar (hours, working days, country, employed throughout, no time off) share one
    computed list, so a large team costs little more than its distinct calendars."""
    by_person: dict[int, list[TimeOff]] = defaultdict(list)
    rows = TimeOff.objects.filter(
        person_id__in=[p.pk for p in people], start_date__lte=end, end_date__gte=start
    ).only("person_id", "start_date", "end_date", "hours_per_day", "kind")
    for row in rows:
        by_person[row.person_id].append(row)
    shared: dict[tuple[object, ...], list[DayCapacity]] = {}
    result: dict[int, list[DayCapacity]] = {}
    for p in people:
        pattern = work_pattern(p)
        whole_range = pattern.start_date <= start and (
            pattern.end_date is None or pattern.end_date >= end
        )
        if by_person[p.pk] or not whole_range:
            result[p.pk] = capacity_days(pattern, start, end, _spans(by_person[p.pk]))
            continue
        key = (pattern.weekly_hours, pattern.working_days, pattern.country, pattern.subdivision)
        if key not in shared:
            shared[key] = capacity_days(pattern, start, end)
        result[p.pk] = shared[key]
    return result


@dataclass(frozen=True)
class PersonCapacity:
    person_id: int
    name: str
    days: list[DayCapacity]  # shared between people with the same calendar: do not modify


def capacity_of_group(
    *,
    start: dt.date,
    end: dt.date,
    role: str = "",
    skill: str = "",
    exclude_id: int | None = None,
) -> tuple[list[PersonCapacity], QuerySet[Any, Any]]:
    """Capacity of everyone (with the role and skill) employed from start to end, read with
    two queries and computed once per distinct calendar. Also returns the group's queryset, for
    callers that join other tables to it (a subquery instead of a list of thousands of ids)."""
    qs = Person.objects.filter(start_date__lte=start).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=end)
    )
    if role:
        qs = qs.filter(Exists(PersonRole.objects.filter(person=OuterRef("pk"), role=role)))
    if skill:
        qs = qs.filter(Exists(Skill.objects.filter(people=OuterRef("pk"), name__iexact=skill)))
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    # working_days read as text and parsed once per distinct value: a JSON parse per row is
    # most of the cost for thousands of people.
    rows = list(
        qs.order_by("name", "id")
        .annotate(days_text=Cast("working_days", TextField()))
        .values_list(
            "id",
            "name",
            "weekly_hours",
            "days_text",
            "country",
            "subdivision",
            "start_date",
            "end_date",
        )
    )
    parsed: dict[str, tuple[int, ...]] = {}
    off: dict[int, list[TimeOff]] = defaultdict(list)
    for row in TimeOff.objects.filter(
        person__in=qs.values("pk"), start_date__lte=end, end_date__gte=start
    ).only("person_id", "start_date", "end_date", "hours_per_day", "kind"):
        off[row.person_id].append(row)
    shared: dict[tuple[object, ...], list[DayCapacity]] = {}
    result = []
    for pid, name, weekly, days_text, country, subdivision, first, last in rows:
        if days_text not in parsed:
            parsed[days_text] = tuple(json.loads(days_text))
        pattern = WorkPattern(
            weekly_hours=weekly if weekly is not None else standard_weekly_hours(country),
            working_days=parsed[days_text],
            country=country,
            subdivision=subdivision,
            start_date=first,
            end_date=last,
        )
        if off[pid]:
            days = capacity_days(pattern, start, end, _spans(off[pid]))
        else:
            key = (pattern.weekly_hours, pattern.working_days, country, subdivision)
            if key not in shared:
                shared[key] = capacity_days(pattern, start, end)
            days = shared[key]
        result.append(PersonCapacity(pid, name, days))
    return result, qs.values("pk")


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
        raise NotFound(ERR_NO_TIME_OFF.format(id=time_off_id), field="time_off_id")
    return row


# ------------------------------------------------------------------ invitations


@dataclass(frozen=True)
class InvitationState:
    username: str  # "" when the link is unknown
    name: str
    problem: str | None  # why it cannot be used now; None: it can


def invitation_state(*, secret: str) -> InvitationState:
    """What an invitation link's page shows: whose login it sets, or why it no longer can."""
    row = (
        Invitation.objects.select_related("user")
        .filter(digest=rules.invitation_digest(secret))
        .first()
    )
    problem = rules.invitation_problem(
        found=row is not None,
        used_at=row.used_at if row else None,
        replaced_at=row.replaced_at if row else None,
        expires_at=row.expires_at if row else None,
        now=clock.now(),
    )
    if row is None:
        return InvitationState("", "", problem)
    person = Person.objects.filter(user_id=row.user_id).only("name").first()
    return InvitationState(row.user.get_username(), person.name if person else "", problem)


def invitation_latest(*, person: Person) -> Invitation | None:
    """The person's login's latest invitation (the person page says whether it was used)."""
    if person.user_id is None:
        return None
    return Invitation.objects.filter(user_id=person.user_id).first()
