"""Helpers of the chaos test (test_chaos.py): a practice with Ready items of every kind on
the stand-ins, the worker as a separate process (chaos_worker.py) that can be killed or cut
off from the database, and the counts taken afterwards from the database and from the
stand-ins' own records."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import select
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import httpx
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from oasys.autobilling import services
from oasys.autobilling.models import BillingRun, BillingRunItem, ItemOutcome
from oasys.autobilling.selectors import run_candidates
from oasys.autobilling.services import autobilling_settings_update
from oasys.autobilling.tests.chaos_worker import KILLED_ITSELF
from oasys.billing.tests import factories as f
from oasys.claims.models import Claim
from oasys.clearinghouse.tests.processes import SUBMIT_PATH
from oasys.core.models import Practice, Role
from oasys.core.services import practice_create, user_create
from oasys.invoices.models import Invoice, InvoiceLine, InvoicePayment, InvoiceStatus
from oasys.invoices.tests.charging_world import account_active, card_saved
from oasys.ledger.models import JournalLine
from oasys.ledger.selectors import journal_entry_unbalanced_ids
from oasys.remittance.models import RemittanceClaim
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import copay_claim, era, submitted_claim

ROOT = Path(__file__).resolve().parents[3]
EXP_YEAR = dt.datetime.now(dt.UTC).year + 3
WORKER_TIMEOUT = 180.0  # a worker that has not finished by then left the run stuck
STRIPE_TIMEOUT = 1.5  # the workers' Stripe SDK timeout: a "timeout" fault outlasts it
CLEARINGHOUSE_TIMEOUT = 1.5


# --- the world ---------------------------------------------------------------------------------
@dataclass
class World:
    """One run's practice and what it has Ready: sessions (claims, cash-pay invoices) and ERA
    remittance claims with a client share."""

    practice: Practice
    owner: object
    ctx: object
    account_id: str
    sessions: list[int] = field(default_factory=list)
    shares: list[int] = field(default_factory=list)  # RemittanceClaim ids

    @property
    def things(self) -> int:
        return len(self.sessions) + len(self.shares)


def _save_card(standin, client, account, ctx) -> None:
    """The client saves a Visa on the stand-in's hosted form with autopay consent."""
    def save(session):
        resp = httpx.post(session.url, data={
            "cardnumber": "4242 4242 4242 4242", "expiry": f"12 / {EXP_YEAR % 100:02d}",
            "cvc": "123", "name": client.first_name, "postal": "60614"})
        assert resp.status_code == 303, resp.text[:300]
        return session.id
    card_saved(client, account, ctx, save)


def world_seed(n: int, standin, *, claims: int = 3, cash_cards: int = 2, cash_email: int = 1,
               shares: int = 2) -> World:
    """A practice of its own (its Stripe account active on the stand-in), with `claims`
    Ready insured sessions, `cash_cards` cash-pay sessions whose client saved a card and
    consented to autopay (their invoices are charged), `cash_email` emailed ones, and
    `shares` ERA client shares (the first one's client with a card on file), and
    auto-billing on with backfill all."""
    practice = practice_create(name=f"Chaos Counseling {n}", slug=f"chaos-{n}")
    owner = user_create(practice=practice, email=f"owner{n}@chaos.example",
                        password="correct horse battery", role=Role.OWNER)
    ctx = f.ctx_for(owner, practice)
    account = account_active(practice, lambda acct: standin.control(
        f"accounts/{acct}", {"state": "active"}))
    world = World(practice=practice, owner=owner, ctx=ctx,
                  account_id=account.stripe_account_id)
    first = f.ready_claim_session(practice)
    world.sessions.append(first.appointment.pk)
    for _ in range(claims - 1):
        world.sessions.append(f.ready_claim_session(practice, payer=first.payer).appointment.pk)
    for i in range(cash_cards + cash_email):
        appt = f.self_pay_session(practice)
        if i < cash_cards:
            _save_card(standin, appt.client, account, ctx)
        world.sessions.append(appt.pk)
    for i in range(shares):
        claim = submitted_claim(practice)
        era_import(practice=practice, ctx=ctx, raw=era([copay_claim(claim)],
                                                       trace=f"EFT{claim.pk}"))
        if i == 0:
            _save_card(standin, claim.client, account, ctx)
        world.shares.extend(RemittanceClaim.objects.filter(
            practice=practice, claim=claim).values_list("pk", flat=True))
    autobilling_settings_update(practice=practice, ctx=ctx,
                                data={"enabled": True, "backfill": "all"})
    return world


