"""Writes to the journal. `journal_post` is the one action function that writes an entry:
it checks the legs balance, refuses a second entry with the same source key (idempotency by a
unique constraint, concurrency included) and writes the audit row. The posting hooks below
derive an entry's legs from a claim, invoice, remittance claim, PLB, write-off or payment.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction, Practice, User
from oasys.core.money import money
from oasys.invoices.models import InvoiceKind

from .domain import Leg, check_balanced, reverse_legs, transfer
from .models import Account, EntryType, JournalEntry, JournalLine
from .selectors import claim_balances

A = Account


def journal_post(
    *,
    practice: Practice,
    entry_type: str,
    source_key: str,
    legs: Iterable[Leg],
    ctx: AuditContext,
    memo: str = "",
    client_id: int | None = None,
    claim_id: int | None = None,
    invoice_id: int | None = None,
    remittance_id: int | None = None,
    reverses: JournalEntry | None = None,
    actor: User | None = None,
) -> JournalEntry:
    """Post one balanced entry once. A second call with the same `source_key` returns the
    entry already posted and writes nothing."""
    legs = check_balanced(legs)
    existing = JournalEntry.objects.filter(practice=practice, source_key=source_key).first()
    if existing is not None:
        return existing
    dims = {"client_id": client_id, "claim_id": claim_id, "invoice_id": invoice_id,
            "remittance_id": remittance_id}
    try:
        with transaction.atomic():
            entry = JournalEntry.objects.create(
                practice=practice, entry_type=entry_type, source_key=source_key[:120],
                memo=memo[:300], reverses=reverses, created_by=actor, **dims)
            JournalLine.objects.bulk_create([
                JournalLine(practice=practice, entry=entry, account=leg.account,
                            debit=leg.debit, credit=leg.credit, memo=leg.memo[:200], **dims)
                for leg in legs])
            audit_record(ctx=ctx, action=AuditAction.CREATE, category="ledger",
                         client_id=client_id, object_type="JournalEntry", object_id=entry.pk,
                         detail={"type": entry_type, "key": source_key})
    except IntegrityError:  # the same source posted a moment ago by another worker
        existing = JournalEntry.objects.filter(practice=practice, source_key=source_key).first()
        if existing is None:
            raise
        return existing
    return entry


def _has(practice_id: int, source_key: str) -> bool:
    return JournalEntry.objects.filter(practice_id=practice_id, source_key=source_key).exists()


def _same_practice(*objs) -> None:
    ids = {o.practice_id for o in objs if o is not None}
    if len(ids) > 1:
        raise PermissionError("Objects of different practices cannot share an entry")


# --- claims ----------------------------------------------------------------------------------
def claim_charge_key(claim_id: int) -> str:
    return f"claim:{claim_id}:charge"


def ledger_post_claim_charge(*, claim, ctx: AuditContext,
                             actor: User | None = None) -> JournalEntry | None:
    """The claim's charge: receivable from insurance, revenue. Once per claim. Replacement
    and void claims (frequency 7/8) and secondary claims carry no new charge: the original
    primary claim's charge is the one receivable."""
    if claim.frequency in ("7", "8") or claim.payer_sequence == "S":
        return None
    return journal_post(
        practice=claim.practice, entry_type=EntryType.CHARGE,
        source_key=claim_charge_key(claim.pk),
        legs=transfer(A.AR_INSURANCE, A.REVENUE, claim.total_charge, "claim charge"),
        ctx=ctx, memo=f"Claim {claim.patient_control_number} billed",
        client_id=claim.client_id, claim_id=claim.pk, actor=actor)


def claim_has_charge(*, claim) -> bool:
    return _has(claim.practice_id, claim_charge_key(claim.pk))


def ledger_post_remittance_claim(*, remittance_claim, ctx: AuditContext,
                                 actor: User | None = None) -> list[JournalEntry]:
    """An adjudicated claim of an 835: the insurance payment (cash from the insurance
    receivable), the contractual adjustment, and the client's share moved to the client
    receivable; denials and other adjustments stay open on the insurance receivable until
    appealed or written off. A reversal (CLP02 22) carries negative amounts, so the same legs
    run backwards. Each part posts once (keyed on the remittance claim)."""
    rc = remittance_claim
    if rc.claim_id is None:
        return []
    claim = rc.claim
    _same_practice(rc, claim)
    reversal = rc.is_reversal
    parts = [
        ("payment", EntryType.INSURANCE_PAYMENT,
         transfer(A.CASH, A.AR_INSURANCE, rc.paid, "insurance payment")),
        ("contractual", EntryType.CONTRACTUAL_ADJUSTMENT,
         transfer(A.CONTRACTUAL, A.AR_INSURANCE, rc.contractual_amount, "contractual")),
        ("client", EntryType.CLIENT_RESPONSIBILITY,
         transfer(A.AR_CLIENT, A.AR_INSURANCE, rc.client_share, "client responsibility")),
    ]
    entries = []
    for suffix, entry_type, legs in parts:
        if not legs:
            continue
        entries.append(journal_post(
            practice=claim.practice,
            entry_type=EntryType.REVERSAL if reversal else entry_type,
            source_key=f"rc:{rc.pk}:{suffix}", legs=legs, ctx=ctx,
            memo=(f"{'Reversal: ' if reversal else ''}{EntryType(entry_type).label}, "
                  f"claim {rc.patient_control_number}"),
            client_id=claim.client_id, claim_id=claim.pk, remittance_id=rc.remittance_id,
            actor=actor))
    return entries


