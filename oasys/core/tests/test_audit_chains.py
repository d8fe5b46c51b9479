"""One audit chain per practice: separate sequences and heads, the chain key in the hash,
rows from before chains existed still verify, and on PostgreSQL one practice's open
transaction never makes another practice's audited write wait."""

import hashlib
import json
import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from oasys.core.audit import (
    GENESIS_HASH,
    AuditContext,
    audit_keys,
    audit_record,
    audit_seal,
    audit_verify,
    audit_verify_chains,
)
from oasys.core.models import AuditChainHead, AuditEvent
from oasys.core.tests.audit_tamper import tamper

WAIT = 20  # seconds a thread may wait for the other before the test fails


def _ctx(practice_id):
    return AuditContext(user_id=7, user_email="a@b.example", practice_id=practice_id)


def _write(practice_id, n=1):
    return [
        audit_record(ctx=_ctx(practice_id), action="read", category="demographics",
                     client_id=i, object_type="Client", object_id=i)
        for i in range(n)
    ]




@pytest.mark.django_db
def test_each_practice_has_its_own_sequence_and_head():
    a = _write(101, 3)
    b = _write(202, 2)
    system = _write(None, 1)
    assert [(e.chain, e.seq) for e in a] == [("practice:101", 1), ("practice:101", 2),
                                               ("practice:101", 3)]
    assert [(e.chain, e.seq) for e in b] == [("practice:202", 1), ("practice:202", 2)]
    assert [(e.chain, e.seq) for e in system] == [("system", 1)]
    assert a[0].prev_hash == b[0].prev_hash == GENESIS_HASH
    assert b[1].prev_hash == b[0].hash
    heads = {h.chain: h.last_seq for h in AuditChainHead.objects.all()}
    assert heads == {"practice:101": 3, "practice:202": 2, "system": 1}
    assert audit_verify_chains() == {"practice:101": None, "practice:202": None,
                                     "system": None}


@pytest.mark.django_db
def test_the_hash_covers_the_chain_key():
    event = _write(101, 1)[0]
    _, keys = audit_keys()
    assert audit_seal(event.hash_payload(), keys[event.key_id]) == event.hash
    event.chain = "practice:202"
    assert audit_seal(event.hash_payload(), keys[event.key_id]) != event.hash


@pytest.mark.django_db
def test_verify_names_the_first_broken_link_of_every_chain(capsys):
    _write(101, 4)
    _write(202, 4)
    _write(303, 2)
    tamper("UPDATE core_auditevent SET client_id_ref = 999 WHERE chain = %s AND seq = %s",
           ["practice:101", 2])
    tamper("DELETE FROM core_auditevent WHERE chain = %s AND seq = %s", ["practice:202", 3])
    results = audit_verify_chains()
    assert results["practice:101"].seq == 2 and "hash" in results["practice:101"].reason
    assert results["practice:202"].seq == 3 and "missing" in results["practice:202"].reason
    assert results["practice:303"] is None
    assert audit_verify().chain == "practice:101"
    with pytest.raises(CommandError) as raised:
        call_command("audit", "verify")
    assert "chain practice:101 broken at row 2" in str(raised.value)
    assert "chain practice:202 broken at row 3" in str(raised.value)
    assert "practice:303" not in str(raised.value)


@pytest.mark.django_db
def test_moving_a_row_to_another_chain_is_detected():
    _write(101, 2)
    _write(202, 2)
    tamper("UPDATE core_auditevent SET chain = %s, seq = 3 WHERE chain = %s AND seq = 2",
           ["practice:202", "practice:101"])
    results = audit_verify_chains()
    assert results["practice:101"] is not None  # its head says 2, one row is left
    assert results["practice:202"].seq == 3


@pytest.mark.django_db
def test_deleting_the_last_row_of_a_chain_is_detected_by_its_head():
    _write(101, 3)
    tamper("DELETE FROM core_auditevent WHERE chain = %s AND seq = 3", ["practice:101"])
    broken = audit_verify_chains()["practice:101"]
    assert broken.seq == 3 and "head says 3" in broken.reason


