"""Changes to customers, engagements, milestones and comments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

from django.db import transaction

from psa.core import audit, clock
from psa.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from psa.core.numbers import CURRENCIES, money
from psa.core.rates import RATE_DAY, is_valid_rate
from psa.core.roles import Actor, Role
from psa.engagements import rules
from psa.engagements.models import (
    BillRate,
    Comment,
    Customer,
    Engagement,
    Kind,
    Milestone,
    Status,
)
from psa.engagements.selectors import ERR_NO_ENGAGEMENT
from psa.people.models import Person

EDITORS = (
    Role.PROJECT_COORDINATOR,
    Role.DELIVERY_MANAGER,
    Role.HEAD_OF_PS,
    Role.FINANCE_PARTNER,
)
CREATORS = (*EDITORS, Role.SALES)

ERR_MAY_NOT_EDIT = "your role may not change engagements"
ERR_MAY_NOT_COMMENT = "only team members may comment"
ERR_CUSTOMER_TAKEN = "a customer with this name already exists"
ERR_CUSTOMER_MISSING = "customer {value} does not exist"
ERR_OWNER_MISSING = "person {value} does not exist"
ERR_NAME = "a name is required"
ERR_KIND = "kind must be one of packaged, custom_sow, embedded_engineer"
ERR_AMOUNT = "must be a number of at least 0"
ERR_BILL_RATE = "an embedded engineer (T&M) engagement needs a bill rate above 0"
ERR_RATE_FIELDS = (
    "bill rates are dated: set one on the engagement's page or with "
    "PUT /api/v1/engagements/{id}/bill-rates/{{date}}"
)
ERR_NO_BILL_RATE = "no bill rate takes effect on {day}"
ERR_PROBABILITY = "probability is a percentage from 0 to 100"
ERR_CURRENCY = "unknown currency {value!r}: use an ISO 4217 code such as USD or EUR"
ERR_END_BEFORE_START = "end date is before the start date"
ERR_URL = "enter a full http(s) address"
ERR_COMMENT_EMPTY = "a comment needs some text"
ERR_KIND_LOCKED = "the kind cannot change once milestones or work exist; create a new engagement"
ERR_FINISHED = "a {status} engagement cannot be changed"
ERR_STATUS = "unknown status {status!r}"


@dataclass
class EngagementInput:
    customer_id: int = 0
    name: str = ""
    kind: str = Kind.PACKAGED
    sow_reference: str = ""
    currency: str = "USD"
    contract_value: Decimal = Decimal("0")
    budget_hours: Decimal = Decimal("0")
    # The first bill rate, in force from start_date (or the day of creation); only on create:
    # later rates are dated (bill_rate_set).
    bill_rate: Decimal | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    probability: int = 100
    project_issue_url: str = ""
    crm_opportunity_id: str = ""
    owner_id: int | None = None


def can_edit_engagements(actor: Actor) -> bool:
    return actor.has_any(*EDITORS)


def can_create_engagements(actor: Actor) -> bool:
    return actor.has_any(*CREATORS)


def _require_editor(actor: Actor, *, creating: bool = False) -> None:
    allowed = can_create_engagements(actor) if creating else can_edit_engagements(actor)
    if not allowed:
        raise PermissionDenied(ERR_MAY_NOT_EDIT)


# ------------------------------------------------------------------ customers


def customer_create(*, actor: Actor, name: str, crm_account_id: str = "") -> Customer:
    _require_editor(actor, creating=True)
    name = name.strip()
    if not name:
        raise ValidationFailed(ERR_NAME, field="name")
    if Customer.objects.filter(name__iexact=name).exists():
        raise ValidationFailed(ERR_CUSTOMER_TAKEN, field="name")
    with transaction.atomic():
        customer = Customer.objects.create(
            name=name, crm_account_id=crm_account_id, created_at=clock.now()
        )
        audit.record(
            actor=actor, action="customer.create", target=customer, after=audit.snapshot(customer)
        )
    return customer


def customer_update(
    *, actor: Actor, customer: Customer, name: str | None = None, crm_account_id: str | None = None
) -> Customer:
    _require_editor(actor)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        before = audit.snapshot(customer)
        if name is not None:
            name = name.strip()
            if not name:
                raise ValidationFailed(ERR_NAME, field="name")
            if Customer.objects.filter(name__iexact=name).exclude(pk=customer.pk).exists():
                raise ValidationFailed(ERR_CUSTOMER_TAKEN, field="name")
            customer.name = name
        if crm_account_id is not None:
            customer.crm_account_id = crm_account_id
        customer.save()
        audit.record(
            actor=actor,
            action="customer.update",
            target=customer,
            before=before,
            after=audit.snapshot(customer),
        )
    return customer


# ------------------------------------------------------------------ engagements


def _validate(data: EngagementInput, names: set[str], current: Engagement | None) -> None:
    errors: list[FieldError] = []

    def value(name: str) -> Any:
        if name in names or current is None:
            return getattr(data, name)
        return getattr(current, name)

    if "name" in names and not data.name.strip():
        errors.append(FieldError("name", ERR_NAME))
    if "customer_id" in names and not Customer.objects.filter(pk=data.customer_id).exists():
        errors.append(
            FieldError("customer_id", ERR_CUSTOMER_MISSING.format(value=data.customer_id))
        )
    if (
        "owner_id" in names
        and data.owner_id is not None
        and not Person.objects.filter(pk=data.owner_id).exists()
    ):
        errors.append(FieldError("owner_id", ERR_OWNER_MISSING.format(value=data.owner_id)))
    if "kind" in names and data.kind not in Kind.values:
        errors.append(FieldError("kind", ERR_KIND))
    if "currency" in names and data.currency not in CURRENCIES:
        errors.append(FieldError("currency", ERR_CURRENCY.format(value=data.currency)))
    for name in ("contract_value", "budget_hours"):
        amount = getattr(data, name)
        if name in names and (not amount.is_finite() or amount < 0):
            errors.append(FieldError(name, ERR_AMOUNT))
    if current is None:
        rate = data.bill_rate
        if rate is not None and not is_valid_rate(rate):
            errors.append(FieldError("bill_rate", ERR_AMOUNT))
        elif data.kind == Kind.EMBEDDED_ENGINEER and (rate is None or rate <= 0):
            errors.append(FieldError("bill_rate", ERR_BILL_RATE))
    elif "bill_rate" in names:
        errors.append(FieldError("bill_rate", ERR_RATE_FIELDS.format(id=current.pk)))
    elif (
        "kind" in names
        and data.kind == Kind.EMBEDDED_ENGINEER
        and not current.bill_rates.filter(rate__gt=0).exists()
    ):
        errors.append(FieldError("bill_rate", ERR_BILL_RATE))
    if "probability" in names and not 0 <= data.probability <= 100:
        errors.append(FieldError("probability", ERR_PROBABILITY))
    start, end = value("start_date"), value("end_date")
    if start and end and end < start:
        errors.append(FieldError("end_date", ERR_END_BEFORE_START))
    url = value("project_issue_url")
    if "project_issue_url" in names and url and not url.startswith(("http://", "https://")):
        errors.append(FieldError("project_issue_url", ERR_URL))
    if errors:
        raise ValidationFailed.collect(errors)


def _write_milestones(engagement: Engagement, specs: Sequence[rules.MilestoneSpec]) -> None:
    engagement.milestones.all().delete()
    Milestone.objects.bulk_create(
        Milestone(
            engagement=engagement,
            name=s.name.strip(),
            weight=s.weight,
            position=i,
            reached_on=s.reached_on,
        )
        for i, s in enumerate(specs, start=1)
    )


def _milestones_snapshot(engagement: Engagement) -> list[dict[str, Any]]:
    return [
        {"name": m.name, "weight": str(m.weight), "reached_on": m.reached_on}
        for m in engagement.milestones.order_by("position")
    ]


def engagement_create(
    *,
    actor: Actor,
    data: EngagementInput,
    milestones: Sequence[rules.MilestoneSpec] | None = None,
) -> Engagement:
    _require_editor(actor, creating=True)
    _validate(data, {f.name for f in fields(EngagementInput)}, None)
    if data.kind == Kind.CUSTOM_SOW:
        specs = list(milestones) if milestones else rules.default_milestones()
        problems = rules.milestone_errors(specs)
        if problems:
            raise ValidationFailed.collect([FieldError("milestones", p) for p in problems])
    elif milestones:
        raise ValidationFailed(rules.ERR_MILESTONES_KIND, field="milestones")
    now = clock.now()
    with transaction.atomic():
        engagement = Engagement.objects.create(
            **{
                f.name: getattr(data, f.name)
                for f in fields(EngagementInput)
                if f.name != "bill_rate"
            },
            status=Status.PIPELINE,
            created_at=now,
            updated_at=now,
        )
        if data.kind == Kind.CUSTOM_SOW:
            _write_milestones(engagement, specs)
        after = audit.snapshot(engagement)
        after["milestones"] = _milestones_snapshot(engagement)
        audit.record(actor=actor, action="engagement.create", target=engagement, after=after)
        if data.bill_rate is not None:
            first_day = data.start_date or clock.today()
            _write_bill_rate(actor, engagement, first_day, data.bill_rate)
    return engagement


def _rate_snapshot(rate: BillRate) -> dict[str, Any]:
    return {"effective_from": rate.effective_from, "bill_rate": str(rate.rate)}


def _write_bill_rate(
    actor: Actor, engagement: Engagement, effective_from: dt.date, rate: Decimal
) -> BillRate:
    row = BillRate.objects.filter(engagement=engagement, effective_from=effective_from).first()
    before = _rate_snapshot(row) if row else None
    if row is None:
        row = BillRate(engagement=engagement, effective_from=effective_from)
    row.rate = money(rate)
    row.save()
    audit.record(
        actor=actor,
        action="engagement.bill_rate_set",
        target=engagement,
        before=before,
        after=_rate_snapshot(row),
        reason=RATE_DAY.format(day=effective_from.isoformat()),
    )
    return row


def bill_rate_set(
    *, actor: Actor, engagement: Engagement, effective_from: dt.date, rate: Decimal
) -> BillRate:
    """The engagement's bill rate, in its currency, from `effective_from` on (until its next
    rate): a new rate, or the one taking effect that day replaced."""
    _require_editor(actor)
    if not is_valid_rate(rate):
        raise ValidationFailed(ERR_AMOUNT, field="rate")
    with transaction.atomic():
        # Under the engagement's lock: two rates for one day at once are one after the other.
        engagement = _locked_for_update(engagement)
        if (
            engagement.kind == Kind.EMBEDDED_ENGINEER
            and rate <= 0
            and not _other_paid_rate(engagement, effective_from)
        ):
            raise ValidationFailed(ERR_BILL_RATE, field="rate")
        return _write_bill_rate(actor, engagement, effective_from, rate)


def _other_paid_rate(engagement: Engagement, effective_from: dt.date) -> bool:
    others = engagement.bill_rates.exclude(effective_from=effective_from)
    return others.filter(rate__gt=0).exists()


def bill_rate_delete(*, actor: Actor, engagement: Engagement, effective_from: dt.date) -> None:
    """Take back the rate taking effect that day: the one before stays in force longer."""
    _require_editor(actor)
    with transaction.atomic():
        engagement = _locked_for_update(engagement)
        rate = engagement.bill_rates.filter(effective_from=effective_from).first()
        if rate is None:
            raise NotFound(
                ERR_NO_BILL_RATE.format(day=effective_from.isoformat()), field="effective_from"
            )
        if engagement.kind == Kind.EMBEDDED_ENGINEER and not _other_paid_rate(
            engagement, effective_from
        ):
            raise Conflict(ERR_BILL_RATE, field="effective_from")
        audit.record(
            actor=actor,
            action="engagement.bill_rate_delete",
            target=engagement,
            before=_rate_snapshot(rate),
        )
        rate.delete()


def engagement_lock(*, engagement_id: int) -> Engagement:
    """The engagement's row, locked until the transaction ends: what another domain takes
    before a change that hangs on the engagement (finance's close-out filing)."""
    locked = (
        Engagement.objects.select_for_update().select_related("customer").filter(pk=engagement_id)
    ).first()
    if locked is None:
        raise NotFound(ERR_NO_ENGAGEMENT.format(id=engagement_id), field="engagement_id")
    return locked


def _locked_for_update(engagement: Engagement) -> Engagement:
    locked = Engagement.objects.select_for_update().select_related("customer").get(pk=engagement.pk)
    if rules.is_finished(locked.status):
        raise Conflict(ERR_FINISHED.format(status=locked.status), field="status")
    return locked


def engagement_update(
    *,
    actor: Actor,
    engagement: Engagement,
    data: EngagementInput,
    fields_set: Iterable[str],
    milestones: Sequence[rules.MilestoneSpec] | None = None,
) -> Engagement:
    """Change the named fields and, if given, replace the milestones: one change, all or
    nothing."""
    _require_editor(actor)
    names = set(fields_set)
    _validate(data, names, engagement)
    if milestones is not None:
        kind = data.kind if "kind" in names else engagement.kind
        _check_milestones(kind, milestones)
    with transaction.atomic():
        engagement = _locked_for_update(engagement)
        if "kind" in names and data.kind != engagement.kind and engagement.milestones.exists():
            raise Conflict(ERR_KIND_LOCKED, field="kind")
        before = audit.snapshot(engagement)
        for name in names:
            setattr(engagement, name, getattr(data, name))
        engagement.updated_at = clock.now()
        engagement.save()
        if names:
            audit.record(
                actor=actor,
                action="engagement.update",
                target=engagement,
                before=before,
                after=audit.snapshot(engagement),
            )
        if milestones is not None:
            _replace_milestones(actor, engagement, milestones)
        elif engagement.kind == Kind.CUSTOM_SOW and not engagement.milestones.exists():
            _replace_milestones(actor, engagement, rules.default_milestones())
    return engagement


def engagement_set_status(
    *, actor: Actor, engagement: Engagement, status: str, reason: str = ""
) -> Engagement:
    _require_editor(actor)
    with transaction.atomic():
        engagement = (
            Engagement.objects.select_for_update().select_related("customer").get(pk=engagement.pk)
        )
        if status not in Status.values:
            raise ValidationFailed(ERR_STATUS.format(status=status), field="status")
        problem = rules.transition_error(engagement.status, status)
        if problem:
            raise Conflict(problem, field="status")
        before = {"status": engagement.status}
        engagement.status = status
        if status == Status.COMPLETE:
            engagement.completed_on = clock.today()
            if engagement.kind == Kind.PACKAGED:
                engagement.packaged_complete = True
        engagement.updated_at = clock.now()
        engagement.save(update_fields=["status", "packaged_complete", "completed_on", "updated_at"])
        audit.record(
            actor=actor,
            action="engagement.status",
            target=engagement,
            before=before,
            after={
                "status": status,
                **({"completed_on": engagement.completed_on} if status == Status.COMPLETE else {}),
            },
            reason=reason,
        )
    return engagement


def milestones_replace(
    *, actor: Actor, engagement: Engagement, milestones: Sequence[rules.MilestoneSpec]
) -> Engagement:
    """Replace a custom SOW's milestones as a whole (weights must sum to 100)."""
    _require_editor(actor)
    _check_milestones(engagement.kind, milestones)
    with transaction.atomic():
        engagement = _locked_for_update(engagement)
        _replace_milestones(actor, engagement, milestones)
    return engagement


def _check_milestones(kind: str, milestones: Sequence[rules.MilestoneSpec]) -> None:
    if kind != Kind.CUSTOM_SOW:
        raise ValidationFailed(rules.ERR_MILESTONES_KIND, field="milestones")
    problems = rules.milestone_errors(milestones)
    if problems:
        raise ValidationFailed.collect([FieldError("milestones", p) for p in problems])


def _replace_milestones(
    actor: Actor, engagement: Engagement, milestones: Sequence[rules.MilestoneSpec]
) -> None:
    before = _milestones_snapshot(engagement)
    _write_milestones(engagement, milestones)
    audit.record(
        actor=actor,
        action="engagement.milestones",
        target=engagement,
        before={"milestones": before},
        after={"milestones": _milestones_snapshot(engagement)},
    )


def milestone_set_reached(
    *, actor: Actor, milestone: Milestone, reached_on: dt.date | None
) -> Milestone:
    _require_editor(actor)
    with transaction.atomic():
        _locked_for_update(milestone.engagement)
        before = {"reached_on": milestone.reached_on}
        milestone.reached_on = reached_on
        milestone.save(update_fields=["reached_on"])
        # Recorded on the engagement, so its history reads as one story.
        audit.record(
            actor=actor,
            action="milestone.reached",
            target=milestone.engagement,
            before={"milestone": milestone.name, **before},
            after={"milestone": milestone.name, "reached_on": reached_on},
        )
    return milestone


def comment_add(*, actor: Actor, engagement: Engagement, body: str) -> Comment:
    if actor.person_id is None and not actor.is_admin:
        raise PermissionDenied(ERR_MAY_NOT_COMMENT)
    body = body.strip()
    if not body:
        raise ValidationFailed(ERR_COMMENT_EMPTY, field="body")
    with transaction.atomic():
        comment = Comment.objects.create(
            engagement=engagement,
            author_id=actor.user_id,
            author_name=actor.username,
            body=body,
            created_at=clock.now(),
        )
        audit.record(
            actor=actor,
            action="comment.create",
            target=engagement,
            after={"comment_id": comment.pk, "body": body},
        )
    return comment
