"""Who may read what: every role against its own records, its reports' and someone else's,
through every read endpoint and page that shows them, lists included.

MATRIX is the expected answer, written out by hand; docs/security.md shows the same table
(the last test keeps the two equal). The code's own rules are never used to compute it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from psa.core import audit, clock, notifications, tokens
from psa.core.models import AuditEntry, Job
from psa.core.roles import SYSTEM, Actor, Role
from psa.people import selectors as people_selectors
from psa.people.models import Person
from psa.timetracking import selectors, services
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import QuarterlyCertification
from tests.engagements.factories import EngagementFactory
from tests.timetracking.factories import WorkItemFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 11, 16)  # FY27 Q4: 1 Nov 2026 - 31 Jan 2027
AFTER_QUARTER = dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC)
SECURITY_MD = Path(__file__).resolve().parent.parent / "docs" / "security.md"

OWN, REPORTS, EVERYONE, NOBODY = "own", "own, reports", "everyone", "—"
COLUMNS = ("time", "cost rate", "audit log", "jobs, tokens", "notifications", "finance")
# role -> what it reads of each kind: its own, its own and its reports', everyone's, or nothing.
# "time" is a person's time entries, timesheets, certifications and hours reports.
MATRIX: dict[str, dict[str, str]] = {
    Role.PSE: {
        "time": REPORTS,
        "cost rate": OWN,
        "audit log": NOBODY,
        "jobs, tokens": OWN,
        "notifications": OWN,
        "finance": NOBODY,
    },
    Role.PROJECT_COORDINATOR: {
        "time": EVERYONE,
        "cost rate": OWN,
        "audit log": NOBODY,
        "jobs, tokens": OWN,
        "notifications": OWN,
        "finance": NOBODY,
    },
    Role.DELIVERY_MANAGER: {
        "time": EVERYONE,
        "cost rate": EVERYONE,
        "audit log": NOBODY,
        "jobs, tokens": OWN,
        "notifications": OWN,
        "finance": NOBODY,
    },
    Role.HEAD_OF_PS: {
        "time": EVERYONE,
        "cost rate": EVERYONE,
        "audit log": EVERYONE,
        "jobs, tokens": OWN,
        "notifications": OWN,
        "finance": EVERYONE,
    },
    Role.FINANCE_PARTNER: {
        "time": EVERYONE,
        "cost rate": EVERYONE,
        "audit log": EVERYONE,
        "jobs, tokens": OWN,
        "notifications": OWN,
        "finance": EVERYONE,
    },
    Role.CONTROLLER: {
        "time": EVERYONE,
        "cost rate": EVERYONE,
        "audit log": EVERYONE,
        "jobs, tokens": OWN,
        "notifications": OWN,
        "finance": EVERYONE,
    },
    Role.FINANCE_BUSINESS_PARTNER: {
        "time": EVERYONE,
        "cost rate": EVERYONE,
        "audit log": NOBODY,
        "jobs, tokens": OWN,
        "notifications": OWN,
        "finance": EVERYONE,
    },
    Role.EDUCATION_MANAGER: {
        "time": REPORTS,
        "cost rate": OWN,
        "audit log": NOBODY,
        "jobs, tokens": OWN,
        "notifications": OWN,
        "finance": NOBODY,
    },
    Role.INSTRUCTIONAL_DESIGNER: {
        "time": REPORTS,
        "cost rate": OWN,
        "audit log": NOBODY,
        "jobs, tokens": OWN,
        "notifications": OWN,
        "finance": NOBODY,
    },
    Role.DEMO_SYSTEMS_ENGINEER: {
        "time": REPORTS,
        "cost rate": OWN,
        "audit log": NOBODY,
        "jobs, tokens": OWN,
        "notifications": OWN,
        "finance": NOBODY,
    },
    Role.SALES: {
        "time": REPORTS,
        "cost rate": OWN,
        "audit log": NOBODY,
        "jobs, tokens": OWN,
        "notifications": OWN,
        "finance": NOBODY,
    },
    "admin": {
        "time": EVERYONE,
        "cost rate": EVERYONE,
        "audit log": EVERYONE,
        "jobs, tokens": EVERYONE,
        "notifications": OWN,
        "finance": EVERYONE,
    },
}
RELATIONS = ("own", "report", "other")  # whose record: mine, someone reporting to me, anyone


def _rate_of(person: Person) -> str:
    return str(person.cost_rates.get().rate)


def sees(role: str, column: str, relation: str) -> bool:
    scope = MATRIX[role][column]
    return {
        EVERYONE: True,
        REPORTS: relation in ("own", "report"),
        OWN: relation == "own",
        NOBODY: False,
    }[scope]


def role_label(role: str) -> str:
    return "Administrator" if role == "admin" else Role(role).label


def matrix_markdown() -> str:
    head = "| role | " + " | ".join(COLUMNS) + " |"
    rule = "| --- |" + " --- |" * len(COLUMNS)
    rows = [
        f"| {role_label(role)} | " + " | ".join(MATRIX[role][c] for c in COLUMNS) + " |"
        for role in MATRIX
    ]
    return "\n".join([head, rule, *rows]) + "\n"


@pytest.fixture
def world(make_person: Callable[..., Person]) -> Callable[[str], dict[str, Any]]:
    """For a role: the acting person, someone reporting to them and someone who does not, each
    with an hours entry, a certification, a pay change in the audit log, a token and a job."""

    def build(role: str) -> dict[str, Any]:
        me = make_person(*([] if role == "admin" else [role]), cost_rate="90.00")
        if role == "admin":
            assert me.user is not None
            me.user.is_superuser = True
            me.user.save()
        people = {
            "own": me,
            "report": make_person(Role.PSE, manager=me, cost_rate="91.00"),
            "other": make_person(
                Role.PSE, manager=make_person(Role.DELIVERY_MANAGER), cost_rate="92.00"
            ),
        }
        records: dict[str, dict[str, Any]] = {}
        for relation, person in people.items():
            assert person.user is not None
            with clock.frozen(dt.datetime(2026, 11, 17, 9, tzinfo=dt.UTC)):
                services.time_entry_create(
                    actor=SYSTEM,
                    person=person,
                    work_item=WorkItemFactory.create(),
                    date=DAY,
                    hours="8",
                )
            with clock.frozen(AFTER_QUARTER):
                cert = cert_services.certification_generate(
                    actor=SYSTEM, person=person, year=2027, quarter=4
                )
            audit.record(
                actor=SYSTEM,
                action="person.update",
                target=person,
                before={"cost_rate": "80.00"},
                after={"cost_rate": _rate_of(person)},
            )
            records[relation] = {
                "person": person,
                "cert": cert,
                "token": tokens.token_create(actor=SYSTEM, user=person.user, name=relation),
                "job": Job.objects.create(
                    user=person.user, kind="test", title=relation, params={}, created_at=clock.now()
                ),
                "notification": notifications.notify(user=person.user, text=relation, url="/"),
            }
        api = Client(headers={"Authorization": f"Bearer {records['own']['token'].secret}"})
        page = Client()
        assert me.user is not None
        page.force_login(me.user)
        return {"records": records, "api": api, "page": page}

    return build


def time_refusal() -> list[dict[str, str]]:
    return [{"field": "person_id", "message": selectors.ERR_TIME_NOT_YOURS}]


@pytest.mark.parametrize("role", list(MATRIX))
def test_each_role_reads_exactly_what_the_matrix_says(
    role: str, world: Callable[[str], dict[str, Any]]
) -> None:
    w = world(role)
    api, page, records = w["api"], w["page"], w["records"]
    listed_certs = {c["person_id"] for c in api.get("/api/v1/time/certifications").json()["items"]}
    listed_tokens = {t["name"] for t in api.get("/api/v1/tokens").json()}
    listed_jobs = {j["title"] for j in api.get("/api/v1/jobs").json()}
    listed_notes = {n["text"] for n in api.get("/api/v1/notifications").json()["items"]}
    noted_page = {n.text for n in page.get("/notifications/").context["listing"].items}
    may_finance = sees(role, "finance", "other")
    period = "start=2026-11-01&end=2026-11-30"
    for url in (
        f"/api/v1/finance/utilization?{period}",
        f"/api/v1/finance/rate-gaps?{period}",
        "/api/v1/finance/forecast",
        f"/api/v1/finance/revenue?{period}",
        f"/api/v1/finance/margin?{period}",
        "/api/v1/finance/periods",
        "/finance/utilization/",
        "/finance/revenue/",
        "/finance/margin/",
        "/finance/periods/",
        "/finance/rates/",
        "/finance/forecast/",
        f"/api/v1/finance/entries?{period}&person_id={records['own']['person'].pk}",
        f"/api/v1/finance/utilization/xlsx?{period}",
        f"/api/v1/finance/revenue/xlsx?{period}",
        f"/api/v1/finance/margin/xlsx?{period}",
        "/api/v1/finance/forecast/xlsx",
        f"/finance/entries/?{period}&person={records['own']['person'].pk}",
    ):
        answer = (api if url.startswith("/api/") else page).get(url)
        assert answer.status_code == (200 if may_finance else 403), f"{role}: {url}"
    # The close-out (pay data: costs per person) and its filing: a finance reader is told
    # there is no time to close out, and no filing yet; anyone else is refused first.
    eid = EngagementFactory.create().pk
    for url, status in (
        (f"/api/v1/finance/close-outs/{eid}", 409),
        (f"/api/v1/finance/close-outs/{eid}/xlsx", 409),
        (f"/api/v1/finance/close-outs/{eid}/pdf", 409),
        (f"/api/v1/finance/close-outs/{eid}/filing", 404),
        (f"/finance/close-out/{eid}/", 409),
    ):
        answer = (api if url.startswith("/api/") else page).get(url)
        assert answer.status_code == (status if may_finance else 403), f"{role}: {url}"
    for relation in RELATIONS:
        r = records[relation]
        pid = r["person"].pk
        may_time = sees(role, "time", relation)
        may_cost = sees(role, "cost rate", relation)
        may_audit = sees(role, "audit log", relation)
        may_own = sees(role, "jobs, tokens", relation)
        where = f"{role} on {relation}"

        rates = api.get(f"/api/v1/people/{pid}/cost-rates")
        if may_cost:
            assert [x["rate"] for x in rates.json()] == [_rate_of(r["person"])], where
        else:
            assert (rates.status_code, rates.json()["detail"]) == (
                403,
                people_selectors.ERR_MAY_NOT_READ_PAY,
            ), where

        entries = api.get(f"/api/v1/time/entries?person_id={pid}&start=2026-11-01&end=2026-11-30")
        timesheets = api.get(f"/api/v1/time/timesheets?person_id={pid}")
        hours = api.get(f"/api/v1/time/reports/{pid}?year=2027&quarter=4")
        report_page = page.get(f"/time/report/?person_id={pid}&year=2027&quarter=4")
        if may_time:
            assert [e["hours"] for e in entries.json()] == ["8.00"], where
            assert timesheets.status_code == 200, where
            assert hours.json()["total"] == "8.00", where
            assert report_page.status_code == 200, where
        else:
            assert (entries.status_code, entries.json()["errors"]) == (403, time_refusal()), where
            assert timesheets.status_code == 403, where
            assert timesheets.json()["errors"] == time_refusal(), where
            assert (hours.status_code, hours.json()["errors"]) == (403, time_refusal()), where
            assert report_page.status_code == 403, where
        assert (pid in listed_certs) is may_time, where
        cert_page = page.get(f"/time/certifications/{r['cert'].pk}/")
        assert cert_page.status_code == (200 if may_time else 404), where

        person = api.get(f"/api/v1/people/{pid}").json()
        assert person["cost_rate"] == (_rate_of(r["person"]) if may_cost else None), where
        person_page = page.get(f"/people/{pid}/").content.decode()
        assert ("Cost rate" in person_page) is may_cost, where

        log = api.get(f"/api/v1/audit?target_type=people.person&target_id={pid}")
        if may_audit:
            shown = _rate_of(r["person"]) if may_cost else audit.HIDDEN
            assert [e["after"] for e in log.json()] == [{"cost_rate": shown}], where
        else:
            assert (log.status_code, log.json()["detail"]) == (403, audit.ERR_NOT_AUDITOR), where

        # The lists are personal, an administrator's too; the ids are checked below.
        assert (relation in listed_tokens) is (relation == "own"), where
        assert (relation in listed_jobs) is (relation == "own"), where
        job = api.get(f"/api/v1/jobs/{r['job'].pk}")
        assert job.status_code == (200 if may_own else 404), where
        may_note = sees(role, "notifications", relation)
        assert (relation in listed_notes) is may_note, where
        assert (relation in noted_page) is may_note, where

    assert page.get("/audit/").status_code == (
        200 if MATRIX[role]["audit log"] == EVERYONE else 403
    )
    # Revoking is last: it is the one write here, and a refusal must change nothing.
    for relation in ("other", "report"):
        token = records[relation]["token"].token
        answer = api.delete(f"/api/v1/tokens/{token.pk}")
        assert answer.status_code == (204 if sees(role, "jobs, tokens", relation) else 404)
        token.refresh_from_db()
        assert (token.revoked_at is not None) is sees(role, "jobs, tokens", relation)
        note = records[relation]["notification"]
        answer = api.post(f"/api/v1/notifications/{note.pk}/read")
        assert answer.status_code == (200 if sees(role, "notifications", relation) else 404)
        note.refresh_from_db()
        assert (note.read_at is not None) is sees(role, "notifications", relation)


def test_a_certification_page_of_someone_elses_time_reads_as_missing(
    world: Callable[[str], dict[str, Any]],
) -> None:
    w = world(Role.PSE)
    other: QuarterlyCertification = w["records"]["other"]["cert"]
    missing = w["page"].get(f"/time/certifications/{other.pk + 1000}/")
    theirs = w["page"].get(f"/time/certifications/{other.pk}/")
    assert (theirs.status_code, missing.status_code) == (404, 404)


def test_the_audit_link_shows_only_to_the_roles_that_audit(
    world: Callable[[str], dict[str, Any]],
) -> None:
    for role in (Role.PSE, Role.CONTROLLER):
        html = world(role)["page"].get("/").content.decode()
        assert ('href="/audit/"' in html) is (role == Role.CONTROLLER)


def test_the_security_page_shows_this_matrix() -> None:
    assert matrix_markdown() in SECURITY_MD.read_text()


def test_pay_data_is_masked_in_the_audit_log_by_the_persons_rule(
    make_person: Callable[..., Person], api_as: Callable[[Person], Client]
) -> None:
    """An auditor without the pay-data right (none of today's audit roles lacks it, so the
    rule is shown with a role granted the log but not the rates: an administrator's view of a
    person is unmasked, the person's own view too)."""
    subject = make_person(Role.PSE, cost_rate="95.00")
    audit.record(
        actor=SYSTEM,
        action="person.update",
        target=subject,
        before={"cost_rate": "90.00", "title": "Consultant"},
        after={"cost_rate": "95.00", "title": "Senior consultant"},
    )
    reader = Actor(user_id=None, username="auditor", person_id=None, roles=frozenset())
    masked = audit.history_for(actor=reader, target=subject)[0]
    assert (masked.before, masked.after) == (
        {"cost_rate": audit.HIDDEN, "title": "Consultant"},
        {"cost_rate": audit.HIDDEN, "title": "Senior consultant"},
    )
    own = Actor(user_id=None, username="me", person_id=subject.pk, roles=frozenset())
    assert audit.history_for(actor=own, target=subject)[0].after == {
        "cost_rate": "95.00",
        "title": "Senior consultant",
    }
    # The stored row keeps the real values (the hash chain covers them).
    stored = AuditEntry.objects.filter(target_id=str(subject.pk)).get()
    assert stored.after is not None
    assert stored.after["cost_rate"] == "95.00"
