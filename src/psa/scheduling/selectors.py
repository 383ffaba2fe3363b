"""Reads for scheduling: planned hours, day loads, request review with proposals, bookings."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet, Sum

from psa.core import clock
from psa.core.errors import NotFound
from psa.core.numbers import ZERO
from psa.core.roles import Role
from psa.people import selectors as people
from psa.people.models import Person
from psa.scheduling import rules
from psa.scheduling.models import AssignmentRequest, Booking, BookingDay

ERR_NO_REQUEST = "assignment request {id} does not exist"
ERR_NO_BOOKING = "booking {id} does not exist"

Planned = dict[int, dict[dt.date, dict[str, Decimal]]]


def planned_hours(
    *,
    person_ids: Iterable[int] | QuerySet[Any, Any],
    start: dt.date,
    end: dt.date,
    exclude_booking_id: int | None = None,
) -> Planned:
    """Hours already planned per person, date and kind (confirmed, tentative, internal)."""
    ids: Any = person_ids if isinstance(person_ids, QuerySet) else list(person_ids)
    qs = BookingDay.objects.filter(person_id__in=ids, date__gte=start, date__lte=end)
    if exclude_booking_id is not None:
        qs = qs.exclude(booking_id=exclude_booking_id)
    result: Planned = defaultdict(lambda: defaultdict(dict))
    for row in qs.values("person_id", "date", "kind").annotate(total=Sum("hours")).order_by():
        result[row["person_id"]][row["date"]][row["kind"]] = row["total"]
    return result


def day_loads(
    *, person: Person, start: dt.date, end: dt.date, exclude_booking_id: int | None = None
) -> dict[dt.date, rules.DayLoad]:
    capacity = people.capacity_calendar(person=person, start=start, end=end)
    planned = planned_hours(
        person_ids=[person.pk], start=start, end=end, exclude_booking_id=exclude_booking_id
    )
    return rules.day_loads(capacity, planned.get(person.pk, {}))


@dataclass(frozen=True)
class Ask:
    """What is asked for: a person's hours between two dates (a request, or a what-if from the
    request form's live check). `exclude_booking_id`: the booking a change replaces."""

    person: Person
    start: dt.date
    end: dt.date
    hours: Decimal
    per_day: bool = False
    skill: str = ""
    exclude_booking_id: int | None = None

    @classmethod
    def of(cls, request: AssignmentRequest) -> Ask:
        change = request.action == AssignmentRequest.Action.CHANGE
        return cls(
            person=request.person,
            start=request.start_date,
            end=request.end_date,
            hours=request.hours,
            per_day=request.per_day,
            skill=request.skill,
            exclude_booking_id=request.booking_id if change else None,
        )


@dataclass
class Review:
    """What the coordinator sees: each date's load, the plan, where it does not fit, and (on a
    conflict) the alternatives."""

    ask: Ask
    loads: dict[dt.date, rules.DayLoad]
    plan: dict[dt.date, Decimal]
    shortfalls: list[rules.Shortfall]
    proposals: list[rules.Proposal] = field(default_factory=list)

    @property
    def fits(self) -> bool:
        return bool(self.plan) and not self.shortfalls

    @property
    def hours(self) -> Decimal:
        return sum(self.plan.values(), ZERO)


def request_plan(
    *, person: Person, start: dt.date, end: dt.date, hours: Decimal, per_day: bool
) -> dict[dt.date, Decimal]:
    capacity = people.capacity_calendar(person=person, start=start, end=end)
    return rules.plan_hours(capacity, hours=hours, per_day=per_day)


def availability(*, ask: Ask, with_proposals: bool = True) -> Review:
    """Does the ask fit the person's free time? Where not, by how much, and what else would."""
    capacity = people.capacity_calendar(person=ask.person, start=ask.start, end=ask.end)
    planned = planned_hours(
        person_ids=[ask.person.pk],
        start=ask.start,
        end=ask.end,
        exclude_booking_id=ask.exclude_booking_id,
    )
    loads = rules.day_loads(capacity, planned.get(ask.person.pk, {}))
    plan = rules.plan_hours(capacity, hours=ask.hours, per_day=ask.per_day)
    review = Review(ask=ask, loads=loads, plan=plan, shortfalls=rules.shortfalls(plan, loads))
    if with_proposals and plan and review.shortfalls:
        review.proposals = proposals_for(ask=ask, plan=plan, loads=loads)
    return review


def request_review(*, request: AssignmentRequest, with_proposals: bool = True) -> Review:
    cancelling = request.action == AssignmentRequest.Action.CANCEL
    return availability(ask=Ask.of(request), with_proposals=with_proposals and not cancelling)


