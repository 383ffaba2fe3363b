"""The Content-Security-Policy: on every response, kept by every template (no inline script,
event handler or style), and the API docs page served from PSA alone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

from psa.core.middleware import API_DOCS_POLICY, CONTENT_SECURITY_POLICY

SRC = Path(__file__).resolve().parents[2] / "src" / "psa"
TEMPLATES = sorted(SRC.glob("**/templates/**/*.html"))

# What the policy forbids in markup: a <script> with a body (data blocks of type
# application/json are not scripts), <style>, style="…", on…="…" attributes and htmx's
# hx-on (evaluated code, which htmx-config's allowEval=false turns off).
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
INLINE_STYLE = re.compile(r"<style\b|\sstyle=")
EVENT_HANDLER = re.compile(r"\s(?:on[a-z]+|hx-on[^\s=]*)\s*=", re.IGNORECASE)
JS_URL = re.compile(r"javascript:", re.IGNORECASE)


def test_the_policy_allows_only_psa_itself() -> None:
    assert CONTENT_SECURITY_POLICY == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
    # the API docs page also shows its stylesheet's data: icons
    assert API_DOCS_POLICY == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/login/",
        "/",
        "/no-such-page/",
        "/healthz",
        "/api/v1/openapi.json",
        "/api/v1/people",
        "/static/psa/psa.css",
    ],
)
def test_every_response_carries_the_policy(client: Client, path: str) -> None:
    response = client.get(path)
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.django_db
def test_the_api_docs_page_carries_its_own_policy(client: Client) -> None:
    assert client.get("/api/v1/docs")["Content-Security-Policy"] == API_DOCS_POLICY


def test_the_templates_were_found() -> None:
    assert len(TEMPLATES) > 40
    assert SRC / "templates" / "base.html" in TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_template_has_inline_script_or_style(template: Path) -> None:
    text = template.read_text()
    found = [
        f"{what}: {match.group(0)!r}"
        for what, pattern in [
            ("inline script", INLINE_SCRIPT),
            ("inline style", INLINE_STYLE),
            ("event handler", EVENT_HANDLER),
            ("javascript: URL", JS_URL),
        ]
        for match in pattern.finditer(text)
    ]
    assert found == []


@pytest.mark.django_db
def test_the_api_docs_page_loads_everything_from_psa(client: Client) -> None:
    html = client.get("/api/v1/docs").content.decode()
    references = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
    assert sorted(references) == [
        "/static/ninja/favicon.png",
        "/static/ninja/favicon.svg",
        "/static/ninja/swagger-ui-bundle.js",
        "/static/ninja/swagger-ui-init.js",
        "/static/ninja/swagger-ui.css",
    ]
    assert "//" not in "".join(references)  # no other host, not even scheme-relative
    assert not INLINE_SCRIPT.search(html)
    for path in references:
        assert client.get(path).status_code == 200, path
