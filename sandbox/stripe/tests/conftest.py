"""The Stripe stand-in as a real process on a free loopback port, driven by the official SDK;
and a tiny webhook receiver that tests wait on (never sleep)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from sandbox.stripe.testing import standin_process


@pytest.fixture(scope="session")
def stripe_standin_process(tmp_path_factory):
    """`python -m sandbox.stripe --port 0` with a temporary SQLite and fast webhook retries."""
    with standin_process(tmp_path_factory.mktemp("stripe")) as standin:
        yield standin


@pytest.fixture
def standin(stripe_standin_process):
    """The stand-in with its state reset (objects, events, clock, faults) for this test."""
    stripe_standin_process.reset()
    return stripe_standin_process


@pytest.fixture
def sc(standin) -> stripe.StripeClient:
    return standin.client()


@pytest.fixture
def connected(standin, sc):
    """An active connected account (onboarded through the hosted form) and its options."""
    acct = sc.v1.accounts.create({"type": "express", "email": "owner@practice.example"})
    standin.control(f"accounts/{acct.id}", {"state": "active"})
    return acct.id


class Receiver:
    """A webhook endpoint on a free port. `statuses` are answered in turn (then 200)."""

    def __init__(self) -> None:
        self.received: list[tuple[dict, bytes]] = []
        self.statuses: list[int] = []
        self.cond = threading.Condition()
        receiver = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.cond:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.received.append(({k: v for k, v in self.headers.items()}, body))
                    receiver.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,),
                                       daemon=True)
        self.thread.start()

    def wait_for(self, predicate, timeout: float = 10.0):
        """Wait until predicate(list of (headers, body)) is truthy; return what arrived."""
        with self.cond:
            result = self.cond.wait_for(lambda: predicate(self.received), timeout=timeout)
            got = list(self.received)
        assert result, f"webhooks received: {[json.loads(b)['type'] for _, b in got]}"
        return got

    def types(self, account: str | None = None) -> list[str]:
        out = []
        for _, body in self.received:
            event = json.loads(body)
            if account is None or event.get("account") == account:
                out.append(event["type"])
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def events_of(received, type_: str) -> list[dict]:
    return [json.loads(body) for _, body in received if json.loads(body)["type"] == type_]


def delivery_of(standin, endpoint_id: str, state: str, timeout: float = 10.0) -> dict:
    """The one delivery to this endpoint once it reaches `state`: the stand-in records the
    answer just after the receiver has sent it, so poll its record (bounded, no sleep)."""
    deadline = time.monotonic() + timeout
    while True:
        (found,) = [d for d in standin.deliveries() if d["endpoint"] == endpoint_id]
        if found["state"] == state or time.monotonic() > deadline:
            return found
