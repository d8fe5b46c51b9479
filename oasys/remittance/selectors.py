"""Reads for ERAs. Every selector takes the practice."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet

from oasys.claims.models import Claim
from oasys.core.era_codes import (
    carc_explained,
    claim_status_text,
    group_text,
    plb_text,
    rarc_explained,
)
from oasys.core.models import Practice
from oasys.core.money import ZERO, money
from oasys.core.text import search_text
from oasys.invoices.models import InvoiceLine
from oasys.ledger.selectors import claim_client_share_uninvoiced

from .models import (
    PaymentReview,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceStatus,
)

POSTED = (RemittanceStatus.POSTED, RemittanceStatus.PARTIALLY_UNMATCHED,
          RemittanceStatus.PARTIALLY_POSTED)


def remittance_list(*, practice: Practice, status: str = "",
                    query: str = "") -> QuerySet[Remittance]:
    """The practice's ERAs, newest first (all of them by default)."""
    qs = Remittance.objects.filter(practice=practice)
    if status:
        qs = qs.filter(status=status)
    query = search_text(query)
    if query:
        qs = qs.filter(Q(payer_name__icontains=query) | Q(trace_number__icontains=query))
    return qs.order_by("-payment_date", "-pk")


def remittance_get(*, practice: Practice, pk: int) -> Remittance:
    """One ERA with its claims, lines and adjustments (Remittance.DoesNotExist otherwise)."""
    return (remittance_list(practice=practice)
            .prefetch_related(
                Prefetch("claims", queryset=RemittanceClaim.objects.select_related(
                    "claim", "client", "review").prefetch_related(
                    "lines", Prefetch("adjustments",
                                      queryset=RemittanceAdjustment.objects.select_related(
                                          "line").order_by("pk")))),
                "provider_adjustments")
            .select_related("edi_file")
            .get(pk=pk))


def remittance_claim_list(*, practice: Practice) -> QuerySet[RemittanceClaim]:
    return RemittanceClaim.objects.filter(practice=practice).select_related("remittance",
                                                                            "claim")


def remittance_claim_client_share_list(
    *, practice: Practice, remittance: Remittance | None = None
) -> QuerySet[RemittanceClaim]:
    """Posted, matched, non-reversal remittance claims that may leave the client a share and
    have no invoice yet (candidates for a client-responsibility invoice): a share stated by
    the payer, or a secondary payer's answer (what it did not pay returns to the client).
    `remittance`: that ERA's claims only."""
    qs = remittance_claim_list(practice=practice)
    if remittance is not None:
        qs = qs.filter(remittance=remittance)
    return (qs
            .filter(remittance__status__in=POSTED, claim__isnull=False,
                    invoice_line__isnull=True)
            .filter(Q(client_share__gt=0) | Q(claim__payer_sequence="S"))
            .exclude(status_code="22")
            .order_by("remittance_id", "position"))


def secondary_pending(*, claim) -> bool:
    """A primary claim billed to a secondary payer that has not answered yet: the client's
    share is held (nothing is invoiced) until it does."""
    if claim.payer_sequence != "P":
        return False
    secondaries = Claim.objects.filter(practice_id=claim.practice_id,
                                       appointment_id=claim.appointment_id,
                                       payer_sequence="S")
    return secondaries.exists() and not RemittanceClaim.objects.filter(
        practice_id=claim.practice_id, claim__in=secondaries,
        remittance__status__in=POSTED).exclude(status_code="22").exists()


def client_share_pending(*, practice: Practice, remittance_claim: RemittanceClaim) -> Decimal:
    """What the client still has to be invoiced for this remittance claim: the client's share
    on the claim that the journal holds and no invoice bills yet, offered on the claim's
    latest adjudication only. Zero when nothing is due, and while a secondary payer billed
    for the claim has not answered (the share is held for it)."""
    return client_share_pending_uninvoiced(practice=practice, remittance_claim=remittance_claim,
                                           invoiced_check=True)


