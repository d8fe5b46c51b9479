"""Sending invoices (oasys/invoices/sending.py) against the fake payments port: Send, the
delivery (Stripe copy, open, email), Stripe down or refusing, repeats and races, the
sweeper, and Resend."""

from __future__ import annotations

import datetime as dt
import traceback
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from oasys.billing.services import billing_submit
from oasys.billing.tests import factories as f
from oasys.core.audit import AuditContext
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.formats import date_text
from oasys.core.models import AuditEvent, SentEmail
from oasys.core.tests.threads import run_together
from oasys.invoices.models import Invoice, InvoiceEvent, InvoiceStatus
from oasys.invoices.sending import (
    SWEEP_AFTER,
    delivery_backoff_seconds,
    invoice_deliver,
    invoice_resend,
    invoice_send,
    invoices_sending_sweep,
)
from oasys.invoices.services import invoice_create_for_session, invoice_create_standalone
from oasys.invoices.tests.helpers import invoice_opened
from oasys.invoices.tests.pdftext import pdf_read
from oasys.ledger.models import JournalEntry
from oasys.ledger.selectors import invoice_figures_one
from oasys.payments.cards import client_payment_profile_ensure
from oasys.payments.idempotency import idempotency_key, stripe_request_get_or_start
from oasys.payments.models import StripeRequest
from oasys.payments.port import FinalError, InvoiceLine, RetryableError
from oasys.payments.tests.accounts import account_in
from oasys.practice.models import ProviderProfile

pytestmark = pytest.mark.django_db

S = InvoiceStatus
DIAGNOSES = ("F41.1", "F33.1")


@pytest.fixture
def ctx(owner):
    return AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=owner.practice_id)


@pytest.fixture
def stripe_account(practice, owner, ctx, payments):
    """The practice takes cards online: its Stripe account is active."""
    return account_in("active", practice, owner, ctx, payments)


def session_invoice(practice, amount="130.00", **client) -> Invoice:
    """A Draft for one self-pay session whose client has diagnoses (which no email shows)."""
    appt = f.self_pay_session(practice, **client)
    for position, code in enumerate(DIAGNOSES, start=1):
        f.make_diagnosis(appt.client, code=code, position=position)
    if not ProviderProfile.objects.filter(practice=practice).exists():
        f.make_profile(practice)  # the practice's billing contact, for the emails
    return invoice_create_for_session(practice=practice, appointment_id=appt.pk,
                                      amount=Decimal(amount), cpt="90834",
                                      ctx=f.ctx_for(practice=practice))


def sent(invoice, ctx) -> Invoice:
    """Send and run what the send queued on commit (the delivery, then the email)."""
    with f.committed():
        invoice_send(invoice=invoice, ctx=ctx)
    invoice.refresh_from_db()
    return invoice


def emails_of(invoice, kind="invoice"):
    return list(SentEmail.objects.filter(object_type="Invoice", object_id=str(invoice.pk),
                                         kind=kind))


def remote_invoices(payments):
    return list(payments.invoices.values())


def assert_no_diagnosis(email: SentEmail) -> None:
    for code in DIAGNOSES:
        for text in (email.subject, email.text_body, email.html_body):
            assert code not in text and code.replace(".", "") not in text
    pdf = pdf_read(bytes(email.attachments.get().content)).text
    assert not any(code in pdf or code.replace(".", "") in pdf for code in DIAGNOSES)


# --- Send ---------------------------------------------------------------------------------
def test_send_moves_a_draft_to_sending_and_queues_the_delivery(practice, owner, ctx):
    invoice = session_invoice(practice)
    with f.committed() as callbacks:
        out = invoice_send(invoice=invoice, ctx=ctx, actor=owner)
        assert out.status == S.SENDING
        assert Invoice.objects.get(pk=invoice.pk).status == S.SENDING
        assert emails_of(invoice) == []  # the delivery is queued for the commit
    assert len(callbacks) >= 1
    event = InvoiceEvent.objects.get(invoice=invoice, to_status=S.SENDING)
    assert (event.from_status, event.actor_id, event.source) == (S.DRAFT, owner.pk, "staff")
    opened = InvoiceEvent.objects.get(invoice=invoice, to_status=S.OPEN)
    assert (opened.from_status, opened.source) == (S.SENDING, "invoice delivery")
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN  # the delivery ran on commit
    assert len(emails_of(invoice)) == 1


