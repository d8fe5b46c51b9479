"""Signed webhook delivery: one background thread POSTs each event to every endpoint that
wants it, signed like Stripe (`Stripe-Signature: t=<unix>,v1=<HMAC-SHA256(secret,
"t.payload")>`), retrying with exponential backoff until a 2xx or the attempts run out.

Endpoints registered with `connect=true` get the events of connected accounts (they carry
`account`); the others get the platform's own. A forward target (`--forward-to`, like
`stripe listen --forward-to`) gets both.

Fault modes (`/_stripe/webhooks/faults`) apply to the next N events: `drop` (never sent),
`duplicate` (sent twice), `delay` (held until the stand-in's clock passes `seconds`), and
`out_of_order` (the next N are held and then sent newest first).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from sandbox.stripe.store import Store, public


def sign(payload: str, secret: str, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class Deliverer:
    def __init__(self, store: Store, *, retry_base: float = 1.0, retry_max: float = 60.0,
                 max_attempts: int = 8, timeout: float = 10.0) -> None:
        self.store = store
        self.retry_base = retry_base
        self.retry_max = retry_max
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.wake = threading.Condition()
        self.stopping = False
        self.thread = threading.Thread(target=self.run, name="stripe-webhooks", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping = True
        self.notify()

    def notify(self) -> None:
        with self.wake:
            self.wake.notify_all()

    # -- enqueueing -------------------------------------------------------------------------
    def targets(self, event: dict) -> list[tuple[str, str, str]]:
        """(endpoint id, url, secret) of everything that wants this event."""
        account = event.get("account") or ""
        out = []
        for we in self.store.all("webhook_endpoint", ""):
            if we.get("_deleted") or we["status"] != "enabled":
                continue
            if bool(we.get("_connect")) != bool(account):
                continue
            wanted = we["enabled_events"]
            if "*" in wanted or event["type"] in wanted:
                out.append((we["id"], we["url"], we["_secret"]))
        forward = self.store.get_meta("forward_url")
        if forward:
            out.append(("forward", forward, self.store.get_meta("forward_secret")))
        return out

    def enqueue(self, event: dict) -> None:
        with self.store.lock:
            targets = self.targets(event)
            if not targets:
                return
            payload = json.dumps(public(event), indent=2)
            fault = self.store.one("SELECT * FROM hook_faults WHERE remaining > 0 ORDER BY id")
            mode = fault["mode"] if fault else None
            copies = 2 if mode == "duplicate" else 1
            state, hold_until = "pending", None
            if mode == "drop":
                state = "dropped"
            elif mode == "delay":
                state, hold_until = "held", self.store.now() + int(fault["seconds"])
            elif mode == "out_of_order":
                state = "held"
            ids = []
            for endpoint, url, secret in targets:
                for _ in range(copies):
                    ids.append(self.store.x(
                        "INSERT INTO deliveries (event_id, event_type, account, endpoint, url, "
                        "secret, payload, state, next_at, hold_until) VALUES "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", event["id"], event["type"],
                        event.get("account") or "", endpoint, url, secret, payload, state,
                        time.time(), hold_until))
            if fault:
                held = json.loads(fault["held"]) + (ids if mode == "out_of_order" else [])
                self.store.x("UPDATE hook_faults SET remaining = remaining - 1, held = ? "
                             "WHERE id = ?", json.dumps(held), fault["id"])
                if mode == "out_of_order" and fault["remaining"] <= 1:
                    self.release(held[::-1])
        self.notify()

    def release(self, ids: list[int]) -> None:
        """Make held deliveries due, in the order given."""
        base = time.time()
        with self.store.lock:
            for i, delivery_id in enumerate(ids):
                self.store.x("UPDATE deliveries SET state = 'pending', next_at = ? "
                             "WHERE id = ? AND state = 'held'", base + i * 1e-6, delivery_id)
        self.notify()

    def flush(self) -> int:
        """Release everything held (delayed or waiting to be reordered)."""
        with self.store.lock:
            rows = self.store.q("SELECT id FROM deliveries WHERE state = 'held' ORDER BY id")
            self.store.x("UPDATE hook_faults SET remaining = 0 WHERE mode = 'out_of_order'")
        ids = [r["id"] for r in rows]
        self.release(ids)
        return len(ids)

    # -- the thread -------------------------------------------------------------------------
    def _due(self) -> tuple[Any, float]:
        with self.store.lock:
            now = self.store.now()
            held = self.store.q("SELECT id FROM deliveries WHERE state = 'held' AND "
                                "hold_until IS NOT NULL AND hold_until <= ? ORDER BY id", now)
            if held:
                self.release([r["id"] for r in held])
            row = self.store.one("SELECT * FROM deliveries WHERE state = 'pending' ORDER BY "
                                 "next_at, id LIMIT 1")
        if row is None:
            return None, 0.25
        wait = row["next_at"] - time.time()
        return (row, 0.0) if wait <= 0 else (None, min(wait, 0.25))

    def run(self) -> None:
        while not self.stopping:
            row, wait = self._due()
            if row is None:
                with self.wake:
                    self.wake.wait(timeout=wait)
                continue
            self.attempt(row)

    def attempt(self, row: Any) -> None:
        timestamp = int(time.time())
        request = urllib.request.Request(row["url"], data=row["payload"].encode(), method="POST",  # noqa: S310 - http(s) only
                                         headers={
                                             "Content-Type": "application/json; charset=utf-8",
                                             "User-Agent": "Stripe/1.0 (+https://stripe.com/"
                                                           "docs/webhooks)",
                                             "Stripe-Signature": sign(row["payload"],
                                                                      row["secret"], timestamp)})
        status: int | None = None
        error = ""
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:  # noqa: S310
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        attempts = row["attempts"] + 1
        ok = status is not None and 200 <= status < 300
        retry_in = None
        if ok:
            state, next_at = "delivered", row["next_at"]
        elif attempts >= self.max_attempts:
            state, next_at = "failed", row["next_at"]
        else:
            state = "pending"
            retry_in = min(self.retry_max, self.retry_base * 2 ** (attempts - 1))
            next_at = time.time() + retry_in
        # `retry_in` is the back-off chosen, so a test reads the schedule rather than timing it.
        log = json.loads(row["log"]) + [{"attempt": attempts, "status": status,
                                         "error": error, "at": time.time(),
                                         "retry_in": retry_in}]
        with self.store.lock:
            self.store.x("UPDATE deliveries SET state = ?, attempts = ?, next_at = ?, "
                         "last_status = ?, log = ? WHERE id = ?", state, attempts, next_at,
                         status, json.dumps(log), row["id"])

    def listing(self) -> list[dict]:
        rows = self.store.q("SELECT id, event_id, event_type, account, endpoint, url, state, "
                            "attempts, last_status, log FROM deliveries ORDER BY id")
        return [{**dict(r), "log": json.loads(r["log"])} for r in rows]
