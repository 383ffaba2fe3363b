"""People services: who may change what, validation of every field, the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from psa.core.errors import FieldError, PermissionDenied, ValidationFailed
from psa.core.models import AuditEntry
from psa.core.roles import SYSTEM, Actor, Role
from psa.people import rules, services
from psa.people.models import Person, TimeOff
from psa.people.services import PersonInput
from tests.helpers import unchanged

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
    assert entry.after is not None
    assert entry.target_id == str(person.pk)
    assert entry.after["roles"] == ["pse"]
    assert entry.after["email"] == "ada@example.com"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("country", "XX", rules.ERR_COUNTRY.format(value="XX")),
        ("timezone", "Mars/Base", rules.ERR_TIMEZONE.format(value="Mars/Base")),
        ("weekly_hours", Decimal("81"), rules.ERR_WEEKLY_HOURS),
        ("weekly_hours", Decimal("-1"), rules.ERR_WEEKLY_HOURS),
        ("cost_rate", Decimal("-5"), services.ERR_COST_RATE),
        ("cost_rate", Decimal("NaN"), services.ERR_COST_RATE),
        ("cost_currency", "EURO", services.ERR_CURRENCY.format(value="EURO")),
        ("working_days", [0, 8], rules.ERR_WORKING_DAYS),
        ("roles", ["wizard"], services.ERR_ROLE.format(value="wizard")),
        ("manager_id", 999999, services.ERR_MANAGER.format(value=999999)),
        ("end_date", dt.date(2025, 1, 1), services.ERR_END_BEFORE_START),
        ("subdivision", "ZZ", rules.ERR_SUBDIVISION.format(value="ZZ", country="GB")),
        ("name", "  ", services.ERR_NAME),
    ],
)
def test_bad_person_input_is_refused_with_the_field_and_nothing_is_written(
    field: str, value: object, message: str
) -> None:
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.person_create(actor=SYSTEM, data=valid_input(**{field: value}))
    assert exc.value.errors == [FieldError(field, message)]


def test_duplicate_email_is_refused_case_insensitively(make_person: Callable[..., Person]) -> None:
    make_person(email="ada@example.com")
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.person_create(actor=SYSTEM, data=valid_input(email="ADA@example.com"))
    assert exc.value.errors == [FieldError("email", services.ERR_EMAIL_TAKEN)]


def test_all_field_errors_are_reported_together() -> None:
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.person_create(
            actor=SYSTEM, data=valid_input(country="XX", weekly_hours=Decimal("99"))
        )
    assert exc.value.errors == [
        FieldError("country", rules.ERR_COUNTRY.format(value="XX")),
        FieldError("weekly_hours", rules.ERR_WEEKLY_HOURS),
    ]
    assert exc.value.message == "; ".join(f"{e.field}: {e.message}" for e in exc.value.errors)


def test_a_pse_may_not_add_or_change_people(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    pse = make_person(Role.PSE)
    other = make_person(Role.PSE)
    with unchanged(), pytest.raises(PermissionDenied) as created:
        services.person_create(actor=actor_of(pse), data=valid_input())
    assert created.value.message == services.ERR_MAY_NOT_ADD
    with unchanged(), pytest.raises(PermissionDenied) as updated:
        services.person_update(
            actor=actor_of(pse), person=other, data=PersonInput(title="Boss"), fields_set=["title"]
        )
    assert updated.value.message == services.ERR_MAY_NOT_MANAGE


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
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        services.person_update(
            actor=actor_of(manager),
            person=stranger,
            data=PersonInput(title="x"),
            fields_set=["title"],
        )
    assert (exc.value.message, exc.value.errors) == (services.ERR_MAY_NOT_MANAGE, [])
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        services.person_update(
            actor=actor_of(manager),
            person=report,
            data=PersonInput(cost_rate=Decimal("1")),
            fields_set=["cost_rate"],
        )
    assert exc.value.errors == [FieldError("cost_rate", services.ERR_MAY_NOT_GRANT)]
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        services.person_update(
            actor=actor_of(manager),
            person=report,
            data=PersonInput(roles=["head_of_ps"]),
            fields_set=["roles"],
        )
    assert exc.value.errors == [FieldError("roles", services.ERR_MAY_NOT_GRANT)]
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
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.person_update(
            actor=SYSTEM,
            person=person,
            data=PersonInput(manager_id=person.pk),
            fields_set=["manager_id"],
        )
    assert exc.value.errors == [FieldError("manager_id", services.ERR_MANAGER_SELF)]


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
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        services.time_off_create(
            actor=actor_of(pse),
            person=other,
            start_date=dt.date(2026, 12, 21),
            end_date=dt.date(2026, 12, 24),
        )
    assert exc.value.errors == [FieldError("person_id", services.ERR_TIME_OFF_NOT_YOURS)]


@pytest.mark.parametrize(
    ("kw", "field", "message"),
    [
        (
            {"start_date": dt.date(2026, 12, 10), "end_date": dt.date(2026, 12, 9)},
            "end_date",
            services.ERR_END_BEFORE_START,
        ),
        ({"hours_per_day": Decimal("0")}, "hours_per_day", services.ERR_TIME_OFF_HOURS),
        ({"hours_per_day": Decimal("25")}, "hours_per_day", services.ERR_TIME_OFF_HOURS),
        (
            {"kind": "vacation"},
            "kind",
            services.ERR_TIME_OFF_KIND.format(kinds=", ".join(TimeOff.Kind.values)),
        ),
    ],
)
def test_bad_time_off_is_refused(
    make_person: Callable[..., Person], kw: dict[str, Any], field: str, message: str
) -> None:
    person = make_person()
    args: dict[str, Any] = {"start_date": dt.date(2026, 12, 7), "end_date": dt.date(2026, 12, 8)}
    args.update(kw)
    with unchanged(), pytest.raises(ValidationFailed) as exc:
        services.time_off_create(actor=SYSTEM, person=person, **args)
    assert exc.value.errors == [FieldError(field, message)]


def test_a_manager_changing_only_the_pay_currency_is_refused_cleanly(
    make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    manager = make_person(Role.DELIVERY_MANAGER)
    report = make_person(Role.PSE, manager=manager)
    with unchanged(), pytest.raises(PermissionDenied) as exc:
        services.person_update(
            actor=actor_of(manager),
            person=report,
            data=PersonInput(cost_currency="EUR"),
            fields_set=["cost_currency"],
        )
    assert exc.value.errors == [FieldError("cost_currency", services.ERR_MAY_NOT_GRANT)]
