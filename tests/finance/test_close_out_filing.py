"""Filing the close-out: the PDF onto the engagement's Salesforce opportunity and a Chatter post
with @mention segments for the controller and the finance business partner (a local HTTPS
Salesforce answering the documented shapes), or an e-mail to both over real SMTP without a CRM.
Safe to run twice; a CRM that is down or answers an error is kept, retried and shown; the
engagement then moves to complete."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from functools import partial
from typing import Any

import pytest
import trustme
from django.core import mail
from django.db import connection
from django.test import Client
from pypdf import PdfReader

from psa import periodic
from psa.core import clock
from psa.core.errors import Conflict, PermissionDenied
from psa.core.models import AuditEntry
from psa.core.roles import Actor, Role
from psa.engagements.models import Engagement, Status
from psa.finance import filing, rules, selectors, services
from psa.finance.api import ERR_NO_FILING
from psa.finance.models import CloseOutFiling
from psa.integrations import salesforce as sf
from psa.people.models import Person
from tests.finance.conftest import NOW, Books
from tests.finance.salesforce_fake import (
    CONTROLLER,
    FBP,
    OPPORTUNITY,
    TOKEN,
    UNAVAILABLE,
    FakeSalesforce,
)
from tests.finance.test_close_out import approve_bo
from tests.helpers import assert_problem, assert_refused, flash, unchanged
from tests.smtp import Inbox

MakePerson = Callable[..., Person]
FILED, FAILED = CloseOutFiling.Status.FILED, CloseOutFiling.Status.FAILED
ENV = {
    "PSA_SALESFORCE_ACCESS_TOKEN": TOKEN,
    "PSA_SALESFORCE_CONTROLLER_ID": CONTROLLER,
    "PSA_SALESFORCE_FBP_ID": FBP,
}


@pytest.fixture
def salesforce(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSalesforce]:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    fake = FakeSalesforce(ca=ca, ca_file=ca_file)
    fake.start()
    monkeypatch.setenv("PSA_SALESFORCE_INSTANCE_URL", fake.url)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    # requests trusts the test CA the way an operator trusts a private one.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca_file))
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def ready(books: Books, actor_of: Callable[[Person], Actor]) -> Books:
    """Every hour approved; the SOW active, with its opportunity in the CRM."""
    approve_bo(books, actor_of)
    Engagement.objects.filter(pk=books.sow.pk).update(
        status=Status.ACTIVE, crm_opportunity_id=OPPORTUNITY
    )
    return books


def file_sow(books: Books, actor_of: Callable[[Person], Actor]) -> CloseOutFiling:
    with clock.frozen(NOW):
        return services.close_out_file(actor=actor_of(books.finance), engagement_id=books.sow.pk)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_filed_to_salesforce_the_pdf_a_post_with_mentions_and_the_engagement_completes(
    ready: Books, salesforce: FakeSalesforce, actor_of: Callable[[Person], Actor]
) -> None:
    done = file_sow(ready, actor_of)
    assert (done.status, done.channel, done.attempts, done.last_error) == (
        FILED,
        "salesforce",
        1,
        "",
    )
    [version] = salesforce.versions
    name = f"{ready.sow.customer.name} — Migration"
    assert (version["Title"], version["PathOnClient"], version["FirstPublishLocationId"]) == (
        f"Close-out {name} (PSA filing {done.pk})",
        f"close-out-{ready.sow.pk}.pdf",
        OPPORTUNITY,
    )
    assert version["data"] == bytes(done.pdf)
    text = pdf_text(version["data"])
    assert "Close-out: cost vs actual" in text
    assert "Actual hours 24.00" in text
    assert "Cost variance (actual − budget) -600.00 USD" in text
    [post] = salesforce.posts
    marker = filing.marker(done)
    assert post["parent"] == {"id": OPPORTUNITY}
    assert post["body"]["messageSegments"] == [
        {
            "type": "Text",
            "text": f"Close-out of {name} for review: revenue 50,000.00 USD, actual cost "
            "2,400.00 USD, margin 47,600.00 USD (95.2 %); hours 24.00 of 30.00 budgeted. "
            "The analysis is attached. ",
        },
        {"type": "Mention", "id": CONTROLLER},
        {"type": "Text", "text": " "},
        {"type": "Mention", "id": FBP},
        {"type": "Text", "text": f" ({marker})"},
    ]
    assert post["capabilities"] == {"files": {"items": [{"id": version["ContentDocumentId"]}]}}
    assert (done.crm_file_id, done.crm_post_id) == (version["ContentDocumentId"], post["id"])
    assert done.filed_at == NOW
    sow = Engagement.objects.get(pk=ready.sow.pk)
    assert (sow.status, sow.completed_on) == (Status.COMPLETE, NOW.date())
    actions = list(
        AuditEntry.objects.filter(target_id=str(sow.pk), action__startswith="engagement.")
        .order_by("id")
        .values_list("action", "reason")
    )
    assert actions[-3:] == [
        ("engagement.close_out_requested", ""),
        ("engagement.close_out_filed", ""),
        ("engagement.status", filing.COMPLETED_REASON.format(channel="Salesforce")),
    ]


def test_asked_twice_or_delivered_twice_it_files_once(
    ready: Books, salesforce: FakeSalesforce, actor_of: Callable[[Person], Actor]
) -> None:
    done = file_sow(ready, actor_of)
    asked = len(salesforce.requests)
    with unchanged(), pytest.raises(Conflict) as exc:
        file_sow(ready, actor_of)
    assert exc.value.message == services.ERR_FILED_ALREADY.format(
        day=NOW.date().isoformat(), channel="Salesforce"
    )
    assert filing.deliver(done.pk) is None  # the task delivered a second time
    assert (len(salesforce.requests), len(salesforce.versions), len(salesforce.posts)) == (
        asked,
        1,
        1,
    )


def test_a_crm_that_answers_an_error_is_kept_retried_by_the_worker_and_filed_once(
    ready: Books, salesforce: FakeSalesforce, actor_of: Callable[[Person], Actor]
) -> None:
    salesforce.fail("POST", "chatter/feed-elements", 503, UNAVAILABLE)
    failed = file_sow(ready, actor_of)
    assert (failed.status, failed.attempts, failed.crm_post_id) == (FAILED, 1, "")
    assert failed.last_error == sf.ERR_SALESFORCE.format(
        status=503,
        what=f"a post on {OPPORTUNITY}",
        message="SERVER_UNAVAILABLE: Service temporarily unavailable",
    )
    assert failed.next_attempt_at == NOW + dt.timedelta(minutes=5)
    assert failed.crm_file_id == salesforce.versions[0]["ContentDocumentId"]  # kept, not redone
    assert Engagement.objects.get(pk=ready.sow.pk).status == Status.ACTIVE  # nothing else
    with clock.frozen(NOW + dt.timedelta(minutes=4)), unchanged():
        assert services.filings_retry_due(now=clock.now()) == 0
    with clock.frozen(NOW + dt.timedelta(minutes=5)):
        ran = periodic.run_once()
    assert ran["close-out filings retried"] == 1
    done = CloseOutFiling.objects.get(pk=failed.pk)
    assert (done.status, done.attempts, done.last_error) == (FILED, 2, "")
    assert (salesforce.calls("POST", "sobjects/ContentVersion"), len(salesforce.posts)) == (1, 1)
    assert Engagement.objects.get(pk=ready.sow.pk).status == Status.COMPLETE


@pytest.mark.parametrize(
    ("path", "method"), [("sobjects/ContentVersion", "POST"), ("chatter/feed-elements", "POST")]
)
def test_a_write_whose_answer_was_lost_is_found_again_not_repeated(
    ready: Books,
    salesforce: FakeSalesforce,
    actor_of: Callable[[Person], Actor],
    path: str,
    method: str,
) -> None:
    salesforce.fail(method, path, 503, UNAVAILABLE, after_work=True)
    failed = file_sow(ready, actor_of)
    assert failed.status == FAILED
    assert len(salesforce.versions) == 1
    with clock.frozen(NOW + dt.timedelta(minutes=5)):
        done = services.close_out_file_again(
            actor=actor_of(ready.finance), filing=CloseOutFiling.objects.get(pk=failed.pk)
        )
    assert done.status == FILED
    assert (len(salesforce.versions), len(salesforce.posts)) == (1, 1)
    assert salesforce.calls(method, path) == 1
    assert done.crm_file_id == salesforce.versions[0]["ContentDocumentId"]
    assert done.crm_post_id == salesforce.posts[0]["id"]


def test_a_crm_that_is_down_or_refuses_the_token(
    ready: Books,
    salesforce: FakeSalesforce,
    actor_of: Callable[[Person], Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PSA_SALESFORCE_ACCESS_TOKEN", "expired")
    refused = file_sow(ready, actor_of)
    assert (refused.status, refused.last_error) == (
        FAILED,
        sf.ERR_SALESFORCE.format(
            status=401,
            what=f"the files of {OPPORTUNITY}",
            message="INVALID_SESSION_ID: Session expired or invalid",
        ),
    )
    url = salesforce.url
    salesforce.stop()
    monkeypatch.setenv("PSA_SALESFORCE_ACCESS_TOKEN", TOKEN)
    with clock.frozen(NOW + dt.timedelta(minutes=5)):
        services.filings_retry_due(now=clock.now())
    down = CloseOutFiling.objects.get(pk=refused.pk)
    assert down.status == FAILED
    assert down.attempts == 2
    assert down.last_error.startswith(sf.ERR_UNREACHABLE.format(url=url, message=""))
    assert down.next_attempt_at == NOW + dt.timedelta(minutes=15)  # 5 after, then 10 more
    assert (down.crm_file_id, down.crm_post_id, down.filed_at) == ("", "", None)
    assert Engagement.objects.get(pk=ready.sow.pk).status == Status.ACTIVE


def test_the_wait_between_attempts_doubles_to_six_hours_then_stops() -> None:
    waits = [rules.filing_retry_wait(n) for n in range(1, rules.FILING_ATTEMPTS + 1)]
    minutes = [int(w.total_seconds() // 60) if w else None for w in waits]
    assert minutes == [5, 10, 20, 40, 80, 160, 320, 360, 360, None]


def test_a_filing_the_worker_dropped_mid_way_is_tried_again(
    ready: Books, salesforce: FakeSalesforce, actor_of: Callable[[Person], Actor]
) -> None:
    salesforce.fail("POST", "chatter/feed-elements", 503, UNAVAILABLE)
    failed = file_sow(ready, actor_of)
    # The worker claimed it and died: "sending" for longer than a job may go silent.
    CloseOutFiling.objects.filter(pk=failed.pk).update(
        status=CloseOutFiling.Status.SENDING, attempt_started_at=NOW
    )
    with clock.frozen(NOW + dt.timedelta(minutes=4)):
        assert services.filings_retry_due(now=clock.now()) == 0
    with clock.frozen(NOW + dt.timedelta(minutes=6)):
        assert services.filings_retry_due(now=clock.now()) == 1
    assert CloseOutFiling.objects.get(pk=failed.pk).status == FILED


def test_refused_and_nothing_changes(
    books: Books,
    salesforce: FakeSalesforce,
    make_person: MakePerson,
    actor_of: Callable[[Person], Actor],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pse = actor_of(make_person(Role.PSE))
    with unchanged():
        with pytest.raises(Conflict) as unapproved:
            file_sow(books, actor_of)
        with pytest.raises(PermissionDenied):
            services.close_out_file(actor=pse, engagement_id=books.sow.pk)
    assert unapproved.value.message == selectors.ERR_CLOSE_OUT_UNAPPROVED.format(
        who="Bo Dupont 24.00 h"
    )
    approve_bo(books, actor_of)
    for opportunity, error in (
        ("", services.ERR_NO_OPPORTUNITY),
        ("0065g00000", services.ERR_BAD_OPPORTUNITY.format(value="0065g00000")),
    ):
        Engagement.objects.filter(pk=books.sow.pk).update(crm_opportunity_id=opportunity)
        with unchanged(), pytest.raises(Conflict) as exc:
            file_sow(books, actor_of)
        assert [(e.field, e.message) for e in exc.value.errors] == [("crm_opportunity_id", error)]
    Engagement.objects.filter(pk=books.sow.pk).update(crm_opportunity_id=OPPORTUNITY)
    monkeypatch.delenv("PSA_SALESFORCE_FBP_ID")
    with unchanged(), pytest.raises(Conflict) as exc:
        file_sow(books, actor_of)
    assert exc.value.message == services.ERR_CRM_SETTINGS.format(
        message=sf.ERR_NOT_CONFIGURED.format(names="PSA_SALESFORCE_FBP_ID")
    )
    monkeypatch.setenv("PSA_SALESFORCE_FBP_ID", "not an id")
    with unchanged(), pytest.raises(Conflict) as exc:
        file_sow(books, actor_of)
    assert exc.value.message == services.ERR_CRM_SETTINGS.format(
        message=sf.ERR_BAD_ID.format(name="PSA_SALESFORCE_FBP_ID", value="not an id")
    )
    assert salesforce.requests == []


def _mail(inbox: Inbox) -> Message:
    [(_, _, raw)] = inbox.messages
    return message_from_bytes(raw, policy=policy.default)


def test_without_a_crm_it_is_emailed_to_the_controller_and_the_finance_partner(
    ready: Books, make_person: MakePerson, actor_of: Callable[[Person], Actor], smtp: Inbox
) -> None:
    with unchanged(), pytest.raises(Conflict) as exc:
        file_sow(ready, actor_of)
    assert exc.value.message == services.ERR_NO_RECIPIENTS
    controller = make_person(Role.CONTROLLER, email="controller@example.com")
    fbp = make_person(Role.FINANCE_BUSINESS_PARTNER, email="fbp@example.com")
    make_person(Role.CONTROLLER, email="gone@example.com", end_date=dt.date(2026, 12, 31))
    done = file_sow(ready, actor_of)
    assert (done.status, done.channel, done.recipients) == (
        FILED,
        "email",
        [controller.email, fbp.email],
    )
    message = _mail(smtp)
    assert sorted(a.strip() for a in message["To"].split(",")) == [controller.email, fbp.email]
    name = f"{ready.sow.customer.name} — Migration"
    assert message["Subject"] == f"Close-out: {name}"
    [body, attachment] = [p for p in message.walk() if not p.is_multipart()]
    assert isinstance(body, EmailMessage)  # policy.default parses into EmailMessage parts
    assert "Margin: 47,600.00 USD (95.2 %)" in body.get_content()
    assert attachment.get_filename() == f"close-out-{ready.sow.pk}.pdf"
    assert attachment.get_payload(decode=True) == bytes(done.pdf)
    assert Engagement.objects.get(pk=ready.sow.pk).status == Status.COMPLETE


def test_a_mail_server_that_is_down_is_kept_and_retried(
    ready: Books, make_person: MakePerson, actor_of: Callable[[Person], Actor], settings: Any
) -> None:
    make_person(Role.CONTROLLER, email="controller@example.com")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    failed = file_sow(ready, actor_of)
    assert failed.status == FAILED
    assert failed.last_error == filing.ERR_SMTP.format(message="[Errno 111] Connection refused")
    assert Engagement.objects.get(pk=ready.sow.pk).status == Status.ACTIVE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with clock.frozen(NOW + dt.timedelta(minutes=5)):
        services.filings_retry_due(now=clock.now())
    assert CloseOutFiling.objects.get(pk=failed.pk).status == FILED
    assert len(mail.outbox) == 1


def test_the_api_and_the_page(
    ready: Books,
    salesforce: FakeSalesforce,
    make_person: MakePerson,
    api_as: Callable[[Person], Client],
    client_for: Callable[[Person], Client],
) -> None:
    api = api_as(ready.finance)
    page = client_for(ready.finance)
    pse_api = api_as(make_person(Role.PSE))
    url = f"/api/v1/finance/close-outs/{ready.sow.pk}/filing"
    with clock.frozen(NOW):
        none_yet = api.get(url)
        pdf = api.get(f"/api/v1/finance/close-outs/{ready.sow.pk}/pdf")
        before = page.get(f"/finance/close-out/{ready.sow.pk}/")
        with unchanged():
            denied = pse_api.post(url)
        salesforce.fail("POST", "chatter/feed-elements", 503, UNAVAILABLE)
        filed = api.post(url)
        shown = page.get(f"/finance/close-out/{ready.sow.pk}/")
        retried = page.post(f"/finance/close-out/{ready.sow.pk}/file/", follow=True)
        again = api.post(url)
        read = api.get(url)
    assert_refused(none_yet, 404, "engagement_id", ERR_NO_FILING.format(id=ready.sow.pk))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")
    assert "Budget hours 30.00" in pdf_text(pdf.content)
    assert "E-mail to" not in before.content.decode()
    assert "File to Salesforce" in before.content.decode()
    assert_problem(denied, 403, selectors.ERR_MAY_NOT_READ)
    assert filed.status_code == 202
    body = filed.json()
    assert (body["status"], body["attempts"], body["crm_post_id"]) == ("failed", 1, "")
    assert body["next_attempt_at"] == (NOW + dt.timedelta(minutes=5)).isoformat().replace(
        "+00:00", "Z"
    )
    assert "The last attempt failed:" in shown.content.decode()
    assert flash("Close-out filed (Salesforce); the engagement is complete.", "success") in (
        retried.content.decode()
    )
    assert_refused(
        again,
        409,
        "engagement_id",
        services.ERR_FILED_ALREADY.format(day=NOW.date().isoformat(), channel="Salesforce"),
    )
    assert read.json()["status"] == "filed"
    assert read.json()["figures"]["Actual hours"] == "24.00"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_filed_at_once_by_two_it_is_filed_once(
    ready: Books, salesforce: FakeSalesforce, actor_of: Callable[[Person], Actor]
) -> None:
    from tests.timetracking.test_concurrency import run_together

    finance = actor_of(ready.finance)
    call = partial(services.close_out_file, actor=finance, engagement_id=ready.sow.pk)
    assert run_together([call, call, call], now=NOW) == ["Conflict", "Conflict", "ok"]
    assert CloseOutFiling.objects.get(engagement=ready.sow).status == FILED
    assert (len(salesforce.versions), len(salesforce.posts)) == (1, 1)
