"""Crash safety of ERA posting, proved with kill -9 (issue 10, "Crash safety").

The real posting (`oasys era import FILE --practice SLUG`, run in a forked process of
crash_worker.py against its own SQLite file) is SIGKILLed at a random moment of the work,
then run again until one run completes; 50 times, each on a fresh copy of the same database.
Counted from the database afterwards: no claim payment posted twice, every journal entry
balanced, the cached claim figures equal to the journal, and the remittance posted exactly
once. The figures are printed (run with -s to see them)."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

N_CLAIMS = 10
ITERATIONS = 50
MAX_KILLS = 2  # per iteration; then the run is left to finish


def _env(db: Path, var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DATABASE_URL=f"sqlite:///{db}", OASYS_VAR_DIR=str(var),
               DJANGO_SETTINGS_MODULE="oasys.settings")
    return env


def _state(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        posted = conn.execute("SELECT count(*) FROM remittance_remittance").fetchone()[0]
        files = conn.execute("SELECT count(*) FROM clearinghouse_edifile").fetchone()[0]
    if posted:
        return "killed after the posting committed"
    if files:
        return "killed while posting (rolled back)"
    return "killed before the file was stored"


def _count(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
        payments = q("SELECT claim_id, count(*) FROM ledger_journalentry "
                     "WHERE entry_type = 'insurance_payment' GROUP BY claim_id")
        unbalanced = q("SELECT entry_id FROM ledger_journalline GROUP BY entry_id "
                       "HAVING round(sum(debit) - sum(credit), 2) != 0")
        total = q("SELECT round(sum(debit) - sum(credit), 2) FROM ledger_journalline")[0][0]
        cache_off = q("""SELECT c.id FROM claims_claim c WHERE round(c.paid_amount, 2) !=
                         round(coalesce((SELECT sum(l.debit) - sum(l.credit)
                         FROM ledger_journalline l WHERE l.claim_id = c.id
                         AND l.account = 'cash' AND l.remittance_id IS NOT NULL), 0), 2)""")
        remittances = q("SELECT status, count(*) FROM remittance_remittance GROUP BY status")
        rcs = q("SELECT count(*) FROM remittance_remittanceclaim")[0][0]
    return {
        "claims paid": len(payments),
        "payments posted twice": sum(1 for _, n in payments if n > 1),
        "unbalanced entries": len(unbalanced),
        "journal total": 0 if not total else 1,
        "cached figures off": len(cache_off),
        "remittances posted": sum(n for s, n in remittances
                                  if s in ("posted", "partially_unmatched")),
        "remittances other": sum(n for s, n in remittances
                                 if s not in ("posted", "partially_unmatched")),
        "remittance claims": rcs,
    }


def test_era_posting_survives_sigkill_at_random_points(tmp_path):
    template = tmp_path / "template.db"
    era_file = tmp_path / "era.835"
    var = tmp_path / "var"
    subprocess.run([sys.executable, "-m", "oasys.remittance.tests.crash_setup", str(era_file),
                    str(N_CLAIMS)], env=_env(template, var), check=True, timeout=600)
    with sqlite3.connect(template) as conn:  # everything in the main file, for copying
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    worker = subprocess.Popen([sys.executable, "-m", "oasys.remittance.tests.crash_worker"],
                              env=_env(tmp_path / "unused.db", var), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)

    def post(db: Path, delay: float) -> str:
        assert worker.stdin and worker.stdout
        worker.stdin.write(f"post {db} {era_file} crash-test {delay:.3f}\n")
        worker.stdin.flush()
        return worker.stdout.readline().strip()

    def fresh(name: str) -> Path:
        db = tmp_path / f"{name}.db"
        shutil.copyfile(template, db)
        return db

    expected = {"claims paid": N_CLAIMS, "payments posted twice": 0, "unbalanced entries": 0,
                "journal total": 0, "cached figures off": 0, "remittances posted": 1,
                "remittances other": 0, "remittance claims": N_CLAIMS}
    seed = random.SystemRandom().randrange(2**32)
    rng = random.Random(seed)
    kills: Counter[str] = Counter()
    try:
        base = fresh("baseline")
        started = time.monotonic()
        assert post(base, -1) == "exit 0"
        full = time.monotonic() - started  # how long one uninterrupted posting takes
        assert _count(base) == expected
        failures = []
        for i in range(ITERATIONS):
            db = fresh(f"run{i}")
            n = 0
            while True:
                # a random moment of the work: runs get faster or slower with the machine's
                # load, so the window follows the last complete run
                delay = rng.uniform(0, full * 1.1) if n < MAX_KILLS else -1
                started = time.monotonic()
                answer = post(db, delay)
                if answer != "killed":
                    assert answer == "exit 0", (i, answer)
                    full = time.monotonic() - started
                    break
                n += 1
                kills[_state(db)] += 1
            got = _count(db)
            if got != expected:
                failures.append((i, got))
            db.unlink()
    finally:
        worker.kill()
        worker.wait()
    print(f"\ncrash test (seed {seed}): {ITERATIONS} iterations of {N_CLAIMS} claims, "
          f"last complete posting {full:.2f}s; kills: {sum(kills.values())} "
          f"({dict(kills)}); iterations wrong: {len(failures)}")
    assert failures == [], f"seed {seed}: {failures[:3]}"
    assert kills["killed while posting (rolled back)"] > 0, kills  # kills landed mid-work