def test_send_without_enqueue_queues_no_delivery(practice, ctx, monkeypatch):
    """enqueue=False (auto-billing delivers its invoices itself): the invoice is Sending,
    nothing is queued for the commit, and after the commit it is still Sending, for its
    caller (or the sweeper) to deliver."""
    from oasys.invoices import tasks  # noqa: PLC0415 - patched where the kick looks it up

    queued: list[int] = []
    monkeypatch.setattr(tasks.invoice_deliver_task, "delay", queued.append)
    invoice = session_invoice(practice)
    with f.committed():
        out = invoice_send(invoice=invoice, ctx=ctx, enqueue=False)
    assert out.status == S.SENDING
    assert queued == []  # nothing was queued, on commit or before
    invoice.refresh_from_db()
    assert invoice.status == S.SENDING and emails_of(invoice) == []
    assert invoice_deliver(invoice_id=invoice.pk).status == S.OPEN  # the caller delivers it
    assert len(emails_of(invoice)) == 1
    # the default still queues it
    other = session_invoice(practice)
    with f.committed():
        invoice_send(invoice=other, ctx=ctx)
    assert queued == [other.pk]


def test_send_without_a_commit_stays_sending_until_delivered(practice, ctx):
    invoice = session_invoice(practice)
    invoice_send(invoice=invoice, ctx=ctx)
    invoice.refresh_from_db()
    assert invoice.status == S.SENDING and emails_of(invoice) == []
    assert not JournalEntry.objects.filter(invoice=invoice).exists()  # charged when it opens


def test_send_is_refused_unless_the_invoice_is_a_draft(practice, ctx):
    invoice = sent(session_invoice(practice), ctx)
    assert invoice.status == S.OPEN
    with pytest.raises(Conflict) as exc:
        invoice_send(invoice=invoice, ctx=ctx)
    assert exc.value.status_code == 409
    assert exc.value.message == "A Open invoice has already been sent."


def test_a_client_without_an_email_address_is_refused_before_anything_moves(practice, ctx):
    invoice = session_invoice(practice, email="")
    events = InvoiceEvent.objects.count()
    with f.committed() as callbacks, pytest.raises(InvalidInput) as exc:
        invoice_send(invoice=invoice, ctx=ctx)
    assert exc.value.status_code == 422
    assert "has no email address" in exc.value.errors["email"]
    assert callbacks == []
    invoice.refresh_from_db()
    assert invoice.status == S.DRAFT and InvoiceEvent.objects.count() == events


def test_a_double_click_sends_once(practice, ctx, stripe_account, payments):
    invoice = session_invoice(practice)
    with f.committed():
        invoice_send(invoice=invoice, ctx=ctx)
        with pytest.raises(Conflict, match="already been sent"):
            invoice_send(invoice=Invoice.objects.get(pk=invoice.pk), ctx=ctx)
    assert len(remote_invoices(payments)) == 1
    assert len(emails_of(invoice)) == 1 and len(mail.outbox) == 1


def test_two_sends_at_once_make_one_delivery(threads_share_the_database, practice, ctx,
                                             stripe_account, payments):
    invoice = session_invoice(practice)
    results, errors = run_together(
        lambda: invoice_send(invoice=Invoice.objects.get(pk=invoice.pk), ctx=ctx))
    assert len(results) == 1, "\n".join("".join(traceback.format_exception(e)) for e in errors)
    assert len(errors) == 1 and isinstance(errors[0], Conflict)
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN
    assert len(remote_invoices(payments)) == 1
    assert len(emails_of(invoice)) == 1
    assert JournalEntry.objects.filter(invoice=invoice, entry_type="charge").count() == 1


