"""The actions on an invoice (actions.py) with the fake playing Stripe: void, mark
uncollectible, a payment recorded by hand, refunds, a card requested. Each refusal changes
nothing; each success agrees with the journal (the invoice's figures and the client's
balance); a double click with the same token makes one row and one Stripe call."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import TestCase
from django.utils import timezone

from oasys.core.audit import AuditContext
from oasys.core.errors import Conflict, InvalidInput, NotFound
from oasys.core.models import AuditEvent
from oasys.core.timezones import practice_today
from oasys.invoices.actions import (
    REFUND_FIRST,
    invoice_mark_uncollectible,
    invoice_record_payment,
    invoice_refund,
    invoice_request_payment_method,
    invoice_void,
    invoices_stripe_retries_run,
    refund_from_stripe_record,
)
from oasys.invoices.machine import INVOICE_MACHINE
from oasys.invoices.models import (
    Invoice,
    InvoiceEvent,
    InvoicePayment,
    InvoiceRefund,
    InvoiceStatus,
    PaymentMethod,
    RefundStatus,
)
from oasys.ledger.models import EntryType, JournalEntry, JournalLine
from oasys.ledger.selectors import client_balance, invoice_figures_one
from oasys.payments.connection import payments_port
from oasys.payments.models import CardRequest, StripeRequest
from oasys.payments.port import FinalError, RetryableError
from oasys.payments.refusals import StripeRefused, StripeUnavailable

from .actions_support import (
    card_paid,
    ctx_of,
    customer_of,
    draft,
    open_invoice,
    open_on_stripe,
    stripe_account,
)

pytestmark = pytest.mark.django_db

S = InvoiceStatus
D = Decimal


@pytest.fixture
def ctx(owner):
    return ctx_of(owner)


@pytest.fixture
def account(practice, payments):
    return stripe_account(practice, lambda acct_id: payments.account_state_set(acct_id,
                                                                               "active"))


@pytest.fixture
def on_stripe(practice, account, payments):
    """An Open $150.00 invoice with its copy on Stripe, and a saved Visa for its client."""
    invoice = draft(practice)
    customer = customer_of(invoice, account)
    invoice = open_on_stripe(invoice, account, customer)
    session = payments_port().setup_session_create(
        account_id=account.stripe_account_id, customer_id=customer,
        success_url="https://oasys.test/ok", cancel_url="https://oasys.test/no",
        metadata={}, idempotency_key=f"test-setup-{invoice.pk}")
    card = payments.setup_session_complete(account.stripe_account_id, session.id)
    invoice.card_id = card.id
    return invoice


@pytest.fixture
def card_payment(on_stripe, account):
    payment = card_paid(on_stripe, account, on_stripe.card_id)
    assert on_stripe.status == S.PAID
    return payment


def _state():
    return (list(Invoice.objects.values_list("pk", "status")), InvoiceEvent.objects.count(),
            JournalEntry.objects.count(), JournalLine.objects.count(),
            InvoicePayment.objects.count(),
            list(InvoiceRefund.objects.values_list("pk", "status")))


def _figures(invoice):
    return invoice_figures_one(practice=invoice.practice, invoice=invoice)


def _calls(payments, method):
    return [kw for name, kw in payments.calls if name == method]


def _agrees(invoice):
    """The invoice's balance and the client's balance are the journal's, and agree."""
    invoice.refresh_from_db()
    figures = _figures(invoice)
    lines = JournalLine.objects.filter(invoice_id=invoice.pk, account="ar_client")
    net = sum((ln.debit - ln.credit for ln in lines), D("0"))
    assert figures.balance == net
    assert client_balance(practice=invoice.practice, client_id=invoice.client_id) == net
    return figures


def _pay(invoice, ctx, amount="150.00", token="t1", method=PaymentMethod.CASH, **kw):
    return invoice_record_payment(invoice=invoice, amount=amount, method=method,
                                  received_on=kw.pop("received_on", None), token=token,
                                  ctx=ctx, **kw)


