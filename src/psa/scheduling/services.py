"""Scheduling use cases: requests, the coordinator's decisions, bookings, internal time.

Every change locks the person whose time it books (people.services.person_lock) and checks
availability again after the lock, so two coordinators confirming at once cannot over-book."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse

from psa.core import audit, clock, jobs
from psa.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from psa.core.models import Job
from psa.core.notifications import notify
from psa.core.numbers import ZERO
from psa.core.roles import Actor, Role
from psa.engagements import rules as engagement_rules
from psa.engagements import services as engagement_services
from psa.engagements.models import Engagement, Status
from psa.integrations import spreadsheet
from psa.people import selectors as people
from psa.people import services as people_services
from psa.people.models import Person
from psa.scheduling import rules, selectors
from psa.scheduling.models import (
    AssignmentRequest,
    Booking,
    BookingDay,
    CalendarFeed,
    Firmness,
)
from psa.scheduling.selectors import RECORD_REQUEST

DECIDERS = (Role.PROJECT_COORDINATOR, Role.HEAD_OF_PS)

ERR_END_BEFORE_START = "end date is before the start date"
ERR_BEFORE_START = "{name} starts on {date}: no dates before it"
ERR_AFTER_END = "{name} leaves on {date}: no dates after it"
ERR_TOO_FAR = "dates more than two years ahead ({limit}) cannot be booked"
ERR_HOURS = "hours must be more than 0"
ERR_HOURS_PER_DAY = "hours per day must be at most 24"
ERR_NO_WORKING_DAYS = "{name} has no working hours between these dates"
ERR_OVER_CAPACITY = (
    "{hours} h on {date} is more than {name}'s capacity of {capacity} h; "
    "give an override reason to book over capacity"
)
ERR_ENGAGEMENT_FINISHED = "the engagement is {status}: no new work can be scheduled on it"
ERR_DUPLICATE = "request #{id} for this person and engagement is already open for these dates"
ERR_NOT_OPEN = "request #{id} is {status}, not open"
ERR_MAY_NOT_DECIDE = "only the project coordinator or the head of PS decides requests"
ERR_MAY_NOT_REQUEST = "only team members may request assignments"
ERR_MAY_NOT_WITHDRAW = "only the requester or a coordinator may withdraw a request"
ERR_DOES_NOT_FIT = "does not fit: {details}; pick a proposal or give an override reason"
ERR_INTERNAL_DOES_NOT_FIT = "does not fit: {details}; change the dates or give an override reason"
ERR_PROPOSAL_GONE = "proposal {key!r} is no longer available; review the request again"
ERR_REASON = "a reason is required"
ERR_BOOKING_NEEDED = "a change or cancellation names the booking it is about"
ERR_BOOKING_MISMATCH = "booking {id} is not on this engagement for this person"
ERR_BOOKING_CANCELLED = "booking {id} is already cancelled"
ERR_TASK_NAME = "internal time needs a task name"
ERR_INTERNAL_NOT_YOURS = "you may only plan your own internal time"
ERR_CUSTOMER_BOOKING = "customer bookings change through a request"
# One day that does not fit: in the refusal's message, and as its field error.
ERR_SHORTFALL = "{date}: {requested} h asked, {free} h free"
ERR_SHORT = "{date}: {short} h short"


@dataclass(frozen=True)
class TentativeOutcome:
    booking: Booking
    confirmed: bool
    shortfalls: list[rules.Shortfall]


# ------------------------------------------------------------------ validation


def dates_errors(person: Person, start: dt.date, end: dt.date) -> list[FieldError]:
    errors = []
    limit = clock.today(person.timezone) + dt.timedelta(days=rules.MAX_DAYS_AHEAD)
    if end < start:
        errors.append(FieldError("end_date", ERR_END_BEFORE_START))
    if start < person.start_date:
        errors.append(
            FieldError(
                "start_date", ERR_BEFORE_START.format(name=person.name, date=person.start_date)
            )
        )
    if person.end_date and end > person.end_date:
        errors.append(
            FieldError("end_date", ERR_AFTER_END.format(name=person.name, date=person.end_date))
        )
    if end > limit:
        errors.append(FieldError("end_date", ERR_TOO_FAR.format(limit=limit)))
    return errors


def ask_errors(
    *,
    person: Person | None,
    start: dt.date | None,
    end: dt.date | None,
    hours: Decimal | None,
    per_day: bool,
) -> list[FieldError]:
    """The checks of whichever of a request's dates and hours a form could read, so that a form
    refused for another field also says these at once (the service repeats them on submit)."""
    errors = []
    if person is not None and start is not None and end is not None:
        errors += dates_errors(person, start, end)
    elif start is not None and end is not None and end < start:
        errors.append(FieldError("end_date", ERR_END_BEFORE_START))
    if hours is not None:
        errors += _check_hours(hours, per_day)
    return errors


def _check_hours(hours: Decimal, per_day: bool) -> list[FieldError]:
    if not hours.is_finite() or hours <= 0:
        return [FieldError("hours", ERR_HOURS)]
    if per_day and hours > 24:
        return [FieldError("hours", ERR_HOURS_PER_DAY)]
    return []


def _over_capacity_errors(
    person: Person, plan: dict[dt.date, Decimal], start: dt.date, end: dt.date
) -> list[FieldError]:
    # A normal working day's length: time off is the coordinator's conflict to resolve.
    capacity = {
        d.date: d.normal_hours
        for d in people.capacity_calendar(person=person, start=start, end=end)
    }
    for day, hours in sorted(plan.items()):
        if hours > capacity.get(day, ZERO):
            return [
                FieldError(
                    "hours",
                    ERR_OVER_CAPACITY.format(
                        hours=hours, date=day, name=person.name, capacity=capacity.get(day, ZERO)
                    ),
                )
            ]
    return []


def ask_validate(
    *, ask: selectors.Ask, override_reason: str = "", errors: list[FieldError] | None = None
) -> None:
    """Refuse an ask with bad dates or hours, no working days, or more hours on a day than the
    person's capacity (unless an override reason is given). All problems are reported at once."""
    errors = list(errors or [])
    errors += dates_errors(ask.person, ask.start, ask.end) + _check_hours(ask.hours, ask.per_day)
    if errors:
        raise ValidationFailed.collect(errors)
    plan = selectors.request_plan(
        person=ask.person, start=ask.start, end=ask.end, hours=ask.hours, per_day=ask.per_day
    )
    if not plan:
        raise ValidationFailed(ERR_NO_WORKING_DAYS.format(name=ask.person.name), field="start_date")
    too_much = rules.day_limit_error(plan)
    if too_much:
        raise ValidationFailed(too_much, field="hours")
    if not override_reason.strip():
        over = _over_capacity_errors(ask.person, plan, ask.start, ask.end)
        if over:
            raise ValidationFailed.collect(over)


