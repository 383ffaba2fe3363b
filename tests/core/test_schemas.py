"""The shared input types: one line, multi-line text, bodies as objects, null refused."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

import pytest
from pydantic import ValidationError

from psa.core.schemas import (
    ERR_LINE_CHARACTER,
    ERR_NOT_AN_OBJECT,
    ERR_PATCH_FIELD,
    ERR_TEXT_CHARACTER,
    LINE_PATTERN,
    TEXT_PATTERN,
    Day,
    Hours,
    In,
    Line,
    Text,
    answers,
    control_character_error,
    not_null,
    patch_onto,
)


class Example(In):
    name: Annotated[str, Line(5, min_length=1)]
    note: Annotated[str, Text(10)] = ""
    title: Annotated[str, Line(5)] = not_null()
    hours: Hours | None = None
    day: Day | None = None


def errors(data: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Example.model_validate(data)
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors()}


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"name": "a\x00"}, {"name": ERR_LINE_CHARACTER.format(char="U+0000", position=1)}),
        ({"name": "a\tb"}, {"name": ERR_LINE_CHARACTER.format(char="U+0009", position=1)}),
        (
            {"name": "a", "note": "x\x7f"},
            {"note": ERR_TEXT_CHARACTER.format(char="U+007F", position=1)},
        ),
        ({"name": "abcdef"}, {"name": "String should have at most 5 characters"}),
        ({"name": "a", "title": None}, {"title": "Input should be a valid string"}),
        (
            {"name": "a", "hours": "1.234"},
            {"hours": "Decimal input should have no more than 2 decimal places"},
        ),
        ({"name": "a", "hours": "Infinity"}, {"hours": "Input should be a finite number"}),
        (
            {"name": "a", "day": "9999-12-31"},
            {"day": "Input should be less than or equal to 2199-12-31"},
        ),
        ("name", {"": ERR_NOT_AN_OBJECT}),
        ([{"name": "a"}], {"": ERR_NOT_AN_OBJECT}),
    ],
)
def test_refusals(data: Any, expected: dict[str, str]) -> None:
    assert errors(data) == expected


def test_text_keeps_tab_and_line_breaks_and_unset_fields_stay_unset() -> None:
    parsed = Example.model_validate({"name": "Zoë", "note": "a\tb\r\nc"})
    assert parsed.model_dump(exclude_unset=True) == {"name": "Zoë", "note": "a\tb\r\nc"}


def test_the_published_schema_carries_the_rule() -> None:
    props = Example.model_json_schema()["properties"]
    assert (props["name"]["pattern"], props["name"]["maxLength"]) == (LINE_PATTERN, 5)
    assert props["note"]["pattern"] == TEXT_PATTERN
    assert "default" not in props["title"]  # not_null: no "default": null against a string


def test_the_message_names_the_character() -> None:
    assert control_character_error("ok", multiline=False) is None
    assert control_character_error("a\u0085", multiline=True) == ERR_TEXT_CHARACTER.format(
        char="U+0085", position=1
    )


def test_answers_adds_401_and_422_and_the_listed_statuses() -> None:
    assert sorted(answers({200: None}, 404)) == [200, 401, 404, 422]


class ExamplePatch(In):
    name: Annotated[str, Line(5)] = not_null()
    title: Annotated[str, Line(5)] = not_null()
    hours: Hours | None = None


@dataclass
class ExampleInput:
    """A service's input: defaults for every field, of which a PATCH changes the ones sent."""

    name: str = ""
    title: str = "kept"
    hours: Decimal | None = Decimal("8.00")


@pytest.mark.parametrize(
    ("body", "changed"),
    [
        ({}, {}),
        ({"title": "Lead"}, {"title": "Lead"}),
        # A nullable field sent as null is a change to null, not a field left out.
        ({"name": "a", "hours": None}, {"name": "a", "hours": None}),
    ],
)
def test_a_patch_sets_exactly_the_fields_sent(
    body: dict[str, Any], changed: dict[str, Any]
) -> None:
    data, sent = patch_onto(ExamplePatch.model_validate(body), ExampleInput())
    assert (vars(data), sent) == ({**vars(ExampleInput()), **changed}, frozenset(changed))


def test_a_patch_field_the_input_lacks_is_a_bug_not_a_silent_attribute() -> None:
    @dataclass
    class Narrow:
        name: str = ""

    with pytest.raises(AttributeError) as caught:
        patch_onto(ExamplePatch.model_validate({"name": "a", "title": "b"}), Narrow())
    assert str(caught.value) == ERR_PATCH_FIELD.format(
        schema="ExamplePatch", field="title", target="Narrow"
    )
