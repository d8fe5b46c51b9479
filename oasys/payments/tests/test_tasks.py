"""The payments tasks (the on-commit kick and the sweeper on Celery beat) and the operator's
command `oasys payments events`."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from oasys.payments.models import StripeWebhookEvent, WebhookEventState
from oasys.payments.port import RetryableError
from oasys.payments.tasks import stripe_event_process_task, stripe_events_sweep_task

from .webhook_support import connected_account, deliver, recording, registry

pytestmark = pytest.mark.django_db

W = WebhookEventState
TYPE = "oasys_test.thing_changed"


@pytest.fixture
def reg():
    with registry() as r:
        yield r


@pytest.fixture
def account(payments):
    return connected_account(payments)


def _stored(payments, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the kick is lost
        return deliver(payments, payments.event_emit(TYPE, account.stripe_account_id, {}))


def test_the_process_task_is_idempotent(payments, account, reg,
                                        django_capture_on_commit_callbacks):
    calls: list = []
    reg.add(TYPE, recording(calls))
    row = _stored(payments, account, django_capture_on_commit_callbacks)
    assert stripe_event_process_task.delay(row.pk).get() == W.PROCESSED
    assert stripe_event_process_task.delay(row.pk).get() == W.PROCESSED  # a redelivery
    assert len(calls) == 1
    assert stripe_event_process_task.acks_late is True


def test_the_kick_on_commit_is_the_task(payments, account, reg,
                                        django_capture_on_commit_callbacks, monkeypatch):
    queued: list = []
    monkeypatch.setattr(stripe_event_process_task, "delay", queued.append)
    with django_capture_on_commit_callbacks(execute=True):
        row = deliver(payments, payments.event_emit(TYPE, account.stripe_account_id, {}))
    assert queued == [row.pk]


def test_the_sweeper_is_on_beat_beside_the_clearinghouse_sweep():
    entries = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "oasys.payments.tasks.stripe_events_sweep_task" in entries
    assert "oasys.clearinghouse.tasks.edi_files_sweep_task" in entries
    assert stripe_events_sweep_task.name == "oasys.payments.tasks.stripe_events_sweep_task"
    assert entries[stripe_events_sweep_task.name]["schedule"] <= 300


def test_the_sweep_task_processes_lost_kicks(payments, account, reg, settings,
                                             django_capture_on_commit_callbacks):
    settings.STRIPE_WEBHOOK_RECEIVED_GRACE_SECONDS = 0
    calls: list = []
    reg.add(TYPE, recording(calls))
    row = _stored(payments, account, django_capture_on_commit_callbacks)
    counts = stripe_events_sweep_task.delay().get()
    assert counts[W.PROCESSED] == 1 and len(calls) == 1
    assert StripeWebhookEvent.objects.get(pk=row.pk).state == W.PROCESSED


def _run(*args) -> str:
    out = StringIO()
    call_command("payments", "events", *args, stdout=out)
    return out.getvalue()


def test_the_command_lists_retries_and_sweeps(payments, account, reg, settings,
                                              django_capture_on_commit_callbacks):
    settings.STRIPE_WEBHOOK_RECEIVED_GRACE_SECONDS = 0
    calls: list = []
    failing = [True]
    reg.add(TYPE, recording(calls, fail=lambda: RetryableError("Stripe is down")
                            if failing[0] else None))
    ok = _stored(payments, account, django_capture_on_commit_callbacks)
    assert "1 failed" in _run("--sweep")  # the lost kick is swept; its handler fails
    ok.refresh_from_db()
    assert ok.state == W.FAILED
    listing = _run()
    assert ok.event_id in listing and "attempt 1 failed, will retry" in listing

    other = deliver(payments, payments.event_emit("oasys_test.unhandled",
                                                  account.stripe_account_id, {}))
    failed = _run("--failed")
    assert ok.event_id in failed and other.event_id not in failed
    assert "next try" in failed and failed.strip().endswith("1 event(s)")

    failing[0] = False
    out = _run("--retry", str(ok.pk))
    assert "processed" in out
    assert StripeWebhookEvent.objects.get(pk=ok.pk).state == W.PROCESSED
    with pytest.raises(CommandError, match="not possible"):
        _run("--retry", str(ok.pk))
    with pytest.raises(CommandError, match="no stored event"):
        _run("--retry", "987654")
    assert "0 failed" in _run("--sweep")


def test_the_command_sweeps_due_retries_only(payments, account, reg,
                                             django_capture_on_commit_callbacks):
    reg.add(TYPE, recording([], fail=lambda: RetryableError("down")))
    with django_capture_on_commit_callbacks(execute=True):
        row = deliver(payments, payments.event_emit(TYPE, account.stripe_account_id, {}))
    row.refresh_from_db()
    assert row.next_attempt_at > timezone.now() + dt.timedelta(seconds=1)
    assert "0 failed" in _run("--sweep")
    assert StripeWebhookEvent.objects.get(pk=row.pk).attempts == 1