def _require_schedulable(engagement: Engagement) -> None:
    if engagement_rules.is_finished(engagement.status):
        raise Conflict(
            ERR_ENGAGEMENT_FINISHED.format(status=engagement.status), field="engagement_id"
        )


def _shortfall_text(shortfalls: list[rules.Shortfall]) -> str:
    return ", ".join(
        ERR_SHORTFALL.format(date=s.date, requested=s.requested, free=s.free) for s in shortfalls
    )


# ------------------------------------------------------------------ booking days


def _kind_for(booking: Booking) -> str:
    if booking.engagement_id is None:
        return BookingDay.Kind.INTERNAL
    return booking.firmness


def _write_days(booking: Booking, plan: dict[dt.date, Decimal]) -> None:
    booking.days.all().delete()
    kind = _kind_for(booking)
    BookingDay.objects.bulk_create(
        BookingDay(booking=booking, person_id=booking.person_id, date=d, hours=h, kind=kind)
        for d, h in sorted(plan.items())
        if h > 0
    )
    booking.start_date, booking.end_date = min(plan), max(plan)
    booking.hours = sum(plan.values(), ZERO)


def _booking_snapshot(booking: Booking) -> dict[str, object]:
    data = audit.snapshot(booking)
    data["days"] = {d.date.isoformat(): str(d.hours) for d in booking.days.order_by("date")}
    return data


