"""Receipts: after a payment is recorded, the client is emailed a receipt (HTML and plain
text, the PDF receipt attached) when the practice's invoice settings say so. Queued on
commit of the payment by `settlement.payment_apply`, once per payment it creates (a payment
reported again records nothing, and mails nothing)."""

from __future__ import annotations

import logging

from django.utils import timezone

from oasys.core.audit import AuditContext
from oasys.core.errors import DomainError
from oasys.core.models import SentEmail
from oasys.core.outbound_mail import email_send
from oasys.ledger.selectors import invoice_figures_one

from .models import InvoicePayment
from .pdf import receipt_pdf
from .selectors import invoice_settings_get

log = logging.getLogger(__name__)

RECEIPT_KIND = "receipt"


def _method_words(payment: InvoicePayment) -> str:
    if payment.card_brand and payment.card_last4:
        return f"{payment.card_brand.title()} ending in {payment.card_last4}"
    return payment.get_method_display()


def receipt_email_send(*, payment: InvoicePayment, ctx: AuditContext) -> SentEmail | None:
    """Email the client a receipt for `payment` (kind "receipt", about the invoice). None
    when the practice does not email receipts or the client has no email address. Only the
    invoice's number, the amount, how and when it was paid: nothing clinical."""
    payment = InvoicePayment.objects.select_related(
        "invoice", "invoice__practice", "invoice__client").get(pk=payment.pk)
    invoice = payment.invoice
    practice = invoice.practice
    if not invoice_settings_get(practice=practice).email_receipts:
        return None
    client = invoice.client
    if not client.email:
        return None
    method = _method_words(payment)
    reference = payment.reference if payment.method == "check" else ""
    # one read of the journal's figures for the email and its PDF
    figures = invoice_figures_one(practice=practice, invoice=invoice)
    pdf = receipt_pdf(invoice=invoice, payment_amount=payment.amount,
                      paid_at=payment.created_at or timezone.now(), method=method,
                      reference=reference, figures=figures)
    return email_send(
        practice=practice, to=client.email,
        subject=f"{practice.name}: receipt for invoice {invoice.number}",
        template="email/receipt",
        context={"first_name": client.first_name, "invoice_number": invoice.number,
                 "amount": f"${payment.amount:,.2f}", "method": method,
                 "received_on": payment.received_on, "reference": reference,
                 "balance": f"${max(figures.balance, 0):,.2f}",
                 "paid_in_full": figures.balance <= 0},
        ctx=ctx, kind=RECEIPT_KIND,
        attachments=[(f"receipt-{invoice.number}-{payment.pk}.pdf", pdf, "application/pdf")],
        object_type="Invoice", object_id=invoice.pk, client_id=invoice.client_id)


def receipt_email_queue(*, payment_id: int, ctx: AuditContext) -> None:
    """The on-commit end of a new payment: the receipt is mailed, and a failure to build or
    record it is logged, never allowed to undo or hide the payment."""
    try:
        receipt_email_send(payment=InvoicePayment(pk=payment_id), ctx=ctx)
    except DomainError as exc:  # e.g. an address the mail framework refuses
        log.warning("payment %s: no receipt emailed (%s)", payment_id, exc.message)
