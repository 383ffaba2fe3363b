"""In-app notifications, and the e-mail that goes with each: recorded in the transaction of the
change they report, e-mailed by the worker after it commits, each once.

Every notification links to the page that settles it; the e-mail carries the same link as an
address (PSA_BASE_URL). A notification may name the record it is about: the list shows it only
while its login may still read that record (the check is the record's domain's, composed in
`psa.home.selectors`)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from psa.core import clock
from psa.core.errors import NotFound
from psa.core.models import Notification

ERR_NO_NOTIFICATION = "there is no notification {id} of yours"


def notify(
    *,
    user: User,
    text: str,
    url: str = "",
    subject: str = "",
    record: tuple[str, int] | None = None,
    key: str = "",
) -> Notification | None:
    """Record an in-app notification for `user`; with a subject, the worker also e-mails it
    once the change commits. With a key, the same event is recorded once per login: a second
    report of it returns None and sends nothing."""
    kind, record_id = record if record is not None else ("", None)
    fields = {
        "text": text[:500],
        "url": url[:300],
        "subject": subject[:200],
        "record_kind": kind,
        "record_id": record_id,
        "created_at": clock.now(),
    }
    if key:
        try:
            with transaction.atomic():  # a savepoint: a duplicate leaves the caller's work intact
                note = Notification.objects.create(user=user, key=key[:200], **fields)
        except IntegrityError:
            return None
    else:
        note = Notification.objects.create(user=user, **fields)
    if subject and user.email:
        # Imported here: core.tasks sends through this module.
        from psa.core.tasks import notification_email

        note_id = note.pk
        transaction.on_commit(lambda: notification_email.enqueue(notification_id=note_id))
    return note


def absolute(url: str) -> str:
    """The page's address for an e-mail (a relative link means nothing in a mail reader)."""
    if not url or "://" in url:
        return url
    return settings.PSA_BASE_URL.rstrip("/") + url


def email_body(note: Notification) -> str:
    body = note.text
    if note.url:
        body += f"\n\nOpen it in PSA: {absolute(note.url)}"
    body += "\n\nAll your notifications: " + absolute("/notifications/")
    return body


def email_claim(*, notification_id: int) -> Notification | None:
    """Under the row's lock: the notification to e-mail now, or None when it was sent already
    (a retried task) or cannot be (no address, deleted). The caller sends, then marks it."""
    note = (
        Notification.objects.select_for_update()
        .select_related("user")
        .filter(pk=notification_id)
        .first()
    )
    if note is None or note.emailed_at is not None or not note.subject or not note.user.email:
        return None
    return note


def email_sent(*, note: Notification) -> None:
    note.emailed_at = clock.now()
    note.save(update_fields=["emailed_at"])


# ------------------------------------------------------------------ the login's own list


def of_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)


def unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the login's own notifications read (again: a no-op); anyone else's is
    missing."""
    note = Notification.objects.filter(user=user, pk=notification_id).first()
    if note is None:
        raise NotFound(ERR_NO_NOTIFICATION.format(id=notification_id), field="notification_id")
    if note.read_at is None:
        note.read_at = clock.now()
        note.save(update_fields=["read_at"])
    return note


def mark_all_read(*, user: User, ids: list[int] | None = None) -> int:
    """Mark the login's unread notifications read (only `ids` when given, e.g. the ones the
    page showed); returns how many changed."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=clock.now())
