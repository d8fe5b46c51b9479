"""`oasys clearinghouse poll | sweep [--loop N] | unmatched | submit-file FILE --practice SLUG`.

`poll` and `sweep` run the same services as the periodic tasks, at once (`sweep --loop N`
keeps sweeping the transmission outbox every N seconds: a worker without Celery);
`unmatched` lists inbound files no practice could be matched to (operators only);
`submit-file` stores an 837P for a practice and transmits it now.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from oasys.core.audit import AuditContext
from oasys.core.models import Practice

from ...port import ClearinghouseError
from ...selectors import edi_file_unmatched_list
from ...services import edi_file_submit, edi_file_transmit, edi_files_sweep, reports_poll


class Command(BaseCommand):
    help = "Clearinghouse operations: poll inbound reports, list unmatched files, submit a file."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("poll", help="fetch and store new inbound reports now")
        sweep = sub.add_parser("sweep", help="send due outbound files now (the outbox)")
        sweep.add_argument("--loop", type=float, default=0,
                           help="keep sweeping, this many seconds apart")
        sub.add_parser("unmatched", help="inbound files matched to no practice")
        submit = sub.add_parser("submit-file", help="submit an 837P file for a practice")
        submit.add_argument("path")
        submit.add_argument("--practice", required=True, help="practice slug")

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "poll":
            try:
                result = reports_poll()
            except ClearinghouseError as exc:
                raise CommandError(f"polling failed: {exc.message}") from exc
            self.stdout.write(
                f"stored {len(result.stored)} file(s) {result.stored}, "
                f"{len(result.failed)} failed to parse {result.failed}, "
                f"{result.duplicates} already stored; cursor {result.cursor}")
        elif action == "sweep":
            while True:
                counts = edi_files_sweep()
                self.stdout.write(", ".join(f"{n} {k}" for k, n in counts.items()))
                self.stdout.flush()
                if not opts["loop"]:
                    break
                time.sleep(opts["loop"])
        elif action == "unmatched":
            rows = list(edi_file_unmatched_list())
            for f in rows:
                self.stdout.write(f"{f.pk}\t{f.label or f.set_id or '?'}\t{f.status}\t"
                                  f"{f.received_at:%Y-%m-%d %H:%M}\t{f.interchange_sender} -> "
                                  f"{f.interchange_receiver}\t{f.external_id}")
            self.stdout.write(f"{len(rows)} unmatched file(s)")
        elif action == "submit-file":
            practice = Practice.objects.filter(slug=opts["practice"]).first()
            if practice is None:
                raise CommandError(f"no practice with slug {opts['practice']!r}")
            text = Path(opts["path"]).read_text(encoding="utf-8-sig")
            ctx = AuditContext.system(practice_id=practice.pk, source="oasys clearinghouse")
            edi_file = edi_file_submit(practice=practice, x12=text, ctx=ctx, transmit=False)
            try:
                edi_file = edi_file_transmit(edi_file_id=edi_file.pk)
            except ClearinghouseError as exc:
                raise CommandError(f"file {edi_file.pk} stored; sending failed and will be "
                                   f"retried: {exc.message}") from exc
            self.stdout.write(f"file {edi_file.pk}: {edi_file.status} "
                              f"(transaction {edi_file.external_id or '-'}, key "
                              f"{edi_file.idempotency_key}) {edi_file.last_error}")