# --- the worker process ------------------------------------------------------------------------
def worker_env(*, sim, standin, lease_seconds: float) -> dict[str, str]:
    """A worker pointed at this test's PostgreSQL database and the stand-ins, Celery eager."""
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    url = f"postgresql://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "OASYS_TEST"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "oasys.settings",
        "DATABASE_URL": url,
        "CLEARINGHOUSE_ADAPTER": "stedi",
        "CLEARINGHOUSE_BASE_URL": sim.base_url,
        "CLEARINGHOUSE_API_KEY": sim.api_key,
        "CLEARINGHOUSE_TIMEOUT_SECONDS": str(CLEARINGHOUSE_TIMEOUT),
        "CLEARINGHOUSE_ATTEMPTS": "2",
        "CLEARINGHOUSE_BACKOFF_SECONDS": "0",
        # each worker is dead before the next starts: a file left "sending" is stale at
        # once, and the outbox's retries are due at once (for the settle step)
        "CLEARINGHOUSE_SENDING_STALE_SECONDS": "0",
        "CLEARINGHOUSE_QUEUED_GRACE_SECONDS": "0",
        "CLEARINGHOUSE_RETRY_BASE_SECONDS": "0",
        "PAYMENTS_ADAPTER": "stripe",
        "STRIPE_API_BASE": standin.base_url,
        "STRIPE_SECRET_KEY": standin.api_key,
        "STRIPE_MAX_NETWORK_RETRIES": "1",
        "STRIPE_TIMEOUT_SECONDS": str(STRIPE_TIMEOUT),
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "CELERY_BROKER_URL": "memory://",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "OASYS_BASE_URL": "http://127.0.0.1:9",
        "AUTOBILLING_LEASE_SECONDS": str(lease_seconds),
        "LOG_LEVEL": "ERROR",
        "PYTHONUNBUFFERED": "1",
    })
    return env


class Launcher:
    """`python -m oasys.autobilling.tests.chaos_worker serve`: Django set up once, a worker
    process forked for each `start` (see chaos_worker.py)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.logs = logs
        self.count = 0
        self.err = open(logs / "launcher.log", "w")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "oasys.autobilling.tests.chaos_worker", "serve"],
            cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
            text=True)
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"the chaos launcher did not start: {line!r}, see {self.err.name}")

    def start(self, step: str, arg: int, env: dict[str, str] | None = None) -> Worker:
        self.count += 1
        out, log = self.logs / f"worker-{self.count}.json", self.logs / f"worker-{self.count}.log"
        self.proc.stdin.write(json.dumps({"step": step, "arg": arg, "env": env or {},
                                          "out": str(out), "log": str(log)}) + "\n")
        self.proc.stdin.flush()
        pid = json.loads(self.proc.stdout.readline())["pid"]
        return Worker(pid, out, log)

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.err.close()


class Worker:
    """One worker process (forked by the launcher), held by a pidfd: waited on, killed."""

    def __init__(self, pid: int, out: Path, log: Path) -> None:
        self.pid, self.out, self.log = pid, out, log
        self.started = time.monotonic()
        try:
            self.fd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:  # finished (and reaped) already
            self.fd = None

    def wait(self, timeout: float) -> bool:
        """Whether it has exited within `timeout` seconds (waits on the process)."""
        if self.fd is None:
            return True
        ready, _, _ = select.select([self.fd], [], [], max(0.0, timeout))
        return bool(ready)

    def kill(self) -> bool:
        """SIGKILL it; True when it was still running (the kill landed)."""
        if self.wait(0):
            return False
        signal.pidfd_send_signal(self.fd, signal.SIGKILL)
        self.wait(30)
        return True

    def result(self) -> dict:
        """Its JSON answer, or {"died": ...} when it ended without one (killed, crashed)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        if self.out.exists():
            return json.loads(self.out.read_text())
        return {"died": "killed itself" if self.killed_itself() else "killed or crashed"}

    def killed_itself(self) -> bool:
        return self.log.exists() and KILLED_ITSELF in self.log.read_text()

    def error_tail(self) -> str:
        return self.log.read_text()[-1500:] if self.log.exists() else ""


