"""An engagement's bill rates, each in force from its date, in the engagement's currency:
set, replaced, taken back, in the service, the API and the engagement's page. Time and
materials always keeps a rate above 0."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from psa.core import clock
from psa.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from psa.core.models import AuditEntry
from psa.core.rates import RATE_DAY, DatedRate
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements import selectors, services
from psa.engagements.models import Engagement, Kind, Status
from psa.people.models import Person
from tests.engagements.factories import CustomerFactory, EngagementFactory
from tests.helpers import (
    MARKED_FIELDS,
    assert_invalid,
    assert_refused,
    field_error,
    flash,
    pydantic_error,
    refusal_page,
    unchanged,
)

JSON = "application/json"
MakePerson = Callable[..., Person]
START = dt.date(2026, 12, 1)
FEB = dt.date(2027, 2, 1)


def embedded(rate: str = "150", **fields: object) -> Engagement:
    data = services.EngagementInput(
        customer_id=CustomerFactory.create().pk,
        name="Embedded platform engineer",
        kind=Kind.EMBEDDED_ENGINEER,
        currency="EUR",
        bill_rate=Decimal(rate),
        start_date=START,
        **fields,  # type: ignore[arg-type]
    )
    return services.engagement_create(actor=SYSTEM, data=data)


def rates(engagement: Engagement) -> list[tuple[dt.date, Decimal]]:
    return [(r.effective_from, r.rate) for r in engagement.bill_rates.order_by("effective_from")]


@pytest.fixture
def pc(make_person: MakePerson) -> Person:
    return make_person(Role.PROJECT_COORDINATOR)


# ------------------------------------------------------------------ service


def test_the_first_rate_is_in_force_from_the_start_date(db: None) -> None:
    engagement = embedded("150")
    assert rates(engagement) == [(START, Decimal("150.00"))]
    series = selectors.bill_rate_series(engagement_ids=[engagement.pk])[engagement.pk]
    assert series.on(START) == DatedRate(START, Decimal("150.00"), "EUR")
    assert series.on(START - dt.timedelta(days=1)) is None


def test_without_a_start_date_the_first_rate_is_in_force_from_today(db: None) -> None:
    data = services.EngagementInput(
        customer_id=CustomerFactory.create().pk,
        name="Open-ended",
        kind=Kind.EMBEDDED_ENGINEER,
        bill_rate=Decimal("200"),
    )
    engagement = services.engagement_create(actor=SYSTEM, data=data)
    assert rates(engagement) == [(clock.today(), Decimal("200.00"))]


def test_a_new_rate_and_a_replaced_one_are_audited(
    pc: Person, actor_of: Callable[[Person], Actor]
) -> None:
    engagement = embedded("150")
    services.bill_rate_set(
        actor=actor_of(pc), engagement=engagement, effective_from=FEB, rate=Decimal("165")
    )
    services.bill_rate_set(
        actor=actor_of(pc), engagement=engagement, effective_from=FEB, rate=Decimal("170.5")
    )
    assert rates(engagement) == [(START, Decimal("150.00")), (FEB, Decimal("170.50"))]
    entries = AuditEntry.objects.filter(action="engagement.bill_rate_set").order_by("id")
    assert [(e.before, e.after, e.reason) for e in entries] == [
        (
            None,
            {"effective_from": "2026-12-01", "bill_rate": "150.00"},
            RATE_DAY.format(day="2026-12-01"),
        ),
        (
            None,
            {"effective_from": "2027-02-01", "bill_rate": "165.00"},
            RATE_DAY.format(day="2027-02-01"),
        ),
        ({"bill_rate": "165.00"}, {"bill_rate": "170.50"}, RATE_DAY.format(day="2027-02-01")),
    ]


def test_time_and_materials_keeps_a_rate_above_zero(
    pc: Person, actor_of: Callable[[Person], Actor]
) -> None:
    engagement = embedded("150")
    me = actor_of(pc)
    with unchanged(), pytest.raises(ValidationFailed) as invalid:
        services.bill_rate_set(
            actor=me, engagement=engagement, effective_from=START, rate=Decimal("0")
        )
    assert [(e.field, e.message) for e in invalid.value.errors] == [
        ("rate", services.ERR_BILL_RATE)
    ]
    with unchanged(), pytest.raises(Conflict) as conflict:
        services.bill_rate_delete(actor=me, engagement=engagement, effective_from=START)
    assert conflict.value.message == services.ERR_BILL_RATE
    # With a second rate above 0, the first may go.
    services.bill_rate_set(actor=me, engagement=engagement, effective_from=FEB, rate=Decimal("160"))
    services.bill_rate_delete(actor=me, engagement=engagement, effective_from=START)
    assert rates(engagement) == [(FEB, Decimal("160.00"))]
    with unchanged(), pytest.raises(NotFound) as missing:
        services.bill_rate_delete(actor=me, engagement=engagement, effective_from=START)
    assert missing.value.message == services.ERR_NO_BILL_RATE.format(day="2026-12-01")


@pytest.mark.parametrize("rate", [Decimal("-1"), Decimal("1.001"), Decimal("NaN")])
def test_a_bad_rate_is_refused(
    pc: Person, actor_of: Callable[[Person], Actor], rate: Decimal
) -> None:
    engagement = EngagementFactory.create()
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.bill_rate_set(
            actor=actor_of(pc), engagement=engagement, effective_from=FEB, rate=rate
        )
    assert [(e.field, e.message) for e in exc.value.errors] == [("rate", services.ERR_AMOUNT)]


def test_a_pse_may_not_set_a_rate_and_a_finished_engagement_takes_none(
    make_person: MakePerson, pc: Person, actor_of: Callable[[Person], Actor]
) -> None:
    engagement = EngagementFactory.create()
    pse = actor_of(make_person(Role.PSE))
    with unchanged(), pytest.raises(PermissionDenied) as refused:
        services.bill_rate_set(
            actor=pse,
            engagement=engagement,
            effective_from=FEB,
            rate=Decimal("1"),
        )
    assert refused.value.message == services.ERR_MAY_NOT_EDIT
    done = EngagementFactory.create(status=Status.COMPLETE)
    with unchanged(), pytest.raises(Conflict) as finished:
        services.bill_rate_set(
            actor=actor_of(pc), engagement=done, effective_from=FEB, rate=Decimal("1")
        )
    assert finished.value.message == services.ERR_FINISHED.format(status="complete")


def test_becoming_time_and_materials_needs_a_rate(
    pc: Person, actor_of: Callable[[Person], Actor]
) -> None:
    engagement = EngagementFactory.create(kind=Kind.PACKAGED)
    change = services.EngagementInput(kind=Kind.EMBEDDED_ENGINEER)
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.engagement_update(
            actor=actor_of(pc), engagement=engagement, data=change, fields_set=["kind"]
        )
    assert [(e.field, e.message) for e in exc.value.errors] == [
        ("bill_rate", services.ERR_BILL_RATE)
    ]
    services.bill_rate_set(
        actor=actor_of(pc), engagement=engagement, effective_from=START, rate=Decimal("120")
    )
    services.engagement_update(
        actor=actor_of(pc), engagement=engagement, data=change, fields_set=["kind"]
    )
    engagement.refresh_from_db()
    assert engagement.kind == Kind.EMBEDDED_ENGINEER


# ------------------------------------------------------------------ API


def test_the_api_sets_reads_and_takes_back_rates(
    pc: Person, api_as: Callable[[Person], Client]
) -> None:
    engagement = embedded("150")
    client = api_as(pc)
    url = f"/api/v1/engagements/{engagement.pk}"
    put = client.put(f"{url}/bill-rates/2027-02-01", {"rate": "165.00"}, content_type=JSON)
    assert (put.status_code, put.json()) == (
        200,
        {"effective_from": "2027-02-01", "rate": "165.00"},
    )
    body = client.get(url).json()
    assert body["bill_rates"] == [
        {"effective_from": "2026-12-01", "rate": "150.00"},
        {"effective_from": "2027-02-01", "rate": "165.00"},
    ]
    assert body["bill_rate"] == "150.00"  # today's (1 Dec 2026 … 31 Jan 2027)
    with clock.frozen(dt.datetime(2027, 2, 1, 9, tzinfo=dt.UTC)):
        assert client.get(url).json()["bill_rate"] == "165.00"
        listed = client.get("/api/v1/engagements", {"search": "Embedded"}).json()["items"]
        assert [e["bill_rate"] for e in listed] == ["165.00"]
    assert client.delete(f"{url}/bill-rates/2027-02-01").status_code == 204
    client_conflict = client.delete(f"{url}/bill-rates/2026-12-01")
    assert_refused(client_conflict, 409, "effective_from", services.ERR_BILL_RATE)
    assert rates(engagement) == [(START, Decimal("150.00"))]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"rate": "abc"}, [("rate", pydantic_error("decimal_parsing"))]),
        ({}, [("rate", pydantic_error("missing"))]),
    ],
)
def test_bad_rate_input_gets_the_field_and_the_reason(
    pc: Person,
    api_as: Callable[[Person], Client],
    body: dict[str, str],
    errors: list[tuple[str, str]],
) -> None:
    engagement = EngagementFactory.create()
    client = api_as(pc)
    with unchanged():
        response = client.put(
            f"/api/v1/engagements/{engagement.pk}/bill-rates/2027-02-01", body, content_type=JSON
        )
    assert_invalid(response, *errors)


def test_a_patch_with_a_rate_is_refused_with_where_rates_go(
    pc: Person, api_as: Callable[[Person], Client]
) -> None:
    engagement = embedded("150")
    client = api_as(pc)
    with unchanged():
        response = client.patch(
            f"/api/v1/engagements/{engagement.pk}", {"bill_rate": "1.00"}, content_type=JSON
        )
    message = services.ERR_RATE_FIELDS.format(id=engagement.pk)
    assert_invalid(response, ("bill_rate", message))


def test_a_negative_rate_through_the_api_is_refused(
    pc: Person, api_as: Callable[[Person], Client]
) -> None:
    engagement = EngagementFactory.create()
    client = api_as(pc)
    with unchanged():
        response = client.put(
            f"/api/v1/engagements/{engagement.pk}/bill-rates/2027-02-01",
            {"rate": "-1"},
            content_type=JSON,
        )
    assert_refused(response, 422, "rate", services.ERR_AMOUNT)


# ------------------------------------------------------------------ the engagement's page


def test_the_page_lists_the_rates_and_sets_one(
    pc: Person, client_for: Callable[[Person], Client]
) -> None:
    engagement = embedded("150")
    client = client_for(pc)
    response = client.post(
        f"/engagements/{engagement.pk}/bill-rates/",
        {"rate-effective_from": "2027-02-01", "rate-rate": "165"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/engagements/{engagement.pk}/#bill-rates"
    page = client.get(response["Location"]).content.decode()
    assert flash("Bill rate from 1 Feb 2027 saved.", "success") in page
    assert "<td>Tue 1 Dec 2026</td>" in page
    assert "<td>Sun 31 Jan 2027" in page  # the first rate's last day
    assert '<td class="num">165.00 EUR</td>' in page


def test_bad_input_on_the_page_is_shown_and_changes_nothing(
    pc: Person, client_for: Callable[[Person], Client]
) -> None:
    engagement = embedded("150")
    client = client_for(pc)
    with unchanged():
        response = client.post(
            f"/engagements/{engagement.pk}/bill-rates/",
            {"rate-effective_from": "2026-12-01", "rate-rate": "0"},
        )
    assert response.status_code == 422
    page = response.content.decode()
    assert field_error("id_rate-rate", services.ERR_BILL_RATE) in page
    assert MARKED_FIELDS in page


def test_removing_the_last_rate_of_time_and_materials_is_refused_on_the_page(
    pc: Person, client_for: Callable[[Person], Client]
) -> None:
    engagement = embedded("150")
    client = client_for(pc)
    with unchanged():
        response = client.post(
            f"/engagements/{engagement.pk}/bill-rates/2026-12-01/delete/", follow=True
        )
    assert flash(services.ERR_BILL_RATE) in response.content.decode()


def test_a_pse_sees_the_rates_without_the_form(
    make_person: MakePerson, client_for: Callable[[Person], Client]
) -> None:
    engagement = embedded("150")
    client = client_for(make_person(Role.PSE))
    page = client.get(f"/engagements/{engagement.pk}/").content.decode()
    assert 'id="bill-rates"' in page
    assert 'name="rate-rate"' not in page
    with unchanged():
        refused = client.post(
            f"/engagements/{engagement.pk}/bill-rates/",
            {"rate-effective_from": "2027-02-01", "rate-rate": "1"},
        )
    assert refused.status_code == 403
    assert refusal_page(services.ERR_MAY_NOT_EDIT) in refused.content.decode()


def test_completing_an_engagement_records_the_day(db: None) -> None:
    engagement = EngagementFactory.create(kind=Kind.PACKAGED, status=Status.ACTIVE)
    with clock.frozen(dt.datetime(2026, 12, 10, 12, tzinfo=dt.UTC)):
        done = services.engagement_set_status(
            actor=SYSTEM, engagement=engagement, status=Status.COMPLETE
        )
    assert (done.completed_on, done.packaged_complete) == (dt.date(2026, 12, 10), True)
    entry = AuditEntry.objects.get(action="engagement.status", target_id=str(engagement.pk))
    assert entry.after == {"status": "complete", "completed_on": "2026-12-10"}
