"""Calendar feeds: the served iCalendar (parsed back with the icalendar library), the secret-token
URL and its revocation, and the feeds API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import icalendar
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from psa.core import api, clock, numbers
from psa.core.roles import Actor, Role
from psa.engagements import flows
from psa.engagements import selectors as engagements
from psa.engagements.models import Status
from psa.people import selectors as people
from psa.people.models import Person
from psa.scheduling import feeds, services
from psa.scheduling.feed_views import NOT_FOUND_BODY
from psa.scheduling.models import Booking, CalendarFeed
from tests.engagements.factories import CustomerFactory, EngagementFactory
from tests.helpers import (
    assert_invalid,
    assert_problem,
    assert_refused,
    pydantic_error,
    unchanged,
)

pytestmark = pytest.mark.django_db
D = Decimal
JSON = "application/json"
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
MON = dt.date(2026, 12, 7)  # no US holiday that week


def day(offset: int) -> dt.date:
    return MON + dt.timedelta(days=offset)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def s(
    make_person: Callable[..., Person],
    actor_of: Callable[[Person], Actor],
    api_as: Callable[[Person], Client],
) -> Any:
    class Setup:
        pc = make_person(Role.PROJECT_COORDINATOR, name="Priya")
        pse = make_person(Role.PSE, name="Alex")
        other = make_person(Role.PSE, name="Bea")
        manager = make_person(Role.DELIVERY_MANAGER, name="Marcus")
        customer = CustomerFactory.create(name="Acme Logistics")
        engagement = EngagementFactory.create(
            customer=customer, name="GitLab Migration Services", status=Status.ACTIVE
        )
        deal = EngagementFactory.create(
            customer=customer, name="CI Rollout", status=Status.PIPELINE, probability=60
        )
        anonymous = Client()

        def actor(self, person: Person) -> Actor:
            return actor_of(person)

        def api(self, person: Person) -> Client:
            return api_as(person)

    return Setup()


def book(s: Any, **kw: Any) -> Booking:
    """A request by the delivery manager, confirmed by the coordinator."""
    args: dict[str, Any] = {
        "engagement": s.engagement,
        "person": s.pse,
        "start_date": day(1),
        "end_date": day(3),
        "hours": D("24"),
    }
    args.update(kw)
    request = services.request_create(actor=s.actor(s.manager), **args)
    return services.request_confirm(actor=s.actor(s.pc), request=request)


def change(s: Any, booking: Booking, action: str = "change", **kw: Any) -> Booking:
    args: dict[str, Any] = {"start_date": day(7), "end_date": day(8), "hours": D("16")}
    args.update(kw)
    return book(s, engagement=booking.engagement, action=action, booking=booking, **args)


def internal(s: Any) -> Booking:
    return services.internal_time_create(
        actor=s.actor(s.pse),
        person=s.pse,
        task_name="Knowledge sharing",
        start_date=day(4),
        end_date=day(4),
        hours=D("7.5"),
    )


def feed_url(s: Any, *, by: Person | None = None, **target: int) -> str:
    response = s.api(by or s.pse).post("/api/v1/scheduling/feeds", target, content_type=JSON)
    assert response.status_code == 201, response.content
    url: str = response.json()["url"]
    return url


def person_feed(s: Any) -> str:
    return feed_url(s, person_id=s.pse.pk)


def engagement_feed(s: Any) -> str:
    return feed_url(s, engagement_id=s.engagement.pk)


def fetch(s: Any, url: str) -> icalendar.Calendar:
    response = s.anonymous.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return icalendar.Calendar.from_ical(response.content)


def events(cal: icalendar.Calendar) -> dict[str, icalendar.Component]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def uid(booking: Booking) -> str:
    return f"{booking.uid}@psa"


def summary_status_sequence(event: icalendar.Component) -> tuple[str, str, int]:
    return str(event["SUMMARY"]), str(event["STATUS"]), int(event.decoded("SEQUENCE"))


def dates(event: icalendar.Component) -> tuple[dt.date, dt.date]:
    return event.decoded("DTSTART"), event.decoded("DTEND")


# ------------------------------------------------------------------ the served calendar


def test_a_person_feed_shows_a_booking_as_an_all_day_event(s: Any) -> None:
    booking = book(s)
    url = person_feed(s)
    assert url.startswith("http://testserver/feeds/")
    assert url.endswith(".ics")

    cal = fetch(s, url)

    assert str(cal["PRODID"]) == "-//PSA//Scheduling//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["X-WR-CALNAME"]) == "PSA: Alex"
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == uid(booking)
    assert summary_status_sequence(event) == (
        "Acme Logistics — GitLab Migration Services (24 h)",
        "CONFIRMED",
        0,
    )
    # All-day: DTEND is the day after the last date (exclusive).
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert dates(event) == (day(1), day(4))
    assert event.decoded("DTSTAMP") == NOW
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(event["DESCRIPTION"]).splitlines() == [
        "Acme Logistics — GitLab Migration Services",
        "Person: Alex",
        "Confirmed",
        "24 h in total:",
        "Tue 2026-12-08: 8 h",
        "Wed 2026-12-09: 8 h",
        "Thu 2026-12-10: 8 h",
    ]


def test_uids_are_stable_and_sequence_increments_after_a_confirmed_change(s: Any) -> None:
    booking = book(s)
    url = person_feed(s)
    first = s.anonymous.get(url).content
    assert s.anonymous.get(url).content == first  # same schedule, same bytes
    before = events(icalendar.Calendar.from_ical(first))[uid(booking)]
    assert int(before.decoded("SEQUENCE")) == 0

    later = NOW + dt.timedelta(hours=2)
    with clock.frozen(later):
        change(s, booking)

    after = events(fetch(s, url))
    assert list(after) == [uid(booking)]
    event = after[uid(booking)]
    assert summary_status_sequence(event) == (
        "Acme Logistics — GitLab Migration Services (16 h)",
        "CONFIRMED",
        1,
    )
    assert dates(event) == (day(7), day(9))
    assert event.decoded("DTSTAMP") == later


def test_a_cancelled_booking_stays_in_the_feed_as_cancelled(s: Any) -> None:
    booking = book(s)
    url = person_feed(s)
    change(s, booking, action="cancel", start_date=day(1), end_date=day(3), hours=D("24"))

    event = events(fetch(s, url))[uid(booking)]

    assert summary_status_sequence(event) == (
        "Cancelled: Acme Logistics — GitLab Migration Services (24 h)",
        "CANCELLED",
        1,
    )
    # Its days are freed, so the event keeps the booking's own dates.
    assert dates(event) == (day(1), day(4))
    assert "Cancelled. It was 24 h from 2026-12-08 to 2026-12-10." in str(event["DESCRIPTION"])


def test_tentative_work_is_tentative_until_the_engagement_is_booked(s: Any) -> None:
    booking = book(s, engagement=s.deal)
    url = person_feed(s)

    event = events(fetch(s, url))[uid(booking)]
    assert summary_status_sequence(event) == (
        "Tentative (60 %): Acme Logistics — CI Rollout (24 h)",
        "TENTATIVE",
        0,
    )
    assert "Tentative, 60 % probability" in str(event["DESCRIPTION"])

    flows.engagement_status_change(actor=s.actor(s.pc), engagement=s.deal, status=Status.BOOKED)
    event = events(fetch(s, url))[uid(booking)]
    assert summary_status_sequence(event) == (
        "Acme Logistics — CI Rollout (24 h)",
        "CONFIRMED",
        1,
    )


def test_internal_time_is_in_the_person_feed_but_not_the_engagement_feed(s: Any) -> None:
    work = book(s)
    theirs = book(s, person=s.other)
    elsewhere = book(s, engagement=s.deal, start_date=day(7), end_date=day(7), hours=D("8"))
    own_time = internal(s)
    person_url, engagement_url = person_feed(s), engagement_feed(s)

    mine = events(fetch(s, person_url))
    assert set(mine) == {uid(work), uid(elsewhere), uid(own_time)}
    assert summary_status_sequence(mine[uid(own_time)]) == (
        "Internal: Knowledge sharing (7.5 h)",
        "CONFIRMED",
        0,
    )

    cal = fetch(s, engagement_url)
    assert str(cal["X-WR-CALNAME"]) == "PSA: Acme Logistics — GitLab Migration Services"
    project = events(cal)
    assert set(project) == {uid(work), uid(theirs)}
    assert str(project[uid(theirs)]["SUMMARY"]) == "Bea: GitLab Migration Services (24 h)"


@pytest.mark.parametrize(
    ("days_later", "shown"),
    [(100, True), (110, False)],  # the booking ends 2026-12-10; the window looks back 90 days
)
def test_the_feed_keeps_ninety_days_of_history(s: Any, days_later: int, shown: bool) -> None:
    booking = book(s)
    url = person_feed(s)
    with clock.frozen(NOW + dt.timedelta(days=days_later)):
        assert (uid(booking) in events(fetch(s, url))) is shown


def test_an_empty_feed_is_a_valid_calendar(s: Any) -> None:
    cal = fetch(s, person_feed(s))
    assert cal.walk("VEVENT") == []
    assert str(cal["X-WR-CALNAME"]) == "PSA: Alex"


def test_clients_can_poll_with_the_etag(s: Any) -> None:
    book(s)
    url = person_feed(s)
    first = s.anonymous.get(url)
    assert first["Cache-Control"] == "private, no-cache"

    again = s.anonymous.get(url, headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""

    internal(s)
    changed = s.anonymous.get(url, headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_the_feed_is_read_only(s: Any) -> None:
    assert s.anonymous.post(person_feed(s)).status_code == 405


# ------------------------------------------------------------------ unknown and revoked tokens


def test_revoked_and_unknown_tokens_are_the_same_plain_404(s: Any) -> None:
    book(s)
    url = person_feed(s)
    feed = CalendarFeed.objects.get()
    assert s.api(s.pse).delete(f"/api/v1/scheduling/feeds/{feed.pk}").status_code == 204

    revoked = s.anonymous.get(url)
    unknown = s.anonymous.get("/feeds/not-a-real-token.ics")

    for response in (revoked, unknown):
        assert response.status_code == 404
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content == NOT_FOUND_BODY.encode()
    feed.refresh_from_db()
    assert feed.revoked_at == NOW


def test_revoking_one_feed_leaves_the_others_working(s: Any) -> None:
    first, second = person_feed(s), person_feed(s)
    assert first != second
    feed = CalendarFeed.objects.get(token=first.rsplit("/", 1)[1].removesuffix(".ics"))
    services.feed_revoke(actor=s.actor(s.pse), feed=feed)
    assert s.anonymous.get(first).status_code == 404
    assert s.anonymous.get(second).status_code == 200


# ------------------------------------------------------------------ the feeds API


def test_a_pse_cannot_create_a_feed_for_someone_else(s: Any) -> None:
    client = s.api(s.pse)
    with unchanged():
        response = client.post(
            "/api/v1/scheduling/feeds", {"person_id": s.other.pk}, content_type=JSON
        )
    assert_refused(response, 403, "person_id", services.ERR_FEED_NOT_YOURS)


def test_a_pse_cannot_revoke_someone_elses_feed(s: Any) -> None:
    url = feed_url(s, by=s.other, person_id=s.other.pk)
    feed = CalendarFeed.objects.get()
    client = s.api(s.pse)
    with unchanged():
        response = client.delete(f"/api/v1/scheduling/feeds/{feed.pk}")
    assert_refused(response, 403, "feed_id", services.ERR_FEED_REVOKE)
    assert s.anonymous.get(url).status_code == 200


def test_a_coordinator_creates_a_feed_for_a_pse_and_both_see_it(s: Any) -> None:
    url = feed_url(s, by=s.pc, person_id=s.pse.pk)
    feed = CalendarFeed.objects.get()
    expected = {
        "id": feed.pk,
        "kind": "person",
        "person_id": s.pse.pk,
        "engagement_id": None,
        "name": "PSA: Alex",
        "url": url,
        "webcal_url": url.replace("http://", "webcal://"),
        "created_at": "2026-11-25T09:00:00Z",
        "revoked_at": None,
    }
    assert s.api(s.pc).get("/api/v1/scheduling/feeds").json() == [expected]
    assert s.api(s.pse).get("/api/v1/scheduling/feeds").json() == [expected]
    assert s.api(s.other).get("/api/v1/scheduling/feeds").json() == []


def test_the_list_shows_engagement_feeds_the_caller_created_and_revoked_ones_on_request(
    s: Any,
) -> None:
    engagement_feed(s)
    feed_url(s, by=s.other, engagement_id=s.engagement.pk)
    mine = CalendarFeed.objects.order_by("id").first()
    assert mine is not None
    listed = s.api(s.pse).get("/api/v1/scheduling/feeds").json()
    assert [(f["id"], f["kind"], f["engagement_id"]) for f in listed] == [
        (mine.pk, "engagement", s.engagement.pk)
    ]

    s.api(s.pse).delete(f"/api/v1/scheduling/feeds/{mine.pk}")
    assert s.api(s.pse).get("/api/v1/scheduling/feeds").json() == []
    [revoked] = s.api(s.pse).get("/api/v1/scheduling/feeds?include_revoked=true").json()
    assert (revoked["id"], revoked["url"], revoked["revoked_at"]) == (
        mine.pk,
        None,
        "2026-11-25T09:00:00Z",
    )


@pytest.mark.parametrize(
    ("body", "status", "field", "message"),
    [
        ({}, 422, "person_id", services.ERR_FEED_TARGET),
        ({"person_id": 999_999}, 404, "person_id", people.ERR_NO_PERSON.format(id=999_999)),
        (
            {"engagement_id": 999_999},
            404,
            "engagement_id",
            engagements.ERR_NO_ENGAGEMENT.format(id=999_999),
        ),
    ],
)
def test_a_feed_needs_exactly_one_existing_target(
    s: Any, body: dict[str, Any], status: int, field: str, message: str
) -> None:
    client = s.api(s.pse)
    with unchanged():
        response = client.post("/api/v1/scheduling/feeds", body, content_type=JSON)
    assert_refused(response, status, field, message)


def test_feed_targets_are_ids(s: Any) -> None:
    client = s.api(s.pse)
    body = {"person_id": "me", "engagement_id": "it"}
    with unchanged():
        response = client.post("/api/v1/scheduling/feeds", body, content_type=JSON)
    not_an_id = pydantic_error("int_parsing")
    assert_invalid(response, ("person_id", not_an_id), ("engagement_id", not_an_id))


def test_a_feed_for_both_a_person_and_an_engagement_is_refused(s: Any) -> None:
    client = s.api(s.pse)
    with unchanged():
        response = client.post(
            "/api/v1/scheduling/feeds",
            {"person_id": s.pse.pk, "engagement_id": s.engagement.pk},
            content_type=JSON,
        )
    assert_refused(response, 422, "person_id", services.ERR_FEED_TARGET)


def test_revoking_an_unknown_feed_is_404(s: Any) -> None:
    client = s.api(s.pse)
    with unchanged():
        response = client.delete("/api/v1/scheduling/feeds/999999")
    assert_refused(response, 404, "feed_id", feeds.ERR_FEED_ID_NOT_FOUND.format(id=999999))


def test_the_feeds_api_needs_a_login(s: Any) -> None:
    with unchanged():
        listed = s.anonymous.get("/api/v1/scheduling/feeds")
        created = s.anonymous.post(
            "/api/v1/scheduling/feeds", {"person_id": s.pse.pk}, content_type=JSON
        )
    for response in (listed, created):
        assert_problem(response, 401, api.ERR_UNAUTHORIZED, ("Authorization", api.ERR_TOKEN))


# ------------------------------------------------------------------ rendering details


@pytest.mark.parametrize(
    ("hours", "text"),
    [(D("24.00"), "24"), (D("7.50"), "7.5"), (D("0.25"), "0.25"), (D("100"), "100")],
)
def test_hours_read_without_trailing_zeros(hours: Decimal, text: str) -> None:
    assert numbers.fmt_hours(hours) == text


def test_the_feed_reads_a_fixed_number_of_queries_however_many_bookings(s: Any) -> None:
    book(s)
    url = person_feed(s)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert s.anonymous.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    book(s, engagement=s.deal, start_date=day(7), end_date=day(9))
    internal(s)
    assert queries() == few


def test_only_the_creator_or_a_coordinator_revokes_an_engagement_feed(s: Any) -> None:
    engagement_feed(s)  # created by the PSE
    feed = CalendarFeed.objects.get()
    assert feed.created_by_id == s.pse.user_id
    client = s.api(s.other)
    with unchanged():
        refused = client.delete(f"/api/v1/scheduling/feeds/{feed.pk}")
    assert_refused(refused, 403, "feed_id", services.ERR_FEED_REVOKE)
    assert s.api(s.pse).delete(f"/api/v1/scheduling/feeds/{feed.pk}").status_code == 204


@pytest.mark.parametrize(
    ("url", "webcal"),
    [
        ("https://psa.example/feeds/abc.ics", "webcal://psa.example/feeds/abc.ics"),
        ("http://localhost:8000/feeds/a://b.ics", "webcal://localhost:8000/feeds/a://b.ics"),
    ],
)
def test_a_feeds_webcal_url_is_its_url_with_the_scheme_swapped(url: str, webcal: str) -> None:
    assert feeds.webcal_url(url) == webcal