def _fresh_shortfalls(
    person_id: int, plan: dict[dt.date, Decimal], exclude_booking_id: int | None
) -> list[rules.Shortfall]:
    """Lock the person, then check the plan against what is booked now."""
    person = people_services.person_lock(person_id=person_id)
    loads = selectors.day_loads(
        person=person, start=min(plan), end=max(plan), exclude_booking_id=exclude_booking_id
    )
    return rules.shortfalls(plan, loads)


# ------------------------------------------------------------------ notifications


MSG_REQUEST_NEW = (
    "{requester} asks for {person} on {engagement}: {start} to {end}, {amount} (request #{id})"
)
MSG_BOOKED = (
    "You are booked on {engagement}: {start} to {end}, {hours} h, {firmness} (booking #{booking})"
)
MSG_UNBOOKED = "Your booking #{booking} on {engagement} ({start} to {end}) is {what}"
MSG_WITHDRAWN = "Assignment request #{id} for {person} on {engagement} was withdrawn by {who}"


def _name_of(user_id: int | None, fallback: str) -> str:
    """A login as people know it: the person's name, else the login name."""
    if user_id is None:
        return fallback
    user = get_user_model().objects.filter(pk=user_id).first()
    person = people.person_for_user(user=user) if user is not None else None
    return person.name if person is not None else fallback


def _tell(
    request: AssignmentRequest, users: list[Any], text: str, *, event: str, subject: str
) -> None:
    """Notify each login once about this request's event (in-app, and by e-mail)."""
    url = reverse("schedule_request", args=[request.pk])
    seen: set[int] = set()
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        notify(
            user=user,
            text=text,
            url=url,
            subject=subject,
            record=(RECORD_REQUEST, request.pk),
            key=f"request:{request.pk}:{event}",
        )


def _notify(actor: Actor, request: AssignmentRequest, text: str) -> None:
    """Tell the requester of a decision: a comment on the engagement, and a notification."""
    engagement_services.comment_add(actor=actor, engagement=request.engagement, body=text)
    subject = f"Assignment request #{request.pk}: {request.get_status_display().lower()}"
    if request.requested_by_id != actor.user_id:
        _tell(request, [request.requested_by], text, event=request.status, subject=subject)


def _tell_booked(actor: Actor, request: AssignmentRequest, booking: Booking) -> None:
    """The people whose own schedule the decision changed: whoever is booked now, and, when a
    change or a cancellation moved the work away from them, whoever was booked before."""
    what = {
        AssignmentRequest.Action.CANCEL.value: "cancelled",
        AssignmentRequest.Action.CHANGE.value: "changed",
    }.get(str(request.action))
    values = {"engagement": str(request.engagement), "booking": booking.pk}
    subject = f"PSA: booking #{booking.pk} on {request.engagement}"
    if what == "cancelled":
        _tell(
            request,
            [booking.person.user] if booking.person.user_id != actor.user_id else [],
            MSG_UNBOOKED.format(
                **values, start=booking.start_date, end=booking.end_date, what="cancelled"
            ),
            event="unbooked",
            subject=subject,
        )
        return
    booked = booking.person
    if booked.user_id is not None and booked.user_id != actor.user_id:
        _tell(
            request,
            [booked.user],
            MSG_BOOKED.format(
                **values,
                start=booking.start_date,
                end=booking.end_date,
                hours=booking.hours,
                firmness=booking.get_firmness_display().lower(),
            ),
            event="booked",
            subject=subject,
        )
    before = request.person
    if what == "changed" and before.pk != booked.pk and before.user_id != actor.user_id:
        _tell(
            request,
            [before.user],
            MSG_UNBOOKED.format(
                **values,
                start=request.start_date,
                end=request.end_date,
                what="moved to " + booked.name,
            ),
            event="unbooked",
            subject=subject,
        )


# ------------------------------------------------------------------ requests