# --- Delivery with Stripe -------------------------------------------------------------------
def test_delivery_finalizes_on_stripe_opens_and_emails_the_hosted_link(practice, ctx,
                                                                       stripe_account,
                                                                       payments):
    invoice = sent(session_invoice(practice), ctx)
    [remote] = remote_invoices(payments)
    assert invoice.status == S.OPEN and invoice.delivery_error == ""
    assert (invoice.stripe_account_id, invoice.stripe_invoice_id) == (
        stripe_account.stripe_account_id, remote.id)
    assert invoice.hosted_invoice_url == remote.hosted_invoice_url != ""
    assert remote.status == "open" and remote.total == Decimal("130.00")
    assert remote.metadata == {"oasys_invoice_id": str(invoice.pk),
                               "oasys_invoice_number": invoice.number}
    assert [(ln.description, ln.amount) for ln in
            payments.invoice_lines[(stripe_account.stripe_account_id, remote.id)]] == [
        (invoice.lines.get().description, Decimal("130.00"))]
    create = next(kw for name, kw in payments.calls if name == "invoice_create")
    assert create["days_until_due"] == 14
    assert create["idempotency_key"] == idempotency_key("invoice", invoice.pk, "create")
    finalize = next(kw for name, kw in payments.calls if name == "invoice_finalize")
    assert finalize["idempotency_key"] == idempotency_key("invoice", invoice.pk, "finalize")
    # the charge posts when it opens
    assert invoice_figures_one(practice=practice, invoice=invoice).balance == Decimal("130.00")

    [email] = emails_of(invoice)
    assert (email.kind, email.object_type, email.client_id) == ("invoice", "Invoice",
                                                                invoice.client_id)
    assert email.to == invoice.client.email
    assert email.subject == f"Invoice {invoice.number} from {practice.name}"
    line = invoice.lines.get()
    for body in (email.text_body, email.html_body):
        assert invoice.hosted_invoice_url in body
        assert "$130.00" in body
        assert date_text(invoice.due_date) in body
        assert line.description in body
        assert "90834" not in body  # lines are described, not coded
    assert email.attachment_names == [f"Invoice {invoice.number}.pdf"]
    pdf = pdf_read(bytes(email.attachments.get().content)).text
    assert invoice.number in pdf and invoice.hosted_invoice_url in pdf
    assert_no_diagnosis(email)
    # delivered through Django's email framework, HTML and text, the PDF attached
    [message] = mail.outbox
    assert message.to == [invoice.client.email] and message.body == email.text_body
    assert message.alternatives[0][1] == "text/html"
    assert message.attachments[0][0] == f"Invoice {invoice.number}.pdf"


def test_no_email_carries_a_diagnosis_code(practice, ctx, stripe_account):
    """Sent, reminded, standalone: whatever the client has on file, no code is in an email."""
    one = sent(session_invoice(practice), ctx)
    with f.committed():
        invoice_resend(invoice=one, ctx=ctx)
    standalone = invoice_create_standalone(
        practice=practice, client_id=one.client_id, ctx=ctx,
        lines=[{"description": "Late cancellation fee", "date": timezone.localdate(),
                "amount": "40.00"}])
    sent(standalone, ctx)
    emails = list(SentEmail.objects.all())
    assert {e.kind for e in emails} == {"invoice", "reminder"} and len(emails) == 3
    for email in emails:
        assert_no_diagnosis(email)


def test_without_an_active_stripe_account_the_invoice_opens_and_is_emailed_as_pdf(
        practice, owner, ctx, payments):
    account_in("restricted", practice, owner, ctx, payments)
    invoice = sent(session_invoice(practice), ctx)
    assert invoice.status == S.OPEN
    assert (invoice.stripe_invoice_id, invoice.hosted_invoice_url) == ("", "")
    assert not any(name.startswith("invoice_") for name, _ in payments.calls)
    [email] = emails_of(invoice)
    for body in (email.text_body, email.html_body):
        assert "How to pay" in body and "(312) 555-0100" in body
        assert "billing@serenity.example" in body and "https://" not in body.split(
            "How to pay")[1].split("attached")[0]
    pdf = pdf_read(bytes(email.attachments.get().content)).text
    assert "Please contact" in pdf
    assert email.reply_to == "billing@serenity.example"


