"""In a real browser: the coordinator's notifications (the header's count, opening one, marking
the rest read) at a desk and on a phone; a new login's invitation link sets the password once,
with every problem said at once, and a used link says so."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from psa.core.roles import SYSTEM
from psa.people import services
from psa.people.models import Person
from tests.browser.conftest import sign_in
from tests.people.test_services import valid_input

pytestmark = pytest.mark.browser
LINK = re.compile(r"http://127\.0\.0\.1:8000(/invite/[A-Za-z0-9_-]+/)")


def test_the_coordinator_opens_a_notification_and_marks_the_rest_read(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    from psa import demo

    demo.load_small()
    page = browser_page
    sign_in(page, "priya.raman", demo.DEMO_PASSWORD)
    badge = page.locator("header .who .badge")
    unread = int(badge.inner_text())
    assert unread >= 1
    page.get_by_role("link", name=re.compile(r"^Notifications")).click()
    page.wait_for_url("**/notifications/")
    first = page.locator("ul.notifications li.unread").first
    text = first.locator(".text").inner_text()
    assert (
        text.startswith(("Marcus Chen asks for", "Dana Whitfield asks for")) or " asks for " in text
    )
    page.screenshot(path=str(screenshot_dir / "notifications.png"), full_page=True)
    first.get_by_role("button", name="Open").click()
    page.wait_for_url(re.compile(r".*/schedule/requests/\d+/$"))
    assert int(page.locator("header .who .badge").inner_text()) == unread - 1
    page.goto("/notifications/?show=unread")
    assert page.locator("#showing").inner_text().startswith("Showing your unread notifications")
    page.get_by_role("button", name="Mark all shown read").click()
    page.wait_for_url("**/notifications/?show=unread")
    assert page.locator("header .who .badge").count() == 0
    assert page.get_by_text("Nothing unread.").is_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/notifications/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "notifications-phone.png"), full_page=True)


def test_an_invitation_link_sets_the_password_once_on_a_phone(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    person: Person = services.person_create(
        actor=SYSTEM,
        data=valid_input(name="Aleksandra Wiśniewska-Montgomery", email="ola@example.com"),
        username="ola",
    )
    assert person.user is not None
    found = LINK.search(str(mail.outbox[-1].body))
    assert found is not None
    link = found.group(1)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(link)
    assert page.locator("h1").inner_text() == "Welcome to PSA, Aleksandra Wiśniewska-Montgomery"
    page.get_by_label(re.compile("^New password")).fill("short")
    page.get_by_label(re.compile("^The same password again")).fill("shorter")
    page.get_by_role("button", name="Set my password").click()
    errors = page.locator(".field-error, .errorlist li").all_inner_texts()
    assert "This password is too short. It must contain at least 8 characters." in errors
    assert services.ERR_PASSWORDS_DIFFER in errors
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshot_dir / "invitation-phone.png"), full_page=True)
    page.get_by_label(re.compile("^New password")).fill("ola's long password")
    page.get_by_label(re.compile("^The same password again")).fill("ola's long password")
    page.get_by_role("button", name="Set my password").click()
    page.wait_for_url("**/login/")
    assert page.get_by_text("Password set. Sign in as ola.").is_visible()
    sign_in(page, "ola", "ola's long password")
    page.goto(link)
    assert page.locator("h1").inner_text() == "This invitation link cannot be used"
    assert (
        page.locator("#invitation-problem")
        .inner_text()
        .startswith("This invitation was used already")
    )
