"""The keyed audit chain against someone with database access but not the key: rows sealed
with an HMAC, signed checkpoints outside the database, key rotation, and the nightly verify
that emails the operators."""

import hashlib
import importlib
import json
import logging

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from oasys.core.audit import (
    CHECKPOINTS,
    AuditContext,
    audit_checkpoint_write,
    audit_checkpoints_read,
    audit_record,
    audit_seal,
    audit_verify,
    audit_verify_chains,
)
from oasys.core.models import (
    AuditChainHead,
    AuditEvent,
    SentEmail,
    User,
    audit_hash_payload,
)
from oasys.core.tasks import audit_verify_task
from oasys.core.tests.audit_tamper import tamper

pytestmark = pytest.mark.django_db

OLD = ("k2025", "old-secret-" + "o" * 40)
NEW = ("k2026", "new-secret-" + "n" * 40)


def _write(practice_id, n):
    ctx = AuditContext(user_id=7, user_email="a@b.example", practice_id=practice_id,
                       source_ip="10.0.0.1")
    return [audit_record(ctx=ctx, action="read", category="demographics", client_id=i,
                         object_type="Client", object_id=i, detail={"n": i})
            for i in range(n)]


def _rows(chain):
    return list(AuditEvent.objects.filter(chain=chain).order_by("seq"))


def _rewrite_from(chain, seq, *, edit, rehash):
    """The attack: change row `seq` with `edit`, then recompute the hash of it and of every
    row after it with `rehash` (relinking prev-hashes), and move the head to match - all in
    raw SQL, as someone with the database but not the key would."""
    rows = _rows(chain)
    prev = rows[seq - 2].hash if seq > 1 else "0" * 64
    for row in rows[seq - 1:]:
        if row.seq == seq:
            edit(row)
        row.prev_hash = prev
        row.hash = rehash(row)
        prev = row.hash
        tamper("UPDATE core_auditevent SET prev_hash = %s, hash = %s, key_id = %s, "
               "client_id_ref = %s, outcome = %s WHERE id = %s",
               [row.prev_hash, row.hash, row.key_id, row.client_id_ref, row.outcome, row.pk])
    AuditChainHead.objects.filter(chain=chain).update(last_seq=rows[-1].seq, last_hash=prev)


def _plain_sha256(row):
    return hashlib.sha256(audit_hash_payload(row)).hexdigest()


def _wrong_key(row):
    return audit_seal(audit_hash_payload(row), b"a key the attacker made up, 40 chars...")


# --- (a) the tail cut and the head moved back ---------------------------------------------

def test_cutting_the_last_50_rows_and_moving_the_head_is_caught_by_the_checkpoint():
    _write(101, 80)
    _write(202, 5)
    audit_checkpoint_write()
    kept = _rows("practice:101")[29]  # row 30
    tamper("DELETE FROM core_auditevent WHERE chain = %s AND seq > %s", ["practice:101", 30])
    AuditChainHead.objects.filter(chain="practice:101").update(last_seq=30,
                                                               last_hash=kept.hash)
    # The chain alone is a valid, shorter chain: only the checkpoint knows it was longer.
    assert audit_verify_chains(checkpoints=False)["practice:101"] is None
    results = audit_verify_chains()
    broken = results["practice:101"]
    assert broken.seq == 31
    assert "chain ends at 30, but it had 80 rows" in broken.reason
    assert results["practice:202"] is None
    with pytest.raises(CommandError, match="chain practice:101 broken at row 31"):
        call_command("audit", "verify")


def test_cutting_the_tail_is_caught_even_after_new_rows_grow_the_chain_past_it():
    _write(101, 80)
    audit_checkpoint_write()
    kept = _rows("practice:101")[29]
    tamper("DELETE FROM core_auditevent WHERE chain = %s AND seq > %s", ["practice:101", 30])
    AuditChainHead.objects.filter(chain="practice:101").update(last_seq=30,
                                                               last_hash=kept.hash)
    _write(101, 60)  # the app carries on from the moved head: 90 valid rows
    assert audit_verify_chains(checkpoints=False)["practice:101"] is None
    broken = audit_verify_chains()["practice:101"]
    assert broken.seq == 80 and "not the row checkpointed" in broken.reason


