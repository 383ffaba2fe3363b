"""Charts where people look, in a real browser at a desk and on a phone (390×844): the weekly
review, the quarterly report, the certification queue, the engagement list's budget burn and
My week — the SVG in sight, its numbers one click away, nothing scrolling the page sideways.
My week a day at a time on the phone, the whole week at a desk; the request form and My
schedule usable with one thumb."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 900}


@pytest.fixture
def demo_data(transactional_db: None) -> Any:
    from psa import demo

    demo.load_small()
    return demo


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def chart_in_sight(page: Any, chart_id: str) -> None:
    svg = page.locator(f"#{chart_id} svg")
    svg.wait_for()
    assert svg.is_visible()
    box = svg.bounding_box()
    assert box is not None
    assert box["width"] > 200
    assert box["height"] > 40  # one row of a bar per person is 50 px
    page.locator(f"#{chart_id} summary").click()
    assert page.locator(f"#{chart_id} details tbody tr").first.is_visible()


@pytest.mark.parametrize(("size", "suffix"), [(DESK, ""), (PHONE, "-phone")])
def test_the_charts_at_a_desk_and_on_a_phone(
    browser_page: Any,
    demo_data: Any,
    screenshot_dir: Path,
    tmp_path: Path,
    size: dict[str, int],
    suffix: str,
) -> None:
    # The docs show the desk's; the phone's are looked at, not kept.
    shots = tmp_path if suffix else screenshot_dir
    page = browser_page
    page.set_viewport_size(size)
    sign_in(page, "priya.raman", demo_data.DEMO_PASSWORD)
    page.goto("/schedule/review/")
    chart_in_sight(page, "review-hours-chart")
    chart_in_sight(page, "review-utilization-chart")
    assert page.locator("#review-hours-chart rect.bar").count() > 0
    no_sideways_scroll(page)
    page.locator("#charts").screenshot(path=str(shots / "review-charts.png"))

    page.goto("/engagements/")
    page.locator("td.burn .meter svg").first.wait_for()
    assert page.locator("td.burn .meter svg").first.is_visible()
    no_sideways_scroll(page)
    page.screenshot(path=str(shots / "engagement-burn.png"))

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "dana.whitfield", demo_data.DEMO_PASSWORD)
    page.goto("/time/certifications/")
    figure = page.locator("figure.hchart").first
    figure.wait_for()
    chart_in_sight(page, figure.get_attribute("id"))
    no_sideways_scroll(page)
    figure.screenshot(path=str(shots / "certification-chart.png"))

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "jordan.miller", demo_data.DEMO_PASSWORD)
    page.goto("/time/report/")
    chart_in_sight(page, "report-epics-chart")
    chart_in_sight(page, "report-weeks-chart")
    no_sideways_scroll(page)
    page.locator("#charts").screenshot(path=str(shots / "report-charts.png"))


def visible_days(page: Any) -> list[str]:
    heads = page.locator("table.week-grid thead th[data-day]")
    return [h.get_attribute("data-date") for h in heads.all() if h.is_visible()]


def test_my_week_a_day_at_a_time_on_a_phone_and_the_whole_week_at_a_desk(
    browser_page: Any, demo_data: Any, screenshot_dir: Path
) -> None:
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, "jordan.miller", demo_data.DEMO_PASSWORD)
    page.goto("/time/")
    page.get_by_role("link", name="← Previous week").click()  # the demo logs the weeks before
    page.locator("table.week-grid tbody th").first.wait_for()
    nav = page.locator("#day-nav")
    assert nav.is_visible()
    monday = page.locator("table.week-grid thead th[data-day='1']").get_attribute("data-date")
    assert visible_days(page) == [monday]  # not this week: from its Monday
    assert nav.locator(".day-shown").inner_text().startswith("Monday ")
    assert nav.get_by_role("button", name="Previous day").is_disabled()
    nav.get_by_role("button", name="Next day").click()
    tuesday = page.locator("table.week-grid thead th[data-day='2']").get_attribute("data-date")
    assert visible_days(page) == [tuesday]
    assert nav.locator(".day-shown").inner_text().startswith("Tuesday ")
    # The day's cells are the day's: their labels name it, and they fill the width.
    cells = [c for c in page.locator("table.week-grid tbody input").all() if c.is_visible()]
    assert cells
    box = cells[0].bounding_box()
    assert box is not None
    assert box["height"] >= 40
    # ... and they are on the screen, not off to the right of the grid's frame.
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    no_sideways_scroll(page)
    chart_in_sight(page, "week-days-chart")
    page.screenshot(path=str(screenshot_dir / "my-week-phone.png"), full_page=True)

    page.set_viewport_size(DESK)  # wider than a tablet: the whole week again
    page.wait_for_function("() => !document.querySelector('table.week-grid.one-day')")
    assert not nav.is_visible()
    assert len(visible_days(page)) == 7


def test_my_week_without_script_on_a_phone_is_the_whole_week(
    chromium: Any, live_server: Any, demo_data: Any
) -> None:
    context = chromium.new_context(
        base_url=live_server.url, viewport=PHONE, java_script_enabled=False
    )
    page = context.new_page()
    try:
        sign_in(page, "jordan.miller", demo_data.DEMO_PASSWORD)
        page.goto("/time/")
        assert not page.locator("#day-nav").is_visible()
        assert len(visible_days(page)) == 7  # the grid scrolls in its frame, the page does not
        no_sideways_scroll(page)
    finally:
        context.close()


@pytest.mark.parametrize(
    ("path", "shot"),
    [
        ("/schedule/requests/new/", "request-form-phone.png"),
        ("/schedule/me/", "my-schedule-phone.png"),
    ],
)
def test_the_request_form_and_my_schedule_with_one_thumb(
    browser_page: Any, demo_data: Any, screenshot_dir: Path, path: str, shot: str
) -> None:
    page = browser_page
    page.set_viewport_size(PHONE)
    sign_in(page, "jordan.miller", demo_data.DEMO_PASSWORD)
    page.goto(path)
    no_sideways_scroll(page)
    controls = page.locator(
        "main form input:not([type=hidden]):not([type=checkbox]):not([type=radio]), "
        "main form select, main form textarea, main form button"
    )
    assert controls.count() > 0
    for control in controls.all():
        if not control.is_visible():
            continue
        box = control.bounding_box()
        assert box is not None
        # A thumb's target: tall enough, and inside the screen.
        assert box["height"] >= 40, (control.evaluate("e => e.outerHTML")[:120], box)
        if not control.evaluate("e => !!e.closest('.table-wrap')"):  # a table scrolls
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=str(screenshot_dir / shot), full_page=True)
