"""What the payer said about one claim, in words: the claim page's "What the payer said".

Every statement any inbound file made about the claim, newest first, one group per file:

- each ERA (835) claim payment matched to the claim: its adjustments (group + CARC, with the
  amount, claim-level and line-level) and its remark codes (RARC), so a reversal and the
  repost that follows it show as two ERAs, each with its own codes;
- each 277CA / 277 (and 999) statement: category + status code + entity.

Each code comes with its meaning (oasys/core/era_codes.py, x12.codes) and what to do about it
(oasys/claims/denials.py). The ERA rows are read through the reverse relation remittance
declares on a claim (`claim.remittance_claims`): remittance builds on claims, so claims does
not import it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from oasys.core.era_codes import carc_explained, claim_status_text, group_text, rarc_explained
from oasys.core.formats import date_text
from x12.codes import meaning
from x12.codes.claim_status import CLAIM_STATUS, CLAIM_STATUS_CATEGORY, ENTITY

from .denials import category_text, fix_for
from .models import Claim

# Remittance statuses whose claim payments were posted to the ledger (the others are held or
# quarantined: the payer said it, but nothing was posted yet).
_POSTED = {"posted", "partially_unmatched", "partially_posted"}

REJECTED_999_FIX = ("The payer never received it. Correct what the errors name (often a "
                    "provider or client detail) and correct and resubmit.")


@dataclass(frozen=True)
class Said:
    """One code of one statement, in words."""

    kind: str  # "adjustment", "remark" or "status"
    code: str  # "CO-45", "MA130", "A7:33"
    words: str  # what it means
    known: bool  # False: we have no plain-language wording, only the code's name
    fix: str = ""  # what to do; "" when nothing is needed or we have no advice
    group: str = ""  # CAS01 (CO/PR/OA/PI) of an adjustment
    group_words: str = ""  # "Contractual obligation"
    amount: Decimal | None = None  # an adjustment's amount
    where: str = ""  # "Claim", "Line 1 (90834)"; for a status, the entity in words


@dataclass
class Statement:
    """One file's word on the claim: an ERA claim payment or a 277CA/277/999 status."""

    kind: str  # "era", "277CA", "277", "999"
    when: dt.date | dt.datetime | None
    source: str  # "ERA of Mar 10, 2026"
    edi_file_id: int | None
    remittance_id: int | None = None
    summary: str = ""  # "Processed as primary: paid $78.00", "Rejected: ..."
    paid: Decimal | None = None
    reversal: bool = False
    posted: bool = True
    note: str = ""  # why an ERA's payment is not posted
    codes: list[Said] = field(default_factory=list)


def _sort_key(s: Statement) -> tuple:
    when = s.when
    if isinstance(when, dt.datetime):
        when = when.date()
    return (when or dt.date.min, s.edi_file_id or 0)


