"""The `psa` command: run the system, manage tokens, demo data, backups and benchmarks."""

from __future__ import annotations

import argparse
import sys

from psa.cli import (
    audit,
    backup,
    bench,
    demo,
    gitlab,
    manage,
    openapi,
    schedule,
    timetracking,
    tokens,
    up,
)

# One module a command group, each adding its commands in this order (the order of `psa -h`).
GROUPS = (up, tokens, demo, audit, backup, bench, openapi, schedule, gitlab, timetracking, manage)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="psa", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from django.core.exceptions import ImproperlyConfigured

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ImproperlyConfigured as exc:
        # Settings refused to load (production without a proper key, with debug, ...): the
        # reason, not a traceback, and nothing has started.
        print(f"psa {args.command}: {exc}", file=sys.stderr)
        return 2
