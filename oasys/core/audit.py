"""Writing and verifying the audit log.

Every read and write of client data goes through `audit_record`. Rows are chained: each row's
hash covers the previous row's hash, so editing or deleting any row breaks the chain from
there on, and `audit_verify` names the first broken link.

The hash is an HMAC-SHA256 under a key from the environment (settings.AUDIT_KEYS, the first
seals new rows; each row names its key), so someone with database access but not the key
cannot rewrite a row and re-seal the rows after it. Cutting the tail and moving the head
back leaves a valid shorter chain: the signed checkpoints written outside the database
(`audit_checkpoint_write`, hourly and nightly) remember how long each chain was.

There is one chain per practice (and one for events with no practice), each with its own
head row, so an append locks only its own practice's head: practices never wait on each
other. Rows from before chains existed form the closed "legacy" chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .models import (
    AuditAction,
    AuditChainHead,
    AuditEvent,
    AuditOutcome,
    audit_chain_key,
)
from .rawsql import row_inserted

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
# Checkpoint signatures are HMACs under the same keys as rows, over a different prefix, so
# one can never be passed off as the other.
_CHECKPOINT_PREFIX = b"oasys-audit-checkpoint:"
CHECKPOINTS = "checkpoints"  # the results key for problems of the checkpoint file itself


def _keys_parse(raw: Any) -> tuple[str, dict[str, bytes]]:
    pairs = [tuple(pair) for pair in raw]
    if not pairs:
        raise RuntimeError("settings.AUDIT_KEYS is empty: the audit log cannot be sealed")
    return pairs[0][0], {key_id: secret.encode() for key_id, secret in pairs}


# (the setting's object, its parse): re-parsed only when the setting is another object
# (override_settings in tests), so the hot path pays an identity check.
_keys_cache: tuple[Any, tuple[str, dict[str, bytes]]] = (None, ("", {}))


def audit_keys() -> tuple[str, dict[str, bytes]]:
    """(the id of the key that seals new rows, every configured key by id)."""
    global _keys_cache  # noqa: PLW0603 - a one-entry cache of the parsed setting
    raw = settings.AUDIT_KEYS
    if _keys_cache[0] is not raw:
        _keys_cache = (raw, _keys_parse(raw))
    return _keys_cache[1]


def audit_seal(payload: bytes, secret: bytes) -> str:
    return hmac.new(secret, payload, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class AuditContext:
    """Who is acting and from where; built once per request or per background job."""

    user_id: int | None = None
    user_email: str = ""
    practice_id: int | None = None
    source_ip: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest) -> AuditContext:
        user = getattr(request, "user", None)
        authenticated = bool(user and user.is_authenticated)
        practice = getattr(request, "practice", None)
        return cls(
            user_id=user.pk if authenticated else None,
            user_email=user.email if authenticated else "",
            practice_id=practice.pk if practice else None,
            source_ip=client_ip(request),
        )

    @classmethod
    def system(cls, *, practice_id: int | None, source: str = "system") -> AuditContext:
        return cls(user_id=None, user_email=source, practice_id=practice_id, source_ip=None)


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is trusted only when a proxy sets it (see README).
    ip = request.META.get("REMOTE_ADDR") or None
    return ip


# Per database connection (connections are per thread): the (seq, hash) this connection last
# wrote at the head of each chain. Only a guess: an append checks it against the head row in
# the same UPDATE that moves the head, so a stale guess (another process appended, or our
# savepoint or transaction rolled back) costs a re-read, never a wrong seq or prev_hash.
_HEADS_ATTR = "_oasys_audit_heads"


def _heads_seen(connection: Any) -> dict[str, tuple[int, str]]:
    seen = getattr(connection, _HEADS_ATTR, None)
    if seen is None:
        seen = {}
        setattr(connection, _HEADS_ATTR, seen)
    return seen


def audit_record(
    *,
    ctx: AuditContext,
    action: str,
    category: str,
    outcome: str = AuditOutcome.SUCCESS,
    client_id: int | None = None,
    object_type: str = "",
    object_id: Any = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to its practice's chain. Never put PHI in `detail`: ids and field
    names only.

    Two queries in the steady state (one statement on PostgreSQL): the head moves by
    compare-and-swap from the value this connection last wrote (which also takes the head's
    row lock), then the row is inserted.
    No savepoint: a failure dooms the caller's transaction, so a head moved without its row
    never commits. Outside a transaction the two run in one of their own."""
    chain = audit_chain_key(ctx.practice_id)
    key_id, keys = audit_keys()
    secret = keys[key_id]
    event = AuditEvent(
        chain=chain,
        occurred_at=timezone.now(),
        user_id_ref=ctx.user_id,
        user_email=ctx.user_email,
        practice_id_ref=ctx.practice_id,
        client_id_ref=client_id,
        action=action,
        category=category,
        object_type=object_type,
        object_id=str(object_id or ""),
        source_ip=ctx.source_ip,
        outcome=outcome,
        detail=detail or {},
        key_id=key_id,
    )
    connection = transaction.get_connection()
    seen = _heads_seen(connection)
    with transaction.atomic(savepoint=False):
        last = seen.get(chain)
        moved = False
        if last is not None:
            _event_seal(event, seq=last[0] + 1, prev_hash=last[1], secret=secret)
            if connection.vendor == "postgresql":
                moved = _swap_and_insert(connection, event, last)
                if moved:
                    seen[chain] = (event.seq, event.hash)
                    return event
            else:
                # PostgreSQL re-checks the WHERE on the newest row version after waiting for
                # a lock, so a head another transaction moved meanwhile matches no row.
                moved = AuditChainHead.objects.filter(
                    chain=chain, last_seq=last[0], last_hash=last[1]
                ).update(last_seq=event.seq, last_hash=event.hash) == 1
        if not moved:
            # First append on this connection, or the guess was stale: lock and read the
            # head (creating it for a chain's first event, under get_or_create's savepoint).
            head, _ = AuditChainHead.objects.select_for_update().get_or_create(chain=chain)
            _event_seal(event, seq=head.last_seq + 1, prev_hash=head.last_hash, secret=secret)
            AuditChainHead.objects.filter(chain=chain).update(
                last_seq=event.seq, last_hash=event.hash
            )
        event.save()
    # Only once both writes are in: a failure above leaves the old guess, which is checked.
    seen[chain] = (event.seq, event.hash)
    return event


