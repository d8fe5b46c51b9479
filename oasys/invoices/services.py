"""Writes for invoices. Delivery through Stripe comes with the payments work; here an invoice
is created as a Draft with its lines."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, InvalidInput, NotAllowed
from oasys.core.models import AuditAction, Practice, User
from oasys.core.money import money
from oasys.core.sequences import sequence_next
from oasys.core.timezones import practice_date, practice_today
from oasys.ledger.services import ledger_post_client_share_invoiced, ledger_post_invoice_charge

from .machine import INVOICE_MACHINE
from .models import Invoice, InvoiceKind, InvoiceLine

DUE_DAYS = 14


class AlreadyInvoiced(Conflict):
    pass


def invoice_number_next(*, practice: Practice) -> str:
    return f"INV-{sequence_next(name=f'invoice:{practice.pk}'):06d}"


def invoice_create_for_session(
    *,
    practice: Practice,
    appointment_id: int,
    amount: Decimal,
    cpt: str,
    ctx: AuditContext,
    actor: User | None = None,
) -> Invoice:
    """A Draft invoice for one session (cash pay or no-show). Refused if already invoiced."""
    appt = Appointment.objects.select_related("client", "service_type").get(
        practice=practice, pk=appointment_id
    )
    day = practice_date(appt.start, practice)
    what = "No-show fee" if appt.status == AppointmentStatus.NO_SHOW else appt.service_type.name
    today = practice_today(practice)
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                practice=practice,
                client=appt.client,
                number=invoice_number_next(practice=practice),
                kind=InvoiceKind.SESSION,
                issue_date=today,
                due_date=today + timedelta(days=DUE_DAYS),
                created_by=actor,
            )
            INVOICE_MACHINE.record_created(obj=invoice, actor=actor, source="invoices",
                                           reason="created")
            InvoiceLine.objects.create(
                practice=practice,
                invoice=invoice,
                appointment=appt,
                description=f"{what} on {day:%b %d, %Y}",
                service_date=day,
                cpt_code=cpt if appt.status != AppointmentStatus.NO_SHOW else "",
                amount=money(amount),
            )
            audit_record(
                ctx=ctx, action=AuditAction.CREATE, category="invoice",
                client_id=appt.client_id, object_type="Invoice", object_id=invoice.pk,
            )
            ledger_post_invoice_charge(invoice=invoice, amount=money(amount), ctx=ctx,
                                       actor=actor)
    except IntegrityError as exc:
        raise AlreadyInvoiced(f"Session {appt.pk} is already invoiced") from exc
    return invoice


def invoice_create_for_client_responsibility(
    *, practice: Practice, remittance_claim, amount: Decimal, ctx: AuditContext,
    actor: User | None = None
) -> Invoice:
    """A Draft invoice for exactly the client's share that an ERA claim leaves (deductible,
    copay, coinsurance), once per remittance claim (a unique key on the line refuses a second,
    under concurrency too). Raises AlreadyInvoiced, or ValidationError when nothing is due.

    `amount` is that share still to invoice, as remittance works it out (it builds on
    invoices): call it through remittance.services.remittance_claim_invoice_create."""
    rc = remittance_claim
    if rc.practice_id != practice.pk:
        raise NotAllowed("This remittance claim belongs to another practice")
    if InvoiceLine.objects.filter(remittance_claim=rc).exists():
        raise AlreadyInvoiced(f"Remittance claim {rc.pk} is already invoiced")
    if amount <= 0 or rc.claim_id is None:
        raise InvalidInput("This ERA claim leaves the client nothing to invoice.")
    claim = rc.claim
    today = practice_today(practice)
    day = claim.service_date
    line = claim.lines.order_by("line_number").first()
    payer = rc.remittance.payer_name or "your insurance"
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                practice=practice,
                client_id=claim.client_id,
                number=invoice_number_next(practice=practice),
                kind=InvoiceKind.CLIENT_RESPONSIBILITY,
                issue_date=today,
                due_date=today + timedelta(days=DUE_DAYS),
                created_by=actor,
            )
            INVOICE_MACHINE.record_created(obj=invoice, actor=actor, source="invoices",
                                           reason="created")
            InvoiceLine.objects.create(
                practice=practice,
                invoice=invoice,
                remittance_claim=rc,
                description=f"Your share after {payer} for the session on {day:%b %d, %Y}"[:200],
                service_date=day,
                cpt_code=line.procedure_code if line else "",
                amount=money(amount),
            )
            audit_record(
                ctx=ctx, action=AuditAction.CREATE, category="invoice",
                client_id=claim.client_id, object_type="Invoice", object_id=invoice.pk,
                detail={"kind": InvoiceKind.CLIENT_RESPONSIBILITY, "remittance_claim": rc.pk},
            )
            ledger_post_client_share_invoiced(invoice=invoice, claim=claim, amount=amount,
                                              ctx=ctx, actor=actor)
    except IntegrityError as exc:
        raise AlreadyInvoiced(f"Remittance claim {rc.pk} is already invoiced") from exc
    return invoice
