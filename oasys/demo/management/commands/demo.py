"""`oasys demo` (what `make demo` runs): start the outside services' stand-ins (the
clearinghouse simulator, the Stripe stand-in, the SMTP sink) and wait for each, then migrate
and seed (the payments seeding talks to the Stripe stand-in), then run the web server, a
Celery worker and beat, until Ctrl-C stops them all. Everything binds to 127.0.0.1."""

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

HOST = "127.0.0.1"


def _wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex((HOST, port)) == 0


class Command(BaseCommand):
    help = "Run the product locally with the demo practices and the local stand-ins."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=HOST, help="the web server's address (loopback)")
        parser.add_argument("--port", type=int, default=8000, help="the web server's port")
        parser.add_argument("--clearinghouse-port", type=int, default=8701)
        parser.add_argument("--stripe-port", type=int, default=12111)
        parser.add_argument("--mail-port", type=int, default=1025, help="the SMTP sink")
        parser.add_argument("--mail-http-port", type=int, default=8025,
                            help="the SMTP sink's web view of what was sent")
        parser.add_argument("--no-worker", action="store_true", help="no Celery worker/beat")

    def handle(self, *args, **opts):
        if settings.PRODUCTION:
            raise CommandError("`oasys demo` refuses to run with production settings")
        host, port = opts["host"], opts["port"]
        ports = {"web": port, "clearinghouse": opts["clearinghouse_port"],
                 "stripe": opts["stripe_port"], "mail": opts["mail_port"],
                 "mail viewer": opts["mail_http_port"]}
        taken = [f"{name} {p}" for name, p in ports.items() if _port_taken(p)]
        if taken:
            # Another demo (or anything) is there: ours would fail to bind, and waiting for
            # the port would find the other one. Say which option moves each.
            raise CommandError(f"Port(s) already in use on {HOST}: {', '.join(taken)}. Stop "
                               "what uses them, or choose others with --port, "
                               "--clearinghouse-port, --stripe-port, --mail-port, "
                               "--mail-http-port.")
        clearinghouse_url = f"http://{HOST}:{ports['clearinghouse']}"
        stripe_url = f"http://{HOST}:{ports['stripe']}"
        mail_view_url = f"http://{HOST}:{ports['mail viewer']}"
        webhook_url = f"http://{HOST}:{port}/webhooks/stripe"
        # The product's view of its outside services, for this process (seeding) and every
        # child: the stand-ins instead of Stedi, Stripe and a mail server.
        outside = {
            "CLEARINGHOUSE_BASE_URL": clearinghouse_url,
            "PAYMENTS_ADAPTER": "stripe",
            "STRIPE_API_BASE": stripe_url,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": HOST,
            "EMAIL_PORT": str(ports["mail"]),
            "EMAIL_USE_TLS": "false",
        }
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **outside}
        for key in ("CLEARINGHOUSE_BASE_URL", "PAYMENTS_ADAPTER", "STRIPE_API_BASE",
                    "EMAIL_BACKEND", "EMAIL_HOST"):
            setattr(settings, key, outside[key])
        settings.EMAIL_PORT = ports["mail"]
        settings.EMAIL_USE_TLS = False
        py = sys.executable
        cli = [py, "-m", "oasys.cli", "sandbox"]
        standins = {
            "clearinghouse": (cli + ["clearinghouse", "--port", str(ports["clearinghouse"]),
                                     "--db", str(settings.VAR_DIR /
                                                 "sandbox-clearinghouse.sqlite3")],
                              ports["clearinghouse"]),
            "stripe": (cli + ["stripe", "--port", str(ports["stripe"]), "--db",
                              str(settings.VAR_DIR / "sandbox-stripe.sqlite3"),
                              "--forward-to", webhook_url,
                              "--webhook-secret", settings.STRIPE_WEBHOOK_SECRET],
                       ports["stripe"]),
            "mail": (cli + ["mail", "--port", str(ports["mail"]), "--http-port",
                            str(ports["mail viewer"]), "--dir",
                            str(settings.VAR_DIR / "mail-sink")], ports["mail"]),
        }
        app = {"web": [py, "-m", "oasys.cli", "runserver", f"{host}:{port}", "--noreload"]}
        if not opts["no_worker"]:
            app["worker"] = [py, "-m", "celery", "-A", "oasys", "worker", "--pool=solo",
                             "--loglevel=WARNING"]
            app["beat"] = [py, "-m", "celery", "-A", "oasys", "beat", "--loglevel=WARNING",
                           "-s", settings.CELERY_BEAT_SCHEDULE_FILENAME]
        procs: dict[str, subprocess.Popen] = {}

        def _stop(signum, frame):  # SIGTERM (e.g. from a supervisor) stops like Ctrl-C
            raise KeyboardInterrupt

        signal.signal(signal.SIGTERM, _stop)
        try:
            for name, (cmd, _) in standins.items():
                procs[name] = subprocess.Popen(cmd, env=env, start_new_session=True)
            for name, (_, listen) in standins.items():
                self._wait(procs[name], name, listen)
            # The stand-ins are up: the database, then the demo data (Stripe side included).
            call_command("migrate", verbosity=0, interactive=False)
            call_command("seed_demo", "--payments", "--eras")
            for name, cmd in app.items():
                procs[name] = subprocess.Popen(cmd, env=env, start_new_session=True)
            self._wait(procs["web"], "web server", port, host=host)
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(f"Oasys Billing is running: http://{host}:{port}/"))
            self.stdout.write(f"  Solo practice:  {SOLO_EMAIL}  /  {DEMO_PASSWORD}"
                              "  (Stripe connected, cards on file)")
            self.stdout.write(f"  Group practice: {GROUP_EMAIL}  /  {DEMO_PASSWORD}"
                              "  (Stripe not connected yet)")
            self.stdout.write(f"  Clearinghouse simulator: {clearinghouse_url} "
                              "(sandbox/README.md)")
            self.stdout.write(f"  Stripe stand-in:         {stripe_url} "
                              "(sandbox/stripe/README.md), webhooks to " + webhook_url)
            self.stdout.write(f"  Outgoing mail:           {mail_view_url} (SMTP sink on "
                              f"{HOST}:{ports['mail']}, sandbox/mail/README.md)")
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
            # One deadline for all of them (they were all told at once): a worker finishing
            # a task must not add its wait to every other process's.
            deadline = time.monotonic() + 10
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=10)

    @staticmethod
    def _wait(proc: subprocess.Popen, name: str, port: int, host: str = HOST) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise CommandError(f"The {name} exited (code {proc.returncode}) before "
                                   f"listening on {host}:{port}")
            if _wait_for_port(host, port, 0.5):
                return
        raise CommandError(f"The {name} did not start on {host}:{port}")
