"""Writes to the journal. `journal_post` is the one action function that writes an entry:
it checks the legs balance, refuses a second entry with the same source key (idempotency by a
unique constraint, concurrency included) and writes the audit row. The posting hooks below
derive an entry's legs from a claim, invoice, remittance claim, PLB, write-off or payment.

The journal is the only truth for money. Two stored figures are kept as a cache for lists
and the API, and they are written here only, by `journal_post`, in the transaction of the
entry that changes them, recomputed from the journal (never bumped): `Claim.paid_amount`
(what payers paid on the claim) and `Claim.patient_responsibility` (the client's share the
payers' 835s moved to the client), and `Invoice.total` (what the invoice bills). A guard
test proves no other code writes them.

Every entry's `source_key` is derived from our own ids (a claim, an invoice, a remittance
claim, a payment's reference): the idempotency key. Re-posting the same key returns the
entry already posted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal

from django.apps import apps
from django.db import connections, router, transaction
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, Round

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput, NotAllowed
from oasys.core.models import AuditAction, Practice, User
from oasys.core.money import ZERO, money
from oasys.core.rawsql import row_inserted

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
    entry already posted and writes nothing. The key is required and is ours (derived from
    our own ids): there is no random fallback, so every posting is idempotent."""
    source_key = (source_key or "").strip()
    if not source_key:
        raise InvalidInput("A journal entry needs a reference (its idempotency key).")
    legs = check_balanced(legs)
    dims = {"client_id": client_id, "claim_id": claim_id, "invoice_id": invoice_id,
            "remittance_id": remittance_id}
    entry = JournalEntry(practice=practice, entry_type=entry_type, source_key=source_key[:120],
                         memo=memo[:300], reverses=reverses, created_by=actor, **dims)
    # savepoint=False: the entry, its lines, the cache and the audit row are all or nothing
    # all the same (an error inside marks the enclosing transaction for rollback, so a
    # half-written entry can never commit), without a SAVEPOINT/RELEASE round trip each.
    with transaction.atomic(savepoint=False):
        if not _entry_insert(entry):
            # posted already (a replay, or another worker a moment ago): nothing written
            return JournalEntry.objects.get(practice=practice, source_key=entry.source_key)
        JournalLine.objects.bulk_create([
            JournalLine(practice=practice, entry=entry, account=leg.account,
                        debit=leg.debit, credit=leg.credit, memo=leg.memo[:200],
                        **_leg_dims(dims, leg))
            for leg in legs])
        claims, invoices = _cache_touched(entry_type, dims, legs)
        _cache_refresh(practice_id=practice.pk, claim_ids=claims, invoice_ids=invoices)
        audit_record(ctx=ctx, action=AuditAction.CREATE, category="ledger",
                     client_id=client_id, object_type="JournalEntry", object_id=entry.pk,
                     detail={"type": entry_type, "key": source_key})
    return entry


def _entry_insert(entry: JournalEntry) -> bool:
    """INSERT the entry unless its (practice, source_key) is posted already; True when it
    was written (and `entry` has its pk). One statement instead of a pre-check SELECT plus
    a savepoint to catch the unique violation: `ON CONFLICT (practice, source_key) DO
    NOTHING RETURNING id` (PostgreSQL, SQLite >= 3.35) returns no row on a duplicate, and
    under concurrency PostgreSQL waits for the other transaction holding the key, so a race
    still ends with one entry. Any other constraint (e.g. an entry reversed twice under
    two keys) still raises IntegrityError. Django's bulk_create(ignore_conflicts=True)
    cannot be used: it returns no id."""
    conn = connections[router.db_for_write(JournalEntry)]
    opts = JournalEntry._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(entry, add=True), conn) for f in fields]
    qn = conn.ops.quote_name
    unique = ", ".join(qn(opts.get_field(n).column) for n in ("practice", "source_key"))
    # identifiers from the model's meta, quoted; every value is a parameter
    columns = ", ".join(qn(f.column) for f in fields)
    params = ", ".join(["%s"] * len(fields))
    sql = (f"INSERT INTO {qn(opts.db_table)} ({columns}) VALUES ({params}) "  # noqa: S608
           f"ON CONFLICT ({unique}) DO NOTHING RETURNING {qn(opts.pk.column)}")
    return row_inserted(connection=conn, sql=sql, params=values, obj=entry)