def ledger_post_provider_adjustment(*, provider_adjustment, ctx: AuditContext,
                                    actor: User | None = None) -> JournalEntry | None:
    """A PLB adjustment: a positive amount kept back from the payment (recoupment,
    forwarding balance) is an expense against cash; a negative one (interest) adds cash."""
    plb = provider_adjustment
    legs = transfer(A.PROVIDER_ADJUSTMENTS, A.CASH, plb.amount, f"PLB {plb.reason}")
    if not legs:
        return None
    return journal_post(
        practice=plb.practice, entry_type=EntryType.PROVIDER_ADJUSTMENT,
        source_key=f"plb:{plb.pk}", legs=legs, ctx=ctx,
        memo=f"Provider-level adjustment {plb.reason} {plb.reference or ''}".strip(),
        remittance_id=plb.remittance_id, actor=actor)


def ledger_post_write_off(*, claim, amount: Decimal, reason: str, ctx: AuditContext,
                          actor: User | None = None) -> JournalEntry:
    """Write off part or all of what insurance still owes on a claim. The same amount and
    reason for the same claim posts once; more than the open balance is refused."""

    amount = money(amount)
    if amount <= 0:
        raise ValidationError("A write-off must be a positive amount.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the amount is written off.")
    key = (f"claim:{claim.pk}:write_off:{amount}:"
           f"{hashlib.sha256(reason.encode()).hexdigest()[:12]}")
    if _has(claim.practice_id, key):
        return JournalEntry.objects.get(practice_id=claim.practice_id, source_key=key)
    with transaction.atomic():
        open_balance = claim_balances(practice=claim.practice, claim_id=claim.pk)[A.AR_INSURANCE]
        if amount > open_balance:
            raise ValidationError(
                f"Only ${open_balance} is open on this claim; ${amount} cannot be written off.")
        return journal_post(
            practice=claim.practice, entry_type=EntryType.WRITE_OFF, source_key=key,
            legs=transfer(A.WRITE_OFFS, A.AR_INSURANCE, amount, "write-off"), ctx=ctx,
            memo=f"Write-off: {reason}"[:300], client_id=claim.client_id, claim_id=claim.pk,
            actor=actor)


# --- invoices and client payments ------------------------------------------------------------
def _invoice_claim_id(invoice) -> int | None:
    """The claim a client-responsibility invoice bills the client's share of."""
    line = invoice.lines.filter(remittance_claim__isnull=False).select_related(
        "remittance_claim").first()
    return line.remittance_claim.claim_id if line is not None else None


def ledger_post_invoice_charge(*, invoice, ctx: AuditContext,
                               actor: User | None = None) -> JournalEntry | None:
    """A session or standalone invoice: receivable from the client, revenue. A client-
    responsibility invoice posts nothing: the 835 already moved that share to the client."""

    if invoice.kind == InvoiceKind.CLIENT_RESPONSIBILITY:
        return None
    return journal_post(
        practice=invoice.practice, entry_type=EntryType.CHARGE,
        source_key=f"invoice:{invoice.pk}:charge",
        legs=transfer(A.AR_CLIENT, A.REVENUE, invoice.total, "invoice charge"), ctx=ctx,
        memo=f"Invoice {invoice.number}", client_id=invoice.client_id, invoice_id=invoice.pk,
        actor=actor)


def ledger_post_client_payment(*, invoice, amount: Decimal, ctx: AuditContext,
                               reference: str = "",
                               actor: User | None = None) -> JournalEntry:
    """A payment from the client on an invoice: cash in, client receivable down. Pass the
    payment's own id (e.g. the Stripe charge) as `reference` to make retries post once."""
    amount = money(amount)
    if amount <= 0:
        raise ValidationError("A payment must be a positive amount.")
    key = f"invoice:{invoice.pk}:payment:{reference or uuid.uuid4().hex}"
    return journal_post(
        practice=invoice.practice, entry_type=EntryType.CLIENT_PAYMENT, source_key=key,
        legs=transfer(A.CASH, A.AR_CLIENT, amount, "client payment"), ctx=ctx,
        memo=f"Payment on invoice {invoice.number}", client_id=invoice.client_id,
        invoice_id=invoice.pk, claim_id=_invoice_claim_id(invoice), actor=actor)


def ledger_post_refund(*, invoice, amount: Decimal, ctx: AuditContext, reference: str = "",
                       actor: User | None = None) -> JournalEntry:
    """Money paid back to the client: cash out, and the client receivable back up (what was
    paid is owed again, or a credit balance is cleared)."""
    amount = money(amount)
    if amount <= 0:
        raise ValidationError("A refund must be a positive amount.")
    key = f"invoice:{invoice.pk}:refund:{reference or uuid.uuid4().hex}"
    return journal_post(
        practice=invoice.practice, entry_type=EntryType.REFUND, source_key=key,
        legs=transfer(A.AR_CLIENT, A.CASH, amount, "refund"), ctx=ctx,
        memo=f"Refund on invoice {invoice.number}", client_id=invoice.client_id,
        invoice_id=invoice.pk, claim_id=_invoice_claim_id(invoice), actor=actor)


def ledger_reverse(*, entry: JournalEntry, reason: str, ctx: AuditContext,
                   actor: User | None = None) -> JournalEntry:
    """Undo a posted entry with its mirror image. An entry is reversed at most once."""
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the entry is reversed.")
    legs = reverse_legs(Leg(ln.account, ln.debit, ln.credit, ln.memo)
                        for ln in entry.lines.all())
    return journal_post(
        practice=entry.practice, entry_type=EntryType.REVERSAL,
        source_key=f"reverse:{entry.pk}", legs=legs, ctx=ctx,
        memo=f"Reverses #{entry.pk}: {reason}"[:300], client_id=entry.client_id,
        claim_id=entry.claim_id, invoice_id=entry.invoice_id,
        remittance_id=entry.remittance_id, reverses=entry, actor=actor)
