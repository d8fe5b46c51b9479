"""Writes: receiving 835s (from the clearinghouse or uploaded by hand), checking them,
posting them to claims and the ledger, and billing the client's share.

An 835 transaction is stored raw first (as an inbound EDI file), then checked against the
three balancing rules. One that fails is quarantined with the reason and posts nothing; one
that passes posts completely or not at all, in one database transaction. One with a claim x12
could not read (a damaged claim: an impossible date, an amount that is not a number) is held
and posts nothing until a biller posts the rest (every other claim) or rejects the file:
never half-posted silently. The same payment
posts once: a remittance row per (file, transaction) and a payment key per practice are
unique, so replays and concurrent workers cannot post twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from oasys.claims.inbound import claim_apply_adjudication, claim_match
from oasys.claims.status import ClaimStatus
from oasys.clearinghouse.services import edi_file_receive
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, InvalidInput, NotAllowed
from oasys.core.formats import date_text
from oasys.core.models import AuditAction, AuditOutcome, Practice, User
from oasys.core.money import dollars_text, money
from oasys.invoices.services import AlreadyInvoiced, invoice_create_for_client_responsibility
from oasys.ledger.services import (
    claim_has_charge,
    ledger_post_claim_charge,
    ledger_post_provider_adjustment,
    ledger_post_remittance_claim,
)
from x12.errors import X12Error
from x12.parse.era_835 import ClaimPayment, Remittance835, parse_835
from x12.reader import X12Reader

from .domain import (
    claim_payment_fingerprint,
    claim_split,
    damage_rows,
    damage_summary,
    era_problems,
    payer_identifier,
    payment_key,
    service_date_of,
)
from .models import (
    REMITTANCE_MACHINE,
    REVIEW_MACHINE,
    AdjustmentLevel,
    PaymentReview,
    ProviderAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceLine,
    RemittanceStatus,
    ReviewStatus,
)
from .selectors import (
    client_share_pending,
    client_share_pending_uninvoiced,
    remittance_claim_client_share_list,
)

log = logging.getLogger(__name__)

UPLOAD_CONNECTION = "upload"


# An ERA in one of these posted nothing (a held one until a biller decides).
NOT_POSTED = (RemittanceStatus.QUARANTINED, RemittanceStatus.DAMAGED,
              RemittanceStatus.REJECTED)
POSTED_STATES = (RemittanceStatus.POSTED, RemittanceStatus.PARTIALLY_UNMATCHED,
                 RemittanceStatus.PARTIALLY_POSTED)


class RemittancePostingError(InvalidInput):
    """Posting failed for an unexpected reason: nothing was posted; importing again retries."""


@dataclass
class PostOutcome:
    state: str  # posted, partially_unmatched, quarantined, duplicate, already
    message: str
    remittance: Remittance | None = None

    @property
    def refused(self) -> bool:
        return self.state in NOT_POSTED


@dataclass
class ImportResult:
    edi_file_id: int | None
    created: bool
    outcomes: list[PostOutcome] = field(default_factory=list)
    refusal: str = ""

    @property
    def posted_any(self) -> bool:
        return any(o.state in POSTED_STATES for o in self.outcomes)

    @property
    def refused(self) -> bool:
        return bool(self.refusal) or any(o.refused for o in self.outcomes)

    def lines(self) -> list[str]:
        if self.refusal:
            return [self.refusal]
        return [o.message for o in self.outcomes]


# At most this many encoding warnings are kept on an ERA (then one line counts the rest):
# a file read wholly in the wrong encoding must not make a huge row.
MAX_ENCODING_WARNINGS = 100
WARNING_KEYS = ("message", "byte_offset", "position", "segment_id", "element", "found",
                "read_as")


def encoding_warnings_rows(warnings: Sequence[dict]) -> list[dict]:
    """The warnings as stored: known keys only, at most MAX_ENCODING_WARNINGS rows, the rest
    counted in a last row."""
    rows = [{k: w.get(k) for k in WARNING_KEYS} for w in warnings[:MAX_ENCODING_WARNINGS]]
    if len(warnings) > MAX_ENCODING_WARNINGS:
        more = len(warnings) - MAX_ENCODING_WARNINGS
        rows.append({**dict.fromkeys(WARNING_KEYS),
                     "message": f"{more} more bytes were read the same way (not listed)"})
    return rows


# --- describing -----------------------------------------------------------------------------
def _describe(r: Remittance) -> str:
    bits = [f"ERA #{r.pk}"]
    if r.trace_number:
        bits.append(f"{'check' if r.is_check else 'EFT'} {r.trace_number}")
    if r.payer_name:
        bits.append(f"from {r.payer_name}")
    if r.payment_date:
        bits.append(f"dated {date_text(r.payment_date)}")
    bits.append(dollars_text(r.amount))
    return " ".join(bits)


def _outcome_for(r: Remittance, *, again: bool) -> PostOutcome:
    if r.status == RemittanceStatus.QUARANTINED:
        msg = f"{_describe(r)}: quarantined, nothing posted. {r.reason}"
        if again:
            msg = f"{_describe(r)} was already received and is quarantined: {r.reason}"
        return PostOutcome(RemittanceStatus.QUARANTINED, msg, r)
    if r.status == RemittanceStatus.DAMAGED:
        msg = (f"{_describe(r)} was already received and is held: {r.reason}" if again
               else f"{_describe(r)}: held, nothing posted. {r.reason}")
        return PostOutcome(RemittanceStatus.DAMAGED, msg, r)
    if r.status == RemittanceStatus.REJECTED:
        return PostOutcome(RemittanceStatus.REJECTED,
                           f"{_describe(r)} was rejected; nothing posted. {r.reason}", r)
    if again:
        return PostOutcome("already", f"{_describe(r)} was already posted; nothing posted "
                                      "again.", r)
    damaged = r.damaged_claim_count
    matched = r.claim_count - r.unmatched_count - damaged
    msg = f"{_describe(r)}: posted {matched} claim(s)"
    if r.unmatched_count:
        msg += f"; {r.unmatched_count} claim(s) match none of ours and are kept as unmatched"
    if damaged:
        msg += f"; {damaged} damaged claim(s) not posted"
    plb = r.provider_adjustments.count()
    if plb:
        msg += f"; {plb} provider-level adjustment(s)"
    return PostOutcome(r.status, msg + ".", r)


# --- posting one file ---------------------------------------------------------------------------
def _transactions(raw: str) -> tuple[list[tuple[int, Remittance835 | None, list[str]]],
                                     list[str]]:
    """Each 835 transaction of the file: (index, parsed or None, problems); and file-level
    problems (envelope errors, nothing readable)."""
    reader = X12Reader.from_text(raw)
    out: list[tuple[int, Remittance835 | None, list[str]]] = []
    file_problems: list[str] = []
    index = -1
    try:
        for ts in reader:
            index += 1
            if ts.set_id != "835":
                continue
            problems = [str(e) for e in ts.errors]
            try:
                rem = parse_835(ts)
            except X12Error as exc:
                out.append((index, None, problems + [str(exc)]))
                continue
            out.append((index, rem, problems + era_problems(rem)))
    except X12Error as exc:
        file_problems.append(str(exc))
    file_problems += [str(e) for e in reader.errors if str(e) not in
                      {p for _, _, ps in out for p in ps}]
    if not out and not file_problems:
        file_problems.append("the file holds no 835 transaction")
    return out, file_problems


def remittance_file_post(*, edi_file, practice: Practice, ctx: AuditContext,
                         actor: User | None = None,
                         encoding_warnings: Sequence[dict] = ()) -> list[PostOutcome]:
    """Check and post every 835 transaction of a stored EDI file for `practice`.
    `encoding_warnings` (the bytes an upload's decoding read as cp1252/Latin-1) are kept on
    every remittance it records.

    Idempotent: a transaction already recorded (posted or quarantined) reports what it is and
    posts nothing. Raises RemittancePostingError on an unexpected failure (nothing posted)."""
    if edi_file.practice_id is not None and edi_file.practice_id != practice.pk:
        raise NotAllowed("This file belongs to another practice")
    transactions, file_problems = _transactions(edi_file.raw)
    outcomes: list[PostOutcome] = []
    if file_problems and not any(rem for _, rem, _ in transactions):
        outcomes.append(_record_quarantine(practice=practice, edi_file=edi_file, index=0,
                                           rem=None, problems=file_problems, ctx=ctx,
                                           warnings=encoding_warnings))
        return outcomes
    for index, rem, problems in transactions:
        if file_problems:
            problems = problems + file_problems
        damage = damage_rows(rem) if rem is not None else []
        # every claim damaged: there is no "rest" to post, the file is quarantined
        all_damaged = bool(damage) and len({d["claim_index"] for d in damage}) == len(rem.claims)
        if problems or rem is None or all_damaged:
            if damage:
                problems = problems + [f"damaged: {damage_summary(damage)}"]
            outcomes.append(_record_quarantine(practice=practice, edi_file=edi_file,
                                               index=index, rem=rem, problems=problems,
                                               ctx=ctx, warnings=encoding_warnings))
        elif damage:
            # Never half-post silently: nothing of it posts until a biller decides.
            outcomes.append(_record_held(practice=practice, edi_file=edi_file, index=index,
                                         rem=rem, damage=damage, ctx=ctx,
                                         warnings=encoding_warnings))
        else:
            outcomes.append(_post(practice=practice, edi_file=edi_file, index=index, rem=rem,
                                  ctx=ctx, actor=actor, warnings=encoding_warnings))
    return outcomes


def _header(rem: Remittance835 | None) -> dict:
    if rem is None or rem.payment is None:
        return {"control_number": rem.control_number[:9] if rem else ""}
    p = rem.payment
    return {
        "control_number": rem.control_number[:9],
        "payer_name": (rem.payer.name if rem.payer else "")[:120],
        "payer_identifier": payer_identifier(rem)[:80],
        "payee_name": (rem.payee.name if rem.payee else "")[:120],
        "payee_npi": ((rem.payee.id or "") if rem.payee else "")[:80],
        "payment_method": p.method[:3], "credit_debit": p.credit_debit[:1],
        "amount": money(p.amount), "payment_date": p.date,
        "trace_number": (p.trace_number or "")[:80],
        "claim_count": len(rem.claims),
    }


def _existing(edi_file, index: int) -> Remittance | None:
    return Remittance.objects.filter(edi_file=edi_file, transaction_index=index).first()


def _record_quarantine(*, practice, edi_file, index, rem, problems, ctx,
                       lead: str = "Nothing was posted: ",
                       warnings: Sequence[dict] = ()) -> PostOutcome:
    existing = _existing(edi_file, index)
    if existing is not None:
        return _outcome_for(existing, again=True)
    reason = lead + "; ".join(problems[:5])
    if len(problems) > 5:
        reason += f" (and {len(problems) - 5} more)"
    try:
        with transaction.atomic():
            r = Remittance.objects.create(
                practice=practice, edi_file=edi_file, transaction_index=index,
                reason=reason[:2000], errors=problems[:100],
                encoding_warnings=list(warnings), **_header(rem))
            source = f"835 file #{edi_file.pk}"
            REMITTANCE_MACHINE.record_created(obj=r, source=source)
            REMITTANCE_MACHINE.transition(obj=r, to=RemittanceStatus.QUARANTINED, ctx=ctx,
                                          source=source, reason=reason[:500])
            audit_record(ctx=ctx, action=AuditAction.CREATE, category="remittance",
                         outcome=AuditOutcome.FAILURE, object_type="Remittance",
                         object_id=r.pk, detail={"status": r.status,
                                                 "problems": len(problems)})
    except IntegrityError:
        return _outcome_for(_existing(edi_file, index), again=True)
    log.info("835 transaction %s of EDI file %s quarantined (%d problems)", index,
             edi_file.pk, len(problems))
    return _outcome_for(r, again=False)


def _record_held(*, practice, edi_file, index, rem: Remittance835, damage: list[dict],
                 ctx, warnings: Sequence[dict] = ()) -> PostOutcome:
    """Record a transaction with damaged claims as held (DAMAGED): nothing is posted; the
    ERA page shows each damage and offers "Post the rest" or "Reject the file"."""
    existing = _existing(edi_file, index)
    if existing is not None:
        return _outcome_for(existing, again=True)
    dup = Remittance.objects.filter(practice=practice, dedupe_key=payment_key(rem)).first()
    if dup is not None:
        return PostOutcome("duplicate", f"{_describe(dup)} was already posted (the same "
                                        "payment, in another file); nothing posted again.",
                           dup)
    claims = len({d["claim_index"] for d in damage})
    reason = (f"{claims} claim(s) could not be read: {damage_summary(damage)}. Post the rest "
              "or reject the file.")
    try:
        with transaction.atomic():
            r = Remittance.objects.create(
                practice=practice, edi_file=edi_file, transaction_index=index,
                reason=reason[:2000], damage=damage[:100],
                encoding_warnings=list(warnings), **_header(rem))
            source = f"835 file #{edi_file.pk}"
            REMITTANCE_MACHINE.record_created(obj=r, source=source)
            REMITTANCE_MACHINE.transition(obj=r, to=RemittanceStatus.DAMAGED, ctx=ctx,
                                          source=source, reason=reason[:500])
            audit_record(ctx=ctx, action=AuditAction.CREATE, category="remittance",
                         outcome=AuditOutcome.FAILURE, object_type="Remittance",
                         object_id=r.pk, detail={"status": r.status,
                                                 "damaged_claims": claims})
    except IntegrityError:
        return _outcome_for(_existing(edi_file, index), again=True)
    log.info("835 transaction %s of EDI file %s held: %d damaged claim(s)", index,
             edi_file.pk, claims)
    return _outcome_for(r, again=False)


def _post(*, practice, edi_file, index, rem: Remittance835, ctx, actor,
          retried: bool = False, held: Remittance | None = None,
          skip: frozenset[int] = frozenset(), warnings: Sequence[dict] = ()) -> PostOutcome:
    """Post a transaction in one database transaction. With `held` (a DAMAGED remittance)
    it posts into that row every claim but those numbered in `skip` (1-based), and refuses
    with Conflict (nothing posted, still held) instead of recording a quarantine."""
    if held is None:
        existing = _existing(edi_file, index)
        if existing is not None:
            return _outcome_for(existing, again=True)
    key = payment_key(rem)
    dup = Remittance.objects.filter(practice=practice, dedupe_key=key).first()
    if dup is not None:
        msg = (f"{_describe(dup)} was already posted (the same payment, in another file); "
               "nothing posted again.")
        if held is not None:
            raise Conflict(msg)
        return PostOutcome("duplicate", msg, dup)
    numbered = _match_claims(practice=practice, rem=rem, skip=skip)
    matches = [m for _, m in numbered]
    duplicates = _duplicate_payments(practice=practice, matches=matches)
    if duplicates:
        lead = "Duplicate payment, nothing was posted: "
        if held is not None:
            raise Conflict(lead + "; ".join(duplicates[:5]))
        # All or nothing: a file that repeats a payment already posted posts none of it.
        return _record_quarantine(practice=practice, edi_file=edi_file, index=index, rem=rem,
                                  problems=duplicates, ctx=ctx, lead=lead, warnings=warnings)
    try:
        with transaction.atomic():
            source = f"835 file #{edi_file.pk}"
            if held is None:
                r = Remittance.objects.create(
                    practice=practice, edi_file=edi_file, transaction_index=index,
                    dedupe_key=key, posted_at=timezone.now(),
                    encoding_warnings=list(warnings), **_header(rem))
                REMITTANCE_MACHINE.record_created(obj=r, source=source)
            else:
                r = Remittance.objects.select_for_update().get(pk=held.pk, practice=practice)
                if r.status != RemittanceStatus.DAMAGED:
                    raise Conflict(f"This ERA is {r.get_status_display().lower()}, not held.")
                r.dedupe_key, r.posted_at = key, timezone.now()
                r.save(update_fields=["dedupe_key", "posted_at", "updated_at"])
            unmatched = held_count = 0
            for position, (cp, claim, fingerprint) in numbered:
                rc = _store_claim(practice=practice, remittance=r, position=position, cp=cp,
                                  claim=claim, fingerprint=fingerprint)
                if rc.claim_id is None:
                    unmatched += 1
                elif claim.status in HELD_STATUSES:
                    held_count += 1
                    _review_open(rc=rc, ctx=ctx)
                else:
                    _apply_to_claim(rc=rc, edi_file=edi_file, ctx=ctx, actor=actor)
            _store_plb(practice=practice, remittance=r, rem=rem, ctx=ctx, actor=actor)
            if held is not None:
                status = RemittanceStatus.PARTIALLY_POSTED
            else:
                status = (RemittanceStatus.PARTIALLY_UNMATCHED if unmatched
                          else RemittanceStatus.POSTED)
            Remittance.objects.filter(pk=r.pk).update(unmatched_count=unmatched)
            r.unmatched_count = unmatched
            reason = (f"{len(matches) - unmatched - held_count} claim(s) posted, {unmatched} "
                      f"unmatched, {held_count} held for review")
            if held is not None:
                reason += f", {len(skip)} damaged not posted (posted the rest)"
            REMITTANCE_MACHINE.transition(
                obj=r, to=status, ctx=ctx, actor=actor,
                source="biller: post the rest" if held is not None else source,
                reason=reason)
            audit_record(ctx=ctx, action=(AuditAction.CREATE if held is None
                                          else AuditAction.UPDATE),
                         category="remittance", object_type="Remittance", object_id=r.pk,
                         detail={"status": r.status, "claims": r.claim_count,
                                 "unmatched": unmatched, "held": held_count,
                                 "damaged_not_posted": len(skip),
                                 "edi_file": edi_file.pk})
    except IntegrityError:
        if held is not None:
            raise Conflict("The same payment was posted from another file a moment ago; "
                           "nothing was posted.") from None
        again = _existing(edi_file, index) or Remittance.objects.filter(
            practice=practice, dedupe_key=key).first()
        if again is None:
            if retried:
                raise
            # another worker posted one of these claim payments a moment ago: look again,
            # and the duplicate is quarantined
            return _post(practice=practice, edi_file=edi_file, index=index, rem=rem, ctx=ctx,
                         actor=actor, retried=True, warnings=warnings)
        return _outcome_for(again, again=True)
    except (ValidationError, NotAllowed, ValueError, LookupError) as exc:
        log.warning("posting 835 transaction %s of EDI file %s failed: %s", index, edi_file.pk,
                    type(exc).__name__)
        raise RemittancePostingError(
            f"The ERA could not be posted ({type(exc).__name__}: {exc}); nothing was posted. "
            "Import it again once the cause is fixed.") from exc
    return _outcome_for(r, again=False)


# A payment for a claim in these statuses is not posted: it waits in the review list.
HELD_STATUSES = (ClaimStatus.CLOSED, ClaimStatus.VOIDED)


def _match_claims(*, practice, rem: Remittance835, skip: frozenset[int] = frozenset(),
                  ) -> list[tuple[int, tuple[ClaimPayment, object, str]]]:
    """(place in the ERA, (claim payment, our claim or None, fingerprint)), leaving out the
    claims numbered in `skip` (damaged ones, which are never posted)."""
    out = []
    for n, cp in enumerate(rem.claims, start=1):
        if n in skip:
            continue
        claim = claim_match(practice=practice, patient_control_number=cp.patient_control_number,
                            payer_claim_number=cp.payer_claim_number)
        fingerprint = claim_payment_fingerprint(claim_id=claim.pk, cp=cp) if claim else ""
        out.append((n, (cp, claim, fingerprint)))
    return out


def _posted_with(practice, fingerprint: str):
    return RemittanceClaim.objects.filter(practice=practice, fingerprint=fingerprint,
                                          fingerprint_seq__isnull=False)


def _duplicate_payments(*, practice, matches) -> list[str]:
    """Why claim payments of this transaction were already posted (from any file): a
    payment counts once until the payer reverses it; a reversal reverses once."""
    problems = []
    seen: dict[str, int] = {}
    for cp, claim, fingerprint in matches:
        if claim is None:
            continue
        posted = list(_posted_with(practice, fingerprint).select_related("remittance"))
        payments = sum(1 for p in posted if not p.is_reversal)
        reversals = len(posted) - payments
        reversal = cp.status_code == "22"
        n = seen.get(fingerprint, 0)
        seen[fingerprint] = n + 1
        live = payments - reversals + (n if not reversal else -n)
        if (not reversal and live >= 1) or (reversal and payments >= 1 and live <= 0):
            first = next((p for p in posted if p.is_reversal == reversal), None)
            trace = (first.remittance.trace_number or "no trace number") if first else ""
            where = (f"in ERA #{first.remittance_id} ({trace})" if first
                     else "earlier in this ERA")
            problems.append(
                f"claim {cp.patient_control_number}: this {'reversal' if reversal else 'payment'}"
                f" (payer claim {cp.payer_claim_number or '-'}, charge {money(cp.charge)}, paid "
                f"{money(cp.paid)}, same service lines) was already posted {where}")
    return problems


def _review_open(*, rc: RemittanceClaim, ctx: AuditContext) -> PaymentReview:
    claim = rc.claim
    reason = (f"Claim {claim.patient_control_number} is {claim.get_status_display()}: this "
              f"payment of ${money(rc.paid)} was not posted. Post it anyway or dismiss it.")
    review = PaymentReview.objects.create(practice_id=rc.practice_id, remittance_claim=rc,
                                          reason=reason)
    REVIEW_MACHINE.record_created(obj=review, source=f"ERA #{rc.remittance_id}",
                                  reason=reason)
    audit_record(ctx=ctx, action=AuditAction.CREATE, category="remittance",
                 client_id=rc.client_id, object_type="PaymentReview", object_id=review.pk,
                 detail={"claim": claim.pk, "status": claim.status})
    return review


def payment_review_resolve(*, review: PaymentReview, action: str, ctx: AuditContext,
                           note: str = "", actor: User | None = None) -> PaymentReview:
    """A biller's decision on a held claim payment: "post" posts it to the claim and the
    ledger as the 835 said (the claim's status is not forced: a Closed claim stays
    Closed); "dismiss" records why it is not posted. Either once."""
    note = (note or "").strip()
    if action not in ("post", "dismiss"):
        raise InvalidInput("Choose to post the payment or to dismiss it.",
                           errors={"action": "Choose post or dismiss."})
    if action == "dismiss" and not note:
        raise InvalidInput("Say why the payment is dismissed.",
                           errors={"note": "Say why the payment is dismissed."})
    if review.status != ReviewStatus.OPEN:
        raise Conflict(f"This payment was already {review.get_status_display().lower()}.")
    with transaction.atomic():
        locked = PaymentReview.objects.select_for_update(of=("self",)).select_related(
            "remittance_claim__claim", "remittance_claim__remittance__edi_file").get(
            pk=review.pk, practice_id=review.practice_id)
        if locked.status != ReviewStatus.OPEN:
            raise Conflict(f"This payment was already {locked.get_status_display().lower()}.")
        rc = locked.remittance_claim
        if action == "post":
            _apply_to_claim(rc=rc, edi_file=rc.remittance.edi_file, ctx=ctx, actor=actor)
        to = ReviewStatus.POSTED if action == "post" else ReviewStatus.DISMISSED
        REVIEW_MACHINE.transition(obj=locked, to=to, ctx=ctx, actor=actor,
                                  source="payment review", reason=note,
                                  updates={"resolved_by": actor, "resolution_note": note})
    review.refresh_from_db()
    return review


def _store_claim(*, practice, remittance, position: int, cp: ClaimPayment, claim,
                 fingerprint: str) -> RemittanceClaim:
    split = claim_split(cp)
    seq = None
    if claim is not None:
        seq = _posted_with(practice, fingerprint).count()
    patient = cp.patient or cp.insured
    name = ""
    if patient is not None:
        name = " ".join(p for p in (patient.first_name, patient.name) if p)
    rc = RemittanceClaim.objects.create(
        practice=practice, remittance=remittance, position=position, claim=claim,
        client_id=claim.client_id if claim else None,
        patient_control_number=cp.patient_control_number[:38],
        status_code=cp.status_code[:2], charge=money(cp.charge), paid=split.paid,
        allowed=split.allowed,
        patient_responsibility=(None if cp.patient_responsibility is None
                                else money(cp.patient_responsibility)),
        client_share=split.client_share, contractual_amount=split.contractual,
        open_amount=split.open_amount, payer_claim_number=cp.payer_claim_number[:50],
        frequency=(cp.frequency or "")[:1], patient_name=name[:120],
        member_id=((patient.id or "") if patient else "")[:80],
        service_date=service_date_of(cp), remarks=list(cp.remarks),
        fingerprint=fingerprint, fingerprint_seq=seq)
    adjustments = [
        RemittanceAdjustment(practice=practice, remittance_claim=rc,
                             level=AdjustmentLevel.CLAIM, group=a.group[:2],
                             reason=a.reason[:5], amount=money(a.amount),
                             quantity=a.quantity)
        for a in cp.adjustments]
    for n, ln in enumerate(cp.lines, start=1):
        line = RemittanceLine.objects.create(
            practice=practice, remittance_claim=rc, line_number=n,
            procedure_code=ln.procedure[:48], modifiers=list(ln.modifiers),
            charge=money(ln.charge), paid=money(ln.paid),
            allowed=None if ln.allowed is None else money(ln.allowed), units=ln.units,
            service_date=ln.service_start, control_number=(ln.control_number or "")[:50],
            remarks=list(ln.remarks))
        adjustments += [
            RemittanceAdjustment(practice=practice, remittance_claim=rc, line=line,
                                 level=AdjustmentLevel.LINE, group=a.group[:2],
                                 reason=a.reason[:5], amount=money(a.amount),
                                 quantity=a.quantity)
            for a in ln.adjustments]
    RemittanceAdjustment.objects.bulk_create(adjustments)
    return rc


def _apply_to_claim(*, rc: RemittanceClaim, edi_file, ctx, actor) -> None:
    claim = rc.claim
    if not claim_has_charge(claim=claim):
        ledger_post_claim_charge(claim=claim, ctx=ctx, actor=actor)
    claim_apply_adjudication(
        claim=claim, status_code=rc.status_code, charge=rc.charge, paid=rc.paid,
        patient_responsibility=rc.client_share, payer_claim_number=rc.payer_claim_number,
        source=f"835 file #{edi_file.pk}", ctx=ctx)
    ledger_post_remittance_claim(remittance_claim=rc, ctx=ctx, actor=actor)


def _store_plb(*, practice, remittance, rem: Remittance835, ctx, actor) -> None:
    for position, p in enumerate(rem.provider_adjustments, start=1):
        plb = ProviderAdjustment.objects.create(
            practice=practice, remittance=remittance, position=position,
            provider_id=(p.provider_id or "")[:80], fiscal_period_date=p.fiscal_period_date,
            reason=p.reason[:5], reference=(p.reference or "")[:80], amount=money(p.amount))
        ledger_post_provider_adjustment(provider_adjustment=plb, ctx=ctx, actor=actor)


# --- an ERA held for a damaged claim: a biller's decision ------------------------------------
def _held(remittance: Remittance) -> Remittance:
    if remittance.status != RemittanceStatus.DAMAGED:
        raise Conflict(f"This ERA is {remittance.get_status_display().lower()}: only an ERA "
                       "held for a damaged claim can be posted in part or rejected.")
    return remittance


def remittance_post_rest(*, remittance: Remittance, ctx: AuditContext,
                         actor: User | None = None) -> PostOutcome:
    """"Post the rest" of an ERA held for damaged claims: every undamaged claim posts (and
    its PLB), in one database transaction, exactly as a clean ERA would; the damaged claims
    stay listed on the ERA as not posted, with their damage. Conflict when it is not held
    or when a payment in it was already posted (then nothing is posted)."""
    _held(remittance)
    edi_file = remittance.edi_file
    found = [rem for index, rem, problems in _transactions(edi_file.raw)[0]
             if index == remittance.transaction_index and rem is not None and not problems]
    skip = frozenset(d["claim_index"] for d in remittance.damage)
    # The stored file is what was held: read again it must give the same damaged claims.
    if not found or frozenset(d["claim_index"] for d in damage_rows(found[0])) != skip:
        raise Conflict("This ERA's file no longer reads as it did when it was held; "
                       "nothing was posted. Reject it.")
    return _post(practice=remittance.practice, edi_file=edi_file,
                 index=remittance.transaction_index, rem=found[0], ctx=ctx, actor=actor,
                 held=remittance, skip=skip)


def remittance_reject(*, remittance: Remittance, reason: str, ctx: AuditContext,
                      actor: User | None = None) -> Remittance:
    """"Reject the file": an ERA held for damaged claims posts nothing, for good, and keeps
    the biller's reason (the payer is asked for a corrected 835, which imports anew)."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why the file is rejected.",
                           errors={"reason": "Say why the file is rejected."})
    _held(remittance)
    REMITTANCE_MACHINE.transition(
        obj=remittance, to=RemittanceStatus.REJECTED, ctx=ctx, actor=actor,
        source="biller: reject the file", reason=reason[:500],
        updates={"reason": f"Rejected by a biller, nothing was posted: {reason}"[:2000]},
        audit_extra={"damaged_claims": remittance.damaged_claim_count})
    return remittance


