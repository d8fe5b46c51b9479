"""A Hypothesis state machine over invoices on the fake Stripe: send, pay by card on file,
a declined card, the client paying on Stripe's hosted page (heard of by webhook only), a
payment recorded by hand, void, refund, mark uncollectible, the overdue run, the retry
schedule, and Stripe's webhooks delivered late, out of order and again.

After every step the books must hold, whatever the sequence:
- each invoice's figures (ledger.selectors.invoice_figures) are the sums of its own journal
  lines, and every journal entry balances;
- what an invoice says was paid is its InvoicePayments less its succeeded InvoiceRefunds;
- a Paid invoice owes nothing (a refund never reopens it, and never makes it owed again);
  a Void or a Draft one owes nothing, and a Draft has no charge in the journal at all;
- the client's balance is the sum of their invoices' balances;
- Stripe's copy agrees with ours on the status, once Stripe's news has all arrived;
- no two payments share a Stripe charge.

Every rule goes through the product's services (the ones Manage Invoices and the webhooks
call); the fake's own controls play the client and Stripe."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone
from hypothesis import event
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from oasys.clients.models import Client
from oasys.core.audit import AuditContext
from oasys.core.errors import DomainError
from oasys.core.money import money
from oasys.core.services import practice_create, user_create
from oasys.invoices.actions import (
    invoice_mark_uncollectible,
    invoice_record_payment,
    invoice_refund,
    invoice_void,
    invoices_overdue_mark,
)
from oasys.invoices.charging import (
    card_charge_refusal,
    invoice_card_charge,
    invoices_card_retries_run,
)
from oasys.invoices.machine import INVOICE_MACHINE
from oasys.invoices.models import (
    AttemptTrigger,
    Invoice,
    InvoicePayment,
    InvoiceRefund,
    InvoiceStatus,
    RefundStatus,
)
from oasys.invoices.sending import invoice_send
from oasys.invoices.services import invoice_create_standalone
from oasys.ledger.models import Account, EntryType, JournalEntry, JournalLine
from oasys.ledger.selectors import client_balance, invoice_figures, journal_entry_unbalanced_ids
from oasys.payments.connection import payments_fake
from oasys.payments.fake import FakePayments
from oasys.payments.models import StripeWebhookEvent, WebhookEventState
from oasys.payments.port import Event

from .fake_world import account_active, card_save, committed, deliver, hosted_pay, invoice_object

pytestmark = pytest.mark.django_db

S = InvoiceStatus
ZERO = Decimal("0.00")
CENT = Decimal("0.01")
_n = itertools.count(1)

# Ours -> what Stripe's copy says (Overdue is ours only: Stripe keeps such an invoice open).
STRIPE_STATUS = {S.OPEN: {"open"}, S.OVERDUE: {"open"}, S.PAID: {"paid"}, S.VOID: {"void"},
                 S.UNCOLLECTIBLE: {"uncollectible"}, S.DRAFT: {"draft"},
                 S.SENDING: {"draft", "open"}}

# What a change on Stripe's side announces (the fake moves objects but sends nothing; the
# machine sends what Stripe would, and delivers it when a rule says).
INVOICE_EVENTS = {"open": ("invoice.finalized",), "void": ("invoice.voided",),
                  "uncollectible": ("invoice.marked_uncollectible",),
                  "paid": ("invoice.paid", "invoice.payment_succeeded")}

amounts = st.integers(min_value=100, max_value=40000).map(lambda n: Decimal(n) / 100)
fractions = st.sampled_from([Decimal("0.25"), Decimal("0.5"), Decimal("1")])
cards = st.sampled_from(["visa", "chargeCustomerFail", "authenticationRequired", None])


CHARGEABLE = frozenset({S.OPEN, S.OVERDUE, S.UNCOLLECTIBLE})

# Each staff action, with arguments that would be accepted in a status that allows it.
REFUSABLE = {
    "send": lambda m, inv: invoice_send(invoice=inv, ctx=m.ctx, actor=m.owner),
    "void": lambda m, inv: invoice_void(invoice=inv, ctx=m.ctx, actor=m.owner, reason="x"),
    "record_payment": lambda m, inv: invoice_record_payment(
        invoice=inv, amount="1.00", method="cash", received_on=m.today,
        token=str(uuid.uuid4()), ctx=m.ctx, actor=m.owner),
    "refund": lambda m, inv: invoice_refund(invoice=inv, amount="1.00", reason="x",
                                            token=str(uuid.uuid4()), ctx=m.ctx, actor=m.owner),
    "mark_uncollectible": lambda m, inv: invoice_mark_uncollectible(
        invoice=inv, ctx=m.ctx, actor=m.owner, reason="x"),
}


@dataclasses.dataclass
class Snapshot:
    invoices: dict[str, str]
    charges: set[str]
    refunds: set[str]


class InvoiceMachine(RuleBasedStateMachine):
    """One practice with an active Stripe account on the fake and two cash-pay clients whose
    card on file changes as the machine goes."""

    def __init__(self) -> None:
        super().__init__()
        self.fake: FakePayments = payments_fake()
        self.counts: dict[str, int] = {}
        n = next(_n)
        self.practice = practice_create(name=f"Invoices machine {n}", slug=f"inv-machine-{n}")
        self.owner = user_create(practice=self.practice, email=f"owner{n}@machine.example",
                                 password="correct horse battery")
        self.ctx = AuditContext(user_id=self.owner.pk, user_email=self.owner.email,
                                practice_id=self.practice.pk)
        self.account = account_active(self.fake, self.practice)
        self.acct = self.account.stripe_account_id
        self.clients = [
            Client.objects.create(practice=self.practice, first_name=name, last_name="Client",
                                  email=f"{name.lower()}{n}@example.com", billing_type="cash")
            for name in ("Avery", "Blake")]
        self.invoices: list[Invoice] = []
        self.pending: list[Event] = []  # Stripe's news not delivered yet
        self.delivered: list[Event] = []
        self.snapshot = self._stripe_state()
        self.today = dt.date.today()

    # --- helpers ------------------------------------------------------------------------------
    def _invoice(self, i: int, statuses=None) -> Invoice | None:
        """The i-th (modulo) of the machine's invoices now in one of `statuses` (any: all),
        None when there is none."""
        found = Invoice.objects.filter(pk__in=[inv.pk for inv in self.invoices])
        if statuses is not None:
            found = found.filter(status__in=statuses)
        found = list(found.order_by("pk"))
        return found[i % len(found)] if found else None

    def _stripe_state(self) -> Snapshot:
        return Snapshot(
            invoices={k[1]: v.status for k, v in self.fake.invoices.items() if k[0] == self.acct},
            charges={k[1] for k, c in self.fake.charges.items()
                     if k[0] == self.acct and c.status == "succeeded"},
            refunds={k[1] for k in self.fake.refunds if k[0] == self.acct})

    def _announce(self) -> None:
        """Queue the events Stripe would have sent for what changed there since the last
        step (the webhooks that reach us late, or twice, or out of order)."""
        now = self._stripe_state()
        for inv_id, status in now.invoices.items():
            if self.snapshot.invoices.get(inv_id) != status:
                for type_ in INVOICE_EVENTS.get(status, ()):
                    self._queue(type_, invoice_object(self.fake, self.acct, inv_id))
        for ch_id in sorted(now.charges - self.snapshot.charges):
            charge = self.fake.charges[(self.acct, ch_id)]
            self._queue("charge.succeeded", {"id": ch_id, "object": "charge",
                                             "invoice": charge.invoice_id,
                                             "payment_intent": charge.payment_intent_id})
        for re_id in sorted(now.refunds - self.snapshot.refunds):
            refund = self.fake.refunds[(self.acct, re_id)]
            self._queue("charge.refunded", {"id": refund.charge_id, "object": "charge"})
            self._queue("refund.created", {"id": re_id, "object": "refund",
                                           "charge": refund.charge_id})
        self.snapshot = now

    def _queue(self, type_: str, obj: dict[str, Any]) -> None:
        self.pending.append(self.fake.event_emit(type_, self.acct, obj))

    def _stripe_ahead(self, invoice: Invoice) -> bool:
        """Stripe's copy moved where ours has not followed yet (its news still on the way):
        an action may then be refused by Stripe, rightly."""
        if not invoice.stripe_invoice_id:
            return False
        remote = self.fake.invoices[(self.acct, invoice.stripe_invoice_id)]
        return remote.status not in STRIPE_STATUS[invoice.status]

    def _act(self, invoice: Invoice, action: str, call, *, may_refuse: bool = False) -> Any:
        """Run a staff action: it must succeed when the machine offers the action (unless
        `may_refuse`, or Stripe is ahead of us) and be refused (a DomainError) when it does
        not, leaving the books as they were."""
        allowed = INVOICE_MACHINE.allows(invoice, action)
        excused = may_refuse or self._stripe_ahead(invoice)
        try:
            with committed():
                result = call()
        except DomainError:
            if allowed and not excused:
                raise
            return None
        finally:
            self._announce()
        assert allowed, f"{action} of a {invoice.status} invoice was not refused"
        event(f"{action} done")
        return result

    # --- rules --------------------------------------------------------------------------------
    @initialize(amount=amounts)
    def first_invoice(self, amount):
        card_save(self.fake, self.account, self.clients[0], "visa", self.ctx)
        self.create(0, amount, then_send=True)
        self.create(1, amount, then_send=True)

    @rule(c=st.integers(0, 1), amount=amounts, then_send=st.booleans())
    def create(self, c, amount, then_send=False):
        """A standalone Draft, and (most often) sent at once."""
        invoice = invoice_create_standalone(
            practice=self.practice, client_id=self.clients[c].pk,
            lines=[{"description": "Late cancellation fee", "date": self.today.isoformat(),
                    "amount": str(amount)}], ctx=self.ctx, actor=self.owner)
        self.invoices.append(invoice)
        if then_send:
            self.send(len(self.invoices) - 1)

    @rule(c=st.integers(0, 1), kind=cards)
    def card_on_file(self, c, kind):
        """The client saves a card that pays, one that declines, one that needs them to
        confirm; None: keeps what they have."""
        if kind is not None:
            card_save(self.fake, self.account, self.clients[c], kind, self.ctx)

    @rule(i=st.integers(0, 50))
    def send(self, i):
        invoice = self._invoice(i, {S.DRAFT})
        if invoice is None:
            return
        self._act(invoice, "send", lambda: invoice_send(invoice=invoice, ctx=self.ctx,
                                                        actor=self.owner))
        invoice.refresh_from_db()
        if invoice.status == S.SENDING:
            raise AssertionError(f"{invoice.number} still Sending after its delivery ran "
                                 f"({invoice.delivery_error!r})")

    @rule(i=st.integers(0, 50))
    def charge_card(self, i):
        """Staff charge the card on file (or it is refused, with the reason)."""
        invoice = self._invoice(i, CHARGEABLE)
        if invoice is None:
            return
        refusal = card_charge_refusal(invoice=invoice, trigger=AttemptTrigger.STAFF)
        if refusal:
            return
        with committed():
            attempt = invoice_card_charge(invoice=invoice, trigger=AttemptTrigger.STAFF,
                                          ctx=self.ctx, actor=self.owner)
        self._announce()
        invoice.refresh_from_db()
        if attempt.outcome == "succeeded":
            assert invoice.status == S.PAID
        elif attempt.outcome in ("declined", "authentication_required"):
            assert invoice.status in (S.OPEN, S.OVERDUE, S.UNCOLLECTIBLE)
            assert invoice.decline_reason

    @rule(days=st.sampled_from([3, 5, 7, 30]))
    def retries_run(self, days):
        with committed():
            invoices_card_retries_run(now=timezone.now() + dt.timedelta(days=days))
        self._announce()

    @rule(i=st.integers(0, 50))
    def pay_on_hosted_page(self, i):
        """The client pays the whole amount on Stripe's hosted page: Stripe's copy is paid
        at once; we hear of it only when the webhooks arrive."""
        invoice = self._invoice(i, CHARGEABLE)
        if invoice is None or not invoice.stripe_invoice_id:
            return
        self._announce()
        self.pending += hosted_pay(self.fake, self.acct, invoice.stripe_invoice_id)
        self.snapshot = self._stripe_state()  # its events are queued already

    @rule(i=st.integers(0, 50), part=fractions, method=st.sampled_from(["cash", "check"]))
    def record_payment(self, i, part, method):
        invoice = self._invoice(i, CHARGEABLE)
        if invoice is None:
            return
        owed = invoice_figures(practice=self.practice, invoice_ids=[invoice.pk])[invoice.pk]
        amount = money(max(owed.balance, Decimal("1.00")) * part)
        self._act(invoice, "record_payment", lambda: invoice_record_payment(
            invoice=invoice, amount=amount, method=method, received_on=self.today,
            reference="1042" if method == "check" else "", token=str(uuid.uuid4()),
            ctx=self.ctx, actor=self.owner),
            # a small balance (e.g. $0.39 after a refund) is less than the $1.00 floor: that
            # payment would overpay and is refused, which is right
            may_refuse=amount > owed.balance)

    @rule(i=st.integers(0, 50))
    def void(self, i):
        invoice = self._invoice(i, {S.DRAFT} | CHARGEABLE)
        if invoice is None:
            return
        paid = invoice_figures(practice=self.practice, invoice_ids=[invoice.pk])[invoice.pk].paid
        # refused when money was paid on it ("refund the payment first")
        self._act(invoice, "void", lambda: invoice_void(invoice=invoice, ctx=self.ctx,
                                                        actor=self.owner, reason="mistake"),
                  may_refuse=paid > 0)

    @rule(i=st.integers(0, 50), part=fractions)
    def refund(self, i, part):
        invoice = self._invoice(i, {S.PAID})
        if invoice is None:
            return
        paid = invoice_figures(practice=self.practice, invoice_ids=[invoice.pk])[invoice.pk].paid
        if paid <= 0:
            return
        payment = invoice.payments.order_by("pk").last()
        refunded = (payment.refunds.filter(status=RefundStatus.SUCCEEDED)
                    .aggregate(s=Sum("amount"))["s"] or ZERO)
        left = payment.amount - refunded
        if left <= 0:
            return
        amount = max(money(left * part), CENT)
        self._act(invoice, "refund", lambda: invoice_refund(
            invoice=invoice, amount=amount, reason="session cancelled", payment_id=payment.pk,
            token=str(uuid.uuid4()), ctx=self.ctx, actor=self.owner))

    @rule(i=st.integers(0, 50))
    def mark_uncollectible(self, i):
        invoice = self._invoice(i, {S.OPEN, S.OVERDUE})
        if invoice is None:
            return
        self._act(invoice, "mark_uncollectible", lambda: invoice_mark_uncollectible(
            invoice=invoice, ctx=self.ctx, actor=self.owner, reason="client unreachable"))

    @rule(i=st.integers(0, 50), action=st.sampled_from(sorted(REFUSABLE)))
    def refused_action(self, i, action):
        """An action the invoice's status does not allow is refused and changes nothing."""
        invoice = self._invoice(i)
        if INVOICE_MACHINE.allows(invoice, action):
            return
        before = invoice.status
        self._act(invoice, action, lambda: REFUSABLE[action](self, invoice))
        invoice.refresh_from_db()
        assert invoice.status == before

    @rule(days=st.sampled_from([1, 15, 45]))
    def overdue_run(self, days):
        with committed():
            invoices_overdue_mark(now=timezone.now() + dt.timedelta(days=days))
        self._announce()

    @precondition(lambda self: self.pending)
    @rule(n=st.integers(1, 6), newest_first=st.booleans())
    def webhooks_arrive(self, n, newest_first):
        """The next `n` of Stripe's events arrive, in order or newest first."""
        batch, self.pending = self.pending[:n], self.pending[n:]
        for stripe_event in reversed(batch) if newest_first else batch:
            deliver(self.fake, stripe_event)
            self.delivered.append(stripe_event)
        self._announce()

    @precondition(lambda self: self.delivered)
    @rule(j=st.integers(0, 200))
    def webhook_replayed(self, j):
        """Stripe delivers an event it already delivered (its retries, or ours)."""
        deliver(self.fake, self.delivered[j % len(self.delivered)])
        self._announce()

    # --- invariants ---------------------------------------------------------------------------
    @invariant()
    def books_hold(self):
        practice = self.practice
        assert journal_entry_unbalanced_ids(practice=practice) == []
        ids = [inv.pk for inv in self.invoices]
        figures = invoice_figures(practice=practice, invoice_ids=ids)
        rows = {inv.pk: inv for inv in Invoice.objects.filter(pk__in=ids)}
        per_client: dict[int, Decimal] = {}
        for pk in ids:
            inv, fig = rows[pk], figures[pk]
            lines = JournalLine.objects.filter(practice=practice, invoice_id=pk)
            owed = _net(lines.filter(account=Account.AR_CLIENT))
            paid = _net(lines.filter(account=Account.CASH, entry__entry_type__in=(
                EntryType.CLIENT_PAYMENT, EntryType.REFUND)))
            assert (fig.balance, fig.paid) == (owed, paid), inv.number
            payments = _sum(InvoicePayment.objects.filter(invoice_id=pk))
            refunds = _sum(InvoiceRefund.objects.filter(invoice_id=pk,
                                                        status=RefundStatus.SUCCEEDED))
            assert fig.paid == payments - refunds, (inv.number, inv.status)
            if inv.status == S.PAID:
                assert fig.balance <= 0, (inv.number, fig)
            if inv.status in (S.VOID, S.DRAFT):
                assert fig.balance == 0, (inv.number, inv.status, fig)
            if inv.status == S.DRAFT:
                assert not JournalEntry.objects.filter(practice=practice, invoice_id=pk,
                                                       entry_type=EntryType.CHARGE).exists()
                assert not lines.exists()
            per_client[inv.client_id] = per_client.get(inv.client_id, ZERO) + fig.balance
        for client in self.clients:
            assert client_balance(practice=practice, client_id=client.pk) == \
                per_client.get(client.pk, ZERO), client.first_name

    @invariant()
    def no_webhook_left_failing(self):
        """Every event Stripe delivered was handled (processed, or ignored with a reason):
        none is left failing to be retried."""
        assert not StripeWebhookEvent.objects.filter(
            practice_id=self.practice.pk, state=WebhookEventState.FAILED).exists(), list(
            StripeWebhookEvent.objects.filter(practice_id=self.practice.pk,
                                              state=WebhookEventState.FAILED)
            .values_list("type", "outcome"))

    @invariant()
    def one_payment_per_charge(self):
        charges = list(InvoicePayment.objects.filter(practice=self.practice)
                       .exclude(stripe_charge_id="").values_list("stripe_charge_id", flat=True))
        assert len(charges) == len(set(charges))

    @invariant()
    def stripe_agrees_once_its_news_arrived(self):
        if self.pending:
            return
        for inv in Invoice.objects.filter(pk__in=[i.pk for i in self.invoices]) \
                .exclude(stripe_invoice_id=""):
            remote = self.fake.invoices[(self.acct, inv.stripe_invoice_id)]
            assert remote.status in STRIPE_STATUS[inv.status], (inv.number, inv.status,
                                                               remote.status)


def _net(lines) -> Decimal:
    agg = lines.aggregate(d=Sum("debit"), c=Sum("credit"))
    return money((agg["d"] or ZERO) - (agg["c"] or ZERO))


def _sum(rows) -> Decimal:
    return money(rows.aggregate(s=Sum("amount"))["s"] or ZERO)


def test_invoice_state_machine(db, payments):
    run_state_machine_as_test(InvoiceMachine, settings=hsettings(
        max_examples=6, stateful_step_count=25, deadline=None, database=None))
