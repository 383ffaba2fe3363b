"""Reads about customers and engagements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from psa.core import clock
from psa.core.errors import NotFound
from psa.core.rates import DatedRate, RateSeries
from psa.engagements import rules
from psa.engagements.models import BillRate, Comment, Customer, Engagement, Milestone

ERR_NO_CUSTOMER = "customer {id} does not exist"
ERR_NO_ENGAGEMENT = "engagement {id} does not exist"
ERR_NO_MILESTONE = "milestone {id} does not exist"


def customer_list(*, search: str = "") -> QuerySet[Customer]:
    qs = Customer.objects.annotate(engagement_count=Count("engagements"))
    if search:
        qs = qs.filter(name__icontains=search)
    return qs.order_by("name")


def customer_get(*, customer_id: int) -> Customer:
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(ERR_NO_CUSTOMER.format(id=customer_id), field="customer_id")
    return customer


def engagement_list(
    *,
    search: str = "",
    status: str = "",
    kind: str = "",
    customer_id: int | None = None,
    owner_id: int | None = None,
) -> QuerySet[Engagement]:
    qs = Engagement.objects.select_related("customer", "owner").prefetch_related("bill_rates")
    if search:
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(sow_reference__icontains=search)
        )
    if status:
        qs = qs.filter(status__in=status.split(","))
    if kind:
        qs = qs.filter(kind=kind)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs.order_by("-start_date", "id")


def engagement_get(*, engagement_id: int) -> Engagement:
    # No first(): it would add the list's ORDER BY to a lookup by primary key.
    found = list(
        Engagement.objects.select_related("customer", "owner")
        .prefetch_related("milestones", "bill_rates")
        .filter(pk=engagement_id)
        .order_by()[:1]
    )
    engagement = found[0] if found else None
    if engagement is None:
        raise NotFound(ERR_NO_ENGAGEMENT.format(id=engagement_id), field="engagement_id")
    return engagement


def engagements_missing(*, engagement_ids: Iterable[int]) -> list[int]:
    """The ids among these that name no engagement, in order."""
    wanted = sorted(set(engagement_ids))
    found = set(Engagement.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    return [i for i in wanted if i not in found]


def engagement_percent_complete(engagement: Engagement) -> Decimal | None:
    return rules.percent_complete(
        kind=engagement.kind,
        packaged_complete=engagement.packaged_complete,
        milestone_weights_reached=[
            m.weight for m in engagement.milestones.all() if m.reached_on is not None
        ],
        status=engagement.status,
    )


def milestone_get(*, milestone_id: int) -> Milestone:
    milestone = Milestone.objects.select_related("engagement").filter(pk=milestone_id).first()
    if milestone is None:
        raise NotFound(ERR_NO_MILESTONE.format(id=milestone_id), field="milestone_id")
    return milestone


def comment_list(*, engagement: Engagement) -> QuerySet[Comment]:
    return Comment.objects.filter(engagement=engagement).order_by("created_at", "id")


def bill_rates_of(engagement: Engagement) -> RateSeries:
    """The engagement's bill rates, in its currency (prefetched by engagement_list and
    engagement_get)."""
    return RateSeries(
        DatedRate(r.effective_from, r.rate, engagement.currency)
        for r in engagement.bill_rates.all()
    )


def bill_rate_today(engagement: Engagement) -> DatedRate | None:
    return bill_rates_of(engagement).on(clock.today())


def bill_rate_series(*, engagement_ids: Iterable[int]) -> dict[int, RateSeries]:
    """Every given engagement's bill rates, one series each (empty without a rate)."""
    ids = sorted(set(engagement_ids))
    found: dict[int, list[DatedRate]] = {pk: [] for pk in ids}
    for i in range(0, len(ids), 500):
        rows = BillRate.objects.filter(engagement_id__in=ids[i : i + 500]).values_list(
            "engagement_id", "effective_from", "rate", "engagement__currency"
        )
        for pk, start, rate, currency in rows:
            found[pk].append(DatedRate(start, rate, currency))
    return {pk: RateSeries(rates) for pk, rates in found.items()}


def first_recognition_day() -> dt.date | None:
    """The earliest day a milestone was reached or an engagement completed (None: never)."""
    days = [
        d
        for d in (
            Milestone.objects.filter(reached_on__isnull=False)
            .order_by("reached_on")
            .values_list("reached_on", flat=True)
            .first(),
            Engagement.objects.filter(completed_on__isnull=False)
            .order_by("completed_on")
            .values_list("completed_on", flat=True)
            .first(),
        )
        if d is not None
    ]
    return min(days) if days else None


def engagements_without_bill_rate_on(
    *, day: dt.date, engagement_ids: Iterable[int] | QuerySet[Any, Any]
) -> list[int]:
    """Of the given engagements, those with no bill rate in force on the day."""
    ids: Any = (
        engagement_ids if isinstance(engagement_ids, QuerySet) else sorted(set(engagement_ids))
    )
    return list(
        Engagement.objects.filter(pk__in=ids)
        .exclude(bill_rates__effective_from__lte=day)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