def _insert_sql(connection: Any) -> tuple[str, list[Any]]:
    """The one statement of a PostgreSQL append, and the fields whose values it takes after
    the swap's five: a data-modifying CTE moves the head by compare-and-swap and the INSERT
    selects from it, so the row is written exactly when the swap matched (and nothing when
    it did not). Each value is cast to its column's type, as INSERT … SELECT needs."""
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    head = AuditChainHead._meta.db_table
    # table and column names only: every value is a parameter
    sql = (f"WITH swap AS (UPDATE {qn(head)} SET {qn('last_seq')} = %s, "  # noqa: S608
           f"{qn('last_hash')} = %s "
           f"WHERE {qn('chain')} = %s AND {qn('last_seq')} = %s AND {qn('last_hash')} = %s "
           f"RETURNING 1) "
           f"INSERT INTO {qn(AuditEvent._meta.db_table)} "
           f"({', '.join(qn(f.column) for f in fields)}) "
           f"SELECT {', '.join(f'%s::{f.cast_db_type(connection)}' for f in fields)} "
           f"FROM swap RETURNING {qn(AuditEvent._meta.pk.column)}")
    return sql, fields


_insert_sql_cache: dict[str, tuple[str, list[Any]]] = {}


def _swap_and_insert(connection: Any, event: AuditEvent, last: tuple[int, str]) -> bool:
    """PostgreSQL's steady-state append in one statement (see _insert_sql): whether the
    swap matched, and so the row was written (its id set on `event`)."""
    if connection.alias not in _insert_sql_cache:
        _insert_sql_cache[connection.alias] = _insert_sql(connection)
    sql, fields = _insert_sql_cache[connection.alias]
    params = [event.seq, event.hash, event.chain, last[0], last[1]]
    params += [f.get_db_prep_save(getattr(event, f.attname), connection) for f in fields]
    return row_inserted(connection=connection, sql=sql, params=params, obj=event)


def _event_seal(event: AuditEvent, *, seq: int, prev_hash: str, secret: bytes) -> None:
    event.seq = seq
    event.prev_hash = prev_hash
    event.hash = audit_seal(event.hash_payload(), secret)


def audit_read(
    request: HttpRequest, *, category: str, client_id: int | None, obj: Any = None
) -> None:
    """Record that the request's user viewed protected data."""
    audit_record(
        ctx=AuditContext.from_request(request),
        action=AuditAction.READ,
        category=category,
        client_id=client_id,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "pk", ""),
    )


def audit_list_read(
    request: HttpRequest, *, category: str, client_ids: Iterable[int | None],
    detail: dict | None = None, obj: Any = None,
) -> None:
    """Record that a page showed rows of these clients: one row for the page, naming every
    client disclosed by id (ids are not PHI), so "who saw client X" has an answer. `obj` is
    the one object the page is about (an ERA, an EDI file), when there is one."""
    listed = list(client_ids)
    ids = sorted({int(i) for i in listed if i is not None})
    audit_record(
        ctx=AuditContext.from_request(request),
        action=AuditAction.READ,
        category=category,
        client_id=ids[0] if len(ids) == 1 else None,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=getattr(obj, "pk", ""),
        detail={"count": len(listed), **(detail or {}), "client_ids": ids},
    )


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str
    chain: str = ""


