"""Background jobs shared by every domain."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task

from psa.core import notifications


@task()
def send_email(*, to: list[str], subject: str, body: str) -> int:
    """Send one plain-text e-mail over SMTP. Returns the number sent (0 or 1)."""
    recipients = [a for a in to if a]
    if not recipients:
        return 0
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


@task()
def notification_email(*, notification_id: int) -> int:
    """E-mail one notification, once: the row stays locked while the message goes out, so a
    second run of this task (a retry, a duplicate enqueue) waits, then finds it sent. A failed
    send rolls the claim back and the task fails, to be run again."""
    with transaction.atomic():
        note = notifications.email_claim(notification_id=notification_id)
        if note is None:
            return 0
        sent = send_mail(
            note.subject,
            notifications.email_body(note),
            settings.DEFAULT_FROM_EMAIL,
            [note.user.email],
        )
        notifications.email_sent(note=note)
    return sent
