"""Assertions shared by the test folders: an API refusal's problem+json exactly, the markup a
page shows a refusal in (with the message escaped as Django escapes it), Django's own form
messages as its fields word them, and that a refusal changed nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.validators import (
    DecimalValidator,
    MaxValueValidator,
    MinValueValidator,
    ProhibitNullCharactersValidator,
)
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.forms.formsets import BaseFormSet
from django.utils.html import escape
from django.utils.text import capfirst
from pydantic_core import PydanticKnownError
from pydantic_core.core_schema import ErrorType

PROBLEM_JSON = "application/problem+json"

# Fields a read may write, so a refusal may change them too: a token's last use, a login's.
_TOUCHED_BY_READS = {"core.apitoken": {"last_used_at"}, "auth.user": {"last_login"}}


def assert_problem(
    response: Any, status: int, detail: str, *errors: tuple[str, str]
) -> dict[str, Any]:
    """The answer is problem+json with this status and detail, and exactly these (field,
    message) errors in this order (none when none are given)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM_JSON
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"] == detail, body
    assert [(e["field"], e["message"]) for e in body["errors"]] == list(errors), body
    return body


def exactly(message: str) -> str:
    """A `pytest.raises(match=...)` pattern that is the whole message, not a part of it."""
    return f"^{re.escape(message)}$"


def pydantic_error(kind: ErrorType, **context: Any) -> str:
    """pydantic's message for one of its error kinds: what ninja's input validation answers
    (`pydantic_error("decimal_parsing")` is "Input should be a valid decimal")."""
    return PydanticKnownError(kind, context or None).message()


def assert_refused(response: Any, status: int, field: str, message: str) -> dict[str, Any]:
    """A domain error raised with one field (`NotFound(message, field=...)`): the detail is
    the message, and it is the one error."""
    return assert_problem(response, status, message, (field, message))


def assert_invalid(response: Any, *errors: tuple[str, str]) -> dict[str, Any]:
    """A 422 that lists its field errors (`ValidationFailed.collect`, or ninja's own input
    validation): the detail joins them as "field: message; ..."."""
    detail = "; ".join(f"{field}: {message}" for field, message in errors)
    return assert_problem(response, 422, detail, *errors)


# ------------------------------------------------------------------ pages


def refusal_page(message: str) -> str:
    """The alert of the 403 and 404 pages for a refused permission or a missing record, as
    they render the service's message (capitalized, a full stop, escaped)."""
    return f'<p role="alert">{escape(capfirst(message))}.</p>'


def field_error(auto_id: str, *messages: str) -> str:
    """A form field's errors as `core/_field.html` lists them."""
    items = "".join(f"<li>{escape(m)}</li>" for m in messages)
    return f'<ul class="errorlist" id="{auto_id}_error" role="alert">{items}</ul>'


def inline_error(auto_id: str, *messages: str) -> str:
    """A field's errors on one line, as the list filters and the milestone rows show them."""
    joined = escape(" ".join(messages))
    return f'<span class="error" id="{auto_id}_error" role="alert">{joined}</span>'


def form_error(message: str, prefix: str = "form") -> str:
    """A form's error that belongs to no field, as `core/_form_errors.html` heads it."""
    return (
        f'<div class="error-summary" role="alert" tabindex="-1" id="{prefix}-errors">\n'
        f"  <p><strong>{escape(message)}</strong></p>"
    )


def refused_summary(message: str) -> str:
    """A service's refusal of a whole action (a conflict), as the pages head it (`refused`)."""
    return (
        f'<div class="error-summary" role="alert" id="refused"><p><strong>{escape(message)}'
        "</strong></p>"
    )


def flash(message: str, level: str = "error") -> str:
    """A message of Django's messages framework, as `base.html` shows it."""
    return f'<p class="msg {level}">{escape(message)}</p>'


# What `core/_form_errors.html` heads a form with when its errors are all on fields.
MARKED_FIELDS = "Please correct the marked fields."

# Django's own form messages, as its fields word them.
REQUIRED = str(forms.Field.default_error_messages["required"])
NOT_A_NUMBER = str(forms.DecimalField.default_error_messages["invalid"])
NOT_A_DATE = str(forms.DateField.default_error_messages["invalid"])
NOT_A_LISTED_CHOICE = str(forms.ModelChoiceField.default_error_messages["invalid_choice"])
NOT_A_WHOLE_NUMBER = str(forms.IntegerField.default_error_messages["invalid"])
NUL_NOT_ALLOWED = str(ProhibitNullCharactersValidator.message)


def at_least(limit: object) -> str:
    return str(MinValueValidator.message) % {"limit_value": limit}


def at_most(limit: object) -> str:
    return str(MaxValueValidator.message) % {"limit_value": limit}


def not_a_choice(value: str) -> str:
    """A ChoiceField's refusal of a value that is none of its choices."""
    return str(forms.ChoiceField.default_error_messages["invalid_choice"]) % {"value": value}


def too_many_digits(limit: int) -> str:
    return str(DecimalValidator.messages["max_digits"] % {"max": limit})


def no_management_form(*fields: str) -> str:
    message = str(BaseFormSet.default_error_messages["missing_management_form"])
    return message % {"field_names": ", ".join(fields)}


# ------------------------------------------------------------------ nothing changed


def snapshot() -> dict[str, Any]:
    """Every row of PSA's tables and of the logins, and the e-mail sent: what a refused request
    could have changed (the fields a read may write are left out)."""
    tables: dict[str, Any] = {}
    models = [*apps.get_app_config("core").get_models(), get_user_model()]
    for label in ("people", "engagements", "scheduling", "timetracking", "finance"):
        models.extend(apps.get_app_config(label).get_models())
    for model in models:
        skip = _TOUCHED_BY_READS.get(model._meta.label_lower, set())
        fields = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
        rows = model._default_manager.order_by("pk").values_list(*fields)
        # A binary column reads as a memoryview on PostgreSQL: compare its bytes.
        tables[model._meta.label_lower] = [
            tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows
        ]
    tables["mail.outbox"] = [(m.subject, m.to, m.body) for m in getattr(mail, "outbox", [])]
    return tables


@contextmanager
def unchanged() -> Iterator[None]:
    """Fails if anything in `snapshot` changed inside the block."""
    before = snapshot()
    yield
    after = snapshot()
    changes = []
    for table, rows in before.items():
        if rows != after[table]:
            gone = [r for r in rows if r not in after[table]]
            new = [r for r in after[table] if r not in rows]
            changes.append(f"{table}: {gone!r} became {new!r}"[:1500])
    assert not changes, "a refusal changed " + "; ".join(changes)


def migrate_to(targets: list[tuple[str, str]]) -> None:
    """Migrate the test database to these (app, migration) targets, back or forward."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@contextmanager
def latest_migrations_after() -> Iterator[None]:
    """Leave the database at every app's latest migration, for the tests after a migration test.

    A test that goes back to an older migration (or forward only to one) would otherwise leave
    later migrations unapplied, and code that checks (backup, restore) refuse the database."""
    try:
        yield
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
