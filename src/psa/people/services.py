"""Changes to people and their time off: authorize → validate → write with its audit row."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse

from psa.core import audit, clock, notifications
from psa.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from psa.core.numbers import CURRENCIES, money
from psa.core.rates import RATE_DAY, is_valid_rate
from psa.core.roles import Actor, Role
from psa.core.tasks import send_email
from psa.people import cache as people_cache
from psa.people import rules
from psa.people.models import CostRate, Invitation, Person, PersonRole, Skill, TimeOff

ERR_EMAIL_TAKEN = "a person with this e-mail already exists"
ERR_USERNAME_TAKEN = "this username is taken"
ERR_NAME = "a name is required"
ERR_COST_RATE = "cost rate must be a number of at least 0"
ERR_NO_COST_RATE = "no cost rate takes effect on {day}"
ERR_RATE_FIELDS = (
    "cost rates are dated: set one on the person's page or with "
    "PUT /api/v1/people/{id}/cost-rates/{{date}}"
)
ERR_CURRENCY = "unknown currency {value!r}: use an ISO 4217 code such as USD or EUR"
ERR_ROLE = "unknown role {value!r}"
ERR_MANAGER = "manager {value} does not exist"
ERR_MANAGER_SELF = "a person cannot be their own manager"
ERR_END_BEFORE_START = "end date is before the start date"
ERR_MAY_NOT_MANAGE = "you may not change this person"
ERR_MAY_NOT_GRANT = "only an admin or the head of PS may change roles or cost rates"
ERR_TIME_OFF_HOURS = "hours per day must be more than 0 and at most 24"
ERR_TIME_OFF_NOT_YOURS = "you may only change your own time off or that of people you manage"
ERR_MAY_NOT_ADD = "only an admin or the head of PS may add people"
ERR_START_DATE = "a start date is required"
ERR_TIME_OFF_KIND = "kind must be one of {kinds}"
ERR_INVITE_NEEDS_EMAIL = (
    "a login without a password needs an e-mail address: its invitation to set one goes there"
)
ERR_NO_LOGIN = "{name} has no login to invite"
ERR_NO_EMAIL = "{name} has no e-mail address to send the invitation to"
ERR_HAS_PASSWORD = "{name} has set a password already"  # noqa: S105 - a message
ERR_PASSWORDS_DIFFER = "the two passwords differ"
ERR_PASSWORD_NEEDED = "a password is required"  # noqa: S105 - a message

PEOPLE_ADMINS = (Role.HEAD_OF_PS,)
PAY_AND_ROLES = frozenset({"roles", "cost_rate", "cost_currency"})
PAY_DATA = frozenset({"cost_rate", "cost_currency"})


@dataclass
class PersonInput:
    """Fields of a person. On update, only the fields named in `fields_set` change."""

    name: str = ""
    email: str = ""
    title: str = ""
    manager_id: int | None = None
    country: str = "US"
    subdivision: str = ""
    timezone: str = "UTC"
    weekly_hours: Decimal | None = None
    working_days: list[int] = field(default_factory=lambda: [1, 2, 3, 4, 5])
    # The first cost rate, in force from start_date; None: no rate yet. Only on create: later
    # rates are dated (cost_rate_set).
    cost_rate: Decimal | None = None
    cost_currency: str = "USD"
    skills: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    start_date: dt.date | None = None
    end_date: dt.date | None = None


# ------------------------------------------------------------------ permissions


def can_manage_person(actor: Actor, person: Person | None) -> bool:
    """Admins and the head of PS manage everyone; a delivery manager manages their reports."""
    if actor.has_any(*PEOPLE_ADMINS):
        return True
    return (
        person is not None
        and Role.DELIVERY_MANAGER in actor.roles
        and person.manager_id is not None
        and person.manager_id == actor.person_id
    )


def can_change_pay_and_roles(actor: Actor) -> bool:
    return actor.has_any(*PEOPLE_ADMINS)


def can_change_time_off(actor: Actor, person: Person) -> bool:
    return (
        actor.person_id == person.pk
        or can_manage_person(actor, person)
        or actor.has_any(Role.PROJECT_COORDINATOR)
    )


# ------------------------------------------------------------------ validation


def _validate(
    data: PersonInput,
    *,
    names: Iterable[str],
    person: Person | None,
    errors: list[FieldError] | None = None,
) -> None:
    """Every problem with the input at once (`errors`: those the caller found already)."""
    errors = list(errors or [])
    names = set(names)

    def check(name: str, message: str | None) -> None:
        if name in names and message:
            errors.append(FieldError(name, message))

    check("name", ERR_NAME if not data.name.strip() else None)
    check("country", rules.country_error(data.country))
    if "country" in names or "subdivision" in names:
        # The combination that will be stored: what was sent, else what is stored.
        country = data.country if "country" in names else (person.country if person else "")
        subdivision = (
            data.subdivision if "subdivision" in names else (person.subdivision if person else "")
        )
        msg = rules.subdivision_error(country, subdivision)
        if msg:
            errors.append(FieldError("subdivision", msg))
    check("timezone", rules.timezone_error(data.timezone))
    check("weekly_hours", rules.weekly_hours_error(data.weekly_hours))
    check("working_days", rules.working_days_error(data.working_days))
    rate = data.cost_rate
    check("cost_rate", ERR_COST_RATE if rate is not None and not is_valid_rate(rate) else None)
    check("cost_currency", _currency_error(data.cost_currency))
    for role in data.roles if "roles" in names else []:
        if role not in Role.values:
            errors.append(FieldError("roles", ERR_ROLE.format(value=role)))
    if "email" in names:
        taken = Person.objects.filter(email__iexact=data.email.strip())
        if person is not None:
            taken = taken.exclude(pk=person.pk)
        if taken.exists():
            errors.append(FieldError("email", ERR_EMAIL_TAKEN))
    if "manager_id" in names and data.manager_id is not None:
        if person is not None and data.manager_id == person.pk:
            errors.append(FieldError("manager_id", ERR_MANAGER_SELF))
        elif not Person.objects.filter(pk=data.manager_id).exists():
            errors.append(FieldError("manager_id", ERR_MANAGER.format(value=data.manager_id)))
    start = data.start_date if "start_date" in names else (person.start_date if person else None)
    end = data.end_date if "end_date" in names else (person.end_date if person else None)
    if "start_date" in names and start is None:
        errors.append(FieldError("start_date", ERR_START_DATE))
    if start and end and end < start:
        errors.append(FieldError("end_date", ERR_END_BEFORE_START))
    if errors:
        raise ValidationFailed.collect(errors)


def person_input_errors(
    *, data: PersonInput, names: Iterable[str], username: str = "", password: str = ""
) -> list[FieldError]:
    """The checks a new person's fields get, for those given (`names`): what a form refused on
    other fields says at once. Writes nothing; person_create repeats them."""
    data.country = data.country.upper()
    errors = []
    if username and get_user_model().objects.filter(username=username).exists():
        errors.append(FieldError("username", ERR_USERNAME_TAKEN))
    if username and not password and "email" in names and not data.email.strip():
        errors.append(FieldError("email", ERR_INVITE_NEEDS_EMAIL))
    try:
        _validate(data, names=names, person=None, errors=errors)
    except ValidationFailed as exc:
        return list(exc.errors or [])
    return []


def _currency_error(currency: str) -> str | None:
    return None if currency in CURRENCIES else ERR_CURRENCY.format(value=currency)


def _set_skills(person: Person, names: list[str]) -> None:
    skills = []
    for name in sorted({n.strip() for n in names if n.strip()}):
        skill, _ = Skill.objects.get_or_create(name=name)
        skills.append(skill)
    person.skills.set(skills)


def _set_roles(person: Person, roles: list[str]) -> None:
    PersonRole.objects.filter(person=person).exclude(role__in=roles).delete()
    existing = set(PersonRole.objects.filter(person=person).values_list("role", flat=True))
    PersonRole.objects.bulk_create(
        [PersonRole(person=person, role=r) for r in sorted(set(roles) - existing)]
    )
    people_cache.changed()  # bulk_create sends no signal


def _full_snapshot(person: Person) -> dict[str, Any]:
    data = audit.snapshot(person)
    data["skills"] = sorted(s.name for s in person.skills.all())
    data["roles"] = sorted(r.role for r in person.role_rows.all())
    return data


# ------------------------------------------------------------------ use cases


def person_create(
    *,
    actor: Actor,
    data: PersonInput,
    username: str = "",
    password: str = "",
) -> Person:
    if not can_manage_person(actor, None):
        raise PermissionDenied(ERR_MAY_NOT_ADD)
    names = [f.name for f in fields(PersonInput)]
    data.country = data.country.upper()
    User = get_user_model()
    login_errors = []
    if username and User.objects.filter(username=username).exists():
        login_errors.append(FieldError("username", ERR_USERNAME_TAKEN))
    if username and not password and not data.email.strip():
        login_errors.append(FieldError("email", ERR_INVITE_NEEDS_EMAIL))
    _validate(data, names=names, person=None, errors=login_errors)
    start_date = data.start_date
    if start_date is None:  # _validate reported it; this tells the type checker
        raise ValidationFailed(ERR_START_DATE, field="start_date")
    with transaction.atomic():
        user = None
        if username:
            user = User.objects.create_user(
                username=username, email=data.email.strip(), password=password or None
            )
        person = Person.objects.create(
            user=user,
            name=data.name.strip(),
            email=data.email.strip().lower(),
            title=data.title,
            manager_id=data.manager_id,
            country=data.country,
            subdivision=data.subdivision,
            timezone=data.timezone,
            weekly_hours=data.weekly_hours,
            working_days=sorted(data.working_days),
            start_date=start_date,
            end_date=data.end_date,
        )
        _set_skills(person, data.skills)
        _set_roles(person, data.roles)
        audit.record(
            actor=actor, action="person.create", target=person, after=_full_snapshot(person)
        )
        if data.cost_rate is not None:
            _write_cost_rate(actor, person, start_date, data.cost_rate, data.cost_currency)
        if user is not None and not password:
            invitation_send(actor=actor, person=person)
    return person


def person_update(
    *, actor: Actor, person: Person, data: PersonInput, fields_set: Iterable[str]
) -> Person:
    names = set(fields_set)
    if not can_manage_person(actor, person):
        raise PermissionDenied(ERR_MAY_NOT_MANAGE)
    if names & PAY_AND_ROLES and not can_change_pay_and_roles(actor):
        raise PermissionDenied(ERR_MAY_NOT_GRANT, field=sorted(names & PAY_AND_ROLES)[0])
    if names & PAY_DATA:
        raise ValidationFailed(
            ERR_RATE_FIELDS.format(id=person.pk), field=sorted(names & PAY_DATA)[0]
        )
    if "country" in names:
        data.country = data.country.upper()
        if "subdivision" not in names and person.subdivision:
            # A new country without a subdivision sent: keep the stored one only if it exists
            # there; otherwise clear it (the audit row shows it), rather than store TX in DE.
            kept = rules.subdivision_kept(data.country, person.subdivision)
            if kept != person.subdivision:
                data.subdivision = kept
                names.add("subdivision")
    _validate(data, names=names, person=person)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        before = _full_snapshot(person)
        simple = names - {"skills", "roles"}
        for name in simple:
            value = getattr(data, name)
            if name == "email":
                value = value.strip().lower()
            elif name == "working_days":
                value = sorted(value)
            setattr(person, name, value)
        person.save()
        if "skills" in names:
            _set_skills(person, data.skills)
        if "roles" in names:
            _set_roles(person, data.roles)
        if "email" in names and person.user_id:
            get_user_model().objects.filter(pk=person.user_id).update(email=person.email)
        audit.record(
            actor=actor,
            action="person.update",
            target=person,
            before=before,
            after=_full_snapshot(person),
        )
    return person


def _rate_snapshot(rate: CostRate) -> dict[str, Any]:
    # The person's pay data under PAY_DATA's names, so the audit log masks it for those who
    # may not read it (apps.PeopleConfig).
    return {
        "effective_from": rate.effective_from,
        "cost_rate": str(rate.rate),
        "cost_currency": rate.currency,
    }


def _write_cost_rate(
    actor: Actor, person: Person, effective_from: dt.date, rate: Decimal, currency: str
) -> CostRate:
    row = CostRate.objects.filter(person=person, effective_from=effective_from).first()
    before = _rate_snapshot(row) if row else None
    if row is None:
        row = CostRate(person=person, effective_from=effective_from)
    row.rate, row.currency = money(rate), currency
    row.save()
    audit.record(
        actor=actor,
        action="person.cost_rate_set",
        target=person,
        before=before,
        after=_rate_snapshot(row),
        # A replaced rate's history lists only what changed: the day it names is said here.
        reason=RATE_DAY.format(day=effective_from.isoformat()),
    )
    return row


def cost_rate_set(
    *, actor: Actor, person: Person, effective_from: dt.date, rate: Decimal, currency: str
) -> CostRate:
    """The person's cost rate from `effective_from` on (until their next rate): a new rate,
    or the one taking effect that day replaced."""
    if not can_change_pay_and_roles(actor):
        raise PermissionDenied(ERR_MAY_NOT_GRANT, field="rate")
    errors: list[FieldError] = []
    if not is_valid_rate(rate):
        errors.append(FieldError("rate", ERR_COST_RATE))
    currency_error = _currency_error(currency)
    if currency_error:
        errors.append(FieldError("currency", currency_error))
    if errors:
        raise ValidationFailed.collect(errors)
    with transaction.atomic():
        # Under the person's lock, two rates set for the same day at once are one after the
        # other (the last one stays), never a unique-constraint error.
        person = person_lock(person_id=person.pk)
        return _write_cost_rate(actor, person, effective_from, rate, currency)


def cost_rate_delete(*, actor: Actor, person: Person, effective_from: dt.date) -> None:
    """Take back the rate taking effect that day: the one before stays in force longer."""
    if not can_change_pay_and_roles(actor):
        raise PermissionDenied(ERR_MAY_NOT_GRANT, field="effective_from")
    with transaction.atomic():
        person = person_lock(person_id=person.pk)
        rate = CostRate.objects.filter(person=person, effective_from=effective_from).first()
        if rate is None:
            raise NotFound(
                ERR_NO_COST_RATE.format(day=effective_from.isoformat()), field="effective_from"
            )
        audit.record(
            actor=actor,
            action="person.cost_rate_delete",
            target=person,
            before=_rate_snapshot(rate),
        )
        rate.delete()


def time_off_create(
    *,
    actor: Actor,
    person: Person,
    start_date: dt.date,
    end_date: dt.date,
    kind: str = TimeOff.Kind.PTO,
    hours_per_day: Decimal | None = None,
    note: str = "",
) -> TimeOff:
    if not can_change_time_off(actor, person):
        raise PermissionDenied(ERR_TIME_OFF_NOT_YOURS, field="person_id")
    errors: list[FieldError] = []
    if end_date < start_date:
        errors.append(FieldError("end_date", ERR_END_BEFORE_START))
    if kind not in TimeOff.Kind.values:
        kinds = ", ".join(TimeOff.Kind.values)
        errors.append(FieldError("kind", ERR_TIME_OFF_KIND.format(kinds=kinds)))
    if hours_per_day is not None and not (0 < hours_per_day <= 24):
        errors.append(FieldError("hours_per_day", ERR_TIME_OFF_HOURS))
    if errors:
        raise ValidationFailed.collect(errors)
    with transaction.atomic():
        row = TimeOff.objects.create(
            person=person,
            kind=kind,
            start_date=start_date,
            end_date=end_date,
            hours_per_day=hours_per_day,
            note=note,
        )
        audit.record(actor=actor, action="time_off.create", target=row, after=audit.snapshot(row))
    return row


def time_off_delete(*, actor: Actor, time_off: TimeOff) -> None:
    if not can_change_time_off(actor, time_off.person):
        raise PermissionDenied(ERR_TIME_OFF_NOT_YOURS, field="time_off_id")
    with transaction.atomic():
        audit.record(
            actor=actor, action="time_off.delete", target=time_off, before=audit.snapshot(time_off)
        )
        time_off.delete()


def person_lock(*, person_id: int) -> Person:
    """Lock a person's row until the transaction ends: callers that must not over-book a person
    (concurrent confirmations) serialise on it. Call inside transaction.atomic()."""
    return Person.objects.select_for_update().get(pk=person_id)


def people_lock(*, person_ids: Iterable[int]) -> None:
    """Lock many people's rows at once, in id order (so two callers cannot deadlock)."""
    list(
        Person.objects.select_for_update()
        .filter(pk__in=sorted(set(person_ids)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# ------------------------------------------------------------------ invitations


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    secret: str  # in the e-mailed link only; never stored


INVITATION_MAIL = """Hello {name},

{who} added you to PSA, where the team schedules its work and records its time.
Your login name is {username}.

Set your password here. The link works once, until {expires:%a %-d %b %Y, %H:%M} UTC:
{link}

If you did not expect this e-mail, you can ignore it.
"""


def invitation_link(secret: str) -> str:
    return notifications.absolute(reverse("invitation", args=[secret]))


def invitation_send(*, actor: Actor, person: Person) -> IssuedInvitation:
    """E-mail the person's login a one-time link to set its password (after commit, by the
    worker). A newer invitation replaces any earlier one still unused."""
    if not can_manage_person(actor, person):
        raise PermissionDenied(ERR_MAY_NOT_MANAGE)
    if person.user_id is None:
        raise ValidationFailed(ERR_NO_LOGIN.format(name=person.name), field="username")
    now = clock.now()
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        # Locked and read again: two invitations sent at once leave one valid link.
        user = get_user_model().objects.select_for_update().get(pk=person.user_id)
        if not user.email:
            raise ValidationFailed(ERR_NO_EMAIL.format(name=person.name), field="email")
        if user.has_usable_password():
            raise Conflict(ERR_HAS_PASSWORD.format(name=person.name), field="password")
        Invitation.objects.filter(user=user, used_at__isnull=True, replaced_at__isnull=True).update(
            replaced_at=now
        )
        invitation = Invitation.objects.create(
            user=user,
            digest=rules.invitation_digest(secret),
            created_at=now,
            created_by_name=actor.username,
            expires_at=now + dt.timedelta(days=settings.PSA_INVITATION_DAYS),
        )
        audit.record(
            actor=actor,
            action="person.invite",
            target=person,
            after={"login": user.get_username(), "expires_at": invitation.expires_at.isoformat()},
        )
        body = INVITATION_MAIL.format(
            name=person.name,
            who=actor.username if actor.person_id is None else _name(actor.person_id),
            username=user.get_username(),
            expires=invitation.expires_at,
            link=invitation_link(secret),
        )
        to = [user.email]
        transaction.on_commit(
            lambda: send_email.enqueue(
                to=to, subject="Your PSA login: set your password", body=body
            )
        )
    return IssuedInvitation(invitation, secret)


def _name(person_id: int) -> str:
    return Person.objects.filter(pk=person_id).values_list("name", flat=True).first() or ""


def invitation_accept(*, secret: str, password: str, password_again: str) -> User:
    """Set the invited login's password, once: under the invitation's lock, so the same link
    used twice at once sets it once. A link that is unknown, used, replaced or expired changes
    nothing; every problem with the password is said at once."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("user")
            .filter(digest=rules.invitation_digest(secret))
            .first()
        )
        problem = rules.invitation_problem(
            found=invitation is not None,
            used_at=invitation.used_at if invitation else None,
            replaced_at=invitation.replaced_at if invitation else None,
            expires_at=invitation.expires_at if invitation else None,
            now=clock.now(),
        )
        if problem is not None or invitation is None:
            raise Conflict(problem or rules.ERR_INVITATION_UNKNOWN, field="invitation")
        user = invitation.user
        errors = []
        if not password:
            errors.append(FieldError("password", ERR_PASSWORD_NEEDED))
        else:
            try:
                password_validation.validate_password(password, user)
            except DjangoValidationError as exc:
                errors.extend(FieldError("password", str(m)) for m in exc.messages)
        if password != password_again:
            errors.append(FieldError("password_again", ERR_PASSWORDS_DIFFER))
        if errors:
            raise ValidationFailed.collect(errors)
        user.set_password(password)
        user.save(update_fields=["password"])
        invitation.used_at = clock.now()
        invitation.save(update_fields=["used_at"])
        audit.record(
            actor=Actor(user_id=user.pk, username=user.get_username()),
            action="person.invitation_accept",
            target=invitation,
            after={"login": user.get_username()},
        )
    return user
