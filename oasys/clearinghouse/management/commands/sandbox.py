"""The local clearinghouse and Stripe stand-ins.

    oasys sandbox clearinghouse --port 8701 --db var/sandbox-clearinghouse.sqlite3
    oasys sandbox stripe --port 12111 --db var/sandbox-stripe.sqlite3 [--forward-to URL]
    oasys sandbox mail --port 1025 --http-port 8025 --dir var/mail-sink   # the SMTP sink
    oasys sandbox advance --days 7      # move the simulator's clock (reports become due)
    oasys sandbox clock                 # what time the simulator thinks it is

The simulator keeps its own SQLite file and never touches the app's database."""

from __future__ import annotations

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sandbox.clearinghouse.server import main
from sandbox.mail.server import main as mail_main
from sandbox.stripe.server import main as stripe_main


class Command(BaseCommand):
    help = ("Run the clearinghouse simulator, the Stripe stand-in or the SMTP sink, or move / "
            "read the clearinghouse clock.")

    def add_arguments(self, parser):
        parser.add_argument("which", choices=["clearinghouse", "stripe", "mail", "advance",
                                              "clock"])
        parser.add_argument("--port", type=int, default=None,
                            help="default 8701 (clearinghouse), 12111 (stripe), 1025 (mail)")
        parser.add_argument("--db", default=None, help="default var/sandbox-<which>.sqlite3")
        parser.add_argument("--forward-to", default=None,
                            help="with `stripe`: also deliver every event to this URL")
        parser.add_argument("--webhook-secret", default=None,
                            help="with `stripe`: the signing secret for --forward-to "
                                 "(default: STRIPE_WEBHOOK_SECRET from the settings)")
        parser.add_argument("--http-port", type=int, default=None,
                            help="with `mail`: the web view / JSON API port (default 8025)")
        parser.add_argument("--dir", default=None,
                            help="with `mail`: where messages are kept (default var/mail-sink)")
        parser.add_argument("--days", type=float, default=1.0,
                            help="with `advance`: how many simulated days to move")
        parser.add_argument("--verbose", action="store_true")

    def handle(self, *args, **opts):
        if settings.PRODUCTION:
            raise CommandError("the sandbox refuses to run with production settings")
        if opts["which"] == "stripe":
            argv = ["--port", str(12111 if opts["port"] is None else opts["port"]), "--db",
                    opts["db"] or str(settings.VAR_DIR / "sandbox-stripe.sqlite3")]
            if opts["forward_to"]:
                argv += ["--forward-to", opts["forward_to"], "--webhook-secret",
                         opts["webhook_secret"] or settings.STRIPE_WEBHOOK_SECRET]
            stripe_main(argv + (["--verbose"] if opts["verbose"] else []))
            return
        if opts["which"] == "mail":
            argv = ["--port", str(1025 if opts["port"] is None else opts["port"]), "--dir",
                    opts["dir"] or str(settings.VAR_DIR / "mail-sink")]
            argv += ["--http-port", str(opts["http_port"])] if opts["http_port"] is not None \
                else []
            mail_main(argv + (["--verbose"] if opts["verbose"] else []))
            return
        if opts["which"] == "clearinghouse":
            argv = ["--port", str(8701 if opts["port"] is None else opts["port"]), "--db",
                    opts["db"] or str(settings.VAR_DIR / "sandbox-clearinghouse.sqlite3")]
            main(argv + (["--verbose"] if opts["verbose"] else []))
            return
        base = settings.CLEARINGHOUSE_BASE_URL.rstrip("/")
        try:
            if opts["which"] == "advance":
                resp = httpx.post(f"{base}/_sandbox/clock", json={"days": opts["days"]},
                                  timeout=10)
            else:
                resp = httpx.get(f"{base}/_sandbox/clock", timeout=10)
            resp.raise_for_status()
        except httpx.HTTPError as exc:
            raise CommandError(f"The simulator at {base} did not answer: {exc}") from exc
        self.stdout.write(f"Simulator clock: {resp.json()['now']}")
