"""Team pages: list, person page (capacity, time off), create and edit forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from psa.core import clock
from psa.core.models import AuditEntry
from psa.core.roles import SYSTEM, Role
from psa.people import rules, selectors, services
from psa.people.models import Person, PersonRole, TimeOff
from tests.helpers import (
    MARKED_FIELDS,
    NOT_A_DATE,
    NOT_A_LISTED_CHOICE,
    NOT_A_NUMBER,
    REQUIRED,
    field_error,
    form_error,
    inline_error,
    not_a_choice,
    refusal_page,
    unchanged,
)

MakePerson = Callable[..., Person]
ClientFor = Callable[[Person], Client]
# Monday 21 December 2026: the next six weeks hold Christmas and New Year's Day (US).
MONDAY = dt.datetime(2026, 12, 21, 9, 0, tzinfo=dt.UTC)


def person_data(**overrides: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Nora Quinn",
        "email": "nora.quinn@example.com",
        "title": "PSE",
        "manager_id": "",
        "country": "US",
        "subdivision": "CA",
        "timezone": "America/Los_Angeles",
        "weekly_hours": "",
        "working_days": ["1", "2", "3", "4", "5"],
        "cost_rate": "95.50",
        "cost_currency": "USD",
        "skills": "Migration, CI/CD",
        "roles": ["pse"],
        "start_date": "2026-01-05",
        "end_date": "",
        "username": "nora.quinn",
        "password": "a-long-initial-password",
    }
    data.update(overrides)
    return data


# ------------------------------------------------------------------ sign-in


@pytest.mark.parametrize("path", ["/people/", "/people/1/", "/people/new/", "/people/1/edit/"])
def test_anonymous_is_sent_to_sign_in(db: None, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


# ------------------------------------------------------------------ list


def test_list_shows_the_team_with_roles_country_hours_and_manager(
    make_person: MakePerson,
    client_for: ClientFor,
) -> None:
    boss = make_person(Role.DELIVERY_MANAGER, name="Marta Boss", country="FR")
    make_person(
        Role.PSE,
        name="Ivo Report",
        title="Consultant",
        manager=boss,
        weekly_hours=Decimal("24.00"),
        subdivision="CA",
    )

    response = client_for(boss).get("/people/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Ivo Report" in html
    assert "Consultant" in html
    assert "PSE (consultant, trainer)" in html
    assert "Delivery manager" in html
    assert "US-CA" in html
    assert "24.00" in html  # the person's own week
    assert "35.00" in html  # France's standard week for the manager
    assert f'href="/people/{boss.pk}/">Marta Boss</a>' in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("search=ivo", "Ivo", "Ann"),
        ("role=pse", "Ivo", "Ann"),
        ("country=fr", "Ann", "Ivo"),
        ("skill=kubernetes", "Ivo", "Ann"),
    ],
)
def test_list_filters(
    make_person: MakePerson, query: str, shown: str, hidden: str, client_for: ClientFor
) -> None:
    ivo = make_person(Role.PSE, name="Ivo")
    services.person_update(
        actor=SYSTEM,
        person=ivo,
        data=services.PersonInput(skills=["Kubernetes"]),
        fields_set={"skills"},
    )
    ann = make_person(Role.HEAD_OF_PS, name="Ann", country="FR")

    html = client_for(ann).get(f"/people/?{query}").content.decode()

    assert f">{shown}</a>" in html
    assert f">{hidden}</a>" not in html


def test_list_with_an_unknown_role_shows_the_error_not_a_crash(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    me = make_person(Role.PSE)
    response = client_for(me).get("/people/?role=wizard&page=abc")
    assert response.status_code == 200
    html = response.content.decode()
    assert inline_error("id_role", not_a_choice("wizard")) in html
    assert html.count('role="alert"') == 1


def test_list_pages_by_fifty(make_person: MakePerson, client_for: ClientFor) -> None:
    me = make_person(Role.PSE, name="Aaron First")
    for i in range(54):
        make_person(name=f"Zed {i:02d}")

    first = client_for(me).get("/people/").content.decode()
    second = client_for(me).get("/people/?page=2").content.decode()

    assert "Page 1 of 2" in first
    assert "55 in all" in first
    assert ">Aaron First</a>" in first
    assert ">Zed 53</a>" not in first
    assert ">Zed 53</a>" in second
    assert ">Aaron First</a>" not in second


# ------------------------------------------------------------------ person page


def test_person_page_shows_details_team_capacity_and_history_link(
    make_person: MakePerson,
    client_for: ClientFor,
) -> None:
    boss = make_person(Role.DELIVERY_MANAGER, name="Marta Boss")
    me = make_person(Role.PSE, name="Ivo Report", manager=boss, title="Consultant")
    report = make_person(Role.PSE, name="Junior", manager=me)
    TimeOff.objects.create(
        person=me, start_date=dt.date(2026, 12, 22), end_date=dt.date(2026, 12, 22), note="Dentist"
    )

    with clock.frozen(MONDAY):
        response = client_for(me).get(f"/people/{me.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Ivo Report" in html
    assert "Consultant" in html
    assert "PSE (consultant, trainer)" in html
    assert f'href="/people/{boss.pk}/">Marta Boss</a>' in html
    assert f'href="/people/{report.pk}/">Junior</a>' in html
    # Six weeks from this Monday: 42 days, with holidays and time off shown distinctly.
    assert html.count('<time datetime="') == 42
    assert "Holiday: Christmas Day" in html
    assert "Time off: 8.00 h" in html
    assert "Dentist" in html
    assert 'class="day holiday"' in html
    assert 'class="day pto"' in html
    assert 'aria-current="date"' in html
    assert "/audit/" not in html  # the log is for the roles that audit


def test_person_page_offers_edit_only_to_those_who_may(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    boss = make_person(Role.DELIVERY_MANAGER)
    me = make_person(Role.PSE, manager=boss)
    colleague = make_person(Role.PSE)
    edit = f'href="/people/{me.pk}/edit/"'

    assert edit in client_for(boss).get(f"/people/{me.pk}/").content.decode()
    assert edit not in client_for(colleague).get(f"/people/{me.pk}/").content.decode()
    assert edit not in client_for(me).get(f"/people/{me.pk}/").content.decode()


def test_unknown_person_is_a_404_page(make_person: MakePerson, client_for: ClientFor) -> None:
    response = client_for(make_person()).get("/people/987654/")
    assert response.status_code == 404
    assert refusal_page(selectors.ERR_NO_PERSON.format(id=987654)) in response.content.decode()


# ------------------------------------------------------------------ create


def test_head_of_ps_adds_a_person(make_person: MakePerson, client_for: ClientFor) -> None:
    head = make_person(Role.HEAD_OF_PS)
    client = client_for(head)
    assert client.get("/people/new/").status_code == 200

    response = client.post("/people/new/", person_data())

    person = Person.objects.get(email="nora.quinn@example.com")
    assert response.status_code == 302
    assert response["Location"] == f"/people/{person.pk}/"
    assert [(r.effective_from, r.rate, r.currency) for r in person.cost_rates.all()] == [
        (person.start_date, Decimal("95.50"), "USD")
    ]
    assert person.working_days == [1, 2, 3, 4, 5]
    assert sorted(s.name for s in person.skills.all()) == ["CI/CD", "Migration"]
    assert list(PersonRole.objects.filter(person=person).values_list("role", flat=True)) == ["pse"]
    assert person.user is not None
    assert person.user.get_username() == "nora.quinn"
    assert AuditEntry.objects.filter(action="person.create", target_id=str(person.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"country": "XX"}, "country", rules.ERR_COUNTRY.format(value="XX")),
        ({"cost_rate": "-5"}, "cost_rate", services.ERR_COST_RATE),
        ({"end_date": "2025-12-31"}, "end_date", services.ERR_END_BEFORE_START),
        ({"timezone": "Mars/Olympus"}, "timezone", rules.ERR_TIMEZONE.format(value="Mars/Olympus")),
        ({"weekly_hours": "81"}, "weekly_hours", rules.ERR_WEEKLY_HOURS),
        ({"cost_rate": "abc"}, "cost_rate", NOT_A_NUMBER),
        ({"start_date": "31/31/2026"}, "start_date", NOT_A_DATE),
        ({"manager_id": "99999999999999999999"}, "manager_id", NOT_A_LISTED_CHOICE),
    ],
)
def test_bad_input_re_renders_the_form_with_the_field_error_and_adds_no_one(
    make_person: MakePerson,
    overrides: dict[str, str],
    field: str,
    message: str,
    client_for: ClientFor,
) -> None:
    head = make_person(Role.HEAD_OF_PS)
    client = client_for(head)

    with unchanged():
        response = client.post("/people/new/", person_data(**overrides))

    assert response.status_code == 422
    html = response.content.decode()
    assert form_error(MARKED_FIELDS) in html
    assert field_error(f"id_{field}", message) in html
    assert 'aria-invalid="true"' in html
    assert 'value="Nora Quinn"' in html  # what was typed is kept


def test_taken_e_mail_is_a_field_error(make_person: MakePerson, client_for: ClientFor) -> None:
    head = make_person(Role.HEAD_OF_PS, email="taken@example.com")
    client = client_for(head)
    with unchanged():
        response = client.post("/people/new/", person_data(email="taken@example.com"))
    assert response.status_code == 422
    assert field_error("id_email", services.ERR_EMAIL_TAKEN) in response.content.decode()


@pytest.mark.parametrize("roles", [(Role.PSE,), (Role.DELIVERY_MANAGER,), ()])
def test_others_may_not_add_people(
    make_person: MakePerson, roles: tuple[str, ...], client_for: ClientFor
) -> None:
    me = make_person(*roles)
    client = client_for(me)

    form = client.get("/people/new/")
    with unchanged():
        response = client.post("/people/new/", person_data())

    for refused in (form, response):
        assert refused.status_code == 403
        assert refusal_page(services.ERR_MAY_NOT_ADD) in refused.content.decode()


# ------------------------------------------------------------------ edit


def _edit_data(person: Person, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": person.name,
        "email": person.email,
        "title": person.title,
        "manager_id": person.manager_id or "",
        "country": person.country,
        "subdivision": person.subdivision,
        "timezone": person.timezone,
        "weekly_hours": person.weekly_hours or "",
        "working_days": [str(d) for d in person.working_days],
        "skills": ", ".join(s.name for s in person.skills.all()),
        "roles": [r.role for r in person.role_rows.all()],
        "start_date": person.start_date.isoformat(),
        "end_date": person.end_date.isoformat() if person.end_date else "",
    }
    data.update(overrides)
    return data


def test_edit_changes_only_the_changed_fields(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    head = make_person(Role.HEAD_OF_PS)
    ivo = make_person(Role.PSE, title="Consultant")
    client = client_for(head)
    assert 'value="Consultant"' in client.get(f"/people/{ivo.pk}/edit/").content.decode()

    response = client.post(f"/people/{ivo.pk}/edit/", _edit_data(ivo, title="Sr. Consultant"))

    assert response.status_code == 302
    ivo.refresh_from_db()
    assert ivo.title == "Sr. Consultant"
    entry = AuditEntry.objects.get(action="person.update", target_id=str(ivo.pk))
    assert entry.before == {"title": "Consultant"}
    assert entry.after == {"title": "Sr. Consultant"}


def test_edit_without_changes_records_nothing(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    head = make_person(Role.HEAD_OF_PS)
    ivo = make_person(Role.PSE)
    entries = AuditEntry.objects.count()
    response = client_for(head).post(f"/people/{ivo.pk}/edit/", _edit_data(ivo))
    assert response.status_code == 302
    assert AuditEntry.objects.count() == entries


def test_a_delivery_manager_edits_a_report_but_not_their_roles(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    boss = make_person(Role.DELIVERY_MANAGER)
    ivo = make_person(Role.PSE, manager=boss)

    page = client_for(boss).get(f"/people/{ivo.pk}/edit/").content.decode()
    response = client_for(boss).post(
        f"/people/{ivo.pk}/edit/",
        _edit_data(ivo, title="Lead", roles=["head_of_ps"], cost_rate="1.00"),
    )

    assert 'name="roles" value="pse"' in page
    assert "disabled" in page
    assert response.status_code == 302
    ivo.refresh_from_db()
    assert ivo.title == "Lead"
    assert [r.rate for r in ivo.cost_rates.all()] == [Decimal("100.00")]
    assert [r.role for r in ivo.role_rows.all()] == ["pse"]


def test_edit_with_bad_input_changes_nothing(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    head = make_person(Role.HEAD_OF_PS)
    ivo = make_person(Role.PSE, title="Consultant")
    client = client_for(head)

    with unchanged():
        response = client.post(
            f"/people/{ivo.pk}/edit/", _edit_data(ivo, title="New", country="ZZ")
        )

    assert response.status_code == 422
    html = response.content.decode()
    assert field_error("id_country", rules.ERR_COUNTRY.format(value="ZZ")) in html


def test_own_manager_is_refused(make_person: MakePerson, client_for: ClientFor) -> None:
    head = make_person(Role.HEAD_OF_PS)
    ivo = make_person(Role.PSE)
    client = client_for(head)
    with unchanged():
        response = client.post(f"/people/{ivo.pk}/edit/", _edit_data(ivo, manager_id=str(ivo.pk)))
    assert response.status_code == 422
    assert field_error("id_manager_id", services.ERR_MANAGER_SELF) in response.content.decode()


def test_a_pse_may_not_edit(make_person: MakePerson, client_for: ClientFor) -> None:
    me = make_person(Role.PSE)
    other = make_person(Role.PSE, title="Consultant")
    client = client_for(me)

    forms = [client.get(f"/people/{other.pk}/edit/"), client.get(f"/people/{me.pk}/edit/")]
    with unchanged():
        response = client.post(f"/people/{other.pk}/edit/", _edit_data(other, title="Hacked"))

    for refused in (*forms, response):
        assert refused.status_code == 403
        assert refusal_page(services.ERR_MAY_NOT_MANAGE) in refused.content.decode()


# ------------------------------------------------------------------ time off


def test_a_person_adds_and_deletes_their_own_time_off(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    me = make_person(Role.PSE)
    client = client_for(me)

    response = client.post(
        f"/people/{me.pk}/time-off/",
        {
            "off-kind": "pto",
            "off-start_date": "2026-12-28",
            "off-end_date": "2026-12-30",
            "off-hours_per_day": "4",
            "off-note": "Family",
        },
    )

    assert response.status_code == 302
    row = TimeOff.objects.get(person=me)
    assert (row.start_date, row.end_date, row.hours_per_day) == (
        dt.date(2026, 12, 28),
        dt.date(2026, 12, 30),
        Decimal("4.00"),
    )
    with clock.frozen(MONDAY):
        html = client.get(f"/people/{me.pk}/").content.decode()
    assert "Family" in html
    assert "Time off: 4.00 h" in html

    response = client.post(f"/people/time-off/{row.pk}/delete/")

    assert response.status_code == 302
    assert not TimeOff.objects.filter(person=me).exists()


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"off-end_date": "2026-12-01"}, "end_date", services.ERR_END_BEFORE_START),
        ({"off-hours_per_day": "30"}, "hours_per_day", services.ERR_TIME_OFF_HOURS),
        ({"off-start_date": ""}, "start_date", REQUIRED),
    ],
)
def test_bad_time_off_is_shown_on_the_person_page(
    make_person: MakePerson, fields: dict[str, str], field: str, message: str, client_for: ClientFor
) -> None:
    me = make_person(Role.PSE)
    data = {"off-kind": "pto", "off-start_date": "2026-12-28", "off-end_date": "2026-12-30"}
    data.update(fields)
    client = client_for(me)

    with unchanged():
        response = client.post(f"/people/{me.pk}/time-off/", data)

    assert response.status_code == 422
    html = response.content.decode()
    assert form_error(MARKED_FIELDS, prefix="off") in html
    assert field_error(f"id_off-{field}", message) in html
    assert f"<h1>{me.name}" in html  # the person page, with the form's errors


def test_a_pse_may_not_change_someone_elses_time_off(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    me = make_person(Role.PSE)
    other = make_person(Role.PSE)
    row = TimeOff.objects.create(
        person=other, start_date=dt.date(2026, 12, 28), end_date=dt.date(2026, 12, 28)
    )
    client = client_for(me)

    assert "Add time off" not in client.get(f"/people/{other.pk}/").content.decode()
    with unchanged():
        added = client.post(
            f"/people/{other.pk}/time-off/",
            {"off-kind": "pto", "off-start_date": "2026-12-28", "off-end_date": "2026-12-30"},
        )
        deleted = client.post(f"/people/time-off/{row.pk}/delete/")

    for refused in (added, deleted):
        assert refused.status_code == 403
        assert refusal_page(services.ERR_TIME_OFF_NOT_YOURS) in refused.content.decode()


def test_time_off_pages_need_post(make_person: MakePerson, client_for: ClientFor) -> None:
    me = make_person(Role.PSE)
    assert client_for(me).get(f"/people/{me.pk}/time-off/").status_code == 405


def test_the_person_page_shows_the_cost_rate_only_to_those_who_may_see_pay(
    make_person: Callable[..., Person], client_for: ClientFor
) -> None:
    subject = make_person(Role.PSE, cost_rate="95.00")
    finance = make_person(Role.FINANCE_PARTNER)
    colleague = make_person(Role.PSE)
    seen = {}
    for who in (subject, finance, colleague):
        client = client_for(who)
        seen[who.pk] = "95.00" in client.get(f"/people/{subject.pk}/").content.decode()
    assert seen == {subject.pk: True, finance.pk: True, colleague.pk: False}


def test_country_and_time_zone_are_chosen_from_lists_with_no_silent_default(
    make_person: MakePerson, client_for: ClientFor
) -> None:
    client = client_for(make_person(Role.HEAD_OF_PS))
    html = client.get("/people/new/").content.decode()
    assert '<select name="country" maxlength="2" minlength="2" required' in html
    assert '<option value="FR">France (FR)</option>' in html
    assert '<option value="ABW"' not in html  # two-letter codes only, as the field takes
    assert '<select name="timezone" maxlength="64" required id="id_timezone">' in html
    assert '<option value="Europe/Paris">Europe/Paris</option>' in html
    assert '<option value="America/Los_Angeles">America/Los Angeles</option>' in html
    # nothing is chosen for you: the first option is the empty "Choose…"
    assert '<option value="" selected>Choose…</option>' in html

    with unchanged():
        response = client.post("/people/new/", person_data(timezone="", country=""))
    assert response.status_code == 422
    page = response.content.decode()
    assert field_error("id_timezone", "This field is required.") in page
    assert field_error("id_country", "This field is required.") in page
