"""Following Stripe's events about the practice's invoices and their charges.

`oasys.payments.webhooks` stores each verified event and runs the handler registered here
for its type from a task, in one transaction with the event's "processed". Every handler
uses the event only to learn WHICH invoice or charge changed, fetches the current object
through the port, and moves our invoice to match it, through the same services staff and
the senders use (settlement.payment_apply, actions.invoice_void, ...). So an event that
comes late, twice, or before the one it followed ends where one in-order delivery would,
and a handler run again changes nothing: every write below is keyed (a payment by its
charge, a refund by Stripe's refund id) or guarded by the invoice's status.

Which invoice: ours on the event's connected account with that Stripe id, else the one our
metadata (`oasys_invoice_id`, and `oasys_invoice_number` when present) names within the
account's practice and not linked to another Stripe invoice (a delivery that created the
Stripe invoice and crashed before storing its id). Another practice's invoice is never
found: every query is scoped by the account's practice.

Money Stripe took that this side cannot absorb (a charge on an invoice void or already paid
here, a remote void of an invoice with a payment) is left as it is and the event's outcome
says staff must look: nothing is lost and nothing is invented. Outcomes and logs name ids
and statuses only (no client names: PHI).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Q

from oasys.core.audit import AuditContext
from oasys.core.errors import Conflict
from oasys.core.timezones import practice_date
from oasys.payments.connection import payments_port
from oasys.payments.handlers import webhook_handler
from oasys.payments.models import PaymentAccount
from oasys.payments.port import Charge, Event, NotFoundError, RemoteInvoice

from .actions import invoice_mark_uncollectible, invoice_void, refund_from_stripe_record
from .machine import INVOICE_MACHINE
from .models import (
    AttemptOutcome,
    Invoice,
    InvoicePayment,
    InvoiceRefund,
    InvoiceStatus,
    PaymentAttempt,
    PaymentMethod,
    RefundStatus,
)
from .settlement import PaymentIn, invoice_open, payment_apply, stripe_payment_key

log = logging.getLogger(__name__)

S = InvoiceStatus
SOURCE = "stripe webhook"
META_ID = "oasys_invoice_id"
META_NUMBER = "oasys_invoice_number"
# An attempt of ours whose decline Stripe reports within this long is the same failure.
ATTEMPT_WINDOW = dt.timedelta(minutes=15)
STAFF_MUST_LOOK = "left as it is: staff must look"


def _ctx(account: PaymentAccount) -> AuditContext:
    return AuditContext.system(practice_id=account.practice_id, source=SOURCE)


def _source(event: Event) -> str:
    return f"{SOURCE} {event.id}"[:80]


def _id_of(value: Any) -> str:
    """A Stripe reference as its id: a string, or an expanded object's `id`."""
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return str(value or "")


# --- finding the objects ------------------------------------------------------------------------
def _remote_invoice(event: Event, account: PaymentAccount) -> RemoteInvoice | None:
    """Stripe's invoice as it is now (None: Stripe no longer has it on that account)."""
    invoice_id = _id_of(event.object.get("id"))
    if not invoice_id.startswith("in_"):
        return None
    try:
        return payments_port().invoice_get(account_id=account.stripe_account_id,
                                           invoice_id=invoice_id)
    except NotFoundError:
        return None


def invoice_for_remote(*, account: PaymentAccount, remote: RemoteInvoice) -> Invoice | None:
    """Our invoice for Stripe's, within the account's practice only (see the module doc).
    Found through our metadata, an invoice without its Stripe id yet is linked to it."""
    ours = Invoice.objects.filter(practice_id=account.practice_id)
    found = ours.filter(stripe_account_id=account.stripe_account_id,
                        stripe_invoice_id=remote.id).first()
    if found is not None:
        return found
    raw = str(remote.metadata.get(META_ID, "")).strip()
    if not raw.isdigit():
        return None
    found = ours.filter(pk=int(raw)).first()
    if found is None:
        return None
    number = str(remote.metadata.get(META_NUMBER, "")).strip()
    if number and number != found.number:
        return None  # another install's (or a reset database's) invoice with our id
    if found.stripe_invoice_id:
        # linked to another Stripe invoice: this one is not ours to follow
        return None
    # The id is not a status: store the link so later events find it directly. (The filter
    # on the empty id keeps a link stored meanwhile by the delivery.)
    Invoice.objects.filter(pk=found.pk, stripe_invoice_id="").update(
        stripe_account_id=account.stripe_account_id, stripe_invoice_id=remote.id)
    found.refresh_from_db()
    if found.stripe_invoice_id != remote.id:
        return None
    return found