# --- void ---
def test_void_an_open_invoice_reverses_its_charge(practice, ctx, owner):
    invoice = open_invoice(practice)
    assert _agrees(invoice).balance == D("150.00")
    voided = invoice_void(invoice=invoice, ctx=ctx, actor=owner, reason="entered twice")
    assert voided.status == S.VOID
    event = voided.events.order_by("pk").last()
    assert (event.from_status, event.to_status, event.actor_id, event.source, event.reason) \
        == (S.OPEN, S.VOID, owner.pk, "staff", "entered twice")
    assert JournalEntry.objects.filter(invoice_id=invoice.pk,
                                       entry_type=EntryType.INVOICE_VOID).count() == 1
    assert _agrees(voided).balance == D("0.00")


def test_void_a_draft_posts_nothing(practice, ctx):
    invoice = draft(practice)
    before = JournalEntry.objects.count()
    assert invoice_void(invoice=invoice, ctx=ctx).status == S.VOID
    assert JournalEntry.objects.count() == before


@pytest.mark.parametrize(("status", "words"), [
    (S.PAID, "A Paid invoice cannot be voided."),
    (S.VOID, "A Void invoice cannot be voided."),
    (S.SENDING, "A Sending invoice cannot be voided."),
])
def test_void_is_refused_in_other_statuses(practice, ctx, status, words):
    invoice = open_invoice(practice) if status == S.PAID else draft(practice)
    if status == S.PAID:
        _pay(invoice, ctx)
    elif status == S.VOID:
        invoice_void(invoice=invoice, ctx=ctx)
    else:
        INVOICE_MACHINE.transition(obj=invoice, to=S.SENDING, ctx=ctx, source="tests")
    before = _state()
    with pytest.raises(Conflict) as refused:
        invoice_void(invoice=invoice, ctx=ctx)
    assert refused.value.message == words
    assert _state() == before


def test_void_is_refused_once_something_was_paid(practice, ctx):
    invoice = open_invoice(practice)
    _pay(invoice, ctx, amount="40.00")
    before = _state()
    with pytest.raises(Conflict) as refused:
        invoice_void(invoice=invoice, ctx=ctx)
    assert "refund the payment first" in refused.value.message
    assert refused.value.message == REFUND_FIRST
    assert _state() == before


def test_void_on_stripe_voids_the_copy_with_its_key(on_stripe, ctx, payments, account):
    voided = invoice_void(invoice=on_stripe, ctx=ctx)
    assert voided.status == S.VOID
    [call] = _calls(payments, "invoice_void")
    assert call["idempotency_key"] == f"oasys-invoice-{on_stripe.pk}-void"
    assert payments.invoice_get(account_id=account.stripe_account_id,
                                invoice_id=on_stripe.stripe_invoice_id).status == "void"
    assert _agrees(voided).balance == D("0.00")


@pytest.mark.parametrize(("error", "refusal"), [
    (RetryableError("Connection reset", status=503), StripeUnavailable),
    (FinalError("This invoice is paid.", status=400), StripeRefused),
])
def test_a_stripe_failure_leaves_the_void_undone(on_stripe, ctx, payments, error, refusal):
    payments.fail_next("invoice_void", error)
    before = _state()
    with pytest.raises(refusal) as refused:
        invoice_void(invoice=on_stripe, ctx=ctx)
    assert refused.value.status_code == 409
    assert _state() == before
    assert not AuditEvent.objects.filter(object_type="Invoice", object_id=str(on_stripe.pk),
                                         detail__to=S.VOID).exists()
    # Stripe back: the same click voids it.
    assert invoice_void(invoice=on_stripe, ctx=ctx).status == S.VOID


def test_void_when_stripe_already_voided_it(on_stripe, ctx, payments, account):
    # Voided on Stripe by an earlier try whose transaction here failed (another key).
    payments.invoice_void(account_id=account.stripe_account_id,
                          invoice_id=on_stripe.stripe_invoice_id, idempotency_key="earlier")
    assert invoice_void(invoice=on_stripe, ctx=ctx).status == S.VOID


def test_void_from_stripe_does_not_call_stripe_and_repeats_quietly(on_stripe, ctx, payments):
    calls = len(payments.calls)
    assert invoice_void(invoice=on_stripe, ctx=ctx, from_stripe=True,
                        source="stripe webhook evt_1").status == S.VOID
    assert invoice_void(invoice=on_stripe, ctx=ctx, from_stripe=True).status == S.VOID
    assert len(payments.calls) == calls
    assert on_stripe.events.filter(to_status=S.VOID).count() == 1


