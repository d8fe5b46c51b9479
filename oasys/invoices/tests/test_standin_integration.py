"""Invoices end to end against the Stripe stand-in and the mail sink, both real processes
(conftest.py): the product's Stripe adapter on the official SDK talks to the stand-in, the
product's email goes over SMTP to the sink, and the tests read both back from outside (the
SDK, the sink's JSON API), never from the product's own rows alone.

Every transition and every action: send (Draft -> Sending -> Open, the email with the hosted
link and the PDF, no diagnosis codes), a card on file (-> Paid), a decline (Open with the
reason, emailed), the retry schedule (-> Uncollectible), authentication needed, void (Draft
and Open), resend, request a payment method, record a payment, refund in full and in part,
mark uncollectible, overdue, Stripe down while sending; and with the stand-in delivering
signed webhooks to the live server: the client paying on the hosted page (-> Paid by the
webhook alone), and the same webhooks replayed three times and out of order ending in the
same state.

The tests commit (transaction=True): what the services queue on commit (delivery, the
charge, emails, webhook processing) runs as it does in production, with Celery eager."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from oasys.core.models import SentEmail
from oasys.invoices.actions import (
    invoice_mark_uncollectible,
    invoice_record_payment,
    invoice_refund,
    invoice_request_payment_method,
    invoice_void,
    invoices_overdue_mark,
)
from oasys.invoices.charging import invoices_card_retries_run
from oasys.invoices.models import (
    AttemptOutcome,
    Invoice,
    InvoicePayment,
    InvoiceRefund,
    InvoiceStatus,
    PaymentAttempt,
    RefundStatus,
)
from oasys.invoices.sending import invoice_resend, invoice_send, invoices_sending_sweep
from oasys.ledger.models import EntryType, JournalEntry
from oasys.ledger.selectors import client_balance, invoice_figures_one
from oasys.payments.cards import card_request_open, card_saved_record
from oasys.payments.models import CardRequest, StripeWebhookEvent

from .integration import (
    CARD_NEEDS_AUTHENTICATION,
    CARD_OK,
    CARD_SAVES_THEN_DECLINES,
    DIAGNOSIS,
    dollars,
    fill_card_form,
)

pytestmark = pytest.mark.django_db(transaction=True)

S = InvoiceStatus


def _statuses(invoice: Invoice) -> list[str]:
    """The invoice's status history, oldest first (the event rows the machine wrote)."""
    return [e.to_status for e in invoice.events.order_by("created_at", "pk")]


def _mail_about(world, invoice: Invoice) -> list[dict]:
    """The client's messages at the sink naming the invoice, newest first, with bodies."""
    return [m for m in world.mail_to_client() if invoice.number in m["subject"]]


def _no_clinical_codes(message: dict) -> None:
    body = message["subject"] + message["text"] + message["html"]
    assert DIAGNOSIS not in body and DIAGNOSIS.replace(".", "") not in body


def _sent(world, *amounts: str) -> Invoice:
    invoice = world.standalone(*amounts)
    invoice_send(invoice=invoice, ctx=world.ctx, actor=world.owner)
    invoice.refresh_from_db()
    return invoice


