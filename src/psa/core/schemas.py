"""Shared API input types and the problem+json schema.

Every string an API caller sends is a `Line` (one line: no control characters at all) or a
`Text` (multi-line: tab and line breaks allowed), with the max length of the column it lands
in, so the database and the spreadsheets never see what they cannot store (PostgreSQL refuses
NUL in text; XLSX cannot hold most control characters). Numbers and dates have bounds for the
same reason: Decimal arithmetic, OFFSET and date arithmetic overflow past them.

    name: Annotated[str, Line(200, min_length=1)]
    note: Annotated[str, Text(2000)] = ""
    hours: Annotated[Hours, Field(gt=0, le=24)]
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, TypeVar

import annotated_types
from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import BaseModel, GetCoreSchemaHandler, GetJsonSchemaHandler, model_validator
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

ERR_LINE_CHARACTER = (
    "must be one line of text: the control character {char} at position {position} is not allowed"
)
ERR_TEXT_CHARACTER = (
    "the control character {char} at position {position} is not allowed (tab and line breaks are)"
)
ERR_NOT_AN_OBJECT = "the body must be a JSON object"

Patched = TypeVar("Patched")

# Cc (C0, DEL, C1), lone surrogates (not encodable as UTF-8) and the two XML non-characters.
_LINE_BAD = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_TEXT_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# The same rule for the published schema (ECMA-262 regex), so clients and fuzzers can follow it.
LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f]*$"
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"


def codepoint(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" ({name})" if name else "")


def first_control_character(value: str, *, multiline: bool) -> tuple[int, str] | None:
    """(position, character) of the first character a text field may not hold, or None."""
    found = (_TEXT_BAD if multiline else _LINE_BAD).search(value)
    return None if found is None else (found.start(), found.group())


def control_character_error(value: str, *, multiline: bool) -> str | None:
    """The message for a value with a character it may not hold (shared by API and forms)."""
    found = first_control_character(value, multiline=multiline)
    if found is None:
        return None
    position, char = found
    template = ERR_TEXT_CHARACTER if multiline else ERR_LINE_CHARACTER
    return template.format(char=codepoint(char), position=position)


@dataclass(frozen=True)
class _Characters:
    multiline: bool

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._check, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        result = handler(schema)
        result["pattern"] = TEXT_PATTERN if self.multiline else LINE_PATTERN
        return result

    def _check(self, value: str) -> str:
        message = control_character_error(value, multiline=self.multiline)
        if message is not None:
            # A custom error keeps the message as written (a ValueError gets "Value error, ").
            raise PydanticCustomError("control_character", message)
        return value


@dataclass(frozen=True)
class Line(annotated_types.GroupedMetadata):
    """One line of text of at most `max_length` characters, no control characters."""

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        if self.min_length:
            yield annotated_types.MinLen(self.min_length)
        yield annotated_types.MaxLen(self.max_length)
        yield _Characters(multiline=False)


@dataclass(frozen=True)
class Text(annotated_types.GroupedMetadata):
    """Multi-line text of at most `max_length` characters: tab, LF and CR are the only control
    characters allowed."""

    max_length: int
    min_length: int = 0

    def __iter__(self) -> Iterator[object]:
        if self.min_length:
            yield annotated_types.MinLen(self.min_length)
        yield annotated_types.MaxLen(self.max_length)
        yield _Characters(multiline=True)


# Search boxes and filters: what a query string can reasonably carry.
Search = Annotated[str, Line(200)]
# Database ids: BigAutoField's range. A larger number could never name a row, and would overflow.
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
# Dates far from today: the calendars (holidays, ISO weeks, fiscal quarters) work in this range,
# and date arithmetic near year 1 or 9999 overflows.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2199, 12, 31)
Day = Annotated[dt.date, Field(ge=MIN_DATE, le=MAX_DATE)]
# Fiscal years are named by the calendar year they end in.
Year = Annotated[int, Field(ge=MIN_DATE.year + 1, le=MAX_DATE.year)]
Quarter = Annotated[int, Field(ge=1, le=4)]
# Hours: two places, finite, and no more digits than the widest hours column (8 digits).
Hours = Annotated[Decimal, Field(max_digits=8, decimal_places=2, allow_inf_nan=False)]
# Money: two places, finite, no more digits than the widest money column (14 digits).
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2, allow_inf_nan=False)]
Percent = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2, allow_inf_nan=False)]


def not_null(default: Any = None, **kwargs: Any) -> Any:
    """A PATCH field that may be left out but not set to null: its type has no None, so null
    gets 422 naming the field, and leaving it out keeps the stored value (`exclude_unset`)."""

    def drop_default(schema: dict[str, Any]) -> None:
        schema.pop("default", None)  # "default": null would contradict the field's type

    return Field(default, json_schema_extra=drop_default, **kwargs)


ERR_PATCH_FIELD = "{schema} sends {field!r}, which {target} does not have"


def patch_onto(payload: Schema, data: Patched) -> tuple[Patched, frozenset[str]]:
    """A PATCH body laid onto a service's input: each field sent (and only those) set on
    `data`, plus their names for the service's `fields_set`. The schema's `not_null` fields
    have already refused null, so a value that arrives here is one the service may store."""
    sent = payload.dict(exclude_unset=True)
    for name, value in sent.items():
        if not hasattr(data, name):  # a schema and its input out of step: a bug, not input
            raise AttributeError(
                ERR_PATCH_FIELD.format(
                    schema=type(payload).__name__, field=name, target=type(data).__name__
                )
            )
        setattr(data, name, value)
    return data, frozenset(sent)


class In(Schema):
    """A JSON request body: a JSON object, never a bare string, number or list (ninja's
    schemas read attributes off whatever they are given, so "abc" would pass as {})."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: Any) -> Any:
        inner = data._obj if isinstance(data, DjangoGetter) else data
        if not isinstance(inner, dict | BaseModel):
            raise PydanticCustomError("not_an_object", ERR_NOT_AN_OBJECT)
        return data


# ------------------------------------------------------------------ problem+json


class FieldErrorOut(Schema):
    field: str = Field(description="The input at fault: a body field (a.b.0), a parameter")
    message: str


class ProblemOut(Schema):
    """An error (RFC 9457 problem+json)."""

    type: str = Field(description="about:blank")
    title: str
    status: int
    detail: str
    errors: list[FieldErrorOut]


# 401 (no valid credentials) and 422 (bad input) can happen on every operation.
ALWAYS = (401, 422)
# A write can also be unreadable JSON (400) or a browser session without its CSRF token (403).
WRITE = (400, 403)


def answers(ok: dict[int, Any], *problems: int) -> dict[int, Any]:
    """An operation's response map: its successes, then problem+json for 401, 422 and each
    status in `problems` (400 bad JSON, 403 not allowed, 404 unknown, 409 state conflict)."""
    result: dict[int, Any] = dict(ok)
    for status in sorted({*ALWAYS, *problems}):
        result[status] = ProblemOut
    return result
