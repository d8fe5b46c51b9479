"""The audit log becomes keyed, and append-only on SQLite too.

Rows written before this migration were sealed with plain SHA-256, which anyone with
database access can recompute. Left as they were, an attacker could rewrite them and
re-hash up to the first keyed row, and verify would have to accept unkeyed rows somewhere
in every chain (which an attacker would then use everywhere). So every existing chain is
re-sealed here, once, with the current key (settings.AUDIT_KEYS[0]):

1. each chain is first verified under the old scheme (links, seqs, hashes, head);
2. its rows get HMAC hashes and relinked prev-hashes, in seq order (content is untouched);
3. one row is appended to the chain ("update" of category "audit_chain") that records how
   many rows were re-sealed, the old head's hash, and whether the old chain was intact -
   so a break made before the migration is not laundered: it is sealed into the chain.
   A missing row stays missing (seqs are kept), so such a chain keeps failing verify.

On PostgreSQL the append-only trigger is switched off for the re-seal only (DDL inside this
migration's transaction). On SQLite the equivalent triggers are created afterwards.
Reversing re-seals with the old SHA-256 scheme (the re-seal rows stay, as ordinary rows).
"""

import hashlib
import json
import logging

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.utils import timezone

log = logging.getLogger("oasys.core.audit")

GENESIS = "0" * 64
LEGACY = "legacy"
BATCH = 1000

SQLITE_CREATE = [
    """CREATE TRIGGER IF NOT EXISTS oasys_audit_no_update BEFORE UPDATE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only (UPDATE refused)'); END""",
    """CREATE TRIGGER IF NOT EXISTS oasys_audit_no_delete BEFORE DELETE ON core_auditevent
       BEGIN SELECT RAISE(ABORT, 'core_auditevent is append-only (DELETE refused)'); END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS oasys_audit_no_update",
    "DROP TRIGGER IF EXISTS oasys_audit_no_delete",
]


def _old_hash(row) -> str:
    """The plain SHA-256 of core 0005-0007 (frozen here: the app's code moves on)."""
    fields = [] if row.chain == LEGACY else [row.chain]
    payload = json.dumps(
        [*fields, row.seq, row.prev_hash, row.occurred_at.isoformat(), row.user_id_ref,
         row.user_email, row.practice_id_ref, row.client_id_ref, row.action, row.category,
         row.object_type, str(row.object_id), row.source_ip, row.outcome, row.detail],
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _keyed_hash(row, key_id: str, secret: bytes) -> str:
    from oasys.core.audit import audit_seal
    from oasys.core.models import audit_hash_payload

    row.key_id = key_id
    return audit_seal(audit_hash_payload(row), secret)


def _rows(Event, chain):
    """A chain's rows in seq order, a page at a time (no cursor open while updating)."""
    after = 0
    while True:
        page = list(Event.objects.filter(chain=chain, seq__gt=after).order_by("seq")[:BATCH])
        if not page:
            return
        yield page
        after = page[-1].seq


def _trigger(schema_editor, enable: bool) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cur:
            cur.execute(f"ALTER TABLE core_auditevent {'ENABLE' if enable else 'DISABLE'} "
                        "TRIGGER oasys_audit_append_only")


def _reseal(Event, chain, rehash) -> tuple[int, str, str, str]:
    """Recompute every row's hash with `rehash(row)` and relink; answer (rows, old head hash,
    new head hash, what the old scheme said of the chain)."""
    prev_old, prev_new, expected, count = GENESIS, GENESIS, 1, 0
    old_break = ""
    for page in _rows(Event, chain):
        for row in page:
            if not old_break:
                if row.seq != expected:
                    old_break = f"row {expected} is missing (next is {row.seq})"
                elif row.prev_hash != prev_old:
                    old_break = f"row {row.seq}: previous-hash does not match the row before"
                elif _old_hash(row) != row.hash:
                    old_break = f"row {row.seq}: row content does not match its hash"
            expected = row.seq + 1
            prev_old = row.hash
            row.prev_hash = prev_new
            row.hash = rehash(row)
            prev_new = row.hash
            count += 1
        Event.objects.bulk_update(page, ["prev_hash", "hash", "key_id"])
    return count, prev_old, prev_new, old_break


def forwards(apps, schema_editor):
    Event = apps.get_model("core", "AuditEvent")
    Head = apps.get_model("core", "AuditChainHead")
    chains = sorted(set(Event.objects.order_by().values_list("chain", flat=True).distinct()))
    if not chains:
        return
    key_id, secret = settings.AUDIT_KEYS[0][0], settings.AUDIT_KEYS[0][1].encode()
    _trigger(schema_editor, enable=False)
    for chain in chains:
        head = Head.objects.filter(chain=chain).first()
        count, old_head, new_head, old_break = _reseal(
            Event, chain, lambda row: _keyed_hash(row, key_id, secret))
        last = Event.objects.filter(chain=chain).order_by("-seq").values_list(
            "seq", flat=True).first()
        if not old_break and (head is None or head.last_seq != last or
                              head.last_hash != old_head):
            old_break = "the head row did not match the last row"
        practice_id = int(chain.split(":", 1)[1]) if chain.startswith("practice:") else None
        note = Event(
            chain=chain, seq=last + 1, occurred_at=timezone.now(), user_id_ref=None,
            user_email="migration core.0008", practice_id_ref=practice_id,
            client_id_ref=None, action="update", category="audit_chain",
            object_type="AuditChain", object_id=chain, source_ip=None, outcome="success",
            detail={"resealed_rows": count, "old_head_hash": old_head,
                    "old_chain": f"broken: {old_break}" if old_break else "intact"},
            prev_hash=new_head, key_id=key_id,
        )
        note.hash = _keyed_hash(note, key_id, secret)
        note.save()
        Head.objects.update_or_create(chain=chain, defaults={"last_seq": note.seq,
                                                             "last_hash": note.hash})
        if old_break:
            log.error("audit chain %s was already broken before it was re-sealed: %s",
                      chain, old_break)
    _trigger(schema_editor, enable=True)


def backwards(apps, schema_editor):
    Event = apps.get_model("core", "AuditEvent")
    Head = apps.get_model("core", "AuditChainHead")
    chains = sorted(set(Event.objects.order_by().values_list("chain", flat=True).distinct()))
    _trigger(schema_editor, enable=False)
    for chain in chains:
        _, _, new_head, _ = _reseal(Event, chain, _old_hash)
        last = Event.objects.filter(chain=chain).order_by("-seq").values_list(
            "seq", flat=True).first()
        Head.objects.update_or_create(chain=chain, defaults={"last_seq": last,
                                                             "last_hash": new_head})
    _trigger(schema_editor, enable=True)


def sqlite_triggers_create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cur:
            for sql in SQLITE_CREATE:
                cur.execute(sql)


def sqlite_triggers_drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        with schema_editor.connection.cursor() as cur:
            for sql in SQLITE_DROP:
                cur.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0008_practice_suspension")]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(default="", max_length=20),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="sentemail",
            name="practice",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="core.practice"),
        ),
        migrations.AlterField(
            model_name="sentemailevent",
            name="practice",
            field=models.ForeignKey(blank=True, null=True,
                                    on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="core.practice"),
        ),
        # Rows first (the SQLite triggers would refuse the re-seal), then the triggers.
        migrations.RunPython(forwards, backwards),
        migrations.RunPython(sqlite_triggers_create, sqlite_triggers_drop),
    ]
