"""The published schema describes every answer: problem+json errors on each operation, one
schema class per name, JSON objects for bodies."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from pydantic import BaseModel

from psa.api import api

SCHEMA = api.get_openapi_schema(path_prefix="/api/v1/")
OPERATIONS = [
    (method.upper(), path, op)
    for path, ops in SCHEMA["paths"].items()
    for method, op in ops.items()
]


def _models(annotation: Any, found: set[type[BaseModel]]) -> None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in found:
            return
        found.add(annotation)
        for field in annotation.model_fields.values():
            _models(field.annotation, found)
        return
    for arg in getattr(annotation, "__args__", ()):
        _models(arg, found)


def test_no_two_schema_classes_share_a_name() -> None:
    # ninja names a component after its class: two classes with one name describe one of
    # them wrongly (WeekHoursOut, ReviewOut once did).
    found: set[type[BaseModel]] = set()
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in operation.response_models.values():
                    _models(model, found)
                for model in operation.models:
                    _models(model, found)
    by_name: dict[str, set[str]] = defaultdict(set)
    for model in found:
        by_name[model.__name__].add(f"{model.__module__}.{model.__qualname__}")
    # ninja's own wrappers: one per operation, named after the operation, never a component.
    clashes = {
        name: where
        for name, where in by_name.items()
        if len(where) > 1 and not name.endswith(("Response", "Params", "BodyParams"))
    }
    assert clashes == {}


def test_every_component_title_is_unique() -> None:
    titles = [s.get("title", name) for name, s in SCHEMA["components"]["schemas"].items()]
    assert len(titles) == len(set(titles))


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=lambda v: str(v)[:60])
def test_each_operation_documents_its_problem_answers(
    method: str, path: str, op: dict[str, Any]
) -> None:
    responses = {str(k): v for k, v in op["responses"].items()}  # ints until dumped
    for status in ("401", "422"):
        assert status in responses
    for status, answer in responses.items():
        if int(status) >= 400:
            assert list(answer["content"]) == ["application/problem+json"]
            assert answer["content"]["application/problem+json"]["schema"] == {
                "$ref": "#/components/schemas/ProblemOut"
            }
    if method != "GET":
        assert {"400", "403"} <= set(responses)


def test_the_gitlab_sync_takes_a_json_object() -> None:
    body = SCHEMA["paths"]["/api/v1/time/gitlab/sync"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    component = SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert component["type"] == "object"
    assert component["properties"]["group"]["maxLength"] == 255