# --- send ---------------------------------------------------------------------------------------
def test_send_finalizes_on_stripe_and_emails_the_hosted_link_and_the_pdf(invoice_world):
    world = invoice_world
    invoice = world.standalone("120.00", "30.00")
    assert invoice.status == S.DRAFT and not invoice.on_stripe
    invoice_send(invoice=invoice, ctx=world.ctx, actor=world.owner)
    invoice.refresh_from_db()

    assert invoice.status == S.OPEN
    assert _statuses(invoice) == [S.DRAFT, S.SENDING, S.OPEN]
    remote = world.remote(invoice)
    assert remote.status == "open" and remote.amount_due == 15000
    assert remote.metadata["oasys_invoice_id"] == str(invoice.pk)
    assert remote.metadata["oasys_invoice_number"] == invoice.number
    assert invoice.hosted_invoice_url == remote.hosted_invoice_url
    assert httpx.get(invoice.hosted_invoice_url, timeout=30).status_code == 200
    # the charge posts when the invoice opens
    figures = invoice_figures_one(practice=world.practice, invoice=invoice)
    assert (figures.total, figures.balance) == (Decimal("150.00"), Decimal("150.00"))
    assert client_balance(practice=world.practice, client_id=world.client.pk) == \
        Decimal("150.00")

    [message] = _mail_about(world, invoice)
    assert invoice.hosted_invoice_url in message["text"]
    assert invoice.hosted_invoice_url in message["html"]
    assert "$150.00" in message["text"]
    [pdf_name] = message["attachments"]
    assert pdf_name.endswith(".pdf")
    raw = world.sink.raw(message["id"])
    assert b"application/pdf" in raw
    _no_clinical_codes(message)
    assert SentEmail.objects.get(object_type="Invoice", object_id=str(invoice.pk)).status \
        == "sent"


def test_stripe_down_while_sending_leaves_it_sending_then_the_sweep_opens_it_once(
        invoice_world):
    world = invoice_world
    # every call fails until the faults are cleared: the delivery's own retries (eager in
    # tests) run out and leave it Sending
    world.standin.control("faults", {"kind": "500", "path": "/v1/invoices", "count": 1000})
    invoice = _sent(world, "80.00")
    assert invoice.status == S.SENDING
    assert invoice.delivery_error
    assert _mail_about(world, invoice) == []
    world.standin.control("faults", method="DELETE")

    invoices_sending_sweep(now=timezone.now() + dt.timedelta(hours=1))
    invoices_sending_sweep(now=timezone.now() + dt.timedelta(hours=2))
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN and invoice.delivery_error == ""
    listing = world.sdk().v1.invoices.list({"limit": 100}, options=world.on_account)
    assert [i.id for i in listing.data] == [invoice.stripe_invoice_id]  # one Stripe invoice
    assert len(_mail_about(world, invoice)) == 1
    assert JournalEntry.objects.filter(invoice_id=invoice.pk,
                                       entry_type=EntryType.CHARGE).count() == 1


# --- cards on file ------------------------------------------------------------------------------
def test_a_card_on_file_pays_on_send_and_the_client_gets_the_receipt(invoice_world):
    world = invoice_world
    world.save_card(CARD_OK)
    invoice = _sent(world, "120.00")

    assert invoice.status == S.PAID
    assert _statuses(invoice) == [S.DRAFT, S.SENDING, S.OPEN, S.PAID]
    remote = world.remote(invoice)
    assert remote.status == "paid" and remote.amount_paid == 12000
    [attempt] = PaymentAttempt.objects.filter(invoice=invoice)
    assert attempt.outcome == AttemptOutcome.SUCCEEDED
    [payment] = InvoicePayment.objects.filter(invoice=invoice)
    charge = world.sdk().v1.charges.retrieve(attempt.stripe_charge_id,
                                             options=world.on_account)
    assert payment.key == f"stripe:{charge.id}" and payment.stripe_charge_id == charge.id
    assert payment.fee == Decimal("3.78")  # the stand-in's 2.9% + 30c
    figures = invoice_figures_one(practice=world.practice, invoice=invoice)
    assert (figures.paid, figures.balance) == (Decimal("120.00"), Decimal("0.00"))
    assert JournalEntry.objects.filter(invoice_id=invoice.pk,
                                       entry_type=EntryType.PROCESSING_FEE).count() == 1
    mails = _mail_about(world, invoice)
    assert len(mails) == 1 and "receipt" in mails[0]["subject"].lower()
    for message in mails:
        _no_clinical_codes(message)


def test_a_decline_keeps_it_open_with_the_reason_and_emails_the_hosted_link(invoice_world):
    world = invoice_world
    world.save_card(CARD_SAVES_THEN_DECLINES)
    invoice = _sent(world, "95.00")

    assert invoice.status == S.OPEN
    assert invoice.decline_reason and invoice.declines == 1
    assert invoice.next_charge_at is not None
    [attempt] = PaymentAttempt.objects.filter(invoice=invoice)
    assert attempt.outcome == AttemptOutcome.DECLINED and attempt.reason
    assert world.remote(invoice).status == "open"
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 0
    [message] = _mail_about(world, invoice)
    assert invoice.hosted_invoice_url in message["text"]
    assert invoice.decline_reason in message["text"]
    _no_clinical_codes(message)


