"""Two deliveries of the same event at the same moment (Stripe retrying while the first is
still being answered, or two web processes) make one row, and its handler runs once: the
unique event id settles it, and the row lock keeps two workers from processing it together.

Real threads, real connections, real commits. On PostgreSQL each thread has its own session
(the second insert waits on the unique index, then fails and finds the first row). On SQLite
the in-memory test database is copied to a file first, as in claims/tests/test_concurrency.py
(an in-memory shared-cache database fails at once on a lock instead of waiting)."""

from __future__ import annotations

import threading
import traceback

import pytest

from oasys.core.tests.threads import run_together
from oasys.payments import webhooks
from oasys.payments.models import StripeWebhookEvent, StripeWebhookStateEvent, WebhookEventState
from oasys.payments.webhooks import stripe_event_process, stripe_event_receive

from .webhook_support import connected_account, recording, registry

pytestmark = [pytest.mark.django_db(transaction=True),
              pytest.mark.usefixtures("threads_share_the_database")]

TYPE = "oasys_test.thing_changed"
THREADS = 4




def _tracebacks(errors) -> str:
    return "\n".join("".join(traceback.format_exception(e)) for e in errors)


def test_simultaneous_deliveries_of_one_event_store_it_once_and_run_it_once(payments):
    account = connected_account(payments)
    calls: list = []
    lock = threading.Lock()

    def handler(event, acct):
        with lock:
            calls.append(event.id)
        return "done"

    event = payments.event_emit(TYPE, account.stripe_account_id, {"id": "th_1"})
    body, header = payments.signed(event)
    with registry() as reg:
        reg.add(TYPE, handler)
        # each delivery commits, and its on-commit kick runs the task inline (eager Celery)
        results, errors = run_together(n=THREADS, fn=
            lambda: stripe_event_receive(payload=body, signature=header).pk)

    assert errors == [], _tracebacks(errors)
    assert len(set(results)) == 1 and len(results) == THREADS
    assert StripeWebhookEvent.objects.filter(event_id=event.id).count() == 1
    row = StripeWebhookEvent.objects.get(event_id=event.id)
    assert (row.state, row.attempts) == (WebhookEventState.PROCESSED, 1)
    assert calls == [event.id]
    assert StripeWebhookStateEvent.objects.filter(webhook_event=row).count() == 2


def test_workers_processing_one_event_together_run_its_handler_once(payments, monkeypatch):
    account = connected_account(payments)
    calls: list = []
    # no kick after commit: the stored event is left for the racing workers
    monkeypatch.setattr(webhooks, "stripe_event_enqueue", lambda *, event_id: None)
    with registry() as reg:
        reg.add(TYPE, recording(calls))
        body, header = payments.signed(
            payments.event_emit(TYPE, account.stripe_account_id, {}))
        row = stripe_event_receive(payload=body, signature=header)
        assert StripeWebhookEvent.objects.get(pk=row.pk).state == WebhookEventState.RECEIVED

        results, errors = run_together(
            n=THREADS, fn=lambda: stripe_event_process(event_id=row.pk).state)
    assert errors == [], _tracebacks(errors)
    assert len(calls) == 1
    assert StripeWebhookEvent.objects.get(pk=row.pk).attempts == 1
    # a worker that found the row held (PostgreSQL skips it) saw it still received; the
    # others saw it processed: none ran it a second time
    assert WebhookEventState.PROCESSED in results
    assert set(results) <= {WebhookEventState.PROCESSED, WebhookEventState.RECEIVED}
