"""Headless Chromium pays an invoice on the Stripe stand-in's hosted invoice page, and our
invoice turns Paid through the webhook alone: the stand-in runs as a real process and
forwards its signed events to `POST /webhooks/stripe` on a live server; the product's
adapter (the official SDK) fetches the invoice and its charge back from the stand-in.

The invoice goes out as sending leaves it: Sending here, a finalized copy on the practice's
connected account; `invoice.finalized` opens it here, and `invoice.paid` records the payment
and Stripe's fee. Waits are on conditions (the live server announces each finished request),
never on time."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from django.core.signals import request_finished, request_started
from django.utils import timezone

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.services import practice_create
from oasys.invoices.machine import INVOICE_MACHINE
from oasys.invoices.models import Invoice, InvoiceStatus, PaymentMethod
from oasys.invoices.services import invoice_create_standalone
from oasys.ledger.models import EntryType, JournalEntry
from oasys.payments.connection import payments_port
from oasys.payments.models import PaymentAccount, StripeWebhookEvent
from oasys.payments.port import InvoiceLine

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEADLINE_SECONDS = 60
SECRET = "whsec_hosted_pay"  # noqa: S105 - a test value


class Requests:
    """The live server's requests, seen from the test.

    `quiet()` holds the lock every request holds while it is served, so the test reads a
    settled database. `wait_for` re-checks its condition, quietly, whenever a request
    finishes (and at least every quarter second) until a deadline."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.serving = threading.Lock()

    def started(self, **_kw) -> None:
        self.serving.acquire()

    def finished(self, **_kw) -> None:
        self.serving.release()
        with self.cond:
            self.cond.notify_all()

    @contextlib.contextmanager
    def quiet(self) -> Iterator[None]:
        with self.serving:
            yield

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + DEADLINE_SECONDS
        with self.cond:
            while True:
                with self.serving:
                    if condition():
                        return
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"gave up after {DEADLINE_SECONDS} s waiting for "
                                         f"{what}")
                self.cond.wait(timeout=min(left, 0.25))


@pytest.fixture
def requests_seen() -> Iterator[Requests]:
    seen = Requests()
    request_started.connect(seen.started, dispatch_uid="hosted-pay-test")
    request_finished.connect(seen.finished, dispatch_uid="hosted-pay-test")
    try:
        yield seen
    finally:
        request_started.disconnect(dispatch_uid="hosted-pay-test")
        request_finished.disconnect(dispatch_uid="hosted-pay-test")


@pytest.fixture
def forwarding(stripe_standin, live_server, settings):
    """The stand-in forwards every event to our endpoint, signed with our secret."""
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    stripe_standin.control("webhooks/forward", {"url": f"{live_server.url}/webhooks/stripe",
                                                "secret": SECRET})
    try:
        yield stripe_standin
    finally:
        stripe_standin.control("webhooks/forward", {"url": ""})


def _sent_invoice(practice, account: PaymentAccount) -> Invoice:
    """A standalone invoice as sending leaves it before the delivery finishes: Sending here,
    its copy created with our metadata and finalized on the connected account."""
    ctx = f.ctx_for(practice=practice)
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    invoice = invoice_create_standalone(
        practice=practice, client_id=client.pk, ctx=ctx,
        lines=[{"description": "Psychotherapy, 60 minutes", "date": timezone.localdate(),
                "amount": "138.00"},
               {"description": "Late cancellation fee", "date": timezone.localdate(),
                "amount": "20.00"}])
    port = payments_port()
    acct = account.stripe_account_id
    cus = port.customer_create(account_id=acct, email=client.email, name="Client",
                               metadata={"oasys_client_id": str(client.pk)},
                               idempotency_key=f"hosted-pay-cus-{invoice.pk}")
    remote = port.invoice_create(
        account_id=acct, customer_id=cus.id, currency="usd", days_until_due=14,
        lines=[InvoiceLine(description=ln.description, amount=ln.amount)
               for ln in invoice.lines.all()],
        metadata={"oasys_invoice_id": str(invoice.pk), "oasys_invoice_number": invoice.number},
        idempotency_key=f"hosted-pay-inv-{invoice.pk}")
    INVOICE_MACHINE.transition(obj=invoice, to=InvoiceStatus.SENDING, ctx=ctx, source="tests",
                               reason="send",
                               updates={"stripe_account_id": acct,
                                        "stripe_invoice_id": remote.id})
    port.invoice_finalize(account_id=acct, invoice_id=remote.id,
                          idempotency_key=f"hosted-pay-fin-{invoice.pk}")
    return invoice


