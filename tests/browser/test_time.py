"""Time in a real browser: a PSE opens My week, adds a row, types hours into the cells, saves,
sees the totals and submits the week. A screenshot of My week with the demo data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from psa.core import clock
from psa.core.roles import Role
from psa.timetracking.epics import seed
from psa.timetracking.models import Epic, TimeEntry, Timesheet, WorkItem
from tests.browser.conftest import sign_in
from tests.people.factories import PersonFactory
from tests.timetracking.factories import QuarterlyCertificationFactory, WorkItemFactory

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"  # tests.people.factories.UserFactory's
NOW = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)  # a Wednesday
MON = dt.date(2026, 11, 16)  # the week before: no US holiday


@pytest.fixture
def frozen_clock(transactional_db: None) -> Iterator[None]:
    seed(Epic, WorkItem)  # a transactional test starts from an empty database
    # The live server runs in another thread of this process: it reads the same clock.
    with clock.frozen(NOW):
        yield


def test_a_pse_logs_a_week_and_submits_it(
    browser_page: Any, transactional_db: None, frozen_clock: None
) -> None:
    pse = PersonFactory.create(roles=[Role.PSE], name="Alex Rivera", user__username="alex")
    WorkItemFactory.create(title="Write the runbook", author=pse)
    page = browser_page

    sign_in(page, "alex", PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Time").click()
    page.wait_for_url("**/time/")
    page.get_by_role("link", name="← Previous week").click()
    page.wait_for_url("**/time/?week=2026-11-16")
    page.get_by_label("Add a row").select_option(label="Write the runbook")
    page.get_by_role("button", name="Save").click()
    page.locator("table.week-grid tbody th", has_text="Write the runbook").wait_for()

    for day in ("Mon 16 Nov", "Tue 17 Nov", "Wed 18 Nov", "Thu 19 Nov"):
        page.get_by_label(f"{day}, Write the runbook").fill("8")
    page.get_by_label("Fri 20 Nov, Write the runbook").fill("7.5")
    assert page.locator("#week-total strong").inner_text() == "39.5 h"  # live, before saving
    assert TimeEntry.objects.count() == 0
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved 5 changes.").wait_for()

    assert page.locator("#week-total strong").inner_text() == "39.5 h"
    assert page.locator("#day-total-5").inner_text() == "7.5"
    assert sorted(TimeEntry.objects.values_list("hours", flat=True)) == [
        Decimal("7.50"),
        *[Decimal("8.00")] * 4,
    ]

    # Short by half an hour: the submission says which day.
    page.get_by_role("button", name="Submit week").click()
    page.get_by_role("alert").get_by_text("missing: Fri 20 Nov 0.50 h").wait_for()
    assert not Timesheet.objects.exists()

    page.get_by_label("Fri 20 Nov, Write the runbook").fill("8")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved 1 change.").wait_for()
    assert page.locator("#week-total strong").inner_text() == "40 h"
    page.get_by_role("button", name="Submit week").click()
    page.get_by_text("Submitted (late)").first.wait_for()
    sheet = Timesheet.objects.get(person=pse)
    assert (sheet.week_start, sheet.hours) == (MON, Decimal("40.00"))


def test_bad_hours_are_shown_at_the_cell(
    browser_page: Any, transactional_db: None, frozen_clock: None
) -> None:
    PersonFactory.create(roles=[Role.PSE], name="Sam Patel", user__username="sam")
    item = WorkItemFactory.create(title="Support ticket")
    page = browser_page
    sign_in(page, "sam", PASSWORD)
    page.goto(f"/time/?week={MON.isoformat()}&add={item.pk}")

    page.get_by_label("Mon 16 Nov, Support ticket").fill("25")
    page.get_by_role("button", name="Save").click()

    page.get_by_role("alert").filter(has_text="at most 24 hours").first.wait_for()
    assert not TimeEntry.objects.exists()


def test_screenshot_of_my_week(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    from psa import demo

    demo.load_small()
    page = browser_page
    sign_in(page, "jordan.miller", demo.DEMO_PASSWORD)
    page.goto("/time/")
    page.get_by_role("link", name="← Previous week").click()  # the demo logs the weeks before
    page.locator("table.week-grid tbody th").first.wait_for()
    page.screenshot(path=str(screenshot_dir / "my-week.png"), full_page=True)
    assert (screenshot_dir / "my-week.png").stat().st_size > 10_000


def test_a_manager_prepares_every_report_of_the_team_and_follows_the_job(
    browser_page: Any, transactional_db: None, frozen_clock: None
) -> None:
    from psa.core.models import Job

    PersonFactory.create(roles=[Role.DELIVERY_MANAGER], name="Marcus Chen", user__username="marcus")
    pse = PersonFactory.create(roles=[Role.PSE], name="Alex Rivera")
    WorkItemFactory.create(title="Write the runbook", author=pse)
    page = browser_page
    sign_in(page, "marcus", PASSWORD)
    page.goto("/time/report/")
    page.get_by_role("button", name="Prepare every report of the team").click()

    # the job ran at once here (the tests' task backend): its page offers the ZIP
    page.wait_for_url("**/jobs/*/")
    job = Job.objects.get()
    link = page.get_by_role("link", name=f"Download {job.file_name}")
    link.wait_for()
    assert job.file_name.endswith("-team.zip")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == job.file_name

    # a job still running: the page polls and shows the download once it is done
    Job.objects.filter(pk=job.pk).update(status="running", done=2, total=6, stage="Writing")
    page.goto(f"/jobs/{job.pk}/")
    page.get_by_text("Writing: 2 of 6").wait_for()
    assert page.locator("#job-progress").get_attribute("value") == "33"
    Job.objects.filter(pk=job.pk).update(status="done", done=6, finished_at=NOW)
    page.get_by_role("link", name=f"Download {job.file_name}").wait_for(timeout=5_000)
    assert page.locator("#job-progress").get_attribute("value") == "100"


def test_an_admin_edits_the_epic_tree_and_sees_engagement_time_and_jobs(
    browser_page: Any, transactional_db: None, frozen_clock: None, screenshot_dir: Path
) -> None:
    from tests.engagements.factories import EngagementFactory

    admin = PersonFactory.create(
        roles=[Role.HEAD_OF_PS], name="Avery Admin", user__username="avery"
    )
    assert admin.user is not None
    admin.user.is_superuser = True
    admin.user.save()
    engagement = EngagementFactory.create(name="Acme rollout", budget_hours=Decimal("10"))
    item = WorkItemFactory.create(
        title="Acme build", engagement=engagement, epic=Epic.objects.get(name="All project hours")
    )
    TimeEntry.objects.create(
        person=admin,
        work_item=item,
        date=MON,
        hours=Decimal("12.5"),
        created_at=NOW,
        updated_at=NOW,
    )
    from psa.timetracking import rollup

    rollup.rebuild()
    page = browser_page
    sign_in(page, "avery", PASSWORD)

    # the epic tree: add a category, then rename it
    page.goto("/time/epics/")
    page.get_by_label("New category under PS Internal").fill("Podcasts")
    page.get_by_label("New category under PS Internal").press("Enter")
    page.get_by_text("Added Podcasts.").wait_for()
    page.get_by_label("New name for Podcasts").fill("Conference talks")
    page.get_by_label("New name for Podcasts").press("Enter")
    page.get_by_text("Renamed to Conference talks.").wait_for()
    assert Epic.objects.filter(name="Conference talks").exists()
    page.screenshot(path=str(screenshot_dir / "epics.png"), full_page=True)

    # the engagement's time against its budget, on its page and in the list
    page.goto(f"/engagements/{engagement.pk}/")
    assert page.locator("#time-logged").inner_text() == "12.50 h"
    assert page.locator("dd.overrun").inner_text() == "-2.50 h"
    page.screenshot(path=str(screenshot_dir / "engagement-time.png"), full_page=True)
    page.goto("/engagements/")
    page.get_by_role("cell", name="12.50 / 10 h").wait_for()

    # the jobs list, from the header
    page.get_by_role("link", name="Jobs").click()
    page.get_by_text("No jobs yet.").wait_for()


def test_a_french_pse_types_decimal_commas_and_hours_minutes(
    browser_page: Any, transactional_db: None, frozen_clock: None
) -> None:
    """1,5 is one and a half hours in the live total and once saved, never 15."""
    PersonFactory.create(
        roles=[Role.PSE], name="Camille Dubois", user__username="camille", country="FR"
    )
    item = WorkItemFactory.create(title="Atelier CI")
    page = browser_page
    sign_in(page, "camille", PASSWORD)
    page.goto(f"/time/?week={MON.isoformat()}&add={item.pk}")

    page.get_by_label("Mon 16 Nov, Atelier CI").fill("1,5")
    page.get_by_label("Tue 17 Nov, Atelier CI").fill("7:30")
    assert page.locator("#week-total strong").inner_text() == "9 h"  # live, before saving
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved 2 changes.").wait_for()

    assert sorted(TimeEntry.objects.values_list("hours", flat=True)) == [
        Decimal("1.50"),
        Decimal("7.50"),
    ]
    page.get_by_label("Wed 18 Nov, Atelier CI").fill("1,500")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("alert").filter(has_text="ambiguous").first.wait_for()
    assert TimeEntry.objects.count() == 2
    # Live, before saving: a day past its 8 hours, and the week's state.
    page.get_by_label("Wed 18 Nov, Atelier CI").fill("")
    assert page.locator("#week-total").get_attribute("class") == "week-total short"
    assert page.locator("#week-total .week-note").inner_text() == " · 26 h to go"  # 35 h in France
    page.get_by_label("Thu 19 Nov, Atelier CI").fill("9")
    assert "over" in (page.locator("#day-total-4").get_attribute("class") or "").split()
    assert "over" not in (page.locator("#day-total-3").get_attribute("class") or "").split()


def test_a_manager_approves_the_live_figures_on_a_phone(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    """The queue shows the figures as the entries give them now, with what needs a look; the
    approval needs a reason for the weeks never submitted, then leaves the manager's queue."""
    from psa.timetracking.certification import services as cert_services

    seed(Epic)
    manager = PersonFactory.create(
        roles=[Role.DELIVERY_MANAGER], name="Marcus Chen", user__username="marcus"
    )
    pse = PersonFactory.create(
        roles=[Role.PSE], name="Alexandria Montgomery-Fitzgerald", manager=manager
    )
    with clock.frozen(NOW):
        from psa.core.roles import SYSTEM
        from psa.timetracking import services

        services.time_entry_create(
            actor=SYSTEM, person=pse, work_item=WorkItemFactory.create(), date=MON, hours="7.5"
        )
        cert = cert_services.certification_generate(actor=SYSTEM, person=pse, year=2027, quarter=4)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    with clock.frozen(NOW):
        sign_in(page, "marcus", PASSWORD)
        page.goto("/time/certifications/")
        row = page.locator(f"#cert-{cert.pk}")
        row.get_by_text("7.50", exact=True).wait_for()
        row.get_by_text("week(s) not submitted").wait_for()
        page.screenshot(path=str(screenshot_dir / "certification-queue-phone.png"), full_page=True)
        row.get_by_role("button", name="Approve").click()
        page.get_by_role("alert").filter(has_text="weeks not submitted").wait_for()
        cert.refresh_from_db()
        assert cert.status == "generated"

        page.locator(f"#cert-{cert.pk}").get_by_placeholder("Reason").fill(
            "On a customer site, no laptop"
        )
        page.locator(f"#cert-{cert.pk}").get_by_role("button", name="Approve").click()
        page.get_by_text("approved.").wait_for()
    cert.refresh_from_db()
    assert cert.status == "manager_certified"
    assert page.locator(f"#cert-{cert.pk}").count() == 0


