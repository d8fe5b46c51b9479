"""Start the Stripe stand-in as a real process for tests (this suite's and the product's):
`with standin_process(tmp_dir) as standin: ...` gives its URL, an SDK client and its
`/_stripe` controls."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import stripe

API_KEY = "sk_test_standin_tests"


class StandIn:
    """Handle on the running stand-in: its URL, an SDK client, and its `/_stripe` controls."""

    api_key = API_KEY

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def client(self, **kw) -> stripe.StripeClient:
        kw.setdefault("max_network_retries", 0)
        return stripe.StripeClient(API_KEY, base_addresses={"api": self.base_url}, **kw)

    def reset(self) -> None:
        self.http.post("/_stripe/reset").raise_for_status()

    def control(self, path: str, payload: dict | None = None, method: str = "POST") -> dict:
        resp = self.http.request(method, f"/_stripe/{path}", json=payload)
        resp.raise_for_status()
        return resp.json()

    def advance(self, days: float = 0, seconds: float = 0) -> int:
        return self.control("clock", {"days": days, "seconds": seconds})["now"]

    def now(self) -> int:
        return self.control("clock", method="GET")["now"]

    def deliveries(self) -> list[dict]:
        return self.control("deliveries", method="GET")["data"]


@contextlib.contextmanager
def standin_process(directory: Path, *, retry_base: float = 0.05, max_attempts: int = 4,
                    forward_to: str | None = None, webhook_secret: str | None = None
                    ) -> Iterator[StandIn]:
    """`python -m sandbox.stripe --port 0` with its SQLite in `directory` and fast webhook
    retries; stopped on exit."""
    db = Path(directory) / "stripe.sqlite3"
    log = open(db.with_suffix(".log"), "w")  # noqa: SIM115 - closed below
    argv = [sys.executable, "-m", "sandbox.stripe", "--port", "0", "--db", str(db),
            "--retry-base", str(retry_base), "--max-attempts", str(max_attempts)]
    if forward_to:
        argv += ["--forward-to", forward_to]
    if webhook_secret:
        argv += ["--webhook-secret", webhook_secret]
    # stdout carries one line (the URL); stderr goes to a file so a full pipe never blocks it
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True,
                            env={**os.environ})
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if "listening on" not in line:
            raise RuntimeError(f"the Stripe stand-in did not start: {line!r}, see {log.name}")
        yield StandIn(line.rsplit(" ", 1)[1].strip())
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