def _stripe_fields(remote: RemoteInvoice, account: PaymentAccount) -> dict[str, str]:
    fields = {"stripe_account_id": account.stripe_account_id, "stripe_invoice_id": remote.id}
    if remote.hosted_invoice_url:
        fields["hosted_invoice_url"] = remote.hosted_invoice_url[:500]
    return fields


def _opened_if_finalized(*, invoice: Invoice, remote: RemoteInvoice, account: PaymentAccount,
                         event: Event) -> Invoice:
    """Ours still Sending while Stripe has finalized it: Stripe's part of the delivery is
    done, so it opens here (the charge posts), with Stripe's ids and page stored. Anything
    else is returned as it is."""
    if invoice.status != S.SENDING or remote.status == "draft":
        return invoice
    return invoice_open(invoice=invoice, ctx=_ctx(account), source=_source(event),
                        reason="finalized on Stripe", updates=_stripe_fields(remote, account))


def _located(event: Event, account: PaymentAccount
             ) -> tuple[RemoteInvoice | None, Invoice | None, str]:
    """(Stripe's invoice now, ours, why nothing is to be done: "" when both are found)."""
    remote = _remote_invoice(event, account)
    if remote is None:
        return None, None, "not an invoice Stripe has on this account: ignored"
    invoice = invoice_for_remote(account=account, remote=remote)
    if invoice is None:
        return remote, None, "not an invoice of this practice: ignored"
    return remote, invoice, ""


# --- payments ---------------------------------------------------------------------------------
def _method(invoice: Invoice, charge: Charge) -> str:
    """Card on file when the charge came from one of our off-session attempts (its charge id
    is on the attempt, or the attempt is still waiting for Stripe's answer with that card);
    otherwise the client paid on Stripe's hosted page."""
    ours = Q(stripe_charge_id=charge.id)
    if charge.payment_method_id:
        ours |= Q(outcome=AttemptOutcome.PENDING, payment_method_id=charge.payment_method_id)
    attempted = PaymentAttempt.objects.filter(practice_id=invoice.practice_id,
                                              invoice=invoice).filter(ours).exists()
    return PaymentMethod.CARD if attempted else PaymentMethod.ONLINE


def _payment_record(*, invoice: Invoice, charge: Charge, account: PaymentAccount,
                    event: Event) -> tuple[InvoicePayment | None, str]:
    key = stripe_payment_key(charge.id)
    existing = InvoicePayment.objects.filter(practice_id=invoice.practice_id, key=key).first()
    if existing is not None:
        return existing, f"payment {charge.id} already recorded"
    received = practice_date(charge.created, invoice.practice) if charge.created else None
    payment = PaymentIn(key=key, method=_method(invoice, charge), amount=charge.amount,
                        received_on=received, fee=charge.fee, reference=charge.id,
                        stripe_charge_id=charge.id, card_brand=charge.card_brand[:20],
                        card_last4=charge.card_last4[:4])
    try:
        row, _created = payment_apply(invoice=invoice, payment=payment, ctx=_ctx(account),
                                      source=_source(event))
    except Conflict as exc:
        # Stripe took money on an invoice that takes none here (void, or paid another way)
        log.warning("Stripe event %s: charge %s on invoice %s (%s here) not recorded",
                    event.id, charge.id, invoice.pk, invoice.status)
        return None, (f"Stripe charge {charge.id} of {charge.amount} not recorded "
                      f"({exc.message}): {STAFF_MUST_LOOK}")
    invoice.refresh_from_db()
    return row, (f"payment {charge.id} of {row.amount} (fee {row.fee}) recorded: "
                 f"{invoice.get_status_display()}")


