"""`oasys demo` (what `make demo` runs): migrate, seed, then run the web server, a Celery
worker and beat (and, as they arrive, the local stand-ins) until Ctrl-C stops them all."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from oasys.demo.seed import DEMO_PASSWORD, GROUP_EMAIL, SOLO_EMAIL


def _wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


class Command(BaseCommand):
    help = "Run the product locally with the demo practices (embedded SQLite and broker)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-worker", action="store_true", help="web server only")

    def handle(self, *args, **opts):
        if settings.PRODUCTION:
            raise CommandError("`oasys demo` refuses to run with production settings")
        host, port = opts["host"], opts["port"]
        call_command("migrate", verbosity=0, interactive=False)
        call_command("seed_demo")
        py = sys.executable
        # the clearinghouse simulator runs beside the app and is its clearinghouse
        sandbox_port = 8701
        sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "CLEARINGHOUSE_BASE_URL": sandbox_url}
        commands = {
            "clearinghouse": [py, "-m", "oasys.cli", "sandbox", "clearinghouse", "--port",
                              str(sandbox_port), "--db",
                              str(settings.VAR_DIR / "sandbox-clearinghouse.sqlite3")],
            "web": [py, "-m", "oasys.cli", "runserver", f"{host}:{port}", "--noreload"],
        }
        if not opts["no_worker"]:
            commands["worker"] = [py, "-m", "celery", "-A", "oasys", "worker",
                                  "--pool=solo", "--loglevel=WARNING"]
            commands["beat"] = [py, "-m", "celery", "-A", "oasys", "beat", "--loglevel=WARNING",
                                "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME]
        procs: dict[str, subprocess.Popen] = {}

        def _stop(signum, frame):  # SIGTERM (e.g. from a supervisor) stops like Ctrl-C
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
        try:
            for name, cmd in commands.items():
                procs[name] = subprocess.Popen(cmd, env=env, start_new_session=True)
            if not _wait_for_port(host, port, 30):
                raise CommandError(f"The web server did not start on {host}:{port}")
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(f"Oasys Billing is running: http://{host}:{port}/"))
            self.stdout.write(f"  Solo practice:  {SOLO_EMAIL}  /  {DEMO_PASSWORD}")
            self.stdout.write(f"  Group practice: {GROUP_EMAIL}  /  {DEMO_PASSWORD}")
            self.stdout.write(f"  Clearinghouse simulator: {sandbox_url} (see sandbox/README.md)")
            self.stdout.write(f"  Running: {', '.join(procs)}. Press Ctrl-C to stop everything.")
            while True:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        raise CommandError(f"{name} exited with code {proc.returncode}")
                time.sleep(0.5)
        except KeyboardInterrupt:
            self.stdout.write("\nStopping...")
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            for proc in procs.values():
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
