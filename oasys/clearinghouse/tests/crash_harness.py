"""The crash harness: billing and the transmission outbox killed with SIGKILL at random points.

Run as a real subprocess by test_crash.py (and bench/bench_bill_post.py):

    python -m oasys.clearinghouse.tests.crash_harness STEP [options]

against the database named by DATABASE_URL (a file or temporary database the test made) and
the clearinghouse simulator at CLEARINGHOUSE_BASE_URL. Each step prints one JSON line.

`bill` and `transmit` run the work in a forked child of this process (a real process with its
own database connection, as a web or worker process is) and SIGKILL it after a random delay
unless it finished first: the parent waits on the child's pidfd with that timeout, so nothing
sleeps. The child does exactly what the web process (billing_submit) or the worker
(edi_files_sweep) does; a kill can land anywhere, inside a transaction, between the commit
and the network call, while the clearinghouse is answering, or while its answer is recorded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import select
import signal
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oasys.settings")
    import django

    django.setup()


def run_killed(work: Callable[[], None], delay: float) -> tuple[bool, int]:
    """Run `work` in a forked child; SIGKILL it once `delay` seconds pass unless it exited.
    Returns (killed, exit status). Database connections are closed first so the child opens
    its own, like a separate web or worker process."""
    from django.db import connections

    connections.close_all()
    pid = os.fork()
    if pid == 0:  # the child: do the work, then leave without any cleanup
        code = 0
        try:
            work()
        except BaseException:  # noqa: BLE001 - reported through the exit status
            traceback.print_exc()
            code = 1
        os._exit(code)
    fd = os.pidfd_open(pid)
    try:
        done, _, _ = select.select([fd], [], [], delay)
        killed = not done
        if killed:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    return killed, status


def _practice():
    from oasys.core.models import Practice

    return Practice.objects.get(slug="crash")


def step_migrate(_args: argparse.Namespace) -> dict:
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)
    return {"migrated": True}


def step_seed(args: argparse.Namespace) -> dict:
    """Migrate the empty database, then make a practice with `--sessions` Ready insured
    sessions (one payer) and a billing user."""
    from oasys.billing.tests import factories as f
    from oasys.core.models import Role
    from oasys.core.services import practice_create, user_create

    step_migrate(args)
    practice = practice_create(name="Crash Test Counseling", slug="crash")
    user_create(practice=practice, email="biller@crash.example", password=args.password,
                role=Role.OWNER)
    first = f.ready_claim_session(practice)
    ids = [first.appointment.pk]
    for _ in range(args.sessions - 1):
        ids.append(f.ready_claim_session(practice, payer=first.payer).appointment.pk)
    return {"practice": practice.pk, "sessions": ids}


def _groups(args: argparse.Namespace) -> list[list[int]]:
    ids = json.loads(Path(args.sessions_file).read_text())
    k = args.per_round
    return [ids[i:i + k] for i in range(0, len(ids), k)]


def step_bill(args: argparse.Namespace) -> dict:
    """Bill one group of sessions per round (as the Bill Sessions POST does) and kill the
    billing process at a random point of it, until `--kills` kills. The kill point is
    uniform over a little more than an undisturbed round (the median of those that
    finished), so it lands before, inside and after the transaction. The first group is
    billed here, undisturbed, so every child starts warm, as a running web process is."""
    from oasys.billing.services import billing_submit
    from oasys.core.audit import AuditContext

    rng = random.Random(args.seed)
    practice = _practice()
    ctx = AuditContext.system(practice_id=practice.pk, source="crash test")
    out = {"rounds": 1, "killed": 0, "errors": 0}
    groups = _groups(args)
    if args.undisturbed:  # files for the transmission kills: billed, never killed
        for group in groups:
            billing_submit(practice=practice, appointment_ids=group, ctx=ctx)
        return {"rounds": len(groups), "killed": 0, "errors": 0}
    billing_submit(practice=practice, appointment_ids=groups[0], ctx=ctx)
    durations: list[float] = []
    for group in groups[1:]:
        if out["killed"] >= args.kills:
            break

        def work(group: list[int] = group) -> None:
            billing_submit(practice=practice, appointment_ids=group, ctx=ctx)

        delay = rng.uniform(0, 1.2 * statistics.median(durations)) if durations else 120.0
        started = time.monotonic()
        killed, status = run_killed(work, delay)
        if not killed:
            durations.append(time.monotonic() - started)
        out["rounds"] += 1
        out["killed"] += killed
        out["errors"] += (not killed) and status != 0
    out["undisturbed_seconds"] = round(statistics.median(durations), 3) if durations else None
    return out


def step_transmit(args: argparse.Namespace) -> dict:
    """Run the outbox sweeper (the worker) once per round and kill it at a random point
    within `--max-delay` seconds (the simulator is made slow by the test), until `--kills`
    kills (at most `--rounds` rounds)."""
    from oasys.clearinghouse.services import edi_files_sweep

    rng = random.Random(args.seed)
    out = {"rounds": 0, "killed": 0, "errors": 0}
    for _ in range(args.rounds):
        if out["killed"] >= args.kills:
            break
        killed, status = run_killed(edi_files_sweep, rng.uniform(0, args.max_delay))
        out["rounds"] += 1
        out["killed"] += killed
        out["errors"] += (not killed) and status != 0
    return out


def step_settle(_args: argparse.Namespace) -> dict:
    """Restart: let the sweeper run until nothing is due, then report what the database
    holds: every claim with its file's status, and the sessions Ready to bill."""
    from oasys.billing.readiness import billing_queue
    from oasys.claims.models import Claim
    from oasys.clearinghouse.models import Direction, EdiFile, EdiFileEvent
    from oasys.clearinghouse.services import edi_files_due, edi_files_sweep

    sweeps = 0
    while sweeps < 20:  # bounded: each sweep sends up to 100 files
        sweeps += 1
        edi_files_sweep()
        if not edi_files_due().exists():
            break
    practice = _practice()
    claims = [{"id": c.pk, "session": c.appointment_id, "pcn": c.patient_control_number,
               "status": c.status,
               "file": c.submission.edi_file.status if c.submission_id else None}
              for c in Claim.objects.filter(practice=practice).select_related(
                  "submission__edi_file").order_by("pk")]
    files = EdiFile.objects.filter(direction=Direction.OUTBOUND)
    return {"sweeps": sweeps, "claims": claims,
            "ready": sorted(i.appointment.pk for i in billing_queue(practice=practice)
                            if i.ready),
            "files": files.count(),
            # files a killed worker left "sending" that the sweeper took back and sent again
            "taken_back": EdiFileEvent.objects.filter(from_status="sending",
                                                      to_status="sending").count(),
            "files_not_submitted": files.exclude(status="submitted").count()}


