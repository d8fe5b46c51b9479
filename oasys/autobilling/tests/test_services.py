"""The setting (validation, backfill choices, audit) and the schedule's tick: one run per
practice per local date however often it ticks, none for a practice that turned auto-billing
off before its cutoff, the latest missed one once after downtime, stalled runs handed on."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from oasys.autobilling.models import AutoBillingSettings, BillingRun, RunPhase, RunTrigger
from oasys.autobilling.runner import billing_run_claim
from oasys.autobilling.schedule import cutoff_at
from oasys.autobilling.services import (
    QUEUED_TOO_LONG,
    STALLED_AFTER,
    autobilling_settings_update,
    billing_run_scheduled_start,
    billing_run_start,
    billing_runs_due_start,
    billing_runs_stalled_requeue,
)
from oasys.billing.tests.factories import ctx_for
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditEvent
from oasys.core.timezones import practice_today, practice_zone

pytestmark = pytest.mark.django_db
UTC = dt.UTC


@pytest.fixture
def ctx(practice, owner):
    return ctx_for(owner, practice)


def _on(practice, ctx, **data):
    return autobilling_settings_update(practice=practice, ctx=ctx,
                                       data={"enabled": True, **data})


def test_turning_it_on_with_each_backfill_choice(practice, ctx):
    today = practice_today(practice)
    assert _on(practice, ctx, backfill="all").bill_from is None
    autobilling_settings_update(practice=practice, ctx=ctx, data={"enabled": False})
    assert _on(practice, ctx, backfill="none").bill_from == today
    autobilling_settings_update(practice=practice, ctx=ctx, data={"enabled": False})
    since = today - dt.timedelta(days=30)
    row = _on(practice, ctx, backfill="since", backfill_from=since.isoformat())
    assert row.bill_from == since and row.enabled_at is not None and row.cutoff_hour == 23
    # the API's shape: backfill_from alone, null meaning all
    assert _on(practice, ctx, backfill_from=None).bill_from is None
    assert AuditEvent.objects.filter(category="autobilling").count() == 6


@pytest.mark.parametrize("data, field", [
    ({"enabled": "yes"}, "enabled"),
    ({"enabled": True, "cutoff_hour": 24}, "cutoff_hour"),
    ({"enabled": True, "cutoff_hour": "eleven"}, "cutoff_hour"),
    ({"enabled": True, "cutoff_hour": -1}, "cutoff_hour"),
    ({"enabled": True, "backfill": "sometimes"}, "backfill"),
    ({"enabled": True, "backfill": "since", "backfill_from": "12/01/2026"}, "backfill_from"),
    ({"enabled": True, "backfill": "since"}, "backfill_from"),
    ({"enabled": True, "backfill": "since", "backfill_from": "2999-01-01"}, "backfill_from"),
    ({"enabled": True, "colour": "blue"}, "__all__"),
])
def test_bad_settings_are_refused_and_change_nothing(practice, ctx, data, field):
    with pytest.raises(InvalidInput) as refused:
        autobilling_settings_update(practice=practice, ctx=ctx, data=data)
    assert field in refused.value.errors
    assert not AutoBillingSettings.objects.exists()
    assert not AuditEvent.objects.filter(category="autobilling").exists()


def _practice_cutoff(practice, day: dt.date, hour: int = 23) -> dt.datetime:
    return cutoff_at(day, hour, practice_zone(practice))


def test_the_tick_starts_one_run_per_local_date(practice, ctx,
                                               django_capture_on_commit_callbacks):
    row = _on(practice, ctx, backfill="all")
    AutoBillingSettings.objects.filter(pk=row.pk).update(
        enabled_at=timezone.now() - dt.timedelta(days=10))
    day = practice_today(practice) - dt.timedelta(days=2)
    cutoff = _practice_cutoff(practice, day)
    with django_capture_on_commit_callbacks(execute=True) as queued:
        for minutes in (0, 2, 4, 6, 60, 120):
            billing_runs_due_start(now=cutoff + dt.timedelta(minutes=minutes))
    assert len(queued) == 1  # one run's task, queued on commit (run here: Celery is eager)
    run = BillingRun.objects.get()
    assert (run.local_date, run.trigger, run.as_of, run.phase) == (
        day, RunTrigger.SCHEDULE, cutoff, RunPhase.DONE)
    # the next night: a second run, once
    for minutes in (0, 5, 10):
        billing_runs_due_start(now=cutoff + dt.timedelta(days=1, minutes=minutes))
    assert list(BillingRun.objects.order_by("local_date").values_list("local_date", flat=True)) \
        == [day, day + dt.timedelta(days=1)]


def test_after_downtime_the_missed_night_runs_once(practice, ctx):
    row = _on(practice, ctx, backfill="all")
    AutoBillingSettings.objects.filter(pk=row.pk).update(
        enabled_at=timezone.now() - dt.timedelta(days=10))
    day = practice_today(practice) - dt.timedelta(days=5)
    back = _practice_cutoff(practice, day) + dt.timedelta(days=3, hours=9)
    billing_runs_due_start(now=back)
    billing_runs_due_start(now=back + dt.timedelta(minutes=2))
    # (back on the morning after day + 3: that night's run, and none for the nights before)
    assert list(BillingRun.objects.values_list("local_date", flat=True)) == \
        [day + dt.timedelta(days=3)]


def test_turned_off_before_the_cutoff_no_run(practice, ctx):
    row = _on(practice, ctx, backfill="all")
    AutoBillingSettings.objects.filter(pk=row.pk).update(
        enabled_at=timezone.now() - dt.timedelta(days=10))
    autobilling_settings_update(practice=practice, ctx=ctx, data={"enabled": False})
    cutoff = _practice_cutoff(practice, practice_today(practice) - dt.timedelta(days=1))
    assert billing_runs_due_start(now=cutoff + dt.timedelta(minutes=5)) == []
    assert not BillingRun.objects.exists()


def test_a_run_a_dead_worker_left_is_handed_on_once_its_lease_lapses(
        practice, ctx, django_capture_on_commit_callbacks):
    run = BillingRun.objects.create(practice=practice, local_date=practice_today(practice),
                                    as_of=timezone.now(), trigger=RunTrigger.MANUAL)
    BillingRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - STALLED_AFTER * 2)
    assert billing_run_claim(run_id=run.pk, worker="dead") is not None
    with django_capture_on_commit_callbacks() as queued:
        assert billing_runs_stalled_requeue() == 0  # its lease is still live
    assert queued == []
    # the lease lapses (the worker died): the run is handed to a live worker
    BillingRun.objects.filter(pk=run.pk).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert billing_runs_stalled_requeue() == 1
    run.refresh_from_db()
    assert run.phase == RunPhase.DONE and run.attempts == 2


def test_a_run_by_hand_is_refused_while_auto_billing_is_off(practice, ctx):
    with pytest.raises(Conflict, match="Auto-billing is off"):
        billing_run_start(practice=practice, ctx=ctx)
    _on(practice, ctx, backfill="all")
    autobilling_settings_update(practice=practice, ctx=ctx, data={"enabled": False})
    with pytest.raises(Conflict):
        billing_run_start(practice=practice, ctx=ctx)
    assert not BillingRun.objects.filter(practice=practice).exists()
    _on(practice, ctx)
    assert billing_run_start(practice=practice, ctx=ctx).trigger == RunTrigger.MANUAL


def test_a_night_replayed_as_of_a_moment_is_that_nights_run_once(practice, ctx):
    _on(practice, ctx, backfill="all", cutoff_hour=23)
    zone = practice_zone(practice)
    before_cutoff = cutoff_at(dt.date(2026, 11, 30), 23, zone) - dt.timedelta(minutes=5)
    after_cutoff = before_cutoff + dt.timedelta(minutes=10)
    run = billing_run_scheduled_start(practice=practice, at=before_cutoff, ctx=ctx)
    assert (run.trigger, run.local_date) == (RunTrigger.SCHEDULE, dt.date(2026, 11, 29))
    assert run.as_of == cutoff_at(dt.date(2026, 11, 29), 23, zone)
    late = billing_run_scheduled_start(practice=practice, at=after_cutoff, ctx=ctx)
    assert late.local_date == dt.date(2026, 11, 30)
    again = billing_run_scheduled_start(practice=practice, at=after_cutoff, ctx=ctx)
    assert again.pk == late.pk
    assert BillingRun.objects.filter(practice=practice).count() == 2


def test_a_run_waiting_its_turn_is_not_queued_again_each_tick(
        practice, ctx, django_capture_on_commit_callbacks):
    """A big night: runs wait in the queue for longer than a tick. Only one no worker has
    taken after QUEUED_TOO_LONG (its task was lost) gets a second copy, and then one copy
    per wait, not one per tick."""
    _on(practice, ctx)
    with django_capture_on_commit_callbacks():
        run = billing_run_start(practice=practice, ctx=ctx)
    queued_at = BillingRun.objects.get(pk=run.pk).queued_at
    assert queued_at is not None
    for minutes in (3, 10, 29):
        with django_capture_on_commit_callbacks() as sent:
            assert billing_runs_stalled_requeue(
                now=queued_at + dt.timedelta(minutes=minutes)) == 0
        assert sent == []
    later = queued_at + QUEUED_TOO_LONG + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks() as sent:
        assert billing_runs_stalled_requeue(now=later) == 1
    assert len(sent) == 1
    BillingRun.objects.filter(pk=run.pk).update(queued_at=later)
    assert billing_runs_stalled_requeue(now=later + dt.timedelta(minutes=5)) == 0