def _era_statements(claim: Claim) -> list[Statement]:
    rows = (claim.remittance_claims.filter(practice_id=claim.practice_id)
            .select_related("remittance", "remittance__edi_file")
            .prefetch_related("adjustments", "adjustments__line", "lines"))
    out: list[Statement] = []
    for rc in rows:
        remittance = rc.remittance
        when = remittance.payment_date or remittance.edi_file.received_at
        status = claim_status_text(rc.status_code)
        statement = Statement(
            kind="era", when=when, source=f"ERA of {date_text(when)}",
            edi_file_id=remittance.edi_file_id, remittance_id=remittance.pk,
            summary=status, paid=rc.paid, reversal=rc.status_code == "22",
            posted=remittance.status in _POSTED,
            note="" if remittance.status in _POSTED else remittance.get_status_display())
        adjustments = sorted(rc.adjustments.all(),
                             key=lambda a: (a.line.line_number if a.line else 0, a.pk))
        for adj in adjustments:
            explained = carc_explained(adj.reason)
            where = "Claim"
            if adj.line is not None:
                where = f"Line {adj.line.line_number} ({adj.line.procedure_code})"
            statement.codes.append(Said(
                kind="adjustment", code=f"{adj.group}-{adj.reason}",
                words=str(explained["text"]), known=bool(explained["known"]),
                fix=fix_for(carc=adj.reason, group=adj.group), group=adj.group,
                group_words=group_text(adj.group), amount=adj.amount, where=where))
        lines = sorted(rc.lines.all(), key=lambda ln: ln.line_number)
        remark_codes = [(code, "Claim") for code in rc.remarks] + [
            (code, f"Line {ln.line_number} ({ln.procedure_code})")
            for ln in lines for code in ln.remarks]
        seen: set[str] = set()
        for code, where in remark_codes:
            if code in seen:
                continue  # the same remark on every line says one thing once
            seen.add(code)
            explained = rarc_explained(code)
            statement.codes.append(Said(
                kind="remark", code=code, words=str(explained["text"]),
                known=bool(explained["known"]), fix=fix_for(rarc=code), where=where))
        out.append(statement)
    return out


def status_said(*, category: str, code: str, entity: str) -> Said:
    """A 277 status (STC01: category, status code, entity) in words with what to do."""
    plain = category_text(category)
    name = meaning(CLAIM_STATUS_CATEGORY, category) or f"Category {category}"
    words = plain or name
    status = (meaning(CLAIM_STATUS, code) or f"Status {code}") if code else ""
    if status and status.lower().rstrip(".") not in words.lower():
        words += " " + status + "."  # "Accepted for processing." is not said twice
    entity_words = (meaning(ENTITY, entity) or entity) if entity else ""
    return Said(kind="status", code=f"{category}:{code}" if code else category,
                words=words, known=bool(plain), fix=fix_for(status_code=code or None,
                                                              category=category),
                where=entity_words)


def _notice_statements(claim: Claim) -> list[Statement]:
    out: list[Statement] = []
    for notice in claim.notices.select_related("edi_file").order_by("created_at", "pk"):
        when = notice.edi_file.received_at if notice.edi_file_id else notice.created_at
        if notice.kind == "999":
            # A 999 rejects the whole file before any payer sees it: its words are the
            # syntax errors found, already in words (claims/inbound.py).
            said = Said(kind="status", code="999 rejected",
                        words="The clearinghouse rejected the file this claim was sent in: "
                              + (notice.message or "no reason given") + ".",
                        known=True, fix=REJECTED_999_FIX)
        else:
            said = status_said(category=notice.category, code=notice.code,
                               entity=notice.entity)
        out.append(Statement(
            kind=notice.kind, when=when, source=f"{notice.kind} of {date_text(when)}",
            edi_file_id=notice.edi_file_id,
            # The file's own words for every status it gave (a 277 may give several).
            summary="" if notice.kind == "999" else notice.message, codes=[said]))
    return out


def claim_payer_said(*, claim: Claim) -> list[Statement]:
    """Every statement inbound files made about `claim`, newest first ([] when none yet)."""
    statements = _era_statements(claim) + _notice_statements(claim)
    return sorted(statements, key=_sort_key, reverse=True)


def claim_era_files(*, claim: Claim) -> list[dict]:
    """The 835 files that paid, denied or reversed `claim`: {edi_file, remittance_id, date}."""
    rows = (claim.remittance_claims.filter(practice_id=claim.practice_id)
            .select_related("remittance", "remittance__edi_file")
            .order_by("remittance__edi_file__received_at", "pk"))
    seen: set[int] = set()
    out: list[dict] = []
    for rc in rows:
        if rc.remittance.edi_file_id in seen:
            continue
        seen.add(rc.remittance.edi_file_id)
        out.append({"edi_file": rc.remittance.edi_file, "remittance_id": rc.remittance_id,
                    "date": rc.remittance.payment_date})
    return out
