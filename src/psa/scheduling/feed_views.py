"""The public iCalendar feed: GET /feeds/<token>.ics, no sign-in (the token is the key).

Unknown and revoked tokens get the same plain 404, so the response says nothing about whether a
token ever existed. The body is the same bytes until the schedule changes, so an ETag lets
clients poll cheaply (304 Not Modified).

The route lives here (`urlpatterns`, included under /feeds/ by psa.urls) so the URL and the view
stay together: reverse("feed_ics", kwargs={"token": ...})."""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.urls import path
from django.utils.cache import get_conditional_response
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from psa.core.errors import NotFound
from psa.scheduling import feeds

CALENDAR_CONTENT_TYPE = "text/calendar; charset=utf-8"
NOT_FOUND_BODY = "calendar feed not found\n"


@require_safe
def feed_ics(request: HttpRequest, token: str) -> HttpResponse:
    try:
        feed = feeds.feed_by_token(token=token)
    except NotFound:
        return HttpResponseNotFound(NOT_FOUND_BODY, content_type="text/plain; charset=utf-8")
    body = feeds.feed_ics(feed)
    response = HttpResponse(body, content_type=CALENDAR_CONTENT_TYPE)
    filename = slugify(feeds.feed_name(feed)) or "schedule"
    response["Content-Disposition"] = f'inline; filename="{filename}.ics"'
    response["ETag"] = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    # The URL is a secret: shared caches must not keep it, and it must not travel as a referrer.
    response["Cache-Control"] = "private, no-cache"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return get_conditional_response(request, etag=response["ETag"], response=response) or response


urlpatterns = [path("<str:token>.ics", feed_ics, name="feed_ics")]