def test_the_retry_schedule_ends_uncollectible_after_the_last_decline(invoice_world):
    world = invoice_world
    world.save_card(CARD_SAVES_THEN_DECLINES)
    invoice = _sent(world, "95.00")
    first = invoice.next_charge_at
    assert first is not None
    for _day in (3, 5, 7):  # the default schedule, counted from the first attempt
        due = invoice.next_charge_at
        assert due is not None
        invoices_card_retries_run(now=due)
        invoice.refresh_from_db()
    # the first try and the three retries, each declined; after the last, Uncollectible
    assert [a.outcome for a in PaymentAttempt.objects.filter(invoice=invoice)] == \
        [AttemptOutcome.DECLINED] * 4
    assert invoice.status == S.UNCOLLECTIBLE
    assert world.remote(invoice).status == "uncollectible"
    figures = invoice_figures_one(practice=world.practice, invoice=invoice)
    assert figures.balance == 0  # written off in the journal
    assert JournalEntry.objects.filter(invoice_id=invoice.pk,
                                       entry_type=EntryType.WRITE_OFF).count() == 1
    # running the schedule again charges nothing more
    invoices_card_retries_run(now=timezone.now() + dt.timedelta(days=30))
    assert PaymentAttempt.objects.filter(invoice=invoice).count() == 4


def test_a_card_needing_authentication_emails_the_client_a_link_to_confirm(invoice_world):
    world = invoice_world
    world.save_card(CARD_NEEDS_AUTHENTICATION)
    invoice = _sent(world, "60.00")
    assert invoice.status == S.OPEN
    [attempt] = PaymentAttempt.objects.filter(invoice=invoice)
    assert attempt.outcome == AttemptOutcome.AUTHENTICATION_REQUIRED
    [message] = _mail_about(world, invoice)
    assert invoice.hosted_invoice_url in message["text"]
    _no_clinical_codes(message)


# --- actions ------------------------------------------------------------------------------------
def test_void_a_draft_and_an_open_invoice(invoice_world):
    world = invoice_world
    draft = world.standalone("40.00")
    invoice_void(invoice=draft, ctx=world.ctx, actor=world.owner, reason="typo")
    draft.refresh_from_db()
    assert draft.status == S.VOID and not draft.on_stripe
    assert _statuses(draft) == [S.DRAFT, S.VOID]
    assert not JournalEntry.objects.filter(invoice_id=draft.pk).exists()

    sent = _sent(world, "70.00")
    invoice_void(invoice=sent, ctx=world.ctx, actor=world.owner, reason="billed twice")
    sent.refresh_from_db()
    assert sent.status == S.VOID
    assert world.remote(sent).status == "void"
    assert invoice_figures_one(practice=world.practice, invoice=sent).balance == 0
    assert JournalEntry.objects.filter(invoice_id=sent.pk,
                                       entry_type=EntryType.INVOICE_VOID).count() == 1
    assert client_balance(practice=world.practice, client_id=world.client.pk) == 0
    # a hosted page of a void invoice takes no payment
    resp = world.pay_on_hosted_page(sent)
    assert world.remote(sent).status == "void", resp.status_code


def test_resend_emails_a_reminder_and_logs_it(invoice_world):
    world = invoice_world
    invoice = _sent(world, "55.00")
    assert len(_mail_about(world, invoice)) == 1
    reminder = invoice_resend(invoice=invoice, ctx=world.ctx, actor=world.owner)
    reminder.refresh_from_db()
    assert reminder.status == "sent"
    mails = _mail_about(world, invoice)
    assert len(mails) == 2
    assert invoice.hosted_invoice_url in mails[0]["text"]
    _no_clinical_codes(mails[0])
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN
    assert SentEmail.objects.filter(object_type="Invoice", object_id=str(invoice.pk)).count() \
        == 2


