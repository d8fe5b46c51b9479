"""The chaos test's worker, a separate OS process (test_chaos.py starts it and kills it):

    python -m oasys.autobilling.tests.chaos_worker run RUN_ID
    python -m oasys.autobilling.tests.chaos_worker settle PRACTICE_ID

against the database named by DATABASE_URL and the stand-ins named by the clearinghouse and
Stripe settings in its environment, with Celery eager (CELERY_TASK_ALWAYS_EAGER=true) so the
deliveries and transmissions billing queues on commit run inline here, as a worker runs them.

`run` does what the `autobilling.run` task does: `runner.billing_run_execute(run_id=...)`.
It prints `ready` once Django is set up (the test starts its kill clock there, so a random
kill lands in the run's work rather than in Python's start-up), then one JSON line with the
phase it left the run in (`held` when another worker held it).

`settle` is what the schedule's sweepers do after the night (the outbox sends the claim
files a clearinghouse fault left retrying; invoices a Stripe fault left Sending are
delivered again), run once the run is done and the faults are cleared.

Deterministic kill points, read only here (each SIGKILLs this process, no cleanup):
- CHAOS_KILL_AFTER_PHASE=<phase>: right after that phase's move to the next one committed;
- CHAOS_KILL_AT_ITEM=<n>: inside the transaction writing the n-th item outcome (so the
  billing it stands for is rolled back with it);
- CHAOS_KILL_AFTER_DELIVERY=<n>: right after the n-th invoice delivery returned (Stripe has
  finalized and charged it, the run has not recorded it).
"""

from __future__ import annotations

import json
import os
import signal
import sys


def _die() -> None:
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

    def stop_after(phase: str) -> bool:
        if phase == after_phase:
            _die()
        return False

    return {"stop_after": stop_after if after_phase else None}


def step_run(run_id: int) -> dict:
    from oasys.autobilling.runner import billing_run_execute

    hooks = _kill_hooks()
    print("ready", flush=True)
    run = billing_run_execute(run_id=run_id, **hooks)
    return {"phase": run.phase if run is not None else "held"}


def step_settle(practice_id: int) -> dict:
    from oasys.clearinghouse.services import edi_files_due, edi_files_sweep
    from oasys.invoices.models import Invoice, InvoiceStatus
    from oasys.invoices.sending import invoice_deliver

    print("ready", flush=True)
    sweeps = 0
    while sweeps < 10 and edi_files_due().exists():  # bounded: each sweep sends every due file
        edi_files_sweep()
        sweeps += 1
    sending = list(Invoice.objects.filter(practice_id=practice_id, status=InvoiceStatus.SENDING)
                   .values_list("pk", flat=True))
    for pk in sending:
        invoice_deliver(invoice_id=pk)
    return {"sweeps": sweeps, "redelivered": len(sending)}


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oasys.settings")
    import django

    django.setup()
    step, arg = argv[0], int(argv[1])
    out = step_run(arg) if step == "run" else step_settle(arg)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
