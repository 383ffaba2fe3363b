"""`psa demo`: load the demo data set (small: the delivery team; large: for benchmarks)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from psa import production
from psa.cli.common import add_data_dir_arg, data_dir, fail, setup_django

if TYPE_CHECKING:
    from psa.cli.common import Commands


def register(commands: Commands) -> None:
    demo = commands.add_parser(
        "demo", help="load demo data (large: a synthetic set for benchmarks)"
    )
    demo.add_argument("--size", choices=["small", "large"], default="small")
    add_data_dir_arg(demo)
    demo.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    data_dir(args)
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    from psa import demo

    if settings.PRODUCTION:
        return fail("demo", production.ERR_DEMO)
    call_command("migrate", interactive=False, verbosity=0)
    demo.load_demo(size=args.size, progress=lambda msg: print(msg, file=sys.stderr, flush=True))
    return 0
