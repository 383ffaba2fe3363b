"""The actor on every request: `request.actor`, the Actor services see for the signed-in user.

People installs it (settings.MIDDLEWARE, after Django's AuthenticationMiddleware) because the
actor's roles come from the user's Person; core reads `request.actor` and so needs no import of
people (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from psa.core.roles import Actor
from psa.people.selectors import actor_for

# Nobody signed in: no login, no person, no role. Services refuse it like any role-less actor.
ANONYMOUS = Actor(user_id=None, username="")


class ActorMiddleware:
    """Sets `request.actor`, computed on first read. Lazy, so a request that never asks costs
    no query, and an API request authenticated by token (the API's auth sets `request.user`
    after every middleware has run) gets the token's user: routes first read it after auth."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.actor = SimpleLazyObject(lambda: _actor_of(request))  # type: ignore[attr-defined]
        return self.get_response(request)


def _actor_of(request: HttpRequest) -> Actor:
    user = request.user
    if not user.is_authenticated:
        return ANONYMOUS
    return actor_for(user)
