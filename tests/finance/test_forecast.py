"""The forecast: the PSEs' weeks ahead from the schedule (tentative hours at their
probability), who is over- or under-booked, and the revenue expected per engagement, kind and
currency (time and materials at the bill rate of each booked day, a custom SOW by the share
of its remaining budget booked, a packaged one when it ends)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client

from psa.core.errors import PermissionDenied, ValidationFailed
from psa.core.roles import Actor, Role
from psa.engagements.models import BillRate, Engagement, Kind, Milestone, Status
from psa.finance import rules, selectors
from psa.finance.selectors import ExpectedRevenue, PersonForecast, RateGap
from psa.people.models import Person
from psa.scheduling.models import Booking, BookingDay, Firmness
from tests.engagements.factories import EngagementFactory
from tests.helpers import assert_refused

MakePerson = Callable[..., Person]
D = Decimal
JAN4 = dt.date(2027, 1, 4)  # a Monday
NOW = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)


def book(
    person: Person, engagement: Engagement, days: list[dt.date], hours: str, probability: int = 100
) -> None:
    tentative = probability < 100
    booking = Booking.objects.create(
        person=person,
        engagement=engagement,
        firmness=Firmness.TENTATIVE if tentative else Firmness.CONFIRMED,
        probability=probability,
        start_date=min(days),
        end_date=max(days),
        hours=D(hours) * len(days),
        created_at=NOW,
        updated_at=NOW,
    )
    BookingDay.objects.bulk_create(
        BookingDay(
            booking=booking,
            person=person,
            date=d,
            hours=D(hours),
            kind="tentative" if tentative else "confirmed",
        )
        for d in days
    )


def weekdays(monday: dt.date) -> list[dt.date]:
    return [monday + dt.timedelta(days=i) for i in range(5)]


@pytest.fixture
def reader(make_person: MakePerson, actor_of: Callable[[Person], Actor]) -> Actor:
    return actor_of(make_person(Role.FINANCE_PARTNER))


@dataclass(frozen=True)
class Plan:
    ada: Person
    bo: Person
    tm: Engagement
    sow: Engagement
    packaged: Engagement


@pytest.fixture
def plan(make_person: MakePerson) -> Plan:
    ada = make_person(Role.PSE, name="Ada Lovelace", country="US")
    bo = make_person(Role.PSE, name="Bo Booked", country="US")
    tm = EngagementFactory.create(
        kind=Kind.EMBEDDED_ENGINEER, name="Platform team", status=Status.ACTIVE
    )
    BillRate.objects.create(engagement=tm, effective_from=dt.date(2027, 1, 5), rate=D("150"))
    BillRate.objects.create(engagement=tm, effective_from=dt.date(2027, 1, 11), rate=D("165"))
    sow = EngagementFactory.create(
        kind=Kind.CUSTOM_SOW,
        name="Migration",
        status=Status.BOOKED,
        contract_value=D("100000"),
        budget_hours=D("400"),
    )
    for i in range(4):
        Milestone.objects.create(
            engagement=sow,
            name=f"{25 * (i + 1)} %",
            weight=D("25"),
            position=i + 1,
            reached_on=dt.date(2026, 11, 20) if i == 0 else None,
        )
    packaged = EngagementFactory.create(
        kind=Kind.PACKAGED,
        name="Health check",
        status=Status.PIPELINE,
        probability=50,
        contract_value=D("20000"),
        end_date=dt.date(2027, 1, 15),
    )
    EngagementFactory.create(kind=Kind.PACKAGED, name="Later", end_date=dt.date(2027, 3, 1))
    book(ada, tm, weekdays(JAN4) + weekdays(JAN4 + dt.timedelta(days=7)), "8")
    book(bo, sow, weekdays(JAN4), "4", probability=50)
    return Plan(ada, bo, tm, sow, packaged)


def test_the_weeks_the_flags_and_the_revenue(plan: Plan, reader: Actor) -> None:
    bo, tm, sow, packaged = plan.bo, plan.tm, plan.sow, plan.packaged
    result = selectors.forecast(actor=reader, start=JAN4 + dt.timedelta(days=2), weeks=2)
    assert (result.start, result.end) == (JAN4, dt.date(2027, 1, 17))
    assert [
        (w.monday, w.capacity, w.confirmed, w.tentative, w.tentative_weighted, w.forecast)
        for w in result.weeks
    ] == [
        (JAN4, D("80.00"), D("40.00"), D("20.00"), D("10.00"), D("62.5")),
        (dt.date(2027, 1, 11), D("80.00"), D("40.00"), D("0.00"), D("0.00"), D("50.0")),
    ]
    # Bo is expected at 25 % and 0 % against 75 %; Ada is full and within capacity.
    assert result.people == [PersonForecast(bo.pk, "Bo Booked", [], [JAN4, dt.date(2027, 1, 11)])]
    assert result.revenue == [
        ExpectedRevenue(
            sow.pk,
            f"{sow.customer.name} — Migration",
            "custom_sow",
            "USD",
            D("1875.00"),  # 75,000 not yet earned × 10 of the 400 h left
            "10.00 h booked of 400.00 h left in the budget, of the 75.00 % its milestones have "
            "not earned",
        ),
        ExpectedRevenue(
            tm.pk,
            f"{tm.customer.name} — Platform team",
            "embedded_engineer",
            "USD",
            D("11400.00"),  # 4 days × 8 h × 150 + 5 × 8 × 165; 4 January has no rate
            "80.00 h booked × the bill rate of each day",
        ),
        ExpectedRevenue(
            packaged.pk,
            f"{packaged.customer.name} — Health check",
            "packaged",
            "USD",
            D("10000.00"),
            "ends 2027-01-15, 50 % likely",
        ),
    ]
    assert result.totals == {
        ("custom_sow", "USD"): D("1875.00"),
        ("embedded_engineer", "USD"): D("11400.00"),
        ("packaged", "USD"): D("10000.00"),
    }
    assert result.gaps == [
        RateGap(tm.pk, f"{tm.customer.name} — Platform team", JAN4, JAN4, 1, D("8.00"))
    ]


def test_currencies_are_never_added(make_person: MakePerson, reader: Actor) -> None:
    for currency in ("USD", "EUR"):
        EngagementFactory.create(
            kind=Kind.PACKAGED,
            currency=currency,
            contract_value=D("1000"),
            end_date=dt.date(2027, 1, 8),
        )
    result = selectors.forecast(actor=reader, start=JAN4, weeks=1)
    assert result.totals == {("packaged", "EUR"): D("1000.00"), ("packaged", "USD"): D("1000.00")}


def test_sow_expected_is_capped_at_what_is_left() -> None:
    assert rules.sow_expected(
        remaining_value=D("50000"), remaining_budget_hours=D("100"), booked_hours=D("150")
    ) == D("50000")
    assert rules.sow_expected(
        remaining_value=D("50000"), remaining_budget_hours=D("-10"), booked_hours=D("8")
    ) == D("50000")
    assert rules.sow_expected(
        remaining_value=D("0"), remaining_budget_hours=D("100"), booked_hours=D("8")
    ) == D("0.00")


@pytest.mark.parametrize("weeks", [0, 27])
def test_a_forecast_is_1_to_26_weeks(reader: Actor, weeks: int) -> None:
    with pytest.raises(ValidationFailed) as exc:
        selectors.forecast(actor=reader, start=JAN4, weeks=weeks)
    assert [(e.field, e.message) for e in exc.value.errors] == [
        ("weeks", selectors.ERR_FORECAST_WEEKS)
    ]


def test_only_finance_reads_it(
    make_person: MakePerson, actor_of: Callable[[Person], Actor], api_as: Callable[[Person], Client]
) -> None:
    pse = make_person(Role.PSE)
    with pytest.raises(PermissionDenied):
        selectors.forecast(actor=actor_of(pse), start=JAN4)
    refused = api_as(pse).get("/api/v1/finance/forecast")
    assert (refused.status_code, refused.json()["detail"]) == (403, selectors.ERR_MAY_NOT_READ)


def test_the_api_and_the_page(
    plan: Plan,
    make_person: MakePerson,
    api_as: Callable[[Person], Client],
    client_for: Callable[[Person], Client],
) -> None:
    finance = make_person(Role.FINANCE_PARTNER)
    body = (
        api_as(finance)
        .get("/api/v1/finance/forecast", {"start": "2027-01-04", "weeks": "2"})
        .json()
    )
    assert [w["forecast"] for w in body["weeks"]] == ["62.5", "50.0"]
    assert body["totals"] == [
        {"kind": "custom_sow", "currency": "USD", "amount": "1875.00"},
        {"kind": "embedded_engineer", "currency": "USD", "amount": "11400.00"},
        {"kind": "packaged", "currency": "USD", "amount": "10000.00"},
    ]
    bad = api_as(finance).get("/api/v1/finance/forecast", {"weeks": 30})
    assert_refused(bad, 422, "weeks", selectors.ERR_FORECAST_WEEKS)
    page = client_for(finance).get("/finance/forecast/", {"start": "2027-01-04", "weeks": "2"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "<strong>11,400.00 USD</strong> Embedded Engineer (T&amp;M)" in html
    assert "4 Jan 2027" in html
    assert "Booked time and materials hours without a bill rate are not counted" in html
