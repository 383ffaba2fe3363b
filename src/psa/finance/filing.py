"""Delivering a close-out filing (services.close_out_file records it; the worker runs this):
to Salesforce, the PDF onto the engagement's opportunity and a Chatter post that @mentions the
controller and the finance business partner; or, with no CRM configured, an e-mail to both
with the PDF attached. Then the engagement moves to complete.

Safe to run twice: a filing is claimed before it is worked on (a second delivery of the task
finds it claimed and does nothing), each step done is recorded at once, and a step whose answer
was lost (the worker died after Salesforce answered) is found again in Salesforce by what it
carries before it is repeated. A failure is kept on the filing with Salesforce's or the mail
server's own words and tried again later (rules.filing_retry_wait); nothing else changes."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F

from psa.core import audit, clock
from psa.core.errors import DomainError
from psa.core.roles import SYSTEM
from psa.engagements import rules as engagement_rules
from psa.engagements import services as engagement_services
from psa.engagements.choices import Status as EngagementStatus
from psa.finance import rules
from psa.finance.models import CloseOutFiling
from psa.integrations.salesforce import (
    Mention,
    SalesforceClient,
    SalesforceError,
    SalesforceSettings,
    Segment,
    salesforce_settings,
)

log = logging.getLogger(__name__)

Status = CloseOutFiling.Status
Channel = CloseOutFiling.Channel

ERR_CRM_GONE = "Salesforce was configured when this filing was requested and no longer is"
ERR_SMTP = "the mail server could not take the e-mail: {message}"
ERR_UNEXPECTED = "an unexpected error stopped this filing; the worker's log has the details"
COMPLETED_REASON = "close-out filed ({channel})"


def file_name(filing: CloseOutFiling) -> str:
    return f"close-out-{filing.engagement_id}.pdf"


def title(filing: CloseOutFiling, engagement_name: str) -> str:
    """The file's title in Salesforce: it names the filing, so a retry can find its own file."""
    return f"Close-out {engagement_name} (PSA filing {filing.pk})"


def marker(filing: CloseOutFiling) -> str:
    """Text every post of this filing carries, so a retry can find its own post."""
    return f"PSA close-out filing {filing.pk} of engagement {filing.engagement_id}"


def post_parts(
    filing: CloseOutFiling, engagement_name: str, crm: SalesforceSettings
) -> list[Segment]:
    figure = filing.figures.get  # keyed by files.summary's labels
    return [
        f"Close-out of {engagement_name} for review: revenue {figure('Revenue recognised')}, "
        f"actual cost {figure('Actual cost')}, margin {figure('Margin')}; "
        f"hours {figure('Actual hours')} of {figure('Budget hours')} budgeted. "
        "The analysis is attached. ",
        Mention(crm.controller_id),
        " ",
        Mention(crm.fbp_id),
        f" ({marker(filing)})",
    ]


def deliver(filing_id: int) -> CloseOutFiling | None:
    """Work on a queued or failed filing once; None when another delivery has it or it is
    done already."""
    now = clock.now()
    claimed = CloseOutFiling.objects.filter(
        pk=filing_id, status__in=[Status.QUEUED, Status.FAILED]
    ).update(
        status=Status.SENDING,
        attempt_started_at=now,
        attempts=F("attempts") + 1,
        next_attempt_at=None,
    )
    if not claimed:
        return None
    filing = CloseOutFiling.objects.select_related("engagement__customer").get(pk=filing_id)
    try:
        if filing.channel == Channel.SALESFORCE:
            _to_salesforce(filing)
        else:
            _by_email(filing)
    except DomainError as exc:
        _failed(filing, exc.message)
    except OSError as exc:  # smtplib's errors, a refused connection
        _failed(filing, ERR_SMTP.format(message=exc))
    except Exception:
        log.exception("close-out filing %s failed", filing_id)
        _failed(filing, ERR_UNEXPECTED)
    else:
        _filed(filing)
    return CloseOutFiling.objects.get(pk=filing_id)


def _name(filing: CloseOutFiling) -> str:
    e = filing.engagement
    return f"{e.customer.name} — {e.name}"


def _to_salesforce(filing: CloseOutFiling) -> None:
    crm = salesforce_settings()
    if crm is None:
        raise SalesforceError(ERR_CRM_GONE)
    client = SalesforceClient.from_settings(crm)
    record = filing.opportunity_id
    name = _name(filing)
    if not filing.crm_file_id:
        filing_title = title(filing, name)
        filing.crm_file_id = client.find_file(
            record_id=record, title=filing_title
        ) or client.attach_file(
            record_id=record,
            title=filing_title,
            file_name=file_name(filing),
            data=bytes(filing.pdf),
        )
        CloseOutFiling.objects.filter(pk=filing.pk).update(crm_file_id=filing.crm_file_id)
    if not filing.crm_post_id:
        filing.crm_post_id = client.find_post(
            record_id=record, marker=marker(filing)
        ) or client.post(
            record_id=record, parts=post_parts(filing, name, crm), file_id=filing.crm_file_id
        )
        CloseOutFiling.objects.filter(pk=filing.pk).update(crm_post_id=filing.crm_post_id)


def _by_email(filing: CloseOutFiling) -> None:
    name = _name(filing)
    lines = [f"The close-out of {name} is ready for your review.", ""]
    lines += [f"{label}: {value}" for label, value in filing.figures.items()]
    lines += ["", "The analysis is attached. PSA files close-outs by e-mail while no CRM is set."]
    message = EmailMessage(
        subject=f"Close-out: {name}",
        body="\n".join(lines),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(filing.recipients),
    )
    message.attach(file_name(filing), bytes(filing.pdf), "application/pdf")
    message.send(fail_silently=False)


def _failed(filing: CloseOutFiling, error: str) -> None:
    wait = rules.filing_retry_wait(filing.attempts)
    CloseOutFiling.objects.filter(pk=filing.pk).update(
        status=Status.FAILED,
        last_error=error[:2000],
        next_attempt_at=clock.now() + wait if wait is not None else None,
    )


def _filed(filing: CloseOutFiling) -> None:
    with transaction.atomic():
        CloseOutFiling.objects.filter(pk=filing.pk).update(
            status=Status.FILED, filed_at=clock.now(), last_error=""
        )
        engagement = filing.engagement
        audit.record(
            actor=SYSTEM,
            action="engagement.close_out_filed",
            target=engagement,
            after={
                "channel": filing.channel,
                "crm_file_id": filing.crm_file_id,
                "crm_post_id": filing.crm_post_id,
                "recipients": filing.recipients,
                "attempts": filing.attempts,
            },
        )
        # The handbook's last step: the engagement is complete once its close-out is filed.
        # One that cannot go there from where it is (cancelled, never started) stays.
        problem = engagement_rules.transition_error(engagement.status, EngagementStatus.COMPLETE)
        if problem is None:
            engagement_services.engagement_set_status(
                actor=SYSTEM,
                engagement=engagement,
                status=EngagementStatus.COMPLETE,
                reason=COMPLETED_REASON.format(channel=filing.get_channel_display()),
            )
