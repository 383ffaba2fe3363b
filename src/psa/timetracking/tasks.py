"""Background jobs for time tracking: take ids, call a service, return a JSON-able summary."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django_tasks import task

from psa.core.errors import DomainError
from psa.integrations.gitlab import GitLabClient, gitlab_settings
from psa.people.selectors import actor_for
from psa.timetracking.certification import is_locked
from psa.timetracking.gitlab_sync import gitlab_sync


@task()
def gitlab_sync_task(*, user_id: int, group: str = "") -> dict[str, Any]:
    """Run a GitLab sync for the user who asked (their rights apply); approved quarters are
    never changed (reported instead)."""
    try:
        actor = actor_for(User.objects.get(pk=user_id))
        settings = gitlab_settings(require_group=not group)
        with GitLabClient.from_settings(settings) as client:
            report = gitlab_sync(
                actor=actor, client=client, group=group or settings.group, is_locked=is_locked
            )
    except DomainError as exc:
        return {"ok": False, "error": exc.message}
    return {
        "ok": True,
        "group": report.group,
        **report.counts(),
        "reported": [f"{r.code}: {r.message}" for r in report.reported[:200]],
    }
