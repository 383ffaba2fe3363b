from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from psa.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from psa.core.models import AuditEntry
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements import rules, selectors, services
from psa.engagements.models import Comment, Customer, Kind, Status
from psa.engagements.rules import MilestoneSpec
from psa.engagements.services import EngagementInput
from psa.people.models import Person
from tests.engagements.factories import CustomerFactory, EngagementFactory
from tests.helpers import unchanged

pytestmark = pytest.mark.django_db
D = Decimal


def data(customer: Customer, **kw: object) -> EngagementInput:
    base = EngagementInput(
        customer_id=customer.pk,
        name="Migration",
        kind=Kind.CUSTOM_SOW,
        contract_value=D("50000"),
        budget_hours=D("300"),
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2027, 2, 26),
    )
    for k, v in kw.items():
        setattr(base, k, v)
    return base


def test_custom_sow_gets_four_milestones_of_25_by_default() -> None:
    engagement = services.engagement_create(actor=SYSTEM, data=data(CustomerFactory.create()))
    assert engagement.status == Status.PIPELINE
    weights = list(engagement.milestones.order_by("position").values_list("weight", flat=True))
    assert weights == [D("25")] * 4
    audit = AuditEntry.objects.get(action="engagement.create")
    assert audit.after is not None
    assert len(audit.after["milestones"]) == 4


def test_custom_sow_with_named_milestones_reads_percent_complete_from_those_reached() -> None:
    specs = [
        MilestoneSpec("Design", D("40")),
        MilestoneSpec("Build", D("30")),
        MilestoneSpec("Handover", D("30")),
    ]
    engagement = services.engagement_create(
        actor=SYSTEM, data=data(CustomerFactory.create()), milestones=specs
    )
    first = engagement.milestones.get(position=1)
    services.milestone_set_reached(actor=SYSTEM, milestone=first, reached_on=dt.date(2026, 12, 9))
    fresh = selectors.engagement_get(engagement_id=engagement.pk)
    assert selectors.engagement_percent_complete(fresh) == D("40")


@pytest.mark.parametrize(
    ("kw", "field", "message"),
    [
        ({"kind": "fixed_bid"}, "kind", services.ERR_KIND),
        ({"currency": "DOLLARS"}, "currency", services.ERR_CURRENCY.format(value="DOLLARS")),
        ({"contract_value": D("-1")}, "contract_value", services.ERR_AMOUNT),
        ({"budget_hours": D("-8")}, "budget_hours", services.ERR_AMOUNT),
        ({"probability": 101}, "probability", services.ERR_PROBABILITY),
        ({"end_date": dt.date(2026, 11, 1)}, "end_date", services.ERR_END_BEFORE_START),
        ({"kind": Kind.EMBEDDED_ENGINEER, "bill_rate": None}, "bill_rate", services.ERR_BILL_RATE),
        ({"kind": Kind.EMBEDDED_ENGINEER, "bill_rate": D("-10")}, "bill_rate", services.ERR_AMOUNT),
        (
            {"customer_id": 999999},
            "customer_id",
            services.ERR_CUSTOMER_MISSING.format(value=999999),
        ),
        ({"owner_id": 999999}, "owner_id", services.ERR_OWNER_MISSING.format(value=999999)),
        ({"project_issue_url": "gitlab/issue/1"}, "project_issue_url", services.ERR_URL),
        ({"name": " "}, "name", services.ERR_NAME),
    ],
)
def test_bad_engagement_input_is_refused_and_nothing_is_written(
    kw: dict[str, object], field: str, message: str
) -> None:
    customer = CustomerFactory.create()
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.engagement_create(actor=SYSTEM, data=data(customer, **kw))
    assert exc.value.errors == [FieldError(field, message)]


def test_milestones_not_summing_to_100_are_refused() -> None:
    specs = [MilestoneSpec("a", D("50")), MilestoneSpec("b", D("40"))]
    customer = CustomerFactory.create()
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.engagement_create(actor=SYSTEM, data=data(customer), milestones=specs)
    assert exc.value.errors == [
        FieldError("milestones", rules.ERR_MILESTONE_SUM.format(total="90"))
    ]


def test_milestones_on_a_packaged_engagement_are_refused() -> None:
    customer = CustomerFactory.create()
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.engagement_create(
            actor=SYSTEM,
            data=data(customer, kind=Kind.PACKAGED),
            milestones=[MilestoneSpec("all", D("100"))],
        )
    assert exc.value.errors == [FieldError("milestones", rules.ERR_MILESTONES_KIND)]


def test_replacing_milestones_keeps_the_old_ones_when_the_new_set_is_bad() -> None:
    engagement = services.engagement_create(actor=SYSTEM, data=data(CustomerFactory.create()))
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.milestones_replace(
            actor=SYSTEM, engagement=engagement, milestones=[MilestoneSpec("only", D("99"))]
        )
    assert exc.value.errors == [
        FieldError("milestones", rules.ERR_MILESTONE_SUM.format(total="99"))
    ]
    assert engagement.milestones.count() == 4
    services.milestones_replace(
        actor=SYSTEM, engagement=engagement, milestones=[MilestoneSpec("only", D("100"))]
    )
    assert list(engagement.milestones.values_list("name", flat=True)) == ["only"]


