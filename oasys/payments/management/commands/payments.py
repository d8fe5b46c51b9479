"""`oasys payments events [--failed] [--retry ID] [--sweep] [--limit N]`.

`events` lists the newest stored Stripe webhook events (`--failed`: the failed ones, with
their reason and when they are tried again, or that the sweeper gave up); `--retry ID`
processes one failed (or ignored) event now, whatever its attempts; `--sweep` runs the
sweeper at once, as Celery beat does every minute (a worker without Celery). Operators only:
events of every practice, ids and types, never a payload.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from oasys.core.errors import Conflict

from ...models import StripeWebhookEvent
from ...webhook_selectors import stripe_event_failed_list, stripe_event_list
from ...webhooks import stripe_event_retry, stripe_events_sweep


class Command(BaseCommand):
    help = "Payments operations: the stored Stripe webhook events (list, retry, sweep)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        events = sub.add_parser("events", help="stored Stripe webhook events")
        events.add_argument("--failed", action="store_true", help="only the failed ones")
        events.add_argument("--retry", type=int, metavar="ID",
                            help="process this failed or ignored event now")
        events.add_argument("--sweep", action="store_true",
                            help="process due events now (lost kicks, due retries)")
        events.add_argument("--limit", type=int, default=50)

    def handle(self, *args, **opts):
        if opts["retry"] is not None:
            try:
                row = stripe_event_retry(event_id=opts["retry"])
            except StripeWebhookEvent.DoesNotExist:
                raise CommandError(f"no stored event {opts['retry']}") from None
            except Conflict as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(self._line(row))
            return
        if opts["sweep"]:
            counts = stripe_events_sweep()
            self.stdout.write(", ".join(f"{n} {k}" for k, n in counts.items()))
            return
        rows = list(stripe_event_failed_list(limit=opts["limit"]) if opts["failed"]
                    else stripe_event_list(limit=opts["limit"]))
        for row in rows:
            self.stdout.write(self._line(row))
        self.stdout.write(f"{len(rows)} event(s)")

    @staticmethod
    def _line(row: StripeWebhookEvent) -> str:
        due = f"\tnext try {row.next_attempt_at:%Y-%m-%d %H:%M:%S}" if row.next_attempt_at \
            else ""
        return (f"{row.pk}\t{row.event_id}\t{row.type}\t{row.account_id or '-'}\t{row.state}"
                f"\tattempts {row.attempts}\t{row.received_at:%Y-%m-%d %H:%M:%S}\t"
                f"{row.outcome or '-'}{due}")
