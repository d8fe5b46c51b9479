"""Receiving and processing Stripe webhook events with the fake (`webhooks.py`): stored
once under Stripe's event id, processed by the task queued on commit, bad signatures store
nothing, unknown types and accounts are acknowledged and change nothing, failures are
retried by the sweeper with back-off and never lost."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import time

import pytest
from django.utils import timezone

from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditEvent
from oasys.core.services import practice_create
from oasys.payments.models import (
    PaymentAccount,
    StripeWebhookEvent,
    StripeWebhookStateEvent,
    WebhookEventState,
)
from oasys.payments.port import RetryableError
from oasys.payments.webhooks import (
    stripe_event_process,
    stripe_event_receive,
    stripe_event_retry,
    stripe_events_sweep,
)

from .webhook_support import connected_account, deliver, recording, registry

pytestmark = pytest.mark.django_db

W = WebhookEventState
TYPE = "oasys_test.thing_changed"  # a type no real handler takes


@pytest.fixture
def reg():
    with registry() as r:
        yield r


@pytest.fixture
def account(payments):
    return connected_account(payments)


@pytest.fixture
def calls(reg):
    out: list = []
    reg.add(TYPE, recording(out, outcome="thing synced"))
    return out


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Deliveries inside this run their on-commit kick (the Celery task, eager in tests)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_signed_event_is_stored_then_processed_on_commit(payments, account, calls,
                                                           run_on_commit):
    event = payments.event_emit(TYPE, account.stripe_account_id, {"id": "th_1"})
    with run_on_commit():
        row = deliver(payments, event)
    row.refresh_from_db()
    assert (row.event_id, row.type, row.account_id) == (event.id, TYPE,
                                                        account.stripe_account_id)
    assert row.practice_id == account.practice_id
    assert row.payload == event.raw
    assert row.created == event.created
    assert (row.state, row.attempts, row.outcome) == (W.PROCESSED, 1, "thing synced")
    assert row.processed_at is not None
    assert calls == [(event.id, account.practice_id)]
    # the machine recorded both moves, and the audit log has them under the practice
    assert list(StripeWebhookStateEvent.objects.filter(webhook_event=row)
                .values_list("from_status", "to_status")) == [("", W.RECEIVED),
                                                              (W.RECEIVED, W.PROCESSED)]
    assert AuditEvent.objects.filter(category="stripe_webhook_event",
                                     practice_id_ref=account.practice_id).count() == 2


def test_nothing_runs_before_commit(payments, account, calls, django_capture_on_commit_callbacks):
    event = payments.event_emit(TYPE, account.stripe_account_id, {"id": "th_1"})
    with django_capture_on_commit_callbacks() as kicks:
        row = deliver(payments, event)
        assert calls == []
    assert len(kicks) == 1 and calls == []
    assert StripeWebhookEvent.objects.get(pk=row.pk).state == W.RECEIVED


def _tampered(payments, event):
    body, header = payments.signed(event)
    return body.replace(b'"th_1"', b'"th_2"'), header


@pytest.mark.parametrize("make", [
    pytest.param(lambda f, e: (f.signed(e)[0], ""), id="missing"),
    pytest.param(lambda f, e: f.signed(e, secret="whsec_someone_else"), id="other-secret"),
    pytest.param(_tampered, id="tampered-body"),
    pytest.param(lambda f, e: f.signed(e, timestamp=int(time.time()) - 301), id="old"),
    pytest.param(lambda f, e: (f.signed(e)[0], "t=abc,v1=00"), id="garbage-header"),
    pytest.param(lambda f, e: (b"", f.signed(e)[1]), id="empty-body"),
])
def test_a_bad_signature_stores_nothing_and_runs_nothing(payments, account, calls, make,
                                                         run_on_commit):
    event = payments.event_emit(TYPE, account.stripe_account_id, {"id": "th_1"})
    body, header = make(payments, event)
    with run_on_commit(), pytest.raises(InvalidInput):
        stripe_event_receive(payload=body, signature=header)
    assert StripeWebhookEvent.objects.count() == 0
    assert calls == []


def _signature(payments, body: bytes) -> str:
    t = int(time.time())
    v1 = hmac.new(payments.webhook_secret.encode(), f"{t}.".encode() + body,
                  hashlib.sha256).hexdigest()
    return f"t={t},v1={v1}"


@pytest.mark.parametrize("body", [b"[]", b'"evt_1"', b"{}", b'{"id": "evt_1"}',
                                  b"\xff\xfe not json", b'{"id": "evt_1", "object": "charge"}'])
def test_a_signed_body_that_is_not_an_event_stores_nothing(payments, body):
    with pytest.raises(InvalidInput):
        stripe_event_receive(payload=body, signature=payments.signed({})[1])
    with pytest.raises(InvalidInput):  # even with a good signature over this very body
        stripe_event_receive(payload=body, signature=_signature(payments, body))
    assert StripeWebhookEvent.objects.count() == 0


def test_a_replayed_delivery_is_one_row_and_one_run(payments, account, calls, run_on_commit):
    event = payments.event_emit(TYPE, account.stripe_account_id, {"id": "th_1"})
    body, header = payments.signed(event)
    with run_on_commit():
        first = stripe_event_receive(payload=body, signature=header)
    for _ in range(3):
        with run_on_commit():
            again = deliver(payments, event)  # re-signed later, as Stripe's retries are
        assert again.pk == first.pk
    assert StripeWebhookEvent.objects.count() == 1
    assert len(calls) == 1
    assert StripeWebhookEvent.objects.get().attempts == 1


def test_a_replay_of_an_event_whose_kick_was_lost_processes_it(payments, account, calls,
                                                              django_capture_on_commit_callbacks):
    event = payments.event_emit(TYPE, account.stripe_account_id, {"id": "th_1"})
    with django_capture_on_commit_callbacks(execute=False):
        deliver(payments, event)  # the kick is lost
    with django_capture_on_commit_callbacks(execute=True):
        row = deliver(payments, event)
    row.refresh_from_db()
    assert row.state == W.PROCESSED and len(calls) == 1


def test_an_unknown_type_is_acknowledged_and_ignored(payments, account, run_on_commit):
    event = payments.event_emit("oasys_test.nobody_handles_this", account.stripe_account_id,
                                {"id": "x_1"})
    with run_on_commit():
        row = deliver(payments, event)
    row.refresh_from_db()
    assert (row.state, row.outcome) == (W.IGNORED, "not handled")
    assert row.practice_id == account.practice_id


def test_an_unknown_account_changes_nothing_and_is_logged_without_phi(
        payments, account, calls, run_on_commit, caplog):
    before = list(PaymentAccount.objects.values())
    event = payments.event_emit(TYPE, "acct_nobody_knows", {
        "id": "cus_1", "object": "customer", "name": "Jane Q. Client",
        "email": "jane@client.example"})
    with run_on_commit(), caplog.at_level(logging.INFO, logger="oasys.payments"):
        row = deliver(payments, event)
    row.refresh_from_db()
    assert (row.state, row.outcome) == (W.IGNORED, "unknown account acct_nobody_knows")
    assert row.practice_id is None
    assert calls == []
    assert list(PaymentAccount.objects.values()) == before
    assert "acct_nobody_knows" in caplog.text and event.id in caplog.text
    assert "Jane" not in caplog.text and "jane@" not in caplog.text


def test_an_ignored_event_can_be_retried_once_its_account_is_known(payments, calls,
                                                                   run_on_commit):
    practice = practice_create(name="Late", slug="late")
    acct = payments.account_create(email="a@late.example", business_name="Late", metadata={},
                                   idempotency_key="late")
    event = payments.event_emit(TYPE, acct.id, {"id": "th_1"})
    with run_on_commit():
        row = deliver(payments, event)
    assert StripeWebhookEvent.objects.get(pk=row.pk).state == W.IGNORED
    PaymentAccount.objects.create(practice=practice, stripe_account_id=acct.id)
    row = stripe_event_retry(event_id=row.pk)
    assert (row.state, row.practice_id) == (W.PROCESSED, practice.pk)
    assert StripeWebhookEvent.objects.get(pk=row.pk).practice_id == practice.pk
    assert StripeWebhookStateEvent.objects.get(webhook_event=row,
                                               to_status=W.PROCESSED).practice_id == practice.pk
    assert calls == [(event.id, practice.pk)]
    with pytest.raises(Conflict):
        stripe_event_retry(event_id=row.pk)
    assert len(calls) == 1


def _raw(payments, account, **changes):
    raw = dict(payments.event_emit(TYPE, account.stripe_account_id, {"id": "th_1"}).raw)
    raw.update(changes)
    return raw


def test_a_live_event_at_a_test_install_is_ignored(payments, account, calls, run_on_commit):
    with run_on_commit():
        row = deliver(payments, _raw(payments, account, livemode=True))
    row.refresh_from_db()
    assert (row.state, row.outcome) == (W.IGNORED, "a live-mode event at a test-mode install")
    assert row.livemode is True and calls == []


def test_a_test_event_at_a_live_install_is_ignored(payments, account, calls, run_on_commit,
                                                   settings):
    settings.STRIPE_SECRET_KEY = "sk_live_not_a_real_key"  # noqa: S105 - a test value
    with run_on_commit():
        row = deliver(payments, _raw(payments, account))
    row.refresh_from_db()
    assert (row.state, row.outcome) == (W.IGNORED, "a test-mode event at a live-mode install")
    assert calls == []


def test_a_failing_handler_leaves_the_event_failed_then_the_sweeper_retries_it(
        payments, account, reg, run_on_commit, settings):
    settings.STRIPE_WEBHOOK_RETRY_BASE_SECONDS = 30
    calls: list = []
    failures = [RetryableError("Request timed out"), RuntimeError("boom")]
    reg.add(TYPE, recording(calls, fail=lambda: failures.pop(0) if failures else None))
    event = payments.event_emit(TYPE, account.stripe_account_id, {"id": "th_1"})
    with run_on_commit():
        row = deliver(payments, event)
    row.refresh_from_db()
    assert (row.state, row.attempts) == (W.FAILED, 1)
    assert row.outcome == "attempt 1 failed, will retry: RetryableError: Request timed out"
    first_due = row.next_attempt_at
    assert first_due is not None and first_due > timezone.now()

    # not due yet: the sweeper leaves it
    assert stripe_events_sweep()[W.FAILED] == 0
    assert len(calls) == 1
    # due: tried again, fails again, and waits twice as long
    counts = stripe_events_sweep(now=first_due + dt.timedelta(seconds=1))
    assert counts[W.FAILED] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts) == (W.FAILED, 2)
    assert row.outcome.startswith("attempt 2 failed, will retry: RuntimeError")
    assert row.next_attempt_at - timezone.now() > dt.timedelta(seconds=55)
    # then it succeeds
    counts = stripe_events_sweep(now=row.next_attempt_at + dt.timedelta(seconds=1))
    assert counts[W.PROCESSED] == 1
    row.refresh_from_db()
    assert (row.state, row.attempts, row.outcome, row.next_attempt_at) == (
        W.PROCESSED, 3, "done", None)
    assert len(calls) == 3
    # and is never run again
    assert stripe_events_sweep(now=timezone.now() + dt.timedelta(days=1)) == {
        W.PROCESSED: 0, W.IGNORED: 0, W.FAILED: 0, W.RECEIVED: 0}
    assert stripe_event_process(event_id=row.pk).state == W.PROCESSED
    assert len(calls) == 3


def test_a_failing_handler_leaves_none_of_its_writes(payments, account, reg, run_on_commit):
    def half_done(event, acct):
        PaymentAccount.objects.filter(pk=acct.pk).update(business_name="half written")
        raise RuntimeError("crashed half way")

    reg.add(TYPE, half_done)
    with run_on_commit():
        row = deliver(payments, payments.event_emit(TYPE, account.stripe_account_id, {}))
    assert StripeWebhookEvent.objects.get(pk=row.pk).state == W.FAILED
    assert PaymentAccount.objects.get(pk=account.pk).business_name == ""


def test_the_sweeper_gives_up_after_the_limit_and_leaves_the_reason(
        payments, account, reg, run_on_commit, settings):
    settings.STRIPE_WEBHOOK_MAX_ATTEMPTS = 3
    calls: list = []
    reg.add(TYPE, recording(calls, fail=lambda: RetryableError("Stripe is down")))
    with run_on_commit():
        row = deliver(payments, payments.event_emit(TYPE, account.stripe_account_id, {}))
    later = timezone.now()
    for _ in range(5):
        later += dt.timedelta(hours=2)
        stripe_events_sweep(now=later)
    row.refresh_from_db()
    assert (row.state, row.attempts, row.next_attempt_at) == (W.FAILED, 3, None)
    assert row.outcome == "gave up after 3 attempts: RetryableError: Stripe is down"
    assert len(calls) == 3
    # an operator can still ask for it again
    row = stripe_event_retry(event_id=row.pk)
    assert (row.state, row.attempts) == (W.FAILED, 4) and len(calls) == 4


def test_a_handler_error_keeps_phi_out_of_the_row_and_the_log(payments, account, reg,
                                                              run_on_commit, caplog):
    reg.add(TYPE, recording([], fail=lambda: ValueError("Jane Q. Client has no card")))
    with run_on_commit(), caplog.at_level(logging.INFO, logger="oasys.payments"):
        row = deliver(payments, payments.event_emit(TYPE, account.stripe_account_id, {}))
    row.refresh_from_db()
    assert row.state == W.FAILED and "ValueError" in row.outcome
    assert "Jane" not in row.outcome and "Jane" not in caplog.text
    assert "Jane" not in json.dumps(list(StripeWebhookStateEvent.objects.values("reason")))


def test_an_event_whose_kick_was_lost_is_swept_after_the_grace(
        payments, account, calls, django_capture_on_commit_callbacks, settings):
    settings.STRIPE_WEBHOOK_RECEIVED_GRACE_SECONDS = 60
    with django_capture_on_commit_callbacks(execute=False):
        row = deliver(payments, payments.event_emit(TYPE, account.stripe_account_id, {}))
    assert stripe_events_sweep()[W.PROCESSED] == 0  # it may still be on its way
    counts = stripe_events_sweep(now=timezone.now() + dt.timedelta(seconds=61))
    assert counts[W.PROCESSED] == 1
    assert StripeWebhookEvent.objects.get(pk=row.pk).state == W.PROCESSED
    assert len(calls) == 1


def test_processing_an_event_twice_runs_its_handler_once(payments, account, calls,
                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        row = deliver(payments, payments.event_emit(TYPE, account.stripe_account_id, {}))
    for _ in range(3):
        assert stripe_event_process(event_id=row.pk).state == W.PROCESSED
    assert len(calls) == 1