@dataclass(frozen=True)
class Checkpoint:
    """One signed line of the checkpoint file: chain `chain` had `seq` rows, the last with
    hash `hash`, at `at` (ISO time)."""

    chain: str
    seq: int
    hash: str
    at: str


@dataclass
class _Marks:
    """What the checkpoints say about one chain: the hash seen at each seq, the longest."""

    at_seq: dict[int, Checkpoint] = field(default_factory=dict)
    longest: Checkpoint | None = None


def _checkpoint_signature(body: dict, secret: bytes) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return audit_seal(_CHECKPOINT_PREFIX + canonical, secret)


def audit_checkpoint_write(
    *, chains: Iterable[str] | None = None, path: Path | None = None
) -> list[Checkpoint]:
    """Append a signed line per chain head (only `chains` if given) to the checkpoint file
    and log it (INFO), so a copy lives outside the database in two places."""
    key_id, keys = audit_keys()
    heads = AuditChainHead.objects.filter(last_seq__gt=0).order_by("chain")
    if chains is not None:
        heads = heads.filter(chain__in=list(chains))
    now = timezone.now().isoformat()
    written: list[Checkpoint] = []
    lines: list[str] = []
    for head in heads:
        body = {"chain": head.chain, "seq": head.last_seq, "hash": head.last_hash,
                "at": now, "key": key_id}
        line = json.dumps({**body, "sig": _checkpoint_signature(body, keys[key_id])},
                          sort_keys=True, separators=(",", ":"))
        lines.append(line)
        written.append(Checkpoint(head.chain, head.last_seq, head.last_hash, now))
    if not lines:
        return written
    target = Path(path or settings.AUDIT_CHECKPOINT_FILE)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as fh:
        fh.write("".join(f"{line}\n" for line in lines))
        fh.flush()
        os.fsync(fh.fileno())
    for line in lines:  # ids and hashes only: no PHI
        log.info("audit checkpoint %s", line)
    return written


def audit_checkpoints_read(
    path: Path | None = None,
) -> tuple[list[Checkpoint], list[str]]:
    """Every checkpoint whose signature holds, and a problem per line that does not (a line
    that was edited, forged without the key, or signed with a key no longer configured)."""
    target = Path(path or settings.AUDIT_CHECKPOINT_FILE)
    if not target.exists():
        return [], []
    _, keys = audit_keys()
    found: list[Checkpoint] = []
    problems: list[str] = []
    with target.open(encoding="utf-8") as fh:
        for number, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                sig = data.pop("sig")
                cp = Checkpoint(str(data["chain"]), int(data["seq"]), str(data["hash"]),
                                str(data["at"]))
                key_id = str(data["key"])
            except (ValueError, KeyError, TypeError, AttributeError):
                problems.append(f"checkpoint line {number} cannot be read")
                continue
            secret = keys.get(key_id)
            if secret is None:
                problems.append(f"checkpoint line {number} is signed with key {key_id!r}, "
                                "which is not configured")
            elif not hmac.compare_digest(_checkpoint_signature(data, secret), str(sig)):
                problems.append(f"checkpoint line {number} has a bad signature")
            else:
                found.append(cp)
    return found, problems


def _marks_by_chain(checkpoints: Iterable[Checkpoint]) -> dict[str, _Marks]:
    marks: dict[str, _Marks] = {}
    for cp in checkpoints:
        m = marks.setdefault(cp.chain, _Marks())
        seen = m.at_seq.get(cp.seq)
        if seen is not None and seen.hash != cp.hash:
            # Two signed checkpoints disagree about one row: keep the older one, which the
            # row will not match if it was rewritten in between.
            continue
        m.at_seq.setdefault(cp.seq, cp)
        if m.longest is None or cp.seq > m.longest.seq:
            m.longest = cp
    return marks


