"""Background jobs for finance: each is safe to deliver twice (see finance.filing)."""

from __future__ import annotations

from django_tasks import task

from psa.finance import filing


@task()
def close_out_filing_task(*, filing_id: int) -> None:
    """File a close-out to the CRM (or e-mail it); a failure is kept and retried later."""
    filing.deliver(filing_id)
