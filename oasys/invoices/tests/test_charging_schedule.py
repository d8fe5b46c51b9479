"""The retry schedule after a decline, on the fake port: the retry run charges what is due
once, the last scheduled retry that fails makes the invoice Uncollectible, three declines in
a row for a client (across invoices) pause autopay and tell the owners, and a new card saved
after Request Payment Method resumes autopay and charges the open invoices."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from oasys.core.audit import AuditContext
from oasys.core.models import AuditEvent, Role, SentEmail
from oasys.core.services import user_create
from oasys.invoices.actions import invoice_mark_uncollectible
from oasys.invoices.charging import (
    card_charge_refusal,
    invoice_card_charge,
    invoices_card_retries_run,
)
from oasys.invoices.models import (
    AttemptOutcome,
    AttemptTrigger,
    Invoice,
    InvoiceSettings,
    InvoiceStatus,
    PaymentAttempt,
)
from oasys.ledger.models import EntryType, JournalEntry
from oasys.payments.hooks import card_saved_listeners
from oasys.payments.models import ClientPaymentProfile

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


def _outcomes(invoice) -> list[str]:
    return list(PaymentAttempt.objects.filter(invoice=invoice).order_by("number")
                .values_list("outcome", flat=True))


def _run_due(invoice) -> int:
    invoice.refresh_from_db()
    assert invoice.next_charge_at is not None
    return invoices_card_retries_run(now=invoice.next_charge_at)


def test_the_last_scheduled_retry_that_fails_makes_the_invoice_uncollectible(
        client_, account, ctx, payments, practice):
    InvoiceSettings.objects.create(practice=practice, retry_days=[3])
    fake_card_saved(client_, account, ctx, payments, card="chargeCustomerFail")
    invoice = open_invoice_on_stripe(client_, ctx, "80.00")

    invoice_card_charge(invoice=invoice, trigger=T.SEND, ctx=ctx)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.declines) == (InvoiceStatus.OPEN, 1)
    # not yet due: the run charges nothing
    assert invoices_card_retries_run(now=invoice.next_charge_at - dt.timedelta(minutes=1)) == 0

    assert _run_due(invoice) == 1

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.UNCOLLECTIBLE
    assert (invoice.declines, invoice.next_charge_at) == (2, None)
    event = invoice.events.order_by("-pk").first()
    assert (event.to_status, event.source) == (InvoiceStatus.UNCOLLECTIBLE, "retry schedule")
    assert "last scheduled card retry failed" in event.reason
    assert payments.invoices[(account.stripe_account_id, invoice.stripe_invoice_id)].status \
        == "uncollectible"
    assert JournalEntry.objects.filter(invoice_id=invoice.pk,
                                       entry_type=EntryType.WRITE_OFF).count() == 1
    assert _outcomes(invoice) == [O.DECLINED, O.DECLINED]
    # the retry's decline email says no more tries will come
    [email] = SentEmail.objects.filter(kind="payment_declined")
    assert "will not try the card again" in email.text_body
    # nothing further is scheduled
    assert invoices_card_retries_run(now=timezone.now() + dt.timedelta(days=30)) == 0


def test_the_same_retry_run_twice_makes_one_new_attempt(client_, account, ctx, payments):
    fake_card_saved(client_, account, ctx, payments, card="chargeCustomerFail")
    invoice = open_invoice_on_stripe(client_, ctx)
    invoice_card_charge(invoice=invoice, trigger=T.SEND, ctx=ctx)
    invoice.refresh_from_db()
    due = invoice.next_charge_at

    assert invoices_card_retries_run(now=due) == 1
    assert invoices_card_retries_run(now=due) == 0

    assert _outcomes(invoice) == [O.DECLINED, O.DECLINED]
    invoice.refresh_from_db()
    assert invoice.next_charge_at > due  # the next day of the schedule


def test_three_declines_in_a_row_across_invoices_pause_autopay_and_tell_the_owners(
        client_, account, ctx, payments, practice, owner):
    second_owner = user_create(practice=practice, email="owner2@test.example",
                               password="pw owner 2", role=Role.OWNER)
    user_create(practice=practice, email="biller@test.example", password="pw biller 1",
                role=Role.BILLER)
    fake_card_saved(client_, account, ctx, payments, card="chargeCustomerFail")
    invoices = [open_invoice_on_stripe(client_, ctx, amount) for amount in
                ("10.00", "20.00", "30.00")]

    invoice_card_charge(invoice=invoices[0], trigger=T.SEND, ctx=ctx)
    invoice_card_charge(invoice=invoices[1], trigger=T.SEND, ctx=ctx)
    assert ClientPaymentProfile.objects.get().autopay_paused_at is None
    invoice_card_charge(invoice=invoices[2], trigger=T.SEND, ctx=ctx)

    profile = ClientPaymentProfile.objects.get()
    assert profile.autopay_paused_at is not None
    assert AuditEvent.objects.filter(category="payment_method", object_id=str(profile.pk),
                                     detail__autopay_paused=True).count() == 1
    emails = SentEmail.objects.filter(kind="autopay_paused").order_by("to")
    assert [e.to for e in emails] == sorted([owner.email, second_owner.email])
    body = emails[0].text_body
    assert "Maria Lopez" in body and "declined 3 times in a row" in body
    assert "Request Payment Method" in body
    # no autopay on new invoices for this client; the schedules already running finish
    # (their last failed retry makes the invoice Uncollectible)
    for invoice in invoices:
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.OPEN
        assert invoice.next_charge_at is not None
    assert "Autopay is paused" in card_charge_refusal(invoice=invoices[0], trigger=T.SEND)
    assert card_charge_refusal(invoice=invoices[0], trigger=T.RETRY) == ""
    # a fourth decline (staff charge) does not tell the owners again
    invoice_card_charge(invoice=invoices[0], trigger=T.STAFF, ctx=ctx)
    assert SentEmail.objects.filter(kind="autopay_paused").count() == 2


def test_a_success_resets_the_decline_count(client_, account, ctx, payments):
    fake_card_saved(client_, account, ctx, payments, card="chargeCustomerFail")
    a, b, c, d = (open_invoice_on_stripe(client_, ctx, amount) for amount in
                  ("10.00", "20.00", "30.00", "40.00"))
    invoice_card_charge(invoice=a, trigger=T.SEND, ctx=ctx)
    invoice_card_charge(invoice=b, trigger=T.SEND, ctx=ctx)
    # the card works again (the bank lifted its block): same card, charged by staff
    pm = ClientPaymentProfile.objects.get().card_payment_method_id
    payments._card_kind[(account.stripe_account_id, pm)] = "visa"
    assert invoice_card_charge(invoice=c, trigger=T.STAFF, ctx=ctx).outcome == O.SUCCEEDED
    payments._card_kind[(account.stripe_account_id, pm)] = "chargeCustomerFail"
    invoice_card_charge(invoice=d, trigger=T.SEND, ctx=ctx)
    assert ClientPaymentProfile.objects.get().autopay_paused_at is None


def test_authentication_requests_and_stripe_errors_are_not_declines_for_the_pause(
        client_, account, ctx, payments):
    fake_card_saved(client_, account, ctx, payments, card="authenticationRequired")
    for amount in ("10.00", "20.00", "30.00"):
        invoice = open_invoice_on_stripe(client_, ctx, amount)
        assert invoice_card_charge(invoice=invoice, trigger=T.SEND, ctx=ctx).outcome == \
            O.AUTHENTICATION_REQUIRED
    assert ClientPaymentProfile.objects.get().autopay_paused_at is None


def test_a_new_card_resumes_autopay_and_charges_the_open_invoices_when_asked(
        client_, account, ctx, payments, django_capture_on_commit_callbacks):
    assert any(getattr(f, "__name__", "") == "card_saved_charge_open_invoices"
               for f in card_saved_listeners())
    fake_card_saved(client_, account, ctx, payments, card="chargeCustomerFail")
    invoices = [open_invoice_on_stripe(client_, ctx, amount) for amount in
                ("10.00", "20.00", "30.00")]
    for invoice in invoices:
        invoice_card_charge(invoice=invoice, trigger=T.SEND, ctx=ctx)
    assert ClientPaymentProfile.objects.get().autopay_paused_at is not None
    paid_by_hand = invoices[2]
    Invoice.objects.filter(pk=paid_by_hand.pk).update(stripe_invoice_id="")  # not on Stripe

    with django_capture_on_commit_callbacks(execute=True):
        profile, _ = fake_card_saved(client_, account, ctx, payments, card="visa",
                                     charge_open_invoices=True)

    assert profile.autopay_paused_at is None
    statuses = [Invoice.objects.get(pk=i.pk).status for i in invoices]
    assert statuses == [InvoiceStatus.PAID, InvoiceStatus.PAID, InvoiceStatus.OPEN]
    triggers = PaymentAttempt.objects.filter(outcome=O.SUCCEEDED).values_list("trigger",
                                                                              flat=True)
    assert sorted(triggers) == [T.CARD_SAVED, T.CARD_SAVED]


def test_a_new_card_without_the_tick_charges_nothing(
        client_, account, ctx, payments, django_capture_on_commit_callbacks):
    invoice = open_invoice_on_stripe(client_, ctx)
    with django_capture_on_commit_callbacks(execute=True):
        fake_card_saved(client_, account, ctx, payments, card="visa")
    assert not PaymentAttempt.objects.exists()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN


def test_the_retry_run_leaves_other_practices_alone_and_each_uses_its_own_schedule(
        client_, account, ctx, payments, practice, other_practice):
    """Each invoice is charged with its own practice's card, account and retry days."""
    InvoiceSettings.objects.create(practice=other_practice, retry_days=[1])
    other_account = fake_account(other_practice, payments)
    other_ctx = AuditContext.system(practice_id=other_practice.pk, source="tests")
    other_client = cash_client(other_practice, first="Ruth", email="ruth@example.com")
    fake_card_saved(client_, account, ctx, payments, card="chargeCustomerFail")
    fake_card_saved(other_client, other_account, other_ctx, payments, card="chargeCustomerFail")
    mine = open_invoice_on_stripe(client_, ctx)
    theirs = open_invoice_on_stripe(other_client, other_ctx)
    invoice_card_charge(invoice=mine, trigger=T.SEND, ctx=ctx)
    invoice_card_charge(invoice=theirs, trigger=T.SEND, ctx=other_ctx)
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert theirs.next_charge_at < mine.next_charge_at  # 1 day against 3

    assert invoices_card_retries_run(now=theirs.next_charge_at) == 1
    assert _outcomes(mine) == [O.DECLINED]
    assert _outcomes(theirs) == [O.DECLINED, O.DECLINED]
    theirs.refresh_from_db()
    assert theirs.status == InvoiceStatus.UNCOLLECTIBLE
    assert {a.practice_id for a in PaymentAttempt.objects.filter(invoice=theirs)} == \
        {other_practice.pk}


def test_only_the_schedules_own_last_try_makes_the_invoice_uncollectible(
        client_, account, ctx, payments, practice):
    """Staff charging a declining card past the schedule leave the invoice Open, without a
    next try; an Uncollectible invoice charged by staff gets no schedule either."""
    InvoiceSettings.objects.create(practice=practice, retry_days=[3])
    fake_card_saved(client_, account, ctx, payments, card="chargeCustomerFail")
    invoice = open_invoice_on_stripe(client_, ctx)
    invoice_card_charge(invoice=invoice, trigger=T.STAFF, ctx=ctx)
    invoice_card_charge(invoice=invoice, trigger=T.STAFF, ctx=ctx)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.declines, invoice.next_charge_at) == \
        (InvoiceStatus.OPEN, 2, None)

    other = open_invoice_on_stripe(client_, ctx)
    other = invoice_mark_uncollectible(invoice=other, ctx=ctx, reason="client moved away")
    assert invoice_card_charge(invoice=other, trigger=T.STAFF, ctx=ctx).outcome == O.DECLINED
    other.refresh_from_db()
    assert (other.status, other.next_charge_at) == (InvoiceStatus.UNCOLLECTIBLE, None)
