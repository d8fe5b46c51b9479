"""Helpers for tests (and benchmarks) that run the product as real processes: a database of
their own (a migrated SQLite file, or a temporary database on the PostgreSQL server the
PostgreSQL run uses), the crash harness as a subprocess, and the web server."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[3]
SUBMIT_PATH = "professionalclaims/v3/raw-x12-submission"


@contextlib.contextmanager
def process_database(tmp: Path) -> Iterator[str]:
    """A DATABASE_URL for subprocesses: on PostgreSQL (DATABASE_URL set, as in the PostgreSQL
    run) a temporary database on that server, dropped afterwards; otherwise a SQLite file."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        yield f"sqlite:///{tmp / 'process.sqlite3'}"
        return

    parts = urlsplit(base)
    name = f"oasys_proc_{uuid.uuid4().hex[:10]}"
    admin = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def process_env(*, database_url: str, sim, var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a product process pointed at `database_url` and the simulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "OASYS_TEST"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "oasys.settings",
        "DATABASE_URL": database_url,
        "OASYS_VAR_DIR": str(var_dir),
        "CLEARINGHOUSE_ADAPTER": "stedi",
        "CLEARINGHOUSE_BASE_URL": sim.base_url,
        "CLEARINGHOUSE_API_KEY": sim.api_key,
        # the kick queued on commit goes nowhere (no worker): the sweeper sends every file
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    })
    return env


class Harness:
    """`python -m oasys.clearinghouse.tests.crash_harness STEP` with a bounded run time."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env = env
        self.tmp = tmp
        self.seconds: dict[str, float] = {}  # how long each step took, for the figures

    def run(self, step: str, *args: str, timeout: float = 300) -> dict:
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "oasys.clearinghouse.tests.crash_harness", step, *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            raise AssertionError(f"harness {step} failed ({proc.returncode}):\n{proc.stderr}")
        self.seconds[step] = round(time.monotonic() - started, 1)
        return json.loads(proc.stdout.strip().splitlines()[-1])

    def sessions_file(self, ids: list[int], name: str = "sessions") -> str:
        path = self.tmp / f"{name}.json"
        path.write_text(json.dumps(ids))
        return str(path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def web_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """`oasys runserver` (no reloader, no threading games) on a free loopback port; yields its
    URL once it answers. Stopped on exit."""
    port = free_port()
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "oasys.cli", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(timeout=2) as http:
                for _ in range(300):  # bounded: about a minute at most
                    if proc.poll() is not None:
                        raise AssertionError(f"the web server exited: {log.read_text()}")
                    try:
                        http.get(url + "/login/")
                        break
                    except httpx.TransportError:
                        with contextlib.suppress(subprocess.TimeoutExpired):
                            proc.wait(timeout=0.2)  # wait on the process, not the clock
                else:
                    raise AssertionError("the web server never answered")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
