"""Writing and verifying the audit log.

Every read and write of client data goes through `audit_record`. Rows are chained: each row's
hash covers the previous row's hash, so editing or deleting any row breaks the chain from
there on, and `audit_verify` names the first broken link.

There is one chain per practice (and one for events with no practice), each with its own
head row, so an append locks only its own practice's head: practices never wait on each
other. Rows from before chains existed form the closed "legacy" chain.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import Any

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

GENESIS_HASH = "0" * 64


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
    names only."""
    chain = audit_chain_key(ctx.practice_id)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(chain=chain)
        event = AuditEvent(
            chain=chain,
            seq=head.last_seq + 1,
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
            prev_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save()
        AuditChainHead.objects.filter(chain=chain).update(
            last_seq=event.seq, last_hash=event.hash
        )
    return event


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


def _chain_verify(chain: str, rows: Iterable[AuditEvent], *, head: AuditChainHead | None,
                  check_head: bool) -> ChainBreak | None:
    prev_hash = GENESIS_HASH
    expected_seq = 1
    for event in rows:
        if event.seq != expected_seq:
            return ChainBreak(
                expected_seq, f"row {expected_seq} is missing (next is {event.seq})", chain
            )
        if event.prev_hash != prev_hash:
            return ChainBreak(event.seq, "previous-hash does not match the row before", chain)
        if event.compute_hash() != event.hash:
            return ChainBreak(event.seq, "row content does not match its hash", chain)
        prev_hash = event.hash
        expected_seq += 1
    if check_head:
        last = head.last_seq if head is not None else None
        if last != expected_seq - 1:
            said = "no head row" if last is None else f"head says {last}"
            return ChainBreak(expected_seq, f"chain ends at {expected_seq - 1}, {said}", chain)
    return None


def audit_verify_chains(
    events: Iterable[AuditEvent] | None = None,
) -> dict[str, ChainBreak | None]:
    """Walk every chain in order; answer each chain's first broken link (None if intact).

    Given `events`, only those rows are checked (their chains' heads are not compared)."""
    heads = {h.chain: h for h in AuditChainHead.objects.all()}
    results: dict[str, ChainBreak | None] = {}
    if events is not None:
        ordered = sorted(events, key=lambda e: (e.chain, e.seq))
        for chain, rows in groupby(ordered, key=lambda e: e.chain):
            results[chain] = _chain_verify(chain, rows, head=None, check_head=False)
        return results
    # order_by(): without it the model ordering (id) would make DISTINCT return every row.
    chains = set(heads) | set(
        AuditEvent.objects.order_by().values_list("chain", flat=True).distinct()
    )
    for chain in sorted(chains):
        rows = AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(2000)
        results[chain] = _chain_verify(chain, rows, head=heads.get(chain), check_head=True)
    return results


def audit_verify(events: Iterable[AuditEvent] | None = None) -> ChainBreak | None:
    """The first broken link of any chain, or None if every chain is intact."""
    for broken in audit_verify_chains(events).values():
        if broken is not None:
            return broken
    return None
