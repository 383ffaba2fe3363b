"""`psa manage ...`: Django's management commands, on the data folder's settings."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from psa.cli.common import add_data_dir_arg, data_dir

if TYPE_CHECKING:
    from psa.cli.common import Commands


def register(commands: Commands) -> None:
    manage = commands.add_parser("manage", help="Django management commands")
    manage.add_argument("rest", nargs=argparse.REMAINDER)
    add_data_dir_arg(manage)
    manage.set_defaults(func=cmd_manage)


def cmd_manage(args: argparse.Namespace) -> int:
    data_dir(args)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["psa manage", *args.rest])
    return 0
