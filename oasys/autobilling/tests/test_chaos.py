"""The chaos test of auto-billing (issue 13, "Proven, not assumed"), on PostgreSQL with the
clearinghouse simulator and the Stripe stand-in as real processes.

CHAOS_RUNS times (20 in the suite, 200 under `make chaos`): a practice of its own with Ready
items of every kind the night bills -- insured sessions (claims), cash-pay sessions whose
client saved a card and consented (invoices charged), an emailed cash-pay invoice, ERA client
shares (one client with a card) -- auto-billing on with backfill all, a run started; then the
worker, a separate OS process (chaos_worker.py) with Celery eager, is killed with SIGKILL:
at a random moment over the measured duration of a run, or at a deterministic point (after
a phase, inside an item's transaction, after a delivery Stripe carried out); in some runs its
database connection is cut first (pg_terminate_backend) or the stand-ins fail (Stripe 500s,
answers after our timeout or never, the clearinghouse the same). Then recovery: fresh worker
processes, each once the lease has lapsed, until the run is done; the faults cleared and
the sweepers' work done (settle). Counted from the clearinghouse's and Stripe's own records
and from the database: no claim at the clearinghouse twice, no invoice charged twice, every
Ready thing billed exactly once and nothing Ready left, every item with an outcome, the
journal balanced. The figures are printed (pytest -s) and, with CHAOS_REPORT=path, written
as JSON (scripts/run-chaos.sh prints the table)."""

from __future__ import annotations

import json
import os
import random
import statistics
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from oasys.autobilling.machine import ORDER
from oasys.autobilling.models import BillingRun, RunPhase
from oasys.autobilling.services import billing_run_start

from .chaos import (
    WORKER_TIMEOUT,
    Launcher,
    connections_drop,
    counts_take,
    faults_clear,
    faults_inject,
    lease_lapse_wait,
    quiet_enqueue,
    worker_env,
    world_seed,
)

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

RUNS = int(os.environ.get("CHAOS_RUNS", "20"))
SEED = int(os.environ.get("CHAOS_SEED", "13"))
LEASE_SECONDS = 1.5  # a dead worker's run is taken over after this
MAX_WORKERS = 12  # per run; more than this and the run is stuck
PHASES = [p for p in ORDER if p != RunPhase.DONE]


def _plan(n: int, rng: random.Random) -> dict:
    """What run `n` suffers: its first worker is killed at a random moment (most runs) or at
    a deterministic point; some runs have the connection cut first, some stand-in faults."""
    if n == 0:
        return {"kill": None, "drop": False, "faults": False}  # the measured, undisturbed run
    roll = rng.random()
    if roll < 0.6:
        kill: dict = {"at": "random"}
    elif roll < 0.75:
        kill = {"at": "phase", "env": {"CHAOS_KILL_AFTER_PHASE": rng.choice(PHASES[:-1])}}
    elif roll < 0.9:
        kill = {"at": "item", "env": {"CHAOS_KILL_AT_ITEM": str(rng.randint(1, 8))}}
    else:
        kill = {"at": "delivery", "env": {"CHAOS_KILL_AFTER_DELIVERY": str(rng.randint(1, 5))}}
    return {"kill": kill, "drop": rng.random() < 0.25, "faults": rng.random() < 0.35}


def _phase_of(run_id: int) -> str:
    run = BillingRun.objects.get(pk=run_id)
    return run.phase if run.attempts else "not started"


