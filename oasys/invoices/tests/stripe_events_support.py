"""Helpers of the Stripe invoice-event tests: a practice with an active account on the fake,
our invoices with their copy on the fake, what happens on Stripe's side (the client pays on
the hosted page, a refund or a void in Stripe's dashboard), the events Stripe sends about it,
and their delivery through the real webhook endpoint's service and task."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.audit import AuditContext
from oasys.invoices.machine import INVOICE_MACHINE
from oasys.invoices.models import Invoice, InvoiceStatus
from oasys.invoices.services import invoice_create_standalone
from oasys.ledger.models import JournalEntry
from oasys.ledger.selectors import invoice_figures_one
from oasys.payments.fake import FakePayments
from oasys.payments.handlers import HANDLERS
from oasys.payments.models import PaymentAccount, StripeWebhookEvent
from oasys.payments.port import Charge, Event, InvoiceLine, Refund, RemoteInvoice
from oasys.payments.services import account_connect, account_sync
from oasys.payments.webhooks import stripe_event_process, stripe_event_receive

from .helpers import invoice_opened

_keys = itertools.count(1)


def _key(label: str) -> str:
    return f"test-{label}-{next(_keys)}"


@dataclass
class StripeWorld:
    """One practice on the fake, and Stripe's side of its invoices."""

    fake: FakePayments
    practice: object
    account: PaymentAccount
    ctx: AuditContext
    customers: dict[int, tuple[str, str]] = field(default_factory=dict)  # client: (cus, pm)
    remote_ids: dict[int, str] = field(default_factory=dict)  # our invoice: Stripe's

    @property
    def acct(self) -> str:
        return self.account.stripe_account_id

    # --- our side -----------------------------------------------------------------------------
    def invoice(self, *amounts: str, status: str = InvoiceStatus.OPEN, link: bool = True,
                client=None) -> Invoice:
        """A standalone invoice of ours with its copy finalized on Stripe (linked to it unless
        `link` is False), taken to `status` here: Draft, Sending or Open."""
        client = client or f.make_client(self.practice, billing_type=BillingType.SELF_PAY)
        amounts = amounts or ("100.00",)
        invoice = invoice_create_standalone(
            practice=self.practice, client_id=client.pk, ctx=self.ctx,
            lines=[{"description": f"Session fee {i + 1}", "date": timezone.localdate(),
                    "amount": a} for i, a in enumerate(amounts)])
        cus = self._customer(client)
        remote = self.fake.invoice_create(
            account_id=self.acct, customer_id=cus,
            lines=[InvoiceLine(description=f"Session fee {i + 1}", amount=Decimal(a))
                   for i, a in enumerate(amounts)], currency="usd", days_until_due=14,
            metadata={"oasys_invoice_id": str(invoice.pk),
                      "oasys_invoice_number": invoice.number},
            idempotency_key=_key("inv"))
        remote = self.fake.invoice_finalize(account_id=self.acct, invoice_id=remote.id,
                                            idempotency_key=_key("fin"))
        if link:
            Invoice.objects.filter(pk=invoice.pk).update(
                stripe_account_id=self.acct, stripe_invoice_id=remote.id,
                hosted_invoice_url=remote.hosted_invoice_url if status == "open" else "")
        invoice.refresh_from_db()
        self.remote_ids[invoice.pk] = remote.id
        if status == InvoiceStatus.SENDING:
            INVOICE_MACHINE.transition(obj=invoice, to=InvoiceStatus.SENDING, ctx=self.ctx,
                                       source="tests", reason="send")
        elif status == InvoiceStatus.OPEN:
            invoice_opened(invoice, self.ctx)
        invoice.refresh_from_db()
        return invoice

    def _customer(self, client) -> str:
        if client.pk not in self.customers:
            cus = self.fake.customer_create(account_id=self.acct, email="c@test.example",
                                            name="Client", metadata={"client": str(client.pk)},
                                            idempotency_key=_key("cus"))
            session = self.fake.setup_session_create(
                account_id=self.acct, customer_id=cus.id, success_url="https://x.test/ok",
                cancel_url="https://x.test/no", metadata={}, idempotency_key=_key("cs"))
            pm = self.fake.setup_session_complete(self.acct, session.id, "visa")
            self.customers[client.pk] = (cus.id, pm.id)
        return self.customers[client.pk][0]

    # --- Stripe's side ------------------------------------------------------------------------

    def remote(self, invoice: Invoice) -> RemoteInvoice:
        return self.fake.invoice_get(account_id=self.acct,
                                     invoice_id=self.remote_ids[invoice.pk])

    def hosted_pay(self, invoice: Invoice) -> Charge:
        """The client pays the whole invoice on Stripe's hosted page (with a test Visa)."""
        _cus, pm = self.customers[invoice.client_id]
        paid = self.fake.invoice_pay(account_id=self.acct, invoice_id=self.remote_ids[
            invoice.pk], payment_method_id=pm, idempotency_key=_key("pay"))
        return self.fake.charge_get(account_id=self.acct, charge_id=paid.charge_id)

    def dashboard_refund(self, invoice: Invoice, amount: str) -> Refund:
        charge_id = self.remote(invoice).charge_id
        return self.fake.refund_create(account_id=self.acct, charge_id=charge_id,
                                       amount=Decimal(amount), idempotency_key=_key("re"))

    def dashboard_void(self, invoice: Invoice) -> RemoteInvoice:
        return self.fake.invoice_void(account_id=self.acct, invoice_id=self.remote_ids[
            invoice.pk], idempotency_key=_key("void"))

    def dashboard_uncollectible(self, invoice: Invoice) -> RemoteInvoice:
        return self.fake.invoice_mark_uncollectible(
            account_id=self.acct, invoice_id=self.remote_ids[invoice.pk],
            idempotency_key=_key("unc"))

    # --- the events Stripe sends --------------------------------------------------------------
    def invoice_event(self, type_: str, invoice: Invoice) -> Event:
        remote = self.remote(invoice)
        # data.object as Stripe sends it (as it was then); the handlers read only its id
        return self.fake.event_emit(type_, self.acct, {
            "id": remote.id, "object": "invoice", "status": remote.status,
            "metadata": dict(remote.metadata)})

    def charge_event(self, type_: str, charge_id: str) -> Event:
        return self.fake.event_emit(type_, self.acct, {"id": charge_id, "object": "charge"})

    def refund_event(self, type_: str, refund: Refund) -> Event:
        return self.fake.event_emit(type_, self.acct, {
            "id": refund.id, "object": "refund", "charge": refund.charge_id,
            "status": refund.status})

    def deliver(self, event: Event) -> StripeWebhookEvent:
        """One delivery to `POST /webhooks/stripe` (signed as Stripe signs) and the task that
        processes it."""
        body, header = self.fake.signed(event)
        row = stripe_event_receive(payload=body, signature=header)
        return stripe_event_process(event_id=row.pk)

    def handle(self, event: Event) -> str:
        """The event's handler run directly (as a second worker or a retry would run it);
        "" for a type nobody handles."""
        handler = HANDLERS.get(event.type)
        return handler(event, self.account) if handler else ""


