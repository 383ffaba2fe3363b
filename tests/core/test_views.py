"""Core pages: sign-in, home, audit history, tokens, error pages, the layout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

import pytest
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.staticfiles import finders
from django.test import Client

from psa.core import clock, tokens, views
from psa.core.forms import ERR_DATE_RANGE, PageForm
from psa.core.models import ApiToken
from psa.core.roles import Role
from psa.engagements.models import Customer
from psa.people.models import Person
from tests.helpers import NOT_A_WHOLE_NUMBER, at_most, flash, unchanged

MakePerson = Callable[..., Person]
ClientFor = Callable[[Person], Client]


def test_sign_in_page_has_labelled_fields(db: None) -> None:
    response = Client().get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">' in html
    assert '<label for="id_password">' in html


def test_sign_in_with_the_form_goes_home(make_person: MakePerson) -> None:
    me = make_person(Role.PSE, name="Ivo")
    assert me.user is not None
    client = Client()

    response = client.post(
        "/login/",
        {"username": me.user.get_username(), "password": "correct-horse-battery"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == "/"
    assert "Hello, Ivo" in response.content.decode()


def test_a_wrong_password_is_an_alert(make_person: MakePerson) -> None:
    me = make_person()
    assert me.user is not None
    response = Client().post("/login/", {"username": me.user.get_username(), "password": "no"})
    assert response.status_code == 200
    message = str(AuthenticationForm.error_messages["invalid_login"]) % {"username": "username"}
    assert f'<div class="error" role="alert">{message}</div>' in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/audit/", "/tokens/"])
def test_anonymous_is_sent_to_sign_in(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_home_marks_the_current_page_and_links_the_person(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    me = make_person(Role.PSE, name="Ivo")
    html = client_for(me).get("/").content.decode()
    assert 'href="/" aria-current="page">Home</a>' in html
    assert f'href="/people/{me.pk}/">My page</a>' in html
    assert "Your roles: PSE (consultant, trainer)." in html


def test_nav_marks_section_pages(make_person: MakePerson, client_for: ClientFor) -> None:
    me = make_person(Role.PSE)
    html = client_for(me).get(f"/people/{me.pk}/").content.decode()
    assert 'href="/people/" aria-current="page">Team</a>' in html


def test_audit_page_filters_by_record(make_person: MakePerson, client_for: ClientFor) -> None:
    head = make_person(Role.HEAD_OF_PS)
    client = client_for(head)
    client.post("/customers/", {"customer-name": "Acme"})
    acme = Customer.objects.get()

    html = client.get(
        f"/audit/?target_type=engagements.customer&target_id={acme.pk}"
    ).content.decode()
    other = client.get("/audit/?target_type=people.person&target_id=999").content.decode()

    assert "customer.create" in html
    assert "customer.create" not in other
    assert "No changes recorded." in other


def test_audit_page_survives_odd_input(make_person: MakePerson, client_for: ClientFor) -> None:
    me = make_person(Role.CONTROLLER)
    response = client_for(me).get("/audit/?target_type=" + "x" * 500 + "&target_id=%00")
    assert response.status_code == 200


def test_tokens_page_creates_and_revokes(make_person: MakePerson, client_for: ClientFor) -> None:
    me = make_person()
    client = client_for(me)

    response = client.post("/tokens/", {"name": "laptop", "days": "30"})

    assert response.status_code == 200
    assert 'id="new-token">psa_' in response.content.decode()
    token = ApiToken.objects.get()
    assert client.post("/tokens/", {"revoke": str(token.pk)}).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x", "days": "abc"}, views.ERR_DAYS_TEXT),
        ({"name": "x", "days": "9999"}, tokens.ERR_TOKEN_DAYS),
        ({"name": ""}, tokens.ERR_TOKEN_NAME),
        ({"revoke": "99999999999999999999999"}, at_most(2**62)),
        ({"revoke": "abc"}, NOT_A_WHOLE_NUMBER),
    ],
)
def test_tokens_page_refuses_bad_input_without_crashing(
    make_person: MakePerson, data: dict[str, str], message: str, client_for: ClientFor
) -> None:
    client = client_for(make_person())
    with unchanged():
        response = client.post("/tokens/", data)
    assert response.status_code == 422
    assert flash(message) in response.content.decode()


def test_unknown_address_is_the_404_page(make_person: MakePerson, client_for: ClientFor) -> None:
    response = client_for(make_person()).get("/no/such/page/")
    assert response.status_code == 404
    assert "There is no page at this address." in response.content.decode()


def test_the_stylesheet_and_htmx_are_found(db: None) -> None:
    assert finders.find("psa/psa.css")
    assert finders.find("django_htmx/htmx-2.min.js")
    html = Client().get("/login/").content.decode()
    assert "/static/psa/psa.css" in html
    assert "htmx-2.min.js" in html
    assert '"code":"422","swap":true' in html  # htmx swaps form errors in


class _Controls(HTMLParser):
    """Collects form controls and the ids that labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "label" and a.get("for"):
            self.label_for.add(str(a["for"]))
        if tag in ("input", "select", "textarea") and a.get("type") not in (
            "hidden",
            "submit",
            "button",
        ):
            self.controls.append(a)


