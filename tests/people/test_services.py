"""People services: who may change what, validation of every field, the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest

from psa.core.errors import PermissionDenied, ValidationFailed
from psa.core.models import AuditEntry
from psa.core.roles import SYSTEM, Actor, Role
from psa.people import services
from psa.people.models import Person, TimeOff
from psa.people.services import PersonInput

pytestmark = pytest.mark.django_db


def valid_input(**kw: object) -> PersonInput:
    data = PersonInput(
        name="Ada Lovelace",
        email="ada@example.com",
        country="GB",
        timezone="Europe/London",
        start_date=dt.date(2026, 1, 5),
        roles=[Role.PSE],
        skills=["CI/CD"],
    )
    for k, v in kw.items():
        setattr(data, k, v)
    return data


def test_head_of_ps_creates_a_person_with_login_roles_skills_and_an_audit_row() -> None:
    person = services.person_create(
        actor=SYSTEM, data=valid_input(), username="ada", password="long-enough-pass"
    )
    assert person.user is not None
    assert person.user.check_password("long-enough-pass")
    assert sorted(r.role for r in person.role_rows.all()) == ["pse"]
    assert [s.name for s in person.skills.all()] == ["CI/CD"]
    entry = AuditEntry.objects.get(action="person.create")
    assert entry.target_id == str(person.pk)
    assert entry.after["roles"] == ["pse"]
    assert entry.after["email"] == "ada@example.com"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("country", "XX"),
        ("timezone", "Mars/Base"),
        ("weekly_hours", Decimal("81")),
        ("weekly_hours", Decimal("-1")),
        ("cost_rate", Decimal("-5")),
        ("cost_rate", Decimal("NaN")),
        ("cost_currency", "EURO"),
        ("working_days", [0, 8]),
        ("roles", ["wizard"]),
        ("manager_id", 999999),
        ("end_date", dt.date(2025, 1, 1)),
        ("subdivision", "ZZ"),
        ("name", "  "),
    ],
)
def test_bad_person_input_is_refused_with_the_field_and_nothing_is_written(
    field: str, value: object
) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(actor=SYSTEM, data=valid_input(**{field: value}))
    assert field in [e.field for e in exc.value.errors]
    assert Person.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_duplicate_email_is_refused_case_insensitively(make_person: Callable[..., Person]) -> None:
    make_person(email="ada@example.com")
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(actor=SYSTEM, data=valid_input(email="ADA@example.com"))
    assert exc.value.errors[0].field == "email"
    assert Person.objects.count() == 1


def test_all_field_errors_are_reported_together() -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.person_create(
            actor=SYSTEM, data=valid_input(country="XX", weekly_hours=Decimal("99"))
        )
    assert {e.field for e in exc.value.errors} == {"country", "weekly_hours"}


def test_a_pse_may_not_add_or_change_people(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    pse = make_person(Role.PSE)
    other = make_person(Role.PSE)
    with pytest.raises(PermissionDenied):
        services.person_create(actor=actor_of(pse), data=valid_input())
    with pytest.raises(PermissionDenied):
        services.person_update(
            actor=actor_of(pse), person=other, data=PersonInput(title="Boss"), fields_set=["title"]
        )
    other.refresh_from_db()
    assert other.title == ""


def test_delivery_manager_edits_own_reports_but_not_roles_or_rates(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER)
    report = make_person(Role.PSE, manager=manager)
    stranger = make_person(Role.PSE)
    services.person_update(
        actor=actor_of(manager),
        person=report,
        data=PersonInput(title="Senior PSE"),
        fields_set=["title"],
    )
    report.refresh_from_db()
    assert report.title == "Senior PSE"
    with pytest.raises(PermissionDenied):
        services.person_update(
            actor=actor_of(manager),
            person=stranger,
            data=PersonInput(title="x"),
            fields_set=["title"],
        )
    with pytest.raises(PermissionDenied):
        services.person_update(
            actor=actor_of(manager),
            person=report,
            data=PersonInput(cost_rate=Decimal("1")),
            fields_set=["cost_rate"],
        )
    with pytest.raises(PermissionDenied):
        services.person_update(
            actor=actor_of(manager),
            person=report,
            data=PersonInput(roles=["head_of_ps"]),
            fields_set=["roles"],
        )
    assert list(report.role_rows.values_list("role", flat=True)) == ["pse"]


def test_update_records_only_the_changed_fields(make_person: Callable[..., Person]) -> None:
    person = make_person(Role.PSE, title="PSE")
    services.person_update(
        actor=SYSTEM,
        person=person,
        data=PersonInput(title="Sr PSE", roles=["pse", "sales"]),
        fields_set=["title", "roles"],
    )
    entry = AuditEntry.objects.get(action="person.update")
    assert entry.before == {"title": "PSE", "roles": ["pse"]}
    assert entry.after == {"title": "Sr PSE", "roles": ["pse", "sales"]}


def test_a_person_cannot_be_their_own_manager(make_person: Callable[..., Person]) -> None:
    person = make_person()
    with pytest.raises(ValidationFailed) as exc:
        services.person_update(
            actor=SYSTEM,
            person=person,
            data=PersonInput(manager_id=person.pk),
            fields_set=["manager_id"],
        )
    assert exc.value.errors[0].field == "manager_id"


def test_a_pse_books_own_time_off_but_not_someone_elses(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    pse = make_person(Role.PSE)
    other = make_person(Role.PSE)
    services.time_off_create(
        actor=actor_of(pse),
        person=pse,
        start_date=dt.date(2026, 12, 21),
        end_date=dt.date(2026, 12, 24),
    )
    with pytest.raises(PermissionDenied):
        services.time_off_create(
            actor=actor_of(pse),
            person=other,
            start_date=dt.date(2026, 12, 21),
            end_date=dt.date(2026, 12, 24),
        )
    assert TimeOff.objects.filter(person=other).count() == 0


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"start_date": dt.date(2026, 12, 10), "end_date": dt.date(2026, 12, 9)}, "end_date"),
        ({"hours_per_day": Decimal("0")}, "hours_per_day"),
        ({"hours_per_day": Decimal("25")}, "hours_per_day"),
        ({"kind": "vacation"}, "kind"),
    ],
)
def test_bad_time_off_is_refused(
    make_person: Callable[..., Person], kw: dict[str, object], field: str
) -> None:
    person = make_person()
    args: dict[str, object] = {"start_date": dt.date(2026, 12, 7), "end_date": dt.date(2026, 12, 8)}
    args.update(kw)
    with pytest.raises(ValidationFailed) as exc:
        services.time_off_create(actor=SYSTEM, person=person, **args)  # type: ignore[arg-type]
    assert exc.value.errors[0].field == field
    assert TimeOff.objects.count() == 0


def test_a_manager_changing_only_the_pay_currency_is_refused_cleanly(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER)
    report = make_person(Role.PSE, manager=manager)
    with pytest.raises(PermissionDenied) as exc:
        services.person_update(
            actor=actor_of(manager),
            person=report,
            data=PersonInput(cost_currency="EUR"),
            fields_set=["cost_currency"],
        )
    assert exc.value.errors[0].field == "cost_currency"
    report.refresh_from_db()
    assert report.cost_currency == "USD"
