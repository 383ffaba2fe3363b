"""`psa openapi`: the API's OpenAPI schema (committed as docs/openapi.json)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from psa.cli.common import add_data_dir_arg, data_dir, setup_django

if TYPE_CHECKING:
    from psa.cli.common import Commands


def register(commands: Commands) -> None:
    openapi = commands.add_parser(
        "openapi", help="print the API's OpenAPI schema (docs/openapi.json)"
    )
    openapi.add_argument("--output", "-o", help="write to this file instead of stdout")
    add_data_dir_arg(openapi)
    openapi.set_defaults(func=cmd_openapi)


def cmd_openapi(args: argparse.Namespace) -> int:
    data_dir(args)
    setup_django()
    from psa.api import openapi_json

    text = openapi_json()
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0
