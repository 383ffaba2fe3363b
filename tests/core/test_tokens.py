from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from psa.core import clock, tokens
from psa.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from psa.core.models import ApiToken
from psa.core.roles import SYSTEM, Actor, Role
from psa.people.models import Person
from tests.helpers import unchanged

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def test_token_is_stored_only_as_a_digest_and_authenticates(
    make_person: Callable[..., Person],
) -> None:
    person = make_person(Role.PSE)
    assert person.user is not None
    issued = tokens.token_create(actor=SYSTEM, user=person.user, name="script")
    stored = ApiToken.objects.get()
    assert issued.secret.startswith(f"psa_{stored.prefix}_")
    assert issued.secret not in (stored.digest, stored.prefix, stored.name)
    assert tokens.token_authenticate(issued.secret) == person.user
    assert tokens.token_authenticate(issued.secret + "x") is None
    assert tokens.token_authenticate("psa_nope_nope") is None
    assert tokens.token_authenticate("garbage") is None


def test_expired_and_revoked_tokens_stop_working(make_person: Callable[..., Person]) -> None:
    person = make_person()
    assert person.user is not None
    with clock.frozen(NOW):
        issued = tokens.token_create(actor=SYSTEM, user=person.user, name="t", days=1)
        assert tokens.token_authenticate(issued.secret) == person.user
    with clock.frozen(NOW + dt.timedelta(days=1, seconds=1)):
        assert tokens.token_authenticate(issued.secret) is None
    other = tokens.token_create(actor=SYSTEM, user=person.user, name="u")
    tokens.token_revoke(actor=SYSTEM, token_id=other.token.pk)
    assert tokens.token_authenticate(other.secret) is None


def test_token_for_an_inactive_user_is_refused(make_person: Callable[..., Person]) -> None:
    person = make_person()
    assert person.user is not None
    issued = tokens.token_create(actor=SYSTEM, user=person.user, name="t")
    person.user.is_active = False
    person.user.save()
    assert tokens.token_authenticate(issued.secret) is None


@pytest.mark.parametrize(
    ("days", "name", "field", "message"),
    [
        (0, "x", "days", tokens.ERR_TOKEN_DAYS),
        (367, "x", "days", tokens.ERR_TOKEN_DAYS),
        (30, "", "name", tokens.ERR_TOKEN_NAME),
        (30, "x" * 101, "name", tokens.ERR_TOKEN_NAME),
    ],
)
def test_bad_token_requests_are_refused(
    make_person: Callable[..., Person], days: int, name: str, field: str, message: str
) -> None:
    person = make_person()
    assert person.user is not None
    with unchanged(), pytest.raises(ValidationFailed) as refused:
        tokens.token_create(actor=SYSTEM, user=person.user, name=name, days=days)
    assert refused.value.errors == [FieldError(field, message)]


