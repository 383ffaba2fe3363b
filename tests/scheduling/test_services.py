"""Requests, the coordinator's review, bookings, tentative work and internal time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from psa.core import clock
from psa.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements import flows
from psa.engagements import services as engagement_services
from psa.engagements.models import Comment, Engagement, Status
from psa.people.models import Person
from psa.scheduling import selectors, services
from psa.scheduling.models import AssignmentRequest, BookingDay
from tests.engagements.factories import EngagementFactory
from tests.helpers import unchanged

pytestmark = pytest.mark.django_db
D = Decimal
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
MON = dt.date(2026, 12, 7)  # no US holiday that week


def day(offset: int) -> dt.date:
    return MON + dt.timedelta(days=offset)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def team(make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]) -> Any:
    class Team:
        pc = make_person(Role.PROJECT_COORDINATOR, name="Priya")
        pse = make_person(Role.PSE, name="Alex")
        manager = make_person(Role.DELIVERY_MANAGER, name="Marcus")
        engagement = EngagementFactory.create(status=Status.ACTIVE, probability=100)

        def actor(self, person: Person) -> Actor:
            return actor_of(person)

    return Team()


def ask(team: Any, **kw: Any) -> AssignmentRequest:
    args: dict[str, Any] = {
        "engagement": team.engagement,
        "person": team.pse,
        "start_date": day(1),
        "end_date": day(3),
        "hours": D("24"),
    }
    args.update(kw)
    return services.request_create(actor=team.actor(team.manager), **args)


def test_a_request_is_a_record_and_a_comment_to_the_coordinator(team: Any) -> None:
    request = ask(team, note="Kick-off week")
    assert request.status == AssignmentRequest.Status.OPEN
    comment = Comment.objects.get(engagement=team.engagement)
    assert comment == request.comment
    assert f"@{team.pc.user.username}" in comment.body
    assert "Alex, 2026-12-08 to 2026-12-10, 24 h in total" in comment.body


@pytest.mark.parametrize(
    ("kw", "field", "message"),
    [
        ({"start_date": day(3), "end_date": day(1)}, "end_date", services.ERR_END_BEFORE_START),
        ({"hours": D("0")}, "hours", services.ERR_HOURS),
        ({"hours": D("-8")}, "hours", services.ERR_HOURS),
        ({"hours": D("25"), "per_day": True}, "hours", services.ERR_HOURS_PER_DAY),
        (
            {"hours": D("10"), "per_day": True},  # more than the 8 h day allows
            "hours",
            services.ERR_OVER_CAPACITY.format(
                hours="10.00", date=day(1), name="Alex", capacity="8.00"
            ),
        ),
        (
            {"start_date": dt.date(2019, 12, 30), "end_date": dt.date(2020, 1, 3)},
            "start_date",
            services.ERR_BEFORE_START.format(name="Alex", date="2020-01-01"),
        ),
        (
            {"start_date": dt.date(2028, 12, 4), "end_date": dt.date(2028, 12, 6)},
            "end_date",
            services.ERR_TOO_FAR.format(limit="2028-11-25"),
        ),
        (
            {"start_date": day(5), "end_date": day(6)},  # a weekend
            "start_date",
            services.ERR_NO_WORKING_DAYS.format(name="Alex"),
        ),
    ],
)
def test_bad_requests_are_refused_with_the_field_and_write_nothing(
    team: Any, kw: dict[str, Any], field: str, message: str
) -> None:
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        ask(team, **kw)
    assert exc.value.errors == [FieldError(field, message)]


def test_dates_after_the_person_leaves_are_refused(team: Any) -> None:
    team.pse.end_date = day(2)
    team.pse.save()
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        ask(team)
    message = services.ERR_AFTER_END.format(name="Alex", date="2026-12-09")
    assert exc.value.errors == [FieldError("end_date", message)]


def test_over_capacity_request_needs_an_override_reason(team: Any) -> None:
    request = ask(team, hours=D("10"), per_day=True, override_reason="go-live week")
    assert request.hours == D("10")


@pytest.mark.parametrize("status", [Status.COMPLETE, Status.CANCELLED])
def test_no_requests_on_finished_engagements(team: Any, status: str) -> None:
    team.engagement.status = status
    team.engagement.save()
    with unchanged(), pytest.raises(Conflict) as exc:
        ask(team)
    message = services.ERR_ENGAGEMENT_FINISHED.format(status=status)
    assert exc.value.errors == [FieldError("engagement_id", message)]


def test_a_duplicate_open_request_is_refused(team: Any) -> None:
    first = ask(team)
    with unchanged(), pytest.raises(Conflict) as exc:
        ask(team, start_date=day(2), end_date=day(4))
    assert exc.value.errors == [
        FieldError("start_date", services.ERR_DUPLICATE.format(id=first.pk))
    ]


def test_confirming_a_fitting_request_books_it_and_tells_the_requester(
    team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = ask(team)
    review = selectors.request_review(request=request)
    assert review.fits
    assert review.proposals == []
    with django_capture_on_commit_callbacks(execute=True):
        booking = services.request_confirm(actor=team.actor(team.pc), request=request)
    assert booking.firmness == "confirmed"
    assert booking.hours == D("24.00")
    days = list(BookingDay.objects.filter(booking=booking).values_list("date", "hours"))
    assert days == [(day(1), D("8.00")), (day(2), D("8.00")), (day(3), D("8.00"))]
    request.refresh_from_db()
    assert request.status == "confirmed"
    # The requester hears of the decision, the booked person of their booking; the
    # coordinator who decided, nothing.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [team.manager.user.email, team.pse.user.email]
    )
    told = {m.to[0]: m for m in mail.outbox}
    assert told[team.manager.user.email].subject == f"Assignment request #{request.pk}: confirmed"
    assert told[team.pse.user.email].subject == f"PSA: booking #{booking.pk} on {team.engagement}"
    assert Comment.objects.filter(body__contains=f"confirmed as booking #{booking.pk}").exists()


def test_a_conflict_lists_the_shortfall_and_proposals_and_changes_nothing(
    team: Any, make_person: Callable[..., Person]
) -> None:
    other = EngagementFactory.create(status=Status.ACTIVE)
    services.request_confirm(
        actor=team.actor(team.pc),
        request=ask(team, engagement=other, start_date=day(2), end_date=day(2), hours=D("6")),
    )
    colleague = make_person(Role.PSE, name="Jordan")
    request = ask(team)
    review = selectors.request_review(request=request)
    assert not review.fits
    assert [(s.date, s.short) for s in review.shortfalls] == [(day(2), D("6.00"))]
    kinds = [p.kind for p in review.proposals]
    assert kinds.count("window") == 3
    assert "person" in kinds
    assert "partial" in kinds
    assert "spread" in kinds
    people = [p for p in review.proposals if p.kind == "person"]
    assert people[0].person_id == colleague.pk
    assert all(p.reason for p in review.proposals)
    with unchanged(), pytest.raises(Conflict) as exc:
        services.request_confirm(actor=team.actor(team.pc), request=request)
    shortfall = services.ERR_SHORTFALL.format(date=day(2), requested="8.00", free="2.00")
    assert exc.value.message == services.ERR_DOES_NOT_FIT.format(details=shortfall)
    assert exc.value.errors == [
        FieldError("hours", services.ERR_SHORT.format(date=day(2), short="6.00"))
    ]


def test_picking_a_proposal_books_that_window(team: Any) -> None:
    services.internal_time_create(
        actor=team.actor(team.pse),
        person=team.pse,
        task_name="Enablement",
        start_date=day(2),
        end_date=day(2),
        hours=D("8"),
    )
    request = ask(team)
    window = next(
        p for p in selectors.request_review(request=request).proposals if p.kind == "window"
    )
    booking = services.request_confirm(
        actor=team.actor(team.pc), request=request, proposal_key=window.key
    )
    assert (booking.start_date, booking.end_date, booking.hours) == (
        window.start,
        window.end,
        D("24.00"),
    )
    request.refresh_from_db()
    assert request.decision_reason == window.reason
    with unchanged(), pytest.raises(Conflict) as exc:
        services.request_confirm(actor=team.actor(team.pc), request=request)
    message = services.ERR_NOT_OPEN.format(id=request.pk, status="confirmed")
    assert exc.value.errors == [FieldError("status", message)]


def test_an_unknown_proposal_key_is_a_conflict(team: Any) -> None:
    services.internal_time_create(
        actor=team.actor(team.pse),
        person=team.pse,
        task_name="Enablement",
        start_date=day(2),
        end_date=day(2),
        hours=D("8"),
    )
    request = ask(team)
    key = "window:1:2020-01-01:2020-01-02"
    with unchanged(), pytest.raises(Conflict) as exc:
        services.request_confirm(actor=team.actor(team.pc), request=request, proposal_key=key)
    assert exc.value.errors == [FieldError("proposal", services.ERR_PROPOSAL_GONE.format(key=key))]


def test_override_books_over_capacity_and_records_why(team: Any) -> None:
    services.internal_time_create(
        actor=team.actor(team.pse),
        person=team.pse,
        task_name="Enablement",
        start_date=day(2),
        end_date=day(2),
        hours=D("8"),
    )
    booking = services.request_confirm(
        actor=team.actor(team.pc),
        request=ask(team),
        override_reason="customer go-live; Alex agreed",
    )
    assert booking.over_capacity_reason == "customer go-live; Alex agreed"
    loads = selectors.day_loads(person=team.pse, start=day(2), end=day(2))
    assert loads[day(2)].over == D("8.00")


def test_only_a_coordinator_decides(team: Any) -> None:
    request = ask(team)
    with unchanged(), pytest.raises(PermissionDenied) as confirmed:
        services.request_confirm(actor=team.actor(team.pse), request=request)
    with unchanged(), pytest.raises(PermissionDenied) as declined:
        services.request_decline(actor=team.actor(team.manager), request=request, reason="no")
    assert confirmed.value.message == declined.value.message == services.ERR_MAY_NOT_DECIDE


def test_decline_needs_a_reason_and_tells_the_requester(
    team: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = ask(team)
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.request_decline(actor=team.actor(team.pc), request=request, reason=" ")
    assert exc.value.errors == [FieldError("reason", services.ERR_REASON)]
    with django_capture_on_commit_callbacks(execute=True):
        services.request_decline(
            actor=team.actor(team.pc), request=request, reason="Alex is on the Globex go-live"
        )
    assert [m.to for m in mail.outbox] == [[team.manager.user.email]]
    assert mail.outbox[0].body.splitlines()[0] == (
        f"Assignment request #{request.pk} declined: Alex is on the Globex go-live"
    )


def test_pipeline_work_is_tentative_and_firms_up_when_booked(team: Any) -> None:
    deal = EngagementFactory.create(status=Status.PIPELINE, probability=60)
    booking = services.request_confirm(
        actor=team.actor(team.pc), request=ask(team, engagement=deal)
    )
    assert (booking.firmness, booking.probability) == ("tentative", 60)
    assert set(booking.days.values_list("kind", flat=True)) == {"tentative"}
    outcomes = flows.engagement_status_change(
        actor=team.actor(team.pc), engagement=deal, status=Status.BOOKED
    )
    assert [o.confirmed for o in outcomes] == [True]
    booking.refresh_from_db()
    assert (booking.firmness, booking.probability, booking.sequence) == ("confirmed", 100, 1)
    assert set(booking.days.values_list("kind", flat=True)) == {"confirmed"}


def test_tentative_that_no_longer_fits_stays_tentative_and_is_reported(team: Any) -> None:
    deal = EngagementFactory.create(status=Status.PIPELINE, probability=50)
    booking = services.request_confirm(
        actor=team.actor(team.pc), request=ask(team, engagement=deal)
    )
    # Someone books the same days over capacity, on purpose.
    services.request_confirm(
        actor=team.actor(team.pc), request=ask(team), override_reason="urgent escalation"
    )
    outcomes = flows.engagement_status_change(
        actor=team.actor(team.pc), engagement=deal, status=Status.BOOKED
    )
    assert [(o.booking.pk, o.confirmed) for o in outcomes] == [(booking.pk, False)]
    assert outcomes[0].shortfalls
    booking.refresh_from_db()
    assert booking.firmness == "tentative"
    assert Engagement.objects.get(pk=deal.pk).status == Status.BOOKED


def test_cancelling_an_engagement_frees_its_bookings(team: Any) -> None:
    booking = services.request_confirm(actor=team.actor(team.pc), request=ask(team))
    flows.engagement_status_change(
        actor=team.actor(team.pc),
        engagement=team.engagement,
        status=Status.CANCELLED,
        reason="customer withdrew",
    )
    booking.refresh_from_db()
    assert (booking.state, booking.sequence) == ("cancelled", 1)
    assert BookingDay.objects.count() == 0


def test_the_schedule_follows_only_for_those_who_may_change_the_engagement(team: Any) -> None:
    # Given a tentative booking on a deal that is now booked
    deal = EngagementFactory.create(status=Status.PIPELINE, probability=60)
    booking = services.request_confirm(
        actor=team.actor(team.pc), request=ask(team, engagement=deal)
    )
    Engagement.objects.filter(pk=deal.pk).update(status=Status.BOOKED)
    deal.refresh_from_db()
    # When a PSE asks the schedule to follow it, then it is refused and nothing changes
    with unchanged(), pytest.raises(PermissionDenied) as refused:
        services.bookings_follow_engagement(actor=team.actor(team.pse), engagement=deal)
    assert refused.value.message == engagement_services.ERR_MAY_NOT_EDIT
    booking.refresh_from_db()
    assert (booking.firmness, booking.sequence) == ("tentative", 0)


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.COMPLETE])
def test_other_statuses_leave_the_schedule_as_it_is(team: Any, status: str) -> None:
    booking = services.request_confirm(actor=team.actor(team.pc), request=ask(team))
    team.engagement.status = status
    outcomes = services.bookings_follow_engagement(
        actor=team.actor(team.pc), engagement=team.engagement
    )
    assert outcomes == []
    booking.refresh_from_db()
    assert (booking.state, booking.firmness, booking.sequence) == ("active", "confirmed", 0)


def test_a_status_change_refused_changes_neither_the_engagement_nor_its_schedule(
    team: Any,
) -> None:
    deal = EngagementFactory.create(status=Status.PIPELINE, probability=60)
    services.request_confirm(actor=team.actor(team.pc), request=ask(team, engagement=deal))
    with unchanged(), pytest.raises(PermissionDenied) as refused:
        flows.engagement_status_change(
            actor=team.actor(team.pse), engagement=deal, status=Status.BOOKED
        )
    assert refused.value.message == engagement_services.ERR_MAY_NOT_EDIT


def test_the_status_and_its_schedule_change_in_one_transaction(
    team: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the schedule's part fails after the status was written
    deal = EngagementFactory.create(status=Status.PIPELINE, probability=60)
    booking = services.request_confirm(
        actor=team.actor(team.pc), request=ask(team, engagement=deal)
    )

    def fails(**kwargs: Any) -> list[services.TentativeOutcome]:
        raise Conflict("the schedule could not follow")

    monkeypatch.setattr(services, "bookings_follow_engagement", fails)
    # When the coordinator books the deal, then the status change is undone with it
    with unchanged(), pytest.raises(Conflict) as exc:
        flows.engagement_status_change(
            actor=team.actor(team.pc), engagement=deal, status=Status.BOOKED
        )
    assert exc.value.message == "the schedule could not follow"
    assert Engagement.objects.get(pk=deal.pk).status == Status.PIPELINE
    booking.refresh_from_db()
    assert booking.firmness == "tentative"


def test_changes_and_cancellations_go_through_requests_and_keep_history(team: Any) -> None:
    pc = team.actor(team.pc)
    booking = services.request_confirm(actor=pc, request=ask(team))
    change = ask(
        team, action="change", booking=booking, start_date=day(7), end_date=day(8), hours=D("16")
    )
    changed = services.request_confirm(actor=pc, request=change)
    assert changed.pk == booking.pk
    assert (changed.start_date, changed.end_date, changed.hours, changed.sequence) == (
        day(7),
        day(8),
        D("16.00"),
        1,
    )
    cancel = ask(
        team, action="cancel", booking=booking, start_date=day(7), end_date=day(8), hours=D("16")
    )
    cancelled = services.request_confirm(actor=pc, request=cancel)
    assert (cancelled.state, cancelled.sequence) == ("cancelled", 2)
    from psa.core.audit import history_for

    assert [h.action for h in history_for(actor=SYSTEM, target=booking)] == [
        "booking.cancel",
        "booking.change",
        "booking.create",
    ]


def test_change_request_must_name_a_booking_of_this_person_and_engagement(team: Any) -> None:
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        ask(team, action="change")
    assert exc.value.errors == [FieldError("booking_id", services.ERR_BOOKING_NEEDED)]


def test_internal_time_consumes_capacity(team: Any) -> None:
    internal = services.internal_time_create(
        actor=team.actor(team.pse),
        person=team.pse,
        task_name="Practice development",
        start_date=day(0),
        end_date=day(4),
        hours=D("2"),
        per_day=True,
    )
    assert internal.hours == D("10.00")
    loads = selectors.day_loads(person=team.pse, start=day(0), end=day(0))
    assert (loads[day(0)].internal, loads[day(0)].free) == (D("2.00"), D("6.00"))
    review = selectors.request_review(request=ask(team))
    assert [s.short for s in review.shortfalls] == [D("2.00")] * 3


def test_nobody_plans_someone_elses_internal_time(team: Any) -> None:
    with unchanged(), pytest.raises(PermissionDenied) as refused:
        services.internal_time_create(
            actor=team.actor(team.manager),
            person=team.pse,
            task_name="x",
            start_date=day(0),
            end_date=day(0),
            hours=D("1"),
        )
    assert refused.value.errors == [FieldError("person_id", services.ERR_INTERNAL_NOT_YOURS)]
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.internal_time_create(
            actor=team.actor(team.pse),
            person=team.pse,
            task_name=" ",
            start_date=day(0),
            end_date=day(0),
            hours=D("1"),
        )
    assert exc.value.errors == [FieldError("task_name", services.ERR_TASK_NAME)]


def test_time_off_inside_the_asked_dates_is_a_conflict_with_alternatives(team: Any) -> None:
    from psa.core.roles import SYSTEM
    from psa.people import services as people_services

    people_services.time_off_create(
        actor=SYSTEM, person=team.pse, start_date=day(2), end_date=day(2), note="dentist"
    )
    request = ask(team, hours=D("8"), per_day=True)
    review = selectors.request_review(request=request)
    assert review.plan == {day(1): D("8.00"), day(2): D("8.00"), day(3): D("8.00")}
    assert [(s.date, s.free) for s in review.shortfalls] == [(day(2), D("0.00"))]
    assert review.loads[day(2)].time_off == D("8.00")
    assert any(p.kind == "window" for p in review.proposals)


def test_public_holidays_are_not_asked_for(team: Any) -> None:
    thanksgiving_week = ask(
        team,
        start_date=dt.date(2026, 11, 23),
        end_date=dt.date(2026, 11, 27),
        hours=D("8"),
        per_day=True,
    )
    review = selectors.request_review(request=thanksgiving_week)
    assert dt.date(2026, 11, 26) not in review.plan
    assert review.hours == D("32.00")


def test_who_decides_and_who_withdraws_a_request(team: Any) -> None:
    request = ask(team)  # made by the manager
    head = Actor(user_id=None, username="head", roles=frozenset({Role.HEAD_OF_PS}))
    deciders = {p.name: services.can_decide_requests(team.actor(p)) for p in (team.pc, team.pse)}
    assert deciders == {"Priya": True, "Alex": False}
    assert services.can_decide_requests(head) is True
    assert services.can_decide_requests(SYSTEM) is True  # an administrator
    withdrawers = {
        p.name: services.can_withdraw_request(team.actor(p), request)
        for p in (team.manager, team.pc, team.pse)
    }
    # The requester and whoever decides; not the person the request is about.
    assert withdrawers == {"Marcus": True, "Priya": True, "Alex": False}


def test_a_withdrawal_refused_changes_nothing(team: Any) -> None:
    request = ask(team)
    with unchanged(), pytest.raises(PermissionDenied) as refused:
        services.request_withdraw(actor=team.actor(team.pse), request=request)
    assert refused.value.message == services.ERR_MAY_NOT_WITHDRAW