def test_request_payment_method_emails_a_link_and_charges_open_invoices_once_saved(
        invoice_world):
    world = invoice_world
    invoice = _sent(world, "88.00")
    assert invoice.status == S.OPEN
    req = invoice_request_payment_method(invoice=invoice, ctx=world.ctx, actor=world.owner,
                                         charge_open_invoices=True)
    [link_mail] = [m for m in world.mail_to_client() if "card" in m["subject"].lower()]
    assert f"/pay/card/{req.token}/" in link_mail["text"]
    _no_clinical_codes(link_mail)

    # the client opens the link and saves a card on the stand-in's hosted form
    session = card_request_open(token=req.token, consent=True)
    assert fill_card_form(session.url, CARD_OK).status_code == 303
    card_saved_record(account=world.account, session_id=session.id, ctx=world.ctx,
                      card_request=CardRequest.objects.get(pk=req.pk))
    invoice.refresh_from_db()
    assert invoice.status == S.PAID
    assert world.remote(invoice).status == "paid"
    assert PaymentAttempt.objects.get(invoice=invoice).trigger == "card_saved"


def test_record_payment_in_two_parts_pays_it_and_tells_stripe(invoice_world):
    world = invoice_world
    invoice = _sent(world, "100.00")
    invoice_record_payment(invoice=invoice, amount="40.00", method="check",
                           received_on=dt.date.today(), reference="1042",
                           token=str(uuid.uuid4()), ctx=world.ctx, actor=world.owner)
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN
    assert invoice_figures_one(practice=world.practice, invoice=invoice).balance == \
        Decimal("60.00")
    assert world.remote(invoice).status == "open"
    token = str(uuid.uuid4())
    for _ in range(2):  # a double click records once
        invoice_record_payment(invoice=invoice, amount="60.00", method="cash",
                               received_on=dt.date.today(), token=token, ctx=world.ctx,
                               actor=world.owner)
    invoice.refresh_from_db()
    assert invoice.status == S.PAID
    assert InvoicePayment.objects.filter(invoice=invoice).count() == 2
    assert world.remote(invoice).status == "paid"  # paid out of band on Stripe
    assert client_balance(practice=world.practice, client_id=world.client.pk) == 0
    receipts = [m for m in _mail_about(world, invoice) if "receipt" in m["subject"].lower()]
    assert len(receipts) == 2


def test_refund_a_card_payment_in_part_then_the_rest_through_stripe(invoice_world):
    world = invoice_world
    world.save_card(CARD_OK)
    invoice = _sent(world, "120.00")
    assert invoice.status == S.PAID
    payment = InvoicePayment.objects.get(invoice=invoice)

    part = invoice_refund(invoice=invoice, amount="20.00", reason="shorter session",
                          token=str(uuid.uuid4()), ctx=world.ctx, actor=world.owner)
    assert part.status == RefundStatus.SUCCEEDED and part.stripe_refund_id
    charge = world.sdk().v1.charges.retrieve(payment.stripe_charge_id,
                                             options=world.on_account)
    assert charge.amount_refunded == 2000
    invoice.refresh_from_db()
    assert invoice.status == S.PAID  # a refund never reopens
    assert invoice_figures_one(practice=world.practice, invoice=invoice).paid == \
        Decimal("100.00")

    token = str(uuid.uuid4())
    rest = invoice_refund(invoice=invoice, amount="100.00", reason="cancelled", token=token,
                          ctx=world.ctx, actor=world.owner)
    again = invoice_refund(invoice=invoice, amount="100.00", reason="cancelled", token=token,
                           ctx=world.ctx, actor=world.owner)
    assert again.pk == rest.pk
    charge = world.sdk().v1.charges.retrieve(payment.stripe_charge_id,
                                             options=world.on_account)
    assert charge.amount_refunded == 12000 and charge.refunded is True
    refunds = world.sdk().v1.refunds.list({"charge": charge.id}, options=world.on_account)
    assert len(refunds.data) == 2
    assert InvoiceRefund.objects.filter(invoice=invoice,
                                        status=RefundStatus.SUCCEEDED).count() == 2
    invoice.refresh_from_db()
    assert invoice.status == S.PAID
    figures = invoice_figures_one(practice=world.practice, invoice=invoice)
    # refunded in full: nothing paid, and nothing owed either (a refund is money given back,
    # not a new debt of the client's)
    assert (figures.paid, figures.balance) == (Decimal("0.00"), Decimal("0.00"))
    assert client_balance(practice=world.practice, client_id=world.client.pk) == 0
    assert JournalEntry.objects.filter(invoice_id=invoice.pk,
                                       entry_type=EntryType.REFUND).count() == 2
    # more than was paid is refused
    with pytest.raises(Exception, match="refunded"):
        invoice_refund(invoice=invoice, amount="0.01", reason="more", token=str(uuid.uuid4()),
                       ctx=world.ctx, actor=world.owner)


