"""audit_record's fast path: the head moves by compare-and-swap from the (seq, hash) this
connection last wrote, so an append is one UPDATE and one INSERT, with no savepoint. A stale
guess (another connection appended, or a savepoint or the whole transaction rolled back)
costs a failed swap and a locked re-read, never a wrong seq or prev_hash; a failure after the
head moved dooms the caller's transaction, so a head never commits without its row."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext

from oasys.core import audit
from oasys.core.audit import GENESIS_HASH, AuditContext, _heads_seen, audit_record, audit_verify
from oasys.core.models import AuditChainHead, AuditEvent, audit_chain_key
from oasys.core.tests.threads import run_together

WAIT = 20  # seconds a thread may wait for another before the test fails
CHAIN = audit_chain_key(101)


class Boom(Exception):
    pass


def _ctx(practice_id: int | None = 101) -> AuditContext:
    return AuditContext(user_id=7, user_email="a@b.example", practice_id=practice_id)


def _write(n: int = 1, practice_id: int | None = 101) -> list[AuditEvent]:
    return [audit_record(ctx=_ctx(practice_id), action="read", category="demographics",
                         client_id=i, object_type="Client", object_id=i) for i in range(n)]


def _one() -> AuditEvent:
    return _write(1)[0]


def _sql(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries]


def _in_thread(fn):
    """`fn` on another thread, so on another database connection (with no guesses yet)."""
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            out["error"] = exc
        finally:
            connection.close()

    t = threading.Thread(target=run)
    t.start()
    t.join(WAIT * 3)
    assert not t.is_alive(), "the thread hung"
    if "error" in out:
        raise out["error"]
    return out["value"]


def _links(events: list[AuditEvent]) -> list[tuple[int, str]]:
    return [(e.seq, e.prev_hash) for e in events]


# --- the query costs ----------------------------------------------------------------------

@pytest.mark.django_db
def test_an_append_after_this_connections_own_is_one_swap_and_one_insert():
    first = _one()
    with CaptureQueriesContext(connection) as queries:
        second = _one()
    sql = _sql(queries)
    if connection.vendor == "postgresql":
        # one statement: the swap in a CTE, the row inserted from it (so only if it matched)
        assert len(sql) == 1, sql
        swap, insert = sql[0].split("INSERT INTO", 1)
        assert swap.startswith('WITH swap AS (UPDATE "core_auditchainhead"')
        assert insert.lstrip().startswith('"core_auditevent"') and "FROM swap" in insert
    else:
        assert len(sql) == 2, sql
        swap, insert = sql
        assert swap.startswith('UPDATE "core_auditchainhead"')
        assert insert.startswith('INSERT INTO "core_auditevent"')
    where = swap.split("WHERE", 1)[1]
    assert "last_seq" in where and "last_hash" in where  # the swap checks both
    assert (second.seq, second.prev_hash) == (2, first.hash)
    assert AuditEvent.objects.get(pk=second.pk).hash == second.hash


@pytest.mark.django_db
def test_a_connection_with_no_guess_locks_and_reads_the_head_without_a_savepoint():
    first = _one()
    _heads_seen(connection).clear()  # a fresh worker process: the head exists, no guess
    with CaptureQueriesContext(connection) as queries:
        second = _one()
    sql = _sql(queries)
    assert len(sql) == 3, sql
    assert sql[0].startswith('SELECT') and '"core_auditchainhead"' in sql[0]
    if connection.features.has_select_for_update:
        assert "FOR UPDATE" in sql[0]
    assert sql[1].startswith('UPDATE "core_auditchainhead"')
    assert sql[2].startswith('INSERT INTO "core_auditevent"')
    assert (second.seq, second.prev_hash) == (2, first.hash)


@pytest.mark.django_db
def test_a_stale_guess_costs_a_failed_swap_and_a_locked_re_read():
    one, two = _write(2)
    _heads_seen(connection)[CHAIN] = (one.seq, one.hash)  # as if someone else wrote `two`
    with CaptureQueriesContext(connection) as queries:
        three = _one()
    sql = _sql(queries)
    assert len(sql) == 4, sql
    swap = "WITH" if connection.vendor == "postgresql" else "UPDATE"  # the swap that failed
    assert [s.split(" ", 1)[0] for s in sql] == [swap, "SELECT", "UPDATE", "INSERT"]
    assert (three.seq, three.prev_hash) == (3, two.hash)
    assert _heads_seen(connection)[CHAIN] == (3, three.hash)  # refreshed: next is 2 queries
    assert audit_verify() is None


@pytest.mark.django_db
def test_the_first_event_of_a_chain_creates_its_head():
    assert not AuditChainHead.objects.filter(chain=audit_chain_key(555)).exists()
    [event] = _write(1, practice_id=555)
    assert (event.seq, event.prev_hash) == (1, GENESIS_HASH)
    head = AuditChainHead.objects.get(chain=audit_chain_key(555))
    assert (head.last_seq, head.last_hash) == (1, event.hash)


# --- rollbacks and other connections --------------------------------------------------------

@pytest.mark.django_db
def test_savepoint_rollbacks_in_between_never_break_the_chain():
    kept = _write(1)
    for _ in range(3):
        with pytest.raises(Boom), transaction.atomic():
            _write(2)  # rolled back, but this connection's guess now names the second
            raise Boom
        kept += _write(1)  # the guess is stale: it re-reads the head the rollback restored
    assert _links(kept) == [(1, GENESIS_HASH)] + [
        (i + 2, e.hash) for i, e in enumerate(kept[:-1])]
    assert AuditChainHead.objects.get(chain=CHAIN).last_seq == 4
    assert audit_verify() is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("threads_share_the_database")
def test_rollbacks_and_another_connection_interleaved_keep_one_valid_chain():
    _one()
    with transaction.atomic():
        _one()
        with pytest.raises(Boom), transaction.atomic():
            _one()  # seq 3, rolled back to the savepoint
            raise Boom
        assert _one().seq == 3
    theirs = _in_thread(lambda: _write(2))  # 4, 5 on a connection of its own
    assert [e.seq for e in theirs] == [4, 5]
    assert _one().prev_hash == theirs[-1].hash  # 6: our guess said 3
    with pytest.raises(Boom), transaction.atomic():
        mine = _one()  # 7, rolled back with the whole transaction; our guess names it
        raise Boom
    other = _in_thread(_one)  # the other connection writes another row 7
    assert other.seq == mine.seq == 7 and other.hash != mine.hash
    # The head's seq is what our guess says, its hash is not: the swap must not match.
    last = _one()
    assert (last.seq, last.prev_hash) == (8, other.hash)
    assert AuditChainHead.objects.get(chain=CHAIN).last_seq == 8
    assert audit_verify() is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("threads_share_the_database")
def test_threads_appending_to_one_chain_at_once_end_with_a_valid_chain():
    _one()  # the head exists, so the threads race on appends, not on creating it
    rounds = 15

    def appender() -> int:
        written = 0
        for i in range(rounds):
            if i % 3 == 0:
                _write(1)  # a transaction of its own
                written += 1
            else:
                with transaction.atomic():
                    _write(2)
                    if i % 3 == 2:
                        # a savepoint rolled back in between: this thread's guess goes stale
                        with pytest.raises(Boom), transaction.atomic():
                            _write(1)
                            raise Boom
                    _write(1)
                written += 3
        return written

    results, errors = run_together(appender, n=3)
    assert errors == [], errors
    total = 1 + sum(results)
    assert AuditEvent.objects.filter(chain=CHAIN).count() == total
    assert AuditChainHead.objects.get(chain=CHAIN).last_seq == total
    assert audit_verify() is None


def _someone_waits_on_a_lock() -> bool:
    deadline = time.monotonic() + WAIT
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("threads_share_the_database")
@pytest.mark.parametrize("other_commits", [True, False], ids=["commits", "rolls-back"])
def test_a_swap_that_waits_on_another_append_sees_how_it_ended(other_commits):
    """A's guess is right when it starts; B has moved the head and holds its lock. A's swap
    waits; PostgreSQL re-checks its WHERE on the row B leaves: moved, A re-reads and appends
    after B; rolled back, A's swap holds."""
    a_ready, b_locked, b_go = threading.Event(), threading.Event(), threading.Event()
    out: dict = {}

    def a() -> None:
        try:
            out["a0"] = _one()
            a_ready.set()
            assert b_locked.wait(WAIT)
            out["a1"] = _one()  # waits on B's lock
        finally:
            a_ready.set()
            connection.close()

    def b() -> None:
        try:
            assert a_ready.wait(WAIT)
            with transaction.atomic():
                out["b"] = _one()
                b_locked.set()
                assert b_go.wait(WAIT)
                if not other_commits:
                    raise Boom
        except Boom:
            pass
        finally:
            b_locked.set()
            connection.close()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    try:
        assert b_locked.wait(WAIT)
        assert _someone_waits_on_a_lock(), "A's swap never waited on B's lock"
    finally:
        b_go.set()
        for t in threads:
            t.join(WAIT * 3)
    assert not any(t.is_alive() for t in threads)
    a0, a1, b_row = out["a0"], out["a1"], out["b"]
    if other_commits:
        assert (a1.seq, a1.prev_hash) == (b_row.seq + 1, b_row.hash)
    else:
        assert (a1.seq, a1.prev_hash) == (b_row.seq, a0.hash)
    assert audit_verify() is None