def connections_drop() -> int:
    """pg_terminate_backend on every other connection to this database (the worker's):
    answers how many were cut."""
    with connection.cursor() as cur:
        cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return cur.fetchone()[0]


def lease_lapse_wait(run_id: int) -> None:
    """Sleep until the run's lease (if any) has lapsed: a dead worker's run is taken over
    only then."""
    until = BillingRun.objects.filter(pk=run_id).values_list("lease_until", flat=True).first()
    if until is not None:
        left = (until - timezone.now()).total_seconds()
        if left > 0:
            time.sleep(left + 0.05)


# --- faults ------------------------------------------------------------------------------------
def faults_inject(rng, sim, standin) -> list[dict]:
    """Faults for the next calls to one stand-in: Stripe answering 500, too late (after our
    timeout, having done the work) or not at all (work done, connection closed); or the
    clearinghouse doing the same to claim submissions. Answers what was injected."""
    count = rng.randint(1, 3)
    if rng.random() < 0.6:
        kind = rng.choice(["500", "timeout", "drop"])
        path = rng.choice(["/v1/invoices", "/v1/customers", "/v1/charges"])
        fault = {"kind": kind, "path": path, "count": count, "seconds": STRIPE_TIMEOUT + 1}
        standin.control("faults", fault)
        return [{"at": "stripe", **fault}]
    kind = rng.choice(["500", "429", "timeout", "drop"])
    fault = {"kind": kind, "path": SUBMIT_PATH, "count": count,
             "seconds": CLEARINGHOUSE_TIMEOUT + 1}
    sim.control("faults", fault)
    return [{"at": "clearinghouse", **fault}]


def faults_clear(sim, standin) -> int:
    """Clear both stand-ins' faults; answers how many injected calls were not used."""
    left = sum(int(x.get("remaining") or 0) for x in standin.control("faults", method="GET")
               .get("data", []))
    left += sum(int(x.get("remaining") or 0)
                for x in sim.http.get("/_sandbox/faults").json().get("items", []))
    standin.control("faults", method="DELETE")
    sim.http.delete("/_sandbox/faults").raise_for_status()
    return left


# --- the counts --------------------------------------------------------------------------------
def _stripe_list(standin, path: str, account: str, **params) -> list[dict]:
    out: list[dict] = []
    query = {"limit": 100, **params}
    headers = {"Authorization": f"Bearer {standin.api_key}", "Stripe-Account": account}
    while True:
        page = standin.http.get(path, params=query, headers=headers)
        page.raise_for_status()
        body = page.json()
        out.extend(body["data"])
        if not body.get("has_more") or not body["data"]:
            return out
        query["starting_after"] = body["data"][-1]["id"]


@dataclass
class Counts:
    duplicate_claims: int = 0  # claims at the clearinghouse more than once (by PCN)
    claims_missing: int = 0  # the run's claims the clearinghouse never got
    double_charges: int = 0  # succeeded charges beyond one per invoice, or for no invoice
    duplicate_stripe_invoices: int = 0
    payment_intents: int = 0
    charges: int = 0
    unrecorded_charges: int = 0  # charges at Stripe the journal does not have, or the reverse
    unbilled: int = 0  # Ready things without exactly one claim / invoice, or still candidates
    items_pending: int = 0
    items_not_billed: int = 0
    journal_imbalance: Decimal = Decimal("0.00")
    unbalanced_entries: int = 0
    notes: list[str] = field(default_factory=list)

    def bad(self) -> bool:
        return any((self.duplicate_claims, self.claims_missing, self.double_charges,
                    self.duplicate_stripe_invoices, self.unrecorded_charges, self.unbilled,
                    self.items_pending, self.items_not_billed, self.journal_imbalance,
                    self.unbalanced_entries))


