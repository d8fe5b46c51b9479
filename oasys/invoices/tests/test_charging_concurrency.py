"""Two workers at once, with real threads, connections and commits (each thread's own
connection to the committed test database): a charge clicked twice or run by two
workers makes one charge and one payment, and two retry runs at the same moment make one
new attempt."""

from __future__ import annotations

import traceback

import pytest

from oasys.core.audit import AuditContext
from oasys.core.errors import Conflict
from oasys.core.tests.threads import run_together
from oasys.invoices.charging import invoice_card_charge, invoices_card_retries_run
from oasys.invoices.models import (
    AttemptOutcome,
    AttemptTrigger,
    Invoice,
    InvoicePayment,
    InvoiceStatus,
    PaymentAttempt,
)
from oasys.ledger.models import EntryType, JournalEntry

from .charging_world import cash_client, fake_account, fake_card_saved, open_invoice_on_stripe

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("threads_share_the_database")]

THREADS = 3


def _tracebacks(errors) -> str:
    return "\n".join("".join(traceback.format_exception(e)) for e in errors)


@pytest.fixture
def world(practice, owner, payments):
    ctx = AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)
    account = fake_account(practice, payments)
    client = cash_client(practice)
    return ctx, account, client


def test_a_charge_run_by_several_workers_at_once_charges_once(world, payments):
    ctx, account, client = world
    fake_card_saved(client, account, ctx, payments, card="visa")
    invoice = open_invoice_on_stripe(client, ctx)

    results, errors = run_together(n=THREADS, fn=lambda: invoice_card_charge(
        invoice=Invoice.objects.get(pk=invoice.pk), trigger=AttemptTrigger.STAFF,
        ctx=ctx).pk)

    # Each worker either ran the one attempt or was told the invoice is paid already.
    assert all(isinstance(e, Conflict) for e in errors), _tracebacks(errors)
    assert len(set(results)) == 1 and len(results) + len(errors) == THREADS
    assert PaymentAttempt.objects.count() == 1
    assert PaymentAttempt.objects.get().outcome == AttemptOutcome.SUCCEEDED
    succeeded = [c for c in payments.charges.values() if c.status == "succeeded"]
    assert len(succeeded) == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert InvoicePayment.objects.count() == 1
    assert JournalEntry.objects.filter(invoice_id=invoice.pk,
                                       entry_type=EntryType.CLIENT_PAYMENT).count() == 1


def test_two_retry_runs_at_once_make_one_new_attempt(world, payments):
    ctx, account, client = world
    fake_card_saved(client, account, ctx, payments, card="chargeCustomerFail")
    invoice = open_invoice_on_stripe(client, ctx)
    invoice_card_charge(invoice=invoice, trigger=AttemptTrigger.SEND, ctx=ctx)
    invoice.refresh_from_db()
    due = invoice.next_charge_at

    results, errors = run_together(n=THREADS, fn=lambda: invoices_card_retries_run(now=due))

    assert errors == [], _tracebacks(errors)
    assert sorted(results) == [0] * (THREADS - 1) + [1]
    assert list(PaymentAttempt.objects.order_by("number").values_list("trigger", "outcome")) \
        == [(AttemptTrigger.SEND, AttemptOutcome.DECLINED),
            (AttemptTrigger.RETRY, AttemptOutcome.DECLINED)]
    assert len([name for name, _ in payments.calls if name == "invoice_pay"]) == 2