@webhook_handler("invoice.paid", "invoice.payment_succeeded")
def invoice_paid(event: Event, account: PaymentAccount) -> str:
    remote, invoice, why = _located(event, account)
    if remote is None or invoice is None:
        return why
    if remote.status != "paid":
        return f"Stripe has it {remote.status} now: nothing to record"
    if not remote.charge_id:
        if invoice.payments.exists():
            return "paid outside Stripe, recorded here"
        return f"marked paid on Stripe without a charge: nothing recorded, {STAFF_MUST_LOOK}"
    charge = payments_port().charge_get(account_id=account.stripe_account_id,
                                        charge_id=remote.charge_id)
    if charge.status != "succeeded":
        return f"charge {charge.id} is {charge.status}: nothing to record"
    payment, outcome = _payment_record(invoice=invoice, charge=charge, account=account,
                                       event=event)
    if payment is not None:
        # a refund event that came before this one found no payment to refund: catch up
        refunded = _refunds_sync(payment=payment, account=account, event=event)
        if refunded:
            outcome = f"{outcome}; {refunded}"
    return outcome


@webhook_handler("invoice.payment_failed")
def invoice_payment_failed(event: Event, account: PaymentAccount) -> str:
    """Nothing is written: a decline of our own card attempt was recorded by the attempt
    (charging.py: reason, retry schedule); a failure on the hosted page is the client's to
    retry there, so it is only noted here. Either way the invoice stays as it is."""
    remote, invoice, why = _located(event, account)
    if remote is None or invoice is None:
        return why
    attempt = (PaymentAttempt.objects.filter(practice_id=invoice.practice_id, invoice=invoice)
               .exclude(outcome=AttemptOutcome.SUCCEEDED).order_by("-number").first())
    if attempt is not None and abs(attempt.created_at - event.created) <= ATTEMPT_WINDOW:
        return (f"our card attempt {attempt.number} "
                f"({attempt.get_outcome_display().lower()}) recorded it: nothing new")
    return (f"a payment failed on Stripe's hosted page: noted, the invoice stays "
            f"{invoice.get_status_display()}")


# --- refunds ----------------------------------------------------------------------------------
def _refunds_sync(*, payment: InvoicePayment, account: PaymentAccount, event: Event) -> str:
    """Record each succeeded refund of the payment's charge not recorded yet (ours, made
    from Oasys, are found by their Stripe id inside `refund_from_stripe_record`)."""
    refunds = payments_port().refund_list(account_id=account.stripe_account_id,
                                          charge_id=payment.stripe_charge_id)
    # recorded and posted; a row of ours still pending is completed by the call below
    known = set(InvoiceRefund.objects.filter(practice_id=payment.practice_id,
                                             payment=payment, status=RefundStatus.SUCCEEDED)
                .exclude(stripe_refund_id="").values_list("stripe_refund_id", flat=True))
    recorded: list[str] = []
    unsettled: list[str] = []
    for refund in reversed(refunds):  # oldest first, as they happened
        if refund.status != "succeeded":
            if refund.id in known and refund.status in ("failed", "canceled"):
                unsettled.append(f"refund {refund.id} is {refund.status} on Stripe after it "
                                 f"was recorded: {STAFF_MUST_LOOK}")
            continue
        if refund.id in known:
            continue
        row = refund_from_stripe_record(invoice=payment.invoice, stripe_refund_id=refund.id,
                                        charge_id=payment.stripe_charge_id,
                                        amount=refund.amount, ctx=_ctx(account),
                                        source=_source(event))
        recorded.append(f"refund {refund.id} of {row.amount} recorded")
    return "; ".join(recorded + unsettled)


def _charge_id_of(event: Event) -> str:
    obj = event.object
    if obj.get("object") == "charge":
        return _id_of(obj.get("id"))
    return _id_of(obj.get("charge"))  # a refund


@webhook_handler("charge.refunded", "charge.refund.updated", "refund.created",
                 "refund.updated")
