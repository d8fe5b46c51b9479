"""Writes for invoices. Delivery through Stripe comes with the payments work; here an invoice
is created as a Draft with its lines."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction

from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction, Practice, User
from oasys.core.money import money
from oasys.core.sequences import sequence_next
from oasys.core.timezones import practice_date, practice_today

from .models import Invoice, InvoiceKind, InvoiceLine

DUE_DAYS = 14


class AlreadyInvoiced(Exception):
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
    from oasys.appointments.models import Appointment, AppointmentStatus

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
                total=money(amount),
                created_by=actor,
            )
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
    except IntegrityError as exc:
        raise AlreadyInvoiced(f"Session {appt.pk} is already invoiced") from exc
    return invoice