def test_mark_uncollectible_writes_it_off_and_a_late_payment_pays_it(invoice_world):
    world = invoice_world
    invoice = _sent(world, "75.00")
    invoice_mark_uncollectible(invoice=invoice, ctx=world.ctx, actor=world.owner,
                               reason="moved away")
    invoice.refresh_from_db()
    assert invoice.status == S.UNCOLLECTIBLE
    assert world.remote(invoice).status == "uncollectible"
    assert invoice_figures_one(practice=world.practice, invoice=invoice).balance == 0
    assert client_balance(practice=world.practice, client_id=world.client.pk) == 0

    invoice_record_payment(invoice=invoice, amount="75.00", method="cash",
                           received_on=dt.date.today(), token=str(uuid.uuid4()),
                           ctx=world.ctx, actor=world.owner)
    invoice.refresh_from_db()
    assert invoice.status == S.PAID
    assert world.remote(invoice).status == "paid"
    figures = invoice_figures_one(practice=world.practice, invoice=invoice)
    assert (figures.paid, figures.balance) == (Decimal("75.00"), Decimal("0.00"))


def test_overdue_after_the_due_date_and_stripe_keeps_it_open(invoice_world):
    world = invoice_world
    invoice = _sent(world, "64.00")
    assert invoices_overdue_mark(now=timezone.now()) == 0
    later = timezone.make_aware(dt.datetime.combine(
        invoice.due_date + dt.timedelta(days=2), dt.time(12)))
    assert invoices_overdue_mark(now=later) == 1
    assert invoices_overdue_mark(now=later) == 0
    invoice.refresh_from_db()
    assert invoice.status == S.OVERDUE
    assert _statuses(invoice) == [S.DRAFT, S.SENDING, S.OPEN, S.OVERDUE]
    assert world.remote(invoice).status == "open"
    invoice_record_payment(invoice=invoice, amount="64.00", method="cash",
                           received_on=dt.date.today(), token=str(uuid.uuid4()),
                           ctx=world.ctx, actor=world.owner)
    invoice.refresh_from_db()
    assert invoice.status == S.PAID


# --- webhooks from the stand-in -----------------------------------------------------------------
def test_paying_on_the_hosted_page_turns_it_paid_by_the_webhook_alone(hooked_world):
    world = hooked_world
    invoice = _sent(world, "130.00")
    world.webhooks_release()  # the send's own events (finalized …): nothing changes
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN
    resp = world.pay_on_hosted_page(invoice, CARD_OK)
    assert resp.status_code in (302, 303)
    assert world.remote(invoice).status == "paid"
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN  # nothing heard yet

    world.webhooks_release()
    invoice.refresh_from_db()
    assert invoice.status == S.PAID
    [payment] = InvoicePayment.objects.filter(invoice=invoice)
    assert payment.amount == Decimal("130.00") and payment.stripe_charge_id
    assert payment.method == "online"
    assert payment.fee == dollars("4.07")  # 2.9% of 130 + 30c
    assert invoice_figures_one(practice=world.practice, invoice=invoice).balance == 0
    assert not StripeWebhookEvent.objects.filter(state="failed").exists()
    receipts = [m for m in _mail_about(world, invoice) if "receipt" in m["subject"].lower()]
    assert len(receipts) == 1