def test_status_walks_the_lifecycle_and_records_each_step() -> None:
    engagement = EngagementFactory.create()
    for status in (Status.BOOKED, Status.ACTIVE, Status.COMPLETE):
        engagement = services.engagement_set_status(
            actor=SYSTEM, engagement=engagement, status=status
        )
    assert engagement.status == Status.COMPLETE
    assert engagement.packaged_complete is True
    steps = AuditEntry.objects.filter(action="engagement.status").order_by("id")
    assert [(e.after or {})["status"] for e in steps] == ["booked", "active", "complete"]


def test_illegal_status_change_is_a_conflict_and_changes_nothing() -> None:
    engagement = EngagementFactory.create()
    with unchanged(), pytest.raises(Conflict) as exc:
        services.engagement_set_status(actor=SYSTEM, engagement=engagement, status=Status.COMPLETE)
    message = rules.ERR_TRANSITION.format(
        current="pipeline", target="complete", allowed="booked, cancelled"
    )
    assert exc.value.errors == [FieldError("status", message)]


def test_an_unknown_status_is_refused() -> None:
    engagement = EngagementFactory.create()
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.engagement_set_status(actor=SYSTEM, engagement=engagement, status="lost")
    assert exc.value.errors == [FieldError("status", services.ERR_STATUS.format(status="lost"))]


def test_a_finished_engagement_cannot_be_edited() -> None:
    engagement = EngagementFactory.create(status=Status.CANCELLED)
    with unchanged(), pytest.raises(Conflict) as exc:
        services.engagement_update(
            actor=SYSTEM,
            engagement=engagement,
            data=EngagementInput(name="New"),
            fields_set=["name"],
        )
    message = services.ERR_FINISHED.format(status="cancelled")
    assert exc.value.errors == [FieldError("status", message)]


def test_roles(make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]) -> None:
    customer = CustomerFactory.create()
    pse = actor_of(make_person(Role.PSE))
    sales = actor_of(make_person(Role.SALES))
    pc = actor_of(make_person(Role.PROJECT_COORDINATOR))
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        services.engagement_create(actor=pse, data=data(customer))
    assert exc.value.message == services.ERR_MAY_NOT_EDIT
    created = services.engagement_create(actor=sales, data=data(customer, name="Deal"))
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        services.engagement_set_status(actor=sales, engagement=created, status=Status.BOOKED)
    assert exc.value.message == services.ERR_MAY_NOT_EDIT
    services.engagement_set_status(actor=pc, engagement=created, status=Status.BOOKED)
    # Anyone on the team comments.
    services.comment_add(actor=pse, engagement=created, body="Can I join?")
    assert Comment.objects.get().author_name == pse.username


def test_empty_comment_is_refused() -> None:
    engagement = EngagementFactory.create()
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.comment_add(actor=SYSTEM, engagement=engagement, body="   ")
    assert exc.value.errors == [FieldError("body", services.ERR_COMMENT_EMPTY)]


def test_duplicate_customer_name_is_refused() -> None:
    services.customer_create(actor=SYSTEM, name="Acme")
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.customer_create(actor=SYSTEM, name="ACME")
    assert exc.value.errors == [FieldError("name", services.ERR_CUSTOMER_TAKEN)]


def test_replacing_milestones_keeps_the_dates_they_were_reached() -> None:
    engagement = services.engagement_create(actor=SYSTEM, data=data(CustomerFactory.create()))
    reached = dt.date(2026, 12, 9)
    services.milestones_replace(
        actor=SYSTEM,
        engagement=engagement,
        milestones=[MilestoneSpec("Design", D("50"), reached), MilestoneSpec("Build", D("50"))],
    )
    assert list(engagement.milestones.values_list("reached_on", flat=True)) == [reached, None]


def test_update_with_bad_milestones_changes_neither_fields_nor_milestones() -> None:
    engagement = services.engagement_create(actor=SYSTEM, data=data(CustomerFactory.create()))
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.engagement_update(
            actor=SYSTEM,
            engagement=engagement,
            data=EngagementInput(name="Renamed"),
            fields_set=["name"],
            milestones=[MilestoneSpec("only", D("90"))],
        )
    assert exc.value.errors == [
        FieldError("milestones", rules.ERR_MILESTONE_SUM.format(total="90"))
    ]
    engagement.refresh_from_db()
    assert engagement.name == "Migration"
    assert engagement.milestones.count() == 4


def test_engagement_history_includes_milestones_and_comments() -> None:
    from psa.core.audit import history_for

    engagement = services.engagement_create(actor=SYSTEM, data=data(CustomerFactory.create()))
    first = engagement.milestones.first()
    assert first is not None
    services.milestone_set_reached(actor=SYSTEM, milestone=first, reached_on=dt.date(2026, 12, 9))
    services.comment_add(actor=SYSTEM, engagement=engagement, body="Kick-off done")
    actions = [h.action for h in history_for(actor=SYSTEM, target=engagement)]
    assert actions == ["comment.create", "milestone.reached", "engagement.create"]
