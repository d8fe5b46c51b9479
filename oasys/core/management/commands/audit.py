"""`oasys audit verify`: walk every audit chain and report the first broken link of each,
holding each chain against the signed checkpoints; `oasys audit checkpoint`: write a signed
checkpoint of every chain's head now."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from oasys.core.audit import CHECKPOINTS, audit_checkpoint_write, audit_verify_chains
from oasys.core.models import AuditEvent


class Command(BaseCommand):
    help = ("Audit log tools. `verify` checks every chain's hashes, links and checkpoints; "
            "`checkpoint` writes a signed checkpoint of every chain's head.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every row's hash and link, chain by chain, "
                                      "and every chain against its checkpoints")
        sub.add_parser("checkpoint", help="Append a signed line per chain head to the "
                                          "checkpoint file (and the log)")

    def handle(self, *args, **options):
        if options["action"] == "checkpoint":
            written = audit_checkpoint_write()
            self.stdout.write(self.style.SUCCESS(
                f"Checkpointed {len(written)} chains to {settings.AUDIT_CHECKPOINT_FILE}."))
            return
        results = audit_verify_chains()
        broken = {chain: b for chain, b in results.items() if b is not None}
        chains = [chain for chain in results if chain != CHECKPOINTS]
        for chain, b in broken.items():
            if chain == CHECKPOINTS:
                self.stderr.write(f"Checkpoint file {settings.AUDIT_CHECKPOINT_FILE}: "
                                  f"{b.reason}")
            else:
                self.stderr.write(f"Chain {chain}: broken at row {b.seq}: {b.reason}")
        if broken:
            names = ", ".join(
                f"checkpoint file: {b.reason}" if chain == CHECKPOINTS
                else f"chain {chain} broken at row {b.seq}: {b.reason}"
                for chain, b in broken.items()
            )
            chains_broken = sum(1 for chain in broken if chain != CHECKPOINTS)
            raise CommandError(
                f"Audit chain broken in {chains_broken} of {len(chains)} chains: {names}"
            )
        count = AuditEvent.objects.count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {count} rows verified in {len(chains)} chains."
            )
        )
