"""The local clearinghouse stand-in.

    oasys sandbox clearinghouse --port 8701 --db var/sandbox-clearinghouse.sqlite3
    oasys sandbox advance --days 7      # move the simulator's clock (reports become due)
    oasys sandbox clock                 # what time the simulator thinks it is

The simulator keeps its own SQLite file and never touches the app's database."""

from __future__ import annotations

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sandbox.clearinghouse.server import main


class Command(BaseCommand):
    help = "Run the clearinghouse simulator, or move / read its clock."

    def add_arguments(self, parser):
        parser.add_argument("which", choices=["clearinghouse", "advance", "clock"])
        parser.add_argument("--port", type=int, default=8701)
        parser.add_argument("--db", default=str(settings.VAR_DIR /
                                                "sandbox-clearinghouse.sqlite3"))
        parser.add_argument("--days", type=float, default=1.0,
                            help="with `advance`: how many simulated days to move")
        parser.add_argument("--verbose", action="store_true")

    def handle(self, *args, **opts):
        if settings.PRODUCTION:
            raise CommandError("the sandbox refuses to run with production settings")
        if opts["which"] == "clearinghouse":
            argv = ["--port", str(opts["port"]), "--db", opts["db"]]
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
