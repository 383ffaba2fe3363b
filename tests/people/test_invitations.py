"""A new login's invitation: e-mailed with a one-time link to set its password; the link's
page sets it once; an expired, used, replaced or unknown link says why and changes nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from psa.core import clock
from psa.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from psa.core.roles import SYSTEM, Role
from psa.people import rules, services
from psa.people.models import Invitation, Person
from tests.helpers import unchanged
from tests.people.test_services import valid_input

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)
LINK = re.compile(r"http://127\.0\.0\.1:8000/invite/([A-Za-z0-9_-]+)/")


def invite_ada(capture: Any) -> tuple[Person, str]:
    """Ada added with a login and no password, the way the person form does it."""
    with clock.frozen(NOW), capture(execute=True):
        person = services.person_create(actor=SYSTEM, data=valid_input(), username="ada")
    found = LINK.search(str(mail.outbox[-1].body))
    assert found is not None
    return person, found.group(1)


def test_a_login_without_a_password_gets_an_invitation_e_mail_with_a_one_time_link(
    django_capture_on_commit_callbacks: Any,
) -> None:
    person, secret = invite_ada(django_capture_on_commit_callbacks)
    assert person.user is not None
    assert not person.user.has_usable_password()
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert mail.outbox[0].subject == "Your PSA login: set your password"
    assert mail.outbox[0].body == services.INVITATION_MAIL.format(
        name="Ada Lovelace",
        who="system",
        username="ada",
        expires=NOW + dt.timedelta(days=7),
        link=f"http://127.0.0.1:8000/invite/{secret}/",
    )
    invitation = Invitation.objects.get(user=person.user)
    # Only the digest is kept: the link cannot be rebuilt from the database.
    assert invitation.digest == rules.invitation_digest(secret)
    assert secret not in invitation.digest


def test_a_login_with_neither_password_nor_e_mail_is_refused_with_every_error() -> None:
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.person_create(
            actor=SYSTEM, data=valid_input(email="", country="XX"), username="ada"
        )
    assert exc.value.errors == [
        FieldError("email", services.ERR_INVITE_NEEDS_EMAIL),
        FieldError("country", rules.ERR_COUNTRY.format(value="XX")),
    ]


def test_the_link_sets_the_password_once(
    django_capture_on_commit_callbacks: Any, client: Client
) -> None:
    person, secret = invite_ada(django_capture_on_commit_callbacks)
    page = client.get(f"/invite/{secret}/")
    assert page.status_code == 200
    assert b"Choose the password for your login <strong>ada</strong>" in page.content
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        done = client.post(
            f"/invite/{secret}/",
            {"password": "a long new secret", "password_again": "a long new secret"},
        )
    assert done.status_code == 302
    assert done["Location"] == "/login/"
    user = User.objects.get(username="ada")
    assert user.check_password("a long new secret")
    assert Invitation.objects.get(user=user).used_at == NOW + dt.timedelta(hours=1)
    # Reused: a clear page, and nothing changes.
    with unchanged():
        again = client.post(
            f"/invite/{secret}/",
            {"password": "another one 123", "password_again": "another one 123"},
        )
    assert again.status_code == 410
    assert again.context["state"].problem == rules.ERR_INVITATION_USED
    assert User.objects.get(username="ada").check_password("a long new secret")
    assert (
        client.post("/login/", {"username": "ada", "password": "a long new secret"}).status_code
        == 302
    )


def test_every_password_problem_is_said_at_once_and_nothing_changes(
    django_capture_on_commit_callbacks: Any, client: Client
) -> None:
    _, secret = invite_ada(django_capture_on_commit_callbacks)
    with unchanged():
        response = client.post(f"/invite/{secret}/", {"password": "short", "password_again": "x"})
    assert response.status_code == 422
    form = response.context["form"]
    assert form.errors == {
        "password": ["This password is too short. It must contain at least 8 characters."],
        "password_again": [services.ERR_PASSWORDS_DIFFER],
    }
    with pytest.raises(ValidationFailed) as exc:
        services.invitation_accept(secret=secret, password="", password_again="")
    assert exc.value.errors == [FieldError("password", services.ERR_PASSWORD_NEEDED)]


def test_an_expired_link_says_when_it_expired_and_changes_nothing(
    django_capture_on_commit_callbacks: Any, client: Client
) -> None:
    _, secret = invite_ada(django_capture_on_commit_callbacks)
    later = NOW + dt.timedelta(days=7, seconds=1)
    with clock.frozen(later), unchanged():
        page = client.get(f"/invite/{secret}/")
        post = client.post(
            f"/invite/{secret}/",
            {"password": "a long new secret", "password_again": "a long new secret"},
        )
    expired = rules.ERR_INVITATION_EXPIRED.format(date=NOW + dt.timedelta(days=7))
    assert page.status_code == 410
    assert page.context["state"].problem == expired
    assert post.status_code == 410
    assert not User.objects.get(username="ada").has_usable_password()


def test_an_unknown_link_is_a_404_page() -> None:
    response = Client().get("/invite/not-a-real-one/")
    assert response.status_code == 404
    assert response.context["state"].problem == rules.ERR_INVITATION_UNKNOWN


def test_a_new_invitation_replaces_the_old_one(
    django_capture_on_commit_callbacks: Any,
    make_person: Callable[..., Person],
    client_for: Callable[[Person], Client],
) -> None:
    person, old = invite_ada(django_capture_on_commit_callbacks)
    head = make_person(Role.HEAD_OF_PS)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(head).post(f"/people/{person.pk}/invite/")
    assert response.status_code == 302
    found = LINK.search(str(mail.outbox[-1].body))
    assert found is not None
    assert found.group(1) != old
    page = Client().get(f"/invite/{old}/")
    assert page.status_code == 410
    assert page.context["state"].problem == rules.ERR_INVITATION_REPLACED
    assert Client().get(f"/invite/{found.group(1)}/").status_code == 200


def test_only_who_manages_the_person_may_invite_and_not_once_a_password_is_set(
    django_capture_on_commit_callbacks: Any, make_person: Callable[..., Person], actor_of: Any
) -> None:
    person, secret = invite_ada(django_capture_on_commit_callbacks)
    pse = make_person(Role.PSE)
    with unchanged(), pytest.raises(PermissionDenied):
        services.invitation_send(actor=actor_of(pse), person=person)
    services.invitation_accept(
        secret=secret, password="a long new secret", password_again="a long new secret"
    )
    with unchanged(), pytest.raises(Conflict) as exc:
        services.invitation_send(actor=SYSTEM, person=person)
    assert exc.value.message == services.ERR_HAS_PASSWORD.format(name="Ada Lovelace")


def test_the_person_page_shows_the_invitation_to_who_manages_them(
    django_capture_on_commit_callbacks: Any,
    make_person: Callable[..., Person],
    client_for: Callable[[Person], Client],
) -> None:
    person, _ = invite_ada(django_capture_on_commit_callbacks)
    head = make_person(Role.HEAD_OF_PS)
    page = client_for(head).get(f"/people/{person.pk}/")
    assert b"Send a new invitation" in page.content
    assert b"valid until 14 Dec 2026, 09:00 UTC" in page.content
    other = client_for(make_person(Role.PSE)).get(f"/people/{person.pk}/")
    assert b'id="invitation"' not in other.content
