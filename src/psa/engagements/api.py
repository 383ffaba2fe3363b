from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate

from psa.core.api import Page, actor
from psa.core.schemas import WRITE, Day, Search, answers, patch_onto
from psa.engagements import flows, rules, selectors, services
from psa.engagements.schemas import (
    BillRateIn,
    BillRateOut,
    CommentIn,
    CommentOut,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    EngagementDetailOut,
    EngagementFilter,
    EngagementIn,
    EngagementOut,
    EngagementPatch,
    MilestoneIn,
    MilestoneOut,
    MilestoneReachedIn,
    StatusChangeOut,
    StatusIn,
)
from psa.finance import flows as finance_flows

router = Router(tags=["engagements"])
customers = Router(tags=["customers"])


def _specs(items: list[MilestoneIn]) -> list[rules.MilestoneSpec]:
    return [rules.MilestoneSpec(m.name, m.weight, m.reached_on) for m in items]


@customers.get("", response=answers({200: list[CustomerOut]}))
@paginate(Page)
def list_customers(request: HttpRequest, search: Search = "") -> Any:
    return selectors.customer_list(search=search)


@customers.post("", response=answers({201: CustomerOut}, *WRITE))
def create_customer(request: HttpRequest, payload: CustomerIn) -> Any:
    return 201, services.customer_create(actor=actor(request), **payload.dict())


@customers.get("/{customer_id}", response=answers({200: CustomerOut}, 404))
def get_customer(request: HttpRequest, customer_id: int) -> Any:
    return selectors.customer_get(customer_id=customer_id)


@customers.patch("/{customer_id}", response=answers({200: CustomerOut}, *WRITE, 404))
def update_customer(request: HttpRequest, customer_id: int, payload: CustomerPatch) -> Any:
    customer = selectors.customer_get(customer_id=customer_id)
    return services.customer_update(
        actor=actor(request), customer=customer, **payload.dict(exclude_unset=True)
    )


@router.get("", response=answers({200: list[EngagementOut]}))
@paginate(Page)
def list_engagements(request: HttpRequest, filters: Query[EngagementFilter]) -> Any:
    return selectors.engagement_list(**filters.dict())


@router.post("", response=answers({201: EngagementDetailOut}, *WRITE))
def create_engagement(request: HttpRequest, payload: EngagementIn) -> Any:
    data = payload.dict(exclude={"milestones"})
    milestones = _specs(payload.milestones) if payload.milestones is not None else None
    engagement = services.engagement_create(
        actor=actor(request), data=services.EngagementInput(**data), milestones=milestones
    )
    return 201, selectors.engagement_get(engagement_id=engagement.pk)


@router.get("/{engagement_id}", response=answers({200: EngagementDetailOut}, 404))
def get_engagement(request: HttpRequest, engagement_id: int) -> Any:
    return selectors.engagement_get(engagement_id=engagement_id)


@router.patch("/{engagement_id}", response=answers({200: EngagementDetailOut}, *WRITE, 404, 409))
def update_engagement(request: HttpRequest, engagement_id: int, payload: EngagementPatch) -> Any:
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    data, sent = patch_onto(payload, services.EngagementInput())
    services.engagement_update(
        actor=actor(request), engagement=engagement, data=data, fields_set=sent
    )
    return selectors.engagement_get(engagement_id=engagement_id)


@router.post("/{engagement_id}/status", response=answers({200: StatusChangeOut}, *WRITE, 404, 409))
def set_status(request: HttpRequest, engagement_id: int, payload: StatusIn) -> Any:
    # The schedule follows the status (tentative work firms up, cancelled work is freed).
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    outcomes = flows.engagement_status_change(
        actor=actor(request), engagement=engagement, **payload.dict()
    )
    result = selectors.engagement_get(engagement_id=engagement_id)
    result.bookings_not_confirmed = [  # type: ignore[attr-defined]
        {
            "booking_id": o.booking.pk,
            "person_id": o.booking.person_id,
            "shortfalls": [f"{s.date}: {s.short} h short" for s in o.shortfalls],
        }
        for o in outcomes
        if not o.confirmed
    ]
    return result


@router.put(
    "/{engagement_id}/milestones", response=answers({200: list[MilestoneOut]}, *WRITE, 404, 409)
)
def replace_milestones(request: HttpRequest, engagement_id: int, payload: list[MilestoneIn]) -> Any:
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    services.milestones_replace(
        actor=actor(request), engagement=engagement, milestones=_specs(payload)
    )
    return list(selectors.engagement_get(engagement_id=engagement_id).milestones.all())


@router.post(
    "/milestones/{milestone_id}/reached", response=answers({200: MilestoneOut}, *WRITE, 404, 409)
)
def set_milestone_reached(
    request: HttpRequest, milestone_id: int, payload: MilestoneReachedIn
) -> Any:
    milestone = selectors.milestone_get(milestone_id=milestone_id)
    return services.milestone_set_reached(
        actor=actor(request), milestone=milestone, reached_on=payload.reached_on
    )


@router.put(
    "/{engagement_id}/bill-rates/{effective_from}",
    response=answers({200: BillRateOut}, *WRITE, 404, 409),
)
def set_bill_rate(
    request: HttpRequest, engagement_id: int, effective_from: Day, payload: BillRateIn
) -> Any:
    """The engagement's bill rate from `effective_from` on, until its next rate; a rate
    already taking effect that day is replaced (the audit log keeps both)."""
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    return finance_flows.bill_rate_set(
        actor=actor(request),
        engagement=engagement,
        effective_from=effective_from,
        rate=payload.rate,
    )


@router.delete(
    "/{engagement_id}/bill-rates/{effective_from}",
    response=answers({204: None}, *WRITE, 404, 409),
)
def delete_bill_rate(request: HttpRequest, engagement_id: int, effective_from: Day) -> Any:
    """Take back the rate taking effect that day: the one before stays in force longer."""
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    finance_flows.bill_rate_delete(
        actor=actor(request), engagement=engagement, effective_from=effective_from
    )
    return 204, None


@router.get("/{engagement_id}/comments", response=answers({200: list[CommentOut]}, 404))
def list_comments(request: HttpRequest, engagement_id: int) -> Any:
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    return selectors.comment_list(engagement=engagement)


@router.post("/{engagement_id}/comments", response=answers({201: CommentOut}, *WRITE, 404))
def add_comment(request: HttpRequest, engagement_id: int, payload: CommentIn) -> Any:
    engagement = selectors.engagement_get(engagement_id=engagement_id)
    return 201, services.comment_add(actor=actor(request), engagement=engagement, body=payload.body)
