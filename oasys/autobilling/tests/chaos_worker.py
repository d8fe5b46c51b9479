"""The chaos test's worker, a separate OS process (test_chaos.py starts it and kills it):

    python -m oasys.autobilling.tests.chaos_worker run RUN_ID
    python -m oasys.autobilling.tests.chaos_worker settle PRACTICE_ID
    python -m oasys.autobilling.tests.chaos_worker serve

against the database named by DATABASE_URL and the stand-ins named by the clearinghouse and
Stripe settings in its environment, with Celery eager (CELERY_TASK_ALWAYS_EAGER=true) so the
deliveries and transmissions billing queues on commit run inline here, as a worker runs them.

`run` does what the `autobilling.run` task does: `runner.billing_run_execute(run_id=...)`,
and prints one JSON line with the phase it left the run in (`held` when another worker held
it). `settle` is what the schedule's sweepers do after the night (the outbox sends the claim
files a clearinghouse fault left retrying, invoices a Stripe fault left Sending are
delivered again, card charges Stripe did not answer are retried), run once the run is done
and the faults are cleared.

`serve` is how the test starts them: setting Django up takes seconds on a loaded machine,
so this process does it once, then reads one JSON command a line on stdin (`step`, `arg`,
`env`, `out`, `log`) and forks a worker for each -- a process of its own with its own
database connection (none is open here when it forks), its stderr and stdout in `log`, its
JSON answer written to `out` when it finishes -- and answers `{"pid": ...}`. The test
waits on and kills the worker by that pid (pidfd), as it would any worker process.

Deterministic kill points, read only here (each SIGKILLs the worker, no cleanup):
- CHAOS_KILL_AFTER_PHASE=<phase>: right after that phase's move to the next one committed;
- CHAOS_KILL_AT_ITEM=<n>: inside the transaction writing the n-th item outcome (so the
  billing it stands for is rolled back with it);
- CHAOS_KILL_AFTER_DELIVERY=<n>: right after the n-th invoice delivery returned (Stripe has
  finalized and charged it, the run has not recorded it).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sys
import time
import traceback

KILLED_ITSELF = "chaos: killed at its kill point"


def _die() -> None:
    print(KILLED_ITSELF, file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def _kill_hooks() -> dict:
    """Wrap the runner's item write and delivery with the env's kill points; answers the
    `stop_after` for billing_run_execute."""
    from oasys.autobilling import runner

    at_item = int(os.environ.get("CHAOS_KILL_AT_ITEM") or 0)
    if at_item:
        written = {"n": 0}
        real_set = runner._set

        def set_then_maybe_die(*args, **kw):
            real_set(*args, **kw)
            written["n"] += 1
            if written["n"] == at_item:
                _die()

        runner._set = set_then_maybe_die
    after_delivery = int(os.environ.get("CHAOS_KILL_AFTER_DELIVERY") or 0)
    if after_delivery:
        delivered = {"n": 0}
        real_deliver = runner.invoice_deliver

        def deliver_then_maybe_die(**kw):
            out = real_deliver(**kw)
            delivered["n"] += 1
            if delivered["n"] == after_delivery:
                _die()
            return out

        runner.invoice_deliver = deliver_then_maybe_die
    after_phase = os.environ.get("CHAOS_KILL_AFTER_PHASE", "")
    began = time.monotonic()

    def stop_after(phase: str) -> bool:
        print(f"phase {phase} done at +{time.monotonic() - began:.2f}s", file=sys.stderr,
              flush=True)  # in the worker's log, for a failed run's story
        if phase == after_phase:
            _die()
        return False

    return {"stop_after": stop_after}


def step_run(run_id: int) -> dict:
    from oasys.autobilling.runner import billing_run_execute

    hooks = _kill_hooks()
    run = billing_run_execute(run_id=run_id, **hooks)
    return {"phase": run.phase if run is not None else "held"}


def step_settle(practice_id: int) -> dict:
    from django.utils import timezone

    from oasys.clearinghouse.services import edi_files_due, edi_files_sweep
    from oasys.invoices.charging import invoices_card_retries_run
    from oasys.invoices.models import Invoice, InvoiceStatus
    from oasys.invoices.sending import invoice_deliver

    sweeps = 0
    while sweeps < 10 and edi_files_due().exists():  # bounded: each sweep sends every due file
        edi_files_sweep()
        sweeps += 1
    sending = list(Invoice.objects.filter(practice_id=practice_id, status=InvoiceStatus.SENDING)
                   .values_list("pk", flat=True))
    for pk in sending:
        invoice_deliver(invoice_id=pk)
    # a charge Stripe did not answer is retried on the card schedule: run it as if its
    # time had come (the test's practices have no declining cards: only those are due)
    retried = invoices_card_retries_run(now=timezone.now() + dt.timedelta(days=30))
    return {"sweeps": sweeps, "redelivered": len(sending), "charges_retried": retried}


STEPS = {"run": step_run, "settle": step_settle}


def _forked(cmd: dict) -> None:
    """In the forked worker: its own log and environment, the step, its answer; then out
    without any cleanup, as a worker process ends."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    fd = os.open(cmd["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.update(cmd.get("env") or {})
    code = 0
    try:
        out = STEPS[cmd["step"]](int(cmd["arg"]))
        tmp = cmd["out"] + ".tmp"
        with open(tmp, "w") as f:
            json.dump(out, f)
        os.replace(tmp, cmd["out"])
    except BaseException:  # noqa: BLE001 - the worker's failure is its log and no answer
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def serve() -> None:
    from django.db import connections

    # what the workers use, imported once here so each fork starts warm
    import oasys.autobilling.runner
    import oasys.clearinghouse.services
    import oasys.invoices.charging
    import oasys.invoices.sending  # noqa: F401

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the workers
    print("ready", flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        connections.close_all()  # none is open; a fork must never share one
        pid = os.fork()
        if pid == 0:
            _forked(cmd)
        print(json.dumps({"pid": pid}), flush=True)


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oasys.settings")
    import django

    django.setup()
    if argv[0] == "serve":
        serve()
        return 0
    print(json.dumps(STEPS[argv[0]](int(argv[1]))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