def test_nobody_revokes_or_mints_someone_elses_token(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    owner, other = make_person(), make_person()
    assert owner.user is not None
    issued = tokens.token_create(actor=SYSTEM, user=owner.user, name="mine")
    with unchanged(), pytest.raises(NotFound) as theirs:
        tokens.token_revoke(actor=actor_of(other), token_id=issued.token.pk)
    assert theirs.value.message == tokens.ERR_NO_TOKEN.format(id=issued.token.pk)
    with unchanged(), pytest.raises(PermissionDenied) as minted:
        tokens.token_create(actor=actor_of(other), user=owner.user, name="theirs")
    assert minted.value.errors == [FieldError("user", tokens.ERR_NOT_YOURS)]
    assert tokens.token_authenticate(issued.secret) == owner.user
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is None


def test_revoking_someone_elses_token_answers_as_a_missing_one(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    """Token ids cannot be probed: "not yours" and "none" give the same answer."""
    owner, other = make_person(), make_person()
    assert owner.user is not None
    issued = tokens.token_create(actor=SYSTEM, user=owner.user, name="mine")
    missing_id = issued.token.pk + 1000
    client = api_as(other)
    theirs = client.delete(f"/api/v1/tokens/{issued.token.pk}")
    missing = client.delete(f"/api/v1/tokens/{missing_id}")
    assert (theirs.status_code, missing.status_code) == (404, 404)
    assert theirs.json()["errors"] == [
        {"field": "token_id", "message": tokens.ERR_NO_TOKEN.format(id=issued.token.pk)}
    ]
    assert missing.json()["errors"] == [
        {"field": "token_id", "message": tokens.ERR_NO_TOKEN.format(id=missing_id)}
    ]
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is None


def test_api_tokens_endpoint_creates_lists_and_revokes(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    person = make_person()
    client = api_as(person)
    created = client.post(
        "/api/v1/tokens", {"name": "ci", "days": 7}, content_type="application/json"
    )
    assert created.status_code == 201
    secret = created.json()["token"]
    listed = client.get("/api/v1/tokens").json()
    assert "token" not in listed[0]
    assert {t["name"] for t in listed} == {"test", "ci"}
    bearer = Client(headers={"Authorization": f"Bearer {secret}"})
    assert bearer.get("/api/v1/people").status_code == 200
    assert client.delete(f"/api/v1/tokens/{created.json()['id']}").status_code == 204
    refused = bearer.get("/api/v1/people")
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"


# ------------------------------------------------------------------ the verified-token cache


class Monotonic:
    """A stand-in for time.monotonic that the test moves on."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_verified_token_needs_no_query_until_the_cache_lapses(
    make_person: Callable[..., Person],
    monkeypatch: pytest.MonkeyPatch,
    django_assert_num_queries: Callable[..., Any],
    settings: Any,
) -> None:
    settings.PSA_TOKEN_CACHE_SECONDS = 10
    monotonic = Monotonic()
    monkeypatch.setattr(time, "monotonic", monotonic)  # what the tokens' cache reads
    person = make_person()
    assert person.user is not None
    issued = tokens.token_create(actor=SYSTEM, user=person.user, name="script")
    assert tokens.token_authenticate(issued.secret) == person.user
    with django_assert_num_queries(0):
        assert tokens.token_authenticate(issued.secret) == person.user

    # revoked by another process (straight in the database): trusted until the cache lapses
    ApiToken.objects.update(revoked_at=clock.now())
    monotonic.now += 9.9
    assert tokens.token_authenticate(issued.secret) == person.user
    monotonic.now += 0.2
    assert tokens.token_authenticate(issued.secret) is None
    assert tokens.token_authenticate(issued.secret) is None  # and it stays refused


def test_revoking_here_and_expiry_take_effect_at_once_despite_the_cache(
    make_person: Callable[..., Person], settings: Any
) -> None:
    settings.PSA_TOKEN_CACHE_SECONDS = 3600
    person = make_person()
    assert person.user is not None
    with clock.frozen(NOW):
        issued = tokens.token_create(actor=SYSTEM, user=person.user, name="t", days=1)
        assert tokens.token_authenticate(issued.secret) == person.user
    with clock.frozen(NOW + dt.timedelta(days=1, seconds=1)):
        assert tokens.token_authenticate(issued.secret) is None  # expired while cached
    other = tokens.token_create(actor=SYSTEM, user=person.user, name="u")
    assert tokens.token_authenticate(other.secret) == person.user
    tokens.token_revoke(actor=SYSTEM, token_id=other.token.pk)
    assert tokens.token_authenticate(other.secret) is None


def test_no_cache_when_it_is_turned_off(make_person: Callable[..., Person], settings: Any) -> None:
    settings.PSA_TOKEN_CACHE_SECONDS = 0
    person = make_person()
    assert person.user is not None
    issued = tokens.token_create(actor=SYSTEM, user=person.user, name="t")
    assert tokens.token_authenticate(issued.secret) == person.user
    ApiToken.objects.update(revoked_at=clock.now())
    assert tokens.token_authenticate(issued.secret) is None


def test_a_token_without_an_expiry_lives_the_configured_default(
    make_person: Callable[..., Person], settings: Any
) -> None:
    settings.PSA_TOKEN_DEFAULT_DAYS = 30
    person = make_person()
    assert person.user is not None
    with clock.frozen(NOW):
        issued = tokens.token_create(actor=SYSTEM, user=person.user, name="script")
    assert tokens.default_token_days() == 30
    assert issued.token.expires_at == NOW + dt.timedelta(days=30)
