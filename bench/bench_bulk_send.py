"""Benchmark: bulk send of 100 and 1,000 invoices against the Stripe stand-in as a real process.

The demo's solo practice (seeded, with its connected account made active on the stand-in,
exactly as `oasys seed-demo --payments` does) gets N self-pay clients with one standalone
invoice each; a bulk send batch (oasys.invoices.bulk) is started and run the way the worker
runs it, with Celery eager so each invoice's delivery task (the Stripe invoice created and
finalized on the stand-in, the journal charge, the email with its PDF) runs inline. Email goes
to Django's in-memory backend, or with `--smtp` to the SMTP sink (sandbox/mail) as a process.

Reported: total time, invoices per second, and database queries per invoice (every query of
the run, CaptureQueriesContext). The point is the ratio: the queries per invoice at 1,000 are
those at 100 (nothing in the batch is loaded per invoice beyond what one delivery needs).

    .venv/bin/python bench/bench_bulk_send.py [--sizes 100 1000] [--smtp]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sandbox.mail.testing import sink_process  # noqa: E402
from sandbox.stripe.testing import API_KEY, standin_process  # noqa: E402


class QueryCount:
    """Every query the block runs, counted (CaptureQueriesContext keeps only the last 9,000:
    a bulk send of 1,000 runs more); `by_table` says where they went."""

    def __init__(self, connection) -> None:
        self.connection, self.count, self.by_table = connection, 0, Counter()
        self.seconds: Counter = Counter()  # time in the database, by table

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        words = sql.replace('"', "").split()
        table = words[0] if words else "?"
        for marker in ("FROM", "INTO", "UPDATE"):
            if marker in words and words.index(marker) + 1 < len(words):
                table = words[words.index(marker) + 1]
                break
        self.by_table[table] += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds[table] += time.perf_counter() - started

    def __enter__(self) -> QueryCount:
        self._cm = self.connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._cm.__exit__(*exc)


class StripeTime:
    """Seconds spent in each call of the Stripe adapter (the HTTP round trips to the
    stand-in): what the stand-in costs, apart from our side."""

    def __init__(self) -> None:
        self.seconds: Counter = Counter()
        self.calls: Counter = Counter()

    def install(self, cls) -> None:
        for name, fn in list(vars(cls).items()):
            if name.startswith("_") or not callable(fn):
                continue
            setattr(cls, name, self._timed(name, fn))

    def _timed(self, name, fn):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1
        return timed


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000])
    parser.add_argument("--smtp", action="store_true",
                        help="deliver the emails to the SMTP sink process (default: locmem)")
    return parser.parse_args()


def _setup(tmp: Path, standin_url: str, mail: dict | None) -> None:
    os.environ["OASYS_VAR_DIR"] = str(tmp)
    os.environ.pop("DATABASE_URL", None)  # a fresh SQLite file in tmp
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oasys.settings")
    os.environ.update({"PAYMENTS_ADAPTER": "stripe", "STRIPE_API_BASE": standin_url,
                       "STRIPE_SECRET_KEY": API_KEY, "STRIPE_MAX_NETWORK_RETRIES": "0",
                       "DEBUG": "false"})
    os.environ["EMAIL_BACKEND"] = (mail or {}).get(
        "EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    import django  # noqa: PLC0415 - the environment above must be set first

    django.setup()
    from django.conf import settings  # noqa: PLC0415

    for key, value in (mail or {}).items():
        setattr(settings, key, value)


def main() -> None:  # noqa: PLR0915 - one linear script
    args = _args()
    with tempfile.TemporaryDirectory(prefix="oasys-bench-bulk-") as name, \
            contextlib.ExitStack() as stack:
        tmp = Path(name)
        standin = stack.enter_context(standin_process(tmp))
        sink = stack.enter_context(sink_process(tmp / "sink")) if args.smtp else None
        _setup(tmp, standin.base_url, sink.django_settings() if sink else None)
        run(args.sizes, smtp=sink is not None, standin=standin)


def run(sizes: list[int], *, smtp: bool, standin) -> None:  # noqa: PLR0914
    # Django is set up only now (main): these imports need it.
    from django.core import mail  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connection  # noqa: PLC0415
    from django.utils import timezone  # noqa: PLC0415

    from oasys.celery import app as celery_app  # noqa: PLC0415
    from oasys.clients.models import BillingType, Client  # noqa: PLC0415
    from oasys.core.audit import AuditContext  # noqa: PLC0415
    from oasys.core.models import Practice, User  # noqa: PLC0415
    from oasys.demo.seed import SOLO_EMAIL, seed_demo, seed_demo_payments  # noqa: PLC0415
    from oasys.invoices.bulk import invoice_batch_run, invoice_batch_start  # noqa: PLC0415
    from oasys.invoices.models import Invoice, InvoiceStatus  # noqa: PLC0415
    from oasys.invoices.services import invoice_create_standalone  # noqa: PLC0415
    from oasys.payments.stripe_adapter import StripePayments  # noqa: PLC0415

    stripe_time = StripeTime()
    stripe_time.install(StripePayments)
    celery_app.conf.task_always_eager = True  # each delivery runs inline, as in tests
    for noisy in ("stripe", "celery", "oasys"):  # a line per request or task otherwise
        logging.getLogger(noisy).setLevel(logging.WARNING)
    mail.outbox = []
    call_command("migrate", verbosity=0)
    seed_demo()
    seeded = seed_demo_payments()
    if seeded.warning:
        raise SystemExit(f"the stand-in was not usable: {seeded.warning}")
    practice = Practice.objects.get(slug="serenity")
    owner = User.objects.get(email=SOLO_EMAIL)
    ctx = AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)
    today = timezone.localdate().isoformat()
    made = 0
    tables: Counter = Counter()  # the last run's queries by table
    db_time: Counter = Counter()  # and the seconds they took
    in_stripe: dict = {}  # size -> (seconds in Stripe calls, calls, the slowest kinds)

    def invoices(n: int) -> list[int]:
        nonlocal made
        clients = Client.objects.bulk_create([
            Client(practice=practice, first_name=f"Bench{made + i}", last_name="Client",
                   gender="F", billing_type=BillingType.SELF_PAY, date_of_birth="1980-01-01",
                   address1="1 Main St", city="Chicago", state="IL", zip_code="60614",
                   email=f"bench{made + i}@example.com") for i in range(n)])
        made += n
        return [invoice_create_standalone(
            practice=practice, client_id=c.pk, ctx=ctx,
            lines=[{"description": "Late cancellation fee", "date": today,
                    "amount": f"{50 + (i % 40)}.00"}]).pk for i, c in enumerate(clients)]

    def bulk_send(n: int) -> tuple[int, float, int, int]:
        ids = invoices(n)
        stripe_time.seconds.clear()
        stripe_time.calls.clear()
        started = time.perf_counter()
        with QueryCount(connection) as q:
            # Celery is eager: the batch's task runs when the start commits, as a worker
            # would pick it up; the run again after it finds nothing left (a redelivery).
            batch = invoice_batch_start(practice=practice, invoice_ids=ids, action="send",
                                        ctx=ctx, actor=owner)
            result = invoice_batch_run(batch_id=batch.pk)
        seconds = time.perf_counter() - started
        opened = Invoice.objects.filter(pk__in=ids, status=InvoiceStatus.OPEN,
                                        stripe_invoice_id__gt="").count()
        if result.done != n or opened != n:
            raise SystemExit(f"bulk send of {n}: {result.done} done, {result.failed} failed, "
                             f"{opened} open on Stripe")
        in_stripe[n] = (sum(stripe_time.seconds.values()), sum(stripe_time.calls.values()),
                        stripe_time.seconds.most_common(4))
        tables.clear()
        tables.update(q.by_table)
        db_time.clear()
        db_time.update(q.seconds)
        return q.count, seconds, result.done, result.failed

    bulk_send(10)  # warm-up: templates, fonts, the SDK's connection (not reported)
    rows = [(n, *bulk_send(n)) for n in sizes]
    stripe_invoices = len(standin.client().v1.invoices.list(
        params={"limit": 100}, options={"stripe_account": seeded.account_id}).data)

    where = "the SMTP sink (a process)" if smtp else "Django's locmem backend"
    print(f"Bulk send against the Stripe stand-in (a process), email to {where}, SQLite:")
    print("| invoices | done | failed | total (s) | invoices / s | queries | queries / invoice |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n, queries, seconds, done, failed in rows:
        print(f"| {n:,} | {done:,} | {failed} | {seconds:.1f} | {n / seconds:.1f} | "
              f"{queries:,} | {queries / n:.1f} |")
    if len(rows) >= 2:
        (n1, q1, s1, *_), (n2, q2, s2, *_) = rows[0], rows[-1]
        per1, per2 = q1 / n1, q2 / n2
        verdict = "does not grow" if per2 <= per1 * 1.02 else "GROWS: investigate"
        print(f"\nQueries per invoice at {n2:,} vs {n1:,}: {per2 / per1:.3f}× ({verdict}).")
        print(f"Time per invoice at {n2:,} vs {n1:,}: {(s2 / n2) / (s1 / n1):.2f}×.")
    n_last = rows[-1][0]
    print(f"\nWhere the queries of the {n_last:,} go, per invoice (largest first):")
    print(", ".join(f"{table} {count / n_last:.1f}" for table, count in tables.most_common(14)))
    print(f"Seconds in the database for the {n_last:,}: {sum(db_time.values()):.1f} "
          "(largest: " + ", ".join(f"{t} {sec:.1f}" for t, sec in db_time.most_common(5))
          + ")")
    for n, (seconds, calls, top) in in_stripe.items():
        if n in sizes:
            print(f"Stripe calls for {n:,}: {calls:,} ({calls / n:.1f} per invoice), "
                  f"{seconds:.1f} s ({seconds / n * 1000:.0f} ms per invoice; slowest: "
                  + ", ".join(f"{k} {v / n * 1000:.0f} ms" for k, v in top) + ")")
    sent = len(mail.outbox) if not smtp else "(in the sink)"
    print(f"Emails sent: {sent}; the stand-in lists invoices on the account "
          f"(first page: {stripe_invoices}).")


if __name__ == "__main__":
    main()
