"""`psa gitlab sync`: a GitLab group's epics, labels, issues and time logs into PSA."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from psa.cli.common import acting_as, add_data_dir_arg, add_user_arg, data_dir, fail, setup_django
from psa.cli.progress import ProgressBar

if TYPE_CHECKING:
    from psa.cli.common import Commands


def register(commands: Commands) -> None:
    gitlab = commands.add_parser("gitlab", help="GitLab import (PSA_GITLAB_URL, PSA_GITLAB_TOKEN)")
    gitlab_commands = gitlab.add_subparsers(dest="gitlab_command", required=True)
    sync = gitlab_commands.add_parser(
        "sync", help="sync a group's epics, labels, issues and time logs; reports on stderr"
    )
    sync.add_argument("--group", help="group id or full path (default $PSA_GITLAB_GROUP)")
    add_user_arg(sync)
    add_data_dir_arg(sync)
    sync.set_defaults(func=cmd_gitlab_sync)


def cmd_gitlab_sync(args: argparse.Namespace) -> int:
    """Sync a GitLab group's epics, labels, issues and time logs; reported items on stderr."""
    data_dir(args)
    setup_django()
    from psa.core.errors import DomainError
    from psa.integrations.gitlab import GitLabClient, gitlab_settings
    from psa.timetracking.gitlab_sync import gitlab_sync

    try:
        settings = gitlab_settings(require_group=not args.group)
        who = acting_as(args.user)
        with (
            ProgressBar(stage_width=13, bar=False) as progress,
            GitLabClient.from_settings(settings) as client,
        ):
            report = gitlab_sync(
                actor=who,
                client=client,
                group=args.group or settings.group,
                progress=progress,
            )
    except DomainError as exc:
        return fail("gitlab sync", exc.message)
    for item in report.reported:
        print(f"{item.code}: {item.message}", file=sys.stderr)
    print(
        f"{report.group}: {report.entries_created} time entries created, "
        f"{report.entries_updated} updated, {report.entries_removed} removed, "
        f"{report.entries_unchanged} unchanged; {report.work_items_created} work items created, "
        f"{report.work_items_updated} updated; {report.epics_created} epic categories created; "
        f"{len(report.reported)} reported",
        file=sys.stderr,
    )
    return 0
