"""Charging cards on file against the Stripe stand-in as a real process, through the real
adapter (the official SDK), with the cards saved on the stand-in's hosted form as a client
saves them: a Visa pays the invoice (the payment and Stripe's fee in the journal); the card
that saves but declines later (4000 0000 0000 0341) leaves it Open with the reason and runs
the schedule to its end (third decline: autopay paused and the owner told; the last retry:
Uncollectible); a card whose bank wants the client (4000 0027 6000 3184) asks the client to
confirm."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from oasys.core.audit import AuditContext
from oasys.core.errors import Conflict
from oasys.core.models import SentEmail
from oasys.invoices.charging import invoice_card_charge, invoices_card_retries_run
from oasys.invoices.models import (
    AttemptOutcome,
    AttemptTrigger,
    InvoicePayment,
    InvoiceSettings,
    InvoiceStatus,
    PaymentAttempt,
)
from oasys.ledger.models import EntryType, JournalEntry
from oasys.ledger.selectors import invoice_figures_one
from oasys.payments.connection import payments_port
from oasys.payments.models import ClientPaymentProfile

from .charging_world import account_active, card_saved, cash_client, open_invoice_on_stripe

pytestmark = pytest.mark.django_db

EXP_YEAR = dt.datetime.now(dt.UTC).year + 3
O = AttemptOutcome  # noqa: E741
T = AttemptTrigger


@pytest.fixture
def world(stripe_standin, practice, owner, settings):
    settings.OASYS_BASE_URL = "http://127.0.0.1:9"  # nothing listens: redirects not followed
    account = account_active(practice, lambda acct: stripe_standin.control(
        f"accounts/{acct}", {"state": "active"}))
    ctx = AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)
    return stripe_standin, account, cash_client(practice), ctx


def _save_on_hosted_form(client, account, ctx, number: str):
    def save(session):
        resp = httpx.post(session.url, data={
            "cardnumber": number, "expiry": f"12 / {EXP_YEAR % 100:02d}", "cvc": "123",
            "name": "Maria", "postal": "60614"})
        assert resp.status_code == 303, resp.text[:300]
        return session.id
    profile, _ = card_saved(client, account, ctx, save)
    return profile


def test_a_visa_on_file_pays_the_invoice_with_stripes_fee_in_the_journal(world):
    standin, account, client, ctx = world
    _save_on_hosted_form(client, account, ctx, "4242 4242 4242 4242")
    invoice = open_invoice_on_stripe(client, ctx, "150.00")

    attempt = invoice_card_charge(invoice=invoice, trigger=T.SEND, ctx=ctx)

    invoice.refresh_from_db()
    assert attempt.outcome == O.SUCCEEDED and attempt.stripe_charge_id.startswith("ch_")
    assert invoice.status == InvoiceStatus.PAID
    charge = payments_port().charge_get(account_id=account.stripe_account_id,
                                        charge_id=attempt.stripe_charge_id)
    assert charge.amount == Decimal("150.00") and charge.fee > 0
    payment = InvoicePayment.objects.get(invoice=invoice)
    assert (payment.amount, payment.fee, payment.card_last4) == \
        (Decimal("150.00"), charge.fee, "4242")
    entries = JournalEntry.objects.filter(invoice_id=invoice.pk)
    assert entries.filter(entry_type=EntryType.CLIENT_PAYMENT).count() == 1
    assert entries.filter(entry_type=EntryType.PROCESSING_FEE).count() == 1
    assert invoice_figures_one(practice=invoice.practice, invoice=invoice).balance == 0
    remote = payments_port().invoice_get(account_id=account.stripe_account_id,
                                         invoice_id=invoice.stripe_invoice_id)
    assert remote.status == "paid"
    # Asked again (a second click): refused in words, nothing more is charged.
    with pytest.raises(Conflict, match="Paid invoice is not charged"):
        invoice_card_charge(invoice=invoice, trigger=T.STAFF, ctx=ctx)


def test_a_card_that_declines_runs_the_schedule_to_its_end(world, practice, owner):
    standin, account, client, ctx = world
    InvoiceSettings.objects.create(practice=practice, retry_days=[3, 5])
    _save_on_hosted_form(client, account, ctx, "4000 0000 0000 0341")
    invoice = open_invoice_on_stripe(client, ctx, "90.00")

    first = invoice_card_charge(invoice=invoice, trigger=T.SEND, ctx=ctx)

    invoice.refresh_from_db()
    assert first.outcome == O.DECLINED and first.decline_code == "generic_decline"
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.decline_reason == first.reason and "declined" in first.reason
    assert invoice.next_charge_at is not None

    assert invoices_card_retries_run(now=invoice.next_charge_at) == 1  # day 3
    invoice.refresh_from_db()
    assert (invoice.status, invoice.declines) == (InvoiceStatus.OPEN, 2)
    assert ClientPaymentProfile.objects.get().autopay_paused_at is None

    assert invoices_card_retries_run(now=invoice.next_charge_at) == 1  # day 5: the last
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE
    assert payments_port().invoice_get(account_id=account.stripe_account_id,
                                       invoice_id=invoice.stripe_invoice_id).status \
        == "uncollectible"
    # the third decline in a row paused autopay and told the owner
    assert ClientPaymentProfile.objects.get().autopay_paused_at is not None
    [told] = SentEmail.objects.filter(kind="autopay_paused")
    assert told.to == owner.email
    assert list(PaymentAttempt.objects.order_by("number").values_list("outcome", flat=True)) \
        == [O.DECLINED] * 3
    assert SentEmail.objects.filter(kind="payment_declined", to=client.email).count() == 2


def test_a_bank_that_wants_the_client_gets_them_a_confirm_email(world):
    standin, account, client, ctx = world
    _save_on_hosted_form(client, account, ctx, "4000 0027 6000 3184")
    invoice = open_invoice_on_stripe(client, ctx, "60.00")

    attempt = invoice_card_charge(invoice=invoice, trigger=T.STAFF, ctx=ctx)

    invoice.refresh_from_db()
    assert attempt.outcome == O.AUTHENTICATION_REQUIRED
    assert invoice.status == InvoiceStatus.OPEN and invoice.next_charge_at is None
    [email] = SentEmail.objects.filter(kind="payment_confirm")
    assert invoice.hosted_invoice_url and invoice.hosted_invoice_url in email.text_body
