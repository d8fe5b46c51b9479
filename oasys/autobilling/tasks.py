"""Celery tasks of auto-billing: thin wrappers over the services (tests call those). The tick
is scheduled in settings.CELERY_BEAT_SCHEDULE; a run's task is queued on commit when the run
is started. At least once: acked late and requeued if the worker dies, and idempotent (the
run's lease and its items' outcomes decide what is left to do)."""

from __future__ import annotations

from celery import shared_task

from .runner import billing_run_execute
from .services import billing_runs_due_start, billing_runs_stalled_requeue


@shared_task(name="autobilling.tick", acks_late=True)
def autobilling_tick_task() -> dict[str, int]:
    """Every few minutes: start the runs whose cutoff has passed, hand stalled runs on."""
    started = billing_runs_due_start()
    return {"started": len(started), "requeued": billing_runs_stalled_requeue()}


@shared_task(name="autobilling.run", acks_late=True, reject_on_worker_lost=True)
def billing_run_task(run_id: int) -> str:
    run = billing_run_execute(run_id=run_id)
    return run.phase if run is not None else "held elsewhere"
