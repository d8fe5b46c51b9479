"""The Celery app of bench_autobilling.py's workers: `celery -A bench._autobilling_worker
worker` is Oasys's own app (oasys.celery) with its own tasks, plus task signals that write,
per task, what it cost into $BENCH_STATS_DIR/worker-<pid>.jsonl:

    wall, cpu      the task's wall and CPU seconds (time.process_time of the process running
                   it: the prefork child), Oasys's side only -- the database server and the
                   stand-ins are other processes
    queries        every query the task ran on the default connection (an execute_wrapper
                   installed on it for the task), with their seconds, by table
    stripe, ch     seconds and calls in the Stripe adapter (StripePayments) and the
                   clearinghouse adapter (StediClearinghouse): the HTTP round trips to the
                   stand-ins, so the bench can report what is Oasys's and what is theirs

With $BENCH_SQL_LOG set, every query's first 200 characters are appended to that file (to
read what a night runs, statement by statement). With $BENCH_PROFILE set, the tasks of this
worker also run under cProfile, its stats dumped to that file after each task (the bench
sets it on one worker only).
"""

from __future__ import annotations

import cProfile
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from celery.signals import task_postrun, task_prerun  # noqa: E402

from oasys.celery import app  # noqa: E402, F401 - the app Celery's -A finds here

STATS_DIR = Path(os.environ.get("BENCH_STATS_DIR", "."))
PROFILE = os.environ.get("BENCH_PROFILE", "")
SQL_LOG = os.environ.get("BENCH_SQL_LOG", "")


def _table(sql: str) -> str:
    words = sql.replace('"', "").split()
    for marker in ("FROM", "INTO", "UPDATE"):
        if marker in words and words.index(marker) + 1 < len(words):
            return words[words.index(marker) + 1]
    return words[0] if words else "?"


class _Costs:
    def __init__(self) -> None:
        self.queries = 0
        self.db_seconds = 0.0
        self.tables: Counter = Counter()
        self.calls: Counter = Counter()  # "stripe" / "ch" -> calls
        self.seconds: Counter = Counter()  # and their seconds

    def __call__(self, execute, sql, params, many, context):
        self.queries += 1
        self.tables[_table(sql)] += 1
        if SQL_LOG:
            with open(SQL_LOG, "a") as out:
                out.write(" ".join(sql[:200].split()) + "\n")
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.db_seconds += time.perf_counter() - started


_now: dict = {}
_profiler = cProfile.Profile() if PROFILE else None


def _timed(cls, side: str) -> None:
    for name, fn in list(vars(cls).items()):
        if name.startswith("_") or not callable(fn):
            continue

        def timed(*args, _fn=fn, **kwargs):
            started = time.perf_counter()
            try:
                return _fn(*args, **kwargs)
            finally:
                costs = _now.get("costs")
                if costs is not None:
                    costs.seconds[side] += time.perf_counter() - started
                    costs.calls[side] += 1

        setattr(cls, name, timed)


def _instrument() -> None:
    if _now.get("instrumented"):
        return
    from oasys.clearinghouse.stedi import StediClearinghouse  # noqa: PLC0415
    from oasys.payments.stripe_adapter import StripePayments  # noqa: PLC0415

    _timed(StripePayments, "stripe")
    _timed(StediClearinghouse, "ch")
    _now["instrumented"] = True


@task_prerun.connect
def _started(task_id=None, task=None, **_kw) -> None:
    from django.db import connection  # noqa: PLC0415

    _instrument()
    costs = _Costs()
    _now.update(costs=costs, wall=time.perf_counter(), cpu=time.process_time())
    connection.execute_wrappers.append(costs)
    if _profiler is not None:
        _profiler.enable()


@task_postrun.connect
def _finished(task_id=None, task=None, state=None, **_kw) -> None:
    from django.db import connection  # noqa: PLC0415

    if _profiler is not None:
        _profiler.disable()
        _profiler.dump_stats(PROFILE)
    costs: _Costs = _now.pop("costs")
    if costs in connection.execute_wrappers:
        connection.execute_wrappers.remove(costs)
    row = {"task": task.name if task else "?", "state": state,
           "wall": time.perf_counter() - _now["wall"], "cpu": time.process_time() - _now["cpu"],
           "queries": costs.queries, "db_seconds": costs.db_seconds,
           "tables": dict(costs.tables), "stripe_seconds": costs.seconds["stripe"],
           "stripe_calls": costs.calls["stripe"], "ch_seconds": costs.seconds["ch"],
           "ch_calls": costs.calls["ch"], "at": time.time()}
    with open(STATS_DIR / f"worker-{os.getpid()}.jsonl", "a") as out:
        out.write(json.dumps(row) + "\n")
