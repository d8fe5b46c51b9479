"""`oasys sandbox clearinghouse --port 8701 --db var/sandbox-clearinghouse.sqlite3`.

Runs the simulator process (no Django database use: it keeps its own SQLite file)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run a local stand-in: `clearinghouse` (Stedi-style clearinghouse and payers)."

    def add_arguments(self, parser):
        parser.add_argument("which", choices=["clearinghouse"])
        parser.add_argument("--port", type=int, default=8701)
        parser.add_argument("--db", default=str(settings.VAR_DIR /
                                                "sandbox-clearinghouse.sqlite3"))
        parser.add_argument("--verbose", action="store_true")

    def handle(self, *args, **opts):
        if settings.PRODUCTION:
            raise CommandError("the sandbox refuses to run with production settings")
        from sandbox.clearinghouse.server import main

        argv = ["--port", str(opts["port"]), "--db", opts["db"]]
        main(argv + (["--verbose"] if opts["verbose"] else []))