def counts_take(world: World, run: BillingRun, sim, standin) -> Counts:
    c = Counts()
    practice = world.practice
    # the clearinghouse's own record (reset for each run: everything there is this run's)
    at_ch = Counter(row["pcn"] for row in sim.claims())
    c.duplicate_claims = sum(n - 1 for n in at_ch.values() if n > 1)
    ours = set(Claim.objects.filter(practice=practice, appointment_id__in=world.sessions)
               .values_list("patient_control_number", flat=True))
    c.claims_missing = len(ours - set(at_ch))
    # Stripe's own objects on the practice's account
    acct = world.account_id
    remote_invoices = _stripe_list(standin, "/v1/invoices", acct)
    per_invoice = Counter(i["metadata"].get("oasys_invoice_id") for i in remote_invoices)
    c.duplicate_stripe_invoices = sum(n - 1 for n in per_invoice.values() if n > 1)
    pi_invoice: dict[str, str] = {}
    headers = {"Authorization": f"Bearer {standin.api_key}", "Stripe-Account": acct}
    for inv in remote_invoices:
        full = standin.http.get(f"/v1/invoices/{inv['id']}", params={"expand[0]": "payments"},
                                headers=headers).json()
        for pay in full.get("payments", {}).get("data", []):
            pi = (pay.get("payment") or {}).get("payment_intent")
            if pi:
                pi_invoice[pi] = inv["metadata"].get("oasys_invoice_id", "")
    c.payment_intents = len(_stripe_list(standin, "/v1/payment_intents", acct))
    charges = [ch for ch in _stripe_list(standin, "/v1/charges", acct)
               if ch["status"] == "succeeded"]
    c.charges = len(charges)
    charged = Counter(pi_invoice.get(ch["payment_intent"], "") for ch in charges)
    c.double_charges = charged.pop("", 0) + sum(n - 1 for n in charged.values() if n > 1)
    recorded = Counter(InvoicePayment.objects.filter(practice=practice)
                       .exclude(stripe_charge_id="").values_list("stripe_charge_id", flat=True))
    c.unrecorded_charges = len(set(recorded) ^ {ch["id"] for ch in charges}) + sum(
        n - 1 for n in recorded.values() if n > 1)
    # the database: every Ready thing billed exactly once, nothing Ready left
    for appt in world.sessions:
        made = (Claim.objects.filter(appointment_id=appt, payer_sequence="P").count()
                + InvoiceLine.objects.filter(appointment_id=appt).count())
        if made != 1:
            c.unbilled += 1
            c.notes.append(f"session {appt}: {made} claims/invoices")
    for rc in world.shares:
        made = InvoiceLine.objects.filter(remittance_claim_id=rc).count()
        if made != 1:
            c.unbilled += 1
            c.notes.append(f"client share rc {rc}: {made} invoices")
    left = run_candidates(practice=practice, bill_from=None)
    c.unbilled += len(left)
    c.notes.extend(f"still a candidate: {x.subject}" for x in left)
    items = BillingRunItem.objects.filter(run=run)
    c.items_pending = items.filter(outcome=ItemOutcome.PENDING).count()
    c.items_not_billed = items.exclude(outcome=ItemOutcome.BILLED).count() + max(
        0, world.things - items.count())
    c.notes.extend(f"item {i.subject}: {i.outcome} {i.reason}"
                   for i in items.exclude(outcome=ItemOutcome.BILLED))
    sending = Invoice.objects.filter(practice=practice, status=InvoiceStatus.SENDING).count()
    if sending:
        c.notes.append(f"{sending} invoices still Sending")
    # the journal
    totals = JournalLine.objects.filter(practice=practice).aggregate(d=Sum("debit"),
                                                                     c=Sum("credit"))
    c.journal_imbalance = abs((totals["d"] or Decimal(0)) - (totals["c"] or Decimal(0)))
    c.unbalanced_entries = len(journal_entry_unbalanced_ids(practice=practice))
    return c


@contextlib.contextmanager
def quiet_enqueue(monkeypatch):
    """billing_run_start queues the run's task on commit; here the worker process is the
    worker, so the queue is left out (Celery is eager in the test process)."""
    monkeypatch.setattr(services, "billing_run_enqueue", lambda **kw: None)
    yield
