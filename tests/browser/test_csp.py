"""The Content-Security-Policy in a real browser: the main pages, with the demo data, keep to it
(browser_page fails a test on any violation), and the API docs page renders from PSA alone."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from psa.core.middleware import API_DOCS_POLICY, CONTENT_SECURITY_POLICY
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def visit(page: Any, path: str, policy: str = CONTENT_SECURITY_POLICY) -> None:
    response = page.goto(path, wait_until="networkidle")
    assert response is not None
    assert response.headers["content-security-policy"] == policy, path


def test_the_listener_sees_a_violation(browser_page: Any) -> None:
    """The check below is only worth something if a violation is caught."""
    page = browser_page
    visit(page, "/login/")
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.injected = 1"; document.head.append(s); }"""
    )
    page.wait_for_timeout(200)  # the event reaches the test through an exposed function
    assert page.evaluate("() => window.injected") is None
    assert [v.split(" at ")[0] for v in page.csp_violations] == ["script-src-elem blocked inline"]
    page.csp_violations.clear()
    page.js_errors.clear()  # chromium's "Refused to execute inline script" console error


def test_the_main_pages_keep_to_the_policy(browser_page: Any, transactional_db: None) -> None:
    from psa import demo
    from psa.core import clock, jobs
    from psa.core.models import Job
    from psa.engagements.models import Customer, Engagement
    from psa.people.models import Person
    from psa.scheduling.models import AssignmentRequest
    from psa.timetracking.tasks import TEAM_REPORTS

    demo.load_small()
    page = browser_page
    sign_in(page, "priya.raman", demo.DEMO_PASSWORD)
    person = Person.objects.get(name="Jordan Miller")
    engagement = Engagement.objects.get(name="GitLab Migration Services")
    customer = Customer.objects.order_by("pk").first()
    request = AssignmentRequest.objects.order_by("pk").first()
    assert customer is not None
    assert request is not None
    paths = [
        "/",
        "/people/",
        f"/people/{person.pk}/",
        f"/people/{person.pk}/edit/",
        "/engagements/",
        "/engagements/new/",
        f"/engagements/{engagement.pk}/",
        f"/engagements/{engagement.pk}/edit/",
        "/customers/",
        f"/customers/{customer.pk}/",
        "/schedule/",
        "/schedule/requests/",
        "/schedule/requests/new/",  # htmx checks availability on load
        f"/schedule/requests/{request.pk}/",
        "/schedule/review/",
        "/schedule/me/",
        "/schedule/spreadsheet/",
        "/time/",
        "/time/timesheets/",
        "/time/report/",
        "/time/epics/",
        "/time/certifications/",
        "/audit/",
        "/jobs/",
        "/tokens/",
        "/no-such-page/",
    ]
    for path in paths:
        visit(page, path)
    assert page.csp_violations == []

    # a running job's page polls through htmx ...
    now = clock.now()
    priya = Person.objects.get(name="Priya Raman").user
    assert priya is not None
    job = Job.objects.create(
        user=priya,
        kind=TEAM_REPORTS,
        title="Hours reports, everyone",
        params={"year": None, "quarter": None, "manager_id": None},
        task="psa.timetracking.tasks.team_reports_task",
        status="running",
        done=1,
        total=4,
        stage="Reading",
        created_at=now,
        started_at=now,
        heartbeat_at=now,
    )
    page.goto(f"/jobs/{job.pk}/")
    page.get_by_text("Reading: 1 of 4").wait_for()
    Job.objects.filter(pk=job.pk).update(done=3)
    page.get_by_text("Reading: 3 of 4").wait_for(timeout=5_000)
    # ... and shows it failed once its worker stopped beating, with a Retry button
    Job.objects.filter(pk=job.pk).update(heartbeat_at=now - dt.timedelta(minutes=6))
    page.get_by_text(jobs.ERR_WORKER_STOPPED).wait_for(timeout=5_000)
    page.get_by_role("button", name="Retry").click()
    page.wait_for_url(re.compile(r"/jobs/\d+/$"))
    retry = Job.objects.get(retry_of=job)
    assert page.url.endswith(f"/jobs/{retry.pk}/")
    page.get_by_text(f"A retry of job {job.pk}.").wait_for()


def test_the_api_docs_render_from_psa_alone(browser_page: Any, live_server: Any) -> None:
    page = browser_page
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    visit(page, "/api/v1/docs", API_DOCS_POLICY)
    page.locator(".swagger-ui .info .title", has_text="PSA API").wait_for()
    assert page.locator(".swagger-ui .opblock").count() > 20
    # an operation opened for trying out: its controls show the stylesheet's data: icons
    page.locator(".swagger-ui .opblock-summary").first.click()
    page.get_by_role("button", name="Try it out").first.click()
    page.get_by_role("button", name="Execute").first.wait_for()
    page.wait_for_load_state("networkidle")
    assert [u for u in requested if not u.startswith((live_server.url, "data:"))] == []