def request_create(
    *,
    actor: Actor,
    engagement: Engagement,
    person: Person,
    start_date: dt.date,
    end_date: dt.date,
    hours: Decimal,
    per_day: bool = False,
    skill: str = "",
    note: str = "",
    action: str = AssignmentRequest.Action.BOOK,
    booking: Booking | None = None,
    override_reason: str = "",
) -> AssignmentRequest:
    """Ask the coordinator for a person's time: a record, and a comment on the engagement."""
    if actor.person_id is None and not actor.is_admin:
        raise PermissionDenied(ERR_MAY_NOT_REQUEST)
    _require_schedulable(engagement)
    errors: list[FieldError] = []
    if action != AssignmentRequest.Action.BOOK:
        if booking is None:
            errors.append(FieldError("booking_id", ERR_BOOKING_NEEDED))
        elif booking.engagement_id != engagement.pk or booking.person_id != person.pk:
            errors.append(FieldError("booking_id", ERR_BOOKING_MISMATCH.format(id=booking.pk)))
        elif booking.state == Booking.State.CANCELLED:
            errors.append(FieldError("booking_id", ERR_BOOKING_CANCELLED.format(id=booking.pk)))
    ask_validate(
        ask=selectors.Ask(
            person=person, start=start_date, end=end_date, hours=hours, per_day=per_day, skill=skill
        ),
        override_reason=override_reason,
        errors=errors,
    )
    with transaction.atomic():
        # Under the person's lock, so parallel identical requests find each other.
        people_services.person_lock(person_id=person.pk)
        duplicate = (
            selectors.request_list(
                status=AssignmentRequest.Status.OPEN,
                person_id=person.pk,
                engagement_id=engagement.pk,
            )
            .filter(start_date__lte=end_date, end_date__gte=start_date)
            .first()
        )
        if duplicate is not None:
            raise Conflict(ERR_DUPLICATE.format(id=duplicate.pk), field="start_date")
        request = AssignmentRequest.objects.create(
            engagement=engagement,
            person=person,
            action=action,
            booking=booking,
            start_date=start_date,
            end_date=end_date,
            hours=hours,
            per_day=per_day,
            skill=skill.strip(),
            note=note.strip(),
            requested_by_id=actor.user_id,
            requested_by_name=_name_of(actor.user_id, actor.username),
            created_at=clock.now(),
        )
        amount = f"{hours} h per working day" if per_day else f"{hours} h in total"
        verb = {
            "book": "please schedule",
            "change": f"please change booking #{booking.pk if booking else ''} to",
            "cancel": f"please cancel booking #{booking.pk if booking else ''}:",
        }[action]
        pcs = ", ".join(
            f"@{p.user.get_username()}"
            for p in people.person_list(role=Role.PROJECT_COORDINATOR)
            if p.user
        )
        body = (
            f"{pcs or '@project-coordinator'} Assignment request #{request.pk}: {verb} "
            f"{person.name}, {start_date} to {end_date}, {amount}."
            + (f" Skill: {skill}." if skill else "")
            + (f" {note}" if note else "")
        )
        request.comment = engagement_services.comment_add(
            actor=actor, engagement=engagement, body=body
        )
        request.save(update_fields=["comment"])
        audit.record(
            actor=actor,
            action="request.create",
            target=request,
            after=audit.snapshot(request),
            reason=override_reason,
        )
        # Whoever decides requests acts next.
        deciders = [
            p.user
            for p in people.person_list(role=Role.PROJECT_COORDINATOR).filter(user__isnull=False)
            if p.user_id != actor.user_id
        ]
        _tell(
            request,
            deciders,
            MSG_REQUEST_NEW.format(
                requester=_name_of(actor.user_id, actor.username),
                person=person.name,
                engagement=str(engagement),
                start=start_date,
                end=end_date,
                amount=amount,
                id=request.pk,
            ),
            event="open",
            subject=f"PSA: assignment request #{request.pk} for {person.name}",
        )
    return request


def can_decide_requests(actor: Actor) -> bool:
    """Confirming and declining requests is the coordinator's (and the head of PS's)."""
    return actor.has_any(*DECIDERS)


def can_withdraw_request(actor: Actor, request: AssignmentRequest) -> bool:
    """The requester withdraws their own request; whoever decides requests, anyone's."""
    return request.requested_by_id == actor.user_id or can_decide_requests(actor)


def _require_decider(actor: Actor) -> None:
    if not can_decide_requests(actor):
        raise PermissionDenied(ERR_MAY_NOT_DECIDE)