def _settled(standin) -> bool:
    return all(d["state"] in ("delivered", "failed", "dropped") for d in standin.deliveries())


def test_paying_on_the_hosted_page_turns_the_invoice_paid_through_the_webhook(
        forwarding, requests_seen, page):
    standin = forwarding
    with requests_seen.quiet():
        practice = practice_create(name="Hosted Pay Counseling", slug="hosted-pay")
        acct = payments_port().account_create(
            email="owner@hosted-pay.example", business_name="Hosted Pay Counseling",
            metadata={"practice": str(practice.pk)}, idempotency_key="hosted-pay-acct")
        standin.control(f"accounts/{acct.id}", {"state": "active"})
        account = PaymentAccount.objects.create(practice=practice, stripe_account_id=acct.id,
                                                charges_enabled=True, payouts_enabled=True,
                                                details_submitted=True)
        invoice = _sent_invoice(practice, account)

    def status() -> str:
        return Invoice.objects.get(pk=invoice.pk).status

    requests_seen.wait_for(lambda: status() == InvoiceStatus.OPEN,
                           "invoice.finalized to open the invoice")
    with requests_seen.quiet():
        invoice.refresh_from_db()
        assert invoice.hosted_invoice_url.startswith(standin.base_url)
        assert JournalEntry.objects.filter(invoice_id=invoice.pk,
                                           entry_type=EntryType.CHARGE).count() == 1

    # the client opens the link from the email and pays with a test card
    page.goto(invoice.hosted_invoice_url)
    assert page.locator("#amount").inner_text() == "$158.00"
    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_label("Expiry (MM / YY)").fill("12 / 34")
    page.get_by_label("CVC").fill("123")
    page.get_by_role("button", name="Pay").click()
    page.get_by_text("This invoice has been paid.").wait_for()

    def paid_with_fee() -> bool:
        return status() == InvoiceStatus.PAID and JournalEntry.objects.filter(
            invoice_id=invoice.pk, entry_type=EntryType.PROCESSING_FEE).exists()

    requests_seen.wait_for(paid_with_fee, "invoice.paid to record the payment")
    requests_seen.wait_for(lambda: _settled(standin), "the stand-in's deliveries settled")
    with requests_seen.quiet():
        invoice.refresh_from_db()
        [payment] = invoice.payments.all()
        assert (payment.method, payment.amount, payment.card_last4) == (
            PaymentMethod.ONLINE, Decimal("158.00"), "4242")
        assert payment.key == f"stripe:{payment.stripe_charge_id}"
        assert payment.fee == Decimal("4.88")  # 2.9% + 30¢, as the stand-in charges
        assert payment.source.startswith("stripe webhook evt_")
        [cash_in] = JournalEntry.objects.filter(invoice_id=invoice.pk,
                                                entry_type=EntryType.CLIENT_PAYMENT)
        [fee] = JournalEntry.objects.filter(invoice_id=invoice.pk,
                                            entry_type=EntryType.PROCESSING_FEE)
        assert cash_in.lines.get(account="cash").debit == Decimal("158.00")
        assert fee.lines.get(account="processing_fees").debit == Decimal("4.88")
        # both of Stripe's payment events were stored and processed; one payment came of
        # them, and every event the stand-in sent was taken
        outcomes = dict(StripeWebhookEvent.objects.filter(
            type__in=["invoice.paid", "invoice.payment_succeeded"])
            .values_list("type", "outcome"))
        assert len(outcomes) == 2
        assert sum("recorded: Paid" in o for o in outcomes.values()) == 1
        assert not StripeWebhookEvent.objects.filter(state="failed").exists()
    assert {d["last_status"] for d in standin.deliveries()} == {200}