def _leg_dims(dims: dict, leg: Leg) -> dict:
    if leg.at is None:
        return dims
    return {**dims, "claim_id": leg.at[0], "invoice_id": leg.at[1]}


# Entry types whose client-receivable debits are what an invoice bills.
BILLING_TYPES = (EntryType.CHARGE, EntryType.SHARE_INVOICED)


# The accounts whose lines on 835 entries make a claim's cached figures.
CLAIM_CACHE_ACCOUNTS = (A.CASH, A.AR_CLIENT)


def _cache_touched(entry_type: str, dims: dict, legs: list[Leg]) -> tuple[set, set]:
    """The claims and invoices whose cached figures the new entry's lines change. The
    cached values were equal to the journal before this entry (they are written nowhere
    else), so only the aggregates that this entry's lines enter can differ now:
    - a claim's paid_amount / patient_responsibility sum its cash and client-receivable
      lines of remittance entries: changed only by an entry with a remittance (its lines
      carry it) that has such a leg on the claim;
    - an invoice's total sums its client-receivable lines of billing entries (or, before
      any, its lines): changed only by a billing entry with such a leg on the invoice.
    A claim charge, a payment, a fee, a write-off, a void or a hold thus refreshes nothing."""
    claims: set = set()
    invoices: set = set()
    for leg in legs:
        claim_id, invoice_id = leg.at if leg.at else (dims["claim_id"], dims["invoice_id"])
        if dims["remittance_id"] is not None and leg.account in CLAIM_CACHE_ACCOUNTS:
            claims.add(claim_id)
        if entry_type in BILLING_TYPES and leg.account == A.AR_CLIENT:
            invoices.add(invoice_id)
    return claims - {None}, invoices - {None}


_MONEY = DecimalField(max_digits=12, decimal_places=2)


def _sum_of(qs, group: str, expression) -> Subquery:
    """One correlated SUM over `qs` (already filtered on the outer row by `group`)."""
    return Subquery(qs.order_by().values(group).annotate(x=Sum(expression)).values("x")[:1],
                    output_field=_MONEY)


def _cache_refresh(*, practice_id: int, claim_ids: set, invoice_ids: set) -> None:
    """Rewrite the cached figures of these claims and invoices from the journal, inside the
    entry's transaction: one UPDATE per row whose new values the database computes from
    the journal's lines in the same statement (never bumped, never read back first). The
    only writer of those fields. Rows are updated in id order (claims, then invoices), so
    two postings touching the same rows lock them in the same order."""
    claim_model = apps.get_model("claims", "Claim")
    invoice_model = apps.get_model("invoices", "Invoice")
    line_model = apps.get_model("invoices", "InvoiceLine")
    lines = JournalLine.objects.filter(practice_id=practice_id)
    for claim_id in sorted(i for i in claim_ids if i is not None):
        # money the payers' 835s moved: cash and the client's share, on remittance entries
        from_835 = lines.filter(claim_id=OuterRef("pk"), remittance__isnull=False)
        net = F("debit") - F("credit")
        paid, share = (Round(Coalesce(_sum_of(from_835.filter(account=account), "claim_id",
                                              net), ZERO), 2, output_field=_MONEY)
                       for account in (A.CASH, A.AR_CLIENT))
        claim_model.objects.filter(pk=claim_id, practice_id=practice_id).update(
            paid_amount=paid, patient_responsibility=share)
    for invoice_id in sorted(i for i in invoice_ids if i is not None):
        billing = lines.filter(invoice_id=OuterRef("pk"), account=A.AR_CLIENT,
                               entry__entry_type__in=BILLING_TYPES)
        # Not charged yet (a Draft: its charge is posted when it opens): what it will
        # bill, the sum of its lines. SUM over no billing line is NULL, so the lines count
        # only while the journal has none (as exists() decided before).
        drafted = line_model.objects.filter(invoice_id=OuterRef("pk"))
        total = Round(Coalesce(_sum_of(billing, "invoice_id", F("debit")),
                               _sum_of(drafted, "invoice_id", F("amount")), ZERO), 2,
                      output_field=_MONEY)
        invoice_model.objects.filter(pk=invoice_id, practice_id=practice_id).update(total=total)


