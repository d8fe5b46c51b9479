"""Bulk send and resend (bulk.py): a batch holds the practice's invoices the action allows,
once each, and reports the rest as skipped with the reason; the run sends and delivers each
once, records per-item errors without stopping, and a run that crashed midway is resumed
without doing anything twice (also with two workers at once)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditEvent, SentEmail
from oasys.core.tests.threads import run_together
from oasys.invoices import bulk
from oasys.invoices.bulk import invoice_batch_run, invoice_batch_start
from oasys.invoices.models import (
    Invoice,
    InvoiceBatch,
    InvoiceBatchItem,
    InvoiceEvent,
    InvoiceStatus,
)
from oasys.invoices.services import invoice_create_standalone
from oasys.invoices.tests.helpers import invoice_opened

pytestmark = pytest.mark.django_db
S = InvoiceStatus


class Crash(BaseException):
    """A worker killed midway (not an error the batch records: it stops the run)."""


def _drafts(practice, n, *, email=True):
    out = []
    for i in range(n):
        client = f.make_client(practice, billing_type=BillingType.SELF_PAY,
                               **({} if email else {"email": ""}))
        out.append(invoice_create_standalone(
            practice=practice, client_id=client.pk, ctx=f.ctx_for(practice=practice),
            lines=[{"description": "Late cancellation fee",
                    "date": timezone.localdate().isoformat(), "amount": f"{40 + i}.00"}]))
    return out


def _start(practice, invoices, action="send", actor=None):
    return invoice_batch_start(practice=practice, invoice_ids=[i.pk for i in invoices],
                               action=action, ctx=f.ctx_for(practice=practice), actor=actor)


def _sends(invoices) -> Counter:
    """How many times each invoice went Draft -> Sending."""
    return Counter(InvoiceEvent.objects.filter(invoice__in=invoices, to_status=S.SENDING)
                   .values_list("invoice_id", flat=True))


def _emails(invoices) -> Counter:
    return Counter(SentEmail.objects.filter(object_type="Invoice",
                                            object_id__in=[str(i.pk) for i in invoices])
                   .values_list("object_id", flat=True))


def test_start_keeps_what_the_action_allows_and_skips_the_rest_with_the_reason(
        practice, owner, other_practice):
    drafts = _drafts(practice, 3)
    opened = invoice_opened(_drafts(practice, 1)[0])
    foreign = _drafts(other_practice, 1)[0]
    ids = [drafts[0].pk, drafts[1].pk, drafts[0].pk, str(drafts[2].pk), opened.pk, foreign.pk]
    batch = invoice_batch_start(practice=practice, invoice_ids=ids, action="send",
                                ctx=f.ctx_for(practice=practice), actor=owner)
    assert (batch.action, batch.total, batch.done, batch.failed) == ("send", 3, 0, 0)
    assert list(batch.items.values_list("invoice_id", flat=True)) == [d.pk for d in drafts]
    skipped = {s.invoice_id: s for s in batch.skipped}
    assert set(skipped) == {opened.pk, foreign.pk}
    assert skipped[opened.pk].number == opened.number
    assert "already been sent" in skipped[opened.pk].reason
    # nothing about another practice's invoice is told, not even its number
    assert skipped[foreign.pk].number == "" and "this practice" in skipped[foreign.pk].reason
    assert not InvoiceBatchItem.objects.filter(invoice=foreign).exists()
    assert AuditEvent.objects.filter(category="invoice_batch",
                                     object_id=str(batch.pk)).count() == 1
    # a resend batch keeps the unpaid ones only
    again = _start(practice, [*drafts, opened], action="resend")
    assert list(again.items.values_list("invoice_id", flat=True)) == [opened.pk]
    assert {s.invoice_id for s in again.skipped} == {d.pk for d in drafts}


@pytest.mark.parametrize(("ids", "action", "message"), [
    ([], "send", "at least one"),
    (["x"], "send", "ids"),
    ([1], "delete", "send or resend"),
])
def test_start_refuses_bad_input(practice, ids, action, message):
    with pytest.raises(InvalidInput, match=message):
        invoice_batch_start(practice=practice, invoice_ids=ids, action=action,
                            ctx=f.ctx_for(practice=practice))
    assert not InvoiceBatch.objects.exists()


def test_start_refuses_when_nothing_can_be_done(practice):
    opened = invoice_opened(_drafts(practice, 1)[0])
    with pytest.raises(InvalidInput, match="None of these invoices can be sent"):
        _start(practice, [opened])
    assert not InvoiceBatch.objects.exists()


def test_start_queues_the_run_on_commit(practice, owner):
    drafts = _drafts(practice, 2)
    with f.committed():
        batch = _start(practice, drafts, actor=owner)
    batch.refresh_from_db()
    assert (batch.done, batch.failed, batch.total) == (2, 0, 2)
    assert batch.finished_at is not None


def test_run_sends_and_delivers_each_invoice_once(practice, owner):
    drafts = _drafts(practice, 4)
    batch = _start(practice, drafts, actor=owner)
    result = invoice_batch_run(batch_id=batch.pk)
    assert (result.done, result.failed, result.total) == (4, 0, 4)
    assert result.finished_at is not None
    assert set(Invoice.objects.filter(pk__in=[d.pk for d in drafts])
               .values_list("status", flat=True)) == {S.OPEN}
    assert set(_sends(drafts).values()) == {1}
    assert set(_emails(drafts).values()) == {1}
    # the person who started the batch is on every move
    assert set(InvoiceEvent.objects.filter(invoice__in=drafts, to_status=S.SENDING)
               .values_list("actor_id", "source")) == {(owner.pk, "bulk send")}
    # running it again does nothing
    again = invoice_batch_run(batch_id=batch.pk)
    assert (again.done, again.failed) == (4, 0)
    assert set(_sends(drafts).values()) == {1} and set(_emails(drafts).values()) == {1}


def test_an_item_that_fails_is_recorded_and_the_batch_goes_on(practice, monkeypatch):
    drafts = _drafts(practice, 3)
    real = bulk.invoice_send

    def flaky(*, invoice, **kw):
        if invoice.pk == drafts[1].pk:
            raise RuntimeError("stripe exploded")
        return real(invoice=invoice, **kw)

    monkeypatch.setattr(bulk, "invoice_send", flaky)
    batch = _start(practice, drafts)
    # meanwhile someone sent the third one by hand: its item fails with the machine's reason
    real(invoice=drafts[2], ctx=f.ctx_for(practice=practice))
    result = invoice_batch_run(batch_id=batch.pk)
    assert (result.done, result.failed) == (1, 2)
    errors = dict(InvoiceBatchItem.objects.filter(batch=batch)
                  .values_list("invoice_id", "error"))
    assert errors[drafts[0].pk] == ""
    assert "RuntimeError" in errors[drafts[1].pk] and "stripe exploded" not in \
        errors[drafts[1].pk]
    assert "already been sent" in errors[drafts[2].pk]
    assert Invoice.objects.get(pk=drafts[1].pk).status == S.DRAFT  # rolled back alone
    assert result.finished_at is not None


def test_an_undeliverable_invoice_fails_with_the_delivery_error(practice):
    good = _drafts(practice, 1)
    bad = _drafts(practice, 1, email=False)
    batch = _start(practice, [*good, *bad])
    result = invoice_batch_run(batch_id=batch.pk)
    assert (result.done, result.failed) == (1, 1)
    item = InvoiceBatchItem.objects.get(batch=batch, invoice=bad[0])
    assert item.error and item.done_at is not None
    assert Invoice.objects.get(pk=good[0].pk).status == S.OPEN


@pytest.mark.parametrize("where", ["send", "deliver"])
def test_a_crash_midway_is_resumed_without_doubles(practice, monkeypatch, where):
    drafts = _drafts(practice, 5)
    batch = _start(practice, drafts)
    name = "invoice_send" if where == "send" else "invoice_deliver"
    real = getattr(bulk, name)
    calls = {"n": 0}

    def dies_on_the_third(**kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise Crash
        return real(**kw)

    monkeypatch.setattr(bulk, name, dies_on_the_third)
    with pytest.raises(Crash):
        invoice_batch_run(batch_id=batch.pk)
    done = InvoiceBatchItem.objects.filter(batch=batch, done_at__isnull=False).count()
    # died in the send: the third item rolled back with it; in the delivery: it was done
    assert done == (2 if where == "send" else 3)
    assert InvoiceBatch.objects.get(pk=batch.pk).finished_at is None
    monkeypatch.setattr(bulk, name, real)
    result = invoice_batch_run(batch_id=batch.pk)
    assert result.total == 5 and result.done + result.failed == 5
    assert result.finished_at is not None
    assert set(_sends(drafts).values()) == {1}
    assert InvoiceBatchItem.objects.filter(batch=batch, done_at__isnull=True).count() == 0
    if where == "send":
        assert set(_emails(drafts).values()) == {1}
        assert result.done == 5
    else:  # the one whose delivery died stays Sending for the sending sweep
        third = drafts[2]
        assert Invoice.objects.get(pk=third.pk).status == S.SENDING
        assert _emails([d for d in drafts if d.pk != third.pk]) == \
            Counter({str(d.pk): 1 for d in drafts if d.pk != third.pk})


def test_resend_sends_one_reminder_each(practice, owner):
    opened = [invoice_opened(d) for d in _drafts(practice, 3)]
    before = _emails(opened)
    batch = _start(practice, opened, action="resend", actor=owner)
    result = invoice_batch_run(batch_id=batch.pk)
    assert (result.done, result.failed) == (3, 0)
    after = _emails(opened)
    assert all(after[str(i.pk)] == before[str(i.pk)] + 1 for i in opened)
    invoice_batch_run(batch_id=batch.pk)
    assert _emails(opened) == after
    assert all(i.status == S.OPEN for i in Invoice.objects.filter(pk__in=[o.pk for o in opened]))


def test_queries_per_invoice_do_not_grow_with_the_batch(practice):
    """The run's own reads are per chunk, not per invoice: the queries per invoice for 20
    invoices are no more than for 5 (what remains per invoice is the send itself)."""
    def per_invoice(n):
        batch = _start(practice, _drafts(practice, n))
        with CaptureQueriesContext(connection) as q:
            invoice_batch_run(batch_id=batch.pk)
        return len(q.captured_queries) / n

    small, large = per_invoice(5), per_invoice(20)
    assert large <= small


def test_two_workers_at_once_do_each_item_once(practice, threads_share_the_database):
    drafts = _drafts(practice, 6)
    batch = _start(practice, drafts)
    mail.outbox = []
    results, errors = run_together(lambda: invoice_batch_run(batch_id=batch.pk).pk)
    assert not errors, errors
    assert set(_sends(drafts).values()) == {1}
    assert set(_emails(drafts).values()) == {1}
    batch.refresh_from_db()
    assert (batch.done + batch.failed, batch.total) == (6, 6)
