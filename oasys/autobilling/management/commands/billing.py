"""`oasys billing run --practice SLUG [--as-of 2026-12-01T23:05] [--no-wait]` runs the
practice's auto-billing now, in this process, and prints what it billed and what it could
not; `oasys billing runs [--practice SLUG]` lists runs.

`--as-of` replays the schedule: the run of the latest night whose cutoff has passed at that
moment (the practice's local time unless an offset is given), once per night like the
schedule's own. A run a worker holds already is waited for, not run twice."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from oasys.autobilling.models import BillingRun, ItemKind, ItemOutcome, RunPhase
from oasys.autobilling.runner import billing_run_execute
from oasys.autobilling.selectors import (
    billing_run_all_list,
    billing_run_item_list,
    billing_run_list,
    billing_run_summary,
)
from oasys.autobilling.services import billing_run_scheduled_start, billing_run_start
from oasys.core.audit import AuditContext
from oasys.core.errors import DomainError
from oasys.core.models import Practice
from oasys.core.money import dollars_text
from oasys.core.timezones import practice_zone

KIND_WORDS = {ItemKind.CLAIM: ("insurance claim", "insurance claims"),
              ItemKind.INVOICE: ("cash-pay invoice", "cash-pay invoices"),
              ItemKind.CLIENT_SHARE: ("client-responsibility invoice",
                                      "client-responsibility invoices"),
              ItemKind.SECONDARY: ("secondary claim", "secondary claims")}


def _practice(slug: str) -> Practice:
    practice = Practice.objects.filter(slug=slug).first()
    if practice is None:
        raise CommandError(f"No practice with slug {slug!r}.")
    return practice


def _moment(raw: str, practice: Practice) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"--as-of {raw!r} is not a date and time like 2026-12-01T23:05.") \
            from None
    return at if at.tzinfo else at.replace(tzinfo=practice_zone(practice))


def _count(n: int, kind: str) -> str:
    one, many = KIND_WORDS[kind]
    return f"{n} {one if n == 1 else many}"


class Command(BaseCommand):
    help = "Auto-billing: run a practice's billing now, or list runs."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="run a practice's auto-billing now")
        run.add_argument("--practice", required=True, help="practice slug")
        run.add_argument("--as-of", default="", help="replay the night due at this moment "
                         "(YYYY-MM-DDTHH:MM, the practice's local time)")
        run.add_argument("--no-wait", action="store_true",
                         help="queue the run for a worker and return at once")
        runs = sub.add_parser("runs", help="list runs, newest first")
        runs.add_argument("--practice", default="", help="practice slug (default: all)")
        runs.add_argument("--limit", type=int, default=20)

    def handle(self, *args, **opts) -> None:
        if opts["action"] == "run":
            self._run(opts)
        else:
            self._runs(opts)

    def _run(self, opts: dict) -> None:
        practice = _practice(opts["practice"])
        ctx = AuditContext.system(practice_id=practice.pk, source="cli")
        try:
            if opts["as_of"]:
                run = billing_run_scheduled_start(
                    practice=practice, at=_moment(opts["as_of"], practice), ctx=ctx)
            else:
                run = billing_run_start(practice=practice, ctx=ctx)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if run.phase == RunPhase.DONE:
            self.stdout.write(f"The run of {run.local_date:%Y-%m-%d} (#{run.pk}) has run "
                              "already; nothing billed again.")
        elif opts["no_wait"]:
            self.stdout.write(f"Run #{run.pk} queued for a worker.")
            return
        else:
            run = self._carry(run)
        self._report(run)

    def _carry(self, run: BillingRun) -> BillingRun:
        """Run it here; if a worker holds it already, wait for that worker to finish."""
        done = billing_run_execute(run_id=run.pk)
        run = BillingRun.objects.get(pk=run.pk)
        while done is None and run.phase != RunPhase.DONE:
            time.sleep(1)
            done = billing_run_execute(run_id=run.pk)  # takes it over if its lease lapsed
            run = BillingRun.objects.get(pk=run.pk)
        return run

    def _report(self, run: BillingRun) -> None:
        summary = billing_run_summary(run=run)
        billed = [f"{_count(int(v['billed']), k)} ({dollars_text(str(v['total']))})"
                  for k, v in summary.items() if v["billed"]]
        self.stdout.write(f"Run #{run.pk} of {run.local_date:%Y-%m-%d}: "
                          f"{run.get_phase_display().lower()}.")
        self.stdout.write("Billed: " + ("; ".join(billed) if billed else "nothing") + ".")
        for item in billing_run_item_list(run=run).exclude(outcome=ItemOutcome.BILLED):
            self.stdout.write(f"  {item.get_outcome_display()}: {KIND_WORDS[item.kind][0]} "
                              f"{item.subject}: {item.reason or 'no reason given'}")

    def _runs(self, opts: dict) -> None:
        if opts["practice"]:
            rows = billing_run_list(practice=_practice(opts["practice"]))
        else:
            rows = billing_run_all_list()
        rows = rows.select_related("practice")[: max(1, opts["limit"])]
        if not rows:
            self.stdout.write("No runs yet.")
            return
        self.stdout.write(f"{'id':>6}  {'practice':<16} {'night':<10}  {'trigger':<8} "
                          f"{'phase':<12} billed  failed  skipped")
        for run in rows:
            s = billing_run_summary(run=run).values()
            self.stdout.write(
                f"{run.pk:>6}  {run.practice.slug:<16} {run.local_date:%Y-%m-%d}  "
                f"{run.trigger:<8} {run.phase:<12} {sum(int(v['billed']) for v in s):>6}  "
                f"{sum(int(v['failed']) for v in s):>6}  {sum(int(v['skipped']) for v in s):>7}")