# --- mark uncollectible ---
def test_mark_uncollectible_writes_off_what_is_owed(practice, ctx, owner):
    invoice = open_invoice(practice)
    _pay(invoice, ctx, amount="50.00")
    marked = invoice_mark_uncollectible(invoice=invoice, ctx=ctx, actor=owner,
                                        reason="client moved away")
    assert marked.status == S.UNCOLLECTIBLE
    [entry] = JournalEntry.objects.filter(invoice_id=invoice.pk,
                                          entry_type=EntryType.WRITE_OFF)
    assert sum(ln.debit for ln in entry.lines.all()) == D("100.00")
    assert _agrees(marked).balance == D("0.00")


def test_the_retry_schedule_may_mark_uncollectible(on_stripe, payments):
    ctx = AuditContext.system(practice_id=on_stripe.practice_id, source="retry schedule")
    marked = invoice_mark_uncollectible(invoice=on_stripe, ctx=ctx, source="retry schedule")
    assert marked.status == S.UNCOLLECTIBLE
    event = marked.events.order_by("pk").last()
    assert (event.source, event.reason) == ("retry schedule",
                                            "the last scheduled card retry failed")
    [call] = _calls(payments, "invoice_mark_uncollectible")
    assert call["idempotency_key"] == f"oasys-invoice-{on_stripe.pk}-uncollectible"


def test_mark_uncollectible_stripe_down_changes_nothing(on_stripe, ctx, payments):
    payments.fail_next("invoice_mark_uncollectible", RetryableError("timeout"))
    before = _state()
    with pytest.raises(StripeUnavailable):
        invoice_mark_uncollectible(invoice=on_stripe, ctx=ctx)
    assert _state() == before


@pytest.mark.parametrize("status", [S.DRAFT, S.PAID, S.VOID])
def test_mark_uncollectible_is_refused_elsewhere(practice, ctx, status):
    invoice = draft(practice) if status != S.PAID else open_invoice(practice)
    if status == S.PAID:
        _pay(invoice, ctx)
    if status == S.VOID:
        invoice_void(invoice=invoice, ctx=ctx)
    before = _state()
    with pytest.raises(Conflict) as refused:
        invoice_mark_uncollectible(invoice=invoice, ctx=ctx)
    assert "cannot be marked uncollectible" in refused.value.message
    assert _state() == before


def test_a_payment_after_uncollectible_reverses_the_write_off(practice, ctx):
    invoice = open_invoice(practice)
    invoice_mark_uncollectible(invoice=invoice, ctx=ctx)
    with pytest.raises(InvalidInput, match=r"Only \$150.00 is owed"):
        _pay(invoice, ctx, amount="150.01")
    _pay(invoice, ctx, amount="150.00")
    invoice.refresh_from_db()
    assert invoice.status == S.PAID
    figures = _agrees(invoice)
    assert (figures.paid, figures.balance) == (D("150.00"), D("0.00"))


def test_part_payments_on_an_uncollectible_invoice_never_overpay_it(practice, ctx):
    invoice = open_invoice(practice)
    invoice_mark_uncollectible(invoice=invoice, ctx=ctx)
    _pay(invoice, ctx, amount="50.00", token="a")
    invoice.refresh_from_db()
    assert invoice.status == S.UNCOLLECTIBLE  # the rest stays written off
    with pytest.raises(InvalidInput, match=r"Only \$100.00 is owed"):
        _pay(invoice, ctx, amount="100.01", token="b")
    _pay(invoice, ctx, amount="100.00", token="c")
    invoice.refresh_from_db()
    assert invoice.status == S.PAID
    figures = _agrees(invoice)
    assert (figures.paid, figures.balance) == (D("150.00"), D("0.00"))


def test_void_an_uncollectible_invoice_posts_nothing_more(practice, ctx):
    invoice = open_invoice(practice)
    invoice_mark_uncollectible(invoice=invoice, ctx=ctx)
    entries = JournalEntry.objects.count()
    assert invoice_void(invoice=invoice, ctx=ctx).status == S.VOID
    assert JournalEntry.objects.count() == entries
    assert _agrees(invoice).balance == D("0.00")


