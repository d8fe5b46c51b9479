"""`oasys keys generate` prints a new key; `oasys keys rotate` moves every encrypted row and
card file onto the current key (the first of OASYS_FIELD_KEYS) and every hash onto the first
of OASYS_HASH_KEYS, after which older keys may be removed from the environment."""

from cryptography.fernet import Fernet
from django.core.management.base import BaseCommand

from oasys.core.audit import AuditContext, audit_record
from oasys.core.key_rotation import field_keys_rotate
from oasys.core.models import AuditAction


class Command(BaseCommand):
    help = "PHI-at-rest keys: `generate` a new key, `rotate` rows and files onto the current one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("generate", help="Print a new random key (for OASYS_FIELD_KEYS or "
                                        "OASYS_HASH_KEYS)")
        rotate = sub.add_parser("rotate", help="Re-encrypt rows and files under the current "
                                               "key and recompute hashes")
        rotate.add_argument("--batch-size", type=int, default=200)

    def handle(self, *args, **options):
        if options["action"] == "generate":
            self.stdout.write(Fernet.generate_key().decode())
            return
        report = field_keys_rotate(batch_size=options["batch_size"])
        rows = sum(report.rows_rewritten.values())
        files = sum(report.files_rewritten.values())
        missing = sum(report.files_missing.values())
        audit_record(ctx=AuditContext.system(practice_id=None, source="oasys keys rotate"),
                     action=AuditAction.UPDATE, category="keys", object_type="FieldKeys",
                     detail={"rows_rewritten": report.rows_rewritten,
                             "files_rewritten": report.files_rewritten,
                             "files_missing": report.files_missing})
        for label, seen in sorted(report.rows_seen.items()):
            self.stdout.write(f"{label}: {report.rows_rewritten.get(label, 0)} of {seen} rows "
                              "rewritten")
        for label, n in sorted(report.files_rewritten.items()):
            self.stdout.write(f"{label}: {n} files rewritten")
        if missing:
            self.stderr.write(f"{missing} files named by rows were not found in storage")
        self.stdout.write(self.style.SUCCESS(
            f"Keys rotated: {rows} rows and {files} files now under the current key."))