def charge_refunds_changed(event: Event, account: PaymentAccount) -> str:
    charge_id = _charge_id_of(event)
    if not charge_id:
        return "no charge named: ignored"
    payment = (InvoicePayment.objects.select_related("invoice")
               .filter(practice_id=account.practice_id)
               .filter(Q(key=stripe_payment_key(charge_id)) | Q(stripe_charge_id=charge_id))
               .first())
    if payment is None:
        # not an invoice's charge, or its payment is not recorded yet: invoice.paid records
        # the payment and its refunds together
        return f"no payment of this practice for charge {charge_id}: nothing to record"
    try:
        outcome = _refunds_sync(payment=payment, account=account, event=event)
    except NotFoundError:
        return f"charge {charge_id} not on this account: ignored"
    return outcome or f"refunds of {charge_id} already recorded"


# --- the invoice's own moves ------------------------------------------------------------------
@webhook_handler("invoice.finalized")
def invoice_finalized(event: Event, account: PaymentAccount) -> str:
    remote, invoice, why = _located(event, account)
    if remote is None or invoice is None:
        return why
    if remote.status == "draft":
        return "Stripe has it draft now: nothing to do"
    if invoice.status == S.SENDING:
        opened = _opened_if_finalized(invoice=invoice, remote=remote, account=account,
                                      event=event)
        return f"delivered on Stripe: {opened.get_status_display()}"
    if remote.hosted_invoice_url and not invoice.hosted_invoice_url:
        # not a status: the page Stripe made, for the invoice's screen and emails
        Invoice.objects.filter(pk=invoice.pk, hosted_invoice_url="").update(
            hosted_invoice_url=remote.hosted_invoice_url[:500])
        return f"hosted page stored ({invoice.get_status_display()} here)"
    return f"already {invoice.get_status_display()} here"


@webhook_handler("invoice.overdue")
def invoice_overdue(event: Event, account: PaymentAccount) -> str:
    remote, invoice, why = _located(event, account)
    if remote is None or invoice is None:
        return why
    if remote.status != "open":
        return f"Stripe has it {remote.status} now: not overdue"
    invoice = _opened_if_finalized(invoice=invoice, remote=remote, account=account,
                                   event=event)
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != S.OPEN:
            return f"{locked.get_status_display()} here: left as it is"
        INVOICE_MACHINE.transition(obj=locked, to=S.OVERDUE, ctx=_ctx(account),
                                   source=_source(event), reason="past due (Stripe)")
    return "Overdue"


@webhook_handler("invoice.voided")
def invoice_voided(event: Event, account: PaymentAccount) -> str:
    remote, invoice, why = _located(event, account)
    if remote is None or invoice is None:
        return why
    if remote.status != "void":
        return f"Stripe has it {remote.status} now: not void"
    if invoice.status == S.VOID:
        return "already Void"
    if invoice.status == S.PAID or invoice.payments.exists():
        # voiding here would give up money recorded as received
        log.warning("Stripe event %s: invoice %s voided on Stripe with a payment here",
                    event.id, invoice.pk)
        return f"voided on Stripe but a payment is recorded here: {STAFF_MUST_LOOK}"
    invoice = _opened_if_finalized(invoice=invoice, remote=remote, account=account,
                                   event=event)
    voided = invoice_void(invoice=invoice, ctx=_ctx(account), reason="voided on Stripe",
                          source=_source(event), from_stripe=True)
    return voided.get_status_display()


@webhook_handler("invoice.marked_uncollectible")
def invoice_marked_uncollectible(event: Event, account: PaymentAccount) -> str:
    remote, invoice, why = _located(event, account)
    if remote is None or invoice is None:
        return why
    if remote.status != "uncollectible":
        return f"Stripe has it {remote.status} now: not uncollectible"
    invoice = _opened_if_finalized(invoice=invoice, remote=remote, account=account,
                                   event=event)
    if invoice.status == S.UNCOLLECTIBLE:
        return "already Uncollectible"
    if invoice.status not in (S.OPEN, S.OVERDUE):
        return f"{invoice.get_status_display()} here: left as it is"
    marked = invoice_mark_uncollectible(invoice=invoice, ctx=_ctx(account),
                                        reason="marked uncollectible on Stripe",
                                        source=_source(event), from_stripe=True)
    return marked.get_status_display()
