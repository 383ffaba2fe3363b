"""The committed docs/openapi.json matches the code, so every API change is deliberate."""

from pathlib import Path

from psa.api import openapi_json

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def test_committed_openapi_schema_is_current() -> None:
    assert COMMITTED.exists(), "run: uv run psa openapi -o docs/openapi.json"
    assert COMMITTED.read_text() == openapi_json(), (
        "the API changed: review it, then run `uv run psa openapi -o docs/openapi.json`"
    )