def test_a_chain_whose_rows_and_head_are_all_gone_is_caught_by_the_checkpoint():
    _write(101, 3)
    audit_checkpoint_write()
    tamper("DELETE FROM core_auditevent WHERE chain = %s", ["practice:101"])
    AuditChainHead.objects.filter(chain="practice:101").delete()
    assert audit_verify_chains(checkpoints=False) == {}
    broken = audit_verify_chains()["practice:101"]
    assert broken.seq == 1 and "had 3 rows" in broken.reason


# --- (b) a row edited and every later hash recomputed --------------------------------------

@pytest.mark.parametrize("rehash", [_plain_sha256, _wrong_key], ids=["sha256", "wrong-key"])
def test_editing_a_row_and_recomputing_later_hashes_without_the_key_is_caught(rehash):
    _write(101, 10)

    def edit(row):
        row.client_id_ref = 999

    _rewrite_from("practice:101", 4, edit=edit, rehash=rehash)
    broken = audit_verify_chains(checkpoints=False)["practice:101"]
    assert broken.seq == 4 and "does not match its hash" in broken.reason


def test_relabelling_rows_to_a_key_that_is_not_configured_is_caught():
    _write(101, 5)

    def edit(row):
        row.outcome = "denied"
        row.key_id = "forged"

    _rewrite_from("practice:101", 2, edit=edit, rehash=_plain_sha256)
    broken = audit_verify_chains()["practice:101"]
    assert broken.seq == 2 and "key 'forged', which is not configured" in broken.reason


def test_the_same_rewrite_with_the_key_passes_which_is_why_the_key_stays_out_of_the_db():
    """The control: the attack above fails only for want of the key."""
    _write(101, 6)
    key_id, secret = django_settings.AUDIT_KEYS[0]

    def edit(row):
        row.client_id_ref = 999

    _rewrite_from("practice:101", 3, edit=edit,
                  rehash=lambda row: audit_seal(audit_hash_payload(row), secret.encode()))
    assert audit_verify_chains(checkpoints=False)["practice:101"] is None


def test_a_rewrite_before_the_last_checkpoint_is_caught_at_the_checkpoint_too():
    _write(101, 6)
    audit_checkpoint_write()
    _, secret = django_settings.AUDIT_KEYS[0]

    def edit(row):
        row.client_id_ref = 999

    # even with the key, rows under a checkpoint cannot be rewritten unseen
    _rewrite_from("practice:101", 3, edit=edit,
                  rehash=lambda row: audit_seal(audit_hash_payload(row), secret.encode()))
    broken = audit_verify_chains()["practice:101"]
    assert broken.seq == 6 and "not the row checkpointed" in broken.reason


# --- (c) key rotation ---------------------------------------------------------------------

def test_rotation_old_rows_still_verify_and_new_rows_use_the_new_key(settings):
    settings.AUDIT_KEYS = (OLD,)
    before = _write(101, 3)
    audit_checkpoint_write()
    settings.AUDIT_KEYS = (NEW, OLD)  # rotating: the new key first, the old one kept
    after = _write(101, 2)
    assert {e.key_id for e in before} == {"k2025"}
    assert {e.key_id for e in after} == {"k2026"}
    assert after[0].prev_hash == before[-1].hash
    audit_checkpoint_write()
    found, problems = audit_checkpoints_read()
    assert [(c.chain, c.seq) for c in found] == [("practice:101", 3), ("practice:101", 5)]
    assert problems == []
    assert audit_verify_chains() == {"practice:101": None}
    call_command("audit", "verify")


def test_dropping_a_key_that_rows_still_name_is_reported(settings):
    settings.AUDIT_KEYS = (OLD,)
    _write(101, 2)
    audit_checkpoint_write()
    settings.AUDIT_KEYS = (NEW,)
    results = audit_verify_chains()
    assert results["practice:101"].seq == 1
    assert "key 'k2025', which is not configured" in results["practice:101"].reason
    assert "signed with key 'k2025'" in results[CHECKPOINTS].reason