def _locked_open(request: AssignmentRequest) -> AssignmentRequest:
    locked = (
        AssignmentRequest.objects.select_for_update(of=("self",))
        .select_related("person", "engagement", "engagement__customer", "booking", "requested_by")
        .get(pk=request.pk)
    )
    if locked.status != AssignmentRequest.Status.OPEN:
        raise Conflict(ERR_NOT_OPEN.format(id=locked.pk, status=locked.status), field="status")
    return locked


def request_confirm(
    *,
    actor: Actor,
    request: AssignmentRequest,
    proposal_key: str = "",
    override_reason: str = "",
) -> Booking:
    """Confirm a request as asked, or as one of its proposals. Work on a pipeline engagement
    becomes a tentative booking carrying the engagement's probability."""
    _require_decider(actor)
    with transaction.atomic():
        request = _locked_open(request)
        _require_schedulable(request.engagement)
        review = selectors.request_review(request=request, with_proposals=bool(proposal_key))
        person_id, plan = request.person_id, review.plan
        chosen = ""
        if proposal_key:
            match = next((p for p in review.proposals if p.key == proposal_key), None)
            if match is None:
                raise Conflict(ERR_PROPOSAL_GONE.format(key=proposal_key), field="proposal")
            person_id, plan, chosen = match.person_id, dict(match.days), match.reason
        is_change = request.action == AssignmentRequest.Action.CHANGE
        exclude = request.booking_id if is_change else None
        if request.action == AssignmentRequest.Action.CANCEL:
            booking = _cancel_booking(actor, request)
        else:
            shortfalls = _fresh_shortfalls(person_id, plan, exclude)
            if shortfalls and not override_reason.strip():
                raise Conflict(
                    ERR_DOES_NOT_FIT.format(details=_shortfall_text(shortfalls)),
                    errors=[
                        FieldError("hours", ERR_SHORT.format(date=s.date, short=s.short))
                        for s in shortfalls
                    ],
                )
            booking = _book(actor, request, person_id, plan, override_reason if shortfalls else "")
        request.status = AssignmentRequest.Status.CONFIRMED
        request.decided_by_name = _name_of(actor.user_id, actor.username)
        request.decided_at = clock.now()
        request.decision_reason = chosen or override_reason
        request.save(update_fields=["status", "decided_by_name", "decided_at", "decision_reason"])
        audit.record(
            actor=actor,
            action="request.confirm",
            target=request,
            before={"status": "open"},
            after={"status": "confirmed", "booking_id": booking.pk, "proposal": proposal_key},
            reason=override_reason,
        )
        what = (
            "cancelled"
            if request.action == AssignmentRequest.Action.CANCEL
            else (
                f"confirmed as booking #{booking.pk} ({booking.get_firmness_display().lower()}): "
                f"{booking.person.name}, {booking.start_date} to {booking.end_date}, "
                f"{booking.hours} h"
            )
        )
        text = f"Assignment request #{request.pk} {what}."
        if chosen:
            text += f" Chosen proposal: {chosen}."
        if override_reason and request.action != AssignmentRequest.Action.CANCEL:
            text += f" Booked over capacity: {override_reason}"
        _notify(actor, request, text)
        _tell_booked(actor, request, booking)
    return booking


def _book(
    actor: Actor,
    request: AssignmentRequest,
    person_id: int,
    plan: dict[dt.date, Decimal],
    override_reason: str,
) -> Booking:
    engagement = request.engagement
    firmness = Firmness.TENTATIVE if engagement.status == Status.PIPELINE else Firmness.CONFIRMED
    now = clock.now()
    if request.action == AssignmentRequest.Action.CHANGE and request.booking is not None:
        booking = Booking.objects.select_for_update().get(pk=request.booking.pk)
        before = _booking_snapshot(booking)
        booking.person_id = person_id
        booking.sequence += 1
        booking.over_capacity_reason = override_reason
        booking.request = request
        booking.updated_at = now
        _write_days(booking, plan)
        booking.save()
        audit.record(
            actor=actor,
            action="booking.change",
            target=booking,
            before=before,
            after=_booking_snapshot(booking),
            reason=override_reason,
        )
        return booking
    booking = Booking(
        person_id=person_id,
        engagement=engagement,
        firmness=firmness,
        probability=engagement.probability if firmness == Firmness.TENTATIVE else 100,
        start_date=min(plan),
        end_date=max(plan),
        hours=ZERO,
        over_capacity_reason=override_reason,
        request=request,
        created_at=now,
        updated_at=now,
    )
    return _save_new(actor, booking, plan, action="booking.create", reason=override_reason)


