"""`oasys audit verify`: walk the audit chain and report the first broken link."""

from django.core.management.base import BaseCommand, CommandError

from oasys.core.audit import audit_verify
from oasys.core.models import AuditEvent


class Command(BaseCommand):
    help = "Audit log tools. `verify` checks the hash chain end to end."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Check every row's hash and link")

    def handle(self, *args, **options):
        if options["action"] == "verify":
            broken = audit_verify()
            if broken is not None:
                raise CommandError(f"Audit chain broken at row {broken.seq}: {broken.reason}")
            count = AuditEvent.objects.count()
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {count} rows verified."))
