"""Charging the client's card on file for an invoice (charging.py), on the fake port: who may
be charged, a success (Paid, the payment and Stripe's fee in the journal), a decline (Open
with the reason, the retry schedule, the client's email), a bank asking the client to
confirm, Stripe not answering, and one charge however often an attempt is run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from oasys.core.audit import AuditContext
from oasys.core.errors import NotFound
from oasys.core.models import SentEmail
from oasys.core.timezones import practice_zone
from oasys.invoices import charging
from oasys.invoices.charging import card_charge_refusal, invoice_card_charge
from oasys.invoices.models import (
    AttemptOutcome,
    AttemptTrigger,
    Invoice,
    InvoicePayment,
    InvoiceSettings,
    InvoiceStatus,
    PaymentAttempt,
    PaymentMethod,
)
from oasys.invoices.tasks import invoices_card_retries_task
from oasys.ledger.models import EntryType, JournalEntry
from oasys.ledger.selectors import invoice_figures_one
from oasys.payments.cards import cards_unavailable_reason
from oasys.payments.models import ClientPaymentProfile
from oasys.payments.port import RetryableError

from .charging_world import cash_client, fake_account, fake_card_saved, open_invoice_on_stripe

pytestmark = pytest.mark.django_db

O = AttemptOutcome  # noqa: E741
T = AttemptTrigger


@pytest.fixture
def ctx(owner):
    return AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=owner.practice_id)


@pytest.fixture
def account(practice, payments):
    return fake_account(practice, payments)


@pytest.fixture
def client_(practice):
    return cash_client(practice)


@pytest.fixture
def with_card(client_, account, ctx, payments):
    def save(card: str = "visa"):
        profile, _ = fake_card_saved(client_, account, ctx, payments, card=card)
        return profile
    return save


def _pays(payments) -> list[dict]:
    return [kw for name, kw in payments.calls if name == "invoice_pay"]


def _charges_made(payments, account) -> list:
    return [c for (acct, _), c in payments.charges.items()
            if acct == account.stripe_account_id and c.status == "succeeded"]


# --- success ---------------------------------------------------------------------------------


def test_a_charge_that_succeeds_pays_the_invoice_with_the_fee_in_the_journal(
        client_, with_card, ctx, payments, account, owner):
    with_card("visa")
    invoice = open_invoice_on_stripe(client_, ctx, "120.00")

    attempt = invoice_card_charge(invoice=invoice, trigger=T.STAFF, ctx=ctx, actor=owner)

    invoice.refresh_from_db()
    assert (attempt.number, attempt.outcome, attempt.trigger) == (1, O.SUCCEEDED, T.STAFF)
    assert (attempt.card_brand, attempt.card_last4, attempt.amount) == \
        ("visa", "4242", Decimal("120.00"))
    assert invoice.status == InvoiceStatus.PAID and invoice.next_charge_at is None
    payment = InvoicePayment.objects.get(invoice=invoice)
    assert payment.key == f"stripe:{attempt.stripe_charge_id}"
    assert (payment.method, payment.amount, payment.fee) == \
        (PaymentMethod.CARD, Decimal("120.00"), Decimal("3.78"))  # 2.9% + 30¢
    entries = JournalEntry.objects.filter(invoice_id=invoice.pk)
    charge = attempt.stripe_charge_id
    assert entries.filter(entry_type=EntryType.CLIENT_PAYMENT,
                          source_key__contains=charge).count() == 1
    fee = entries.get(entry_type=EntryType.PROCESSING_FEE, source_key__contains=charge)
    assert sum(line.debit for line in fee.lines.all()) == Decimal("3.78")
    assert invoice_figures_one(practice=invoice.practice, invoice=invoice).balance == 0
    [pay] = _pays(payments)
    assert pay["idempotency_key"] == f"oasys-invoice-{invoice.pk}-attempt-1"
    assert pay["payment_method_id"] == ClientPaymentProfile.objects.get().card_payment_method_id
    # a success emails nothing from here (the receipt is the receipts' business)
    assert not SentEmail.objects.filter(kind__in=("payment_declined", "payment_confirm"))


# --- who may be charged ----------------------------------------------------------------------


def test_refusals_say_why_in_words(client_, with_card, ctx, practice, payments):
    invoice = open_invoice_on_stripe(client_, ctx)
    assert card_charge_refusal(invoice=invoice, trigger=T.SEND) == \
        "The client has no card on file."
    with_card("visa")
    assert card_charge_refusal(invoice=invoice, trigger=T.SEND) == ""

    draft = Invoice(practice=practice, client=client_, status=InvoiceStatus.DRAFT)
    assert card_charge_refusal(invoice=draft, trigger=T.STAFF) == \
        "A Draft invoice is not charged."
    Invoice.objects.filter(pk=invoice.pk).update(stripe_invoice_id="")
    invoice.refresh_from_db()
    assert "not on Stripe" in card_charge_refusal(invoice=invoice, trigger=T.STAFF)


def test_no_charge_without_the_clients_consent_whoever_asks(client_, with_card, ctx):
    with_card("visa")
    invoice = open_invoice_on_stripe(client_, ctx)
    ClientPaymentProfile.objects.update(autopay_consent_at=None)
    for trigger in T.values:
        assert card_charge_refusal(invoice=invoice, trigger=trigger) == \
            "The client has not authorized charges to the card on file."
    with pytest.raises(charging.Conflict, match="not authorized"):
        invoice_card_charge(invoice=invoice, trigger=T.STAFF, ctx=ctx)
    assert not PaymentAttempt.objects.exists()


def test_a_paused_autopay_stops_new_automatic_charges_not_a_running_schedule_nor_staff(
        client_, with_card, ctx):
    with_card("visa")
    invoice = open_invoice_on_stripe(client_, ctx)
    ClientPaymentProfile.objects.update(autopay_paused_at=timezone.now())
    for trigger in (T.SEND, T.CARD_SAVED):
        assert "Autopay is paused" in card_charge_refusal(invoice=invoice, trigger=trigger)
    # an invoice already on its retry schedule finishes it
    assert card_charge_refusal(invoice=invoice, trigger=T.RETRY) == ""
    assert card_charge_refusal(invoice=invoice, trigger=T.STAFF) == ""


def test_a_practice_whose_stripe_account_cannot_charge_is_refused(client_, with_card, ctx,
                                                                  account):
    with_card("visa")
    invoice = open_invoice_on_stripe(client_, ctx)
    account.status = "restricted"
    account.save(update_fields=["status"])
    refusal = card_charge_refusal(invoice=invoice, trigger=T.STAFF)
    assert refusal == cards_unavailable_reason(practice=invoice.practice)
    assert "Restricted" in refusal


# --- declines --------------------------------------------------------------------------------


def _morning(practice, day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(9), tzinfo=practice_zone(practice))


def test_a_decline_leaves_the_invoice_open_with_the_reason_and_the_next_try(
        client_, with_card, ctx, payments, practice):
    with_card("chargeCustomerFail")
    invoice = open_invoice_on_stripe(client_, ctx)

    attempt = invoice_card_charge(invoice=invoice, trigger=T.STAFF, ctx=ctx)

    invoice.refresh_from_db()
    words = "The card was declined. Ask the client to call their bank or use another card."
    assert (attempt.outcome, attempt.reason, attempt.decline_code) == \
        (O.DECLINED, words, "generic_decline")
    assert invoice.status == InvoiceStatus.OPEN
    assert (invoice.declines, invoice.decline_reason) == (1, words)
    first_day = attempt.finished_at.astimezone(practice_zone(practice)).date()
    assert invoice.next_charge_at == _morning(practice, first_day + dt.timedelta(days=3))
    assert not InvoicePayment.objects.exists()
    [email] = SentEmail.objects.filter(kind="payment_declined")
    assert (email.to, email.object_type, email.object_id, email.client_id) == \
        ("maria@example.com", "Invoice", str(invoice.pk), client_.pk)
    assert words in email.text_body and invoice.hosted_invoice_url in email.text_body
    assert invoice.hosted_invoice_url in email.html_body
    assert "try the card again on" in email.text_body


def test_the_send_decline_is_told_by_the_invoice_email_not_a_second_one(
        client_, with_card, ctx):
    with_card("chargeCustomerFail")
    invoice = open_invoice_on_stripe(client_, ctx)
    attempt = invoice_card_charge(invoice=invoice, trigger=T.SEND, ctx=ctx)
    assert attempt.outcome == O.DECLINED
    assert not SentEmail.objects.filter(kind="payment_declined").exists()


def test_authentication_required_asks_the_client_to_confirm_and_is_not_retried(
        client_, with_card, ctx):
    with_card("authenticationRequired")
    invoice = open_invoice_on_stripe(client_, ctx)

    attempt = invoice_card_charge(invoice=invoice, trigger=T.RETRY, ctx=ctx)

    invoice.refresh_from_db()
    assert attempt.outcome == O.AUTHENTICATION_REQUIRED
    assert "approve this payment" in attempt.reason
    assert invoice.status == InvoiceStatus.OPEN
    assert (invoice.next_charge_at, invoice.declines) == (None, 0)
    assert invoice.decline_reason == attempt.reason
    [email] = SentEmail.objects.filter(kind="payment_confirm")
    assert "confirm" in email.subject and invoice.hosted_invoice_url in email.text_body
    assert not SentEmail.objects.filter(kind="payment_declined").exists()


def test_stripe_not_answering_is_an_error_tried_again_soon_and_no_decline(
        client_, with_card, ctx, payments):
    with_card("visa")
    invoice = open_invoice_on_stripe(client_, ctx)
    payments.fail_next("invoice_pay", RetryableError("timeout", code="timeout"))
    before = timezone.now()

    attempt = invoice_card_charge(invoice=invoice, trigger=T.SEND, ctx=ctx)

    invoice.refresh_from_db()
    assert attempt.outcome == O.ERROR and attempt.reason == charging.STRIPE_UNREACHABLE
    assert invoice.status == InvoiceStatus.OPEN and invoice.declines == 0
    assert before + dt.timedelta(minutes=14) < invoice.next_charge_at \
        < timezone.now() + dt.timedelta(minutes=16)
    assert not SentEmail.objects.filter(kind__startswith="payment_").exists()

    # The retry run, once due, charges it (a new attempt, a new key).
    assert charging.invoices_card_retries_run(now=invoice.next_charge_at) == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert [a.outcome for a in PaymentAttempt.objects.order_by("number")] == \
        [O.ERROR, O.SUCCEEDED]
    assert [a.trigger for a in PaymentAttempt.objects.order_by("number")] == [T.SEND, T.RETRY]


# --- exactly one charge ----------------------------------------------------------------------


def test_a_pending_attempt_is_resumed_with_its_key_not_duplicated(
        client_, with_card, ctx, payments, account):
    """A worker died after committing the attempt (or mid-call): the next charge of the
    invoice runs the same attempt, with the same key, so Stripe charges once."""
    with_card("visa")
    invoice = open_invoice_on_stripe(client_, ctx)
    started = charging._attempt_claim(invoice=invoice, trigger=T.SEND, ctx=ctx, actor=None)
    invoice.refresh_from_db()
    assert started.outcome == O.PENDING
    assert invoice.next_charge_at is not None  # the lease: the retry run would resume it

    again = invoice_card_charge(invoice=invoice, trigger=T.STAFF, ctx=ctx)

    assert (again.pk, again.number, again.trigger, again.outcome) == \
        (started.pk, 1, T.SEND, O.SUCCEEDED)
    assert len(_charges_made(payments, account)) == 1


def test_a_lost_answer_after_stripe_charged_is_recorded_not_charged_again(
        client_, with_card, ctx, payments, account):
    with_card("visa")
    invoice = open_invoice_on_stripe(client_, ctx)
    # Stripe charged the card, then its answer about the charge was lost.
    payments.fail_next("charge_get", RetryableError("connection reset", code="network"))
    first = invoice_card_charge(invoice=invoice, trigger=T.SEND, ctx=ctx)
    assert first.outcome == O.ERROR
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN

    charging.invoices_card_retries_run(now=invoice.next_charge_at)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert len(_pays(payments)) == 1  # the retry read Stripe's copy: paid, so no new charge
    assert len(_charges_made(payments, account)) == 1
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 1


def test_an_invoice_paid_on_the_hosted_page_meanwhile_is_recorded_not_charged(
        client_, with_card, ctx, payments, account):
    with_card("visa")
    invoice = open_invoice_on_stripe(client_, ctx)
    # the client paid on the hosted page before the retry ran (its webhook not yet in)
    pm = next(iter(payments.cards.values()))
    payments.invoice_pay(account_id=account.stripe_account_id,
                         invoice_id=invoice.stripe_invoice_id, payment_method_id=pm.id,
                         idempotency_key="hosted-page")
    attempt = invoice_card_charge(invoice=invoice, trigger=T.RETRY, ctx=ctx)
    assert attempt.outcome == O.SUCCEEDED
    assert len(_pays(payments)) == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_hand_payment_stripe_does_not_know_of_stops_the_charge(
        client_, with_card, ctx, payments, account):
    """A partial cash payment recorded here: Stripe's copy still asks for the whole total,
    so charging it would take more than is owed."""
    with_card("visa")
    invoice = open_invoice_on_stripe(client_, ctx, "120.00")
    charging.payment_apply(invoice=invoice, payment=charging.PaymentIn(
        key=f"manual:{invoice.pk}:t1", method=PaymentMethod.CASH, amount=Decimal("20.00")),
        ctx=ctx)
    attempt = invoice_card_charge(invoice=invoice, trigger=T.STAFF, ctx=ctx)
    assert attempt.outcome == O.ERROR and attempt.amount == Decimal("100.00")
    assert "$120.00" in attempt.reason and "$100.00" in attempt.reason
    assert _pays(payments) == []
    invoice.refresh_from_db()
    assert invoice.next_charge_at is None


# --- settings and the task -------------------------------------------------------------------


def test_the_retry_task_is_scheduled_every_15_minutes_and_runs_the_retries(
        settings, client_, with_card, ctx):
    entry = settings.CELERY_BEAT_SCHEDULE["invoices-card-retries"]
    assert entry == {"task": "invoices.card_retries", "schedule": 900.0}
    assert invoices_card_retries_task.name == "invoices.card_retries"
    with_card("visa")
    invoice = open_invoice_on_stripe(client_, ctx)
    Invoice.objects.filter(pk=invoice.pk).update(next_charge_at=timezone.now())
    assert invoices_card_retries_task.delay().get() == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_retry_days_come_from_the_practice(client_, with_card, ctx, practice):
    InvoiceSettings.objects.create(practice=practice, retry_days=[1, 2])
    with_card("chargeCustomerFail")
    invoice = open_invoice_on_stripe(client_, ctx)
    attempt = invoice_card_charge(invoice=invoice, trigger=T.STAFF, ctx=ctx)
    invoice.refresh_from_db()
    first_day = attempt.finished_at.astimezone(practice_zone(practice)).date()
    assert invoice.next_charge_at == _morning(practice, first_day + dt.timedelta(days=1))


def test_another_practices_invoice_is_not_found(client_, with_card, ctx, other_practice,
                                                 payments):
    with_card("visa")
    invoice = open_invoice_on_stripe(client_, ctx)
    elsewhere = AuditContext.system(practice_id=other_practice.pk, source="tests")
    with pytest.raises(NotFound):
        invoice_card_charge(invoice=invoice, trigger=T.STAFF, ctx=elsewhere)
    assert not PaymentAttempt.objects.exists() and _pays(payments) == []