def ledger_invoice_total_refresh(*, invoice) -> Decimal:
    """Write `Invoice.total` of an invoice without a posting: a Draft's total is the sum of
    its lines until its charge is posted (when it opens). Called by the invoice's creation."""
    _cache_refresh(practice_id=invoice.practice_id, claim_ids=set(), invoice_ids={invoice.pk})
    invoice.total = _invoice_total(invoice)
    return invoice.total


def _has(practice_id: int, source_key: str) -> bool:
    return JournalEntry.objects.filter(practice_id=practice_id, source_key=source_key).exists()


def _same_practice(*objs) -> None:
    ids = {o.practice_id for o in objs if o is not None}
    if len(ids) > 1:
        raise NotAllowed("Objects of different practices cannot share an entry")


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
    run backwards. Each part posts once (keyed on the remittance claim).

    A secondary payer's claim is owed only the client's share held for it when it was
    billed (see `ledger_post_secondary_hold`): its answer divides that share, see
    `_secondary_parts`."""
    rc = remittance_claim
    if rc.claim_id is None:
        return []
    claim = rc.claim
    _same_practice(rc, claim)
    reversal = rc.is_reversal
    if claim.payer_sequence == "S":
        paid, contractual, client = _secondary_parts(rc)
    else:
        paid, contractual, client = rc.paid, rc.contractual_amount, rc.client_share
    parts = [
        ("payment", EntryType.INSURANCE_PAYMENT,
         transfer(A.CASH, A.AR_INSURANCE, paid, "insurance payment")),
        ("contractual", EntryType.CONTRACTUAL_ADJUSTMENT,
         transfer(A.CONTRACTUAL, A.AR_INSURANCE, contractual, "contractual")),
        ("client", EntryType.CLIENT_RESPONSIBILITY,
         transfer(A.AR_CLIENT, A.AR_INSURANCE, client, "client responsibility")),
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


# CARC 23: "the impact of prior payer(s) adjudication" -- on a secondary's 835 it restates
# what the primary paid and adjusted, which the primary's own 835 already posted.
PRIOR_PAYER_CARC = "23"


def _secondary_parts(rc) -> tuple[Decimal, Decimal, Decimal]:
    """(paid, contractual, client share) of a secondary payer's answer, against what is
    open on the secondary claim (the client's share held for it):
    - what it paid reduces the held share (more than is open is an overpayment: a credit
      from the payer, shown as one);
    - its own contractual write-down (not CARC 23) settles up to what is left;
    - whatever it neither paid nor settled goes back to the client, to be invoiced.
    A reversal takes back exactly what the claim's earlier answers moved."""
    lines = JournalLine.objects.filter(practice_id=rc.practice_id, claim_id=rc.claim_id)
    if rc.is_reversal:
        posted = {r["account"]: (r["d"] or ZERO) - (r["c"] or ZERO) for r in (
            lines.filter(remittance__isnull=False, account__in=(A.CONTRACTUAL, A.AR_CLIENT))
            .values("account").annotate(d=Sum("debit"), c=Sum("credit")).order_by())}
        return (money(rc.paid), -money(posted.get(A.CONTRACTUAL, ZERO)),
                -money(posted.get(A.AR_CLIENT, ZERO)))
    agg = lines.filter(account=A.AR_INSURANCE).aggregate(d=Sum("debit"), c=Sum("credit"))
    open_amount = money((agg["d"] or ZERO) - (agg["c"] or ZERO))
    paid = money(rc.paid)
    left = max(open_amount - paid, ZERO)
    # rc.contractual_amount sums every settling adjustment, CARC 23 included
    prior = sum((a.amount for a in rc.adjustments.all()
                 if a.group != "PR" and a.reason == PRIOR_PAYER_CARC), ZERO)
    own_contractual = money(rc.contractual_amount - prior)
    contractual = min(max(own_contractual, ZERO), left)
    return paid, contractual, money(left - contractual)


def ledger_post_secondary_hold(*, primary, secondary, ctx: AuditContext,
                               actor: User | None = None) -> JournalEntry | None:
    """Billing the secondary payer holds the client's share of the primary claim: what the
    client still owes on it (invoiced or not) moves from the client receivable to the
    insurance receivable of the secondary claim, until the secondary answers. Once per
    secondary claim."""
    _same_practice(primary, secondary)
    rows = (JournalLine.objects.filter(practice_id=primary.practice_id, claim_id=primary.pk,
                                       account=A.AR_CLIENT)
            .values("invoice_id").annotate(d=Sum("debit"), c=Sum("credit"))
            .order_by("invoice_id"))
    legs: list[Leg] = []
    for r in rows:
        amount = money((r["d"] or ZERO) - (r["c"] or ZERO))
        if amount > 0:
            legs.append(Leg(A.AR_CLIENT, credit=amount, memo="held for the secondary payer",
                            at=(primary.pk, r["invoice_id"])))
    total = sum((leg.credit for leg in legs), ZERO)
    if total <= 0:
        return None
    legs.append(Leg(A.AR_INSURANCE, debit=total, memo="owed by the secondary payer",
                    at=(secondary.pk, None)))
    return journal_post(
        practice=secondary.practice, entry_type=EntryType.SECONDARY_HOLD,
        source_key=f"claim:{secondary.pk}:secondary_hold", legs=legs, ctx=ctx,
        memo=(f"Client share of claim {primary.patient_control_number} billed to the "
              f"secondary payer (claim {secondary.patient_control_number})"),
        client_id=secondary.client_id, claim_id=secondary.pk, actor=actor)


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
        raise InvalidInput("A write-off must be a positive amount.")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Say why the amount is written off.")
    key = (f"claim:{claim.pk}:write_off:{amount}:"
           f"{hashlib.sha256(reason.encode()).hexdigest()[:12]}")
    if _has(claim.practice_id, key):
        return JournalEntry.objects.get(practice_id=claim.practice_id, source_key=key)
    with transaction.atomic():
        open_balance = claim_balances(practice=claim.practice, claim_id=claim.pk)[A.AR_INSURANCE]
        if amount > open_balance:
            raise InvalidInput(
                f"Only ${open_balance} is open on this claim; ${amount} cannot be written off.")
        return journal_post(
            practice=claim.practice, entry_type=EntryType.WRITE_OFF, source_key=key,
            legs=transfer(A.WRITE_OFFS, A.AR_INSURANCE, amount, "write-off"), ctx=ctx,
            memo=f"Write-off: {reason}"[:300], client_id=claim.client_id, claim_id=claim.pk,
            actor=actor)


# --- invoices and client payments ------------------------------------------------------------
def _invoice_claim_id(invoice) -> int | None:
    """The claim a client-responsibility invoice bills the client's share of. Only those
    have a line of a remittance claim (invoices/services.py), so a session or standalone
    invoice is answered without a query (every payment on one asked before)."""
    if invoice.kind != "client_responsibility":
        return None
    return (invoice.lines.filter(remittance_claim__isnull=False).order_by("pk")
            .values_list("remittance_claim__claim_id", flat=True).first())


def invoice_charge_key(invoice_id: int) -> str:
    return f"invoice:{invoice_id}:charge"


def ledger_post_invoice_charge(*, invoice, ctx: AuditContext, amount: Decimal | None = None,
                               actor: User | None = None) -> JournalEntry | None:
    """A session or standalone invoice opens: receivable from the client, revenue, for
    `amount` (None: the invoice's total, the sum of its lines). Posted when the invoice goes
    from Sending to Open, once (its key). It rewrites `Invoice.total` from the journal.
    A client-responsibility invoice is posted by `ledger_post_client_share_invoiced`."""
    if invoice.kind == "client_responsibility":
        return None
    amount = money(invoice.total if amount is None else amount)
    entry = journal_post(
        practice=invoice.practice, entry_type=EntryType.CHARGE,
        source_key=invoice_charge_key(invoice.pk),
        legs=transfer(A.AR_CLIENT, A.REVENUE, amount, "invoice charge"), ctx=ctx,
        memo=f"Invoice {invoice.number}", client_id=invoice.client_id, invoice_id=invoice.pk,
        actor=actor)
    invoice.total = _invoice_total(invoice)
    return entry


def _invoice_total(invoice) -> Decimal:
    return apps.get_model("invoices", "Invoice").objects.values_list(
        "total", flat=True).get(pk=invoice.pk)


def ledger_post_client_share_invoiced(*, invoice, claim, amount: Decimal, ctx: AuditContext,
                                      actor: User | None = None) -> JournalEntry:
    """A client-responsibility invoice bills `amount` of the client's share on `claim` that
    the 835s moved to the client and no invoice billed yet: the share moves from the claim's
    uninvoiced client receivable to the invoice's (a payment on the invoice then reduces the
    invoice's). It writes `Invoice.total`. Once per invoice."""
    amount = money(amount)
    if amount <= 0:
        raise InvalidInput("An invoice must bill a positive amount.")
    _same_practice(invoice, claim)
    entry = journal_post(
        practice=invoice.practice, entry_type=EntryType.SHARE_INVOICED,
        source_key=f"invoice:{invoice.pk}:share",
        legs=[Leg(A.AR_CLIENT, debit=amount, memo="invoiced", at=(claim.pk, invoice.pk)),
              Leg(A.AR_CLIENT, credit=amount, memo="client share", at=(claim.pk, None))],
        ctx=ctx, memo=f"Invoice {invoice.number}: client share of claim "
                      f"{claim.patient_control_number}",
        client_id=invoice.client_id, claim_id=claim.pk, invoice_id=invoice.pk, actor=actor)
    invoice.total = _invoice_total(invoice)
    return entry


def _reference(reference: str) -> str:
    reference = (reference or "").strip()
    if not reference:
        raise InvalidInput("A payment or refund needs its reference (our id for it, e.g. the "
                           "processor's charge id): it is what makes a retry post once.")
    return reference[:80]


def ledger_post_client_payment(*, invoice, amount: Decimal, ctx: AuditContext, reference: str,
                               actor: User | None = None) -> JournalEntry:
    """A payment from the client on an invoice: cash in, client receivable down. The
    payment's own id (e.g. the Stripe charge) is the required `reference`: a retry with the
    same reference returns the entry already posted."""
    amount = money(amount)
    if amount <= 0:
        raise InvalidInput("A payment must be a positive amount.")
    key = f"invoice:{invoice.pk}:payment:{_reference(reference)}"
    return journal_post(
        practice=invoice.practice, entry_type=EntryType.CLIENT_PAYMENT, source_key=key,
        legs=transfer(A.CASH, A.AR_CLIENT, amount, "client payment"), ctx=ctx,
        memo=f"Payment on invoice {invoice.number}", client_id=invoice.client_id,
        invoice_id=invoice.pk, claim_id=_invoice_claim_id(invoice), actor=actor)


def ledger_post_refund(*, invoice, amount: Decimal, ctx: AuditContext, reference: str,
                       actor: User | None = None) -> JournalEntry:
    """Money paid back to the client: cash out. A refund first clears any credit the client
    has on the invoice (an overpayment: the receivable back up to zero); the rest is money
    the practice gives back on a charge it keeps no claim to, so it comes off revenue -- a
    refunded invoice is not owed again. `reference` is required, as for a payment."""
    amount = money(amount)
    if amount <= 0:
        raise InvalidInput("A refund must be a positive amount.")
    key = f"invoice:{invoice.pk}:refund:{_reference(reference)}"
    existing = JournalEntry.objects.filter(practice=invoice.practice, source_key=key).first()
    if existing is not None:
        return existing
    owed = JournalLine.objects.filter(practice=invoice.practice, invoice_id=invoice.pk,
                                      account=A.AR_CLIENT).aggregate(
        d=Sum("debit"), c=Sum("credit"))
    credit = max(money((owed["c"] or ZERO) - (owed["d"] or ZERO)), ZERO)
    clears = min(amount, credit)
    legs = [Leg(A.CASH, credit=amount, memo="refund")]
    if clears:
        legs.append(Leg(A.AR_CLIENT, debit=clears, memo="refund of a credit"))
    if amount - clears:
        legs.append(Leg(A.REVENUE, debit=amount - clears, memo="refund"))
    return journal_post(
        practice=invoice.practice, entry_type=EntryType.REFUND, source_key=key,
        legs=legs, ctx=ctx,
        memo=f"Refund on invoice {invoice.number}", client_id=invoice.client_id,
        invoice_id=invoice.pk, claim_id=_invoice_claim_id(invoice), actor=actor)


def ledger_post_client_write_off(*, invoice, amount: Decimal, reason: str, ctx: AuditContext,
                                 actor: User | None = None) -> JournalEntry:
    """Write off what a client owes on an invoice (uncollectible): a write-off, the client
    receivable down. The same amount and reason for the same invoice posts once."""
    amount = money(amount)
    if amount <= 0:
        raise InvalidInput("A write-off must be a positive amount.")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Say why the amount is written off.")
    key = (f"invoice:{invoice.pk}:write_off:{amount}:"
           f"{hashlib.sha256(reason.encode()).hexdigest()[:12]}")
    return journal_post(
        practice=invoice.practice, entry_type=EntryType.WRITE_OFF, source_key=key,
        legs=transfer(A.WRITE_OFFS, A.AR_CLIENT, amount, "client write-off"), ctx=ctx,
        memo=f"Write-off on invoice {invoice.number}: {reason}"[:300],
        client_id=invoice.client_id, invoice_id=invoice.pk,
        claim_id=_invoice_claim_id(invoice), actor=actor)


def ledger_post_processing_fee(*, invoice, amount: Decimal, ctx: AuditContext, reference: str,
                               actor: User | None = None) -> JournalEntry | None:
    """Stripe's fee on a card payment: a processing expense, cash down (Stripe pays out the
    net). `reference` is the payment's (the charge), so the fee posts once. A zero fee
    posts nothing."""
    amount = money(amount)
    if amount < 0:
        raise InvalidInput("A fee cannot be negative.")
    if amount == 0:
        return None
    key = f"invoice:{invoice.pk}:fee:{_reference(reference)}"
    return journal_post(
        practice=invoice.practice, entry_type=EntryType.PROCESSING_FEE, source_key=key,
        legs=transfer(A.PROCESSING_FEES, A.CASH, amount, "processing fee"), ctx=ctx,
        memo=f"Stripe fee on invoice {invoice.number}", client_id=invoice.client_id,
        invoice_id=invoice.pk, actor=actor)


def ledger_post_invoice_void(*, invoice, ctx: AuditContext, reason: str = "",
                             actor: User | None = None) -> JournalEntry | None:
    """Void what is open on an invoice: the client no longer owes its balance. A session or
    standalone invoice's charge is taken back (revenue down); a client-responsibility
    invoice's share is written off (the payer's 835 still says the client owed it). Nothing
    is posted when nothing is owed (a Draft never charged). Once per invoice."""
    figures_owed = (JournalLine.objects.filter(practice=invoice.practice, invoice_id=invoice.pk,
                                               account=A.AR_CLIENT)
                    .aggregate(d=Sum("debit"), c=Sum("credit")))
    owed = money((figures_owed["d"] or ZERO) - (figures_owed["c"] or ZERO))
    if owed <= 0:
        return None
    if invoice.kind == "client_responsibility":
        legs = transfer(A.WRITE_OFFS, A.AR_CLIENT, owed, "invoice voided")
    else:
        legs = transfer(A.REVENUE, A.AR_CLIENT, owed, "invoice voided")
    return journal_post(
        practice=invoice.practice, entry_type=EntryType.INVOICE_VOID,
        source_key=f"invoice:{invoice.pk}:void", legs=legs, ctx=ctx,
        memo=f"Invoice {invoice.number} voided{': ' + reason if reason else ''}"[:300],
        client_id=invoice.client_id, invoice_id=invoice.pk,
        claim_id=_invoice_claim_id(invoice), actor=actor)


def ledger_reverse(*, entry: JournalEntry, reason: str, ctx: AuditContext,
                   actor: User | None = None) -> JournalEntry:
    """Undo a posted entry with its mirror image. An entry is reversed at most once."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Say why the entry is reversed.")
    legs = reverse_legs(Leg(ln.account, ln.debit, ln.credit, ln.memo,
                            at=(ln.claim_id, ln.invoice_id))
                        for ln in entry.lines.all())
    return journal_post(
        practice=entry.practice, entry_type=EntryType.REVERSAL,
        source_key=f"reverse:{entry.pk}", legs=legs, ctx=ctx,
        memo=f"Reverses #{entry.pk}: {reason}"[:300], client_id=entry.client_id,
        claim_id=entry.claim_id, invoice_id=entry.invoice_id,
        remittance_id=entry.remittance_id, reverses=entry, actor=actor)
