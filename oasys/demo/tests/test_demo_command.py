"""`oasys demo` as a new user runs it (what `make demo` does), in a fresh var directory on free
ports: the stand-ins come up first, the seeding reaches the Stripe stand-in, the app is
pointed at the stand-ins, and Ctrl-C (SIGINT) stops every process it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading

import httpx
import pytest


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class _Output:
    """Collects the demo's stdout in a thread; `wait_for(text)` blocks until it appears."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()
        with self.changed:
            self.lines.append("<EOF>")
            self.changed.notify_all()

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, needle: str, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(
                lambda: needle in self.text or "<EOF>" in self.lines, timeout) and \
                needle in self.text


@pytest.fixture
def demo_env(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "OASYS_TEST", "PAYMENTS_", "STRIPE_",
                                "EMAIL_", "CLEARINGHOUSE_", "CELERY_"))}
    env.update(OASYS_VAR_DIR=str(tmp_path / "var"), PYTHONUNBUFFERED="1")
    return env


def test_make_demo_on_a_fresh_machine_starts_seeds_and_stops_everything(demo_env):
    web, ch, st, mail, view = ports = _free_ports(5)
    argv = [sys.executable, "-m", "oasys.cli", "demo", "--port", str(web),
            "--clearinghouse-port", str(ch), "--stripe-port", str(st), "--mail-port",
            str(mail), "--mail-http-port", str(view)]
    proc = subprocess.Popen(argv, env=demo_env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    out = _Output(proc)
    try:
        assert out.wait_for("Press Ctrl-C", 240), out.text[-3000:]
        text = out.text
        assert "is active; Harbor is not connected." in text
        assert "4242 (works)" in text and "0341 (declines when charged)" in text
        assert "3184 (needs authentication)" in text
        assert f"http://127.0.0.1:{web}/" in text and f"http://127.0.0.1:{view}" in text
        # the seeding's own warnings (Celery's warning about running as root is not ours)
        assert not [line for line in text.splitlines() if line.startswith("Warning:")], text
        assert httpx.get(f"http://127.0.0.1:{web}/login/", timeout=30).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{ch}/_sandbox/health").json()["ok"]
        forward = httpx.get(f"http://127.0.0.1:{st}/_stripe/webhooks/forward").json()
        assert forward["url"] == f"http://127.0.0.1:{web}/webhooks/stripe"
        assert forward["secret"]
        accounts = httpx.get(f"http://127.0.0.1:{st}/v1/accounts",
                             auth=("sk_test_demo", "")).json()["data"]
        assert [a["charges_enabled"] for a in accounts] == [True]
        assert httpx.get(f"http://127.0.0.1:{view}/health").json()["smtp_port"] == mail
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in the terminal
        proc.wait(timeout=180)  # under a loaded CI the workers take their time
    assert "Stopping..." in out.text
    assert [p for p in ports if _listening(p)] == []
