"""Shared fixtures. The database is SQLite unless DATABASE_URL points at PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client, override_settings

from psa.core import tokens
from psa.core.roles import SYSTEM, Actor
from psa.people.models import Person
from psa.people.selectors import actor_for
from tests.people.factories import PersonFactory
from tests.smtp import AnyPortController, Inbox


@pytest.fixture
def make_person(db: None) -> Callable[..., Person]:
    def make(*roles: str, **fields: Any) -> Person:
        return PersonFactory.create(roles=list(roles), **fields)

    return make


@pytest.fixture
def actor_of() -> Callable[[Person], Actor]:
    def get(person: Person) -> Actor:
        assert person.user is not None
        return actor_for(person.user)

    return get


@pytest.fixture
def api_as(db: None) -> Callable[[Person], Client]:
    """A test client that calls the API with a fresh token of the given person's login."""

    def client_for(person: Person) -> Client:
        assert person.user is not None
        issued = tokens.token_create(actor=SYSTEM, user=person.user, name="test")
        return Client(headers={"Authorization": f"Bearer {issued.secret}"})

    return client_for


@pytest.fixture
def client_for(db: None) -> Callable[[Person], Client]:
    """A page client signed in as the given person's login, without going through the sign-in
    form (the tests of that form post to it themselves)."""

    def signed_in(person: Person) -> Client:
        assert person.user is not None
        client = Client()
        client.force_login(person.user)
        return client

    return signed_in


@pytest.fixture(scope="session", autouse=True)
def _audit_files_of_this_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The audit key and checkpoint file of this test process, not PSA_DATA_DIR's: pytest-xdist's
    workers share that folder but not a database, so a checkpoint one worker signs would be a
    foreign head to the other's verify (and a developer's ./psa-data is left alone)."""
    own = tmp_path_factory.mktemp("audit")
    with override_settings(
        PSA_AUDIT_KEY_FILE=own / "audit.key", PSA_AUDIT_CHECKPOINTS=own / "audit-checkpoints.jsonl"
    ):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # PBKDF2's deliberate slowness buys nothing in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings: Any) -> None:
    # Tasks (e-mail) run in-process when enqueued, so tests see their effects.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _clock_not_left_frozen() -> Any:
    from psa.core import clock

    yield
    leaked = clock._override
    clock._override = None  # never let one test's frozen clock leak into the next
    assert leaked is None, f"a test left the clock frozen at {leaked}"


@pytest.fixture(autouse=True)
def _time_rollup_consistent(request: pytest.FixtureRequest) -> Any:
    """After every database test, the stored hours rollup must equal what the time entries give:
    a write path that forgets `rollup.apply` fails here, whichever test exercises it."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not {"db", "transactional_db", "live_server"} & names:
        yield
        return
    # Set the database up here, so that it is torn down after this check runs.
    transactional = bool({"transactional_db", "live_server"} & names) or bool(
        marker and marker.kwargs.get("transaction")
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield
    from psa.timetracking import rollup

    problems = rollup.verify()
    assert not problems, "the time rollup drifted from the entries:\n" + "\n".join(problems[:10])


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Any:
    """Each test starts with no verified tokens cached (a token id can come back in the next
    test's fresh database)."""
    from psa.core import tokens

    tokens.forget_verified()
    yield
    tokens.forget_verified()


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = AnyPortController(inbox, hostname="127.0.0.1")
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_TIMEOUT = 5
    try:
        yield inbox
    finally:
        controller.stop()
