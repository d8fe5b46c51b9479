"""`oasys claims build-837p --practice SLUG --out FILE`: the 837P that submitting every
Ready claim would send, written to a file and sent nowhere (a dry run to inspect).

It lives in billing, not claims: it runs the readiness engine (billing), which builds on
claims."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from oasys.billing.dry_run import dry_run_837p
from oasys.core.models import Practice


class Command(BaseCommand):
    help = "Claim tools. build-837p writes the 837P for every Ready claim without sending it."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build-837p", help="dry run: write the 837P to a file")
        build.add_argument("--practice", required=True, help="practice slug")
        build.add_argument("--out", required=True, help="file to write")

    def handle(self, *args, **opts):
        if opts["action"] == "build-837p":
            practice = Practice.objects.filter(slug=opts["practice"]).first()
            if practice is None:
                raise CommandError(f"No practice with slug {opts['practice']!r}")
            with transaction.atomic():
                text, count = dry_run_837p(practice=practice)
            if not count:
                raise CommandError("No Ready claims: nothing to build.")
            with open(opts["out"], "w", encoding="ascii") as fh:
                fh.write(text)
            self.stdout.write(f"Wrote {count} claim(s) to {opts['out']} (not sent).")
