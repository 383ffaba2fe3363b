"""Browser tests: Playwright (sync API) driving Debian's chromium against pytest-django's
live server. Playwright's sync API runs an event loop in the test thread, so Django's async-safety
check must be relaxed for the ORM calls the tests make alongside it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        missing = f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        # CI must run the page tests (.ci/run sets this): there a missing chromium fails them.
        if os.environ.get("PSA_REQUIRE_BROWSER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Every Content-Security-Policy violation, as the page itself sees it (the event also covers
# what chromium does not log, e.g. a report-only directive). The policy refuses eval(), so
# page.wait_for_function takes a function ("() => …"), which Playwright calls through the
# DevTools protocol, never an expression string, which it polls with eval().
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.psaCspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}`
    + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber}`);
});
"""


@pytest.fixture
def browser_page(chromium: Any, live_server: Any, transactional_db: None) -> Iterator[Any]:
    """A fresh browser tab on the live server; fails the test on a JavaScript error or a
    Content-Security-Policy violation."""
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    violations: list[str] = []
    context.expose_function("psaCspViolation", lambda text: violations.append(text))
    context.add_init_script(REPORT_CSP_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    page.csp_violations = violations
    yield page
    context.close()
    assert not violations, violations
    assert not [e for e in errors if "status of 4" not in e], errors


def sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """docs/screenshots when PSA_SCREENSHOTS=1 (to refresh the committed ones), else tmp."""
    if os.environ.get("PSA_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path
