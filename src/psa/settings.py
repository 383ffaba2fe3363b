"""Django settings, read from the environment.

`psa up` sets PSA_DATA_DIR (SQLite file, secret key, backups); DATABASE_URL switches to PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from psa import production

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("PSA_DATA_DIR", Path.cwd() / "psa-data")).resolve()
PRODUCTION = os.environ.get("PSA_ENV", "development") == "production"


def _secret_key() -> str:
    if key := os.environ.get("PSA_SECRET_KEY"):
        return key
    if PRODUCTION:
        return ""  # refused at the end, with every other reason production refuses
    # Development: one key per data folder, so sessions survive restarts.
    path = DATA_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key)
    return key


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("PSA_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("PSA_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
if not PRODUCTION:
    ALLOWED_HOSTS += ["testserver", "[::1]"]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("PSA_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Only for its templates and static files: the API docs page (Swagger UI) then loads its
    # script and stylesheet from PSA, not from a CDN (docs/decisions/0002).
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "psa.core",
    "psa.people",
    "psa.engagements",
    "psa.scheduling",
    "psa.timetracking",
    "psa.finance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files get the policy too (an SVG opened on its own is a page).
    "psa.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.actor (lazy): after the user is known; core reads it, people computes it.
    "psa.people.middleware.ActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "psa.urls"
WSGI_APPLICATION = "psa.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "psa.core.context_processors.psa",
                "psa.people.context_processors.me",
                "psa.finance.context_processors.finance",
                "psa.timetracking.context_processors.time_tabs",
                "psa.home.context_processors.notifications",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "psa.sqlite3"),
            "OPTIONS": {
                # WAL lets the web server and the worker read while the other writes.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
            # Keep connections: a reconnect reruns the PRAGMAs on every request.
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Login throttling: 5 failures for a username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("PSA_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# src/psa/static (psa/psa.css) belongs to no app, so the app finder would not see it.
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from here after collectstatic
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

TASKS = {
    "default": {
        "BACKEND": os.environ.get("PSA_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

EMAIL_HOST = os.environ.get("PSA_SMTP_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("PSA_SMTP_PORT", "1025"))
# Development without an SMTP server: each e-mail is written as a file to <data dir>/outbox,
# so a first `psa up` sends its reminders somewhere readable instead of failing.
if not PRODUCTION and "PSA_SMTP_HOST" not in os.environ:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "outbox"
DEFAULT_FROM_EMAIL = os.environ.get("PSA_FROM_EMAIL", "psa@localhost")
# Where people reach PSA: e-mails link to its pages with this in front (`psa up` sets it from
# its --host and --port unless it is given).
PSA_BASE_URL = os.environ.get("PSA_BASE_URL", "http://127.0.0.1:8000")
# How long a new login's invitation link (to set its password) stays valid.
PSA_INVITATION_DAYS = int(os.environ.get("PSA_INVITATION_DAYS", "7"))

# Behind a reverse proxy (PSA_BEHIND_PROXY=1): trust its X-Forwarded-Proto for HTTPS and take
# the client address for login throttling from X-Forwarded-For (one proxy hop).
if os.environ.get("PSA_BEHIND_PROXY", "0") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION

# The system clock: `psa up --clock` sets PSA_CLOCK; production refuses it.
PSA_CLOCK = os.environ.get("PSA_CLOCK", "")

# Fiscal year start month (February: FY21 = Feb 2020 - Jan 2021).
PSA_FISCAL_YEAR_START_MONTH = int(os.environ.get("PSA_FISCAL_YEAR_START_MONTH", "2"))
PSA_TOKEN_DEFAULT_DAYS = int(os.environ.get("PSA_TOKEN_DEFAULT_DAYS", "90"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PSA_LOG_LEVEL", "WARNING")},
}

# How long a worker process trusts an API token it has verified, without asking the database
# again: a revocation reaches the other processes within this many seconds (0: never cache).
PSA_TOKEN_CACHE_SECONDS = int(os.environ.get("PSA_TOKEN_CACHE_SECONDS", "10"))

# The audit log's HMAC key and its signed checkpoints (psa.core.audit). The key is kept out of
# the database, and so out of backups: PSA_AUDIT_KEY, or a key generated into the data folder
# (mode 0600) on first use. Several servers writing one database must share PSA_AUDIT_KEY.
PSA_AUDIT_KEY = os.environ.get("PSA_AUDIT_KEY", "")
PSA_AUDIT_KEY_FILE = DATA_DIR / "audit.key"
PSA_AUDIT_CHECKPOINTS = DATA_DIR / "audit-checkpoints.jsonl"

# A running job whose worker has not written its heartbeat for this long is marked failed (the
# worker died with it). A live job beats every 30 s, so less than a minute would fail live jobs.
PSA_JOB_STALE_SECONDS = int(os.environ.get("PSA_JOB_STALE_SECONDS", "300"))
if PSA_JOB_STALE_SECONDS < 60:
    raise ImproperlyConfigured("PSA_JOB_STALE_SECONDS must be at least 60 (jobs beat every 30 s)")

# Production starts only when it is configured for it: every reason it is not, at once, so that
# one restart after fixing them is enough (see psa.production).
if PRODUCTION and (
    refused := production.refusals(secret_key=SECRET_KEY, debug=DEBUG, clock=PSA_CLOCK)
):
    raise ImproperlyConfigured(
        "production settings refused (PSA_ENV=production):\n" + "\n".join(f"- {r}" for r in refused)
    )
