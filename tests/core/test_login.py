from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from psa.people.models import Person

pytestmark = pytest.mark.django_db


def test_sign_in_then_home(make_person: Callable[..., Person]) -> None:
    person = make_person(name="Grace")
    client = Client()
    assert person.user is not None
    response = client.post(
        "/login/",
        {"username": person.user.username, "password": "correct-horse-battery"},
        follow=True,
    )
    assert response.status_code == 200
    assert b"Hello, Grace" in response.content


def test_repeated_failed_sign_ins_lock_the_account(
    make_person: Callable[..., Person], settings: object
) -> None:
    person = make_person()
    assert person.user is not None
    client = Client()
    for _ in range(5):
        client.post("/login/", {"username": person.user.username, "password": "wrong"})
    locked = client.post(
        "/login/", {"username": person.user.username, "password": "correct-horse-battery"}
    )
    assert locked.status_code == 429
    assert b"Too many failed sign-ins" in locked.content
    # Another user from the same address is not locked out.
    other = make_person()
    assert other.user is not None
    ok = Client().post(
        "/login/", {"username": other.user.username, "password": "correct-horse-battery"}
    )
    assert ok.status_code == 302