def _final_state(world, invoices: list[Invoice]) -> dict:
    out = {}
    for inv in invoices:
        inv.refresh_from_db()
        figures = invoice_figures_one(practice=world.practice, invoice=inv)
        out[inv.number] = (inv.status, figures.paid, figures.balance,
                           InvoicePayment.objects.filter(invoice=inv).count(),
                           InvoiceRefund.objects.filter(invoice=inv).count(),
                           JournalEntry.objects.filter(invoice_id=inv.pk).count())
    out["client"] = client_balance(practice=world.practice, client_id=world.client.pk)
    return out


def _sign(secret: str, body: bytes) -> str:
    t = int(time.time())
    sig = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={sig}"


def _post_event(world, live_server, event_id: str) -> None:
    """Post one of the stand-in's events to the product's endpoint ourselves, signed with the
    endpoint's secret, as Stripe does when it delivers it again."""
    got = world.standin.http.get(f"/v1/events/{event_id}", headers={
        "Authorization": f"Bearer {world.standin.api_key}",
        "Stripe-Account": world.account.stripe_account_id})
    got.raise_for_status()
    body = json.dumps(got.json()).encode()
    resp = httpx.post(f"{live_server.url}/webhooks/stripe", content=body,
                      headers={"Stripe-Signature": _sign(world.settings.STRIPE_WEBHOOK_SECRET,
                                                         body),
                               "Content-Type": "application/json"}, timeout=30)
    assert resp.status_code == 200, resp.text[:300]


def test_webhooks_replayed_three_times_and_out_of_order_end_in_the_same_state(
        hooked_world, live_server):
    """The stand-in holds the events of a payment on the hosted page, a void and a partial
    refund; they are posted newest first, three times over, and then the stand-in delivers
    them all once more in order: the state is the one Stripe shows, and it does not move
    after the first round."""
    world = hooked_world
    world.save_card(CARD_OK)
    hosted = _sent(world, "130.00")
    voided = _sent(world, "45.00")
    refunded = _sent(world, "60.00")
    assert (hosted.status, voided.status, refunded.status) == (S.PAID, S.PAID, S.PAID)
    world.save_card(CARD_SAVES_THEN_DECLINES)  # the next two are not charged on send
    hosted, voided = _sent(world, "130.00"), _sent(world, "45.00")
    assert (hosted.status, voided.status) == (S.OPEN, S.OPEN)
    world.webhooks_release()

    world.pay_on_hosted_page(hosted, CARD_OK)
    invoice_void(invoice=voided, ctx=world.ctx, actor=world.owner, reason="duplicate")
    invoice_refund(invoice=refunded, amount="25.00", reason="partial",
                   token=str(uuid.uuid4()), ctx=world.ctx, actor=world.owner)
    held = world.held_event_ids()
    assert len(held) >= 5
    states = []
    for _ in range(3):
        for event_id in reversed(held):  # newest first
            _post_event(world, live_server, event_id)
        states.append(_final_state(world, [hosted, voided, refunded]))
    world.webhooks_release()  # and Stripe's own delivery of them, in order, at last
    states.append(_final_state(world, [hosted, voided, refunded]))

    first = states[0]
    assert states == [first] * 4
    assert first[hosted.number][:2] == (S.PAID, Decimal("130.00"))
    assert first[voided.number][:3] == (S.VOID, Decimal("0.00"), Decimal("0.00"))
    assert first[refunded.number][:2] == (S.PAID, Decimal("35.00"))
    assert first[refunded.number][4] == 1  # one refund row for the one Stripe refund
    assert (world.remote(hosted).status, world.remote(voided).status,
            world.remote(refunded).status) == ("paid", "void", "paid")
    assert StripeWebhookEvent.objects.filter(event_id__in=held).count() == len(held)
    assert not StripeWebhookEvent.objects.filter(state="failed").exists()