def test_a_practice_that_never_connected_stripe_still_sends(practice, ctx, payments):
    invoice = sent(session_invoice(practice), ctx)
    assert invoice.status == S.OPEN and not invoice.on_stripe
    assert len(emails_of(invoice)) == 1 and payments.calls == []


# --- Stripe down, slow, refusing ---------------------------------------------------------------
def test_stripe_down_leaves_the_invoice_sending_with_the_reason_then_it_goes(
        practice, ctx, stripe_account, payments):
    invoice = session_invoice(practice)
    invoice_send(invoice=invoice, ctx=ctx)  # no commit: the test delivers by hand
    payments.fail_next("invoice_create", RetryableError("timed out"))
    out = invoice_deliver(invoice_id=invoice.pk)
    assert out.status == S.SENDING and out.delivery_attempts == 1
    assert "Stripe could not be reached" in out.delivery_error
    assert emails_of(invoice) == [] and remote_invoices(payments) == []
    assert not JournalEntry.objects.filter(invoice=invoice).exists()

    out = invoice_deliver(invoice_id=invoice.pk)
    assert out.status == S.OPEN and out.delivery_error == ""
    assert len(remote_invoices(payments)) == 1 and len(emails_of(invoice)) == 1


def test_stripe_down_at_finalize_ends_with_one_stripe_invoice(practice, ctx, stripe_account,
                                                              payments):
    invoice = session_invoice(practice)
    invoice_send(invoice=invoice, ctx=ctx)
    payments.fail_next("invoice_finalize", RetryableError("503"), times=2)
    assert invoice_deliver(invoice_id=invoice.pk).delivery_attempts == 1
    assert invoice_deliver(invoice_id=invoice.pk).delivery_attempts == 2
    out = invoice_deliver(invoice_id=invoice.pk)
    assert out.status == S.OPEN
    [remote] = remote_invoices(payments)
    assert remote.status == "open" and out.stripe_invoice_id == remote.id
    assert sum(1 for name, _ in payments.calls if name == "invoice_create") == 1


def test_a_crash_after_stripe_made_the_invoice_before_we_recorded_it_makes_one(
        practice, ctx, stripe_account, payments):
    """A worker died between Stripe creating the invoice and the ledger recording its id:
    the ledger row is unfinished, Stripe has the invoice under our key. The next delivery
    sends the same key and Stripe answers with that same invoice."""
    invoice = session_invoice(practice)
    invoice_send(invoice=invoice, ctx=ctx)
    key = idempotency_key("invoice", invoice.pk, "create")
    stripe_request_get_or_start(key=key, operation="invoice_create", practice=practice)
    # the dead worker had made the client's customer, then the invoice on Stripe
    customer = client_payment_profile_ensure(client=invoice.client, ctx=ctx)
    line = invoice.lines.get()
    made = payments.invoice_create(  # what the dead worker's call did on Stripe
        account_id=stripe_account.stripe_account_id, customer_id=customer.stripe_customer_id,
        lines=[InvoiceLine(description=line.description, amount=line.amount)],
        currency="usd", days_until_due=14,
        metadata={"oasys_invoice_id": str(invoice.pk), "oasys_invoice_number": invoice.number},
        idempotency_key=key)
    assert StripeRequest.objects.get(key=key).object_id == ""

    out = invoice_deliver(invoice_id=invoice.pk)
    assert out.status == S.OPEN and out.stripe_invoice_id == made.id
    assert [r.id for r in remote_invoices(payments)] == [made.id]
    assert StripeRequest.objects.get(key=key).object_id == made.id
    assert len(emails_of(invoice)) == 1


def test_stripe_refusing_sends_the_invoice_back_to_draft_with_the_reason(
        practice, ctx, stripe_account, payments):
    invoice = session_invoice(practice)
    invoice_send(invoice=invoice, ctx=ctx)
    payments.fail_next("invoice_create", FinalError("Invalid currency: usd", status=400))
    out = invoice_deliver(invoice_id=invoice.pk)
    assert out.status == S.DRAFT
    assert out.delivery_error == "Stripe refused the invoice: Invalid currency: usd"
    event = InvoiceEvent.objects.filter(invoice=invoice).latest("pk")
    assert (event.from_status, event.to_status) == (S.SENDING, S.DRAFT)
    assert "Invalid currency" in event.reason
    assert emails_of(invoice) == []
    # fixed, it is sent again
    again = sent(out, ctx)
    assert again.status == S.OPEN and again.delivery_error == ""
    assert len(remote_invoices(payments)) == 1


