"""The local clearinghouse and Stripe stand-ins.

    oasys sandbox clearinghouse --port 8701 --db var/sandbox-clearinghouse.sqlite3
    oasys sandbox stripe --port 12111 --db var/sandbox-stripe.sqlite3 [--forward-to URL]
    oasys sandbox advance --days 7      # move the simulator's clock (reports become due)
    oasys sandbox clock                 # what time the simulator thinks it is

The simulator keeps its own SQLite file and never touches the app's database."""

from __future__ import annotations

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sandbox.clearinghouse.server import main
from sandbox.stripe.server import main as stripe_main


class Command(BaseCommand):
    help = ("Run the clearinghouse simulator or the Stripe stand-in, or move / read the "
            "clearinghouse clock.")

    def add_arguments(self, parser):
        parser.add_argument("which", choices=["clearinghouse", "stripe", "advance", "clock"])
        parser.add_argument("--port", type=int, default=None,
                            help="default 8701 (clearinghouse) or 12111 (stripe)")
        parser.add_argument("--db", default=None, help="default var/sandbox-<which>.sqlite3")
        parser.add_argument("--forward-to", default=None,
                            help="with `stripe`: also deliver every event to this URL")
        parser.add_argument("--days", type=float, default=1.0,
                            help="with `advance`: how many simulated days to move")
        parser.add_argument("--verbose", action="store_true")

    def handle(self, *args, **opts):
        if settings.PRODUCTION:
            raise CommandError("the sandbox refuses to run with production settings")
        if opts["which"] == "stripe":
            argv = ["--port", str(12111 if opts["port"] is None else opts["port"]), "--db",
                    opts["db"] or str(settings.VAR_DIR / "sandbox-stripe.sqlite3")]
            argv += ["--forward-to", opts["forward_to"]] if opts["forward_to"] else []
            stripe_main(argv + (["--verbose"] if opts["verbose"] else []))
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
