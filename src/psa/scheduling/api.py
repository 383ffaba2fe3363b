from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from psa.core.api import Page, actor
from psa.core.numbers import ZERO
from psa.core.schemas import WRITE, answers
from psa.engagements import selectors as engagements
from psa.people import selectors as people
from psa.scheduling import rules, selectors, services
from psa.scheduling.schemas import (
    AskReviewOut,
    AvailabilityIn,
    BookingDetailOut,
    BookingFilter,
    BookingOut,
    ConfirmIn,
    DeclineIn,
    InternalIn,
    RequestDetailOut,
    RequestFilter,
    RequestIn,
    RequestOut,
    TentativeOutcomeOut,
)
from psa.timetracking import flows as time_flows
from psa.timetracking import selectors as time_selectors

router = Router(tags=["scheduling"])


def review_out(review: selectors.Review) -> dict[str, Any]:
    return {
        "person_id": review.ask.person.pk,
        "start": review.ask.start,
        "end": review.ask.end,
        "hours": review.hours,
        "fits": review.fits,
        "days": [
            {
                "date": d,
                "capacity": load.capacity,
                "holiday": load.holiday,
                "time_off": load.time_off,
                "confirmed": load.confirmed,
                "tentative": load.tentative,
                "internal": load.internal,
                "free": load.free,
                "requested": review.plan.get(d, 0),
                "fits": rules.day_fits(review.plan.get(d, ZERO), load),
            }
            for d, load in sorted(review.loads.items())
        ],
        "shortfalls": [
            {"date": s.date, "requested": s.requested, "free": s.free, "short": s.short}
            for s in review.shortfalls
        ],
        "proposals": [
            {
                "key": p.key,
                "kind": p.kind,
                "person_id": p.person_id,
                "start": p.start,
                "end": p.end,
                "hours": p.hours,
                "days": [{"date": d, "hours": h} for d, h in sorted(p.days.items())],
                "reason": p.reason,
            }
            for p in review.proposals
        ],
    }


@router.post("/availability", response=answers({200: AskReviewOut}, *WRITE, 404))
def check_availability(request: HttpRequest, payload: AvailabilityIn) -> Any:
    """The live check behind the request form: nothing is saved."""
    data = payload.dict()
    proposals = data.pop("proposals")
    ask = selectors.Ask(
        person=people.person_get(person_id=data.pop("person_id")),
        start=data.pop("start_date"),
        end=data.pop("end_date"),
        **data,
    )
    services.ask_validate(ask=ask)
    return review_out(selectors.availability(ask=ask, with_proposals=proposals))


@router.get("/requests", response=answers({200: list[RequestOut]}))
@paginate(Page)
def list_requests(request: HttpRequest, filters: Query[RequestFilter]) -> Any:
    return selectors.request_list(**filters.dict())


@router.post("/requests", response=answers({201: RequestOut}, *WRITE, 404, 409))
def create_request(request: HttpRequest, payload: RequestIn) -> Any:
    data = payload.dict()
    booking_id = data.pop("booking_id")
    made = services.request_create(
        actor=actor(request),
        engagement=engagements.engagement_get(engagement_id=data.pop("engagement_id")),
        person=people.person_get(person_id=data.pop("person_id")),
        booking=selectors.booking_get(booking_id=booking_id) if booking_id else None,
        **data,
    )
    return 201, selectors.request_get(request_id=made.pk)


@router.get("/requests/{request_id}", response=answers({200: RequestDetailOut}, 404))
def get_request(request: HttpRequest, request_id: int) -> Any:
    """The request and, while it is open, its review: loads, shortfalls and proposals."""
    row = selectors.request_get(request_id=request_id)
    if row.status == row.Status.OPEN:
        row.review = review_out(selectors.request_review(request=row))  # type: ignore[attr-defined]
    return row


@router.post(
    "/requests/{request_id}/confirm", response=answers({200: BookingDetailOut}, *WRITE, 404, 409)
)
def confirm_request(request: HttpRequest, request_id: int, payload: ConfirmIn) -> Any:
    return services.request_confirm(
        actor=actor(request),
        request=selectors.request_get(request_id=request_id),
        proposal_key=payload.proposal,
        override_reason=payload.override_reason,
    )


@router.post(
    "/requests/{request_id}/decline", response=answers({200: RequestOut}, *WRITE, 404, 409)
)
def decline_request(request: HttpRequest, request_id: int, payload: DeclineIn) -> Any:
    return services.request_decline(
        actor=actor(request),
        request=selectors.request_get(request_id=request_id),
        reason=payload.reason,
    )


@router.post(
    "/requests/{request_id}/withdraw", response=answers({200: RequestOut}, *WRITE, 404, 409)
)
def withdraw_request(request: HttpRequest, request_id: int) -> Any:
    return services.request_withdraw(
        actor=actor(request), request=selectors.request_get(request_id=request_id)
    )


@router.get("/bookings", response=answers({200: list[BookingOut]}))
@paginate(Page)
def list_bookings(request: HttpRequest, filters: Query[BookingFilter]) -> Any:
    return selectors.booking_list(**filters.dict())


@router.get("/bookings/{booking_id}", response=answers({200: BookingDetailOut}, 404))
def get_booking(request: HttpRequest, booking_id: int) -> Any:
    return selectors.booking_get(booking_id=booking_id)


@router.post("/internal", response=answers({201: BookingDetailOut}, *WRITE, 404, 409))
def create_internal(request: HttpRequest, payload: InternalIn) -> Any:
    data = payload.dict()
    person = people.person_get(person_id=data.pop("person_id"))
    category = time_selectors.epic_get(epic_id=data.pop("category_id"), field="category_id")
    return 201, time_flows.internal_time_plan(
        actor=actor(request), person=person, category=category, **data
    )


@router.delete(
    "/internal/{booking_id}", response=answers({200: BookingDetailOut}, *WRITE, 404, 409)
)
def cancel_internal(request: HttpRequest, booking_id: int) -> Any:
    return services.internal_time_cancel(
        actor=actor(request), booking=selectors.booking_get(booking_id=booking_id)
    )


@router.post(
    "/engagements/{engagement_id}/firm-up",
    response=answers({200: list[TentativeOutcomeOut]}, *WRITE, 404, 409),
)
def firm_up(request: HttpRequest, engagement_id: int) -> Any:
    """Turn an engagement's tentative bookings confirmed again (after re-planning)."""
    engagement = engagements.engagement_get(engagement_id=engagement_id)
    outcomes = services.tentative_confirm(actor=actor(request), engagement=engagement)
    return [
        {
            "booking_id": o.booking.pk,
            "confirmed": o.confirmed,
            "shortfalls": [
                {"date": s.date, "requested": s.requested, "free": s.free, "short": s.short}
                for s in o.shortfalls
            ],
        }
        for o in outcomes
    ]