def _chain_verify(chain: str, rows: Iterable[AuditEvent], *, head: AuditChainHead | None,
                  check_head: bool, marks: _Marks | None = None) -> ChainBreak | None:
    _, keys = audit_keys()
    at_seq = marks.at_seq if marks is not None else {}
    prev_hash = GENESIS_HASH
    expected_seq = 1
    for event in rows:
        if event.seq != expected_seq:
            return ChainBreak(
                expected_seq, f"row {expected_seq} is missing (next is {event.seq})", chain
            )
        if event.prev_hash != prev_hash:
            return ChainBreak(event.seq, "previous-hash does not match the row before", chain)
        secret = keys.get(event.key_id)
        if secret is None:
            return ChainBreak(event.seq, f"row is sealed with key {event.key_id!r}, which "
                                         "is not configured", chain)
        if not hmac.compare_digest(audit_seal(event.hash_payload(), secret), event.hash):
            return ChainBreak(event.seq, "row content does not match its hash", chain)
        cp = at_seq.get(event.seq)
        if cp is not None and cp.hash != event.hash:
            return ChainBreak(event.seq, f"row {event.seq} is not the row checkpointed at "
                                         f"{cp.at}", chain)
        prev_hash = event.hash
        expected_seq += 1
    last_row = expected_seq - 1
    longest = marks.longest if marks is not None else None
    if longest is not None and longest.seq > last_row:
        return ChainBreak(expected_seq, f"chain ends at {last_row}, but it had {longest.seq} "
                                        f"rows at the checkpoint of {longest.at}", chain)
    if check_head:
        last = head.last_seq if head is not None else None
        if last != last_row:
            said = "no head row" if last is None else f"head says {last}"
            return ChainBreak(expected_seq, f"chain ends at {last_row}, {said}", chain)
    return None


def audit_verify_chains(
    events: Iterable[AuditEvent] | None = None,
    *,
    checkpoints: bool = True,
) -> dict[str, ChainBreak | None]:
    """Walk every chain in order; answer each chain's first broken link (None if intact).

    Every chain is also held against the signed checkpoints (unless `checkpoints=False`):
    a chain shorter than a checkpoint saw it, or whose row at a checkpointed seq has another
    hash, is broken; lines of the file that do not verify are reported under CHECKPOINTS.
    Given `events`, only those rows are checked (no heads, no checkpoints)."""
    heads = {h.chain: h for h in AuditChainHead.objects.all()}
    results: dict[str, ChainBreak | None] = {}
    if events is not None:
        ordered = sorted(events, key=lambda e: (e.chain, e.seq))
        for chain, rows in groupby(ordered, key=lambda e: e.chain):
            results[chain] = _chain_verify(chain, rows, head=None, check_head=False)
        return results
    found, problems = audit_checkpoints_read() if checkpoints else ([], [])
    marks = _marks_by_chain(found)
    # order_by(): without it the model ordering (id) would make DISTINCT return every row.
    chains = set(heads) | set(marks) | set(
        AuditEvent.objects.order_by().values_list("chain", flat=True).distinct()
    )
    for chain in sorted(chains):
        rows = AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(2000)
        results[chain] = _chain_verify(chain, rows, head=heads.get(chain), check_head=True,
                                       marks=marks.get(chain))
    if problems:
        results[CHECKPOINTS] = ChainBreak(0, "; ".join(problems), CHECKPOINTS)
    return results


def audit_verify(events: Iterable[AuditEvent] | None = None) -> ChainBreak | None:
    """The first broken link of any chain, or None if every chain is intact."""
    for broken in audit_verify_chains(events).values():
        if broken is not None:
            return broken
    return None


def audit_verify_nightly() -> dict[str, ChainBreak | None]:
    """The nightly job: verify every chain end to end, checkpoint the intact ones, and when
    any is broken log an ERROR and email every operator (active staff users)."""
    results = audit_verify_chains()
    broken = {chain: b for chain, b in results.items() if b is not None}
    intact = [chain for chain, b in results.items() if b is None and chain != CHECKPOINTS]
    # A broken chain's head is not vouched for: its last good checkpoints stay the last.
    audit_checkpoint_write(chains=intact)
    if not broken:
        log.info("audit verify: %s chains intact", len(intact))
        return results
    for chain, b in broken.items():  # chain keys, seqs and reasons: no PHI
        log.error("audit verify: chain %s broken at row %s: %s", chain, b.seq, b.reason)
    _operators_alert(broken, total=len(results))
    return results


def _operators_alert(broken: dict[str, ChainBreak], *, total: int) -> None:
    # outbound_mail imports this module at its top: a real cycle, so it is imported here
    from .models import User  # noqa: PLC0415
    from .outbound_mail import email_send  # noqa: PLC0415

    operators = User.objects.filter(is_staff=True, is_active=True).exclude(email="")
    lines = [f"Chain {chain}: broken at row {b.seq}: {b.reason}" for chain, b in
             sorted(broken.items())]
    ctx = AuditContext.system(practice_id=None, source="audit verify")
    for operator in operators.order_by("pk"):
        email_send(
            practice=None, to=operator.email, ctx=ctx, kind="audit_alert",
            subject=f"Audit log: {len(broken)} of {total} chains failed verification",
            template="email/notice",
            context={
                "heading": "The nightly audit verification found a broken chain",
                "paragraphs": [
                    *lines,
                    "Someone may have changed or removed audit rows, or the checkpoint file. "
                    "Run `oasys audit verify` on the server for the full report, and keep a "
                    "copy of the database and of the checkpoint file before changing "
                    "anything.",
                ],
            },
        )
