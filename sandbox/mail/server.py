"""The mail sink: an SMTP server that delivers nowhere (it keeps every message in a directory)
and a small read-only web view / JSON API of what it kept, both on loopback.

    python -m sandbox.mail --port 1025 --http-port 8025 --dir var/mail-sink

SMTP runs on an asyncio loop in a background thread (aiosmtpd); the HTTP view is the
standard library's ThreadingHTTPServer in the main thread."""

from __future__ import annotations

import argparse
import asyncio
import html
import json
import logging
import re
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.smtp import SMTP, Envelope, Session

from .store import Mailbox, attachment_part, bodies, parse

HOST = "127.0.0.1"
DEFAULT_DIR = Path("var") / "mail-sink"


class SinkHandler:
    """aiosmtpd handler: every accepted message is stored before the 250 is sent, so a
    sender that got its answer can read the message back at once."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        mail_from = envelope.mail_from or ""
        self.mailbox.add(raw, mail_from=str(mail_from),
                         rcpt_tos=[str(r) for r in envelope.rcpt_tos])
        return "250 Message accepted for delivery (kept by the Oasys mail sink)"


class SmtpThread:
    """The SMTP server on its own event loop, in a daemon thread, on a socket bound first (so
    `--port 0` can report the port the system picked)."""

    def __init__(self, mailbox: Mailbox, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, port))
        self.sock.listen(32)
        self.port = self.sock.getsockname()[1]
        self.handler = SinkHandler(mailbox)
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, name="smtp", daemon=True)

    def _factory(self) -> SMTP:
        # SMTPUTF8 so internationalised addresses are accepted like a modern MTA; no AUTH
        # and no TLS (it is a loopback sink, never a relay).
        return SMTP(self.handler, hostname="oasys-mail-sink", enable_SMTPUTF8=True,
                    ident="Oasys mail sink")

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(
            self.loop.create_server(self._factory, sock=self.sock))
        self.ready.set()
        try:
            self.loop.run_forever()
        finally:
            server.close()
            self.loop.run_until_complete(server.wait_closed())
            self.loop.close()

    def start(self) -> None:
        self.thread.start()
        self.ready.wait(10)

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def _page(title: str, body: str) -> bytes:
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8>
<title>{html.escape(title)}</title><style>
body{{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.35rem;
text-align:left;vertical-align:top}}pre{{white-space:pre-wrap;background:#f6f6f6;padding:1rem}}
.muted{{color:#666}}</style></head><body>{body}</body></html>""".encode()


_URL = re.compile(r"https?://[^\s<>\"']+")


def _linkify(text: str) -> str:
    out, last = [], 0
    for m in _URL.finditer(text):
        out.append(html.escape(text[last:m.start()]))
        url = html.escape(m.group(0))
        out.append(f'<a href="{url}">{url}</a>')
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


