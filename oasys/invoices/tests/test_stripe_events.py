"""Stripe's invoice and charge events (invoices/stripe_events.py), delivered through the real
webhook service with the fake playing Stripe: each event type moves our invoice to what
Stripe's current object says, once, however often it comes; another practice's invoice is
never touched; money that cannot be absorbed is left for staff with an outcome saying so."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from oasys.core.services import practice_create, user_create
from oasys.invoices.actions import invoice_refund
from oasys.invoices.models import (
    AttemptOutcome,
    AttemptTrigger,
    Invoice,
    InvoiceEvent,
    InvoicePayment,
    InvoiceRefund,
    InvoiceStatus,
    PaymentAttempt,
    PaymentMethod,
    RefundStatus,
)
from oasys.invoices.settlement import PaymentIn, payment_apply
from oasys.ledger.models import EntryType, JournalEntry
from oasys.ledger.selectors import invoice_figures_one
from oasys.payments.handlers import HANDLERS
from oasys.payments.models import WebhookEventState
from oasys.payments.port import RetryableError
from oasys.payments.refusals import StripeUnavailable

from .helpers import invoice_opened
from .stripe_events_support import invoice_state, journal_counts, stripe_world

pytestmark = pytest.mark.django_db

S = InvoiceStatus
E = EntryType
W = WebhookEventState


@pytest.fixture
def world(payments, practice, owner):
    return stripe_world(payments, practice, owner)


def _entries(invoice, entry_type):
    return list(JournalEntry.objects.filter(invoice_id=invoice.pk, entry_type=entry_type))


def test_every_invoice_and_charge_event_has_a_handler():
    for type_ in ("invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed",
                  "invoice.finalized", "invoice.voided", "invoice.marked_uncollectible",
                  "invoice.overdue", "charge.refunded", "charge.refund.updated",
                  "refund.created", "refund.updated"):
        assert HANDLERS[type_].__module__ == "oasys.invoices.stripe_events", type_


# --- invoice.paid / invoice.payment_succeeded ---------------------------------------------------
def test_paid_on_the_hosted_page_records_the_payment_and_fee_once(world):
    invoice = world.invoice("120.00", "38.00")
    charge = world.hosted_pay(invoice)
    events = [world.invoice_event("invoice.payment_succeeded", invoice),
              world.invoice_event("invoice.paid", invoice)]
    row = world.deliver(events[0])
    assert row.state == W.PROCESSED
    assert row.outcome == f"payment {charge.id} of 158.00 (fee 4.88) recorded: Paid"

    invoice.refresh_from_db()
    assert invoice.status == S.PAID and invoice.paid_at is not None
    [payment] = invoice.payments.all()
    assert (payment.key, payment.method, payment.amount, payment.fee, payment.stripe_charge_id,
            payment.card_brand, payment.card_last4) == (
        f"stripe:{charge.id}", PaymentMethod.ONLINE, Decimal("158.00"), Decimal("4.88"),
        charge.id, "visa", "4242")
    assert payment.source == f"stripe webhook {events[0].id}"
    [paid] = _entries(invoice, E.CLIENT_PAYMENT)
    [fee] = _entries(invoice, E.PROCESSING_FEE)
    assert paid.lines.get(account="cash").debit == Decimal("158.00")
    assert fee.lines.get(account="processing_fees").debit == Decimal("4.88")
    figures = invoice_figures_one(practice=invoice.practice, invoice=invoice)
    assert (figures.paid, figures.balance) == (Decimal("158.00"), Decimal("0.00"))
    move = invoice.events.get(to_status=S.PAID)
    assert move.source == f"stripe webhook {events[0].id}"

    before = invoice_state(invoice)
    moves = InvoiceEvent.objects.count()
    # the other event, each delivered three times, and each handler run again directly
    for event in events * 3:
        world.deliver(event)
        assert world.handle(event) == f"payment {charge.id} already recorded"
    assert invoice_state(invoice) == before
    assert InvoiceEvent.objects.count() == moves
    assert InvoicePayment.objects.count() == 1


def test_a_charge_of_our_own_card_attempt_is_a_card_payment(world):
    invoice = world.invoice("80.00")
    charge = world.hosted_pay(invoice)  # (the fake's pay call is the same for both)
    PaymentAttempt.objects.create(practice=world.practice, invoice=invoice, number=1,
                                  trigger=AttemptTrigger.SEND, amount=Decimal("80.00"),
                                  outcome=AttemptOutcome.SUCCEEDED, stripe_charge_id=charge.id)
    world.deliver(world.invoice_event("invoice.paid", invoice))
    assert invoice.payments.get().method == PaymentMethod.CARD


def test_a_pending_attempt_with_the_charges_card_is_ours_too(world):
    # the webhook can beat the charging code to writing the charge id on its attempt
    invoice = world.invoice("80.00")
    charge = world.hosted_pay(invoice)
    PaymentAttempt.objects.create(practice=world.practice, invoice=invoice, number=1,
                                  trigger=AttemptTrigger.RETRY, amount=Decimal("80.00"),
                                  payment_method_id=charge.payment_method_id)
    world.deliver(world.invoice_event("invoice.paid", invoice))
    assert invoice.payments.get().method == PaymentMethod.CARD


def test_found_by_its_metadata_when_the_stripe_id_was_never_stored(world):
    # a delivery that created the Stripe invoice and crashed before storing its id
    invoice = world.invoice("60.00", link=False)
    assert invoice.stripe_invoice_id == ""
    world.hosted_pay(invoice)
    world.deliver(world.invoice_event("invoice.paid", invoice))
    invoice.refresh_from_db()
    assert invoice.status == S.PAID
    assert (invoice.stripe_account_id, invoice.stripe_invoice_id) == (
        world.acct, world.remote_ids[invoice.pk])


def test_metadata_naming_another_practices_invoice_touches_nothing(world, payments):
    elsewhere = practice_create(name="Elsewhere Therapy", slug="elsewhere-ev")
    other_owner = user_create(practice=elsewhere, email="o@elsewhere-ev.example",
                              password="pw elsewhere 1")
    other = stripe_world(payments, elsewhere, other_owner)
    theirs = other.invoice("75.00", link=False)
    invoice_state_before = invoice_state(theirs)
    # a Stripe invoice on OUR account whose metadata names their invoice's id and number
    ours = world.invoice("75.00", link=False)
    remote_id = world.remote_ids[ours.pk]
    key = (world.acct, remote_id)
    payments.invoices[key] = replace(payments.invoices[key], metadata={
        "oasys_invoice_id": str(theirs.pk), "oasys_invoice_number": theirs.number})
    world.hosted_pay(ours)
    row = world.deliver(world.invoice_event("invoice.paid", ours))
    assert row.outcome == "not an invoice of this practice: ignored"
    assert invoice_state(theirs) == invoice_state_before
    assert InvoicePayment.objects.count() == 0
    # and their account's events never reach our invoices either
    assert row.practice_id == world.practice.pk


def test_an_invoice_linked_to_another_stripe_invoice_is_not_taken_by_metadata(world):
    invoice = world.invoice("50.00")
    stray = world.fake.invoice_create(
        account_id=world.acct, customer_id=world.customers[invoice.client_id][0],
        lines=[], currency="usd", days_until_due=14,
        metadata={"oasys_invoice_id": str(invoice.pk), "oasys_invoice_number": invoice.number},
        idempotency_key="stray")
    event = world.fake.event_emit("invoice.voided", world.acct,
                                  {"id": stray.id, "object": "invoice"})
    assert world.deliver(event).outcome == "not an invoice of this practice: ignored"
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN


def test_paid_while_still_sending_opens_then_pays(world):
    invoice = world.invoice("90.00", status=S.SENDING)
    assert journal_counts(invoice) == {}
    world.hosted_pay(invoice)
    world.deliver(world.invoice_event("invoice.paid", invoice))
    invoice.refresh_from_db()
    assert invoice.status == S.PAID
    assert [e.to_status for e in invoice.events.order_by("pk")] == [
        S.DRAFT, S.SENDING, S.OPEN, S.PAID]
    assert journal_counts(invoice) == {E.CHARGE: 1, E.CLIENT_PAYMENT: 1, E.PROCESSING_FEE: 1}


def test_an_event_about_an_invoice_stripe_no_longer_has_paid_records_nothing(world):
    invoice = world.invoice("40.00")
    event = world.invoice_event("invoice.paid", invoice)  # sent early: Stripe has it open
    assert world.deliver(event).outcome == "Stripe has it open now: nothing to record"
    gone = world.fake.event_emit("invoice.paid", world.acct,
                                 {"id": "in_missing", "object": "invoice"})
    assert world.deliver(gone).outcome == (
        "not an invoice Stripe has on this account: ignored")
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN and not invoice.payments.exists()


def test_a_charge_on_an_invoice_void_here_is_left_for_staff(world):
    invoice = world.invoice("40.00")
    world.hosted_pay(invoice)
    Invoice.objects.filter(pk=invoice.pk).update(status=S.VOID)  # (as if voided a moment ago)
    row = world.deliver(world.invoice_event("invoice.paid", invoice))
    assert row.state == W.PROCESSED
    assert "not recorded" in row.outcome and row.outcome.endswith("staff must look")
    assert not InvoicePayment.objects.exists()


def test_paid_on_stripe_without_a_charge_after_a_payment_by_hand(world):
    invoice = world.invoice("40.00")
    payment_apply(invoice=invoice, payment=PaymentIn(key="manual:check-1", method="check",
                                                     amount=Decimal("40.00")), ctx=world.ctx)
    world.fake.invoice_pay_out_of_band(account_id=world.acct,
                                       invoice_id=world.remote_ids[invoice.pk],
                                       idempotency_key="oob")
    assert world.deliver(world.invoice_event("invoice.paid", invoice)).outcome == (
        "paid outside Stripe, recorded here")
    assert InvoicePayment.objects.count() == 1


# --- invoice.payment_failed --------------------------------------------------------------------
def test_a_failure_on_the_hosted_page_is_only_noted(world):
    invoice = world.invoice("40.00")
    before = invoice_state(invoice)
    row = world.deliver(world.invoice_event("invoice.payment_failed", invoice))
    assert row.outcome == ("a payment failed on Stripe's hosted page: noted, the invoice "
                           "stays Open")
    assert invoice_state(invoice) == before


def test_a_failure_our_attempt_recorded_adds_nothing(world):
    invoice = world.invoice("40.00")
    PaymentAttempt.objects.create(practice=world.practice, invoice=invoice, number=1,
                                  trigger=AttemptTrigger.SEND, amount=Decimal("40.00"),
                                  outcome=AttemptOutcome.DECLINED, reason="declined")
    before = (invoice_state(invoice), PaymentAttempt.objects.count())
    for _ in range(3):
        row = world.deliver(world.invoice_event("invoice.payment_failed", invoice))
        assert row.outcome == "our card attempt 1 (declined) recorded it: nothing new"
    assert (invoice_state(invoice), PaymentAttempt.objects.count()) == before


# --- invoice.voided / invoice.marked_uncollectible ---------------------------------------------
def test_voided_on_stripe_voids_ours_once(world):
    invoice = world.invoice("70.00")
    world.dashboard_void(invoice)
    event = world.invoice_event("invoice.voided", invoice)
    row = world.deliver(event)
    assert (row.state, row.outcome) == (W.PROCESSED, "Void")
    invoice.refresh_from_db()
    assert invoice.status == S.VOID
    assert invoice.events.get(to_status=S.VOID).source == f"stripe webhook {event.id}"
    assert invoice_figures_one(practice=invoice.practice, invoice=invoice).balance == 0
    before = invoice_state(invoice)
    for _ in range(3):
        world.deliver(event)
        assert world.handle(event) == "already Void"
    assert invoice_state(invoice) == before
    assert journal_counts(invoice) == {E.CHARGE: 1, E.INVOICE_VOID: 1}


def test_voided_on_stripe_with_a_payment_here_keeps_the_money(world):
    invoice = world.invoice("70.00")
    payment_apply(invoice=invoice, payment=PaymentIn(key="manual:cash-1", method="cash",
                                                     amount=Decimal("20.00")), ctx=world.ctx)
    world.dashboard_void(invoice)
    before = invoice_state(invoice)
    row = world.deliver(world.invoice_event("invoice.voided", invoice))
    assert row.outcome == ("voided on Stripe but a payment is recorded here: left as it is: "
                           "staff must look")
    assert invoice_state(invoice) == before


def test_a_void_event_for_an_invoice_stripe_still_has_open_changes_nothing(world):
    invoice = world.invoice("70.00")
    before = invoice_state(invoice)
    assert world.deliver(world.invoice_event("invoice.voided", invoice)).outcome == (
        "Stripe has it open now: not void")
    assert invoice_state(invoice) == before


def test_marked_uncollectible_on_stripe_once(world):
    invoice = world.invoice("70.00")
    world.dashboard_uncollectible(invoice)
    event = world.invoice_event("invoice.marked_uncollectible", invoice)
    assert world.deliver(event).outcome == "Uncollectible"
    invoice.refresh_from_db()
    assert invoice.status == S.UNCOLLECTIBLE
    before = invoice_state(invoice)
    for _ in range(3):
        world.deliver(event)
        assert world.handle(event) == "already Uncollectible"
    assert invoice_state(invoice) == before


def test_uncollectible_on_stripe_leaves_a_paid_invoice_alone(world):
    invoice = world.invoice("70.00")
    world.dashboard_uncollectible(invoice)
    payment_apply(invoice=invoice, payment=PaymentIn(key="manual:cash-2", method="cash",
                                                     amount=Decimal("70.00")), ctx=world.ctx)
    before = invoice_state(invoice)
    assert world.deliver(world.invoice_event("invoice.marked_uncollectible", invoice)
                         ).outcome == "Paid here: left as it is"
    assert invoice_state(invoice) == before


# --- invoice.finalized / invoice.overdue -------------------------------------------------------
def test_finalized_on_stripe_opens_an_invoice_still_sending(world):
    invoice = world.invoice("65.00", status=S.SENDING, link=False)
    event = world.invoice_event("invoice.finalized", invoice)
    assert world.deliver(event).outcome == "delivered on Stripe: Open"
    invoice.refresh_from_db()
    remote = world.remote(invoice)
    assert invoice.status == S.OPEN
    assert (invoice.stripe_account_id, invoice.stripe_invoice_id, invoice.hosted_invoice_url) \
        == (world.acct, remote.id, remote.hosted_invoice_url)
    assert journal_counts(invoice) == {E.CHARGE: 1}
    before = invoice_state(invoice)
    for _ in range(3):
        world.deliver(event)
        assert world.handle(event) == "already Open here"
    assert invoice_state(invoice) == before


def test_finalized_stores_the_hosted_page_of_an_open_invoice_without_one(world):
    invoice = world.invoice("65.00", status=S.SENDING)  # linked, no page stored
    invoice_opened_here = world.invoice("10.00")
    invoice_opened(invoice, world.ctx)
    invoice.refresh_from_db()
    assert invoice.hosted_invoice_url == ""
    assert world.deliver(world.invoice_event("invoice.finalized", invoice)).outcome == (
        "hosted page stored (Open here)")
    invoice.refresh_from_db()
    assert invoice.hosted_invoice_url == world.remote(invoice).hosted_invoice_url
    assert world.handle(world.invoice_event("invoice.finalized", invoice_opened_here)) == (
        "already Open here")


def test_overdue_on_stripe_makes_an_open_invoice_overdue_once(world):
    invoice = world.invoice("65.00")
    event = world.invoice_event("invoice.overdue", invoice)
    assert world.deliver(event).outcome == "Overdue"
    invoice.refresh_from_db()
    assert invoice.status == S.OVERDUE
    moves = invoice.events.count()
    for _ in range(3):
        world.deliver(event)
        assert world.handle(event) == "Overdue here: left as it is"
    assert invoice.events.count() == moves
    paid = world.invoice("30.00")
    world.hosted_pay(paid)
    assert world.deliver(world.invoice_event("invoice.overdue", paid)).outcome == (
        "Stripe has it paid now: not overdue")


# --- refunds ------------------------------------------------------------------------------------
def test_refunds_made_on_stripe_are_recorded_once_and_the_invoice_stays_paid(world):
    invoice = world.invoice("150.00")
    charge = world.hosted_pay(invoice)
    world.deliver(world.invoice_event("invoice.paid", invoice))
    first = world.dashboard_refund(invoice, "50.00")
    events = [world.refund_event("refund.created", first),
              world.charge_event("charge.refunded", charge.id)]
    assert world.deliver(events[0]).outcome == f"refund {first.id} of 50.00 recorded"
    assert world.deliver(events[1]).outcome == f"refunds of {charge.id} already recorded"
    second = world.dashboard_refund(invoice, "100.00")
    events += [world.charge_event("charge.refunded", charge.id),
               world.refund_event("refund.updated", second),
               world.refund_event("charge.refund.updated", second)]
    for event in events * 3:
        world.deliver(event)
        world.handle(event)
    invoice.refresh_from_db()
    assert invoice.status == S.PAID  # a refund never reopens an invoice
    refunds = list(invoice.refunds.order_by("amount"))
    assert [(r.amount, r.status, r.stripe_refund_id) for r in refunds] == [
        (Decimal("50.00"), RefundStatus.SUCCEEDED, first.id),
        (Decimal("100.00"), RefundStatus.SUCCEEDED, second.id)]
    assert journal_counts(invoice)[E.REFUND] == 2
    figures = invoice_figures_one(practice=invoice.practice, invoice=invoice)
    # a refund comes off revenue: a refunded invoice is not owed again
    assert (figures.paid, figures.balance) == (Decimal("0.00"), Decimal("0.00"))


def test_a_refund_event_before_the_payment_is_caught_up_by_invoice_paid(world):
    invoice = world.invoice("150.00")
    charge = world.hosted_pay(invoice)
    refund = world.dashboard_refund(invoice, "150.00")
    assert world.deliver(world.refund_event("refund.created", refund)).outcome == (
        f"no payment of this practice for charge {charge.id}: nothing to record")
    row = world.deliver(world.invoice_event("invoice.paid", invoice))
    assert row.outcome == (f"payment {charge.id} of 150.00 (fee 4.65) recorded: Paid; "
                           f"refund {refund.id} of 150.00 recorded")
    assert InvoiceRefund.objects.get().stripe_refund_id == refund.id


def test_a_refund_of_another_practices_charge_is_not_found(world, payments):
    elsewhere = practice_create(name="Elsewhere Therapy", slug="elsewhere-re")
    other = stripe_world(payments, elsewhere, user_create(
        practice=elsewhere, email="o@elsewhere-re.example", password="pw elsewhere 2"))
    theirs = other.invoice("20.00")
    charge = other.hosted_pay(theirs)
    other.deliver(other.invoice_event("invoice.paid", theirs))
    refund = other.dashboard_refund(theirs, "5.00")
    # the same refund presented on our account (a misrouted or forged event)
    event = payments.event_emit("refund.created", world.acct,
                                {"id": refund.id, "object": "refund", "charge": charge.id})
    assert world.deliver(event).outcome == (
        f"no payment of this practice for charge {charge.id}: nothing to record")
    assert not InvoiceRefund.objects.exists()


def test_a_refund_still_pending_on_stripe_waits_for_its_update(world, payments):
    invoice = world.invoice("30.00")
    world.hosted_pay(invoice)
    world.deliver(world.invoice_event("invoice.paid", invoice))
    refund = world.dashboard_refund(invoice, "30.00")
    key = (world.acct, refund.id)
    payments.refunds[key] = replace(refund, status="pending")
    world.deliver(world.refund_event("refund.created", refund))
    assert not InvoiceRefund.objects.exists()
    payments.refunds[key] = refund  # succeeded now
    world.deliver(world.refund_event("refund.updated", refund))
    assert InvoiceRefund.objects.get().amount == Decimal("30.00")



def test_a_refund_made_from_oasys_is_not_recorded_again_by_its_webhooks(world):
    invoice = world.invoice("80.00")
    charge = world.hosted_pay(invoice)
    world.deliver(world.invoice_event("invoice.paid", invoice))
    invoice.refresh_from_db()
    ours = invoice_refund(invoice=invoice, amount="30.00", reason="overcharged", token="t-1",
                          ctx=world.ctx)
    assert ours.status == RefundStatus.SUCCEEDED and ours.stripe_refund_id
    [made] = world.fake.refund_list(account_id=world.acct, charge_id=charge.id)
    for event in [world.refund_event("refund.created", made),
                  world.charge_event("charge.refunded", charge.id)] * 3:
        world.deliver(event)
    assert list(InvoiceRefund.objects.values_list("pk", flat=True)) == [ours.pk]
    assert journal_counts(invoice)[E.REFUND] == 1


def test_a_refund_of_ours_left_pending_is_completed_by_its_webhook(world, payments):
    # Stripe made the refund but its answer never reached us (a timeout): our row is pending
    invoice = world.invoice("80.00")
    charge = world.hosted_pay(invoice)
    world.deliver(world.invoice_event("invoice.paid", invoice))
    invoice.refresh_from_db()
    payments.fail_next("refund_create", RetryableError("timed out"))
    with pytest.raises(StripeUnavailable):
        invoice_refund(invoice=invoice, amount="30.00", reason="overcharged", token="t-2",
                       ctx=world.ctx)
    pending = InvoiceRefund.objects.get()
    assert (pending.status, pending.stripe_refund_id) == (RefundStatus.PENDING, "")
    made = payments.refund_create(account_id=world.acct, charge_id=charge.id,
                                  amount=Decimal("30.00"), idempotency_key="the-lost-answer")
    world.deliver(world.refund_event("refund.created", made))
    pending.refresh_from_db()
    assert (pending.status, pending.stripe_refund_id) == (RefundStatus.SUCCEEDED, made.id)
    assert InvoiceRefund.objects.count() == 1
    assert journal_counts(invoice)[E.REFUND] == 1