def _save_new(
    actor: Actor, booking: Booking, plan: dict[dt.date, Decimal], *, action: str, reason: str
) -> Booking:
    booking.save()
    _write_days(booking, plan)
    booking.save(update_fields=["start_date", "end_date", "hours"])
    audit.record(
        actor=actor, action=action, target=booking, after=_booking_snapshot(booking), reason=reason
    )
    return booking


def _cancel_booking(actor: Actor, request: AssignmentRequest) -> Booking:
    if request.booking is None:
        raise ValidationFailed(ERR_BOOKING_NEEDED, field="booking_id")
    return _cancel(actor, request.booking, action="booking.cancel")


def _cancel(actor: Actor, booking: Booking, *, action: str, reason: str = "") -> Booking:
    """Cancel a booking (locked): its days go, freeing the time; its dates and hours stay, and
    the calendar feeds send it as cancelled (SEQUENCE bumped)."""
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    if booking.state == Booking.State.CANCELLED:
        raise Conflict(ERR_BOOKING_CANCELLED.format(id=booking.pk), field="booking_id")
    before = _booking_snapshot(booking)
    booking.state = Booking.State.CANCELLED
    booking.sequence += 1
    booking.updated_at = clock.now()
    booking.days.all().delete()
    booking.save(update_fields=["state", "sequence", "updated_at"])
    audit.record(
        actor=actor,
        action=action,
        target=booking,
        before=before,
        after={"state": booking.state},
        reason=reason,
    )
    return booking


def request_decline(*, actor: Actor, request: AssignmentRequest, reason: str) -> AssignmentRequest:
    _require_decider(actor)
    if not reason.strip():
        raise ValidationFailed(ERR_REASON, field="reason")
    with transaction.atomic():
        request = _locked_open(request)
        request.status = AssignmentRequest.Status.DECLINED
        request.decided_by_name = _name_of(actor.user_id, actor.username)
        request.decided_at = clock.now()
        request.decision_reason = reason.strip()
        request.save(update_fields=["status", "decided_by_name", "decided_at", "decision_reason"])
        audit.record(
            actor=actor,
            action="request.decline",
            target=request,
            before={"status": "open"},
            after={"status": "declined"},
            reason=reason,
        )
        _notify(actor, request, f"Assignment request #{request.pk} declined: {reason.strip()}")
    return request


def request_withdraw(*, actor: Actor, request: AssignmentRequest) -> AssignmentRequest:
    if not can_withdraw_request(actor, request):
        raise PermissionDenied(ERR_MAY_NOT_WITHDRAW)
    with transaction.atomic():
        request = _locked_open(request)
        request.status = AssignmentRequest.Status.WITHDRAWN
        request.decided_by_name = _name_of(actor.user_id, actor.username)
        request.decided_at = clock.now()
        request.save(update_fields=["status", "decided_by_name", "decided_at"])
        audit.record(
            actor=actor,
            action="request.withdraw",
            target=request,
            before={"status": "open"},
            after={"status": "withdrawn"},
        )
        if request.requested_by_id != actor.user_id:
            _tell(
                request,
                [request.requested_by],
                MSG_WITHDRAWN.format(
                    id=request.pk,
                    person=request.person.name,
                    engagement=str(request.engagement),
                    who=_name_of(actor.user_id, actor.username),
                ),
                event="withdrawn",
                subject=f"Assignment request #{request.pk}: withdrawn",
            )
    return request


# ------------------------------------------------------------------ internal time


