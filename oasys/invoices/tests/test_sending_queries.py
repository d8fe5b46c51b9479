"""What one delivery costs in queries and Stripe calls (oasys/invoices/sending.py
invoice_deliver), on the fake port: an invoice emailed (no card on file) and one charged to
the card on file (the receipt emailed). Pins the figures so an extra read or call in the
delivery shows up here."""

from __future__ import annotations

import collections
import os
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oasys.billing.tests.factories import committed
from oasys.core.audit import AuditContext
from oasys.invoices.models import InvoiceStatus
from oasys.invoices.sending import invoice_deliver, invoice_send
from oasys.invoices.services import invoice_create_standalone

from .charging_world import cash_client, fake_account, fake_card_saved

pytestmark = pytest.mark.django_db

S = InvoiceStatus


@pytest.fixture
def ctx(owner):
    return AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=owner.practice_id)


def _sending(client, ctx):
    invoice = invoice_create_standalone(
        practice=client.practice, client_id=client.pk, ctx=ctx,
        lines=[{"description": "Session fee", "date": timezone.localdate(), "amount": "90.00"}])
    invoice_send(invoice=invoice, ctx=ctx)  # no commit: the delivery is not run
    return invoice


def _deliver(invoice, payments):
    calls = len(payments.calls)
    with CaptureQueriesContext(connection) as queries, committed():
        delivered = invoice_deliver(invoice_id=invoice.pk)
    if os.environ.get("QDUMP"):
        tables = collections.Counter()
        for q in queries.captured_queries:
            m = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', q["sql"])
            tables[(q["sql"].split()[0], m.group(1) if m else "?")] += 1
        for k, v in sorted(tables.items(), key=lambda kv: -kv[1]):
            print(v, *k)
        for q in queries.captured_queries:
            print("  ", q["sql"][:220])
        print([name for name, _ in payments.calls[calls:]])
    return delivered, len(queries), [name for name, _ in payments.calls[calls:]]


def test_an_emailed_invoice_costs(practice, ctx, payments):
    fake_account(practice, payments)
    invoice = _sending(cash_client(practice), ctx)
    delivered, queries, calls = _deliver(invoice, payments)
    assert delivered.status == S.OPEN
    print("emailed", queries, calls)


def test_a_card_charged_invoice_costs(practice, ctx, payments):
    account = fake_account(practice, payments)
    client = cash_client(practice)
    fake_card_saved(client, account, ctx, payments)
    invoice = _sending(client, ctx)
    delivered, queries, calls = _deliver(invoice, payments)
    assert delivered.status == S.PAID
    print("card", queries, calls)
