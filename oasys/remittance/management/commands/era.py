"""`oasys era import FILE --practice SLUG`: import an 835 by hand, the same path as the
clearinghouse's files, and say what was posted or why it was refused (exit 1 when nothing
could be posted because the file was refused)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from oasys.core.audit import AuditContext
from oasys.core.models import Practice

from ...services import RemittancePostingError, era_import


class Command(BaseCommand):
    help = "ERAs (835): import a file by hand."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import an 835 file for a practice")
        imp.add_argument("path")
        imp.add_argument("--practice", required=True, help="practice slug")

    def handle(self, *args, **opts):
        practice = Practice.objects.filter(slug=opts["practice"]).first()
        if practice is None:
            raise CommandError(f"no practice with slug {opts['practice']!r}")
        path = Path(opts["path"])
        try:
            raw = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not a text file") from exc
        ctx = AuditContext.system(practice_id=practice.pk, source="oasys era import")
        try:
            result = era_import(practice=practice, raw=raw, ctx=ctx)
        except RemittancePostingError as exc:
            raise CommandError(str(exc)) from exc
        if result.edi_file_id:
            self.stdout.write(f"EDI file #{result.edi_file_id} "
                              f"{'stored' if result.created else 'was already stored'}.")
        for line in result.lines():
            self.stdout.write(line)
        if result.refused and not result.posted_any:
            raise CommandError("nothing was posted")
