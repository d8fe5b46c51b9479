"""Send Draft claims to the clearinghouse as one 837P interchange.

The interchange is built and stored as an outbound EDI file (with an idempotency key derived
from its row id) in one transaction; the network call happens after commit; its outcome moves
the claims. A retry resends the stored file under the same key, so the clearinghouse never
sees a claim twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from oasys.clearinghouse.models import FileStatus
from oasys.clearinghouse.port import ClearinghouseError
from oasys.clearinghouse.services import edi_file_submit, edi_file_transmit
from oasys.core.audit import AuditContext
from oasys.core.models import Practice, User
from oasys.core.sequences import sequence_next
from oasys.ledger.services import ledger_post_claim_charge
from x12.errors import X12Error

from .assembly import build_837p_for
from .models import Claim, ClaimSubmission
from .services import claim_transition
from .status import ClaimStatus


@dataclass
class SubmitOutcome:
    submission: ClaimSubmission | None
    submitted: list[Claim] = field(default_factory=list)
    failed: list[Claim] = field(default_factory=list)
    error: str = ""


def claims_submit(
    *,
    practice: Practice,
    claims: Sequence[Claim],
    ctx: AuditContext,
    actor: User | None = None,
    port=None,
) -> SubmitOutcome:
    """Build, store and send one interchange for `claims` (Draft, Validation Failed or
    Submission Failed claims of `practice`)."""

    if not claims:
        return SubmitOutcome(submission=None)
    claims = list(
        Claim.objects.filter(practice=practice, pk__in=[c.pk for c in claims])
        .select_related("client", "policy", "payer", "clinician", "clinician__supervisor",
                        "corrects")
        .prefetch_related("lines")
        .order_by("pk")
    )
    with transaction.atomic():
        control = sequence_next(name=f"isa:{practice.pk}")
        try:
            x12 = build_837p_for(practice=practice, claims=claims, control_number=control)
        except X12Error as exc:
            message = str(exc)
            for claim in claims:
                Claim.objects.filter(pk=claim.pk).update(validation_errors=[message])
                claim_transition(claim=claim, to=ClaimStatus.VALIDATION_FAILED, ctx=ctx,
                                 actor=actor, source="837P builder", reason=message)
            return SubmitOutcome(submission=None, failed=claims, error=message)
        edi_file = edi_file_submit(practice=practice, x12=x12, ctx=ctx, transmit=False)
        submission = ClaimSubmission.objects.create(
            practice=practice,
            interchange_control_number=control,
            edi_file=edi_file,
            claim_count=len(claims),
            created_by=actor,
        )
        Claim.objects.filter(pk__in=[c.pk for c in claims]).update(
            submission=submission, validation_errors=[]
        )
    return submission_send(submission=submission, ctx=ctx, actor=actor, port=port)


def submission_send(
    *, submission: ClaimSubmission, ctx: AuditContext, actor: User | None = None, port=None
) -> SubmitOutcome:
    """Send (or resend) a stored interchange and move its claims by the outcome."""

    claims = list(submission.claims.order_by("pk"))
    outcome = SubmitOutcome(submission=submission)
    try:
        edi_file = edi_file_transmit(edi_file_id=submission.edi_file_id, port=port)
        error = edi_file.last_error if edi_file.status != FileStatus.SUBMITTED else ""
    except ClearinghouseError as exc:  # retryable: timeouts, 5xx, 429 after back-off
        error = f"The clearinghouse did not answer ({exc.message}). Retry later."
        edi_file = None
    if error:
        outcome.error = error
        ClaimSubmission.objects.filter(pk=submission.pk).update(error=error)
        for claim in claims:
            if claim.status != ClaimStatus.SUBMISSION_FAILED:
                claim_transition(claim=claim, to=ClaimStatus.SUBMISSION_FAILED, ctx=ctx,
                                 actor=actor, source=f"submission {submission.pk}",
                                 reason=error)
            outcome.failed.append(claim)
        return outcome
    now = timezone.now()
    with transaction.atomic():
        ClaimSubmission.objects.filter(pk=submission.pk).update(
            sent_at=now, transaction_id=edi_file.external_id, error=""
        )
        for claim in claims:
            claim_transition(claim=claim, to=ClaimStatus.SUBMITTED, ctx=ctx, actor=actor,
                             source=f"submission {submission.pk}",
                             reason=f"sent in interchange {submission.interchange_control_number}",
                             allow_same=True)
            Claim.objects.filter(pk=claim.pk).update(submitted_at=now)
            # The session's charge becomes a receivable from insurance once it is billed
            # (once per original claim; replacements and voids carry none).
            ledger_post_claim_charge(claim=claim, ctx=ctx, actor=actor)
            outcome.submitted.append(claim)
    return outcome