def test_an_address_removed_after_send_sends_the_invoice_back_to_draft(practice, ctx):
    invoice = session_invoice(practice)
    invoice_send(invoice=invoice, ctx=ctx)
    invoice.client.email = ""
    invoice.client.save()
    out = invoice_deliver(invoice_id=invoice.pk)
    assert out.status == S.DRAFT and "has no email address" in out.delivery_error


# --- repeats and races --------------------------------------------------------------------------
def test_delivering_twice_opens_once_and_emails_once(practice, ctx, stripe_account,
                                                     payments):
    invoice = session_invoice(practice)
    invoice_send(invoice=invoice, ctx=ctx)
    first = invoice_deliver(invoice_id=invoice.pk)
    second = invoice_deliver(invoice_id=invoice.pk)
    assert first.status == second.status == S.OPEN
    assert len(emails_of(invoice)) == 1 and len(remote_invoices(payments)) == 1
    assert JournalEntry.objects.filter(invoice=invoice, entry_type="charge").count() == 1
    assert InvoiceEvent.objects.filter(invoice=invoice, to_status=S.OPEN).count() == 1


def test_two_deliveries_at_once_deliver_once(threads_share_the_database, practice, ctx,
                                             stripe_account, payments):
    invoice = session_invoice(practice)
    invoice_send(invoice=invoice, ctx=ctx)
    results, errors = run_together(lambda: invoice_deliver(invoice_id=invoice.pk))
    assert errors == [], "\n".join("".join(traceback.format_exception(e)) for e in errors)
    assert {r.status for r in results} == {S.OPEN}
    assert len(remote_invoices(payments)) == 1
    assert len(emails_of(invoice)) == 1
    assert JournalEntry.objects.filter(invoice=invoice, entry_type="charge").count() == 1


def test_delivery_leaves_drafts_and_finished_invoices_alone(practice, ctx):
    draft = session_invoice(practice)
    assert invoice_deliver(invoice_id=draft.pk).status == S.DRAFT
    assert invoice_deliver(invoice_id=10**9) is None
    assert SentEmail.objects.count() == 0


def test_an_invoice_a_webhook_opened_first_still_gets_its_email(practice, ctx):
    """Stripe's `invoice.finalized` may open the invoice before the worker does: the worker
    still sends the email, once."""
    invoice = session_invoice(practice)
    invoice_send(invoice=invoice, ctx=ctx)
    invoice_opened(invoice)  # as a webhook handler would, through settlement
    assert invoice_deliver(invoice_id=invoice.pk).status == S.OPEN
    invoice_deliver(invoice_id=invoice.pk)
    assert len(emails_of(invoice)) == 1


# --- the task: retried with backoff -------------------------------------------------------
def test_the_task_retries_while_stripe_is_down(practice, ctx, stripe_account, payments):
    invoice = session_invoice(practice)
    payments.fail_next("invoice_create", RetryableError("timed out"), times=2)
    invoice = sent(invoice, ctx)  # eager Celery runs the retries at once
    assert invoice.status == S.OPEN and invoice.delivery_attempts == 2
    assert len(remote_invoices(payments)) == 1 and len(emails_of(invoice)) == 1


def test_retries_wait_longer_each_time():
    assert [delivery_backoff_seconds(n) for n in range(1, 6)] == [30, 60, 120, 240, 480]
    assert delivery_backoff_seconds(20) == 3600


# --- the sweeper ------------------------------------------------------------------------------
def _age(invoice, minutes, field="updated_at"):
    Invoice.objects.filter(pk=invoice.pk).update(
        **{field: timezone.now() - dt.timedelta(minutes=minutes)})


