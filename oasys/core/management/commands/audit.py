"""`oasys audit verify`: walk every audit chain and report the first broken link of each."""

from django.core.management.base import BaseCommand, CommandError

from oasys.core.audit import audit_verify_chains
from oasys.core.models import AuditEvent


class Command(BaseCommand):
    help = "Audit log tools. `verify` checks every chain's hashes and links end to end."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every row's hash and link, chain by chain")

    def handle(self, *args, **options):
        if options["action"] == "verify":
            results = audit_verify_chains()
            broken = {chain: b for chain, b in results.items() if b is not None}
            for chain, b in broken.items():
                self.stderr.write(f"Chain {chain}: broken at row {b.seq}: {b.reason}")
            if broken:
                names = ", ".join(
                    f"chain {chain} broken at row {b.seq}: {b.reason}"
                    for chain, b in broken.items()
                )
                raise CommandError(
                    f"Audit chain broken in {len(broken)} of {len(results)} chains: {names}"
                )
            count = AuditEvent.objects.count()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Audit chain intact: {count} rows verified in {len(results)} chains."
                )
            )