def step_post(_args: argparse.Namespace) -> dict:
    """Fetch the 999s, 277CAs and 835s (twice: a repeated poll posts nothing again) and
    report what the ledger holds as paid on each claim."""
    from oasys.claims.models import Claim
    from oasys.clearinghouse.services import reports_poll
    from oasys.ledger.models import Account
    from oasys.ledger.selectors import claim_balances

    reports_poll()
    reports_poll()
    practice = _practice()
    paid = {}
    for claim in Claim.objects.filter(practice=practice).order_by("pk"):
        cash = claim_balances(practice=practice, claim_id=claim.pk).get(Account.CASH, 0)
        paid[claim.patient_control_number] = str(abs(cash))
    return {"paid": paid}


STEPS = {"migrate": step_migrate, "seed": step_seed, "bill": step_bill,
         "transmit": step_transmit, "settle": step_settle, "post": step_post}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="crash_harness")
    parser.add_argument("step", choices=sorted(STEPS))
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--sessions-file", default="")
    parser.add_argument("--per-round", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--undisturbed", action="store_true")
    parser.add_argument("--kills", type=int, default=50)
    parser.add_argument("--max-delay", type=float, default=0.6)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--password", default="crash test password 1")
    args = parser.parse_args(argv)
    _setup()
    print(json.dumps(STEPS[args.step](args), default=str), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
