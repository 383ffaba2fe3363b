"""In a real browser: sign in, create a custom SOW with its milestones, see it listed and on its
page; weights that do not sum to 100 show the error; htmx row adding and milestone marking."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from psa.core.roles import Role
from psa.engagements import rules
from psa.engagements.models import Engagement, Milestone
from tests.browser.conftest import sign_in
from tests.engagements.factories import CustomerFactory
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"  # tests.people.factories.UserFactory's


@pytest.fixture
def coordinator(transactional_db: None) -> Any:
    return PersonFactory.create(
        roles=[Role.PROJECT_COORDINATOR], name="Priya Coordinator", user__username="priya"
    )


def field(page: Any, label: str) -> Any:
    """The control labelled `label` (a required field's label ends in an aria-hidden "*")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def fill_engagement(page: Any, name: str, weights: list[tuple[str, str]]) -> None:
    page.goto("/engagements/new/")
    field(page, "Customer").select_option(label="Acme Logistics")
    field(page, "Name").fill(name)
    field(page, "Kind").select_option("custom_sow")
    field(page, "Contract value").fill("86000.00")
    field(page, "Budget hours").fill("480")
    field(page, "Start date").fill("2027-01-04")
    field(page, "End date").fill("2027-03-26")
    for i in range(4):
        milestone, weight = weights[i] if i < len(weights) else ("", "")
        field(page, f"Milestone {i + 1} name").fill(milestone)
        field(page, f"Milestone {i + 1} weight in percent").fill(weight)
    page.get_by_role("button", name="Create engagement").click()


def test_sign_in_create_a_custom_sow_with_three_milestones_and_see_it(
    browser_page: Any, coordinator: Any
) -> None:
    page = browser_page
    CustomerFactory.create(name="Acme Logistics")
    sign_in(page, "priya", PASSWORD)
    assert page.get_by_role("heading", level=1).inner_text() == "Hello, Priya Coordinator"

    fill_engagement(
        page,
        "GitLab Migration Services",
        [("Discovery", "40"), ("Migration", "30"), ("Handover", "30")],
    )

    page.wait_for_url(re.compile(r"/engagements/\d+/$"))
    assert "GitLab Migration Services" in page.get_by_role("heading", level=1).inner_text()
    rows = page.locator("table.milestones tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == [
        "Discovery",
        "Migration",
        "Handover",
    ]
    assert rows.nth(0).locator("td").nth(1).inner_text() == "40 %"
    assert page.locator("#milestones strong").inner_text() == "0 %"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Engagements").click()
    page.wait_for_url("**/engagements/")
    link = page.get_by_role("link", name="GitLab Migration Services")
    assert link.count() == 1
    link.click()
    page.wait_for_url(re.compile(r"/engagements/\d+/$"))
    assert page.locator("table.milestones tbody tr").count() == 3
    engagement = Engagement.objects.get()
    assert [m.weight for m in engagement.milestones.order_by("position")] == [40, 30, 30]


def test_weights_that_do_not_sum_to_100_show_the_error(browser_page: Any, coordinator: Any) -> None:
    page = browser_page
    CustomerFactory.create(name="Acme Logistics")
    sign_in(page, "priya", PASSWORD)

    fill_engagement(
        page, "Short SOW", [("Discovery", "40"), ("Migration", "30"), ("Handover", "20")]
    )

    alert = page.locator("#milestones-error")
    alert.wait_for()
    assert alert.get_attribute("role") == "alert"
    assert rules.ERR_MILESTONE_SUM.format(total="90") in alert.inner_text()
    assert field(page, "Milestone 3 weight in percent").input_value() == "20"
    assert field(page, "Name").input_value() == "Short SOW"
    assert not Engagement.objects.exists()


def test_htmx_adds_a_milestone_row_and_marks_a_milestone_reached(
    browser_page: Any, coordinator: Any
) -> None:
    page = browser_page
    CustomerFactory.create(name="Acme Logistics")
    sign_in(page, "priya", PASSWORD)
    page.goto("/engagements/new/")
    field(page, "Kind").select_option("custom_sow")
    field(page, "Milestone 1 name").fill("Typed first")

    page.get_by_role("button", name="Add a row").click()

    fifth = field(page, "Milestone 5 name")
    fifth.wait_for()
    assert field(page, "Milestone 1 name").input_value() == "Typed first"
    assert page.url.endswith("/engagements/new/")  # swapped in place, no navigation
    page.wait_for_function("() => document.activeElement?.id === 'id_ms-4-name'")

    fill_engagement(page, "Quarterly SOW", [])  # four default rows of 25 after a fresh load
    page.wait_for_url(re.compile(r"/engagements/\d+/$"))
    assert page.locator("#milestones strong").inner_text() == "0 %"
    page.get_by_role("button", name="Mark 25 % complete as reached").click()
    page.wait_for_function(
        "() => document.querySelector('#milestones strong').textContent.trim() === '25 %'"
    )
    assert Milestone.objects.filter(reached_on__isnull=False).count() == 1

    field(page, "Add a comment").fill("Kick-off booked")
    page.get_by_role("button", name="Add comment").click()
    page.locator("ol.comments li", has_text="Kick-off booked").wait_for()
    assert field(page, "Add a comment").input_value() == ""


def test_screenshots_of_the_engagement_and_person_pages(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    from psa import demo
    from psa.people.models import Person

    demo.load_small()
    page = browser_page
    sign_in(page, "priya.raman", demo.DEMO_PASSWORD)
    engagement = Engagement.objects.get(name="GitLab Migration Services")
    person = Person.objects.get(name="Jordan Miller")

    page.goto(f"/engagements/{engagement.pk}/")
    page.screenshot(path=str(screenshot_dir / "engagement.png"), full_page=True)
    page.goto(f"/people/{person.pk}/")
    # The demo's five days off (two weeks after this one), less any public holiday among them
    # (a holiday takes the day, not the time off): four in a week with 25 December.
    import datetime as dt

    import holidays

    from psa.core import clock, periods

    first = periods.week_start(clock.today()) + dt.timedelta(days=14)
    calendar = holidays.country_holidays(person.country, subdiv=person.subdivision or None)
    days_off = [first + dt.timedelta(days=i) for i in range(5)]
    expected = sum(1 for d in days_off if d not in calendar)
    assert page.locator(".cal .day.pto").count() == expected
    page.screenshot(path=str(screenshot_dir / "person.png"), full_page=True)

    assert (screenshot_dir / "engagement.png").stat().st_size > 10_000
    assert (screenshot_dir / "person.png").stat().st_size > 10_000


def test_home_shows_what_each_person_owes_on_a_phone_and_at_a_desk(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    from psa import demo

    demo.load_small()
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "alex.rivera", demo.DEMO_PASSWORD)
    page.goto("/")
    owed = page.locator("#owed li")
    assert owed.count() >= 1
    # each item is a link to where it is settled
    assert owed.locator("a").count() == owed.count()
    page.screenshot(path=str(screenshot_dir / "home-owed-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "marcus.chen", demo.DEMO_PASSWORD)
    page.goto("/")
    texts = page.locator("#owed li").all_inner_texts()
    assert any("wait for your decision" in t or "of your team" in t for t in texts), texts
    page.screenshot(path=str(screenshot_dir / "home-owed.png"), full_page=True)


def test_the_audit_page_reads_in_names_and_fits_its_columns(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    from psa import demo

    demo.load_small()
    page = browser_page
    sign_in(page, "dana.whitfield", demo.DEMO_PASSWORD)
    page.goto("/audit/")
    table = page.locator("table.audit")
    assert table.locator("tbody tr").count() >= 10
    text = table.inner_text()
    # labels, not column names; no "_id" keys left
    assert "_id" not in text
    # the table fits the page: no column pushed past the right edge
    box = table.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= 1280
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(screenshot_dir / "audit.png"), full_page=False)
