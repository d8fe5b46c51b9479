"""Writes of auto-billing: the practice's setting (Billing tab and API), starting a run (by
hand, or the schedule's), and the schedule's tick that starts due runs and hands stalled ones
to a worker. The run itself is runner.py."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditAction, Practice, User
from oasys.core.timezones import practice_today, practice_zone

from . import schedule
from .models import (
    AutoBillingSettings,
    BillingRun,
    RunPhase,
    RunTrigger,
)
from .selectors import autobilling_settings_get

log = logging.getLogger(__name__)

BACKFILL_ALL = "all"
BACKFILL_SINCE = "since"
BACKFILL_NONE = "none"  # start from now: only items dated from today on
# A run a worker took and left (it died; its lease lapsed) is handed on this long after it
# was last queued; one no worker has taken yet only after QUEUED_TOO_LONG: on a big night it
# is most likely waiting its turn in the queue, and only a lost task (a broker restart) needs
# a second copy.
STALLED_AFTER = dt.timedelta(minutes=2)
QUEUED_TOO_LONG = dt.timedelta(minutes=30)


def _hour_clean(value: object) -> int:
    try:
        hour = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput({"cutoff_hour": "The cutoff is an hour from 0 to 23."}) from None
    if not 0 <= hour <= 23:
        raise InvalidInput({"cutoff_hour": "The cutoff is an hour from 0 to 23."})
    return hour


def _day_clean(raw: object, today: dt.date) -> dt.date:
    if isinstance(raw, dt.date):
        day = raw
    else:
        try:
            day = dt.date.fromisoformat(str(raw or "").strip())
        except ValueError:
            raise InvalidInput({"backfill_from": "Give the date as YYYY-MM-DD."}) from None
    if day > today:
        raise InvalidInput({"backfill_from": "The backfill date cannot be in the future."})
    return day


def _bill_from_clean(data: dict[str, Any], current: AutoBillingSettings, today: dt.date,
                     turning_on: bool) -> dt.date | None:
    """What the runs take, from `backfill` ("all"; "since" with `backfill_from`; "none" =
    from today) or from `backfill_from` alone (a date, or null for all). Neither given:
    unchanged, or from today when auto-billing is being turned on."""
    backfill = data.get("backfill")
    if backfill in (None, ""):
        if "backfill_from" not in data:
            return today if turning_on else current.bill_from
        raw = data["backfill_from"]
        return None if raw in (None, "") else _day_clean(raw, today)
    if backfill == BACKFILL_ALL:
        return None
    if backfill == BACKFILL_NONE:
        return today
    if backfill == BACKFILL_SINCE:
        return _day_clean(data.get("backfill_from"), today)
    raise InvalidInput({"backfill": "Choose all, since a date, or from now."})


def autobilling_settings_update(*, practice: Practice, data: dict[str, Any],
                                ctx: AuditContext, actor: User | None = None
                                ) -> AutoBillingSettings:
    """Turn auto-billing on or off, set the cutoff hour and what it takes on first enabling.
    `data`: `enabled` (bool), `cutoff_hour` (0..23), and when turning it on `backfill`
    ("all", "since" with `backfill_from`, "none") or `backfill_from`. Refuses bad input with
    InvalidInput and changes nothing."""
    if not isinstance(data, dict):
        raise InvalidInput({"__all__": "Send the settings as an object."})
    unknown = set(data) - {"enabled", "cutoff_hour", "backfill", "backfill_from"}
    if unknown:
        raise InvalidInput({"__all__": f"Unknown settings: {', '.join(sorted(unknown))}."})
    current = autobilling_settings_get(practice=practice)
    enabled = data.get("enabled", current.enabled)
    if not isinstance(enabled, bool):
        raise InvalidInput({"enabled": "enabled is true or false."})
    hour = _hour_clean(data.get("cutoff_hour", current.cutoff_hour))
    turning_on = enabled and not current.enabled
    today = practice_today(practice)
    bill_from = _bill_from_clean(data, current, today, turning_on) if enabled \
        else current.bill_from
    with transaction.atomic():
        row, _ = AutoBillingSettings.objects.select_for_update().get_or_create(
            practice=practice)
        before = {"enabled": row.enabled, "cutoff_hour": row.cutoff_hour,
                  "bill_from": row.bill_from.isoformat() if row.bill_from else None}
        row.enabled, row.cutoff_hour, row.bill_from = enabled, hour, bill_from
        if turning_on or (enabled and row.enabled_at is None):
            row.enabled_at = timezone.now()
        row.updated_by = actor
        row.save()
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="autobilling",
                     object_type="AutoBillingSettings", object_id=row.pk,
                     detail={"before": before, "after": {
                         "enabled": enabled, "cutoff_hour": hour,
                         "bill_from": bill_from.isoformat() if bill_from else None}})
    return row


def billing_run_enqueue(*, run_id: int) -> None:
    """Hand the run to a worker once the current transaction commits."""
    from .tasks import billing_run_task  # noqa: PLC0415 - tasks imports this module

    BillingRun.objects.filter(pk=run_id).update(queued_at=timezone.now())
    transaction.on_commit(lambda: billing_run_task.delay(run_id), robust=True)


def billing_run_start(*, practice: Practice, ctx: AuditContext, actor: User | None = None,
                      as_of: dt.datetime | None = None,
                      trigger: str = RunTrigger.MANUAL) -> BillingRun:
    """A new run of the practice's auto-billing, queued for a worker (the CLI and tests run
    it at once with runner.billing_run_execute). A scheduled run is once per local date:
    starting one that exists answers the existing run. Refused while auto-billing is off:
    what a run takes (the backfill choice) is set only by turning it on."""
    if not autobilling_settings_get(practice=practice).enabled:
        raise Conflict("Auto-billing is off for this practice. Turn it on in the Billing tab → "
                         "Setup → Auto-billing first (and choose what it backfills).")
    as_of = as_of or timezone.now()
    day = schedule.local_date(as_of, practice_zone(practice))
    try:
        with transaction.atomic():
            run = BillingRun.objects.create(practice=practice, trigger=trigger,
                                            local_date=day, as_of=as_of, created_by=actor)
            audit_record(ctx=ctx, action=AuditAction.CREATE, category="billing_run",
                         object_type="BillingRun", object_id=run.pk,
                         detail={"trigger": trigger, "local_date": day.isoformat()})
            billing_run_enqueue(run_id=run.pk)
    except IntegrityError:
        return BillingRun.objects.get(practice=practice, trigger=RunTrigger.SCHEDULE,
                                      local_date=day)
    return run


def billing_run_scheduled_start(*, practice: Practice, at: dt.datetime, ctx: AuditContext,
                                actor: User | None = None) -> BillingRun:
    """The scheduled run as of moment `at`: the run of the latest local date whose cutoff
    has passed at `at` (today's or yesterday's), started now, or the existing one when that
    night has a run already (`oasys billing run --as-of`: replay a night, once)."""
    conf = autobilling_settings_get(practice=practice)
    zone = practice_zone(practice)
    day = schedule.local_date(at, zone)
    if schedule.cutoff_at(day, conf.cutoff_hour, zone) > at:
        day -= dt.timedelta(days=1)
    return billing_run_start(practice=practice, ctx=ctx, actor=actor,
                             as_of=schedule.cutoff_at(day, conf.cutoff_hour, zone),
                             trigger=RunTrigger.SCHEDULE)


def billing_runs_due_start(*, now: dt.datetime | None = None) -> list[BillingRun]:
    """The schedule's tick: start the run of every practice whose cutoff has passed and that
    has no run for that local date (see schedule.py). Answers the runs started."""
    now = now or timezone.now()
    started: list[BillingRun] = []
    for conf in (AutoBillingSettings.objects.filter(enabled=True,
                                                    practice__suspended_at__isnull=True)
                 .select_related("practice")):  # a suspended practice is skipped
        practice = conf.practice
        zone = practice_zone(practice)
        day = schedule.run_date_due(now=now, zone=zone, hour=conf.cutoff_hour,
                                    enabled_at=conf.enabled_at)
        if day is None or BillingRun.objects.filter(
                practice=practice, trigger=RunTrigger.SCHEDULE, local_date=day).exists():
            continue
        cutoff = schedule.cutoff_at(day, conf.cutoff_hour, zone)
        ctx = AuditContext.system(practice_id=practice.pk, source="auto-billing")
        started.append(billing_run_start(practice=practice, ctx=ctx, as_of=cutoff,
                                         trigger=RunTrigger.SCHEDULE))
    return started


def billing_runs_stalled_requeue(*, now: dt.datetime | None = None) -> int:
    """Hand every unfinished run that no live worker holds to a worker again: its worker
    died (the lease lapsed) or its task was lost. Harmless if one is in fact still running
    or still queued: the worker that takes it must win the lease first."""
    now = now or timezone.now()
    left = (Q(started_at__isnull=False, queued_at__lt=now - STALLED_AFTER)
            | Q(started_at__isnull=True, queued_at__lt=now - QUEUED_TOO_LONG)
            | Q(queued_at__isnull=True, created_at__lt=now - STALLED_AFTER))
    ids = list(BillingRun.objects.exclude(phase=RunPhase.DONE).filter(left)
               .exclude(lease_until__gte=now)
               .order_by("pk").values_list("pk", flat=True)[:500])
    with transaction.atomic():
        for pk in ids:
            billing_run_enqueue(run_id=pk)
    return len(ids)
