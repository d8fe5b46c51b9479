"""Secondary claims: after the primary payer paid part, bill the client's secondary insurer
with the primary's adjudication (what it paid and why it adjusted, per line).

Billing the secondary holds the client's share: in the same transaction the ledger moves what
the client still owes on the primary claim to the secondary claim's insurance receivable, so
no client invoice is offered or created for it until the secondary answers; its answer then
leaves the client only what it did not pay or settle (ledger `_secondary_parts`)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditAction, User
from oasys.ledger.services import ledger_post_secondary_hold

from .machine import CLAIM_MACHINE
from .models import Claim, Frequency, PayerSequence
from .selectors import secondary_policy_get
from .services import claim_lines_copy, claim_row_create
from .status import ClaimStatus
from .submission import claims_submit


def cob_snapshot(claim: Claim) -> dict:
    """The primary's latest posted adjudication of `claim`, in the shape assembly needs."""

    # Through the reverse relation remittance declares on a claim (remittance builds on claims).
    rc = (claim.remittance_claims.filter(practice_id=claim.practice_id)
          .exclude(status_code="22")
          .select_related("remittance").order_by("-remittance__payment_date", "-pk").first())
    if rc is None:
        raise InvalidInput("The primary payer's remittance for this claim has not arrived.")
    date = rc.remittance.payment_date
    claim_level = [(a.group, a.reason, str(a.amount))
                   for a in rc.adjustments.filter(line__isnull=True).order_by("pk")]
    lines = []
    for line in rc.lines.order_by("line_number"):
        lines.append({
            "procedure": line.procedure_code.split(":")[-1] if ":" in line.procedure_code
            else line.procedure_code,
            "paid": str(line.paid),
            "adjustments": [(a.group, a.reason, str(a.amount))
                            for a in line.adjustments.order_by("pk")],
        })
    return {
        "payer_name": claim.payer.name, "payer_id": claim.payer.payer_id_claims,
        "paid": str(rc.paid), "adjudication_date": date.isoformat() if date else "",
        "claim_adjustments": claim_level, "lines": lines,
        "patient_responsibility": str(rc.patient_responsibility),
        "remittance_claim_id": rc.pk,
    }


def claim_secondary_create(*, claim: Claim, ctx: AuditContext,
                           actor: User | None = None) -> Claim:
    """The secondary claim for a partly paid primary claim (Draft; send with claims_submit)."""
    policy = secondary_policy_get(claim=claim)
    if (policy is None and claim.payer_sequence == PayerSequence.PRIMARY
            and claim.status == ClaimStatus.PARTIAL):
        raise InvalidInput("The client has no secondary insurance on file.")
    CLAIM_MACHINE.require_action(claim, "secondary")
    cob = cob_snapshot(claim)
    try:
        with transaction.atomic():
            secondary = claim_row_create(
                practice=claim.practice, billing_key=f"appt:{claim.appointment_id}:S",
                appointment=claim.appointment, client=claim.client, policy=policy,
                payer=policy.payer, clinician=claim.clinician, frequency=Frequency.ORIGINAL,
                payer_sequence=PayerSequence.SECONDARY, corrects=None,
                service_date=claim.service_date, place_of_service=claim.place_of_service,
                total_charge=claim.total_charge, diagnosis_codes=claim.diagnosis_codes,
                cob=cob, created_by=actor,
            )
            claim_lines_copy(source=claim, target=secondary)
            CLAIM_MACHINE.record_created(
                obj=secondary, actor=actor, source="secondary",
                reason=f"secondary of {claim.patient_control_number}: primary paid "
                       f"${cob['paid']}")
            audit_record(ctx=ctx, action=AuditAction.CREATE, category="claim",
                         client_id=claim.client_id, object_type="Claim",
                         object_id=secondary.pk, detail={"secondary_of": claim.pk})
            ledger_post_secondary_hold(primary=claim, secondary=secondary, ctx=ctx,
                                       actor=actor)
    except IntegrityError as exc:
        raise InvalidInput("This session's secondary claim already exists.") from exc
    return secondary


def claim_secondary_bill(*, claim: Claim, ctx: AuditContext, actor: User | None = None):
    """Create and send the secondary claim at once (the Secondary tab's button)."""

    secondary = claim_secondary_create(claim=claim, ctx=ctx, actor=actor)
    return claims_submit(practice=claim.practice, claims=[secondary], ctx=ctx, actor=actor)
