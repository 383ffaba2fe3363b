"""Engagement use cases that span domains: each calls the domains' services in one transaction.

A flow sits at the edge with the routes and pages: it may import any domain (here scheduling,
above engagements), and only the edge imports it (docs/architecture.md)."""

from __future__ import annotations

from django.db import transaction

from psa.core.roles import Actor
from psa.engagements import services
from psa.engagements.models import Engagement
from psa.scheduling import services as scheduling
from psa.scheduling.services import TentativeOutcome


def engagement_status_change(
    *, actor: Actor, engagement: Engagement, status: str, reason: str = ""
) -> list[TentativeOutcome]:
    """Change an engagement's status and keep the schedule in step, in one transaction (a
    refusal of either part changes neither): booked → its tentative bookings turn confirmed,
    each after a fresh check, and those that no longer fit are returned unconfirmed;
    cancelled → its bookings are cancelled and the time is freed."""
    with transaction.atomic():
        engagement = services.engagement_set_status(
            actor=actor, engagement=engagement, status=status, reason=reason
        )
        return scheduling.bookings_follow_engagement(actor=actor, engagement=engagement)
