"""In a real browser, on a phone: the head of PS sets a dated cost rate on a person's page
(a long name) and sees it beside the one before, which now has a last day; finance opens the
rate gaps and follows a gap to the person whose rate is missing; a coordinator sets a bill
rate."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from psa import demo
from psa.core import clock
from psa.people.models import CostRate, Person
from tests.browser.conftest import sign_in
from tests.smtp import Inbox

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_a_dated_cost_rate_and_the_gap_before_a_first_rate(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    demo.load_small()
    page = browser_page
    page.set_viewport_size(PHONE)
    person = Person.objects.get(name="Jordan Miller")
    Person.objects.filter(pk=person.pk).update(name="Jordan Alexander Montgomery-Miller")
    first = CostRate.objects.get(person=person)
    next_year = dt.date(clock.today().year + 1, 2, 1)

    sign_in(page, "dana.whitfield", demo.DEMO_PASSWORD)
    page.goto(f"/people/{person.pk}/#cost-rates")
    page.locator("#id_rate-effective_from").fill(next_year.isoformat())
    page.locator("#id_rate-rate").fill("97.25")
    page.locator("#id_rate-currency").select_option("EUR")
    page.locator("#cost-rates").get_by_role("button", name="Save rate").click()
    page.wait_for_url(f"**/people/{person.pk}/#cost-rates")
    rows = page.locator("#cost-rates tbody tr")
    assert rows.count() == 2
    assert (
        rows.nth(0)
        .locator("td")
        .nth(1)
        .inner_text()
        .startswith((next_year - dt.timedelta(days=1)).strftime("%a %-d %b %Y"))
    )
    assert rows.nth(1).locator("td").nth(2).inner_text() == "97.25 EUR"
    assert page.locator("#cost-rates tr.current td").first.inner_text() == (
        first.effective_from.strftime("%a %-d %b %Y")
    )
    # Nothing on the phone scrolls the page sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "person-cost-rates.png"), full_page=True)

    # Without a first rate, this person's hours are a gap on the finance page.
    first.delete()
    page.context.clear_cookies()
    sign_in(page, "ellen.okafor", demo.DEMO_PASSWORD)
    page.get_by_role("link", name="Finance").click()
    page.wait_for_url("**/finance/utilization/")
    page.get_by_role("link", name="Rate gaps").click()
    page.wait_for_url("**/finance/rates/")
    gap = page.locator("#cost tbody tr").filter(has_text="Jordan Alexander Montgomery-Miller")
    assert gap.count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "finance-rate-gaps.png"), full_page=True)
    gap.get_by_role("link").click()
    page.wait_for_url(f"**/people/{person.pk}/#cost-rates")
    assert page.locator("#cost-rates tbody tr").count() == 1  # the rate from next year only


def test_a_coordinator_sets_a_bill_rate_on_a_phone(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    from psa.engagements.models import Engagement

    demo.load_small()
    page = browser_page
    page.set_viewport_size(PHONE)
    engagement = Engagement.objects.get(name="Embedded DevOps Engineer")
    sign_in(page, "priya.raman", demo.DEMO_PASSWORD)
    page.goto(f"/engagements/{engagement.pk}/#bill-rates")
    before = page.locator("#bill-rates tbody tr").count()
    next_year = dt.date(clock.today().year + 1, 2, 1)
    page.locator("#id_rate-effective_from").fill(next_year.isoformat())
    page.locator("#id_rate-rate").fill("0")
    page.locator("#bill-rates").get_by_role("button", name="Save rate").click()
    # A 0 rate alone would leave time and materials unbilled: with a paid rate before it, it
    # is taken (a goodwill month), and shown as in force from its day.
    page.wait_for_url(f"**/engagements/{engagement.pk}/#bill-rates")
    assert page.locator("#bill-rates tbody tr").count() == before + 1
    assert page.locator("#bill-rates tbody tr").last.locator("td").nth(2).inner_text() == (
        f"0.00 {engagement.currency}"
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "engagement-bill-rates.png"), full_page=False)


def test_utilization_for_the_quarter_on_a_phone_and_by_team(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    demo.load_small()
    page = browser_page
    sign_in(page, "ellen.okafor", demo.DEMO_PASSWORD)
    page.get_by_role("link", name="Finance").click()
    page.wait_for_url("**/finance/utilization/")
    rows = page.locator("#utilization table").first.locator("tbody tr")
    # Everyone employed so far this quarter (the new hire starts later).
    assert rows.count() == Person.objects.filter(start_date__lte=clock.today()).count()
    assert page.locator("#utilization tfoot th").text_content() == "Everyone"
    # The chart: the quarter's months so far, with the numbers one click away.
    assert page.locator("#utilization-chart svg rect.bar").count() >= 2
    page.locator("#utilization-chart summary").click()
    assert page.locator("#utilization-chart details tbody tr").count() == 3
    page.screenshot(path=str(screenshot_dir / "finance-utilization.png"), full_page=True)
    page.locator("#id_group").select_option("team")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**group=team**")
    teams = page.locator("#utilization table").first.locator("tbody th").all_inner_texts()
    assert teams[-1] == "No manager"
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "finance-utilization-phone.png"), full_page=False)
    # A person's hours lead to the entries behind them, which add up to the same figure.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#id_group").select_option("person")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**group=person**")
    links = page.locator("#utilization tbody a[title='The entries behind it']")
    figures = links.all_inner_texts()
    worked = next(i for i, f in enumerate(figures) if f != "0.00")
    link, figure = links.nth(worked), figures[worked]
    link.click()
    page.wait_for_url("**/finance/entries/**")
    assert page.locator("#total-hours").inner_text() == figure
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "finance-entries-phone.png"), full_page=False)


def test_the_forecast_on_a_phone(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    demo.load_small()
    page = browser_page
    sign_in(page, "ellen.okafor", demo.DEMO_PASSWORD)
    page.goto("/finance/utilization/")
    page.get_by_role("link", name="Forecast").click()
    page.wait_for_url("**/finance/forecast/")
    assert page.locator("#weeks tbody tr").count() == 13
    assert page.locator("#forecast-chart svg rect.marker").count() == 13  # capacity each week
    assert page.locator("#revenue-totals li").count() >= 1
    page.screenshot(path=str(screenshot_dir / "finance-forecast.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_revenue_for_the_quarter_on_a_phone(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    demo.load_small()
    page = browser_page
    sign_in(page, "ellen.okafor", demo.DEMO_PASSWORD)
    page.goto("/finance/utilization/")
    page.locator(".crumbs").get_by_role("link", name="Revenue").click()
    page.wait_for_url("**/finance/revenue/")
    assert page.locator("#revenue").count() == 1
    assert page.locator("#charts figure.chart").count() >= 1
    assert page.locator("#unapproved tbody tr").count() >= 1
    page.screenshot(path=str(screenshot_dir / "finance-revenue.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_margin_and_closing_a_period(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    from psa.finance.models import FiscalPeriod

    demo.load_small()
    page = browser_page
    sign_in(page, "ellen.okafor", demo.DEMO_PASSWORD)
    page.goto("/finance/margin/")
    assert page.locator("#margin tbody tr").count() >= 1
    assert page.locator("#charts figure.chart svg rect.bar").count() >= 1
    page.screenshot(path=str(screenshot_dir / "finance-margin.png"), full_page=True)
    page.set_viewport_size(PHONE)
    assert page.locator("#id_as_of").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator(".crumbs").get_by_role("link", name="Closed periods").click()
    page.wait_for_url("**/finance/periods/")
    page.locator("#close form button").first.click()  # the last month that has ended
    page.wait_for_url("**/finance/periods/")
    assert FiscalPeriod.objects.count() == 1
    assert page.locator("#closed tbody tr").count() == 1
    assert page.locator("#close form button", has_text="Close Nov").count() == 0  # closed now
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "finance-periods-phone.png"), full_page=True)


def test_the_close_out_from_the_engagement_page_says_what_is_missing(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    from psa.engagements.models import Engagement

    demo.load_small()
    page = browser_page
    page.set_viewport_size(PHONE)
    engagement = Engagement.objects.get(name="GitLab Migration Services")
    sign_in(page, "ellen.okafor", demo.DEMO_PASSWORD)
    page.goto(f"/engagements/{engagement.pk}/")
    page.get_by_role("link", name="Close-out").click()
    page.wait_for_url(f"**/finance/close-out/{engagement.pk}/")
    # The demo's time on it is not finally approved: the page says whose, and offers no file.
    assert (
        page.locator("#refused")
        .inner_text()
        .startswith("Time on this engagement is not finally approved yet:")
    )
    assert page.get_by_role("link", name="Download XLSX").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "finance-close-out-refused.png"), full_page=True)


def test_filing_a_close_out_by_email_as_finance_on_a_phone(
    browser_page: Any, transactional_db: None, screenshot_dir: Path, smtp: Inbox
) -> None:
    from psa.core.roles import Role
    from psa.engagements.models import Engagement, Status
    from psa.people.selectors import actor_for
    from tests.finance.conftest import NOW
    from tests.finance.conftest import books as make_books
    from tests.finance.test_close_out import approve_bo
    from tests.people.factories import PersonFactory

    def make(*roles: str, **fields: Any) -> Person:
        return PersonFactory.create(roles=list(roles), **fields)

    def actor_of(p: Person) -> Any:
        assert p.user is not None
        return actor_for(p.user)

    books = make_books.__wrapped__(make, actor_of)  # type: ignore[attr-defined]
    approve_bo(books, actor_of)
    make(Role.CONTROLLER, email="controller@example.com")
    make(Role.FINANCE_BUSINESS_PARTNER, email="fbp@example.com")
    Engagement.objects.filter(pk=books.sow.pk).update(status=Status.ACTIVE)
    page = browser_page
    page.set_viewport_size(PHONE)
    with clock.frozen(NOW):
        assert books.finance.user is not None
        sign_in(page, books.finance.user.username, "correct-horse-battery")
        page.goto(f"/finance/close-out/{books.sow.pk}/")
        page.get_by_role("button", name="E-mail to the controller and finance partner").click()
        page.wait_for_url(f"**/finance/close-out/{books.sow.pk}/")
    assert page.locator("#filing-status").inner_text() == "Filed"
    # The approvals before sent their own e-mails; the close-out went to both, once.
    filed = [to for _, to, _ in smtp.messages if "controller@example.com" in to]
    assert filed == [["controller@example.com", "fbp@example.com"]]
    assert Engagement.objects.get(pk=books.sow.pk).status == Status.COMPLETE
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / "finance-close-out-filed.png"), full_page=True)
