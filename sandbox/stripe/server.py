"""The HTTP server: Stripe's v1 API, the hosted pages and `/_stripe/...` controls (clock,
faults, webhook faults, deliveries, reset) on one loopback port. Standard library only
(http.server.ThreadingHTTPServer); the webhook deliverer is a background thread."""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import sys
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sandbox.http import FaultingHandler
from sandbox.stripe.api import API_VERSION, Api, Reply, StripeError
from sandbox.stripe.pages import Pages
from sandbox.stripe.store import Store
from sandbox.stripe.webhooks import Deliverer

DEFAULT_DB = Path(__file__).resolve().parents[2] / "var" / "sandbox-stripe.sqlite3"


def control_error(status: int, message: str) -> Reply:
    return Reply(status, {"error": {"type": "invalid_request_error", "message": message}})


class App:
    """Routing between the API, the hosted pages and the controls; independent of sockets."""

    def __init__(self, store: Store, deliverer: Deliverer, *, api_key: str | None = None,
                 base_url: str = "http://127.0.0.1:12111") -> None:
        self.store = store
        self.deliverer = deliverer
        self.api = Api(store, api_key=api_key, base_url=base_url, on_event=deliverer.enqueue,
                       targets=deliverer.targets)
        self.pages = Pages(self.api)

    @property
    def base_url(self) -> str:
        return self.api.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self.api.base_url = value

    def take_fault(self, method: str, path: str) -> dict[str, Any] | None:
        if not path.startswith("/v1"):
            return None
        with self.store.lock:
            for row in self.store.q("SELECT * FROM faults ORDER BY id"):
                if row["path"] in path and row["method"] in ("", method):
                    if row["remaining"] <= 1:
                        self.store.x("DELETE FROM faults WHERE id = ?", row["id"])
                    else:
                        self.store.x("UPDATE faults SET remaining = remaining - 1 WHERE id = ?",
                                     row["id"])
                    return dict(row)
        return None

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Reply:
        path = urlsplit(target).path.rstrip("/") or "/"
        if path.startswith("/v1/") or path == "/v1":
            return self.api.handle(method, target, headers, body)
        if path.startswith("/_stripe"):
            try:
                data = json.loads(body or b"{}") if method == "POST" else {}
            except ValueError:
                return control_error(400, "The body is not JSON")
            return self.control(method, path, data if isinstance(data, dict) else {})
        try:
            reply = self.pages.handle(method, path, headers, body)
        except StripeError as exc:
            return Reply(exc.status, exc.body)
        if reply is not None:
            return reply
        return Reply(404, {"error": {"type": "invalid_request_error",
                                     "message": f"Unrecognized request URL ({method}: {path})"}})

    # -- /_stripe controls ------------------------------------------------------------------
    def control(self, method: str, path: str, data: dict) -> Reply:
        store = self.store
        if path == "/_stripe/health":
            return Reply(200, {"ok": True, "now": store.now(), "api_version": API_VERSION})
        if path == "/_stripe/reset" and method == "POST":
            with store.lock:  # the forward target is configuration, not state
                forward = store.get_meta("forward_url"), store.get_meta("forward_secret")
                store.reset()
                store.set_meta("forward_url", forward[0])
                store.set_meta("forward_secret", forward[1])
            return Reply(200, {"reset": True})
        if path == "/_stripe/clock":
            if method == "POST":
                with store.lock:
                    if "timestamp" in data:
                        store.set_now(int(data["timestamp"]))
                    else:
                        store.advance(float(data.get("days", 0)) * 86400 +
                                      float(data.get("seconds", 0)))
                    self.api.tick(store.now())
                self.deliverer.notify()
            return Reply(200, {"now": store.now()})
        if path == "/_stripe/faults":
            if method == "POST":
                kind = str(data.get("kind", ""))
                if kind not in ("500", "timeout", "drop"):
                    return control_error(400, "kind is one of 500, timeout, drop")
                fid = store.x("INSERT INTO faults (kind, path, method, remaining, seconds) "
                              "VALUES (?, ?, ?, ?, ?)", kind, str(data.get("path", "")),
                              str(data.get("method", "")).upper(), int(data.get("count", 1)),
                              float(data.get("seconds", 5)))
                return Reply(200, {"id": fid})
            if method == "DELETE":
                store.x("DELETE FROM faults")
                return Reply(200, {"cleared": True})
            return Reply(200, {"data": [dict(r) for r in store.q("SELECT * FROM faults")]})
        if path == "/_stripe/webhooks/faults":
            if method == "POST":
                mode = str(data.get("mode", ""))
                if mode not in ("drop", "duplicate", "delay", "out_of_order"):
                    return control_error(400, "mode is one of drop, duplicate, delay, "
                                              "out_of_order")
                fid = store.x("INSERT INTO hook_faults (mode, remaining, seconds) VALUES "
                              "(?, ?, ?)", mode, int(data.get("count", 1)),
                              float(data.get("seconds", 3600)))
                return Reply(200, {"id": fid})
            if method == "DELETE":
                store.x("DELETE FROM hook_faults")
                return Reply(200, {"cleared": True})
            return Reply(200, {"data": [dict(r) for r in store.q("SELECT * FROM hook_faults")]})
        if path == "/_stripe/webhooks/flush" and method == "POST":
            return Reply(200, {"released": self.deliverer.flush()})
        if path == "/_stripe/webhooks/forward":
            if method == "POST":
                store.set_meta("forward_url", str(data.get("url", "")))
                store.set_meta("forward_secret", str(data.get("secret", "")))
            return Reply(200, {"url": store.get_meta("forward_url"),
                               "secret": store.get_meta("forward_secret")})
        if path == "/_stripe/deliveries" and method == "GET":
            return Reply(200, {"data": self.deliverer.listing()})
        m = re.fullmatch(r"/_stripe/accounts/(acct_\w+)", path)
        if m and method == "POST":
            with store.lock:
                try:
                    acct = self.api.account_set_state(m.group(1), str(data.get("state", "")))
                except StripeError as exc:
                    return Reply(exc.status, exc.body)
            return Reply(200, self.api.render(acct, ""))
        return control_error(404, f"No control {method} {path}")


