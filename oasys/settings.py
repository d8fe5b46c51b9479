"""Django settings for Oasys Billing.

Everything that differs between the embedded default (one machine, SQLite, SQLite broker)
and production (PostgreSQL, Redis, many processes) comes from environment variables, so the
same code runs in both. `OASYS_ENV=production` switches on the hardened profile.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("OASYS_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
(VAR_DIR / "static").mkdir(exist_ok=True)

ENV = os.environ.get("OASYS_ENV", "development")
PRODUCTION = ENV == "production"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Off unless asked for (DEBUG=1 while developing): Django's debug page shows the request and
# local variables, which hold PHI, so the demo never shows it either.
DEBUG = _bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when OASYS_ENV=production")
    SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"  # noqa: S105



def _phi_keys(name: str, purpose: str) -> list[str]:
    """PHI-at-rest keys: a comma-separated list, the first current, the rest still accepted
    (a rotation in progress). Production refuses to start without them; elsewhere one is
    derived from SECRET_KEY so the demo and tests need no setup."""
    keys = _list(name, "")
    if not keys:
        if PRODUCTION:
            raise ImproperlyConfigured(f"{name} must be set when OASYS_ENV=production")
        digest = hashlib.sha256(f"oasys-{purpose}:{SECRET_KEY}".encode()).digest()
        return [base64.urlsafe_b64encode(digest).decode()]
    for key in keys:
        try:
            ok = len(base64.urlsafe_b64decode(key.encode())) == 32
        except ValueError:
            ok = False
        if not ok:
            raise ImproperlyConfigured(
                f"{name}: every key must be 32 random bytes in URL-safe base64 "
                "(make one with `oasys keys generate`)")
    return keys


# Dates of birth, member IDs, tax IDs and card photos are encrypted with the first of these
# (Fernet) and opened with any; member IDs are matched through an HMAC under OASYS_HASH_KEYS.
OASYS_FIELD_KEYS = _phi_keys("OASYS_FIELD_KEYS", "field-key")
OASYS_HASH_KEYS = _phi_keys("OASYS_HASH_KEYS", "hash-key")


# The audit log's keys: every row is sealed with an HMAC-SHA256 under a key from the
# environment, so someone with only database access cannot rewrite rows and re-seal them.
# OASYS_AUDIT_KEYS is a comma-separated list of `id:secret` pairs; the first seals new rows
# and signs checkpoints, the others still verify the rows that name them. Rotating = put a
# new pair first and keep the old ones as long as rows sealed with them exist.
def _audit_keys(raw: str) -> tuple[tuple[str, str], ...]:
    keys: list[tuple[str, str]] = []
    for item in raw.split(","):
        if not item.strip():
            continue
        key_id, sep, secret = item.strip().partition(":")
        key_id, secret = key_id.strip(), secret.strip()
        if not sep or not key_id or len(key_id) > 20 or not key_id.replace("-", "").replace(
                "_", "").isalnum():
            raise ImproperlyConfigured(
                "OASYS_AUDIT_KEYS: each key is `id:secret` with an id of at most 20 letters, "
                "digits, - or _")
        if len(secret) < 32:
            raise ImproperlyConfigured(
                f"OASYS_AUDIT_KEYS: the secret of key {key_id!r} needs at least 32 characters")
        if key_id in dict(keys):
            raise ImproperlyConfigured(f"OASYS_AUDIT_KEYS: key id {key_id!r} is listed twice")
        keys.append((key_id, secret))
    return tuple(keys)


AUDIT_KEYS = _audit_keys(os.environ.get("OASYS_AUDIT_KEYS", ""))
if not AUDIT_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured("OASYS_AUDIT_KEYS must be set when OASYS_ENV=production")
    # Development, tests and the demo: a key derived from SECRET_KEY (stable per install).
    AUDIT_KEYS = (("dev", hashlib.sha256(f"oasys-audit:{SECRET_KEY}".encode()).hexdigest()),)
# Signed checkpoints of every chain's head, outside the database (one JSON line each), so
# cutting the chain's tail and moving its head back is caught by `oasys audit verify`.
AUDIT_CHECKPOINT_FILE = Path(
    os.environ.get("OASYS_AUDIT_CHECKPOINT_FILE", VAR_DIR / "audit-checkpoints.jsonl"))

ALLOWED_HOSTS = _list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = _list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "oasys.core",
    "oasys.practice",
    "oasys.clients",
    "oasys.appointments",
    "oasys.billing",
    "oasys.claims",
    "oasys.invoices",
    "oasys.statements",
    "oasys.estimates",
    "oasys.clearinghouse",
    "oasys.eligibility",
    "oasys.remittance",
    "oasys.superbills",
    "oasys.ledger",
    "oasys.payments",
    "oasys.autobilling",
    "oasys.accounts",
    "oasys.operator",
    "oasys.home",
    "oasys.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "oasys.core.middleware.PracticeMiddleware",
    "oasys.core.middleware.DeniedAuditMiddleware",
    "oasys.core.middleware.DomainErrorMiddleware",
    "oasys.accounts.middleware.TwoFactorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "oasys.urls"
WSGI_APPLICATION = "oasys.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "oasys" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oasys.core.context_processors.navigation",
                "oasys.core.context_processors.permissions",
            ],
            "builtins": ["oasys.core.templatetags.oasys_format"],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# SQLite is the embedded default; WAL, a busy timeout and IMMEDIATE transactions keep the web
# process and the worker from ever meeting "database is locked".
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'oasys.sqlite3'}")
# Health checks: a kept connection that died while idle (a restarted or failed-over server)
# is noticed by one ping before its first use in a request or task, not by a failed query.
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60,
                                              conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # Tests run on a file, not in memory: an in-memory database is one connection that the
    # live server's request threads and the test itself would share, and SQLite refuses
    # ("cannot open savepoint - SQL statements in progress") when two of them meet.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("OASYS_TEST_SQLITE_NAME") or str(
        Path(tempfile.gettempdir()) / f"oasys-test-{os.getpid()}.sqlite3")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

# --- Authentication -----------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The API's docs and OpenAPI document without logging in: while developing only.
API_DOCS_PUBLIC = _bool("API_DOCS_PUBLIC", not PRODUCTION)
# An API token works this many days from when it was issued, then a new one is needed.
API_TOKEN_DAYS = int(os.environ.get("API_TOKEN_DAYS", "30"))
# Who may start a practice from the sign-up page: "open" (anyone), "invite" (only with a
# sign-up link from `oasys practice invite-signup`), "closed" (no page; the operator runs
# `oasys practice create`). Closed unless asked for in production; open in the demo.
OASYS_SIGNUP = os.environ.get("OASYS_SIGNUP", "closed" if PRODUCTION else "open").strip().lower()
if OASYS_SIGNUP not in {"open", "invite", "closed"}:
    raise ImproperlyConfigured("OASYS_SIGNUP must be open, invite or closed")
# Sign-ups one address may make in an hour (the page answers 429 beyond it).
OASYS_SIGNUP_PER_IP_HOUR = int(os.environ.get("OASYS_SIGNUP_PER_IP_HOUR", "5"))
OTP_TOTP_ISSUER = "Oasys Billing"  # the name authenticator apps show
PASSWORD_RESET_TIMEOUT = 3600  # a reset link works for an hour
LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "core:login"

# Lock an account (per user name and address) after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_HOURS", "0.5"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "core/locked_out.html"
AXES_VERBOSE = False

# Idle logout: the session lives 15 minutes from the last request.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", "900"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------
STATIC_URL = "/static/"
# Outside production WhiteNoise serves the source folders directly (no collectstatic), so the
# demo's runserver has its CSS and scripts with DEBUG off.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "oasys" / "static"]
# Uploads (insurance cards, raw EDI) hold PHI: they live outside the web root and are served
# only through views that check the practice.
# An uploaded image larger than this (width x height) is refused from its header, before
# anything decodes it: a small file can declare a huge image (a decompression bomb).
MAX_IMAGE_PIXELS = int(os.environ.get("OASYS_MAX_IMAGE_PIXELS", str(40_000_000)))
PRIVATE_MEDIA_ROOT = Path(os.environ.get("OASYS_PRIVATE_MEDIA", VAR_DIR / "private"))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT)},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Celery -------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get(
    "CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
)
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Workers keep their database connection between tasks (CONN_MAX_AGE, as web requests do)
# instead of Celery's default of closing it after every task: a new PostgreSQL connection
# costs a backend process and its catalog caches, more than many small tasks themselves.
# oasys.celery closes a connection that broke or aged out before and after each task, the
# way Django does around a request; this number only tells Celery's own fixup to leave
# connections alone (it force-closes them every 2 x this many tasks).
CELERY_DB_REUSE_MAX = 1000
CELERY_TASK_ALWAYS_EAGER = _bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    # inbound 999 / 277CA / 835 from the clearinghouse, and enrollment status
    "clearinghouse-poll": {"task": "oasys.clearinghouse.tasks.clearinghouse_poll_task",
                           "schedule": float(os.environ.get("CLEARINGHOUSE_POLL_SECONDS", "300"))},
    "clearinghouse-enrollments": {"task": "oasys.clearinghouse.tasks.enrollments_refresh_task",
                                  "schedule": 3600.0},
    # quiet in-flight claims are asked about (276) once a day
    "claims-status-inquiries": {"task": "claims.status_inquiries", "schedule": 86400.0},
    # the transmission outbox: files due a retry, queued files whose kick was lost, and files
    # a crashed worker left "sending" are sent (again, under the same idempotency key)
    "clearinghouse-outbox-sweep": {
        "task": "oasys.clearinghouse.tasks.edi_files_sweep_task",
        "schedule": float(os.environ.get("CLEARINGHOUSE_SWEEP_SECONDS", "60"))},
    # recorded emails whose delivery kick was lost, or whose worker died mid-send
    "email-outbox-sweep": {"task": "oasys.core.tasks.sent_emails_sweep_task",
                           "schedule": 120.0},
    # Stripe webhook events whose on-commit kick was lost, and failed ones due a retry
    "payments-webhook-events-sweep": {
        "task": "oasys.payments.tasks.stripe_events_sweep_task",
        "schedule": float(os.environ.get("STRIPE_WEBHOOK_SWEEP_SECONDS", "60"))},
    # invoices: deliveries whose kick was lost or whose worker died (sending)
    "invoices-sending-sweep": {"task": "invoices.sending_sweep", "schedule": 120.0},
    # --- actions: Open invoices past due become Overdue (idempotent, hourly so a practice's
    # midnight is never more than an hour late); Stripe calls of invoice actions left
    # unfinished (out-of-band marking, pending refunds) are retried under their keys
    "invoices-overdue": {"task": "invoices.overdue_mark", "schedule": 3600.0},
    "invoices-stripe-retries": {"task": "invoices.stripe_retries", "schedule": 300.0},
    # charging: cards due a retry after a decline, or after Stripe did not answer
    "invoices-card-retries": {"task": "invoices.card_retries", "schedule": 900.0},
    # statements: last month's statements of the practices that turned the monthly run on
    # (idempotent, once per client per month; hourly so each practice's 1st is not missed)
    "statements-monthly": {"task": "statements.run_monthly", "schedule": 3600.0},
    # auto-billing: practices whose cutoff has passed get their night's run (once per local
    # date), and runs a dead worker left are handed on
    "autobilling-tick": {"task": "autobilling.tick",
                         "schedule": float(os.environ.get("AUTOBILLING_TICK_SECONDS", "120"))},
    # the operator: practices whose deletion grace period is over are deleted
    "operator-practices-purge": {"task": "operator.practices_purge", "schedule": 3600.0},
    # the audit log: every chain's head is checkpointed (signed, outside the database) each
    # hour; every chain is verified end to end each night, operators emailed if one broke
    "audit-checkpoint": {"task": "oasys.core.tasks.audit_checkpoint_task",
                         "schedule": float(os.environ.get("AUDIT_CHECKPOINT_SECONDS", "3600"))},
    "audit-verify-nightly": {
        "task": "oasys.core.tasks.audit_verify_task",
        "schedule": float(os.environ.get("AUDIT_VERIFY_SECONDS", "86400"))},
}
# A practice the operator deletes is suspended at once and its data deleted this many days
# later (cancellable until then, from the operator console).
PRACTICE_DELETE_GRACE_DAYS = int(os.environ.get("PRACTICE_DELETE_GRACE_DAYS", "30"))
# How long a worker holds a billing run without renewing it (every chunk and phase renews);
# once it lapses another worker takes the run over (the first one died). Short in the chaos
# test, so recovery does not wait minutes.
AUTOBILLING_LEASE_SECONDS = float(os.environ.get("AUTOBILLING_LEASE_SECONDS", "180"))

# --- Outside services (ports) -------------------------------------------------------------
# The one place each outside service is chosen. Services ask for their port
# (`oasys.clearinghouse.connection.clearinghouse_port()`, Django's `mail` API for email); none
# takes a port as a parameter. Unit tests install the fakes through the root conftest.py;
# only integration tests run the stand-ins in `sandbox/` as real processes.
#
# Clearinghouse: "stedi" (the Stedi HTTP adapter, pointed at Stedi or at the simulator) or
# "fake" (in-memory, one per process).
CLEARINGHOUSE_ADAPTER = os.environ.get("CLEARINGHOUSE_ADAPTER", "stedi")
CLEARINGHOUSE_BASE_URL = os.environ.get("CLEARINGHOUSE_BASE_URL", "http://127.0.0.1:8701")
CLEARINGHOUSE_API_KEY = os.environ.get("CLEARINGHOUSE_API_KEY", "test-key")
CLEARINGHOUSE_TIMEOUT_SECONDS = float(os.environ.get("CLEARINGHOUSE_TIMEOUT_SECONDS", "30"))
CLEARINGHOUSE_ATTEMPTS = int(os.environ.get("CLEARINGHOUSE_ATTEMPTS", "4"))
CLEARINGHOUSE_BACKOFF_SECONDS = float(os.environ.get("CLEARINGHOUSE_BACKOFF_SECONDS", "0.5"))
CLEARINGHOUSE_REALTIME_TIMEOUT_SECONDS = float(
    os.environ.get("CLEARINGHOUSE_REALTIME_TIMEOUT_SECONDS", "10"))
CLEARINGHOUSE_REALTIME_ATTEMPTS = int(os.environ.get("CLEARINGHOUSE_REALTIME_ATTEMPTS", "2"))
# The transmission outbox (oasys/clearinghouse/outbox.py): a file being sent for longer than
# this is taken to belong to a crashed worker and is sent again by the sweeper, under the same
# idempotency key. It must exceed the longest live send (timeout x attempts + back-off).
CLEARINGHOUSE_SENDING_STALE_SECONDS = float(
    os.environ.get("CLEARINGHOUSE_SENDING_STALE_SECONDS", "600"))
# A file the clearinghouse did not answer is sent again after this, doubling each attempt
# (at most an hour).
CLEARINGHOUSE_RETRY_BASE_SECONDS = float(os.environ.get("CLEARINGHOUSE_RETRY_BASE_SECONDS", "30"))
# A queued file whose on-commit kick was lost (a crash between commit and enqueue, a broker
# down) waits this long before the sweeper sends it.
CLEARINGHOUSE_QUEUED_GRACE_SECONDS = float(
    os.environ.get("CLEARINGHOUSE_QUEUED_GRACE_SECONDS", "60"))
# The interchange's sender (ISA06/1000A) is the account the clearinghouse gave the practice;
# empty means the practice's slug. The receiver is the clearinghouse itself.
CLEARINGHOUSE_SUBMITTER_ID = os.environ.get("CLEARINGHOUSE_SUBMITTER_ID", "")
CLEARINGHOUSE_RECEIVER_ID = os.environ.get("CLEARINGHOUSE_RECEIVER_ID", "117151744")
CLEARINGHOUSE_RECEIVER_QUALIFIER = os.environ.get("CLEARINGHOUSE_RECEIVER_QUALIFIER", "01")
CLEARINGHOUSE_RECEIVER_NAME = os.environ.get("CLEARINGHOUSE_RECEIVER_NAME", "STEDI")
# What one eligibility check costs the practice (Settings → Subscription & Fees).
ELIGIBILITY_CHECK_FEE = os.environ.get("ELIGIBILITY_CHECK_FEE", "0.15")

# Payments: "stripe" (the official SDK, pointed at Stripe or, offline, at the stand-in in
# sandbox/stripe) or "fake" (in-memory, one per process), read by
# `oasys.payments.connection.payments_port()`. STRIPE_API_BASE empty means real Stripe.
PAYMENTS_ADAPTER = os.environ.get("PAYMENTS_ADAPTER", "stripe")
# Outside production the SDK talks to the stand-in by default; in production to Stripe itself
# (a forgotten setting must never send a live key to whatever listens on loopback).
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE",
                                 "" if PRODUCTION else "http://127.0.0.1:12111")
STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "sk_test_oasys_sandbox")
# Network errors, 5xx and 429 are retried this many times by the SDK (with its back-off).
STRIPE_MAX_NETWORK_RETRIES = int(os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "3"))
STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "30"))
# The signing secret of the Connect webhook endpoint registered for /webhooks/stripe.
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_oasys_sandbox")
# webhooks: a stored event whose on-commit kick was lost is processed by the sweeper after
# this grace; a failed one again after the base delay, doubling each attempt (at most an hour),
# until it has failed this many times (then it stays failed, with its reason, for an operator:
# `oasys payments events --failed`, `--retry ID`).
STRIPE_WEBHOOK_RECEIVED_GRACE_SECONDS = float(
    os.environ.get("STRIPE_WEBHOOK_RECEIVED_GRACE_SECONDS", "60"))
STRIPE_WEBHOOK_RETRY_BASE_SECONDS = float(
    os.environ.get("STRIPE_WEBHOOK_RETRY_BASE_SECONDS", "30"))
STRIPE_WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("STRIPE_WEBHOOK_MAX_ATTEMPTS", "10"))
# Where clients and Stripe reach this installation: the links in emails (a card link) and the
# pages Stripe's hosted forms return to. Not taken from a request's Host header, so an email
# never carries a link to a host an attacker named.
OASYS_BASE_URL = os.environ.get("OASYS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# How long a link emailed to a client to save a card stays usable.
CARD_REQUEST_DAYS = int(os.environ.get("CARD_REQUEST_DAYS", "7"))

# Email: Django's email framework; EMAIL_BACKEND picks the transport (SMTP in production, files
# under var/mail in development; tests get Django's in-memory outbox, `mail.outbox`).
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "billing@oasys.invalid")

# --- Logging: no PHI ever reaches application logs -----------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Query strings hold search terms (names, member IDs): redacted in every line logged.
    "filters": {"no_query_strings": {"()": "oasys.core.log_filters.RedactQueryStrings"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["no_query_strings"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request logs carry URLs with client ids only, never names; keep them at WARNING.
        "django.request": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},  # one line per clearinghouse call is noise
        "stripe": {"level": "WARNING"},  # and two per Stripe call
        # runserver's access lines (the demo): through the redacting handler, not Django's own
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Headers every answer carries ----------------------------------------------------------
# Scripts only from our own static files (no inline script, no eval); styles may be inline
# (htmx adds its indicator style; templates use style attributes); nothing may frame us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: [] for feature in ("accelerometer", "camera", "geolocation", "gyroscope",
                                "magnetometer", "microphone", "payment", "usb")
}

# --- Production hardening ----------------------------------------------------------------
if PRODUCTION:
    SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
