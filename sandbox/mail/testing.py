"""Start the mail sink as a real process for tests: `with sink_process(tmp_dir) as sink: ...`
gives its SMTP host and port (for Django's SMTP backend or smtplib) and reads back what it
received through its JSON API."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

_READY = re.compile(r"smtp://([\d.]+):(\d+) and (http://[\d.]+:\d+)")


class MailSink:
    """Handle on the running sink: where to send, and what arrived."""

    def __init__(self, smtp_host: str, smtp_port: int, base_url: str, directory: Path) -> None:
        self.smtp_host, self.smtp_port, self.base_url = smtp_host, smtp_port, base_url
        self.directory = directory
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def messages(self, **filters: str) -> list[dict[str, Any]]:
        """Summaries, newest first (`to=`, `subject=` filter)."""
        resp = self.http.get("/messages", params=filters)
        resp.raise_for_status()
        return resp.json()["items"]

    def message(self, id_: int) -> dict[str, Any]:
        """One message's summary with its `text`, `html` and `headers`."""
        resp = self.http.get(f"/messages/{id_}/json")
        resp.raise_for_status()
        return resp.json()

    def raw(self, id_: int) -> bytes:
        resp = self.http.get(f"/messages/{id_}")
        resp.raise_for_status()
        return resp.content

    def clear(self) -> None:
        self.http.delete("/messages").raise_for_status()

    def django_settings(self) -> dict[str, Any]:
        """What to put in Django's settings so `send_mail` reaches the sink."""
        return {"EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "EMAIL_HOST": self.smtp_host, "EMAIL_PORT": self.smtp_port,
                "EMAIL_HOST_USER": "", "EMAIL_HOST_PASSWORD": "", "EMAIL_USE_TLS": False,
                "EMAIL_USE_SSL": False}


@contextlib.contextmanager
def sink_process(directory: Path) -> Iterator[MailSink]:
    """`python -m sandbox.mail --port 0` keeping its mail in `directory`; stopped on exit."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    log = open(directory / "sink.log", "w")  # noqa: SIM115 - closed below
    argv = [sys.executable, "-m", "sandbox.mail", "--port", "0", "--dir",
            str(directory / "mail")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=log, text=True,
                            env={**os.environ})
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        m = _READY.search(line)
        if not m:
            raise RuntimeError(f"the mail sink did not start: {line!r}, see {log.name}")
        yield MailSink(m.group(1), int(m.group(2)), m.group(3), directory / "mail")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
