"""Reports as of a past day: revenue and margin of whole months as PSA recorded them at the
end of that day give the same figures every time, however the data change afterwards; the
recording only adds and closes rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection
from django.test import Client

from psa.core import clock
from psa.core.errors import ValidationFailed
from psa.core.roles import SYSTEM, Actor, Role
from psa.engagements import services as engagement_services
from psa.finance import selectors, services
from psa.finance.models import RecordedFigure
from psa.people import services as people_services
from psa.people.models import Person
from tests.engagements.factories import EngagementFactory
from tests.finance.conftest import END, NOW, START, Books, item, log
from tests.helpers import assert_refused

D = Decimal
FIRST = dt.datetime(2027, 2, 3, 23, 0, tzinfo=dt.UTC)  # recorded late on 3 Feb
SECOND = dt.datetime(2027, 2, 4, 23, 0, tzinfo=dt.UTC)  # and on 4 Feb, after the changes
LATER = dt.datetime(2027, 2, 6, 9, 0, tzinfo=dt.UTC)  # when the reports are asked for


def figures(report: selectors.MarginReport) -> dict[int, tuple[dict[str, D], dict[str, D]]]:
    return {r.engagement_id or 0: (r.figures.revenue, r.figures.cost) for r in report.rows}


def test_as_of_a_day_the_same_figures_whatever_changed_after(
    books: Books, actor_of: Callable[[Person], Actor]
) -> None:
    finance = actor_of(books.finance)
    with clock.frozen(FIRST):
        live_then = selectors.margin(actor=finance, start=START, end=END)
        use_then = selectors.utilization(actor=finance, start=START, end=END)
        assert services.figures_record(now=FIRST) > 0
    # The next day: Bo's cost rate is corrected back to November, two hours are logged on the
    # time and materials engagement in December, a milestone is dated into January, and an
    # unrelated engagement gets its first hours.
    with clock.frozen(dt.datetime(2027, 2, 4, 10, tzinfo=dt.UTC)):
        people_services.cost_rate_set(
            actor=SYSTEM, person=books.bo, effective_from=START, rate=D("120"), currency="USD"
        )
        log(books.bo, item(books.tm), dt.date(2026, 12, 14), "2")
        third = list(books.sow.milestones.order_by("position"))[2]
        engagement_services.milestone_set_reached(
            actor=SYSTEM, milestone=third, reached_on=dt.date(2027, 1, 12)
        )
        log(books.bo, item(EngagementFactory.create(name="Unrelated")), END, "3")
    with clock.frozen(SECOND):
        services.figures_record(now=SECOND)
    with clock.frozen(LATER):
        as_of_first = selectors.margin_as_of(
            actor=finance, start=START, end=END, as_of=FIRST.date()
        )
        again = selectors.margin_as_of(actor=finance, start=START, end=END, as_of=FIRST.date())
        as_of_second = selectors.margin_as_of(
            actor=finance, start=START, end=END, as_of=SECOND.date()
        )
        live_now = selectors.margin(actor=finance, start=START, end=END)
        revenue_first = selectors.revenue_as_of(
            actor=finance, start=START, end=END, as_of=FIRST.date()
        )
        use_first = selectors.utilization_as_of(
            actor=finance, start=START, end=END, as_of=FIRST.date()
        )
        use_second = selectors.utilization_as_of(
            actor=finance, start=START, end=END, as_of=SECOND.date(), group="team"
        )
    assert figures(as_of_first) == figures(again) == figures(live_then)
    assert figures(as_of_second) == figures(live_now) != figures(live_then)
    tm_then, tm_now = figures(as_of_first)[books.tm.pk], figures(as_of_second)[books.tm.pk]
    assert (tm_then[1], tm_now[1]) == ({"USD": D("1800.00")}, {"USD": D("2200.00")})
    sow_then, sow_now = figures(as_of_first)[books.sow.pk], figures(as_of_second)[books.sow.pk]
    assert (sow_then[0], sow_now[0]) == ({"USD": D("25000.00")}, {"USD": D("50000.00")})
    assert (sow_then[1], sow_now[1]) == ({"USD": D("2400.00")}, {"USD": D("2880.00")})  # 24 h × 120
    assert revenue_first.totals == {
        ("custom_sow", "USD"): D("25000.00"),
        ("embedded_engineer", "EUR"): D("1540.00"),
        ("packaged", "USD"): D("20000.00"),
    }
    assert revenue_first.as_of == FIRST.date()
    # Utilization as of the first day: the same sums as the live report gave then; Bo's two
    # late hours show only from the second.
    assert [(r.label, r.figures.hours, r.figures.billable) for r in use_first.rows] == [
        (r.label, r.figures.hours, r.figures.billable) for r in use_then.rows
    ]
    assert use_first.total.capacity == use_then.total.capacity
    assert use_first.total.target == use_then.total.target
    assert use_second.total.hours == use_then.total.hours + D("5.00")  # 2 h + 3 h unrelated
    # Only added and closed: the first recording's rows are all still there, unchanged.
    closed = RecordedFigure.objects.filter(recorded_from=FIRST, recorded_to=SECOND).count()
    assert closed >= 2


def test_refused_as_of(books: Books, actor_of: Callable[[Person], Actor]) -> None:
    finance = actor_of(books.finance)
    with clock.frozen(NOW), pytest.raises(ValidationFailed) as none_yet:
        selectors.margin_as_of(actor=finance, start=START, end=END, as_of=dt.date(2027, 2, 1))
    assert none_yet.value.message == selectors.ERR_AS_OF_NONE
    with clock.frozen(FIRST):
        services.figures_record(now=FIRST)
    cases = [
        (START + dt.timedelta(days=1), END, FIRST.date(), selectors.ERR_AS_OF_MONTHS),
        (
            START,
            END,
            LATER.date(),
            selectors.ERR_AS_OF_ENDED.format(today=LATER.date().isoformat()),
        ),
        (
            START,
            END,
            dt.date(2027, 2, 2),
            selectors.ERR_AS_OF_BEFORE.format(first=FIRST.date().isoformat()),
        ),
    ]
    with clock.frozen(LATER):
        for start, end, as_of, error in cases:
            with pytest.raises(ValidationFailed) as exc:
                selectors.margin_as_of(actor=finance, start=start, end=end, as_of=as_of)
            assert exc.value.message == error
        # as of "today" is refused: the day has not ended.
        with pytest.raises(ValidationFailed):
            selectors.revenue_as_of(actor=finance, start=START, end=END, as_of=LATER.date())


def test_the_api_and_the_page(
    books: Books, api_as: Callable[[Person], Client], client_for: Callable[[Person], Client]
) -> None:
    with clock.frozen(FIRST):
        services.figures_record(now=FIRST)
    period = f"start={START}&end={END}"
    with clock.frozen(LATER):
        body = api_as(books.finance).get(f"/api/v1/finance/revenue?{period}&as_of=2027-02-03")
        partial = api_as(books.finance).get(
            f"/api/v1/finance/margin?start=2026-11-02&end={END}&as_of=2027-02-03"
        )
        page = client_for(books.finance).get(
            f"/finance/margin/?{period}&group=engagement&as_of=2027-02-03"
        )
        use = api_as(books.finance).get(f"/api/v1/finance/utilization?{period}&as_of=2027-02-03")
        use_page = client_for(books.finance).get(
            f"/finance/utilization/?{period}&group=role&as_of=2027-02-03"
        )
        live_use = api_as(books.finance).get(f"/api/v1/finance/utilization?{period}")
    assert body.json()["as_of"] == "2027-02-03"
    assert {(t["kind"], t["currency"]): t["amount"] for t in body.json()["totals"]} == {
        ("custom_sow", "USD"): "25000.00",
        ("embedded_engineer", "EUR"): "1540.00",
        ("packaged", "USD"): "20000.00",
    }
    assert_refused(partial, 422, "start", selectors.ERR_AS_OF_MONTHS)
    assert 'id="as-of-note"' in page.content.decode()
    assert "/finance/entries/" not in page.content.decode()  # today's entries: no drill-down
    assert use.json()["as_of"] == "2027-02-03"
    assert use.json()["total"] == live_use.json()["total"]  # nothing changed since
    assert (use_page.status_code, 'id="as-of-note"' in use_page.content.decode()) == (200, True)


def test_the_periodic_runner_records_once_a_day(books: Books) -> None:
    with clock.frozen(FIRST):
        first = services.figures_record_daily(now=FIRST)
        again = services.figures_record_daily(now=FIRST + dt.timedelta(minutes=30))
    with clock.frozen(SECOND):
        next_day = services.figures_record_daily(now=SECOND)
    from psa.finance.models import FigureRecording, RecordedUtilization

    assert first > 0
    assert again == 0  # once a day
    # Overnight no money figure changed; February, in progress, has one more day for each
    # of the five people employed.
    assert next_day == 5
    assert RecordedFigure.objects.filter(recorded_from=SECOND).count() == 0
    assert set(
        RecordedUtilization.objects.filter(recorded_from=SECOND).values_list("month", flat=True)
    ) == {dt.date(2027, 2, 1)}
    assert FigureRecording.objects.count() == 2


def test_the_forecast_as_of_a_day(
    books: Books,
    make_person: Callable[..., Person],
    actor_of: Callable[[Person], Actor],
    api_as: Callable[[Person], Client],
) -> None:
    finance = actor_of(books.finance)
    with clock.frozen(FIRST):
        then = selectors.forecast(actor=finance, start=FIRST.date())
        services.figures_record(now=FIRST)
    # Later a PSE is hired: the team's capacity in the weeks ahead grows.
    with clock.frozen(dt.datetime(2027, 2, 4, 10, tzinfo=dt.UTC)):
        make_person(Role.PSE, start_date=dt.date(2027, 2, 1))
        now = selectors.forecast(actor=finance, start=FIRST.date())
    with clock.frozen(LATER):
        recorded = selectors.forecast_as_of(actor=finance, as_of=FIRST.date())
        body = api_as(books.finance).get("/api/v1/finance/forecast?as_of=2027-02-03").json()
        with pytest.raises(ValidationFailed) as before:
            selectors.forecast_as_of(actor=finance, as_of=dt.date(2027, 2, 2))
    assert (recorded.start, recorded.end, recorded.as_of) == (then.start, then.end, FIRST.date())
    assert recorded.weeks == then.weeks != now.weeks
    assert recorded.totals == then.totals
    assert [(r.engagement_id, r.amount) for r in recorded.revenue] == [
        (r.engagement_id, r.amount) for r in then.revenue
    ]
    assert [(p.person_id, p.over, p.under) for p in recorded.people] == [
        (p.person_id, p.over, p.under) for p in then.people
    ]
    assert (body["as_of"], len(body["weeks"])) == ("2027-02-03", 13)
    assert before.value.message == selectors.ERR_AS_OF_BEFORE.format(first="2027-02-03")


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="locks need PostgreSQL")
def test_two_periodic_runners_at_once_record_the_day_once(books: Books) -> None:
    from psa.finance.models import FigureRecording, RecordedForecast, RecordedUtilization
    from tests.timetracking.test_concurrency import run_together

    calls: list[Callable[[], object]] = [
        partial(services.figures_record_daily, now=FIRST),
        partial(services.figures_record_daily, now=FIRST + dt.timedelta(seconds=1)),
    ]
    assert run_together(calls, now=FIRST) == ["ok", "ok"]
    assert FigureRecording.objects.count() == 1
    assert RecordedForecast.objects.count() == 1
    # One open row per figure: the second runner wrote none beside the first's.
    open_money = RecordedFigure.objects.filter(recorded_to__isnull=True)
    assert (
        open_money.count()
        == open_money.values("engagement_id", "month", "currency").distinct().count()
    )
    open_people = RecordedUtilization.objects.filter(recorded_to__isnull=True)
    assert open_people.count() == open_people.values("person_id", "month").distinct().count()
    assert FigureRecording.objects.get().changed == open_money.count() + open_people.count()