def test_killed_workers_cut_connections_and_failing_stand_ins_bill_everything_once(
        clearinghouse_sim, stripe_standin, settings, monkeypatch, tmp_path):
    settings.OASYS_BASE_URL = "http://127.0.0.1:9"  # the hosted form's redirect: not followed
    env = worker_env(sim=clearinghouse_sim, standin=stripe_standin, lease_seconds=LEASE_SECONDS)
    launcher = Launcher(env, tmp_path)
    rng = random.Random(SEED)
    durations: list[float] = []  # undisturbed workers' time, start to done
    fig = {"runs": 0, "kills": 0, "kills_missed": 0, "kills_by_phase": Counter(),
           "kills_by_point": Counter(), "connection_drops": 0, "faults_injected": 0,
           "faults_hit": 0, "duplicate_claims": 0, "double_charges": 0,
           "duplicate_stripe_invoices": 0, "unrecorded_charges": 0, "unbilled_items": 0,
           "items_pending": 0, "items_not_billed": 0, "journal_imbalance": Decimal("0.00"),
           "unbalanced_entries": 0, "claims_missing_at_clearinghouse": 0, "stuck_runs": 0,
           "items": 0, "claims_at_clearinghouse": 0, "charges": 0, "payment_intents": 0,
           "workers": 0, "recovery_seconds": []}
    bad: list[str] = []

    def typical() -> float:
        return statistics.median(durations) if durations else 5.0

    with quiet_enqueue(monkeypatch):
        for n in range(RUNS):
            began = time.monotonic()
            clearinghouse_sim.reset()
            stripe_standin.reset()
            world = world_seed(n, stripe_standin)
            run = billing_run_start(practice=world.practice, ctx=world.ctx, actor=world.owner)
            plan = _plan(n, rng)
            injected = faults_inject(rng, clearinghouse_sim, stripe_standin) \
                if plan["faults"] else []
            fig["faults_injected"] += sum(x["count"] for x in injected)
            seeded = time.monotonic()
            workers, disrupted_at = 0, None

            if plan["drop"]:  # the first worker is cut off from the database mid-run
                w = launcher.start("run", run.pk)
                workers += 1
                if not w.wait(rng.uniform(0, typical())):
                    if connections_drop():
                        fig["connection_drops"] += 1
                        disrupted_at = time.monotonic()
                    if not w.wait(WORKER_TIMEOUT):
                        w.kill()
                        bad.append(f"run {n}: a worker cut off from the database hung")
                w.result()
            if plan["kill"] is not None and _phase_of(run.pk) != RunPhase.DONE:
                lease_lapse_wait(run.pk)
                kill = plan["kill"]
                w = launcher.start("run", run.pk, env=kill.get("env"))
                workers += 1
                if kill["at"] == "random":  # uniform over a little more than a run
                    landed = not w.wait(rng.uniform(0, 1.1 * typical())) and w.kill()
                else:  # it kills itself at its point
                    if not w.wait(WORKER_TIMEOUT):
                        w.kill()
                        bad.append(f"run {n}: a worker hung")
                    landed = w.killed_itself()
                w.result()
                if landed:
                    disrupted_at = disrupted_at or time.monotonic()
                    fig["kills"] += 1
                    fig["kills_by_point"][kill["at"]] += 1
                    fig["kills_by_phase"][_phase_of(run.pk)] += 1
                else:
                    fig["kills_missed"] += 1  # the worker had finished before the kill

            # recovery: fresh workers, each once the lease has lapsed, until the run is done
            while _phase_of(run.pk) != RunPhase.DONE and workers < MAX_WORKERS:
                lease_lapse_wait(run.pk)
                w = launcher.start("run", run.pk)
                workers += 1
                if not w.wait(WORKER_TIMEOUT):
                    w.kill()
                    bad.append(f"run {n}: a recovering worker hung")
                    break
                out = w.result()
                if "died" in out:
                    bad.append(f"run {n}: a recovering worker failed: {w.error_tail()}")
                elif workers == 1:
                    durations.append(time.monotonic() - w.started)
            if _phase_of(run.pk) != RunPhase.DONE:
                fig["stuck_runs"] += 1
                bad.append(f"run {n}: not done after {workers} workers")
                continue
            if disrupted_at is not None:
                fig["recovery_seconds"].append(time.monotonic() - disrupted_at)

            # the sweepers' work after the night, the faults gone
            left = faults_clear(clearinghouse_sim, stripe_standin)
            fig["faults_hit"] += sum(x["count"] for x in injected) - left
            settle = launcher.start("settle", world.practice.pk)
            if not settle.wait(WORKER_TIMEOUT):
                settle.kill()
            if "died" in settle.result():
                bad.append(f"run {n}: settling failed: {settle.error_tail()}")

            settled = time.monotonic()
            c = counts_take(world, run, clearinghouse_sim, stripe_standin)
            print(f"run {n}: seed {seeded - began:.1f}s, {workers} workers and settle "
                  f"{settled - seeded:.1f}s, counts {time.monotonic() - settled:.1f}s; "
                  f"{plan}", flush=True)
            fig["runs"] += 1
            fig["workers"] += workers
            fig["items"] += world.things
            fig["claims_at_clearinghouse"] += len(clearinghouse_sim.claims())
            fig["charges"] += c.charges
            fig["payment_intents"] += c.payment_intents
            for name in ("duplicate_claims", "double_charges", "duplicate_stripe_invoices",
                         "unrecorded_charges", "items_pending", "items_not_billed",
                         "journal_imbalance", "unbalanced_entries"):
                fig[name] += getattr(c, name)
            fig["unbilled_items"] += c.unbilled
            fig["claims_missing_at_clearinghouse"] += c.claims_missing
            if c.bad():
                bad.append(f"run {n} (plan {plan}): {c}")
    launcher.close()

    _report(fig)
    assert bad == [], "\n".join(bad[:10])
    assert fig["runs"] == RUNS
    assert fig["kills"] > 0  # the test did what it says
    assert (fig["duplicate_claims"], fig["double_charges"], fig["unbilled_items"],
            fig["journal_imbalance"]) == (0, 0, 0, 0)


def _report(fig: dict) -> None:
    rec = fig.pop("recovery_seconds")
    out = {**fig, "kills_by_phase": dict(fig["kills_by_phase"]),
           "kills_by_point": dict(fig["kills_by_point"]),
           "journal_imbalance": str(fig["journal_imbalance"]),
           "recovery_seconds": {"median": round(statistics.median(rec), 2) if rec else None,
                                "max": round(max(rec), 2) if rec else None,
                                "count": len(rec)}}
    print("\nchaos test figures:", json.dumps(out, indent=1))
    path = os.environ.get("CHAOS_REPORT")
    if path:
        Path(path).write_text(json.dumps(out, indent=1))
