"""The demo's invoices (seed_demo_payments, on the in-memory fake): Serenity has invoices in
all seven statuses made through the services, with payments by card and by check, a refund
and a declined card; every client's balance is the journal's, and the AR aging report agrees;
seeding again changes nothing."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

import pytest

from oasys.core.models import Practice
from oasys.demo.seed import seed_demo, seed_demo_payments
from oasys.invoices.models import (
    AttemptOutcome,
    Invoice,
    InvoiceEvent,
    InvoicePayment,
    InvoiceRefund,
    InvoiceStatus,
    PaymentAttempt,
    RefundStatus,
)
from oasys.ledger.selectors import ar_aging, client_balance, invoice_figures

pytestmark = pytest.mark.django_db


def _seeded():
    seed_demo()
    result = seed_demo_payments()
    assert result.warning == ""
    return Practice.objects.get(slug="serenity"), result


def test_serenity_has_invoices_in_all_seven_statuses_made_by_the_services(payments):
    practice, result = _seeded()
    statuses = set(Invoice.objects.filter(practice=practice).values_list("status", flat=True))
    assert statuses == set(InvoiceStatus.values)
    assert {s for s, n in result.invoices.items() if n} == set(InvoiceStatus.values)
    # each got there by the machine: a Draft event first, then every move
    for invoice in Invoice.objects.filter(practice=practice):
        moves = list(invoice.events.values_list("from_status", "to_status"))
        assert moves[0] == ("", InvoiceStatus.DRAFT)
        assert moves[-1][1] == invoice.status
    # sent through Stripe (the fake here): everything past Sending has its Stripe copy
    delivered = Invoice.objects.filter(practice=practice).exclude(
        status__in=[InvoiceStatus.DRAFT, InvoiceStatus.SENDING])
    assert delivered.exists() and not delivered.filter(stripe_invoice_id="").exists()
    assert not Invoice.objects.filter(practice__slug="harbor").exists()


def test_the_payments_refund_and_decline_are_there(payments):
    practice, _ = _seeded()
    methods = set(InvoicePayment.objects.filter(practice=practice)
                  .values_list("method", flat=True))
    assert {"card", "check"} <= methods
    refund = InvoiceRefund.objects.get(practice=practice)
    assert (refund.status, refund.amount, refund.invoice.status) == (
        RefundStatus.SUCCEEDED, Decimal("50.00"), InvoiceStatus.PAID)
    assert refund.stripe_refund_id
    declined = PaymentAttempt.objects.get(practice=practice,
                                          outcome=AttemptOutcome.DECLINED)
    assert declined.reason and declined.invoice.status == InvoiceStatus.OPEN
    assert declined.invoice.decline_reason
    assert PaymentAttempt.objects.filter(
        practice=practice, outcome=AttemptOutcome.AUTHENTICATION_REQUIRED).exists()


def test_client_balances_are_the_journal_and_the_aging_report_agrees(payments):
    practice, _ = _seeded()
    invoices = list(Invoice.objects.filter(practice=practice))
    figures = invoice_figures(practice=practice, invoice_ids=[i.pk for i in invoices])
    owed_by_client: dict[int, Decimal] = defaultdict(Decimal)
    for invoice in invoices:
        owed_by_client[invoice.client_id] += figures[invoice.pk].balance
    for client_id, owed in owed_by_client.items():
        assert client_balance(practice=practice, client_id=client_id) == owed
    by_status = {i.status: figures[i.pk] for i in invoices}
    assert by_status[InvoiceStatus.PAID].balance <= 0
    assert by_status[InvoiceStatus.OPEN].balance > 0
    assert by_status[InvoiceStatus.OVERDUE].balance > 0
    for status in (InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE):
        assert by_status[status].balance == 0
    aging = ar_aging(practice=practice)
    rows = {r.invoice_id: r.amount for r in aging.rows if r.invoice_id}
    assert rows == {pk: f.balance for pk, f in figures.items() if f.balance}
    assert aging.client_total == sum((b for b in owed_by_client.values() if b > 0),
                                     Decimal("0"))
    # the overdue one ages past 30 days
    overdue = next(i for i in invoices if i.status == InvoiceStatus.OVERDUE)
    assert next(r for r in aging.rows if r.invoice_id == overdue.pk).bucket != \
        aging.buckets[0]


def test_seeding_again_changes_nothing(payments):
    practice, first = _seeded()
    before = (Invoice.objects.count(), InvoiceEvent.objects.count(),
              InvoicePayment.objects.count(), InvoiceRefund.objects.count(),
              PaymentAttempt.objects.count())
    calls = len(payments.calls)
    again = seed_demo_payments()
    assert again.invoices == first.invoices
    assert (Invoice.objects.count(), InvoiceEvent.objects.count(),
            InvoicePayment.objects.count(), InvoiceRefund.objects.count(),
            PaymentAttempt.objects.count()) == before
    assert not [name for name, _ in payments.calls[calls:] if name.endswith("_create")]
