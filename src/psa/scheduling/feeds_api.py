"""Calendar feeds API: list the caller's feeds, create one (for a person or an engagement),
revoke one. The feed itself is served at /feeds/<token>.ics (psa.scheduling.feed_views)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema

from psa.core.api import actor
from psa.core.schemas import WRITE, Id, In, answers
from psa.engagements import selectors as engagements
from psa.people import selectors as people
from psa.scheduling import feeds, services
from psa.scheduling.models import CalendarFeed

router = Router(tags=["scheduling"])


class FeedIn(In):
    person_id: Id | None = Field(None, description="A person's schedule (yours, unless PC).")
    engagement_id: Id | None = Field(None, description="Everyone's bookings on an engagement.")


class FeedOut(Schema):
    id: int
    kind: str = Field(description="person or engagement")
    person_id: int | None
    engagement_id: int | None
    name: str = Field(description="The calendar's name (X-WR-CALNAME).")
    url: str | None = Field(description="Subscribe to this URL; null once revoked.")
    webcal_url: str | None = Field(description="The same URL as webcal://, for one-click apps.")
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def feed_out(request: HttpRequest, feed: CalendarFeed) -> dict[str, Any]:
    url = None
    if feed.revoked_at is None:
        url = request.build_absolute_uri(reverse("feed_ics", kwargs={"token": feed.token}))
    return {
        "id": feed.pk,
        "kind": "person" if feed.person_id is not None else "engagement",
        "person_id": feed.person_id,
        "engagement_id": feed.engagement_id,
        "name": feeds.feed_name(feed),
        "url": url,
        "webcal_url": feeds.webcal_url(url) if url else None,
        "created_at": feed.created_at,
        "revoked_at": feed.revoked_at,
    }


@router.get("/feeds", response=answers({200: list[FeedOut]}))
def list_feeds(request: HttpRequest, include_revoked: bool = False) -> Any:
    """Your feeds: those of your own schedule and those you created."""
    rows = feeds.feed_list(actor=actor(request), include_revoked=include_revoked)
    return [feed_out(request, f) for f in rows]


@router.post("/feeds", response=answers({201: FeedOut}, *WRITE, 404))
def create_feed(request: HttpRequest, payload: FeedIn) -> Any:
    """A new secret feed URL: give person_id or engagement_id (one of them)."""
    feed = services.feed_create(
        actor=actor(request),
        person=(
            people.person_get(person_id=payload.person_id)
            if payload.person_id is not None
            else None
        ),
        engagement=(
            engagements.engagement_get(engagement_id=payload.engagement_id)
            if payload.engagement_id is not None
            else None
        ),
    )
    return 201, feed_out(request, feeds.feed_get(feed_id=feed.pk))


@router.delete("/feeds/{feed_id}", response=answers({204: None}, *WRITE, 404))
def revoke_feed(request: HttpRequest, feed_id: int) -> Any:
    """Revoke a feed: its URL answers 404 from now on. Revoking twice is harmless."""
    services.feed_revoke(actor=actor(request), feed=feeds.feed_get(feed_id=feed_id))
    return 204, None
