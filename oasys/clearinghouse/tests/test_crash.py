"""kill -9 during billing and during transmission, 50 times each, against the simulator as a
real process; then restart, let the sweeper run, and count from the simulator's own records
(`/_sandbox/claims`) and the database: no claim at the clearinghouse twice, no claim stranded
(every billed session ends with a claim the clearinghouse has, or back in Ready), no payment
posted twice. Runs on SQLite (a migrated file) and on PostgreSQL (a temporary database) as
the suite does. The figures are printed (pytest -s shows them)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from .processes import SUBMIT_PATH, Harness, process_database, process_env

KILLS = 50  # of each: billing, transmission
PER_ROUND = 2
SESSIONS = 180  # enough rounds of PER_ROUND for KILLS kills (most rounds are)
# Most billing kills roll back, so billing leaves few files; each transmission kill uses up
# about one file (up to three), so files of their own keep the kills from running out of work
# on a fast machine.
SPARE_FILES = 120


@pytest.fixture
def harness(clearinghouse_sim, tmp_path):
    with process_database(tmp_path) as url:
        env = process_env(database_url=url, sim=clearinghouse_sim, var_dir=tmp_path,
                          # every process the test kills is dead before the next starts: a
                          # file left "sending" is stale at once, and retries are due at once
                          CLEARINGHOUSE_SENDING_STALE_SECONDS="0",
                          CLEARINGHOUSE_QUEUED_GRACE_SECONDS="0",
                          CLEARINGHOUSE_RETRY_BASE_SECONDS="0",
                          CLEARINGHOUSE_TIMEOUT_SECONDS="10", CLEARINGHOUSE_ATTEMPTS="1")
        yield Harness(env, tmp_path)


def test_kill_9_during_billing_and_transmission_strands_and_duplicates_nothing(
        harness, clearinghouse_sim):
    sessions = harness.run("seed", "--sessions", str(SESSIONS + SPARE_FILES))["sessions"]
    file = harness.sessions_file(sessions[:SESSIONS])

    # (a) billing killed at random points (the undisturbed rounds set the range)
    billed = harness.run("bill", "--sessions-file", file, "--per-round", str(PER_ROUND),
                         "--kills", str(KILLS))
    assert billed["killed"] == KILLS and billed["errors"] == 0, billed
    spare = harness.run("bill", "--sessions-file",
                        harness.sessions_file(sessions[SESSIONS:], name="spare"),
                        "--per-round", "1", "--undisturbed")
    assert spare["rounds"] == SPARE_FILES
    assert clearinghouse_sim.claims() == []  # billing itself sends nothing

    # (b) the worker killed at random points while the clearinghouse answers slowly: it
    # stores each file at once and answers 0.25 s later, so most kills land after the
    # clearinghouse has the claims and before we know it
    clearinghouse_sim.control("faults", {"kind": "timeout", "seconds": 0.25,
                                         "path": SUBMIT_PATH, "count": 100000})
    sent = harness.run("transmit", "--kills", str(KILLS), "--rounds", str(3 * KILLS),
                       "--max-delay", "0.6")
    assert sent["killed"] == KILLS and sent["errors"] == 0, sent
    clearinghouse_sim.http.delete("/_sandbox/faults").raise_for_status()

    # restart: the sweeper resends or confirms whatever the killed workers left
    facts = harness.run("settle")
    at_clearinghouse = Counter(c["pcn"] for c in clearinghouse_sim.claims())
    twice = sorted(pcn for pcn, n in at_clearinghouse.items() if n > 1)
    claims = facts["claims"]
    by_session = {c["session"]: c for c in claims}
    stranded = sorted(
        [s for s in sessions if s not in by_session and s not in facts["ready"]]
        + [c["session"] for c in claims if c["pcn"] not in at_clearinghouse
           or c["status"] != "submitted" or c["file"] != "submitted"])
    figures = {"billing kills": f"{billed['killed']} of {billed['rounds']} rounds",
               "transmission kills": f"{sent['killed']} of {sent['rounds']} rounds",
               "sessions": len(sessions), "claims": len(claims),
               "back in Ready": len(facts["ready"]),
               "claims at the clearinghouse": sum(at_clearinghouse.values()),
               "at the clearinghouse twice": len(twice), "stranded": len(stranded),
               "files": facts["files"], "files not sent": facts["files_not_submitted"],
               "sends taken back from a killed worker": facts["taken_back"]}
    print("\ncrash test figures:", figures)
    assert twice == []
    assert stranded == []
    assert len(claims) + len(facts["ready"]) == len(sessions)
    assert set(at_clearinghouse) == {c["pcn"] for c in claims}
    assert facts["files_not_submitted"] == 0

    # the payer adjudicates; the ERAs post each payment once
    clearinghouse_sim.advance(12)
    paid = harness.run("post")["paid"]
    expected = {c["pcn"]: Decimal(str((c["result"] or {}).get("paid") or "0"))
                for c in clearinghouse_sim.claims()}
    paid_twice = sorted(pcn for pcn, amount in paid.items()
                        if Decimal(amount) != expected.get(pcn, Decimal("0")))
    print("payments posted twice (or not as paid):", len(paid_twice),
          "of", sum(1 for v in expected.values() if v > 0), "paid claims;",
          "seconds per step:", harness.seconds)
    assert any(v > 0 for v in expected.values())
    assert paid_twice == []
