"""What production (PSA_ENV=production) refuses, and why. Pure: settings.py imports it before
Django is set up, and the CLI prints the same messages.

Each refusal stops the process at start (settings raise ImproperlyConfigured, `psa` exits with
status 2), so a misconfigured production server never answers a request."""

from __future__ import annotations

ERR_NO_SECRET_KEY = "PSA_SECRET_KEY must be set in production"  # noqa: S105 - messages
ERR_SHORT_SECRET_KEY = (
    "PSA_SECRET_KEY is too weak for production: it needs at least {length} characters, "  # noqa: S105
    "{unique} of them different, and no 'django-insecure-' prefix (it has {has} characters, "
    "{has_unique} different); generate one with "
    'python3 -c "import secrets; print(secrets.token_urlsafe(50))"'
)
ERR_DEBUG = (
    "PSA_DEBUG=1 is refused in production: debug pages show settings, code and data to "
    "whoever causes an error; unset PSA_DEBUG"
)
ERR_CLOCK = "PSA_CLOCK (psa up --clock) is refused in production settings"
ERR_DEMO = (
    "the demo data is refused in production: the demo team signs in with a published "
    "password; load it into a development data folder instead"
)
ERR_DEMO_LOGINS = (
    "this database holds the demo team ({username} signs in with the published demo password), "
    "so production refuses to start on it: use a new database, or give those logins new "
    "passwords first (psa manage changepassword {username})"
)

# Django's own deploy check (security.W009): shorter or more repetitive keys are guessable.
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE = 5
_INSECURE_PREFIX = "django-insecure-"


def secret_key_problem(key: str) -> str:
    """Why `key` is not good enough for production ("" when it is)."""
    if not key:
        return ERR_NO_SECRET_KEY
    if (
        len(key) < SECRET_KEY_MIN_LENGTH
        or len(set(key)) < SECRET_KEY_MIN_UNIQUE
        or key.startswith(_INSECURE_PREFIX)
    ):
        return ERR_SHORT_SECRET_KEY.format(
            length=SECRET_KEY_MIN_LENGTH,
            unique=SECRET_KEY_MIN_UNIQUE,
            has=len(key),
            has_unique=len(set(key)),
        )
    return ""


def refusals(*, secret_key: str, debug: bool, clock: str) -> list[str]:
    """Every reason production settings refuse to start, in the order an operator fixes them."""
    problems = [secret_key_problem(secret_key)]
    if debug:
        problems.append(ERR_DEBUG)
    if clock:
        problems.append(ERR_CLOCK)
    return [p for p in problems if p]
