"""API for one's own notifications: the list (what one may still read), marking them read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from psa.core import notifications
from psa.core.api import actor, signed_in_user
from psa.core.schemas import WRITE, Id, answers
from psa.home.selectors import notifications_for

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    text: str
    url: str = Field(description="The page that settles it (a path of PSA's)")
    created_at: dt.datetime
    read_at: dt.datetime | None
    record_kind: str = Field(description='The record it is about, e.g. "scheduling.request"')
    record_id: int | None


class NotificationsOut(Schema):
    items: list[NotificationOut]
    page: int
    has_next: bool


class NotificationFilters(Schema):
    unread: bool = Field(False, description="Only the unread ones")
    page: int = Field(1, ge=1, le=100_000)


class ReadIn(Schema):
    ids: list[Id] | None = Field(
        None,
        max_length=1000,
        description="The notifications to mark read (those a page showed); none: every unread one",
    )


class ReadOut(Schema):
    marked: int


@router.get("", response=answers({200: NotificationsOut}))
def list_notifications(request: HttpRequest, filters: Query[NotificationFilters]) -> Any:
    """Your notifications, newest first, 50 stored rows a page; those about a record you may
    no longer read are left out."""
    return notifications_for(
        actor=actor(request),
        user=signed_in_user(request),
        page=filters.page,
        unread_only=filters.unread,
    )


@router.post("/read", response=answers({200: ReadOut}, *WRITE))
def mark_read(request: HttpRequest, body: ReadIn) -> Any:
    count = notifications.mark_all_read(user=signed_in_user(request), ids=body.ids)
    return {"marked": count}


@router.post("/{notification_id}/read", response=answers({200: NotificationOut}, *WRITE, 404))
def mark_one_read(request: HttpRequest, notification_id: int) -> Any:
    return notifications.mark_read(user=signed_in_user(request), notification_id=notification_id)
