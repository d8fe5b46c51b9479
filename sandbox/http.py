"""What both stand-ins' HTTP handlers share: read the body, apply an injected fault (answer
an error, drop the answer after doing the work, or answer late), turn a crash into a 500,
and write the reply. Each stand-in says which fault applies and how its errors look."""

from __future__ import annotations

import time
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol
from urllib.parse import urlsplit


class SandboxReply(Protocol):
    status: int
    headers: dict[str, str]
    content_type: str

    def payload(self) -> bytes: ...


class FaultingHandler(BaseHTTPRequestHandler):
    """A subclass defines `fault_for(method, path)` (the fault to apply, or None),
    `fault_reply(fault)` (the error to answer at once, or None for drop/timeout),
    `crash_reply(exc)` (a 500 in its error shape) and `handle_request(method, body)`."""

    verbose = False

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.verbose:
            super().log_message(format, *args)

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = self.fault_for(method, urlsplit(self.path).path)
        if fault:
            early = self.fault_reply(fault)
            if early is not None:
                self._send(early)
                return
        try:
            reply = self.handle_request(method, body)
        except Exception as exc:  # noqa: BLE001 - a stand-in answers 500 like a server
            reply = self.crash_reply(exc)
        if fault and fault["kind"] == "drop":
            # the work is done and stored; the caller never hears about it
            self.close_connection = True
            return
        if fault and fault["kind"] == "timeout":
            time.sleep(fault["seconds"])
        try:
            self._send(reply)
        except OSError:
            pass  # the caller gave up (timeout fault)

    def _send(self, reply: SandboxReply) -> None:
        payload = reply.payload()
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for k, v in reply.headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")
