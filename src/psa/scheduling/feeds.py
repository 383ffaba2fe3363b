"""iCalendar feeds of bookings: which feed a secret token opens, which bookings it shows, and the
VCALENDAR they render to.

A feed is for one person (their engagement work and internal time) or one engagement (everyone's
bookings on it). It is read by calendar clients without signing in: the token in the URL is the
only key, so an unknown and a revoked token look exactly alike (NotFound).

Event design (one VEVENT per booking):

- **All-day events.** A booking is hours on dates, not hours at times of day, so an event runs from
  ``DTSTART;VALUE=DATE`` = the first date to ``DTEND;VALUE=DATE`` = the day after the last date
  (DTEND is exclusive). ``TRANSP:TRANSPARENT``: a booking does not make the whole day busy in the
  subscriber's free/busy.
- **UID** ``<booking.uid>@psa``: stable for the life of the booking, whatever changes.
- **SEQUENCE** = ``booking.sequence``, which scheduling.services bumps on every change, firm-up
  and cancellation; **DTSTAMP** and **LAST-MODIFIED** = ``booking.updated_at`` (UTC), **CREATED**
  = ``booking.created_at``. So the same schedule always renders to the same bytes.
- **STATUS**: ``CONFIRMED`` for confirmed work and internal time, ``TENTATIVE`` for tentative
  (pipeline) work, ``CANCELLED`` for cancelled bookings. Cancelled bookings stay in the feed (on
  their own start and end dates, since their days are freed) for as long as they are in the
  window, so clients that honour STATUS remove or strike them through.
- **SUMMARY**: in a person's feed ``Acme Logistics — GitLab Migration Services (24 h)``, or
  ``Internal: <task name> (8 h)``; in an engagement's feed the person comes first:
  ``Alex Doe: GitLab Migration Services (24 h)``. Tentative work is prefixed
  ``Tentative (60 %): `` and cancelled bookings ``Cancelled: `` (for clients that ignore STATUS).
- **DESCRIPTION**: what the booking is for, who, its status, and the hours on each date.
- Calendar: ``PRODID:-//PSA//Scheduling//EN``, ``VERSION:2.0``, ``METHOD:PUBLISH``,
  ``X-WR-CALNAME`` / ``NAME`` naming the person or engagement, and a one-hour refresh hint.

Window: bookings that end on or after today minus ``FEED_PAST_DAYS`` (today in the person's time
zone for a person's feed, UTC for an engagement's), cancelled ones included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import icalendar
from django.db.models import Q

from psa.core import clock, numbers
from psa.core.errors import NotFound
from psa.core.roles import Actor
from psa.scheduling import selectors
from psa.scheduling.models import Booking, CalendarFeed, Firmness

PRODID = "-//PSA//Scheduling//EN"
UID_DOMAIN = "psa"
FEED_PAST_DAYS = 90
REFRESH = dt.timedelta(hours=1)
ERR_FEED_NOT_FOUND = "calendar feed not found"
ERR_FEED_ID_NOT_FOUND = "calendar feed {id} does not exist"


# ------------------------------------------------------------------ which feed, which bookings


def feed_by_token(*, token: str) -> CalendarFeed:
    """The live feed a token opens. Unknown and revoked tokens raise the same NotFound, so a
    caller cannot tell whether a token ever existed."""
    feed = None
    if token:
        feed = (
            CalendarFeed.objects.select_related("person", "engagement", "engagement__customer")
            .filter(token=token, revoked_at__isnull=True)
            .first()
        )
    if feed is None:
        raise NotFound(ERR_FEED_NOT_FOUND)
    return feed


def feed_get(*, feed_id: int) -> CalendarFeed:
    feed = (
        CalendarFeed.objects.select_related("person", "engagement", "engagement__customer")
        .filter(pk=feed_id)
        .first()
    )
    if feed is None:
        raise NotFound(ERR_FEED_ID_NOT_FOUND.format(id=feed_id), field="feed_id")
    return feed


def feed_list(*, actor: Actor, include_revoked: bool = False) -> list[CalendarFeed]:
    """The caller's feeds: those of their own schedule (whoever created them) and those they
    created (for others, or for engagements)."""
    mine = Q(person_id=actor.person_id) if actor.person_id is not None else Q(pk__in=[])
    if actor.user_id is not None:
        mine |= Q(created_by_id=actor.user_id)
    qs = CalendarFeed.objects.select_related("person", "engagement", "engagement__customer")
    qs = qs.filter(mine)
    if not include_revoked:
        qs = qs.filter(revoked_at__isnull=True)
    return list(qs.order_by("-created_at", "-id"))


def feed_window_start(feed: CalendarFeed) -> dt.date:
    """The earliest end date a booking may have to be in the feed."""
    tz = feed.person.timezone if feed.person is not None else "UTC"
    return clock.today(tz) - dt.timedelta(days=FEED_PAST_DAYS)


def feed_bookings(feed: CalendarFeed) -> list[Booking]:
    """The person's or the engagement's bookings, cancelled ones included, from
    FEED_PAST_DAYS ago onward, with their days."""
    qs = selectors.booking_list(
        person_id=feed.person_id,
        engagement_id=feed.engagement_id,
        start=feed_window_start(feed),
        include_cancelled=True,
    )
    return list(qs.prefetch_related("days"))


# ------------------------------------------------------------------ rendering


def webcal_url(url: str) -> str:
    """The feed's URL as webcal://, which calendar apps subscribe to in one click."""
    return "webcal://" + url.split("://", 1)[1]