def _old_hash(row: dict) -> str:
    """The hash exactly as audit rows were hashed before chains existed (no chain key)."""
    payload = json.dumps(
        [row["seq"], row["prev_hash"], row["occurred_at"].isoformat(), row["user_id_ref"],
         row["user_email"], row["practice_id_ref"], row["client_id_ref"], row["action"],
         row["category"], row["object_type"], str(row["object_id"]), row["source_ip"],
         row["outcome"], row["detail"]],
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_migration_still_verify_after_it():
    executor = MigrationExecutor(connection)
    before = [("core", "0004_practice_inquiry_days")]
    # Every app's leaf, not only core's: going back to core 0004 also unapplies the
    # migrations of apps that depend on a later core migration (payments' tables), and they
    # must come back for the tests that run after this one in the same process.
    after = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        OldEvent = old.get_model("core", "AuditEvent")
        OldHead = old.get_model("core", "AuditChainHead")
        prev = GENESIS_HASH
        for seq, practice_id in [(1, 101), (2, 202), (3, None)]:
            row = dict(seq=seq, prev_hash=prev, occurred_at=timezone.now(), user_id_ref=7,
                       user_email="a@b.example", practice_id_ref=practice_id,
                       client_id_ref=seq, action="read", category="demographics",
                       object_type="Client", object_id=str(seq), source_ip=None,
                       outcome="success", detail={"n": seq})
            row["hash"] = _old_hash(row)
            OldEvent.objects.create(**row)
            prev = row["hash"]
        OldHead.objects.create(id=1, last_seq=3, last_hash=prev)
    finally:
        MigrationExecutor(connection).migrate(after)

    assert set(AuditEvent.objects.values_list("chain", flat=True)) == {"legacy"}
    # core 0008 re-sealed the three rows with the key and appended a row saying so
    assert AuditChainHead.objects.get(chain="legacy").last_seq == 4
    note = AuditEvent.objects.get(chain="legacy", seq=4)
    assert note.category == "audit_chain"
    assert note.detail == {"resealed_rows": 3, "old_head_hash": prev, "old_chain": "intact"}
    new = _write(101, 2)
    assert [(e.chain, e.seq) for e in new] == [("practice:101", 1), ("practice:101", 2)]
    assert audit_verify_chains() == {"legacy": None, "practice:101": None}
    # The legacy chain is still tamper-evident.
    tamper("UPDATE core_auditevent SET outcome = 'denied' WHERE chain = %s AND seq = 2",
           ["legacy"])
    assert audit_verify_chains()["legacy"].seq == 2


@pytest.mark.django_db(transaction=True)
def test_one_practice_never_waits_on_another_practices_open_transaction():
    """Practice A writes an audit row and keeps its transaction open; practice B's audited
    write must commit meanwhile. With one global head row, B would block until A ends."""
    _write(101, 1)  # both chains exist before the race (first use creates a head row)
    _write(202, 1)
    if connection.vendor != "postgresql":
        # SQLite serialises every writer on the whole file, so the race below cannot be
        # run here; what makes it pass on PostgreSQL is that each chain has its own head.
        assert AuditChainHead.objects.filter(chain__in=["practice:101", "practice:202"]
                                             ).count() == 2
        return
    a_written = threading.Event()
    b_committed = threading.Event()
    outcome: dict[str, object] = {}

    def practice_a():
        try:
            with transaction.atomic():
                _write(101, 1)
                a_written.set()
                outcome["b_committed_while_a_open"] = b_committed.wait(WAIT)
        except Exception as exc:  # noqa: BLE001 - reported by the assertions below
            outcome["a_error"] = exc
        finally:
            a_written.set()
            connections.close_all()

    def practice_b():
        try:
            assert a_written.wait(WAIT)
            with transaction.atomic():
                _write(202, 1)
            b_committed.set()
        except Exception as exc:  # noqa: BLE001
            outcome["b_error"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=practice_a), threading.Thread(target=practice_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 3)
    assert "a_error" not in outcome and "b_error" not in outcome, outcome
    assert outcome["b_committed_while_a_open"] is True
    assert AuditChainHead.objects.get(chain="practice:101").last_seq == 2
    assert AuditChainHead.objects.get(chain="practice:202").last_seq == 2
    assert audit_verify() is None
