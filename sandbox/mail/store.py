"""Where the mail sink keeps what it received: one raw `.eml` per message and `index.json`
(the summary of every message, oldest first) in one directory, so a restart keeps the
mailbox and anyone can read the files with a mail client or `cat`."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import os
import threading
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

INDEX = "index.json"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse(raw: bytes) -> EmailMessage:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except (ValueError, TypeError, IndexError):  # a malformed header: keep the raw text
        value = msg.get_all(name, [""])[0] if msg.get_all(name) else ""
    return str(value or "")


def _addresses(msg: EmailMessage, name: str) -> list[str]:
    try:
        header = msg.get(name)
        return [a.addr_spec for a in getattr(header, "addresses", ())] if header else []
    except (ValueError, TypeError, IndexError):
        return []


def _date(msg: EmailMessage, received_at: str) -> str:
    text = _header(msg, "Date")
    try:
        when = parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError):
        when = None
    if when is None or when.tzinfo is None:
        return received_at
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def attachment_parts(msg: EmailMessage) -> list[EmailMessage]:
    """Every leaf part marked as an attachment (or carrying a file name and not inline),
    however deep it sits (Django nests the alternatives inside multipart/mixed)."""
    return [p for p in msg.walk() if not p.is_multipart() and (
        p.get_content_disposition() == "attachment"
        or (p.get_filename() and p.get_content_disposition() != "inline"))]


def attachments(msg: EmailMessage) -> list[dict[str, Any]]:
    return [{"filename": p.get_filename() or "", "content_type": p.get_content_type(),
             "size": len(p.get_payload(decode=True) or b"")} for p in attachment_parts(msg)]


def bodies(msg: EmailMessage) -> tuple[str, str]:
    """(text, html) of the message: the parts a mail client would show."""
    text = html = ""
    part = msg.get_body(preferencelist=("plain",))
    if part is not None:
        text = part.get_content()
    part = msg.get_body(preferencelist=("html",))
    if part is not None:
        html = part.get_content()
    return text, html


def summary(raw: bytes, *, id_: int, mail_from: str, rcpt_tos: list[str],
            received_at: str) -> dict[str, Any]:
    msg = parse(raw)
    files = attachments(msg)
    return {
        "id": id_,
        "from": _header(msg, "From") or mail_from,
        "to": _addresses(msg, "To") or list(rcpt_tos),
        "cc": _addresses(msg, "Cc"),
        "subject": _header(msg, "Subject"),
        "date": _date(msg, received_at),
        "received_at": received_at,
        "envelope_from": mail_from,
        "envelope_to": list(rcpt_tos),  # includes Bcc recipients, as an MTA sees them
        "content_type": msg.get_content_type(),
        "size": len(raw),
        "has_attachments": bool(files),
        "attachments": [f["filename"] for f in files],
    }


class Mailbox:
    """The directory of received mail. One lock: SMTP sessions and HTTP readers share it."""

    def __init__(self, directory: Path | str) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        index = self.dir / INDEX
        self.items: list[dict[str, Any]] = json.loads(index.read_text()) if index.exists() \
            else []

    def _write_index(self) -> None:
        tmp = self.dir / (INDEX + ".tmp")
        tmp.write_text(json.dumps(self.items, indent=1))
        os.replace(tmp, self.dir / INDEX)

    def add(self, raw: bytes, *, mail_from: str, rcpt_tos: list[str]) -> dict[str, Any]:
        with self.lock:
            id_ = (self.items[-1]["id"] + 1) if self.items else 1
            (self.dir / f"{id_:06d}.eml").write_bytes(raw)
            item = summary(raw, id_=id_, mail_from=mail_from, rcpt_tos=rcpt_tos,
                           received_at=_now())
            self.items.append(item)
            self._write_index()
            return item

    def listing(self, *, to: str = "", subject: str = "") -> list[dict[str, Any]]:
        """Newest first, like a mail client; `to` matches any recipient, `subject` any part."""
        with self.lock:
            items = list(reversed(self.items))
        if to:
            want = to.lower()
            items = [m for m in items if any(want == a.lower()
                                             for a in m["to"] + m["cc"] + m["envelope_to"])]
        if subject:
            items = [m for m in items if subject.lower() in m["subject"].lower()]
        return items

    def get(self, id_: int) -> dict[str, Any] | None:
        with self.lock:
            return next((m for m in self.items if m["id"] == id_), None)

    def raw(self, id_: int) -> bytes | None:
        if self.get(id_) is None:
            return None
        return (self.dir / f"{id_:06d}.eml").read_bytes()

    def clear(self) -> int:
        with self.lock:
            count = len(self.items)
            for item in self.items:
                (self.dir / f"{item['id']:06d}.eml").unlink(missing_ok=True)
            self.items = []
            self._write_index()
            return count


def attachment_part(msg: EmailMessage, index: int) -> EmailMessage | None:
    parts = attachment_parts(msg)
    return parts[index] if 0 <= index < len(parts) else None
