"""The quarterly certification chain: order, roles, own hours, rejection, the lock, adjusting
entries and reopening."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from psa.core import clock, periods
from psa.core.errors import Conflict, PermissionDenied, ValidationFailed
from psa.core.models import AuditEntry, Notification
from psa.core.roles import Actor, Role
from psa.people.models import Person
from psa.timetracking import report_selectors, rules, services
from psa.timetracking.certification import selectors as cert_selectors
from psa.timetracking.certification import services as cert_services
from psa.timetracking.models import CertificationStep, QuarterlyCertification, TimeEntry
from tests.engagements.factories import EngagementFactory
from tests.timetracking.factories import WorkItemFactory, category

pytestmark = pytest.mark.django_db
D = Decimal
DAY = dt.date(2026, 11, 16)  # FY27 Q4: 1 Nov 2026 - 31 Jan 2027
NOW = dt.datetime(2027, 2, 3, 9, tzinfo=dt.UTC)
NO_SHEETS = "no timesheets in this test"  # the weeks never submitted need a reason


@pytest.fixture(autouse=True)
def _now() -> Any:
    with clock.frozen(NOW):
        yield


@pytest.fixture
def org(make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]) -> Any:
    class Org:
        entry: TimeEntry  # the billable entry, logged below
        manager = make_person(Role.DELIVERY_MANAGER, name="Marcus")
        head = make_person(Role.HEAD_OF_PS, name="Dana")
        finance = make_person(Role.FINANCE_PARTNER, name="Ellen")
        pse = make_person(Role.PSE, name="Alex", manager=manager)
        other_manager = make_person(Role.DELIVERY_MANAGER, name="Sophie")

        def a(self, person: Person) -> Actor:
            return actor_of(person)

    o = Org()
    billable = WorkItemFactory.create(
        engagement=EngagementFactory.create(), epic=category("Project Work", "All project hours")
    )
    o.entry = services.time_entry_create(
        actor=o.a(o.pse), person=o.pse, work_item=billable, date=DAY, hours="6"
    )
    services.time_entry_create(
        actor=o.a(o.pse), person=o.pse, work_item=WorkItemFactory.create(), date=DAY, hours="2"
    )
    return o


def generate(org: Any) -> QuarterlyCertification:
    return cert_services.certification_generate(
        actor=org.a(org.manager), person=org.pse, year=2027, quarter=4
    )


def approve_all(org: Any, cert: QuarterlyCertification) -> QuarterlyCertification:
    for who, step in ((org.manager, "manager"), (org.head, "head"), (org.finance, "finance")):
        cert = cert_services.certification_decide(
            actor=org.a(who), certification=cert, step=step, approve=True, reason=NO_SHEETS
        )
    return cert


def test_generation_has_the_quarters_totals_and_is_idempotent(org: Any) -> None:
    cert = generate(org)
    assert (cert.start_date, cert.end_date) == (dt.date(2026, 11, 1), dt.date(2027, 1, 31))
    assert (cert.total_hours, cert.billable_hours) == (D("8.00"), D("6.00"))
    # 65 weekdays less 5 US holidays (11 Nov, 26 Nov, 25 Dec, 1 Jan, 18 Jan) of 8 hours
    assert cert.capacity_hours == D("480.00")
    # 6 / 480 = 1.25 %, rounded half up
    assert cert_selectors.figures_of(cert).utilization == D("1.3")
    assert generate(org).pk == cert.pk
    assert QuarterlyCertification.objects.count() == 1


def test_the_chain_in_order_locks_the_quarter(org: Any) -> None:
    cert = generate(org)
    cert = cert_services.certification_decide(
        actor=org.a(org.manager), certification=cert, step="manager", approve=True, reason=NO_SHEETS
    )
    assert cert.status == "manager_certified"
    assert cert.work_item is not None
    assert [label.name for label in cert.work_item.labels.all()] == ["ManagerCertifiedTimesheet"]
    assert cert.work_item.epic.name == "Time Tracking"
    cert = cert_services.certification_decide(
        actor=org.a(org.head), certification=cert, step="head", approve=True, reason=NO_SHEETS
    )
    cert = cert_services.certification_decide(
        actor=org.a(org.finance), certification=cert, step="finance", approve=True, reason=NO_SHEETS
    )
    assert (cert.status, cert.locked_at) == ("approved", NOW)
    assert [s.step for s in CertificationStep.objects.order_by("id")] == [
        "manager",
        "head",
        "finance",
    ]


@pytest.mark.parametrize("who", ["head", "finance"])
def test_steps_happen_in_order_only(org: Any, who: str) -> None:
    cert = generate(org)
    with pytest.raises(Conflict):
        cert_services.certification_decide(
            actor=org.a(getattr(org, who)),
            certification=cert,
            step=who,
            approve=True,
            reason=NO_SHEETS,
        )
    cert.refresh_from_db()
    assert cert.status == "generated"


def test_only_the_persons_own_manager_certifies(org: Any) -> None:
    cert = generate(org)
    with pytest.raises(PermissionDenied):
        cert_services.certification_decide(
            actor=org.a(org.other_manager),
            certification=cert,
            step="manager",
            approve=True,
            reason=NO_SHEETS,
        )
    with pytest.raises(PermissionDenied):
        cert_services.certification_decide(
            actor=org.a(org.pse), certification=cert, step="manager", approve=True, reason=NO_SHEETS
        )


def test_nobody_approves_their_own_hours(org: Any, make_person: Callable[..., Person]) -> None:
    cert = cert_services.certification_generate(
        actor=org.a(org.head), person=org.manager, year=2027, quarter=4
    )
    with pytest.raises(PermissionDenied) as exc:
        cert_services.certification_decide(
            actor=org.a(org.manager),
            certification=cert,
            step="manager",
            approve=True,
            reason=NO_SHEETS,
        )
    assert "own hours" in exc.value.message


def test_a_rejection_needs_a_reason_and_returns_the_hours_to_the_person(org: Any) -> None:
    cert = cert_services.certification_decide(
        actor=org.a(org.manager),
        certification=generate(org),
        step="manager",
        approve=True,
        reason=NO_SHEETS,
    )
    with pytest.raises(ValidationFailed):
        cert_services.certification_decide(
            actor=org.a(org.head), certification=cert, step="head", approve=False
        )
    cert = cert_services.certification_decide(
        actor=org.a(org.head),
        certification=cert,
        step="head",
        approve=False,
        reason="Missing the Globex travel day",
    )
    assert cert.status == "returned"
    rejection = CertificationStep.objects.filter(approved=False).get()
    assert (rejection.reason, rejection.back_to) == ("Missing the Globex travel day", "person")


def test_locked_time_cannot_be_edited_or_deleted_or_added(org: Any) -> None:
    approve_all(org, generate(org))
    with pytest.raises(Conflict) as exc:
        services.time_entry_update(actor=org.a(org.pse), entry=org.entry, hours="7")
    assert "FY27 Q4, approved and locked" in exc.value.message
    with pytest.raises(Conflict):
        services.time_entry_delete(actor=org.a(org.pse), entry=org.entry)
    with pytest.raises(Conflict):
        services.time_entry_create(
            actor=org.a(org.pse),
            person=org.pse,
            work_item=WorkItemFactory.create(),
            date=DAY,
            hours="1",
        )
    org.entry.refresh_from_db()
    assert org.entry.hours == D("6.00")
    # Outside the quarter time is open.
    services.time_entry_create(
        actor=org.a(org.pse),
        person=org.pse,
        work_item=WorkItemFactory.create(),
        date=dt.date(2027, 2, 1),
        hours="1",
    )


def test_a_correction_is_an_adjusting_entry_approved_like_the_rest(org: Any) -> None:
    cert = approve_all(org, generate(org))
    with pytest.raises(ValidationFailed) as exc:
        cert_services.time_entry_adjust(
            actor=org.a(org.pse), entry=org.entry, hours="-1", reason=""
        )
    assert exc.value.errors[0].field == "reason"
    with pytest.raises(ValidationFailed):
        cert_services.time_entry_adjust(
            actor=org.a(org.pse), entry=org.entry, hours="-7", reason="too much"
        )
    adjustment = cert_services.time_entry_adjust(
        actor=org.a(org.pse), entry=org.entry, hours="-1.5", reason="Half of the call was pre-sales"
    )
    assert (adjustment.hours, adjustment.adjusts, adjustment.date) == (D("-1.50"), org.entry, DAY)
    org.entry.refresh_from_db()
    assert org.entry.hours == D("6.00")  # never edited in place
    cert.refresh_from_db()
    assert (cert.status, cert.revision, cert.total_hours, cert.billable_hours) == (
        "generated",
        2,
        D("6.50"),
        D("4.50"),
    )
    assert cert.locked_at is not None  # still locked while it is approved again
    cert = approve_all(org, cert)
    assert cert.status == "approved"
    assert AuditEntry.objects.filter(action="time.adjust").get().reason == (
        "Half of the call was pre-sales"
    )


def test_adjusting_unlocked_time_is_refused(org: Any) -> None:
    with pytest.raises(Conflict):
        cert_services.time_entry_adjust(
            actor=org.a(org.pse), entry=org.entry, hours="1", reason="x"
        )
    assert TimeEntry.objects.filter(adjusts__isnull=False).count() == 0


def test_finance_reopens_with_a_reason(org: Any) -> None:
    cert = approve_all(org, generate(org))
    with pytest.raises(PermissionDenied):
        cert_services.certification_reopen(actor=org.a(org.head), certification=cert, reason="x")
    with pytest.raises(ValidationFailed):
        cert_services.certification_reopen(actor=org.a(org.finance), certification=cert, reason=" ")
    cert = cert_services.certification_reopen(
        actor=org.a(org.finance), certification=cert, reason="Payroll correction for November"
    )
    assert (cert.status, cert.locked_at, cert.revision) == ("generated", None, 2)
    services.time_entry_update(actor=org.a(org.pse), entry=org.entry, hours="7")
    assert AuditEntry.objects.filter(action="certification.reopen").get().reason == (
        "Payroll correction for November"
    )


# ------------------------------------------------------------------ the end-of-quarter job


def test_the_end_of_quarter_job_generates_each_pses_certification_once(
    make_person: Callable[..., Person],
    actor_of: Callable[[Person], Actor],
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.core import mail

    from psa.core.models import Notification

    # given, on 3 Feb 2027 (FY28 Q1), FY27 Q4 (Nov 2026 - Jan 2027) has just ended
    manager = make_person(Role.DELIVERY_MANAGER, name="Marcus Chen")
    alex = make_person(Role.PSE, manager=manager, start_date=dt.date(2025, 1, 6))
    blair = make_person(Role.PSE, manager=manager, start_date=dt.date(2026, 12, 1))  # mid-quarter
    make_person(Role.PSE, manager=manager, start_date=dt.date(2027, 2, 1))  # after it: skipped
    make_person(
        Role.PSE, manager=manager, start_date=dt.date(2024, 1, 1), end_date=dt.date(2026, 10, 30)
    )
    already = make_person(Role.PSE, manager=manager, start_date=dt.date(2025, 1, 6))
    cert_services.certification_generate(
        actor=actor_of(manager), person=already, year=2027, quarter=4
    )
    services.time_entry_create(
        actor=actor_of(alex), person=alex, work_item=WorkItemFactory.create(), date=DAY, hours="6"
    )

    # when the periodic job runs, twice
    with django_capture_on_commit_callbacks(execute=True):
        assert cert_services.certifications_generate_due(today=NOW.date()) == 2
    assert cert_services.certifications_generate_due(today=NOW.date()) == 0

    # then alex and blair have FY27 Q4 certifications with their totals, waiting for the manager
    certs = QuarterlyCertification.objects.filter(fiscal_year=2027, quarter=4)
    assert sorted(certs.values_list("person_id", flat=True)) == sorted(
        [alex.pk, blair.pk, already.pk]
    )
    mine = certs.get(person=alex)
    assert (mine.status, mine.total_hours) == (QuarterlyCertification.Status.GENERATED, D("6.00"))
    audit = AuditEntry.objects.filter(action="certification.generate", target_id=str(mine.pk))
    assert audit.get().actor_name == "system"
    # and the manager was told once, in the app and by e-mail
    notes = Notification.objects.filter(user=manager.user)
    assert [n.text for n in notes] == [
        "FY27 Q4 timesheets are ready for you to certify: 2 of your team."
    ]
    assert [m.subject for m in mail.outbox] == ["PSA: FY27 Q4 timesheets to certify"]


def test_periodic_jobs_run_on_when_one_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from psa import periodic

    def broken() -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(periodic, "JOBS", {"a": lambda: 2, "b": broken, "c": lambda: 0})
    assert periodic.run_once() == {"a": 2, "b": -1, "c": 0}


# ------------------------------------------------------------------ approving the real hours


def decide(org: Any, who: Person, step: str, **kw: Any) -> QuarterlyCertification:
    cert = QuarterlyCertification.objects.get(person=org.pse)
    kw.setdefault("reason", NO_SHEETS)
    return cert_services.certification_decide(
        actor=org.a(who), certification=cert, step=step, approve=kw.pop("approve", True), **kw
    )


def test_each_step_sees_and_records_the_figures_as_the_entries_give_them_now(org: Any) -> None:
    cert = generate(org)
    services.time_entry_create(
        actor=org.a(org.pse),
        person=org.pse,
        work_item=WorkItemFactory.create(),
        date=DAY,
        hours="1.5",
    )
    view = cert_selectors.certification_view(cert)
    assert (view.total_hours, view.billable_hours) == (D("9.50"), D("6.00"))
    report_total = report_selectors.hours_report(
        person=org.pse, quarter=periods.fiscal_quarter(DAY)
    ).total
    assert report_total == view.total_hours  # the screen and the XLSX agree

    cert = decide(org, org.manager, "manager", digest=view.digest)

    step = CertificationStep.objects.get()
    assert (step.total_hours, step.billable_hours, step.digest) == (
        D("9.50"),
        D("6.00"),
        view.digest,
    )
    assert sum(D(hours) for _, _, hours in step.entries.values()) == D("9.50")
    assert (cert.total_hours, cert.billable_hours) == (D("9.50"), D("6.00"))


def test_an_approval_of_figures_that_changed_since_the_page_loaded_is_refused(org: Any) -> None:
    shown = cert_selectors.certification_view(generate(org)).digest
    services.time_entry_update(actor=org.a(org.pse), entry=org.entry, hours="5")

    with pytest.raises(Conflict) as refused:
        decide(org, org.manager, "manager", digest=shown)

    assert (refused.value.message, refused.value.errors[0].field) == (
        cert_services.ERR_FIGURES_CHANGED,
        "digest",
    )
    assert QuarterlyCertification.objects.get().status == "generated"
    assert CertificationStep.objects.count() == 0


def test_a_change_after_an_approval_sends_it_back_with_the_change_listed(org: Any) -> None:
    generate(org)
    decide(org, org.manager, "manager")
    decide(org, org.head, "head")
    added = services.time_entry_create(
        actor=org.a(org.pse),
        person=org.pse,
        work_item=WorkItemFactory.create(),
        date=DAY,
        hours="1",
    )

    cert = QuarterlyCertification.objects.get()
    assert cert.status == "generated"
    back = CertificationStep.objects.order_by("id").last()
    assert back is not None
    assert (back.step, back.approved, back.reason) == (
        "changed",
        False,
        f"Time entries added #{added.pk}",
    )
    told = Notification.objects.filter(user__in=[org.manager.user, org.head.user])
    assert sorted(n.user_id for n in told if "changed after your approval" in n.text) == sorted(
        [org.manager.user_id, org.head.user_id]
    )
    # The manager sees the change against what they approved; finance never saw it.
    view = cert_selectors.certification_view(cert)
    assert view.changes == rules.EntryChanges()  # a new round: nothing approved yet
    assert view.total_hours == D("9.00")


def test_an_edit_undone_before_anyone_looks_changes_nothing(org: Any) -> None:
    generate(org)
    decide(org, org.manager, "manager")
    services.time_entry_update(actor=org.a(org.pse), entry=org.entry, hours="5")
    assert QuarterlyCertification.objects.get().status == "generated"
    decide(org, org.manager, "manager")
    services.time_entry_update(actor=org.a(org.pse), entry=org.entry, hours="5")  # the same
    assert QuarterlyCertification.objects.get().status == "manager_certified"


def test_weeks_never_submitted_need_a_reason_which_is_recorded(org: Any) -> None:
    generate(org)
    with pytest.raises(ValidationFailed) as refused:
        decide(org, org.manager, "manager", reason="")
    weeks = ", ".join(
        (dt.date(2026, 10, 26) + dt.timedelta(weeks=k)).isoformat() for k in range(14)
    )
    assert refused.value.errors[0].field == "reason"
    assert refused.value.message == cert_services.ERR_MISSING_WEEKS.format(weeks=weeks)
    assert QuarterlyCertification.objects.get().status == "generated"
    view = cert_selectors.certification_view(QuarterlyCertification.objects.get())
    assert view.flags == [
        rules.FLAG_LOW.format(total=D("8.00"), capacity=D("480.00")),
        rules.FLAG_MISSING_WEEKS.format(count=14, weeks=weeks),
    ]

    decide(org, org.manager, "manager", reason="Alex was on a customer site without a laptop")
    assert CertificationStep.objects.get().reason == "Alex was on a customer site without a laptop"


def test_approval_tells_the_next_approver_and_rejection_the_person_and_the_step_before(
    org: Any,
) -> None:
    generate(org)
    decide(org, org.manager, "manager")
    to_head = Notification.objects.filter(user=org.head.user).get()
    assert to_head.text == cert_services.MSG_YOUR_STEP.format(name="Alex", quarter="FY27 Q4")

    decide(org, org.head, "head", approve=False, reason="Globex travel day missing")

    text = cert_services.MSG_REJECTED.format(
        name="Alex", quarter="FY27 Q4", reason="Globex travel day missing"
    )
    assert [n.text for n in Notification.objects.filter(user=org.manager.user)] == [text]
    assert [n.text for n in Notification.objects.filter(user=org.pse.user)] == [
        cert_services.MSG_RETURNED.format(
            quarter="FY27 Q4", who=org.head.user.username, reason="Globex travel day missing"
        )
    ]
    assert Notification.objects.filter(user=org.head.user).count() == 1  # not the rejecter


# ------------------------------------------------------------------ rejection to the fix's owner


def _snapshot() -> tuple[list[tuple[Any, ...]], int, int, int]:
    return (
        list(QuarterlyCertification.objects.values_list("status", "revision", "locked_at")),
        CertificationStep.objects.count(),
        AuditEntry.objects.count(),
        Notification.objects.count(),
    )


def test_rejection_back_to_the_person_leaves_every_queue_until_they_send_it_back(
    org: Any,
) -> None:
    generate(org)
    decide(org, org.manager, "manager")
    cert = decide(org, org.head, "head", approve=False, reason="Globex day missing")
    assert cert.status == "returned"
    assert [c.pk for c in cert_selectors.returned_to(org.pse)] == [cert.pk]
    # returned_to attaches the reason to each instance: it is no field of the model.
    assert vars(cert_selectors.returned_to(org.pse)[0])["return_reason"] == "Globex day missing"
    # Nobody can approve it while it waits for the person.
    for who, step in ((org.manager, "manager"), (org.head, "head")):
        with pytest.raises(Conflict) as exc:
            decide(org, who, step)
        assert exc.value.errors[0].field == "step"
    assert cert_selectors.approvals_standing(cert) == []

    Notification.objects.all().delete()
    services.time_entry_create(
        actor=org.a(org.pse),
        person=org.pse,
        work_item=WorkItemFactory.create(),
        date=DAY,
        hours="8",
    )
    cert.refresh_from_db()
    assert cert.status == "returned"  # a correction does not send it back by itself
    cert = cert_services.certification_resubmit(actor=org.a(org.pse), certification=cert)
    assert cert.status == "generated"
    assert (cert.total_hours, cert.billable_hours) == (D("16.00"), D("6.00"))
    last = CertificationStep.objects.order_by("-id").first()
    assert last is not None
    assert (last.step, last.approved, last.actor_name) == ("resubmit", False, org.pse.user.username)
    assert [n.text for n in Notification.objects.filter(user=org.manager.user)] == [
        cert_services.MSG_RESUBMITTED.format(name="Alex", quarter="FY27 Q4")
    ]
    # Only the waiting manager, not every delivery manager.
    assert Notification.objects.filter(user=org.other_manager.user).count() == 0
    decide(org, org.manager, "manager")  # the chain starts again


def test_finance_rejects_back_to_the_head_and_the_managers_approval_stands(org: Any) -> None:
    generate(org)
    decide(org, org.manager, "manager")
    decide(org, org.head, "head")
    Notification.objects.all().delete()
    cert = decide(
        org, org.finance, "finance", approve=False, reason="Check the PTO", back_to="head"
    )
    assert cert.status == "manager_certified"
    assert [s.step for s in cert_selectors.approvals_standing(cert)] == ["manager"]
    text = cert_services.MSG_REJECTED.format(name="Alex", quarter="FY27 Q4", reason="Check the PTO")
    assert [n.text for n in Notification.objects.filter(user=org.head.user)] == [text]
    assert [n.text for n in Notification.objects.filter(user=org.manager.user)] == [text]
    assert [n.text for n in Notification.objects.filter(user=org.pse.user)] == [text]
    assert Notification.objects.filter(user=org.finance.user).count() == 0
    # A change now is listed against the manager's standing approval.
    services.time_entry_create(
        actor=org.a(org.pse),
        person=org.pse,
        work_item=WorkItemFactory.create(),
        date=DAY,
        hours="1",
    )
    cert.refresh_from_db()
    assert cert.status == "generated"


def test_finance_rejects_back_to_the_manager(org: Any) -> None:
    generate(org)
    decide(org, org.manager, "manager")
    decide(org, org.head, "head")
    cert = decide(org, org.finance, "finance", approve=False, reason="Recount", back_to="manager")
    assert cert.status == "generated"
    assert cert_selectors.approvals_standing(cert) == []


@pytest.mark.parametrize(
    ("step", "back_to"),
    [("manager", "manager"), ("manager", "head"), ("head", "head"), ("head", "finance")],
)
def test_a_rejection_goes_back_only_to_the_person_or_an_earlier_step(
    org: Any, step: str, back_to: str
) -> None:
    generate(org)
    if step == "head":
        decide(org, org.manager, "manager")
    before = _snapshot()
    who = org.manager if step == "manager" else org.head
    with pytest.raises(ValidationFailed) as exc:
        decide(org, who, step, approve=False, reason="x", back_to=back_to)
    targets = ", ".join(rules.rejection_targets(step))
    label = CertificationStep.Step(step).label
    assert exc.value.errors[0].field == "back_to"
    assert exc.value.message == cert_services.ERR_BACK_TO.format(step=label, targets=targets)
    assert _snapshot() == before


def test_only_the_person_their_manager_or_an_admin_sends_it_back(org: Any) -> None:
    generate(org)
    cert = decide(org, org.manager, "manager", approve=False, reason="Missing days")
    before = _snapshot()
    for who in (org.head, org.finance, org.other_manager):
        with pytest.raises(PermissionDenied) as exc:
            cert_services.certification_resubmit(actor=org.a(who), certification=cert)
        assert exc.value.message == cert_services.ERR_NOT_YOURS_TO_RESUBMIT.format(name="Alex")
    assert _snapshot() == before
    cert = cert_services.certification_resubmit(actor=org.a(org.manager), certification=cert)
    assert cert.status == "generated"
    before = _snapshot()
    with pytest.raises(Conflict) as conflict:
        cert_services.certification_resubmit(actor=org.a(org.pse), certification=cert)
    assert conflict.value.message == cert_services.ERR_NOT_RETURNED.format(
        status="waiting for the delivery manager"
    )
    assert _snapshot() == before


def test_the_standing_rule_on_plain_values() -> None:
    from types import SimpleNamespace as S

    def step(name: str, approved: bool, back_to: str = "") -> Any:
        return S(step=name, approved=approved, back_to=back_to)

    m, h = step("manager", True), step("head", True)
    assert rules.standing_approvals([m, h, step("finance", False, "head")]) == [m]
    assert rules.standing_approvals([m, h, step("finance", False, "manager")]) == []
    assert rules.standing_approvals([m, h, step("finance", False, "person")]) == []
    assert rules.standing_approvals([m, step("changed", False)]) == []
    assert rules.standing_approvals([m, h, step("finance", False, "head"), h]) == [m, h]
    assert rules.rejection_targets("manager") == ("person",)
    assert rules.rejection_targets("finance") == ("person", "manager", "head")


# ------------------------------------------------------------------ correcting a locked day


def _locked(org: Any) -> QuarterlyCertification:
    return approve_all(org, generate(org))


def test_a_locked_day_is_corrected_to_what_it_should_say(org: Any) -> None:
    cert = _locked(org)
    Notification.objects.all().delete()
    adjustment = cert_services.locked_day_correct(
        actor=org.a(org.pse),
        person=org.pse,
        work_item=org.entry.work_item,
        day=DAY,
        hours="4,5",
        reason="Globex call was shorter",
    )
    assert (adjustment.hours, adjustment.adjusts, adjustment.reason) == (
        D("-1.50"),
        org.entry,
        "Globex call was shorter",
    )
    org.entry.refresh_from_db()
    assert org.entry.hours == D("6.00")  # the original stays as it was
    cert.refresh_from_db()
    assert (cert.status, cert.revision, cert.total_hours, cert.billable_hours) == (
        "generated",
        2,
        D("6.50"),
        D("4.50"),
    )
    assert cert.locked_at == NOW  # still locked
    assert [n.text for n in Notification.objects.filter(user=org.manager.user)] == [
        cert_services.MSG_ADJUSTED.format(
            name="Alex", quarter="FY27 Q4", reason="Globex call was shorter"
        )
    ]
    # Corrected again: the difference from what the day says now.
    again = cert_services.locked_day_correct(
        actor=org.a(org.pse),
        person=org.pse,
        work_item=org.entry.work_item,
        day=DAY,
        hours="5",
        reason="It was 5 after all",
    )
    assert (again.hours, again.adjusts) == (D("0.50"), org.entry)


def test_a_locked_day_with_nothing_on_the_item_gets_a_standing_adjustment(org: Any) -> None:
    _locked(org)
    item = WorkItemFactory.create()
    adjustment = cert_services.locked_day_correct(
        actor=org.a(org.pse),
        person=org.pse,
        work_item=item,
        day=DAY + dt.timedelta(days=1),
        hours="2:30",
        reason="Forgot the workshop prep",
    )
    assert (adjustment.hours, adjustment.adjusts, adjustment.work_item) == (D("2.50"), None, item)
    assert adjustment.reason == "Forgot the workshop prep"


@pytest.mark.parametrize(
    ("hours", "reason", "errors"),
    [
        ("6", "same", {"hours": cert_services.ERR_CORRECTION_SAME}),
        ("1,5,0", "typo", {"hours": None}),
        ("1.500", "typo", {"hours": None}),
        ("-1", "typo", {"hours": rules.ERR_HOURS_NEGATIVE}),
        ("4", "  ", {"reason": cert_services.ERR_REASON}),
        ("25", "a long day", {"hours": None}),
    ],
)
def test_bad_corrections_are_refused_and_change_nothing(
    org: Any, hours: str, reason: str, errors: dict[str, str | None]
) -> None:
    _locked(org)
    before = (_snapshot(), list(TimeEntry.objects.values_list("pk", "hours")))
    with pytest.raises(ValidationFailed) as exc:
        cert_services.locked_day_correct(
            actor=org.a(org.pse),
            person=org.pse,
            work_item=org.entry.work_item,
            day=DAY,
            hours=hours,
            reason=reason,
        )
    got = {e.field: e.message for e in exc.value.errors}
    assert set(got) == set(errors)
    for field, message in errors.items():
        if message == cert_services.ERR_CORRECTION_SAME:
            assert got[field] == message.format(date=DAY, hours="6", item=org.entry.work_item.title)
        elif message is not None:
            assert got[field] == message
    assert (_snapshot(), list(TimeEntry.objects.values_list("pk", "hours"))) == before


def test_correcting_an_open_day_or_another_persons_day_is_refused(org: Any) -> None:
    generate(org)  # not approved: the day is open
    before = _snapshot()
    with pytest.raises(Conflict) as exc:
        cert_services.locked_day_correct(
            actor=org.a(org.pse),
            person=org.pse,
            work_item=org.entry.work_item,
            day=DAY,
            hours="4",
            reason="x",
        )
    assert exc.value.message == cert_services.ERR_NOT_LOCKED.format(date=DAY)
    with pytest.raises(PermissionDenied):
        cert_services.locked_day_correct(
            actor=org.a(org.manager),
            person=org.pse,
            work_item=org.entry.work_item,
            day=DAY,
            hours="4",
            reason="x",
        )
    assert _snapshot() == before


def test_the_queue_is_derived_from_the_chain(
    org: Any, make_person: Callable[..., Person], actor_of: Callable[[Person], Actor]
) -> None:
    """One section per step whose role one holds (a manager's only for their reports), the
    returned ones of a manager's reports, the approved ones finance may reopen; never one's
    own hours."""
    cert = generate(org)
    other = make_person(Role.PSE, name="Olga", manager=org.other_manager)
    cert_services.certification_generate(
        actor=org.a(org.manager), person=other, year=2027, quarter=4
    )
    both = make_person(Role.DELIVERY_MANAGER, Role.FINANCE_PARTNER, name="Bo")

    mine = cert_selectors.queue_for(org.a(org.manager))
    assert [(s.key, s.step, s.back_to, [r.cert.pk for r in s.rows]) for s in mine] == [
        (Role.DELIVERY_MANAGER, "manager", ("person",), [cert.pk]),
        ("returned", "", (), []),
    ]
    assert [s.key for s in cert_selectors.queue_for(actor_of(both))] == [
        Role.DELIVERY_MANAGER,
        Role.FINANCE_PARTNER,
        "returned",
        "approved",
    ]
    head = cert_selectors.queue_for(org.a(org.head))
    assert [(s.key, s.back_to) for s in head] == [(Role.HEAD_OF_PS, ("person", "manager"))]
    assert cert_selectors.queue_for(org.a(org.pse)) == []
    assert not cert_selectors.may_see_queue(org.a(org.pse))
    decide(org, org.manager, "manager", approve=False, reason="fix it")
    returned = cert_selectors.queue_for(org.a(org.manager))[1]
    assert [r.cert.pk for r in returned.rows] == [cert.pk]
