"""`psa token create`: an API token for a login, printed once."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from psa.cli.common import add_data_dir_arg, data_dir, fail, setup_django

if TYPE_CHECKING:
    from psa.cli.common import Commands


def register(commands: Commands) -> None:
    token = commands.add_parser("token", help="API tokens")
    token_commands = token.add_subparsers(dest="token_command", required=True)
    create = token_commands.add_parser("create", help="print a new API token for a user")
    create.add_argument("--user", required=True)
    create.add_argument("--name", default="cli")
    create.add_argument("--days", type=int, default=None)
    add_data_dir_arg(create)
    create.set_defaults(func=cmd_token_create)


def cmd_token_create(args: argparse.Namespace) -> int:
    data_dir(args)
    setup_django()
    from psa.core import tokens
    from psa.core.errors import DomainError
    from psa.core.roles import SYSTEM

    # --user names the token's owner here, not who acts: the system issues it.
    try:
        user = tokens.user_by_username(args.user)
        issued = tokens.token_create(actor=SYSTEM, user=user, name=args.name, days=args.days)
    except DomainError as exc:
        return fail("token create", exc.message)
    print(issued.secret)
    print(
        f"expires {issued.token.expires_at:%Y-%m-%d %H:%M} UTC; shown once, keep it safe",
        file=sys.stderr,
    )
    return 0