# --- the checkpoint file ------------------------------------------------------------------

def test_checkpoint_lines_are_signed_and_also_logged(caplog):
    _write(101, 2)
    _write(None, 1)
    with caplog.at_level(logging.INFO, logger="oasys.core.audit"):
        written = audit_checkpoint_write()
    assert [(c.chain, c.seq) for c in written] == [("practice:101", 2), ("system", 1)]
    lines = django_settings.AUDIT_CHECKPOINT_FILE.read_text().splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["chain"] == "practice:101" and first["seq"] == 2
    assert first["hash"] == AuditChainHead.objects.get(chain="practice:101").last_hash
    assert first["key"] == django_settings.AUDIT_KEYS[0][0] and len(first["sig"]) == 64
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert logged == [f"audit checkpoint {line}" for line in lines]


def test_a_checkpoint_line_edited_or_forged_in_the_file_is_reported():
    _write(101, 3)
    audit_checkpoint_write()
    path = django_settings.AUDIT_CHECKPOINT_FILE
    line = json.loads(path.read_text())
    line["seq"] = 2  # make the chain look shorter than it was
    forged = {**line, "seq": 9, "sig": "0" * 64}
    path.write_text(json.dumps(line) + "\n" + json.dumps(forged) + "\nnot json\n")
    found, problems = audit_checkpoints_read()
    assert found == []
    assert problems == ["checkpoint line 1 has a bad signature",
                        "checkpoint line 2 has a bad signature",
                        "checkpoint line 3 cannot be read"]
    results = audit_verify_chains()
    assert results["practice:101"] is None  # a forged line proves nothing either way
    assert results[CHECKPOINTS] is not None
    with pytest.raises(CommandError, match="checkpoint file: checkpoint line 1 has a bad"):
        call_command("audit", "verify")


def test_checkpoint_command_writes_one_line_per_chain(capsys):
    _write(101, 1)
    _write(202, 1)
    call_command("audit", "checkpoint")
    assert "Checkpointed 2 chains" in capsys.readouterr().out
    found, _ = audit_checkpoints_read()
    assert {(c.chain, c.seq) for c in found} == {("practice:101", 1), ("practice:202", 1)}
    call_command("audit", "verify")
    assert "2 rows verified in 2 chains" in capsys.readouterr().out


def test_audit_record_still_costs_the_same_queries(django_assert_num_queries):
    _write(101, 1)  # the chain's head exists
    # head compare-and-swap, insert (one statement on PostgreSQL): no key lookup in the db
    # (test_audit_head_cas.py pins the other paths)
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        _write(101, 1)


# --- (d) the nightly verify ---------------------------------------------------------------

@pytest.fixture
def operators(owner):
    ops = [User.objects.create_user(f"op{i}@ops.example", "x" * 12, is_staff=True)
           for i in (1, 2)]
    User.objects.create_user("retired@ops.example", "x" * 12, is_staff=True,
                             is_active=False)
    assert not owner.is_staff  # a practice's owner is no operator
    return ops


def test_the_nightly_task_is_in_the_beat():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"oasys.core.tasks.audit_verify_task",
            "oasys.core.tasks.audit_checkpoint_task"} <= tasks


def test_nightly_verify_of_intact_chains_checkpoints_and_emails_nobody(
        operators, django_capture_on_commit_callbacks, caplog):
    _write(101, 3)
    with django_capture_on_commit_callbacks(execute=True), \
            caplog.at_level(logging.INFO, logger="oasys.core.audit"):
        assert audit_verify_task() == 0
    assert mail.outbox == []
    assert not SentEmail.objects.filter(kind="audit_alert").exists()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    found, _ = audit_checkpoints_read()
    assert [(c.chain, c.seq) for c in found] == [("practice:101", 3)]


