"""Inbound files drive claims: a 999 rejection, a 277CA/277 status, an 835 adjudication.

Claims are matched by patient control number (ours, unique across the installation), then by
the payer's claim number. Every claim-level statement is kept as a ClaimNotice, matched or
not; status changes go through `claim_transition` and are skipped — never forced — when the
table does not allow them (a late 277 about a claim already paid changes nothing).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from oasys.core.audit import AuditContext
from oasys.core.models import Practice
from oasys.core.money import money
from x12.codes import meaning
from x12.codes.claim_status import CLAIM_STATUS, CLAIM_STATUS_CATEGORY, ENTITY
from x12.parse import parse_file
from x12.parse.ack_999 import FunctionalGroupAck
from x12.parse.status_277 import ClaimStatusResponse, ClaimStatusResult

from .models import Claim, ClaimNotice, ClaimSubmission
from .services import claim_try_transition
from .status import ClaimStatus

log = logging.getLogger(__name__)


def claim_match(
    *, practice: Practice, patient_control_number: str, payer_claim_number: str = ""
) -> Claim | None:
    """The practice's claim for a (PCN, payer claim number) pair; the newest when a payer
    number repeats (a replacement claim keeps the original's payer number)."""
    qs = Claim.objects.filter(practice=practice)
    pcn = (patient_control_number or "").strip()
    if pcn:
        claim = qs.filter(patient_control_number=pcn).first()
        if claim is not None:
            return claim
        if _is_ours(pcn):
            return None  # our own number, and not found: not ours to guess at
    number = (payer_claim_number or "").strip()
    if number:
        return qs.filter(payer_claim_number=number).order_by("-created_at", "-pk").first()
    return None


def _is_ours(pcn: str) -> bool:
    """Our patient control numbers: 'OA' and eight base-36 digits."""
    return re.fullmatch(r"OA[0-9A-Z]{8}", pcn) is not None


def _try_transition(claim: Claim, to: str, *, ctx: AuditContext, source: str,
                    reason: str) -> str:
    """Move if the table allows it; return the status applied ('' when nothing changed)."""
    moved = claim_try_transition(claim=claim, to=to, ctx=ctx, source=source, reason=reason)
    claim.refresh_from_db(fields=["status"])
    return to if moved else ""


# --- 999 -------------------------------------------------------------------------------------
def _words_999(ack) -> str:
    parts = []
    for code in ack.error_codes:
        parts.append(meaning_or_code("IK5", code, ack.to_dict()))
    for seg in ack.segments:
        d = seg.to_dict()
        text = f"segment {d['segment_id']} at {d['position']}: {d.get('meaning') or d.get('code')}"
        for el in d.get("elements", []):
            text += f"; element {el.get('position')}: {el.get('meaning') or el.get('code')}"
            if el.get("bad_value"):
                text += f" (value {el['bad_value']!r})"
        parts.append(text)
    return "; ".join(p for p in parts if p) or "the clearinghouse rejected the file"


def meaning_or_code(kind: str, code: str, as_dict: dict) -> str:
    for err in as_dict.get("errors", []):
        if err.get("code") == code:
            return err.get("meaning") or f"{kind} {code}"
    return f"{kind} {code}"


def apply_999(*, edi_file, group: FunctionalGroupAck, ctx: AuditContext) -> int:
    """A 999 answers one of our interchanges (AK1 = our GS06). Rejected transaction sets move
    their claims to Rejected with the errors in words. Returns claims changed."""
    if edi_file.practice_id is None:
        return 0  # a file no practice owns acts on nothing: it stays in the unmatched list
    # Control numbers are counted per practice, so the practice is part of the match.
    submission = ClaimSubmission.objects.filter(
        practice_id=edi_file.practice_id,
        interchange_control_number=_int(group.group_control_number),
    ).order_by("-created_at").first()
    if submission is None:
        return 0
    changed = 0
    now = timezone.now()
    outcomes = [t.outcome for t in group.transactions] or [group.outcome]
    overall = "rejected" if all(o == "rejected" for o in outcomes) else (
        "accepted" if all(o.startswith("accepted") for o in outcomes) else "partially_accepted")
    ClaimSubmission.objects.filter(pk=submission.pk).update(ack_status=overall,
                                                            acknowledged_at=now)
    # One ST per interchange of ours: every claim of the submission shares its fate.
    rejected = [t for t in group.transactions if t.outcome == "rejected"]
    if not rejected and group.transactions:
        return 0
    reason = "; ".join(_words_999(t) for t in rejected) or "the 999 rejected the interchange"
    for claim in submission.claims.all():
        _notice(edi_file=edi_file, claim=claim, practice_id=claim.practice_id, kind="999",
                pcn=claim.patient_control_number, message=reason, category="R")
        if _try_transition(claim, ClaimStatus.REJECTED, ctx=ctx,
                           source=f"999 file #{edi_file.pk}", reason=reason):
            changed += 1
    return changed


def _int(text: str | None) -> int:
    try:
        return int(text or "0")
    except ValueError:
        return -1


# --- 277CA and 277 -----------------------------------------------------------------------------
# Claim status category (STC01-1) -> our status; None means "noted, no change".
def status_for_category(category: str, *, acknowledgment: bool) -> str | None:
    c = (category or "").upper()
    if c in ("A1", "A2", "A5"):
        return ClaimStatus.ACKNOWLEDGED
    if c in ("A3", "A4", "A6", "A7", "A8"):
        return ClaimStatus.REJECTED
    if c.startswith("E") and acknowledgment:  # a 277CA's E codes: the claim was not taken
        return ClaimStatus.REJECTED
    if c in ("P1", "P2", "P5"):
        return ClaimStatus.IN_REVIEW
    if c in ("P3", "P4") or c.startswith("R"):
        return ClaimStatus.PENDING_INFO
    if c == "F2":
        return ClaimStatus.DENIED
    return None  # F1/F3/F4: the 835 carries the money; E* on a 277: a query problem


@dataclass(frozen=True)
class StatusWords:
    category: str
    code: str
    entity: str
    text: str


def words_for(status) -> StatusWords:
    cat = status.category or ""
    code = status.code or ""
    ent = status.entity or ""
    bits = [meaning(CLAIM_STATUS_CATEGORY, cat) or f"category {cat}"]
    if code:
        bits.append(meaning(CLAIM_STATUS, code) or f"status {code}")
    if ent:
        bits.append(f"({meaning(ENTITY, ent) or ent})")
    return StatusWords(cat, code, ent, " — ".join(bits[:2]) + (f" {bits[2]}" if len(bits) > 2
                                                               else ""))


def apply_277(*, edi_file, response: ClaimStatusResponse, ctx: AuditContext) -> int:
    changed = 0
    kind = "277CA" if response.is_acknowledgment else "277"
    for result in response.claims:
        changed += apply_claim_status(edi_file=edi_file, result=result, kind=kind, ctx=ctx,
                                      acknowledgment=response.is_acknowledgment)
    return changed


def apply_claim_status(*, edi_file, result: ClaimStatusResult, kind: str, ctx: AuditContext,
                       acknowledgment: bool) -> int:
    practice = edi_file.practice
    statuses = result.statuses or []
    if practice is None or not statuses:
        return 0  # a file no practice owns acts on nothing: it stays in the unmatched list
    pcn = result.patient_control_number or ""
    payer_number = result.payer_claim_number or ""
    claim = claim_match(practice=practice, patient_control_number=pcn,
                        payer_claim_number=payer_number)
    primary = statuses[0]
    words = "; ".join(words_for(s).text for s in statuses)
    target = status_for_category(primary.category, acknowledgment=acknowledgment)
    practice_id = practice.pk
    applied = ""
    with transaction.atomic():
        if claim is not None:
            if payer_number and claim.payer_claim_number != payer_number:
                Claim.objects.filter(pk=claim.pk).update(payer_claim_number=payer_number)
            if target:
                applied = _try_transition(claim, target, ctx=ctx,
                                          source=f"{kind} file #{edi_file.pk}", reason=words)
        w = words_for(primary)
        _notice(edi_file=edi_file, claim=claim, practice_id=practice_id, kind=kind, pcn=pcn,
                payer_claim_number=payer_number, category=w.category, code=w.code,
                entity=w.entity, message=words, applied=applied)
    return 1 if applied else 0


def _notice(*, edi_file, claim, practice_id, kind, pcn="", payer_claim_number="", category="",
            code="", entity="", message="", applied="") -> None:
    try:
        with transaction.atomic():
            ClaimNotice.objects.create(
                practice_id=practice_id, edi_file=edi_file, claim=claim, kind=kind,
                patient_control_number=pcn[:38], payer_claim_number=payer_claim_number[:50],
                category=category[:5], code=code[:10], entity=entity[:5], message=message,
                applied_status=applied,
            )
    except IntegrityError:
        pass  # the same statement from the same file, handled again


# --- 835 adjudication (called by remittance posting) -----------------------------------------
PROCESSED = {"1", "2", "3", "19", "20", "21"}
DENIED = {"4"}
REVERSAL = {"22"}


def adjudication_status(*, status_code: str, paid: Decimal,
                        patient_responsibility: Decimal) -> str | None:
    """Our status for a CLP02 code and its amounts (None: no status change)."""
    if status_code in DENIED:
        return ClaimStatus.DENIED
    if status_code in PROCESSED:
        if patient_responsibility > 0:
            return ClaimStatus.PARTIAL
        if paid > 0:
            return ClaimStatus.PAID
        return ClaimStatus.DENIED  # processed, nothing paid and nothing owed by the client
    return None


def claim_apply_adjudication(
    *,
    claim: Claim,
    status_code: str,
    charge: Decimal,
    paid: Decimal,
    patient_responsibility: Decimal,
    payer_claim_number: str,
    source: str,
    ctx: AuditContext,
    reason: str = "",
) -> Claim:
    """Apply one 835 claim payment (CLP) to our claim: its payer claim number and its
    status. The money is the ledger's: the remittance posting writes the journal entries,
    which also rewrite the claim's cached paid and client-share figures (never here)."""
    with transaction.atomic():
        locked = Claim.objects.select_for_update().get(pk=claim.pk)
        if payer_claim_number:
            Claim.objects.filter(pk=locked.pk).update(
                payer_claim_number=payer_claim_number[:50])
        target = None
        if status_code not in REVERSAL:
            target = adjudication_status(status_code=status_code, paid=paid,
                                         patient_responsibility=patient_responsibility)
        if target:
            words = reason or f"835: CLP02 {status_code}, paid {money(paid)}, client owes " \
                              f"{money(patient_responsibility)}"
            _try_transition(locked, target, ctx=ctx, source=source, reason=words)
    claim.refresh_from_db()
    return claim


# --- the file handlers ------------------------------------------------------------------------
def handle_claim_file(edi_file) -> None:
    """Registered for 999 and 277: parse the stored raw file and apply what it says."""
    ctx = AuditContext.system(practice_id=edi_file.practice_id,
                              source=f"clearinghouse file #{edi_file.pk}")
    parsed = parse_file(edi_file.raw.encode("utf-8"))
    for _isa, transactions in parsed.interchanges:
        for tx in transactions:
            if isinstance(tx, FunctionalGroupAck):
                apply_999(edi_file=edi_file, group=tx, ctx=ctx)
            elif isinstance(tx, ClaimStatusResponse):
                apply_277(edi_file=edi_file, response=tx, ctx=ctx)