class Handler(FaultingHandler):
    app: App
    server_version = "StripeStandIn/1.0"
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # headers and body go out as two writes; without this, Nagle's algorithm and the
        # client's delayed ACK hold the body back ~40 ms on every keep-alive request
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def fault_for(self, method: str, path: str) -> dict[str, Any] | None:
        return self.app.take_fault(method, path)

    def fault_reply(self, fault: dict[str, Any]) -> Reply | None:
        if fault["kind"] != "500":
            return None
        return Reply(500, {"error": {
            "type": "api_error", "message": "Sorry, something went wrong. We've already "
            "been notified of the problem. (stand-in fault)"}})

    def crash_reply(self, exc: Exception) -> Reply:
        return Reply(500, {"error": {"type": "api_error",
                                     "message": f"{type(exc).__name__}: {exc}"}})

    def handle_request(self, method: str, body: bytes) -> Reply:
        return self.app.handle(method, self.path, self.headers, body)


def make_server(port: int, db: str | Path, *, api_key: str | None = None,
                verbose: bool = False, retry_base: float = 1.0, max_attempts: int = 8
                ) -> tuple[ThreadingHTTPServer, App]:
    store = Store(db)
    deliverer = Deliverer(store, retry_base=retry_base, max_attempts=max_attempts)
    app = App(store, deliverer, api_key=api_key)
    handler = type("BoundHandler", (Handler,), {"app": app, "verbose": verbose})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    app.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    deliverer.start()
    return server, app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sandbox stripe",
                                     description="A Stripe stand-in for the official SDK")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port")
    parser.add_argument("--db", default=str(DEFAULT_DB), help="SQLite file for its state")
    parser.add_argument("--api-key", default=os.environ.get("STRIPE_STANDIN_API_KEY") or None,
                        help="the only secret key accepted (default: any sk_test_ key)")
    parser.add_argument("--forward-to", default=None,
                        help="also deliver every event here (like `stripe listen`)")
    parser.add_argument("--webhook-secret", default=os.environ.get("STRIPE_WEBHOOK_SECRET",
                                                                   "whsec_oasys_sandbox"),
                        help="the signing secret for --forward-to")
    parser.add_argument("--retry-base", type=float, default=1.0,
                        help="seconds before the first webhook retry (doubles each time)")
    parser.add_argument("--max-attempts", type=int, default=8,
                        help="webhook delivery attempts before giving up")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    server, app = make_server(args.port, args.db, api_key=args.api_key, verbose=args.verbose,
                              retry_base=args.retry_base, max_attempts=args.max_attempts)
    if args.forward_to:
        app.store.set_meta("forward_url", args.forward_to)
        app.store.set_meta("forward_secret", args.webhook_secret)
    print(f"Stripe stand-in listening on {app.base_url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        app.deliverer.stop()
        server.server_close()
    sys.exit(0)
