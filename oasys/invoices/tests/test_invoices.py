"""Session invoices: Draft with one line, numbering, once per session, and client balance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.billing.tests import factories as f
from oasys.core.formats import date_text
from oasys.core.models import AuditEvent
from oasys.invoices.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from oasys.invoices.services import AlreadyInvoiced, invoice_create_for_session
from oasys.invoices.tests.helpers import invoice_opened
from oasys.ledger.models import JournalEntry
from oasys.ledger.selectors import client_balance, invoice_figures_one
from oasys.ledger.services import (
    ledger_post_client_payment,
    ledger_post_client_write_off,
    ledger_reverse,
)

pytestmark = pytest.mark.django_db


def _invoice(practice, appt, amount="130.00", cpt="90834", actor=None):
    return invoice_create_for_session(practice=practice, appointment_id=appt.pk,
                                      amount=Decimal(amount), cpt=cpt,
                                      ctx=f.ctx_for(practice=practice), actor=actor)


def _opened(practice, appt, amount="130.00"):
    return invoice_opened(_invoice(practice, appt, amount=amount))


def test_invoice_for_session_is_a_draft_with_one_line(practice, owner):
    appt = f.self_pay_session(practice, days_ago=2)
    audits = AuditEvent.objects.count()
    invoice = _invoice(practice, appt, actor=owner)
    invoice.refresh_from_db()
    today = timezone.localdate()
    day = today - dt.timedelta(days=2)
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.kind == InvoiceKind.SESSION
    assert invoice.number == "INV-000001"
    assert invoice.client_id == appt.client_id
    assert (invoice.issue_date, invoice.due_date) == (today, today + dt.timedelta(days=14))
    # a Draft bills its lines' total; it is charged to the client when it opens
    assert invoice.total == Decimal("130.00")
    assert invoice_figures_one(practice=practice, invoice=invoice).balance == Decimal("0.00")
    assert not JournalEntry.objects.filter(invoice=invoice).exists()
    assert invoice.created_by_id == owner.pk
    lines = list(invoice.lines.all())
    assert len(lines) == 1
    line = lines[0]
    assert (line.appointment_id, line.amount, line.cpt_code, line.service_date) == (
        appt.pk, Decimal("130.00"), "90834", day)
    assert line.description == f"{appt.service_type.name} on {date_text(day)}"
    # the invoice (no journal entry yet)
    assert AuditEvent.objects.count() == audits + 1
    invoice_opened(invoice)
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice_figures_one(practice=practice, invoice=invoice).balance == Decimal("130.00")
    assert JournalEntry.objects.get(invoice=invoice).entry_type == "charge"


def test_no_show_invoice_is_a_fee_without_cpt(practice):
    appt = f.self_pay_session(practice, status=AppointmentStatus.NO_SHOW, days_ago=1)
    invoice = _invoice(practice, appt, amount="75")
    line = invoice.lines.get()
    day = timezone.localdate() - dt.timedelta(days=1)
    assert line.description == f"No-show fee on {date_text(day)}"
    assert line.cpt_code == ""
    assert (invoice.total, line.amount) == (Decimal("75.00"), Decimal("75.00"))


def test_invoice_numbers_run_in_sequence_per_practice(practice, other_practice):
    numbers = [_invoice(practice, f.self_pay_session(practice)).number for _ in range(3)]
    assert numbers == ["INV-000001", "INV-000002", "INV-000003"]
    assert _invoice(other_practice, f.self_pay_session(other_practice)).number == "INV-000001"


def test_second_invoice_for_the_same_session_is_refused(practice):
    appt = f.self_pay_session(practice)
    _invoice(practice, appt)
    with pytest.raises(AlreadyInvoiced):
        _invoice(practice, appt)
    assert Invoice.objects.count() == 1
    assert InvoiceLine.objects.count() == 1


def test_refused_invoice_does_not_burn_a_number(practice):
    appt = f.self_pay_session(practice)
    _invoice(practice, appt)
    with pytest.raises(AlreadyInvoiced):
        _invoice(practice, appt)
    assert _invoice(practice, f.self_pay_session(practice)).number == "INV-000002"


def test_amount_is_rounded_to_cents(practice):
    invoice = _invoice(practice, f.self_pay_session(practice), amount="99.995")
    invoice.refresh_from_db()
    assert invoice.total == Decimal("100.00")


def test_cannot_invoice_another_practices_session(practice, other_practice):
    other = f.self_pay_session(other_practice)
    with pytest.raises(Appointment.DoesNotExist):
        _invoice(practice, other)


def test_client_balance_sums_outstanding_invoices(practice, other_practice):
    """The one client balance is the journal's: a payment, a void (the charge reversed), a
    payment in full and an uncollectible write-off each leave only what is owed."""
    ctx = f.ctx_for(practice=practice)
    appt = f.self_pay_session(practice)
    client = appt.client
    st, clin = appt.service_type, appt.clinician

    def session(days_ago):
        return f.make_appointment(practice, client=client, clinician=clin, service_type=st,
                                  days_ago=days_ago)

    assert client_balance(practice=practice, client_id=client.pk) == Decimal("0.00")
    _opened(practice, appt, amount="130.00")
    partly = _opened(practice, session(5), amount="80.00")
    ledger_post_client_payment(invoice=partly, amount=Decimal("30.00"), reference="pay-1",
                               ctx=ctx)
    Invoice.objects.filter(pk=partly.pk).update(status=InvoiceStatus.OPEN)
    for status in (InvoiceStatus.VOID, InvoiceStatus.PAID, InvoiceStatus.UNCOLLECTIBLE):
        inv = _opened(practice, session(6 + len(status)), amount="500.00")
        Invoice.objects.filter(pk=inv.pk).update(status=status)
        if status == InvoiceStatus.VOID:
            ledger_reverse(entry=JournalEntry.objects.get(invoice=inv, entry_type="charge"),
                           reason="voided", ctx=ctx)
        elif status == InvoiceStatus.PAID:
            ledger_post_client_payment(invoice=inv, amount=Decimal("500.00"),
                                       reference="pay-2", ctx=ctx)
        else:
            ledger_post_client_write_off(invoice=inv, amount=Decimal("500.00"),
                                         reason="uncollectible", ctx=ctx)
    overdue = _opened(practice, session(20), amount="10.00")
    Invoice.objects.filter(pk=overdue.pk).update(status=InvoiceStatus.OVERDUE)
    _opened(practice, f.self_pay_session(practice), amount="999.00")  # another client

    assert client_balance(practice=practice, client_id=client.pk) == Decimal("190.00")
    assert client_balance(practice=other_practice, client_id=client.pk) == Decimal("0.00")