# --- entry points -----------------------------------------------------------------------------
def era_file_handle(edi_file) -> None:
    """The clearinghouse's handler for 835 files (registered in AppConfig.ready). A file no
    practice could be matched to stays in the unmatched EDI list; a failure is logged and
    leaves the file for a later import (it never breaks the polling loop)."""
    if edi_file.practice_id is None:
        log.info("835 EDI file %s matches no practice; not posted", edi_file.pk)
        return
    ctx = AuditContext.system(practice_id=edi_file.practice_id,
                              source=f"clearinghouse file #{edi_file.pk}")
    try:
        remittance_file_post(edi_file=edi_file, practice=edi_file.practice, ctx=ctx)
    except Exception as exc:
        # the type only: an exception's text may quote the file (no PHI in logs). Raised on
        # so the file stays unhandled and the next poll posts it again (nothing half-posts).
        log.error("posting 835 EDI file %s failed: %s", edi_file.pk, type(exc).__name__)
        raise


def era_import(*, practice: Practice, raw: str, ctx: AuditContext,
               actor: User | None = None,
               encoding_warnings: Sequence[dict] = ()) -> ImportResult:
    """Import an 835 by hand: the same path as the clearinghouse's files (stored raw in the EDI
    history first), then posted for `practice`. Says what it posted or why it refused.
    `encoding_warnings`: what decoding the upload read as cp1252/Latin-1 (the form's
    `encoding_warnings`), kept on the remittances and shown on the ERA page."""
    raw = raw.lstrip("\ufeff")
    if not raw.strip():
        return ImportResult(None, False, refusal="The file is empty.")
    if "ISA" not in raw[:200]:
        return ImportResult(None, False, refusal="This is not an X12 file (no ISA header).")
    edi_file, created = edi_file_receive(raw=raw, connection=UPLOAD_CONNECTION,
                                         practice=practice)
    result = ImportResult(edi_file.pk, created)
    names_other = any(e.get("kind") == "OtherPractice" for e in (edi_file.errors or []))
    if (edi_file.practice_id is not None and edi_file.practice_id != practice.pk) or names_other:
        result.refusal = ("Refused: this ERA is addressed to another practice (its payee "
                          "NPI); nothing was posted.")
        return result
    if edi_file.set_id and edi_file.set_id != "835":
        result.refusal = (f"Refused: this is an X12 {edi_file.label or edi_file.set_id} "
                          "file, not an 835 remittance; nothing was posted.")
        return result
    result.outcomes = remittance_file_post(edi_file=edi_file, practice=practice, ctx=ctx,
                                           actor=actor,
                                           encoding_warnings=encoding_warnings_rows(
                                               encoding_warnings))
    if created:
        # the clearinghouse handler may already have posted it during receipt: report the
        # rows as fresh, not as repeats
        result.outcomes = [_outcome_for(o.remittance, again=False)
                           if o.state == "already" and o.remittance is not None else o
                           for o in result.outcomes]
    return result