def test_the_sweeper_delivers_invoices_whose_kick_was_lost(practice, ctx, stripe_account,
                                                           payments):
    lost = session_invoice(practice)
    fresh = session_invoice(practice)
    invoice_send(invoice=lost, ctx=ctx)  # no commit: the kick never ran
    invoice_send(invoice=fresh, ctx=ctx)
    _age(lost, SWEEP_AFTER.total_seconds() / 60 + 1)
    with f.committed():
        assert invoices_sending_sweep() == 1
    lost.refresh_from_db()
    fresh.refresh_from_db()
    assert lost.status == S.OPEN and len(emails_of(lost)) == 1
    assert fresh.status == S.SENDING  # its worker may be at it now
    # later, the fresh one too
    with f.committed():
        assert invoices_sending_sweep(now=timezone.now() + SWEEP_AFTER * 2) == 1
    fresh.refresh_from_db()
    assert fresh.status == S.OPEN
    assert invoices_sending_sweep(now=timezone.now() + SWEEP_AFTER * 2) == 0


def test_the_sweeper_finishes_an_invoice_opened_without_its_email(practice, ctx):
    invoice = session_invoice(practice)
    invoice_send(invoice=invoice, ctx=ctx)
    invoice_opened(invoice)  # opened (a webhook), then the worker died
    done = sent(session_invoice(practice), ctx)
    for inv in (invoice, done):
        _age(inv, 10, field="sent_at")
    with f.committed():
        assert invoices_sending_sweep() == 1
    assert len(emails_of(invoice)) == 1 and len(emails_of(done)) == 1
    assert invoices_sending_sweep() == 0


def test_the_sweep_is_scheduled(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["invoices-sending-sweep"]
    assert (entry["task"], entry["schedule"]) == ("invoices.sending_sweep", 120.0)


# --- Resend -----------------------------------------------------------------------------------
def test_resend_emails_a_reminder_with_the_link_and_the_pdf(practice, owner, ctx,
                                                            stripe_account):
    invoice = sent(session_invoice(practice), ctx)
    audits = AuditEvent.objects.filter(category="invoice").count()
    with f.committed():
        email = invoice_resend(invoice=invoice, ctx=ctx, actor=owner)
    assert (email.kind, email.object_type, email.object_id) == ("reminder", "Invoice",
                                                                str(invoice.pk))
    assert email.subject == f"Reminder: invoice {invoice.number} from {practice.name}"
    assert invoice.hosted_invoice_url in email.text_body
    assert invoice.hosted_invoice_url in email.html_body
    assert "is due" in email.text_body and "$130.00" in email.text_body
    assert email.attachment_names == [f"Invoice {invoice.number}.pdf"]
    assert AuditEvent.objects.filter(category="invoice").count() == audits + 1
    assert len(mail.outbox) == 2
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN  # a reminder moves nothing


def test_an_overdue_invoice_is_reminded_that_it_is_late(practice, ctx):
    invoice = sent(session_invoice(practice), ctx)
    Invoice.objects.filter(pk=invoice.pk).update(
        due_date=timezone.localdate() - dt.timedelta(days=3))
    invoice.refresh_from_db()
    email = invoice_resend(invoice=invoice, ctx=ctx)
    assert "was due" in email.text_body and "still unpaid" in email.html_body


@pytest.mark.parametrize("status", [S.DRAFT, S.SENDING])
def test_resend_is_refused_for_an_invoice_not_yet_sent(practice, ctx, status):
    invoice = session_invoice(practice)
    if status == S.SENDING:
        invoice_send(invoice=invoice, ctx=ctx)
    with pytest.raises(Conflict, match="Only an unpaid invoice is resent."):
        invoice_resend(invoice=invoice, ctx=ctx)
    assert SentEmail.objects.count() == 0


# --- Bill Sessions: a click ends in an emailed invoice -------------------------------------------
def test_bill_sessions_cash_pay_sends_the_invoice(practice, owner, ctx, stripe_account):
    appt = f.self_pay_session(practice)
    with f.committed():
        result = billing_submit(practice=practice, appointment_ids=[appt.pk], ctx=ctx,
                                actor=owner)
    [invoice] = result.invoices
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN and invoice.on_stripe
    [email] = emails_of(invoice)
    assert email.to == appt.client.email and invoice.hosted_invoice_url in email.text_body
    assert len(mail.outbox) == 1
