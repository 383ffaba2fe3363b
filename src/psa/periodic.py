"""The periodic jobs that `psa periodic` runs every few minutes (or cron runs with --once).
Each is idempotent, so running them again, or late, does no harm; one failing does not stop
the others."""

from __future__ import annotations

import logging
from collections.abc import Callable

from psa.core import audit, clock, database, jobs
from psa.finance.services import figures_record_daily, filings_retry_due
from psa.timetracking.certification.services import certifications_generate_due
from psa.timetracking.reminders import timesheet_reminders_send

log = logging.getLogger(__name__)

JOBS: dict[str, Callable[[], int]] = {
    "timesheet reminders sent": lambda: timesheet_reminders_send(now=clock.now()),
    "quarterly certifications generated": lambda: certifications_generate_due(today=clock.today()),
    "finished jobs purged": lambda: jobs.jobs_purge(now=clock.now()),
    "jobs whose worker stopped marked failed": lambda: jobs.jobs_fail_stale(now=clock.now()),
    "audit checkpoints written": audit.audit_checkpoint_periodic,
    "close-out filings retried": lambda: filings_retry_due(now=clock.now()),
    "finance figures recorded (daily)": lambda: figures_record_daily(now=clock.now()),
    "database statistics refreshed (SQLite)": database.statistics_refresh,
}


def run_once() -> dict[str, int]:
    """Run every periodic job once; returns what each did (-1 for one that failed)."""
    done: dict[str, int] = {}
    for name, job in JOBS.items():
        try:
            done[name] = job()
        except Exception:
            log.exception("periodic job failed: %s", name)
            done[name] = -1
    return done