def client_share_pending_uninvoiced(*, practice: Practice, remittance_claim: RemittanceClaim,
                                    invoiced_check: bool) -> Decimal:
    """`client_share_pending`; with `invoiced_check=False` it does not look whether the
    remittance claim has an invoice already, for a caller that creates the invoice next and
    checks that itself (remittance_claim_invoice_create: one query less)."""
    rc = remittance_claim
    if (rc.practice_id != practice.pk or rc.claim_id is None or rc.is_reversal
            or rc.remittance.status not in POSTED):
        return ZERO
    if invoiced_check and InvoiceLine.objects.filter(remittance_claim=rc).exists():
        return ZERO
    latest = (RemittanceClaim.objects.filter(practice=practice, claim_id=rc.claim_id,
                                             remittance__status__in=POSTED)
              .exclude(status_code="22").order_by("-remittance_id", "-position").first())
    if latest is None or latest.pk != rc.pk:
        return ZERO
    if secondary_pending(claim=rc.claim):
        return ZERO
    share = claim_client_share_uninvoiced(practice=practice, claim_id=rc.claim_id)
    return max(money(share), ZERO)


# --- the claim-by-claim breakdown (screen and API) ----------------------------------------------
@dataclass
class AdjustmentView:
    level: str
    line_number: int | None
    group: str
    group_text: str
    reason: str
    reason_text: str
    reason_known: bool
    amount: Decimal
    quantity: Decimal | None


@dataclass
class ClaimView:
    rc: RemittanceClaim
    status_text: str
    adjustments: list[AdjustmentView] = field(default_factory=list)
    remarks: list[dict] = field(default_factory=list)
    pending_share: Decimal = ZERO
    invoice_id: int | None = None
    invoice_number: str = ""
    review: PaymentReview | None = None
    held_for_secondary: bool = False


def remittance_breakdown(*, practice: Practice, remittance: Remittance) -> list[ClaimView]:
    claims = list(remittance.claims.all())
    invoiced = {
        line.remittance_claim_id: line.invoice
        for line in InvoiceLine.objects.filter(
            practice=practice, remittance_claim__in=[c.pk for c in claims]
        ).select_related("invoice")
    }
    out = []
    for rc in claims:
        adjustments = [
            AdjustmentView(
                level=a.level, line_number=a.line.line_number if a.line else None,
                group=a.group, group_text=group_text(a.group), reason=a.reason,
                reason_text=str(carc_explained(a.reason)["text"]),
                reason_known=bool(carc_explained(a.reason)["known"]), amount=a.amount,
                quantity=a.quantity)
            for a in rc.adjustments.all()]
        remark_codes = list(rc.remarks) + [c for ln in rc.lines.all() for c in ln.remarks]
        remarks = [rarc_explained(c) for c in dict.fromkeys(remark_codes)]
        invoice = invoiced.get(rc.pk)
        view = ClaimView(rc=rc, status_text=claim_status_text(rc.status_code),
                         adjustments=adjustments, remarks=remarks,
                         invoice_id=invoice.pk if invoice else None,
                         invoice_number=invoice.number if invoice else "")
        view.review = getattr(rc, "review", None)
        if invoice is None and rc.claim_id and (rc.client_share > 0
                                                or rc.claim.payer_sequence == "S"):
            rc.remittance = remittance
            view.pending_share = client_share_pending(practice=practice, remittance_claim=rc)
            view.held_for_secondary = secondary_pending(claim=rc.claim)
        out.append(view)
    return out


def provider_adjustment_list(*, remittance: Remittance) -> list[dict]:
    return [{"reason": p.reason, "reason_text": plb_text(p.reason), "reference": p.reference,
             "amount": p.amount, "fiscal_period_date": p.fiscal_period_date}
            for p in remittance.provider_adjustments.all()]


def payment_review_list(*, practice: Practice, status: str = "") -> QuerySet[PaymentReview]:
    """Claim payments held for a biller (their claim was Closed or Voided), newest first."""
    qs = PaymentReview.objects.filter(practice=practice).select_related(
        "remittance_claim__remittance", "remittance_claim__claim",
        "remittance_claim__client", "resolved_by")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-pk")


def payment_review_get(*, practice: Practice, pk: int) -> PaymentReview:
    return payment_review_list(practice=practice).get(pk=pk)


def remittance_counts(*, practice: Practice) -> dict[str, int]:
    out = {s: 0 for s in RemittanceStatus.values}
    for row in (remittance_list(practice=practice).values("status")
                .annotate(n=Count("pk")).order_by()):
        out[row["status"]] = row["n"]
    return out
