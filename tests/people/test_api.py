"""People API: every bad input gets problem+json naming the field, and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from psa.core import api
from psa.core.models import AuditEntry
from psa.core.roles import Role
from psa.people import rules, selectors, services
from psa.people.models import Person, TimeOff
from psa.people.schemas import EMAIL_PATTERN
from tests.helpers import (
    assert_invalid,
    assert_problem,
    assert_refused,
    pydantic_error,
    unchanged,
)

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def head(make_person: Callable[..., Person]) -> Person:
    return make_person(Role.HEAD_OF_PS)


def new_person(**kw: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Ada",
        "email": "ada@example.com",
        "country": "FR",
        "timezone": "Europe/Paris",
        "start_date": "2026-01-05",
        "roles": ["pse"],
        "skills": ["Kubernetes"],
        "cost_rate": "80.00",
        "cost_currency": "EUR",
    }
    body.update(kw)
    return body


def test_create_and_read_a_person(head: Person, api_as: Callable[[Person], Client]) -> None:
    client = api_as(head)
    response = client.post(
        "/api/v1/people", new_person(username="ada", password="pw-long-123"), content_type=JSON
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["weekly_hours"] == "35.00"  # France's standard week
    assert body["weekly_hours_override"] is None
    assert body["roles"] == ["pse"]
    assert body["username"] == "ada"
    fetched = client.get(f"/api/v1/people/{body['id']}").json()
    assert fetched == body


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"country": "XX"}, "country", rules.ERR_COUNTRY.format(value="XX")),
        (
            {"timezone": "Europe/Atlantis"},
            "timezone",
            rules.ERR_TIMEZONE.format(value="Europe/Atlantis"),
        ),
        ({"weekly_hours": "81"}, "weekly_hours", rules.ERR_WEEKLY_HOURS),
        ({"weekly_hours": "-1"}, "weekly_hours", rules.ERR_WEEKLY_HOURS),
        ({"cost_rate": "-10"}, "cost_rate", services.ERR_COST_RATE),
        ({"cost_rate": "ten"}, "cost_rate", pydantic_error("decimal_parsing")),
        ({"cost_rate": "NaN"}, "cost_rate", pydantic_error("finite_number")),
        ({"manager_id": 424242}, "manager_id", services.ERR_MANAGER.format(value=424242)),
        ({"roles": ["overlord"]}, "roles", services.ERR_ROLE.format(value="overlord")),
        (
            {"email": "not-an-email"},
            "email",
            pydantic_error("string_pattern_mismatch", pattern=EMAIL_PATTERN),
        ),
        (
            {"start_date": "2026-13-01"},
            "start_date",
            pydantic_error(
                "date_from_datetime_parsing", error="month value is outside expected range of 1-12"
            ),
        ),
        ({"working_days": [0]}, "working_days", rules.ERR_WORKING_DAYS),
    ],
)
def test_bad_person_fields_get_422_problem_json_and_nothing_changes(
    head: Person,
    api_as: Callable[[Person], Client],
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    client = api_as(head)
    with unchanged():
        response = client.post("/api/v1/people", new_person(**change), content_type=JSON)
    assert_invalid(response, (field, message))


def test_duplicate_email_gets_422(head: Person, api_as: Callable[[Person], Client]) -> None:
    client = api_as(head)
    assert client.post("/api/v1/people", new_person(), content_type=JSON).status_code == 201
    with unchanged():
        response = client.post("/api/v1/people", new_person(name="Ada 2"), content_type=JSON)
    assert_invalid(response, ("email", services.ERR_EMAIL_TAKEN))


def test_a_pse_gets_403_and_nothing_changes(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    pse = make_person(Role.PSE)
    other = make_person(Role.PSE, title="PSE")
    client = api_as(pse)
    with unchanged():
        response = client.post("/api/v1/people", new_person(), content_type=JSON)
        patch = client.patch(f"/api/v1/people/{other.pk}", {"title": "Boss"}, content_type=JSON)
    assert_problem(response, 403, services.ERR_MAY_NOT_ADD)
    assert_problem(patch, 403, services.ERR_MAY_NOT_MANAGE)


def test_patch_changes_only_the_given_fields(
    head: Person, make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    person = make_person(Role.PSE, title="PSE", country="US")
    response = api_as(head).patch(
        f"/api/v1/people/{person.pk}", {"weekly_hours": "32", "skills": ["Go"]}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["weekly_hours"], body["skills"], body["title"]) == ("32.00", ["Go"], "PSE")


def test_patch_refuses_null_for_required_fields(
    head: Person, make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    person = make_person()
    client = api_as(head)
    with unchanged():
        response = client.patch(f"/api/v1/people/{person.pk}", {"name": None}, content_type=JSON)
    assert_invalid(response, ("name", pydantic_error("string_type")))


def test_unknown_person_is_404(head: Person, api_as: Callable[[Person], Client]) -> None:
    response = api_as(head).get("/api/v1/people/987654")
    assert_refused(response, 404, "person_id", selectors.ERR_NO_PERSON.format(id=987654))


def test_list_is_paginated_and_filtered(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    viewer = make_person(Role.PSE, name="Zed", country="DE")
    for i in range(7):
        make_person(Role.PSE, name=f"P{i}", country="FR")
    client = api_as(viewer)
    page = client.get("/api/v1/people", {"country": "FR", "page_size": "3", "page": "3"}).json()
    assert (page["count"], page["pages"], page["page"]) == (7, 3, 3)
    assert [p["name"] for p in page["items"]] == ["P6"]
    bad = client.get("/api/v1/people", {"page": 0})
    assert_invalid(bad, ("page", pydantic_error("greater_than_equal", ge=1)))


def test_capacity_endpoint(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    person = make_person(country="US")
    client = api_as(person)
    body = client.get(
        f"/api/v1/people/{person.pk}/capacity", {"start": "2026-11-23", "end": "2026-11-29"}
    ).json()
    assert body["total"] == "32.00"
    assert body["days"][3]["holiday"] == "Thanksgiving Day"
    backwards = client.get(
        f"/api/v1/people/{person.pk}/capacity", {"start": "2026-11-29", "end": "2026-11-23"}
    )
    assert_refused(backwards, 422, "end", selectors.ERR_CAPACITY_END)


def test_time_off_own_and_refusals(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    pse, other = make_person(Role.PSE), make_person(Role.PSE)
    client = api_as(pse)
    ok = client.post(
        f"/api/v1/people/{pse.pk}/time-off",
        {"start_date": "2026-12-21", "end_date": "2026-12-24"},
        content_type=JSON,
    )
    assert ok.status_code == 201
    with unchanged():
        refused = client.post(
            f"/api/v1/people/{other.pk}/time-off",
            {"start_date": "2026-12-21", "end_date": "2026-12-24"},
            content_type=JSON,
        )
        bad = client.post(
            f"/api/v1/people/{pse.pk}/time-off",
            {"start_date": "2026-12-21", "end_date": "2026-12-20"},
            content_type=JSON,
        )
    assert_refused(refused, 403, "person_id", services.ERR_TIME_OFF_NOT_YOURS)
    assert_invalid(bad, ("end_date", services.ERR_END_BEFORE_START))
    assert TimeOff.objects.count() == 1
    assert client.delete(f"/api/v1/people/time-off/{ok.json()['id']}").status_code == 204
    assert TimeOff.objects.count() == 0


def test_no_credentials_is_401_problem_json(db: None) -> None:
    response = Client().get("/api/v1/people")
    assert_problem(response, 401, api.ERR_UNAUTHORIZED, ("Authorization", api.ERR_TOKEN))


def test_openapi_schema_lists_the_domains(db: None) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/people",
        "/api/v1/engagements",
        "/api/v1/customers",
        "/api/v1/tokens",
        "/api/v1/audit",
        "/api/v1/people/{person_id}/capacity",
    ):
        assert path in paths


def test_cost_rates_are_shown_only_to_finance_managers_and_the_person(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    subject = make_person(Role.PSE, cost_rate="95.00")
    colleague = make_person(Role.PSE)
    finance = make_person(Role.FINANCE_PARTNER)
    url = f"/api/v1/people/{subject.pk}"
    assert api_as(colleague).get(url).json()["cost_rate"] is None
    assert api_as(finance).get(url).json()["cost_rate"] == "95.00"
    assert api_as(subject).get(url).json()["cost_rate"] == "95.00"


def test_people_list_query_count_does_not_grow_with_the_page(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    viewer = make_person(Role.HEAD_OF_PS)
    client = api_as(viewer)
    client.get("/api/v1/people")  # the token's first use records last_used_at
    counts = []
    for extra in (2, 12):
        for _ in range(extra):
            make_person(Role.PSE, manager=viewer)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/people", {"page_size": 100}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# ------------------------------------------------------------------ the cached people list


def names(client: Client, **query: Any) -> list[str]:
    return [p["name"] for p in client.get("/api/v1/people", query).json()["items"]]


def test_a_repeated_people_page_is_served_from_memory(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    viewer = make_person(Role.HEAD_OF_PS, name="Avery Head")
    client = api_as(viewer)
    first = client.get("/api/v1/people", {"page_size": 10})
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/api/v1/people", {"page_size": 10})
    assert again.content == first.content
    assert again["Content-Type"] == "application/json"
    # who asks (their person with their roles, in one query: they decide the cost rates
    # shown) and the people generation; no count, no page
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == 2, sql
    assert not [q for q in sql if "COUNT(" in q.upper()]
    assert first.json()["items"][0]["roles"] == ["head_of_ps"]


def test_every_change_to_people_shows_in_the_next_list(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client], head: Person
) -> None:
    pse = make_person(Role.PSE, name="Blair Pse", manager=head)
    client = api_as(head)
    assert names(client) == ["Blair Pse", head.name]

    # a change through the API
    client.patch(f"/api/v1/people/{pse.pk}", {"name": "Blair Renamed"}, content_type=JSON)
    assert names(client) == ["Blair Renamed", head.name]
    # roles (written in bulk) and skills (a many-to-many)
    changed = client.patch(
        f"/api/v1/people/{pse.pk}",
        {"roles": [Role.PSE, Role.PROJECT_COORDINATOR], "skills": ["Go"]},
        content_type=JSON,
    )
    assert changed.status_code == 200, changed.content
    row = client.get("/api/v1/people").json()["items"][0]
    assert (row["roles"], row["skills"]) == (sorted([Role.PSE, Role.PROJECT_COORDINATOR]), ["Go"])
    # a login renamed outside the services (the admin does this)
    assert pse.user is not None
    pse.user.username = "blair.new"
    pse.user.save()
    assert client.get("/api/v1/people").json()["items"][0]["username"] == "blair.new"
    # a new person
    make_person(Role.PSE, name="Aaron New")
    assert names(client) == ["Aaron New", "Blair Renamed", head.name]


def test_the_cached_list_keeps_each_viewers_cost_rates(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    from decimal import Decimal

    subject = make_person(Role.PSE, name="Casey Subject", cost_rate=Decimal("95"))
    finance = api_as(make_person(Role.FINANCE_PARTNER))
    colleague = api_as(make_person(Role.PSE))

    def rate(client: Client) -> Any:
        items = client.get("/api/v1/people", {"search": "Casey"}).json()["items"]
        return items[0]["cost_rate"]

    assert (rate(finance), rate(colleague), rate(finance), rate(colleague)) == (
        "95.00",
        None,
        "95.00",
        None,
    )
    assert rate(api_as(subject)) == "95.00"


# ------------------------------------------------------------------ country and subdivision


def test_a_country_change_clears_a_subdivision_the_new_country_does_not_have(
    head: Person, make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    texan = make_person(Role.PSE, country="US", subdivision="TX", start_date=dt.date(2025, 1, 6))
    client = api_as(head)
    response = client.patch(f"/api/v1/people/{texan.pk}", {"country": "DE"}, content_type=JSON)
    assert response.status_code == 200, response.content
    assert (response.json()["country"], response.json()["subdivision"]) == ("DE", "")
    entry = AuditEntry.objects.filter(action="person.update").latest("id")
    assert entry.before is not None
    assert entry.after is not None
    assert (entry.before["subdivision"], entry.after["subdivision"]) == ("TX", "")
    # 3 October 2025, a Friday: German Unity Day, not a Texan working day any more.
    capacity = client.get(f"/api/v1/people/{texan.pk}/capacity?start=2025-10-01&end=2025-10-05")
    assert capacity.status_code == 200
    assert capacity.json()["days"][2]["holiday"] == "German Unity Day"


def test_a_country_change_keeps_a_subdivision_the_new_country_has_too(
    head: Person, make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    # "CA" is California in the US and none in Canada; "NY" exists in the US only. A change
    # US → US (upper-cased) keeps it.
    person = make_person(Role.PSE, country="US", subdivision="NY")
    response = api_as(head).patch(
        f"/api/v1/people/{person.pk}", {"country": "us"}, content_type=JSON
    )
    assert (response.json()["country"], response.json()["subdivision"]) == ("US", "NY")


def test_a_country_and_subdivision_that_do_not_go_together_are_refused(
    head: Person, make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    texan = make_person(Role.PSE, country="US", subdivision="TX")
    client = api_as(head)
    with unchanged():
        response = client.patch(
            f"/api/v1/people/{texan.pk}", {"country": "DE", "subdivision": "TX"}, content_type=JSON
        )
    assert_invalid(
        response, ("subdivision", rules.ERR_SUBDIVISION.format(value="TX", country="DE"))
    )


def test_a_subdivision_alone_is_checked_against_the_stored_country(
    head: Person, make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    german = make_person(Role.PSE, country="DE", subdivision="BY")
    client = api_as(head)
    with unchanged():
        response = client.patch(
            f"/api/v1/people/{german.pk}", {"subdivision": "TX"}, content_type=JSON
        )
    assert_invalid(
        response, ("subdivision", rules.ERR_SUBDIVISION.format(value="TX", country="DE"))
    )


def test_reads_survive_a_stored_combination_that_does_not_exist(
    head: Person, make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    # Stored before the rule (or by hand): TX in Germany, and a country holidays does not know.
    texan = make_person(Role.PSE, country="US", subdivision="TX", start_date=dt.date(2025, 1, 6))
    Person.objects.filter(pk=texan.pk).update(country="DE")
    nowhere = make_person(Role.PSE, country="US", start_date=dt.date(2026, 1, 5))
    Person.objects.filter(pk=nowhere.pk).update(country="XX", subdivision="YY")
    client = api_as(head)
    for person in (texan, nowhere):
        capacity = client.get(
            f"/api/v1/people/{person.pk}/capacity?start=2026-10-01&end=2026-10-05"
        )
        assert capacity.status_code == 200, capacity.content
        report = client.get(f"/api/v1/time/reports/{person.pk}?year=2027&quarter=3")
        assert report.status_code == 200, report.content
        xlsx = client.get(f"/api/v1/time/reports/{person.pk}?year=2027&quarter=3&format=xlsx")
        assert xlsx.status_code == 200
    days = client.get(f"/api/v1/people/{texan.pk}/capacity?start=2025-10-01&end=2025-10-05")
    assert days.json()["days"][2]["holiday"] == "German Unity Day"  # Germany's own
    review = client.get("/api/v1/scheduling/review?start=2026-10-05&weeks=2")
    assert review.status_code == 200, review.content
    assert client.get("/api/v1/scheduling/review.xlsx?start=2026-10-05").status_code == 200


def test_each_listed_person_is_the_person_as_read_alone(
    make_person: Callable[..., Person],
    api_as: Callable[[Person], Client],
    actor_of: Callable[[Person], Any],
) -> None:
    # The list builds its items from plain rows (selectors.people_page); the single read
    # validates a Person through the schema. Every field must come out the same, pay included.
    from decimal import Decimal

    from psa.core import clock
    from psa.people.models import CostRate, Skill
    from psa.people.schemas import PersonOut

    head = make_person(Role.HEAD_OF_PS, name="Avery Head", cost_rate=Decimal("120.50"))
    managed = make_person(
        Role.PSE,
        Role.PROJECT_COORDINATOR,
        name="Blair Managed-Longname de la Fuente",
        manager=head,
        country="DE",
        subdivision="BY",
        timezone="Europe/Berlin",
        weekly_hours=Decimal("32.50"),
        working_days=[0, 1, 2, 3],
        end_date=dt.date(2027, 6, 30),
    )
    managed.skills.set([Skill.objects.create(name="Kubernetes"), Skill.objects.create(name="Go")])
    later = make_person(Role.PSE, name="Casey Later", cost_rate=False)
    CostRate.objects.create(
        person=later,
        effective_from=clock.today() + dt.timedelta(days=30),
        rate=Decimal("70"),
        currency="EUR",
    )
    no_login = make_person(Role.SALES, name="Dana Nologin", user=None, country="GB")

    for viewer in (head, managed):
        listed = api_as(viewer).get("/api/v1/people").json()
        actor = actor_of(viewer)
        alone = [
            PersonOut.model_validate(selectors.person_for(actor=actor, person_id=p.pk)).model_dump(
                mode="json"
            )
            for p in (head, managed, later, no_login)
        ]
        assert listed == {"items": alone, "count": 4, "page": 1, "page_size": 50, "pages": 1}
    # what the colleague sees: their own pay only
    assert [p["cost_rate"] for p in alone] == [None, managed_rate(managed), None, None]


def managed_rate(person: Person) -> str | None:
    from psa.core import clock

    rate = selectors.cost_rate_series(person_ids=[person.pk])[person.pk].on(clock.today())
    return str(rate.rate) if rate else None


def test_a_page_past_the_last_still_counts_the_people(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    viewer = make_person(Role.HEAD_OF_PS)
    make_person(Role.PSE)

    past = api_as(viewer).get("/api/v1/people", {"page": 3, "page_size": 1}).json()

    assert past == {"items": [], "count": 2, "page": 3, "page_size": 1, "pages": 2}
