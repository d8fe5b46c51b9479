"""What one delivery costs (oasys/invoices/sending.py invoice_deliver), on the fake port: an
invoice emailed (no card on file; the client's Stripe customer made on the way) and one
charged to the card on file (the receipt emailed instead). The Stripe calls are pinned
exactly; the queries -- the whole delivery, with the emails' recording and sending run on
commit as in a worker -- have a ceiling at today's figure, so a read that comes back (a
second read of the lines, the figures, the profile or the account, a refresh) fails here.
Before this was measured: 99 queries (emailed) and 156 (charged), with an invoice_get
before the pay."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oasys.billing.tests.factories import committed
from oasys.core.audit import AuditContext
from oasys.core.models import SentEmail
from oasys.invoices.models import AttemptOutcome, InvoiceStatus, PaymentAttempt
from oasys.invoices.sending import invoice_deliver, invoice_send
from oasys.invoices.services import invoice_create_standalone

from .charging_world import cash_client, fake_account, fake_card_saved

pytestmark = pytest.mark.django_db

S = InvoiceStatus
EMAILED_QUERIES = 82
CHARGED_QUERIES = 137


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
    before = len(payments.calls)
    with CaptureQueriesContext(connection) as queries, committed():
        delivered = invoice_deliver(invoice_id=invoice.pk)
    return delivered, len(queries), [name for name, _ in payments.calls[before:]]


def _kinds(invoice):
    return sorted(SentEmail.objects.filter(object_type="Invoice", object_id=str(invoice.pk))
                  .values_list("kind", flat=True))


def test_an_emailed_invoice_costs_three_stripe_calls_and_at_most_82_queries(
        practice, ctx, payments):
    fake_account(practice, payments)
    invoice = _sending(cash_client(practice), ctx)
    delivered, queries, calls = _deliver(invoice, payments)
    assert delivered.status == S.OPEN and _kinds(invoice) == ["invoice"]
    assert calls == ["customer_create", "invoice_create", "invoice_finalize"]
    assert queries <= EMAILED_QUERIES


def test_a_card_charged_invoice_costs_four_stripe_calls_and_at_most_137_queries(
        practice, ctx, payments):
    account = fake_account(practice, payments)
    client = cash_client(practice)
    fake_card_saved(client, account, ctx, payments)
    invoice = _sending(client, ctx)
    delivered, queries, calls = _deliver(invoice, payments)
    assert delivered.status == S.PAID and _kinds(invoice) == ["receipt"]
    [attempt] = PaymentAttempt.objects.filter(invoice=invoice)
    assert attempt.outcome == AttemptOutcome.SUCCEEDED
    # no read of Stripe's copy before the pay: finalize answered it a moment ago
    assert calls == ["invoice_create", "invoice_finalize", "invoice_pay", "charge_get"]
    assert queries <= CHARGED_QUERIES


def test_an_invoice_found_open_reads_stripes_copy_before_paying(practice, ctx, payments):
    """Without a copy from this run (the invoice was opened by a webhook, or by a worker that
    died after), the charge reads Stripe's copy first, as before."""
    account = fake_account(practice, payments)
    client = cash_client(practice)
    fake_card_saved(client, account, ctx, payments)
    invoice = _sending(client, ctx)
    payments.fail_next("invoice_pay", RuntimeError("the worker dies in the pay call"))
    with pytest.raises(RuntimeError), committed():
        invoice_deliver(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.status == S.OPEN  # opened, its attempt pending
    delivered, _, calls = _deliver(invoice, payments)
    assert delivered.status == S.PAID and _kinds(invoice) == ["receipt"]
    assert calls == ["invoice_get", "invoice_pay", "charge_get"]
    assert PaymentAttempt.objects.get(invoice=invoice).outcome == AttemptOutcome.SUCCEEDED