class HttpHandler(BaseHTTPRequestHandler):
    mailbox: Mailbox
    smtp_port: int
    server_version = "OasysMailSink/1.0"
    verbose = False

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        if self.verbose:
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload, indent=1).encode(), "application/json")

    def _missing(self) -> None:
        self._json(404, {"error": f"no {self.path}"})

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        path = url.path.rstrip("/") or "/"
        box = self.mailbox
        if path == "/health":
            return self._json(200, {"ok": True, "messages": len(box.items),
                                    "smtp_port": self.smtp_port})
        if path == "/messages":
            items = box.listing(to=query.get("to", ""), subject=query.get("subject", ""))
            return self._json(200, {"count": len(items), "items": items})
        if path == "/":
            return self._index(box.listing(to=query.get("to", "")))
        m = re.fullmatch(r"/messages/(\d+)(?:/(json|html|text|view)|/attachments/(\d+))?", path)
        if not m:
            return self._missing()
        id_ = int(m.group(1))
        raw = box.raw(id_)
        if raw is None:
            return self._missing()
        kind = m.group(2)
        if m.group(3) is not None:
            part = attachment_part(parse(raw), int(m.group(3)))
            if part is None:
                return self._missing()
            name = (part.get_filename() or "attachment").replace('"', "")
            return self._send(200, part.get_payload(decode=True) or b"",
                              part.get_content_type(),
                              {"Content-Disposition": f'attachment; filename="{name}"'})
        if kind is None:  # the raw message, as received
            return self._send(200, raw, "message/rfc822")
        msg = parse(raw)
        text, html_body = bodies(msg)
        if kind == "json":
            return self._json(200, {**box.get(id_), "text": text, "html": html_body,
                                    "headers": [[k, str(v)] for k, v in msg.items()]})
        if kind == "text":
            return self._send(200, text.encode(), "text/plain; charset=utf-8")
        if kind == "html":
            # The message's own HTML, in a sandbox: no scripts, no forms posting anywhere.
            return self._send(200, html_body.encode(), "text/html; charset=utf-8",
                              {"Content-Security-Policy": "sandbox allow-popups "
                               "allow-top-navigation-by-user-activation"})
        return self._view(box.get(id_) or {}, text, html_body)

    def do_DELETE(self) -> None:  # noqa: N802
        # The one write: empty the mailbox (tests and demos start afresh).
        if urlsplit(self.path).path.rstrip("/") == "/messages":
            return self._json(200, {"deleted": self.mailbox.clear()})
        return self._missing()

    def _index(self, items: list[dict[str, Any]]) -> None:
        rows = "".join(
            f"<tr><td>{m['id']}</td><td>{html.escape(m['date'])}</td>"
            f"<td>{html.escape(', '.join(m['to']))}</td>"
            f"<td><a href=\"/messages/{m['id']}/view\">{html.escape(m['subject'] or '(none)')}"
            f"</a>{' 📎' if m['has_attachments'] else ''}</td></tr>" for m in items)
        body = (f"<h1>Mail sink</h1><p class=muted>{len(items)} message(s) received on "
                f"SMTP port {self.smtp_port}; nothing is delivered anywhere. JSON: "
                f"<a href=/messages>/messages</a></p><table><tr><th>#</th><th>date</th>"
                f"<th>to</th><th>subject</th></tr>{rows}</table>")
        self._send(200, _page("Mail sink", body), "text/html; charset=utf-8")

    def _view(self, item: dict[str, Any], text: str, html_body: str) -> None:
        id_ = item["id"]
        files = "".join(f'<li><a href="/messages/{id_}/attachments/{i}">'
                        f"{html.escape(name or 'attachment')}</a></li>"
                        for i, name in enumerate(item["attachments"]))
        body = (f"<p><a href=/>← all mail</a></p><h1>{html.escape(item['subject'])}</h1>"
                f"<p>From {html.escape(item['from'])}<br>To "
                f"{html.escape(', '.join(item['to']))}<br>{html.escape(item['date'])}</p>"
                + (f'<p><a href="/messages/{id_}/html">HTML version</a></p>' if html_body
                   else "")
                + (f"<h2>Attachments</h2><ul>{files}</ul>" if files else "")
                + f"<pre>{_linkify(text)}</pre>"
                + f'<p class=muted><a href="/messages/{id_}">raw</a> · '
                  f'<a href="/messages/{id_}/json">json</a></p>')
        self._send(200, _page(item["subject"] or "Message", body), "text/html; charset=utf-8")


def make_servers(smtp_port: int, http_port: int, directory: Path | str, *,
                 verbose: bool = False) -> tuple[SmtpThread, ThreadingHTTPServer, Mailbox]:
    mailbox = Mailbox(directory)
    smtp = SmtpThread(mailbox, smtp_port)
    handler = type("Handler", (HttpHandler,), {"mailbox": mailbox, "smtp_port": smtp.port,
                                               "verbose": verbose})
    http = ThreadingHTTPServer((HOST, http_port), handler)
    http.daemon_threads = True
    return smtp, http, mailbox


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sandbox mail",
                                     description="An SMTP sink with a web view of what it got")
    parser.add_argument("--port", type=int, default=1025,
                        help="SMTP port (0 picks a free one, and the HTTP port too)")
    parser.add_argument("--http-port", type=int, default=None,
                        help="web view / JSON API port (default 8025, or free with --port 0)")
    parser.add_argument("--dir", default=str(DEFAULT_DIR), help="where messages are kept")
    parser.add_argument("--verbose", action="store_true", help="log every HTTP request")
    args = parser.parse_args(argv)
    http_port = args.http_port if args.http_port is not None else (0 if args.port == 0
                                                                   else 8025)
    # aiosmtpd logs every connection at INFO on "mail.log"; a sink has nothing to say there.
    logging.getLogger("mail.log").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    smtp, http, _ = make_servers(args.port, http_port, args.dir, verbose=args.verbose)
    smtp.start()
    print(f"Mail sink listening on smtp://{HOST}:{smtp.port} "
          f"and http://{HOST}:{http.server_address[1]}", flush=True)
    try:
        http.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        http.server_close()
        smtp.stop()
    sys.exit(0)
