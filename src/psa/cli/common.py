"""What every `psa` command shares: the data folder, Django's setup, the acting user."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from psa.core.roles import Actor

    Commands = argparse._SubParsersAction[argparse.ArgumentParser]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psa.settings")
    import django

    django.setup()


def data_dir(args: argparse.Namespace) -> Path:
    """The data folder (--data-dir, $PSA_DATA_DIR or ./psa-data), created, and exported to the
    settings and to any child process as PSA_DATA_DIR."""
    path = Path(
        getattr(args, "data_dir", None) or os.environ.get("PSA_DATA_DIR") or "psa-data"
    ).resolve()
    path.mkdir(parents=True, exist_ok=True)
    os.environ["PSA_DATA_DIR"] = str(path)
    return path


def add_data_dir_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="data folder (default ./psa-data or $PSA_DATA_DIR)")


def add_user_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", help="act as this login (default: system)")


def acting_as(username: str | None) -> Actor:
    """The actor of `--user USERNAME`: that login with its person's roles; the system when no
    login is named. An unknown login raises NotFound with core.tokens.ERR_NO_USER."""
    from psa.core import tokens
    from psa.core.roles import SYSTEM
    from psa.people.selectors import actor_for

    if not username:
        return SYSTEM
    return actor_for(tokens.user_by_username(username))


def fail(command: str, message: str, *, code: int = 2) -> int:
    """Say why `psa COMMAND` stops, on stderr; the exit status to return."""
    print(f"psa {command}: {message}", file=sys.stderr)
    return code