def test_a_pse_in_berlin_corrects_a_locked_day_and_creates_a_work_item_on_a_phone(
    browser_page: Any, transactional_db: None, frozen_clock: None, screenshot_dir: Path
) -> None:
    """Locked time is not edited in place: the correction card takes what the day should say,
    with a decimal comma, and the adjusting entry shows under the original."""
    from psa.core.roles import SYSTEM
    from psa.timetracking import services
    from psa.timetracking.models import QuarterlyCertification, WorkItem

    manager = PersonFactory.create(roles=[Role.DELIVERY_MANAGER], name="Sophie Laurent")
    pse = PersonFactory.create(
        roles=[Role.PSE],
        name="Lena Fischer-Oberhausen von Brandenburg",
        user__username="lena",
        country="DE",
        timezone="Europe/Berlin",
        manager=manager,
    )
    item = WorkItemFactory.create(title="Sicherheitsworkshop Vorbereitung")
    original = services.time_entry_create(
        actor=SYSTEM, person=pse, work_item=item, date=MON, hours="8"
    )
    QuarterlyCertificationFactory.create(person=pse, day=MON, locked=True)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "lena", PASSWORD)
    page.goto(f"/time/?week={MON.isoformat()}")
    page.get_by_role("link", name="Correct a locked day").click()
    card = page.locator("section.correct-card")
    card.get_by_label("Day").select_option(label="Mon 16 Nov 2026")
    card.get_by_label("Work item").select_option(label="Sicherheitsworkshop Vorbereitung")
    card.get_by_label("Should be (hours)").fill("6,5")
    card.get_by_role("button", name="Record the adjusting entry").click()
    page.get_by_role("alert").filter(has_text="a reason is required").wait_for()
    assert TimeEntry.objects.count() == 1

    card = page.locator("section.correct-card")
    card.get_by_label("Reason").fill("Zwei Termine waren kürzer")
    card.get_by_role("button", name="Record the adjusting entry").click()
    page.get_by_text("Adjusting entry of -1.5 h saved for Mon 16 Nov").wait_for()
    adjustment = TimeEntry.objects.get(adjusts=original)
    assert (adjustment.hours, adjustment.reason) == (Decimal("-1.50"), "Zwei Termine waren kürzer")
    assert page.get_by_label("Mon 16 Nov, Sicherheitsworkshop Vorbereitung").input_value() == "6.5"
    page.locator("tr.adjustment").get_by_text("↳ adjusts the entry above").wait_for()
    assert QuarterlyCertification.objects.get().status == "generated"
    width = page.evaluate("document.documentElement.scrollWidth")
    page.screenshot(path=str(screenshot_dir / "week-correction-phone.png"), full_page=True)
    assert width <= 390, f"the page scrolls sideways: {width} px"

    # A work item of her own, under Mentoring, becomes a row of the week.
    page.locator("details.new-item summary").click()
    form = page.locator("details.new-item")
    form.get_by_label("Title").fill("Onboarding buddy for Jonas")
    form.get_by_label("Category").select_option(label="Mentoring")
    form.get_by_role("button", name="Create").click()
    page.get_by_text("Work item “Onboarding buddy for Jonas” created under Mentoring.").wait_for()
    made = WorkItem.objects.get(title="Onboarding buddy for Jonas")
    assert (made.author, made.epic.name) == (pse, "Mentoring")
    page.get_by_label("Mon 16 Nov, Onboarding buddy for Jonas").wait_for()  # a row (locked)