# --- a payment recorded by hand ---
def test_a_partial_then_full_cash_payment(practice, ctx, owner):
    invoice = open_invoice(practice)
    first = _pay(invoice, ctx, amount="$50", token="a", reference="", note="at the desk",
                 actor=owner)
    invoice.refresh_from_db()
    assert (invoice.status, first.amount, first.method, first.key) == \
        (S.OPEN, D("50.00"), "cash", f"manual:{invoice.pk}:a")
    assert _agrees(invoice).balance == D("100.00")
    second = _pay(invoice, ctx, amount="100.00", token="b", method=PaymentMethod.CHECK,
                  reference="1042", received_on=practice_today(practice))
    invoice.refresh_from_db()
    assert (invoice.status, second.reference) == (S.PAID, "1042")
    figures = _agrees(invoice)
    assert (figures.paid, figures.balance) == (D("150.00"), D("0.00"))


def test_the_same_token_twice_records_once(practice, ctx):
    invoice = open_invoice(practice)
    one = _pay(invoice, ctx, amount="150.00", token="same")
    two = _pay(invoice, ctx, amount="150.00", token="same")  # now Paid: still the same row
    assert one.pk == two.pk
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 1
    assert _figures(invoice).paid == D("150.00")


@pytest.mark.parametrize(("amount", "words"), [
    ("0", "more than $0"),
    ("-5", "negative"),
    ("ten dollars", "Enter an amount in dollars"),
    ("10.005", "at most 2 decimal places"),
    ("", "Enter an amount"),
    ("150.01", "Only $150.00 is owed on this invoice: $150.01 would overpay it."),
])
def test_bad_amounts_are_refused_with_a_clear_message(practice, ctx, amount, words):
    invoice = open_invoice(practice)
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        _pay(invoice, ctx, amount=amount)
    assert words in refused.value.errors["amount"]
    assert _state() == before


def test_a_future_date_and_a_card_method_are_refused(practice, ctx):
    invoice = open_invoice(practice)
    before = _state()
    tomorrow = practice_today(practice) + dt.timedelta(days=1)
    with pytest.raises(InvalidInput) as refused:
        _pay(invoice, ctx, received_on=tomorrow)
    assert refused.value.errors["received_on"] == "The date received cannot be in the future."
    with pytest.raises(InvalidInput) as refused:
        _pay(invoice, ctx, method=PaymentMethod.CARD)
    assert "method" in refused.value.errors
    with pytest.raises(InvalidInput):
        _pay(invoice, ctx, token="")
    assert _state() == before


@pytest.mark.parametrize("status", [S.DRAFT, S.PAID, S.VOID])
def test_record_payment_is_refused_in_other_statuses(practice, ctx, status):
    invoice = draft(practice) if status != S.PAID else open_invoice(practice)
    if status == S.PAID:
        _pay(invoice, ctx, token="first")
    if status == S.VOID:
        invoice_void(invoice=invoice, ctx=ctx)
    before = _state()
    with pytest.raises(Conflict, match="invoice takes no payment"):
        _pay(invoice, ctx, amount="1.00", token="another")
    assert _state() == before


def test_paid_by_hand_in_full_tells_stripe_out_of_band(on_stripe, ctx, payments, account):
    with TestCase.captureOnCommitCallbacks(execute=True):
        _pay(on_stripe, ctx, amount="150.00")
    [call] = _calls(payments, "invoice_pay_out_of_band")
    assert call["idempotency_key"] == f"oasys-invoice-{on_stripe.pk}-paid-out-of-band"
    assert payments.invoice_get(account_id=account.stripe_account_id,
                                invoice_id=on_stripe.stripe_invoice_id).status == "paid"
    assert StripeRequest.objects.get(key=call["idempotency_key"]).completed_at is not None


def test_a_partial_payment_does_not_tell_stripe(on_stripe, ctx, payments):
    with TestCase.captureOnCommitCallbacks(execute=True):
        _pay(on_stripe, ctx, amount="20.00")
    assert _calls(payments, "invoice_pay_out_of_band") == []