def test_every_control_on_every_page_has_a_label(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    from psa.core.roles import SYSTEM
    from psa.engagements.models import Engagement
    from psa.people import services as people_services
    from tests.engagements.test_views import custom_sow

    boss = make_person(Role.HEAD_OF_PS, Role.PROJECT_COORDINATOR)
    report = make_person(Role.PSE, manager=boss)
    engagement = custom_sow()
    people_services.time_off_create(
        actor=SYSTEM,
        person=report,
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2026, 12, 2),
    )
    client = client_for(boss)
    pages = [
        "/",
        "/people/",
        f"/people/{report.pk}/",
        "/people/new/",
        f"/people/{report.pk}/edit/",
        "/engagements/",
        f"/engagements/{engagement.pk}/",
        "/engagements/new/",
        f"/engagements/{engagement.pk}/edit/",
        "/customers/",
        f"/customers/{engagement.customer_id}/",
        "/audit/",
        "/tokens/",
        "/schedule/spreadsheet/",
        "/time/import/",
    ]
    assert Engagement.objects.count() == 1
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        parser = _Controls()
        parser.feed(response.content.decode())
        for control in parser.controls:
            assert control.get("id") in parser.label_for, (path, control)


@pytest.mark.parametrize(
    "url",
    [
        "/time/?week=9999-12-31",
        "/time/?week=0001-01-01",
        "/schedule/?start=9999-12-31",
        "/schedule/review/?start=9999-12-31",
    ],
)
def test_a_page_with_a_date_past_the_range_does_not_fail(
    make_person: Callable[..., Person], url: str, client_for: ClientFor
) -> None:
    # date arithmetic near year 1 or 9999 overflowed (500); the form now refuses such a date
    # and the page shows its default week
    person = make_person(Role.PSE)
    client = client_for(person)
    assert client.get(url).status_code == 200


def test_page_forms_refuse_dates_outside_the_api_range() -> None:
    class Example(PageForm):
        day = forms.DateField()

    form = Example(data={"day": "9999-12-31"})
    assert not form.is_valid()
    assert form.errors == {"day": [ERR_DATE_RANGE]}


def test_the_tokens_page_offers_and_applies_the_configured_expiry(
    make_person: MakePerson, settings: Any, client_for: ClientFor
) -> None:
    settings.PSA_TOKEN_DEFAULT_DAYS = 45
    client = client_for(make_person())
    form = client.get("/tokens/").content.decode()
    assert 'name="days" type="number" min="1" max="366" value="45"' in form
    with clock.frozen(dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)):
        assert client.post("/tokens/", {"name": "laptop", "days": ""}).status_code == 200
    assert ApiToken.objects.get().expires_at == dt.datetime(2027, 1, 9, 12, 0, tzinfo=dt.UTC)
