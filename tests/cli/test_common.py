"""What the commands share: the parser's commands in their order, and `--user USERNAME`
resolved to an actor in one place, with one message for an unknown login."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pytest

from psa import cli
from psa.cli.common import acting_as
from psa.core.errors import NotFound
from psa.core.models import ApiToken, AuditEntry
from psa.core.roles import SYSTEM, Role
from psa.core.tokens import ERR_NO_USER
from psa.people.models import Person
from psa.scheduling.models import AssignmentRequest, Booking
from psa.timetracking.models import TimeEntry, WorkItem


def test_the_commands_are_those_of_psa_help_in_order() -> None:
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert list(commands.choices) == [
        "up",
        "periodic",
        "worker",
        "token",
        "demo",
        "audit",
        "backup",
        "restore",
        "bench",
        "openapi",
        "schedule",
        "gitlab",
        "time",
        "manage",
    ]
    assert parser.description == (
        "The `psa` command: run the system, manage tokens, demo data, backups and benchmarks."
    )


@pytest.mark.django_db
@pytest.mark.parametrize("username", [None, ""])
def test_no_user_is_the_system(username: str | None) -> None:
    assert acting_as(username) == SYSTEM


@pytest.mark.django_db
def test_a_user_acts_with_their_person_s_roles(make_person: Callable[..., Person]) -> None:
    pc = make_person(Role.PROJECT_COORDINATOR)
    assert pc.user is not None
    actor = acting_as(pc.user.username)
    assert (actor.user_id, actor.username, actor.person_id, actor.roles) == (
        pc.user.pk,
        pc.user.username,
        pc.pk,
        frozenset({Role.PROJECT_COORDINATOR}),
    )


@pytest.mark.django_db
def test_an_unknown_user_is_not_found() -> None:
    with pytest.raises(NotFound) as refused:
        acting_as("nobody")
    assert refused.value.message == ERR_NO_USER.format(username="nobody")
    assert refused.value.message == "no user named 'nobody'"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["schedule", "import", "{file}", "--user", "nobody"], "schedule import"),
        (["gitlab", "sync", "--group", "acme", "--user", "nobody"], "gitlab sync"),
        (["token", "create", "--user", "nobody"], "token create"),
    ],
    ids=["schedule import", "gitlab sync", "token create"],
)
def test_every_user_option_refuses_an_unknown_login_alike(
    argv: list[str],
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # given a spreadsheet and a GitLab that would otherwise be read
    monkeypatch.setenv("PSA_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PSA_GITLAB_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("PSA_GITLAB_TOKEN", "glpat-unused")
    sheet = tmp_path / "schedule.csv"
    sheet.write_text("Resource;Engagement;Task;Start;End;Hours;Kind\n")
    models = (AuditEntry, Booking, AssignmentRequest, TimeEntry, WorkItem, ApiToken)
    before = [model.objects.count() for model in models]
    # when a command runs as a login that does not exist
    code = cli.main([part.format(file=sheet) for part in argv])
    # then it stops with the one message, and nothing changed
    assert code == 2
    assert capsys.readouterr().err == f"psa {command}: {ERR_NO_USER.format(username='nobody')}\n"
    assert [model.objects.count() for model in models] == before