def stripe_world(fake: FakePayments, practice, owner) -> StripeWorld:
    ctx = f.ctx_for(user=owner, practice=practice)
    account_connect(practice=practice, user=owner, ctx=ctx,
                    return_url="https://oasys.test/r/", refresh_url="https://oasys.test/f/")
    account = PaymentAccount.objects.get(practice=practice)
    fake.account_state_set(account.stripe_account_id, "active")
    account = account_sync(account=account, ctx=ctx, source="test")
    return StripeWorld(fake=fake, practice=practice, account=account, ctx=ctx)


def journal_counts(invoice: Invoice) -> Counter:
    return Counter(JournalEntry.objects.filter(practice_id=invoice.practice_id,
                                               invoice_id=invoice.pk)
                   .values_list("entry_type", flat=True))


def invoice_state(invoice: Invoice) -> dict:
    """Everything a delivery can change about an invoice, to compare two histories."""
    invoice.refresh_from_db()
    figures = invoice_figures_one(practice=invoice.practice, invoice=invoice)
    return {
        "status": invoice.status,
        "figures": (figures.total, figures.paid, figures.balance),
        "payments": sorted((p.method, p.amount, p.fee) for p in invoice.payments.all()),
        "refunds": sorted((r.amount, r.status) for r in invoice.refunds.all()),
        "journal": journal_counts(invoice),
        "linked": bool(invoice.stripe_invoice_id),
    }