# --- failures -------------------------------------------------------------------------------

def _insert_fails(monkeypatch) -> None:
    def save(self, *args, **kwargs):
        raise Boom("the insert failed after the head moved")

    real = audit._swap_and_insert

    def swap_then_fail(*args, **kwargs):
        # PostgreSQL's one statement: the head moved and the row went in, then the caller's
        # work fails: neither may survive
        real(*args, **kwargs)
        raise Boom("failed after the head moved")

    monkeypatch.setattr(AuditEvent, "save", save)
    monkeypatch.setattr(audit, "_swap_and_insert", swap_then_fail)


@pytest.mark.django_db
def test_a_failure_after_the_head_moved_dooms_the_callers_transaction(monkeypatch):
    first = _one()
    with monkeypatch.context() as m:
        _insert_fails(m)
        with transaction.atomic():
            with pytest.raises(Boom):
                _one()
            # no savepoint of its own to undo the head alone: the caller cannot go on
            assert transaction.get_rollback()
            with pytest.raises(TransactionManagementError):
                AuditChainHead.objects.get(chain=CHAIN)
    head = AuditChainHead.objects.get(chain=CHAIN)
    assert (head.last_seq, head.last_hash) == (1, first.hash)
    assert _heads_seen(connection)[CHAIN] == (1, first.hash)  # the guess was kept
    assert (_one().seq, AuditEvent.objects.filter(chain=CHAIN).count()) == (2, 2)
    assert audit_verify() is None


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_head_and_its_row_commit_together(monkeypatch):
    first = _one()
    assert not connection.in_atomic_block
    with monkeypatch.context() as m:
        _insert_fails(m)
        with pytest.raises(Boom):
            _one()
    head = AuditChainHead.objects.get(chain=CHAIN)
    assert (head.last_seq, head.last_hash) == (1, first.hash)
    assert _one().seq == 2
    assert audit_verify() is None
