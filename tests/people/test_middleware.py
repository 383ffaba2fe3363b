"""request.actor: set by people's ActorMiddleware, read by core.api.actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.http import HttpRequest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from ninja.errors import AuthenticationError

from psa.core import api, tokens
from psa.core.roles import SYSTEM, Actor, Role
from psa.people.middleware import ANONYMOUS
from psa.people.models import Person


def actor_on(request: HttpRequest) -> Any:
    """The `actor` the middleware set on the request: an attribute of the instance, which
    HttpRequest's type does not declare."""
    return vars(request)["actor"]


def test_a_signed_in_page_request_carries_the_users_actor(
    make_person: Callable[..., Person], client: Client
) -> None:
    marcus = make_person(Role.DELIVERY_MANAGER, Role.PSE, name="Marcus")
    assert marcus.user is not None
    client.force_login(marcus.user)
    response = client.get("/")
    assert response.status_code == 200
    assert actor_on(response.wsgi_request) == Actor(
        user_id=marcus.user.pk,
        username=marcus.user.username,
        person_id=marcus.pk,
        roles=frozenset({"delivery_manager", "pse"}),
        is_admin=False,
    )


def test_an_anonymous_request_has_the_anonymous_actor(db: None, client: Client) -> None:
    response = client.get("/login/")
    assert response.status_code == 200
    assert actor_on(response.wsgi_request) == ANONYMOUS
    assert (ANONYMOUS.user_id, ANONYMOUS.roles, ANONYMOUS.is_admin) == (None, frozenset(), False)


def test_the_api_acts_as_the_tokens_user_even_beside_another_session(
    make_person: Callable[..., Person], client: Client
) -> None:
    # Given a browser signed in as Priya that sends Alex's token
    priya = make_person(Role.PROJECT_COORDINATOR, name="Priya")
    assert priya.user is not None
    alex = make_person(Role.PSE, name="Alex")
    assert alex.user is not None
    mine = tokens.token_create(actor=SYSTEM, user=alex.user, name="alex's script")
    tokens.token_create(actor=SYSTEM, user=priya.user, name="priya's script")
    client.force_login(priya.user)
    # When it lists tokens, then the actor is the token's user (the lazy actor is first read
    # after the API's auth has set request.user)
    response = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {mine.secret}"})
    assert response.status_code == 200
    assert [t["name"] for t in response.json()] == ["alex's script"]
    assert actor_on(response.wsgi_request).user_id == alex.user.pk


def test_the_actor_is_computed_once_per_request(
    make_person: Callable[..., Person], client: Client
) -> None:
    dana = make_person(Role.HEAD_OF_PS, name="Dana")
    assert dana.user is not None
    client.force_login(dana.user)
    client.get("/")  # warm: sessions, content types
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/audit/")
    assert response.status_code == 200
    person_reads = [q["sql"] for q in queries.captured_queries if "people_personrole" in q["sql"]]
    assert len(person_reads) == 1  # the context processor and the page share one actor


def test_core_says_what_is_missing_without_the_middleware(make_person: Any) -> None:
    priya = make_person(Role.PROJECT_COORDINATOR, name="Priya")
    request = HttpRequest()
    request.user = priya.user
    with pytest.raises(ImproperlyConfigured) as missing:
        api.actor(request)
    assert str(missing.value) == api.ERR_NO_ACTOR


def test_core_refuses_an_anonymous_request_before_reading_the_actor(db: None) -> None:
    request = HttpRequest()
    request.user = AnonymousUser()
    vars(request)["actor"] = ANONYMOUS  # as the middleware sets it
    with pytest.raises(AuthenticationError):
        api.actor(request)