def proposals_for(
    *, ask: Ask, plan: dict[dt.date, Decimal], loads: dict[dt.date, rules.DayLoad]
) -> list[rules.Proposal]:
    person = ask.person
    today = clock.today(person.timezone)
    earliest = max(today, person.start_date)
    horizon_start = max(earliest, ask.start - dt.timedelta(days=rules.PROPOSAL_HORIZON_DAYS))
    horizon_end = min(
        ask.end + dt.timedelta(days=rules.PROPOSAL_HORIZON_DAYS),
        today + dt.timedelta(days=rules.MAX_DAYS_AHEAD),
    )
    if person.end_date:
        horizon_end = min(horizon_end, person.end_date)
    wide: dict[dt.date, rules.DayLoad] = {}
    if horizon_start <= horizon_end:
        wide = day_loads(
            person=person,
            start=horizon_start,
            end=horizon_end,
            exclude_booking_id=ask.exclude_booking_id,
        )
    proposals = rules.other_windows(person_id=person.pk, plan=plan, loads=wide, earliest=earliest)
    proposals += rules.other_people(_candidates(ask), skill=ask.skill)
    partial = rules.partial_fit(person_id=person.pk, plan=plan, loads=loads)
    if partial:
        proposals.append(partial)
    longer = rules.spread_longer(
        person_id=person.pk, plan=plan, loads={d: v for d, v in wide.items() if d >= ask.start}
    )
    if longer:
        proposals.append(longer)
    return proposals


def _candidates(ask: Ask) -> list[rules.Candidate]:
    """PSEs (with the skill, if one is asked for) employed over the asked dates. People with
    the same calendar share their capacity and plan."""
    group, ids = people.capacity_of_group(
        start=ask.start, end=ask.end, role=Role.PSE, skill=ask.skill, exclude_id=ask.person.pk
    )
    if not group:
        return []
    planned = planned_totals(person_ids=ids, start=ask.start, end=ask.end)
    shared: dict[int, tuple[dict[dt.date, Decimal], dict[dt.date, Decimal]]] = {}
    nothing: dict[dt.date, Decimal] = {}
    result = []
    for member in group:
        key = id(member.days)
        if key not in shared:
            capacity = {d.date: d.hours for d in member.days}
            plan = rules.plan_hours(member.days, hours=ask.hours, per_day=ask.per_day)
            shared[key] = (capacity, plan)
        capacity, plan = shared[key]
        result.append(
            rules.Candidate(
                member.person_id,
                member.name,
                plan,
                capacity,
                planned.get(member.person_id, nothing),
            )
        )
    return result