def test_nightly_verify_of_a_broken_chain_logs_an_error_and_emails_each_operator(
        operators, django_capture_on_commit_callbacks, caplog):
    _write(101, 5)
    _write(202, 2)
    tamper("UPDATE core_auditevent SET client_id_ref = 999 WHERE chain = %s AND seq = 2",
           ["practice:101"])
    with django_capture_on_commit_callbacks(execute=True), \
            caplog.at_level(logging.INFO, logger="oasys.core.audit"):
        assert audit_verify_task() == 1
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == ["audit verify: chain practice:101 broken at row 2: row content does "
                      "not match its hash"]
    assert sorted(m.to[0] for m in mail.outbox) == ["op1@ops.example", "op2@ops.example"]
    message = mail.outbox[0]
    assert message.subject == "Audit log: 1 of 2 chains failed verification"
    assert "Chain practice:101: broken at row 2" in message.body
    rows = SentEmail.objects.filter(kind="audit_alert")
    assert rows.count() == 2 and {r.practice_id for r in rows} == {None}
    # only the intact chain was checkpointed: the broken head is not vouched for
    found, _ = audit_checkpoints_read()
    assert [c.chain for c in found] == ["practice:202"]


def test_an_operator_alert_never_shows_on_a_practices_outbox(
        operators, owner_client, django_capture_on_commit_callbacks):
    _write(101, 2)
    tamper("DELETE FROM core_auditevent WHERE chain = %s AND seq = 1", ["practice:101"])
    with django_capture_on_commit_callbacks(execute=True):
        audit_verify_task()
    assert SentEmail.objects.filter(kind="audit_alert").count() == 2
    page = owner_client.get("/billing/outbox/")
    assert page.status_code == 200
    assert b"failed verification" not in page.content  # the alert's subject


# --- the migration that made the log keyed ------------------------------------------------

M0009 = importlib.import_module("oasys.core.migrations.0009_audit_keyed_chain")


@pytest.mark.django_db(transaction=True)
def test_the_migration_reseals_old_chains_and_records_a_break_made_before_it():
    executor = MigrationExecutor(connection)
    before = [("core", "0008_practice_suspension")]
    after = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        OldEvent = old.get_model("core", "AuditEvent")
        OldHead = old.get_model("core", "AuditChainHead")
        for chain, practice_id in (("practice:101", 101), ("practice:202", 202)):
            prev = "0" * 64
            for seq in (1, 2, 3):
                row = OldEvent(chain=chain, seq=seq, prev_hash=prev, user_id_ref=7,
                               user_email="a@b.example", practice_id_ref=practice_id,
                               client_id_ref=seq, action="read", category="demographics",
                               object_type="Client", object_id=str(seq), outcome="success",
                               detail={"n": seq})
                row.hash = M0009._old_hash(row)
                row.save()
                prev = row.hash
            OldHead.objects.create(chain=chain, last_seq=3, last_hash=prev)
        # practice 202's row 2 was edited before the upgrade (no trigger on SQLite then)
        with connection.cursor() as cur:
            pg = connection.vendor == "postgresql"
            if pg:
                cur.execute("ALTER TABLE core_auditevent DISABLE TRIGGER "
                            "oasys_audit_append_only")
            cur.execute("UPDATE core_auditevent SET client_id_ref = 999 WHERE chain = %s "
                        "AND seq = 2", ["practice:202"])
            if pg:
                cur.execute("ALTER TABLE core_auditevent ENABLE TRIGGER "
                            "oasys_audit_append_only")
    finally:
        MigrationExecutor(connection).migrate(after)

    key_id = django_settings.AUDIT_KEYS[0][0]
    assert set(AuditEvent.objects.values_list("key_id", flat=True)) == {key_id}
    notes = {e.chain: e for e in AuditEvent.objects.filter(category="audit_chain")}
    assert notes["practice:101"].seq == 4
    assert notes["practice:101"].detail["old_chain"] == "intact"
    assert notes["practice:202"].detail["old_chain"] == (
        "broken: row 2: row content does not match its hash")
    assert notes["practice:202"].detail["resealed_rows"] == 3
    assert AuditChainHead.objects.get(chain="practice:101").last_seq == 4
    assert audit_verify() is None  # re-sealed: the break lives on in the sealed note
    _write(101, 1)
    assert AuditChainHead.objects.get(chain="practice:101").last_seq == 5
    assert audit_verify() is None