def internal_time_create(
    *,
    actor: Actor,
    person: Person,
    task_name: str,
    start_date: dt.date,
    end_date: dt.date,
    hours: Decimal,
    per_day: bool = False,
    override_reason: str = "",
) -> Booking:
    """A PSE plans their own internal time (task name, hours, dates); it consumes capacity."""
    if actor.person_id != person.pk and not actor.has_any(*DECIDERS):
        raise PermissionDenied(ERR_INTERNAL_NOT_YOURS, field="person_id")
    errors = dates_errors(person, start_date, end_date) + _check_hours(hours, per_day)
    if not task_name.strip():
        errors.append(FieldError("task_name", ERR_TASK_NAME))
    if errors:
        raise ValidationFailed.collect(errors)
    plan = selectors.request_plan(
        person=person, start=start_date, end=end_date, hours=hours, per_day=per_day
    )
    if not plan:
        raise ValidationFailed(ERR_NO_WORKING_DAYS.format(name=person.name), field="start_date")
    too_much = rules.day_limit_error(plan)
    if too_much:
        raise ValidationFailed(too_much, field="hours")
    now = clock.now()
    with transaction.atomic():
        shortfalls = _fresh_shortfalls(person.pk, plan, None)
        if shortfalls and not override_reason.strip():
            raise Conflict(
                ERR_INTERNAL_DOES_NOT_FIT.format(details=_shortfall_text(shortfalls)),
                errors=[
                    FieldError("hours", ERR_SHORT.format(date=s.date, short=s.short))
                    for s in shortfalls
                ],
            )
        booking = Booking(
            person=person,
            task_name=task_name.strip(),
            firmness=Firmness.CONFIRMED,
            start_date=start_date,
            end_date=end_date,
            hours=ZERO,
            over_capacity_reason=override_reason if shortfalls else "",
            created_at=now,
            updated_at=now,
        )
        return _save_new(actor, booking, plan, action="internal.create", reason=override_reason)


def internal_time_cancel(*, actor: Actor, booking: Booking) -> Booking:
    if not booking.is_internal:
        raise ValidationFailed(ERR_CUSTOMER_BOOKING, field="booking_id")
    if actor.person_id != booking.person_id and not actor.has_any(*DECIDERS):
        raise PermissionDenied(ERR_INTERNAL_NOT_YOURS, field="booking_id")
    with transaction.atomic():
        return _cancel(actor, booking, action="internal.cancel")


# ------------------------------------------------------------------ tentative work


def tentative_confirm(*, actor: Actor, engagement: Engagement) -> list[TentativeOutcome]:
    """Firm up an engagement's tentative bookings again (e.g. after re-planning the ones that
    did not fit when it was booked)."""
    _require_decider(actor)
    with transaction.atomic():
        return _firm_up(actor, engagement)


def _firm_up(actor: Actor, engagement: Engagement) -> list[TentativeOutcome]:
    """Tentative bookings turn confirmed, each after a fresh availability check (its own hold
    excluded). Those that no longer fit stay tentative and are reported."""
    outcomes = []
    for booking in selectors.tentative_bookings(engagement_id=engagement.pk):
        plan = {d.date: d.hours for d in booking.days.all()}
        shortfalls = _fresh_shortfalls(booking.person_id, plan, booking.pk) if plan else []
        if shortfalls:
            outcomes.append(TentativeOutcome(booking, False, shortfalls))
            continue
        booking.firmness = Firmness.CONFIRMED
        booking.probability = 100
        booking.sequence += 1
        booking.updated_at = clock.now()
        booking.save(update_fields=["firmness", "probability", "sequence", "updated_at"])
        booking.days.update(kind=BookingDay.Kind.CONFIRMED)
        audit.record(
            actor=actor,
            action="booking.firm",
            target=booking,
            before={"firmness": "tentative"},
            after={"firmness": "confirmed"},
        )
        outcomes.append(TentativeOutcome(booking, True, []))
    return outcomes


def _cancel_all(actor: Actor, engagement: Engagement) -> None:
    for booking in selectors.booking_list(engagement_id=engagement.pk):
        _cancel(actor, booking, action="booking.cancel", reason="engagement cancelled")


def bookings_follow_engagement(*, actor: Actor, engagement: Engagement) -> list[TentativeOutcome]:
    """The schedule follows the engagement's status (engagements.flows.engagement_status_change
    calls it right after the status changed, in the same transaction): booked → its tentative
    bookings turn confirmed (after a fresh check); cancelled → its bookings are cancelled and
    the time is freed; any other status leaves the schedule as it is. Whoever may change the
    engagement may move its schedule with it."""
    if not engagement_services.can_edit_engagements(actor):
        raise PermissionDenied(engagement_services.ERR_MAY_NOT_EDIT)
    with transaction.atomic():
        if engagement.status == Status.BOOKED:
            return _firm_up(actor, engagement)
        if engagement.status == Status.CANCELLED:
            _cancel_all(actor, engagement)
    return []


