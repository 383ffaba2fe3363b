"""Scheduling in a real browser: a manager requests someone who is booked (the live check says it
does not fit) and sends it anyway; the coordinator opens the queue, the request and its proposals,
books another PSE, and the booking shows on the board. Screenshots of the board and a request
review with the demo data."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from psa.core import clock, periods
from psa.core.roles import SYSTEM, Role
from psa.engagements.models import Status
from psa.scheduling import services
from psa.scheduling.models import AssignmentRequest, Booking
from tests.browser.conftest import sign_in
from tests.engagements.factories import EngagementFactory
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"  # tests.people.factories.UserFactory's
NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
MON = dt.date(2026, 12, 7)


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    # The live server runs in another thread of this process: it reads the same clock.
    with clock.frozen(NOW):
        yield


def field(page: Any, label: str) -> Any:
    """The control labelled `label` (a required field's label ends in an aria-hidden "*")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/**")


def test_request_conflict_proposal_and_board(
    browser_page: Any, transactional_db: None, frozen_clock: None
) -> None:
    PersonFactory.create(roles=[Role.DELIVERY_MANAGER], name="Marcus Chen", user__username="marcus")
    PersonFactory.create(
        roles=[Role.PROJECT_COORDINATOR], name="Priya Raman", user__username="priya"
    )
    alex = PersonFactory.create(roles=[Role.PSE], name="Alex Rivera")
    sam = PersonFactory.create(roles=[Role.PSE], name="Sam Patel")
    engagement = EngagementFactory.create(name="GitLab Migration Services", status=Status.ACTIVE)
    other = EngagementFactory.create(name="Kubernetes Integration", status=Status.ACTIVE)
    seeded = services.request_create(
        actor=SYSTEM,
        engagement=other,
        person=alex,
        start_date=MON,
        end_date=MON + dt.timedelta(days=4),
        hours=Decimal("40"),
    )
    services.request_confirm(actor=SYSTEM, request=seeded)  # Alex is full that week
    page = browser_page

    # The manager fills the request form; the live check says it does not fit.
    sign_in(page, "marcus", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Schedule").click()
    page.wait_for_url("**/schedule/")
    page.get_by_role("navigation", name="Scheduling").get_by_role(
        "link", name="New request"
    ).click()
    page.wait_for_url("**/schedule/requests/new/")
    field(page, "Engagement").select_option(str(engagement.pk))
    field(page, "Person").select_option(label="Alex Rivera")
    field(page, "Start date").fill("2026-12-08")
    field(page, "End date").fill("2026-12-09")
    field(page, "Hours").fill("16")
    verdict = page.locator("#availability .verdict")
    verdict.wait_for()
    page.wait_for_function(
        "() => document.querySelector('#availability .verdict')"
        ".textContent.includes('Does not fit')"
    )
    assert "Does not fit: 2 of 2 working days short." in verdict.inner_text()
    assert "Tue 8 Dec: 8.00 h asked, 0.00 h free" in page.locator("#availability").inner_text()
    assert page.locator("#availability table.days tbody tr").count() == 2

    field(page, "Hours").fill("8")  # half the hours: still short, by less
    page.wait_for_function(
        "() => document.querySelector('#availability').textContent.includes('4.00 h asked')"
    )
    field(page, "Hours").fill("16")
    field(page, "Note").fill("Migration kick-off")
    page.get_by_role("button", name="Send request").click()
    page.wait_for_url(re.compile(r"/schedule/requests/\d+/$"))
    request = AssignmentRequest.objects.get(engagement=engagement)
    assert request.status == AssignmentRequest.Status.OPEN
    assert request.hours == Decimal("16.00")
    assert "sent to the project coordinator" in page.locator(".messages").inner_text()
    sign_out(page)

    # The coordinator opens the queue, the request and its proposals, and books Sam.
    sign_in(page, "priya", PASSWORD)
    page.goto("/schedule/")
    page.get_by_role("navigation", name="Scheduling").get_by_role("link", name="Requests").click()
    page.wait_for_url("**/schedule/requests/")
    row = page.locator("table.requests tbody tr", has_text="Alex Rivera")
    assert "✗ Conflict" in row.inner_text()
    row.get_by_role("link", name="Alex Rivera").click()
    page.wait_for_url(f"**/schedule/requests/{request.pk}/")
    assert "Does not fit" in page.locator(".verdict").inner_text()
    proposals = page.locator("ol.proposals li")
    assert proposals.count() >= 3
    assert proposals.filter(has_text="Sam Patel").count() == 1
    page.get_by_role("button", name=re.compile(r"^Book this: Sam Patel, Tue 8 Dec")).click()
    page.wait_for_url(f"**/schedule/requests/{request.pk}/")
    assert "confirmed: booking #" in page.locator(".messages").inner_text()
    booking = Booking.objects.get(request=request)
    assert booking.person == sam
    assert (booking.start_date, booking.end_date) == (dt.date(2026, 12, 8), dt.date(2026, 12, 9))

    # The booking shows on the board; its week opens in the panel (keyboard works too).
    page.get_by_role("link", name="See it on the board").click()
    page.wait_for_url(f"**/schedule/board/{sam.pk}/2026-12-07/**")
    assert "GitLab Migration Services" in page.locator("table.bookings").inner_text()
    page.goto("/schedule/?start=2026-12-07&weeks=4")
    cell = page.locator(f'a[href="/schedule/board/{sam.pk}/2026-12-07/"]')
    assert cell.inner_text().split()[0] == "16/40"
    assert cell.locator("xpath=..").get_attribute("class") == "load light"  # under half
    cell.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#cell-panel")
    panel.locator("table.bookings").wait_for()
    assert "Sam Patel · week of Mon 7 Dec 2026" in panel.inner_text()
    assert "GitLab Migration Services" in panel.inner_text()
    assert page.url.endswith("/schedule/?start=2026-12-07&weeks=4")  # swapped in, no navigation
    page.wait_for_function("() => document.activeElement?.id === 'cell-title'")


def test_screenshots_of_the_board_and_a_request_review(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    from psa import demo
    from psa.engagements.models import Engagement
    from psa.people.models import Person
    from psa.people.selectors import actor_for

    demo.load_small()
    # One more request for the queue: Lena is fully booked that week, so it shows proposals.
    lena = Person.objects.get(name="Lena Fischer")
    marcus = Person.objects.get(name="Marcus Chen")
    assert marcus.user is not None
    monday = periods.week_start(clock.today()) + dt.timedelta(weeks=2)
    request = services.request_create(
        actor=actor_for(marcus.user),
        engagement=Engagement.objects.get(name="GitLab Migration Services"),
        person=lena,
        start_date=monday,
        end_date=monday + dt.timedelta(days=2),
        hours=Decimal("24"),
        skill="Security",
        note="Security review for the migration",
    )
    page = browser_page
    sign_in(page, "priya.raman", demo.DEMO_PASSWORD)

    page.goto("/schedule/")
    assert (
        page.locator("table.board tbody tr").count()
        == Person.objects.filter(role_rows__role=Role.PSE).count()
    )
    page.locator("table.board td.load.full a").first.click()
    page.locator("#cell-panel table.bookings").wait_for()
    page.screenshot(path=str(screenshot_dir / "schedule-board.png"), full_page=True)

    page.goto(f"/schedule/requests/{request.pk}/")
    assert page.locator("ol.proposals li").count() >= 1
    page.screenshot(path=str(screenshot_dir / "request-review.png"), full_page=True)

    assert (screenshot_dir / "schedule-board.png").stat().st_size > 10_000
    assert (screenshot_dir / "request-review.png").stat().st_size > 10_000


def test_the_coordinator_imports_the_team_spreadsheet_and_a_pse_downloads_it_on_a_phone(
    browser_page: Any,
    transactional_db: None,
    frozen_clock: None,
    tmp_path: Path,
    screenshot_dir: Path,
) -> None:
    from openpyxl import Workbook, load_workbook

    PersonFactory.create(
        roles=[Role.PROJECT_COORDINATOR], name="Priya Coordinator", user__username="priya"
    )
    PersonFactory.create(
        roles=[Role.PSE],
        name="Maximiliane Oberhauser-Castellanos de la Fuente",
        email="max@example.com",
        timezone="Europe/Berlin",
        user__username="max",
    )
    EngagementFactory.create(
        customer__name="Acme Corporation", name="GitLab Migration", status=Status.ACTIVE
    )

    def workbook(hours: object) -> Path:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["Resource", "Engagement", "Task", "Start", "End", "Hours", "Firmness"])
        sheet.append(["max@example.com", "Acme Corporation — GitLab Migration", None, MON,
                      MON + dt.timedelta(days=2), hours, "confirmed"])  # fmt: skip
        thursday = MON + dt.timedelta(days=3)
        sheet.append(["Maximiliane Oberhauser-Castellanos de la Fuente", None, "Knowledge Sharing",
                      thursday, thursday, 4, "internal"])  # fmt: skip
        path = tmp_path / f"plan-{hours}.xlsx"
        book.save(path)
        return path

    page = browser_page
    sign_in(page, "priya", PASSWORD)
    page.goto("/schedule/spreadsheet/")
    page.locator("#import-file").set_input_files(str(workbook("24 h")))
    page.get_by_role("button", name="Check the spreadsheet").click()
    page.locator("#import-problems").wait_for()
    assert [
        r.split("\t")[:2] for r in page.locator("#import-problems tbody tr").all_inner_texts()
    ] == [["2", "Hours"]]
    assert Booking.objects.count() == 0
    page.screenshot(path=str(screenshot_dir / "schedule-sheet-problems.png"), full_page=True)

    page.goto("/schedule/spreadsheet/")
    page.locator("#import-file").set_input_files(str(workbook(24)))
    page.get_by_role("button", name="Check the spreadsheet").click()
    page.locator("#import-ready").wait_for()
    assert (
        "2 bookings (28.00 h for 1 person) from 2 rows"
        in page.locator("#import-ready").inner_text()
    )
    page.get_by_role("button", name="Import 2 bookings").click()
    page.locator("#import-done").wait_for()
    assert sorted(Booking.objects.values_list("task_name", "hours")) == [
        ("", Decimal("24.00")),
        ("Knowledge Sharing", Decimal("4.00")),
    ]

    # The PSE, on a phone: no upload, a download of December
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "max", PASSWORD)
    page.goto("/schedule/spreadsheet/")
    assert page.locator("#import-file").count() == 0
    page.locator("#id_start").fill("2026-12-01")
    page.locator("#id_end").fill("2026-12-31")
    page.screenshot(path=str(screenshot_dir / "schedule-sheet-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # a compact header: brand and login on one line, the menu on one line that scrolls, and
    # the current tab scrolled into sight
    header = page.locator("header.top").bounding_box()
    assert header is not None
    assert header["height"] <= 80
    tab = page.locator('.subnav [aria-current="page"]').bounding_box()
    assert tab is not None
    assert tab["x"] >= 0
    assert tab["x"] + tab["width"] <= 390
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    saved = tmp_path / "downloaded.xlsx"
    download.value.save_as(saved)
    rows = list(load_workbook(saved).worksheets[0].iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["max@example.com", "max@example.com"]