def planned_totals(
    *, person_ids: QuerySet[Any, Any], start: dt.date, end: dt.date
) -> dict[int, dict[dt.date, Decimal]]:
    """Hours planned (all kinds together) per person and date."""
    rows = (
        BookingDay.objects.filter(person_id__in=person_ids, date__gte=start, date__lte=end)
        .values_list("person_id", "date")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    result: dict[int, dict[dt.date, Decimal]] = defaultdict(dict)
    for pid, day, total in rows:
        result[pid][day] = total
    return result


def request_fits(*, request: AssignmentRequest) -> bool | None:
    """Whether an open request fits the person's free time today (None once it is decided:
    a decided request has nothing left to fit)."""
    if request.status != AssignmentRequest.Status.OPEN:
        return None
    return request_review(request=request, with_proposals=False).fits


# Notifications about a request name it so: every login may read requests, so one shows for
# as long as its request exists.
RECORD_REQUEST = "scheduling.request"


def requests_existing(*, ids: Iterable[int]) -> set[int]:
    return set(AssignmentRequest.objects.filter(pk__in=list(ids)).values_list("pk", flat=True))


def request_get(*, request_id: int) -> AssignmentRequest:
    row = (
        AssignmentRequest.objects.select_related(
            "person", "engagement", "engagement__customer", "booking"
        )
        .filter(pk=request_id)
        .first()
    )
    if row is None:
        raise NotFound(ERR_NO_REQUEST.format(id=request_id), field="request_id")
    return row


def request_list(
    *,
    status: str = "",
    person_id: int | None = None,
    engagement_id: int | None = None,
    requested_by_id: int | None = None,
) -> QuerySet[AssignmentRequest]:
    qs = AssignmentRequest.objects.select_related("person", "engagement", "engagement__customer")
    if requested_by_id is not None:
        qs = qs.filter(requested_by_id=requested_by_id)
    if status:
        qs = qs.filter(status__in=status.split(","))
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    if engagement_id is not None:
        qs = qs.filter(engagement_id=engagement_id)
    return qs.order_by("created_at", "id")


def open_requests_for(*, person_id: int, user_id: int | None) -> list[AssignmentRequest]:
    """The open requests that concern someone: those about them, then those they made about
    others (each request once)."""
    about = list(request_list(status=AssignmentRequest.Status.OPEN, person_id=person_id))
    if user_id is None:
        return about
    seen = {r.pk for r in about}
    made = request_list(status=AssignmentRequest.Status.OPEN, requested_by_id=user_id)
    return about + [r for r in made if r.pk not in seen]


def booking_get(*, booking_id: int) -> Booking:
    row = Booking.objects.select_related("person", "engagement").filter(pk=booking_id).first()
    if row is None:
        raise NotFound(ERR_NO_BOOKING.format(id=booking_id), field="booking_id")
    return row


def booking_list(
    *,
    person_id: int | None = None,
    engagement_id: int | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    include_cancelled: bool = False,
) -> QuerySet[Booking]:
    qs = Booking.objects.select_related("person", "engagement", "engagement__customer")
    if not include_cancelled:
        qs = qs.filter(state=Booking.State.ACTIVE)
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    if engagement_id is not None:
        qs = qs.filter(engagement_id=engagement_id)
    if start is not None:
        qs = qs.filter(end_date__gte=start)
    if end is not None:
        qs = qs.filter(start_date__lte=end)
    return qs.order_by("start_date", "id")


def bookings_in_the_way(*, ask: Ask) -> list[Booking]:
    """The person's active bookings on the asked dates (the one a change replaces left out):
    what the day table's confirmed, tentative and internal hours are, by engagement or task."""
    found = booking_list(person_id=ask.person.pk, start=ask.start, end=ask.end)
    if ask.exclude_booking_id is not None:
        found = found.exclude(pk=ask.exclude_booking_id)
    return list(found)


def tentative_bookings(*, engagement_id: int) -> list[Booking]:
    return list(
        Booking.objects.select_related("person").filter(
            engagement_id=engagement_id,
            state=Booking.State.ACTIVE,
            firmness="tentative",
        )
    )


@dataclass(frozen=True)
class PlannedDay:
    date: dt.date
    hours: Decimal
    kind: str
    engagement_id: int | None
    task_name: str
    booking_id: int


def booking_days_for(
    *, person_id: int, start: dt.date, end: dt.date, kinds: Sequence[str] = ()
) -> list[PlannedDay]:
    """A person's planned hours per day and booking (for "fill my week from my schedule")."""
    qs = BookingDay.objects.filter(person_id=person_id, date__gte=start, date__lte=end)
    if kinds:
        qs = qs.filter(kind__in=list(kinds))
    rows = qs.values_list(
        "date", "hours", "kind", "booking__engagement_id", "booking__task_name", "booking_id"
    )
    return [PlannedDay(*row) for row in rows.order_by("date", "booking_id")]


@dataclass(frozen=True)
class BookingWeek:
    booking: Booking
    week_hours: Decimal  # the booking's hours in the week


@dataclass(frozen=True)
class PersonWeek:
    """One person's week: the bookings in it, each date's load and the week's totals."""

    person: Person
    monday: dt.date
    bookings: list[BookingWeek]
    days: list[rules.DayLoad]

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def capacity(self) -> Decimal:
        return sum((d.capacity for d in self.days), ZERO)

    @property
    def planned(self) -> Decimal:
        return sum((d.planned for d in self.days), ZERO)

    @property
    def free(self) -> Decimal:
        return sum((d.free for d in self.days), ZERO)


def person_week(*, person: Person, monday: dt.date) -> PersonWeek:
    """The person's week from `monday`: the board cell's detail."""
    sunday = monday + dt.timedelta(days=6)
    bookings = booking_list(person_id=person.pk, start=monday, end=sunday).prefetch_related("days")
    loads = day_loads(person=person, start=monday, end=sunday)
    return PersonWeek(
        person=person,
        monday=monday,
        bookings=[
            BookingWeek(b, sum((d.hours for d in b.days.all() if monday <= d.date <= sunday), ZERO))
            for b in bookings
        ],
        days=[loads[d] for d in sorted(loads)],
    )


def engagement_booked_by_day(
    *, start: dt.date, end: dt.date
) -> dict[tuple[int, dt.date], tuple[Decimal, Decimal]]:
    """Each engagement's booked hours on each day of a period: (confirmed, tentative weighted
    by its probability). What a forecast of time and materials revenue prices."""
    weighted = ExpressionWrapper(
        F("hours") * F("booking__probability") / 100,
        output_field=DecimalField(max_digits=12, decimal_places=4),
    )
    rows = (
        BookingDay.objects.filter(
            date__gte=start, date__lte=end, booking__engagement_id__isnull=False
        )
        .values_list("booking__engagement_id", "date", "kind")
        .annotate(total=Sum("hours"), weighted=Sum(weighted))
        .order_by()
    )
    found: dict[tuple[int, dt.date], tuple[Decimal, Decimal]] = {}
    for eid, day, kind, total, weighted_total in rows:
        confirmed, tentative = found.get((eid, day), (ZERO, ZERO))
        if kind == BookingDay.Kind.CONFIRMED:
            confirmed += Decimal(total)
        elif kind == BookingDay.Kind.TENTATIVE:
            tentative += Decimal(weighted_total).quantize(Decimal("0.01"))
        found[(eid, day)] = (confirmed, tentative)
    return found