# ------------------------------------------------------------------ calendar feeds

ERR_FEED_TARGET = "a feed is for one person or one engagement"
ERR_FEED_NOT_YOURS = "you may only create feeds for yourself, or as a coordinator"
ERR_FEED_REVOKE = "only the feed's owner, its creator or a coordinator may revoke it"
ERR_FEED_TEAM_ONLY = "only team members may create calendar feeds"


def feed_create(
    *, actor: Actor, person: Person | None = None, engagement: Engagement | None = None
) -> CalendarFeed:
    """A secret-token iCalendar feed URL for a person's or an engagement's bookings."""
    if (person is None) == (engagement is None):
        raise ValidationFailed(ERR_FEED_TARGET, field="person_id")
    if actor.person_id is None and not actor.is_admin:
        raise PermissionDenied(ERR_FEED_TEAM_ONLY)
    if person is not None and actor.person_id != person.pk and not actor.has_any(*DECIDERS):
        raise PermissionDenied(ERR_FEED_NOT_YOURS, field="person_id")
    with transaction.atomic():
        feed = CalendarFeed.objects.create(
            person=person,
            engagement=engagement,
            token=secrets.token_urlsafe(32),
            created_by_id=actor.user_id,
            created_at=clock.now(),
        )
        audit.record(
            actor=actor,
            action="feed.create",
            target=feed,
            after={"person_id": feed.person_id, "engagement_id": feed.engagement_id},
        )
    return feed


def feed_revoke(*, actor: Actor, feed: CalendarFeed) -> CalendarFeed:
    allowed = (
        (feed.person_id is not None and actor.person_id == feed.person_id)
        or (feed.created_by_id is not None and actor.user_id == feed.created_by_id)
        or actor.has_any(*DECIDERS)
    )
    if not allowed:
        raise PermissionDenied(ERR_FEED_REVOKE, field="feed_id")
    with transaction.atomic():
        if feed.revoked_at is None:
            feed.revoked_at = clock.now()
            feed.save(update_fields=["revoked_at"])
            audit.record(
                actor=actor,
                action="feed.revoke",
                target=feed,
                before={"revoked_at": None},
                after={"revoked_at": feed.revoked_at},
            )
    return feed


# ------------------------------------------------------------------ the spreadsheet, from the pages

ERR_NO_SHEET = "choose the schedule spreadsheet: an XLSX or CSV file"


def schedule_import_check_start(
    *, actor: Actor, data: bytes, file_name: str, override_capacity: bool = False
) -> Job:
    """Queue the dry run of an uploaded schedule spreadsheet; its job keeps the file for the
    import that may follow (schedule_import_confirm)."""
    # Here, not at the top: tasks reads through scheduling.imports, which imports this module.
    from psa.scheduling import imports, tasks

    imports.require_importer(actor)
    spreadsheet.check_upload(data, missing=ERR_NO_SHEET)
    name = file_name.strip() or "the schedule"
    return jobs.job_start(
        actor=actor,
        kind=tasks.SCHEDULE_IMPORT,
        title=f"Schedule import check of {name}",
        params={"dry_run": True, "override_capacity": override_capacity},
        task=tasks.schedule_import_task,
        file=data,
        file_name=name,
        content_type=spreadsheet.XLSX if spreadsheet.is_xlsx(data) else "text/csv",
    )


def schedule_import_confirm(*, actor: Actor, job_id: int) -> Job:
    """Import the spreadsheet a finished, clean check holds, as a new job that checks every
    row again as it writes. Once per check."""
    from psa.scheduling import imports, tasks

    imports.require_importer(actor)
    return jobs.job_check_confirm(
        actor=actor,
        job_id=job_id,
        kind=tasks.SCHEDULE_IMPORT,
        title="Schedule import of {name}",
        task=tasks.schedule_import_task,
    )