def test_the_head_returns_hours_to_the_person_who_corrects_and_sends_them_back(
    browser_page: Any, transactional_db: None, screenshot_dir: Path
) -> None:
    """A rejection leaves the rejecter's queue, reaches the person with its reason, and comes
    back to their manager when they send it."""
    from psa.core.models import Notification
    from psa.core.roles import SYSTEM
    from psa.people.selectors import actor_for
    from psa.timetracking import services
    from psa.timetracking.certification import services as cert_services

    seed(Epic)
    manager = PersonFactory.create(roles=[Role.DELIVERY_MANAGER], name="Marcus Chen")
    PersonFactory.create(roles=[Role.HEAD_OF_PS], name="Dana Head", user__username="dana")
    pse = PersonFactory.create(
        roles=[Role.PSE], name="Alex Rivera", user__username="alex", manager=manager
    )
    with clock.frozen(NOW):
        services.time_entry_create(
            actor=SYSTEM, person=pse, work_item=WorkItemFactory.create(), date=MON, hours="8"
        )
        cert = cert_services.certification_generate(actor=SYSTEM, person=pse, year=2027, quarter=4)
        assert manager.user is not None
        cert_services.certification_decide(
            actor=actor_for(manager.user),
            certification=cert,
            step="manager",
            approve=True,
            reason="On site without a laptop",
        )
    page = browser_page
    with clock.frozen(NOW):
        sign_in(page, "dana", PASSWORD)
        page.goto("/time/certifications/")
        row = page.locator(f"#cert-{cert.pk}")
        row.get_by_placeholder("Reason").fill("The Globex workshop day is missing")
        row.get_by_label("Reject Alex Rivera, FY2027 Q4 back to").select_option(
            label="back to Alex Rivera to correct"
        )
        row.get_by_role("button", name="Reject").click()
        page.get_by_text("returned to the person for correction.").wait_for()
        assert page.locator(f"#cert-{cert.pk}").count() == 0  # left the head's queue
        page.get_by_role("button", name="Sign out").click()

        sign_in(page, "alex", PASSWORD)
        page.goto("/time/")
        page.get_by_text("hours were returned for correction").wait_for()
        page.get_by_role("link", name="send them back").click()
        page.get_by_text("“The Globex workshop day is missing”").first.wait_for()
        page.screenshot(path=str(screenshot_dir / "certification-returned.png"), full_page=True)
        page.get_by_role("button", name="Send back to certify").click()
        page.get_by_text("sent back to the delivery manager to certify").wait_for()
    cert.refresh_from_db()
    assert cert.status == "generated"
    assert Notification.objects.filter(user=manager.user).latest("id").text == (
        cert_services.MSG_RESUBMITTED.format(name="Alex Rivera", quarter="FY27 Q4")
    )


