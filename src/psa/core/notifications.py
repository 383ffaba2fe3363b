"""In-app notifications (and the e-mail that goes with them)."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from psa.core import clock
from psa.core.models import Notification
from psa.core.tasks import send_email


def notify(*, user: User, text: str, url: str = "", subject: str = "") -> Notification:
    """Record an in-app notification; with a subject, also e-mail it (after commit)."""
    note = Notification.objects.create(user=user, text=text[:500], url=url, created_at=clock.now())
    if subject and user.email:
        email = user.email
        transaction.on_commit(lambda: send_email.enqueue(to=[email], subject=subject, body=text))
    return note


def unread_for(*, user: User, limit: int = 20) -> list[Notification]:
    return list(Notification.objects.filter(user=user, read_at__isnull=True)[:limit])