def test_stripe_down_keeps_the_payment_and_the_marking_is_retried(on_stripe, ctx, payments):
    payments.fail_next("invoice_pay_out_of_band", RetryableError("Stripe is down"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        payment = _pay(on_stripe, ctx, amount="150.00")
    on_stripe.refresh_from_db()
    assert on_stripe.status == S.PAID and payment.pk
    key = f"oasys-invoice-{on_stripe.pk}-paid-out-of-band"
    assert StripeRequest.objects.get(key=key).completed_at is None
    # Too soon: the retry leaves it for the request that may still be running.
    assert invoices_stripe_retries_run() == 0
    later = timezone.now() + dt.timedelta(minutes=5)
    assert invoices_stripe_retries_run(now=later) == 1
    assert StripeRequest.objects.get(key=key).completed_at is not None
    assert len(_calls(payments, "invoice_pay_out_of_band")) == 2
    assert invoices_stripe_retries_run(now=later) == 0


# --- refunds ---
def test_refund_a_card_payment_in_part_then_the_rest(card_payment, on_stripe, ctx, payments,
                                                    account):
    first = invoice_refund(invoice=on_stripe, amount="50.00", reason="overcharged",
                           token="r1", ctx=ctx)
    assert (first.status, first.amount, first.payment_id, first.key) == \
        (RefundStatus.SUCCEEDED, D("50.00"), card_payment.pk, f"refund:{on_stripe.pk}:r1")
    assert first.stripe_refund_id
    [call] = _calls(payments, "refund_create")
    assert call == {"account_id": account.stripe_account_id,
                    "charge_id": card_payment.stripe_charge_id, "amount": D("50.00"),
                    "idempotency_key": f"oasys-refund-{first.pk}"}
    [entry] = JournalEntry.objects.filter(invoice_id=on_stripe.pk, entry_type=EntryType.REFUND)
    assert entry.source_key == f"invoice:{on_stripe.pk}:refund:refund:{on_stripe.pk}:r1"
    on_stripe.refresh_from_db()
    assert on_stripe.status == S.PAID  # a refund never reopens it
    figures = _agrees(on_stripe)
    # the refunded money comes off revenue: a refunded invoice is not owed again
    assert (figures.paid, figures.balance) == (D("100.00"), D("0.00"))

    with pytest.raises(InvalidInput) as refused:
        invoice_refund(invoice=on_stripe, amount="100.01", reason="", token="r2", ctx=ctx)
    assert refused.value.errors["amount"] == \
        "At most $100.00 can be refunded on this invoice."
    invoice_refund(invoice=on_stripe, amount="100.00", reason="", token="r3", ctx=ctx)
    assert _figures(on_stripe).paid == D("0.00")
    charge = payments.charge_get(account_id=account.stripe_account_id,
                                 charge_id=card_payment.stripe_charge_id)
    assert charge.amount_refunded == D("150.00")


def test_a_double_click_refunds_once(card_payment, on_stripe, ctx, payments):
    one = invoice_refund(invoice=on_stripe, amount="150.00", reason="", token="same", ctx=ctx)
    two = invoice_refund(invoice=on_stripe, amount="150.00", reason="", token="same", ctx=ctx)
    assert one.pk == two.pk
    assert InvoiceRefund.objects.count() == 1
    assert len(_calls(payments, "refund_create")) == 1
    assert len(payments.refunds) == 1
    assert JournalEntry.objects.filter(entry_type=EntryType.REFUND).count() == 1


def test_stripe_refusing_a_refund_fails_it_and_posts_nothing(card_payment, on_stripe, ctx,
                                                             payments):
    payments.fail_next("refund_create", FinalError("Charge has been disputed.", status=400))
    entries = JournalEntry.objects.count()
    with pytest.raises(StripeRefused, match="Charge has been disputed"):
        invoice_refund(invoice=on_stripe, amount="20.00", reason="", token="r", ctx=ctx)
    refund = InvoiceRefund.objects.get()
    assert (refund.status, refund.error) == (RefundStatus.FAILED, "Charge has been disputed.")
    assert JournalEntry.objects.count() == entries
    # The same click again repeats the reason; a failed refund does not hold money back.
    with pytest.raises(Conflict, match="refused by Stripe"):
        invoice_refund(invoice=on_stripe, amount="20.00", reason="", token="r", ctx=ctx)
    assert len(_calls(payments, "refund_create")) == 1
    invoice_refund(invoice=on_stripe, amount="150.00", reason="", token="r2", ctx=ctx)
    assert _figures(on_stripe).paid == D("0.00")


def test_stripe_down_leaves_the_refund_pending_and_one_refund_is_made(card_payment, on_stripe,
                                                                      ctx, payments):
    payments.fail_next("refund_create", RetryableError("Connection reset"))
    entries = JournalEntry.objects.count()
    with pytest.raises(StripeUnavailable):
        invoice_refund(invoice=on_stripe, amount="150.00", reason="", token="r", ctx=ctx)
    refund = InvoiceRefund.objects.get()
    assert refund.status == RefundStatus.PENDING
    assert JournalEntry.objects.count() == entries
    on_stripe.refresh_from_db()
    assert on_stripe.status == S.PAID and _figures(on_stripe).paid == D("150.00")
    # Pending money cannot be refunded a second time under another token.
    with pytest.raises(InvalidInput, match=r"At most \$0.00"):
        invoice_refund(invoice=on_stripe, amount="1.00", reason="", token="other", ctx=ctx)
    # The periodic retry finishes it under the same key.
    assert invoices_stripe_retries_run(now=timezone.now() + dt.timedelta(minutes=5)) == 1
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    keys = {c["idempotency_key"] for c in _calls(payments, "refund_create")}
    assert keys == {f"oasys-refund-{refund.pk}"}
    assert len(payments.refunds) == 1
    assert _agrees(on_stripe).paid == D("0.00")


def test_refund_a_cash_payment_is_recorded_by_hand(practice, ctx, payments):
    invoice = open_invoice(practice)
    payment = _pay(invoice, ctx, amount="150.00")
    refund = invoice_refund(invoice=invoice, amount="30", reason="sliding scale",
                            token="r", ctx=ctx, payment_id=payment.pk)
    assert (refund.status, refund.stripe_refund_id) == (RefundStatus.SUCCEEDED, "")
    assert _calls(payments, "refund_create") == []
    figures = _agrees(invoice)
    assert (figures.paid, figures.balance) == (D("120.00"), D("0.00"))


def test_the_latest_card_payment_is_refunded_first(on_stripe, account, ctx):
    _pay(on_stripe, ctx, amount="50.00", token="cash")
    # Stripe's copy still asks $150 (the cash is ours), so the card pays $150: a $50 credit.
    card = card_paid(on_stripe, account, on_stripe.card_id)
    assert _agrees(on_stripe).balance == D("-50.00")
    refund = invoice_refund(invoice=on_stripe, amount="60.00", reason="", token="r", ctx=ctx)
    assert refund.payment_id == card.pk
    with pytest.raises(InvalidInput, match=r"At most \$90.00 can be refunded on this payment"):
        invoice_refund(invoice=on_stripe, amount="100.00", reason="", token="r2", ctx=ctx,
                       payment_id=card.pk)


@pytest.mark.parametrize("status", [S.DRAFT, S.OPEN, S.VOID])
def test_refund_is_only_for_a_paid_invoice(practice, ctx, status):
    invoice = open_invoice(practice) if status == S.OPEN else draft(practice)
    if status == S.OPEN:
        _pay(invoice, ctx, amount="10.00")
    if status == S.VOID:
        invoice_void(invoice=invoice, ctx=ctx)
    before = _state()
    with pytest.raises(Conflict, match="Only a paid invoice is refunded."):
        invoice_refund(invoice=invoice, amount="10.00", reason="", token="r", ctx=ctx)
    assert _state() == before


@pytest.mark.parametrize("amount", ["0", "-1", "abc", "1.001"])
def test_refund_bad_amounts(practice, ctx, amount):
    invoice = open_invoice(practice)
    _pay(invoice, ctx)
    before = _state()
    with pytest.raises(InvalidInput) as refused:
        invoice_refund(invoice=invoice, amount=amount, reason="", token="r", ctx=ctx)
    assert refused.value.errors["amount"]
    assert _state() == before


# --- refunds Stripe reports ---
def test_a_dashboard_refund_is_recorded_once(card_payment, on_stripe, ctx, payments, account):
    made = payments.refund_create(account_id=account.stripe_account_id,
                                  charge_id=card_payment.stripe_charge_id,
                                  amount=D("25.00"), idempotency_key="dashboard")
    args = dict(invoice=on_stripe, stripe_refund_id=made.id,
                charge_id=card_payment.stripe_charge_id, amount=D("25.00"), ctx=ctx,
                source="stripe webhook evt_9")
    one = refund_from_stripe_record(**args)
    two = refund_from_stripe_record(**args)
    assert one.pk == two.pk
    assert (one.status, one.source, one.payment_id) == (RefundStatus.SUCCEEDED,
                                                        "stripe webhook evt_9", card_payment.pk)
    assert JournalEntry.objects.filter(entry_type=EntryType.REFUND).count() == 1
    assert _agrees(on_stripe).paid == D("125.00")


def test_our_pending_refund_completes_when_stripe_reports_it(card_payment, on_stripe, ctx,
                                                             payments, account):
    payments.fail_next("refund_create", RetryableError("timeout after Stripe refunded"))
    with pytest.raises(StripeUnavailable):
        invoice_refund(invoice=on_stripe, amount="150.00", reason="", token="r", ctx=ctx)
    pending = InvoiceRefund.objects.get()
    # Stripe made it after all (in the real world; here the webhook reports it).
    made = payments.refund_create(account_id=account.stripe_account_id,
                                  charge_id=card_payment.stripe_charge_id,
                                  amount=D("150.00"),
                                  idempotency_key=f"oasys-refund-{pending.pk}")
    row = refund_from_stripe_record(invoice=on_stripe, stripe_refund_id=made.id,
                                    charge_id=card_payment.stripe_charge_id,
                                    amount=D("150.00"), ctx=ctx, source="webhook")
    assert row.pk == pending.pk
    assert (row.status, row.stripe_refund_id) == (RefundStatus.SUCCEEDED, made.id)
    # Our own retry then finds it done: no second refund, one journal entry.
    assert invoice_refund(invoice=on_stripe, amount="150.00", reason="", token="r",
                          ctx=ctx).pk == pending.pk
    assert len(payments.refunds) == 1
    assert JournalEntry.objects.filter(entry_type=EntryType.REFUND).count() == 1
    assert _agrees(on_stripe).paid == D("0.00")


def test_a_refund_of_a_charge_this_invoice_never_took_is_not_recorded(card_payment,
                                                                      on_stripe, ctx):
    with pytest.raises(NotFound):
        refund_from_stripe_record(invoice=on_stripe, stripe_refund_id="re_other",
                                  charge_id="ch_someone_else", amount=D("5.00"), ctx=ctx,
                                  source="webhook")
    assert not InvoiceRefund.objects.exists()


def test_a_refund_refused_later_by_the_retry_is_failed(card_payment, on_stripe, ctx,
                                                       payments):
    payments.fail_next("refund_create", RetryableError("timeout"))
    with pytest.raises(StripeUnavailable):
        invoice_refund(invoice=on_stripe, amount="10.00", reason="", token="r", ctx=ctx)
    payments.fail_next("refund_create", FinalError("Charge has been disputed.", status=400))
    assert invoices_stripe_retries_run(now=timezone.now() + dt.timedelta(minutes=5)) == 0
    assert InvoiceRefund.objects.get().status == RefundStatus.FAILED
    assert not JournalEntry.objects.filter(entry_type=EntryType.REFUND).exists()


# --- a card for the client ---
def test_request_payment_method_emails_a_card_link(on_stripe, ctx, owner):
    req = invoice_request_payment_method(invoice=on_stripe, ctx=ctx, actor=owner,
                                         charge_open_invoices=True)
    assert isinstance(req, CardRequest)
    assert (req.client_id, req.emailed_to, req.charge_open_invoices) == \
        (on_stripe.client_id, on_stripe.client.email, True)


def test_request_payment_method_is_refused_for_a_paid_invoice(card_payment, on_stripe, ctx):
    with pytest.raises(Conflict, match="Only an unpaid invoice needs a payment method."):
        invoice_request_payment_method(invoice=on_stripe, ctx=ctx)
    assert not CardRequest.objects.exists()