def test_the_head_of_ps_pages_through_a_long_queue_and_approves_on_page_two_on_a_phone(
    browser_page: Any,
    transactional_db: None,
    screenshot_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each section pages on its own; a decision made on page 2 comes back to page 2."""
    from psa.core.roles import SYSTEM
    from psa.timetracking import services
    from psa.timetracking.certification import selectors as cert_selectors
    from psa.timetracking.certification import services as cert_services

    monkeypatch.setattr(cert_selectors, "QUEUE_PAGE", 2)
    seed(Epic)
    PersonFactory.create(
        roles=[Role.HEAD_OF_PS, Role.FINANCE_PARTNER],
        name="Dana Okonkwo-Villanueva",
        user__username="dana",
    )
    manager = PersonFactory.create(roles=[Role.DELIVERY_MANAGER], name="Marcus Chen")
    after = dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC)  # FY27 Q4 has ended
    certs = []
    with clock.frozen(after):
        for n in range(5):
            pse = PersonFactory.create(
                roles=[Role.PSE], name=f"Person {n} Montgomery-Fitzgerald", manager=manager
            )
            services.time_entry_create(
                actor=SYSTEM, person=pse, work_item=WorkItemFactory.create(), date=MON, hours="7.5"
            )
            cert = cert_services.certification_generate(
                actor=SYSTEM, person=pse, year=2027, quarter=4
            )
            certs.append(
                cert_services.certification_decide(
                    actor=SYSTEM,
                    certification=cert,
                    step="manager",
                    approve=True,
                    reason="no timesheets here",
                )
            )
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    with clock.frozen(after):
        sign_in(page, "dana", PASSWORD)
        page.goto("/time/certifications/")
        pager = page.get_by_role("navigation", name="Pages of Head of PS")
        pager.get_by_text("Page 1 of 3 (5 in all)").wait_for()
        pager.get_by_role("link", name="Next →").click()
        page.get_by_text("Page 2 of 3 (5 in all)").wait_for()
        shown = [c for c in certs if page.locator(f"#cert-{c.pk}").count()]
        assert len(shown) == 2
        row = page.locator(f"#cert-{shown[0].pk}")
        row.get_by_placeholder("Reason").fill("Timesheets kept on paper this quarter")
        row.get_by_role("button", name="Approve").click()
        page.get_by_text(f"{shown[0].person.name}, FY2027 Q4: approved.").wait_for()
        assert "page_head_of_ps=2" in page.url
        page.get_by_text("Page 2 of 2 (4 in all)").wait_for()
        page.screenshot(path=str(screenshot_dir / "certification-queue-pages.png"), full_page=True)
        width = page.evaluate("document.documentElement.scrollWidth")
    shown[0].refresh_from_db()
    assert shown[0].status == "head_approved"
    assert width <= 390


def test_a_pse_checks_a_timesheet_file_fixes_it_and_imports_it_on_a_phone(
    browser_page: Any,
    transactional_db: None,
    frozen_clock: None,
    tmp_path: Path,
    screenshot_dir: Path,
) -> None:
    pse = PersonFactory.create(
        roles=[Role.PSE],
        name="Maximiliane Oberhauser-Castellanos de la Fuente",
        email="max@example.com",
        timezone="Europe/Berlin",
        user__username="max",
    )
    item = WorkItemFactory.create(title="Runbook for the Acme GitLab migration", author=pse)
    bad = tmp_path / "stunden.csv"
    bad.write_text(
        "Datum;Work item;Hours;Note\n"
        f"2026-11-16;#{item.pk};7,5;Kick-off\n"
        f"2026-11-17;#{item.pk};8 Std;\n"
        "2026-11-18;;4;\n",
        encoding="utf-8",
    )
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "max", PASSWORD)
    page.goto("/time/import/")
    page.locator("#import-file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_url("**/jobs/*/")
    page.locator("#import-problems").wait_for()
    rows = page.locator("#import-problems tbody tr")
    # "Datum" is not a date column: the file is refused as a whole, naming it
    assert rows.count() == 1
    assert "no 'date' column" in rows.first.inner_text()
    assert page.locator("#import-confirm").count() == 0

    bad.write_text(
        "Date;Work item;Hours;Note\n"
        f"2026-11-16;#{item.pk};7,5;Kick-off\n"
        f"2026-11-17;#{item.pk};8 Std;\n"
        "2026-11-18;;4;\n",
        encoding="utf-8",
    )
    page.goto("/time/import/")
    page.locator("#import-file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the file").click()
    page.locator("#import-problems").wait_for()
    assert [
        r.split("\t")[:2] for r in page.locator("#import-problems tbody tr").all_inner_texts()
    ] == [
        ["3", "Hours"],
        ["4", "Work item"],
    ]
    page.screenshot(path=str(screenshot_dir / "time-import-problems-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    good = tmp_path / "stunden-fixed.csv"
    good.write_text(
        "Date;Work item;Category;Hours;Note\n"
        f"2026-11-16;#{item.pk};;7,5;Kick-off\n"
        f"2026-11-17;#{item.pk};;8;\n"
        "2026-11-18;;Sales Assistance;4;\n",
        encoding="utf-8",
    )
    page.goto("/time/import/")
    page.locator("#import-file").set_input_files(str(good))
    page.get_by_role("button", name="Check the file").click()
    page.locator("#import-ready").wait_for()
    assert TimeEntry.objects.count() == 0
    assert "3 time entries (19.50 h, 1 person" in page.locator("#import-ready").inner_text()
    page.screenshot(path=str(screenshot_dir / "time-import-ready-phone.png"), full_page=True)
    page.get_by_role("button", name="Import 3 entries").click()
    page.locator("#import-done").wait_for()
    assert sorted(TimeEntry.objects.values_list("date", "hours", "source")) == [
        (MON, Decimal("7.50"), "import"),
        (MON + dt.timedelta(days=1), Decimal("8.00"), "import"),
        (MON + dt.timedelta(days=2), Decimal("4.00"), "import"),
    ]


def test_the_head_of_ps_imports_two_peoples_history_from_an_xlsx_workbook(
    browser_page: Any,
    transactional_db: None,
    frozen_clock: None,
    tmp_path: Path,
    screenshot_dir: Path,
) -> None:
    from openpyxl import Workbook

    PersonFactory.create(roles=[Role.HEAD_OF_PS], name="Dana Head", user__username="dana")
    alex = PersonFactory.create(roles=[Role.PSE], name="Alex Rivera", email="alex@example.com")
    sam = PersonFactory.create(roles=[Role.PSE], name="Sam Okafor", email="sam@example.com")
    item = WorkItemFactory.create(title="Acme rollout", author=alex)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["E-mail", "Date", "Issue", "Epic category", "Hours", "Notes"])
    sheet.append(["alex@example.com", dt.date(2026, 11, 16), item.pk, None, 7.5, "kick-off"])
    sheet.append(["Sam Okafor", dt.date(2026, 11, 16), None, "Knowledge Sharing", "6:30", None])
    path = tmp_path / "history.xlsx"
    book.save(path)
    page = browser_page
    sign_in(page, "dana", PASSWORD)
    page.goto("/time/import/")
    assert "Anyone's time" in page.locator("#import-help").inner_text()
    page.screenshot(path=str(screenshot_dir / "time-import.png"), full_page=True)
    page.locator("#import-file").set_input_files(str(path))
    page.get_by_role("button", name="Check the file").click()
    page.locator("#import-ready").wait_for()
    assert "2 time entries (14.00 h, 2 people" in page.locator("#import-ready").inner_text()
    page.get_by_role("button", name="Import 2 entries").click()
    page.locator("#import-done").wait_for()
    assert sorted(TimeEntry.objects.values_list("person__name", "hours")) == [
        ("Alex Rivera", Decimal("7.50")),
        ("Sam Okafor", Decimal("6.50")),
    ]
    del sam