def feed_name(feed: CalendarFeed) -> str:
    if feed.engagement is not None:
        return f"PSA: {feed.engagement.customer.name} — {feed.engagement.name}"
    return f"PSA: {feed.person.name}" if feed.person is not None else "PSA"


def _what(booking: Booking) -> str:
    if booking.engagement is None:
        return f"Internal: {booking.task_name}"
    return f"{booking.engagement.customer.name} — {booking.engagement.name}"


def _status(booking: Booking) -> str:
    if booking.state == Booking.State.CANCELLED:
        return "CANCELLED"
    if booking.firmness == Firmness.TENTATIVE:
        return "TENTATIVE"
    return "CONFIRMED"


def event_summary(booking: Booking, *, for_engagement: bool = False) -> str:
    if for_engagement and booking.engagement is not None:
        text = f"{booking.person.name}: {booking.engagement.name}"
    else:
        text = _what(booking)
    text += f" ({numbers.fmt_hours(booking.hours)} h)"
    status = _status(booking)
    if status == "TENTATIVE":
        text = f"Tentative ({booking.probability} %): {text}"
    elif status == "CANCELLED":
        text = f"Cancelled: {text}"
    return text


def event_description(booking: Booking) -> str:
    lines = [_what(booking), f"Person: {booking.person.name}"]
    status = _status(booking)
    if status == "CANCELLED":
        lines.append(
            f"Cancelled. It was {numbers.fmt_hours(booking.hours)} h "
            f"from {booking.start_date} to {booking.end_date}."
        )
        return "\n".join(lines)
    if status == "TENTATIVE":
        lines.append(f"Tentative, {booking.probability} % probability")
    else:
        lines.append("Confirmed")
    lines.append(f"{numbers.fmt_hours(booking.hours)} h in total:")
    # BookingDay's default ordering is by date; .all() keeps the prefetched rows.
    lines += [f"{d.date:%a %Y-%m-%d}: {numbers.fmt_hours(d.hours)} h" for d in booking.days.all()]
    return "\n".join(lines)


def booking_event(booking: Booking, *, for_engagement: bool = False) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", f"{booking.uid}@{UID_DOMAIN}")
    event.add("sequence", booking.sequence)
    event.add("dtstamp", booking.updated_at.astimezone(dt.UTC))
    event.add("created", booking.created_at.astimezone(dt.UTC))
    event.add("last-modified", booking.updated_at.astimezone(dt.UTC))
    event.add("dtstart", booking.start_date)
    event.add("dtend", booking.end_date + dt.timedelta(days=1))
    event.add("summary", event_summary(booking, for_engagement=for_engagement))
    event.add("description", event_description(booking))
    event.add("status", _status(booking))
    event.add("transp", "TRANSPARENT")
    return event


def render_calendar(
    *, name: str, bookings: Iterable[Booking], for_engagement: bool = False
) -> bytes:
    """A VCALENDAR (RFC 5545, CRLF line endings) with one VEVENT per booking."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("name", name)
    cal.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for booking in bookings:
        cal.add_component(booking_event(booking, for_engagement=for_engagement))
    ical: bytes = cal.to_ical()
    return ical


def feed_ics(feed: CalendarFeed) -> bytes:
    """The feed's calendar as served."""
    return render_calendar(
        name=feed_name(feed),
        bookings=feed_bookings(feed),
        for_engagement=feed.engagement_id is not None,
    )
