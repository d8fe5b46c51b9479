"""Fixtures shared by every Django test suite: the outside services' fakes (installed for every
test), practices, users, logged-in clients, API tokens, one headless Chromium per test process
for browser tests, and the clearinghouse simulator and the Stripe stand-in as real processes
for integration tests."""

from __future__ import annotations

import importlib
import os
import secrets
import shutil
import subprocess
import sys

import httpx
import pytest
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from oasys.celery import app as celery_app
from oasys.clearinghouse.connection import clearinghouse_fake_install
from oasys.core.models import ApiToken
from oasys.core.services import practice_create, user_create
from oasys.payments.connection import payments_fake_install
from sandbox.mail.testing import sink_process
from sandbox.stripe.testing import standin_process

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API loop

# Hypothesis's per-example deadline and "too slow" health check are timings: on a loaded
# machine they fail tests whose properties hold. Speed is measured by `make bench` instead.
hypothesis_settings.register_profile("oasys", deadline=None,
                                     suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("oasys")


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres_only` (what they prove needs PostgreSQL: its row locks, several
    processes on one database) are collected in the PostgreSQL run only; `make test` runs
    both, so they run there, and the SQLite run deselects them (listed as deselected)."""
    from django.conf import settings  # noqa: PLC0415 - configured by pytest-django by now

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    kept = [i for i in items if i.get_closest_marker("postgres_only") is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


def _sqlite_flush_past_the_audit_triggers() -> None:
    """Transactional tests end with a flush, which on SQLite is DELETE FROM every table: the
    audit table's append-only triggers (core 0008) would refuse it. The flush (tests only)
    drops them, empties the tables and puts them back; on PostgreSQL it is a TRUNCATE, which
    row triggers do not see."""
    triggers = importlib.import_module("oasys.core.migrations.0009_audit_keyed_chain")
    ops = SQLiteWrapper.ops_class
    original = ops.sql_flush

    def sql_flush(self, style, tables, *args, **kwargs):
        statements = original(self, style, tables, *args, **kwargs)
        if "core_auditevent" not in tables:
            return statements
        return [*triggers.SQLITE_DROP, *statements, *triggers.SQLITE_CREATE]

    ops.sql_flush = sql_flush


_sqlite_flush_past_the_audit_triggers()


@pytest.fixture(scope="session")
def _audit_checkpoint_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("audit-checkpoints")


@pytest.fixture(autouse=True)
def _audit_checkpoints_per_test(settings, _audit_checkpoint_dir):
    # Checkpoints outlive the test database's rollback: each test gets its own file (not
    # yet created), so one test's checkpoints never make another's chains look truncated,
    # and no test reads or writes the checkpoints of the developer's var/.
    settings.AUDIT_CHECKPOINT_FILE = _audit_checkpoint_dir / f"{secrets.token_hex(8)}.jsonl"


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    # Argon2 is deliberately slow; tests that check the production hasher restore it.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]


@pytest.fixture(autouse=True)
def clearinghouse(settings):
    """The clearinghouse port for this test: a fresh in-memory fake (clearinghouse/fake.py)
    that services reach through `clearinghouse_port()`, as they reach the real adapter. Use
    it to queue answers or failures and to read what was sent. Integration tests that ask
    for `clearinghouse_sim` get the Stedi adapter pointed at the simulator process instead.

    Celery runs tasks inline during tests, so the transmission queued on commit runs in the
    committing thread (transactional and live-server tests; other tests never commit).
    Outgoing email is Django's in-memory outbox (pytest-django sets it up)."""
    settings.CLEARINGHOUSE_ADAPTER = "fake"
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield clearinghouse_fake_install()
    celery_app.conf.task_always_eager = eager
    clearinghouse_fake_install()


@pytest.fixture(autouse=True)
def payments(settings):
    """The payments port for this test: a fresh in-memory fake (payments/fake.py) that services
    reach through `payments_port()`. Its test controls play the Stripe side (finish
    onboarding, save a card on the hosted page, emit and sign webhooks). Integration tests
    that ask for `stripe_standin` get the Stripe adapter pointed at the stand-in process."""
    settings.PAYMENTS_ADAPTER = "fake"
    yield payments_fake_install()
    payments_fake_install()


@pytest.fixture
def threads_share_the_database(transactional_db):
    """For concurrency tests (oasys/core/tests/threads.py `run_together`): every thread opens
    its own connection, so what the test writes must be committed, not held in a test
    transaction. The SQLite test database is a file (settings), so the threads all see it."""
    assert connection.vendor != "sqlite" or not connection.is_in_memory_db(), \
        "threads cannot share an in-memory database"
    yield


@pytest.fixture
def practice(db):
    return practice_create(name="Serenity Test Counseling", slug="serenity-test")


@pytest.fixture
def other_practice(db):
    return practice_create(name="Elsewhere Therapy", slug="elsewhere")


@pytest.fixture
def owner(practice):
    return user_create(
        practice=practice,
        email="owner@test.example",
        password="correct horse battery",
        first_name="Dana",
        last_name="Reyes",
    )


@pytest.fixture
def other_owner(other_practice):
    return user_create(
        practice=other_practice, email="owner@elsewhere.example", password="correct horse 2"
    )


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def api_client(owner):
    """A Django test client that sends a real bearer token for `owner`."""

    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=owner, key_hash=ApiToken.hash_key(key), prefix=key[:10])
    return Client(headers={"Authorization": f"Bearer {key}"})


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium is not installed: run `make system-deps` (apt chromium)")
    return path


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download: executable_path)."""
    # Playwright is loaded only by browser tests: the other runs (and `-m "not browser"`)
    # skip its import.
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


# --- the clearinghouse simulator as a real process ------------------------------------------
class ClearinghouseSim:
    """Handle on the running simulator: its URL and key, and its `/_sandbox` controls."""

    api_key = "test-key"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def reset(self) -> None:
        self.http.post("/_sandbox/reset").raise_for_status()

    def advance(self, days: float) -> str:
        resp = self.http.post("/_sandbox/clock", json={"days": days})
        resp.raise_for_status()
        return resp.json()["now"]

    def control(self, path: str, payload: dict | None = None) -> dict:
        resp = self.http.post(f"/_sandbox/{path}", json=payload or {})
        resp.raise_for_status()
        return resp.json()

    def claims(self) -> list[dict]:
        return self.http.get("/_sandbox/claims").json()["items"]

    def api(self, method: str, path: str, **kw):
        headers = {"Authorization": self.api_key, **kw.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kw)


@pytest.fixture(scope="session")
def clearinghouse_sim_process(tmp_path_factory):
    """`python -m sandbox.clearinghouse` on a free loopback port with a temporary SQLite."""

    db = tmp_path_factory.mktemp("sandbox") / "clearinghouse.sqlite3"
    env = {**os.environ, "SANDBOX_CLEARINGHOUSE_API_KEY": ClearinghouseSim.api_key}
    log = open(db.with_suffix(".log"), "w")  # noqa: SIM115 - closed below
    # stdout carries one line (the URL); stderr goes to a file so a full pipe never blocks it
    proc = subprocess.Popen(
        [sys.executable, "-m", "sandbox.clearinghouse", "--port", "0", "--db", str(db)],
        stdout=subprocess.PIPE, stderr=log, text=True, env=env)
    line = proc.stdout.readline() if proc.stdout else ""
    if "listening on" not in line:
        proc.kill()
        log.close()
        raise RuntimeError(f"the clearinghouse simulator did not start: {line!r}, see {log.name}")
    sim = ClearinghouseSim(line.rsplit(" ", 1)[1].strip())
    yield sim
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture
def clearinghouse_sim(clearinghouse_sim_process, clearinghouse, settings):
    """The simulator with its state reset (clock, claims, members, faults) for this test, and
    the product's clearinghouse port pointed at it (the Stedi adapter, unchanged)."""
    clearinghouse_sim_process.reset()
    settings.CLEARINGHOUSE_ADAPTER = "stedi"
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim_process.base_url
    settings.CLEARINGHOUSE_API_KEY = clearinghouse_sim_process.api_key
    return clearinghouse_sim_process


# --- the Stripe stand-in as a real process --------------------------------------------------
@pytest.fixture(scope="session")
def stripe_standin_process(tmp_path_factory):
    """`python -m sandbox.stripe --port 0` on a free loopback port with a temporary SQLite
    and fast webhook retries (sandbox/stripe/testing.py)."""
    with standin_process(tmp_path_factory.mktemp("stripe")) as standin:
        yield standin


@pytest.fixture
def stripe_standin(stripe_standin_process, payments, settings):
    """The stand-in with its state reset (objects, events, keys, faults, clock) for this
    test, and the product's payments port pointed at it: the Stripe adapter on the official
    SDK, unchanged. Yields the stand-in's handle (`.control`, `.advance`, `.base_url`, an SDK
    `.client()`). Retries are kept to one so an injected fault costs one short SDK backoff."""
    stripe_standin_process.reset()
    settings.PAYMENTS_ADAPTER = "stripe"
    settings.STRIPE_API_BASE = stripe_standin_process.base_url
    settings.STRIPE_SECRET_KEY = stripe_standin_process.api_key
    settings.STRIPE_MAX_NETWORK_RETRIES = 1
    settings.STRIPE_TIMEOUT_SECONDS = 10
    yield stripe_standin_process


# --- the SMTP sink as a real process ----------------------------------------------------------
@pytest.fixture(scope="session")
def mail_sink_process(tmp_path_factory):
    """`python -m sandbox.mail --port 0` on free loopback ports, for the whole session."""
    with sink_process(tmp_path_factory.mktemp("mail-sink")) as sink:
        yield sink


@pytest.fixture
def mail_sink(mail_sink_process, settings):
    """The sink, emptied, with Django's email framework sending to it over SMTP (every email
    the product sends through `oasys.core.outbound_mail` arrives there; read it back with
    `mail_sink.messages(to=...)` / `.message(id)`)."""
    mail_sink_process.clear()
    for name, value in mail_sink_process.django_settings().items():
        setattr(settings, name, value)
    return mail_sink_process