# --- client responsibility --------------------------------------------------------------------
def remittance_client_invoices_create(*, practice: Practice, ctx: AuditContext,
                                      actor: User | None = None,
                                      remittance: Remittance | None = None) -> list:
    """Create every pending client-responsibility invoice (Draft) of the practice: one per
    remittance claim that leaves the client a share not invoiced yet. Auto-billing calls it;
    so does "Invoice the client share for all N claims" on an ERA's page (`remittance`:
    that ERA's claims only). Safe to run again: each remittance claim is invoiced at most
    once (remittance_claim_invoice_create refuses a second invoice), so a second press
    creates nothing."""
    created = []
    for rc in remittance_claim_client_share_list(practice=practice, remittance=remittance):
        if client_share_pending(practice=practice, remittance_claim=rc) <= 0:
            continue
        try:
            created.append(remittance_claim_invoice_create(
                practice=practice, remittance_claim=rc, ctx=ctx, actor=actor))
        except (AlreadyInvoiced, ValidationError):
            continue
    return created


def remittance_claim_invoice_create(*, practice: Practice, remittance_claim: RemittanceClaim,
                                    ctx: AuditContext, actor: User | None = None):
    """The Draft invoice for the client's share an ERA claim leaves, of exactly what is still
    pending for it (client_share_pending). Raises AlreadyInvoiced, or ValidationError when
    nothing is due."""
    # invoice_create_for_client_responsibility refuses an invoiced one first (AlreadyInvoiced)
    amount = client_share_pending_uninvoiced(practice=practice, remittance_claim=remittance_claim,
                                             invoiced_check=False)
    return invoice_create_for_client_responsibility(
        practice=practice, remittance_claim=remittance_claim, amount=amount, ctx=ctx,
        actor=actor)


__all__ = ["ImportResult", "PostOutcome", "RemittancePostingError", "era_file_handle",
           "era_import", "payment_review_resolve", "remittance_claim_invoice_create",
           "remittance_post_rest", "remittance_reject",
           "remittance_client_invoices_create",
           "remittance_file_post"]
