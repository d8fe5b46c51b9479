"""Send claims to the clearinghouse as one 837P interchange, through the transmission outbox.

`claims_submit` builds the interchange, stores it as an outbound EDI file (the outbox row, with
an idempotency key derived from its row id), ties the claims to it and moves them to
Submitted, all in one transaction; the file is sent after commit (clearinghouse/services.py).
So nothing is ever left between: either the claims exist, Submitted, with a file that will
reach the clearinghouse, or nothing happened. A claim the clearinghouse may have is never
Draft, so every 999 / 277CA / 835 about it applies. How the transmission ends comes back
through `submission_transmitted` (registered in apps.py): sent, retrying (claims stay
Submitted, being sent), or refused (claims Submission Failed: the clearinghouse said no, so a
corrected resubmission is a new file).

The interchange's acknowledgment (`ClaimSubmission.ack_status`, from the 999) moves through
the SUBMISSION_ACK state machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from oasys.clearinghouse.models import EdiFile, FileStatus
from oasys.clearinghouse.port import ClearinghouseError
from oasys.clearinghouse.services import edi_file_send_again, edi_file_submit, edi_file_transmit
from oasys.core.audit import AuditContext
from oasys.core.models import Practice, User
from oasys.core.sequences import sequence_next
from oasys.core.statemachine import StateMachine, machine_register
from oasys.ledger.services import ledger_post_claim_charge
from x12.errors import X12Error

from .assembly import build_837p_for
from .models import AckStatus, Claim, ClaimSubmission, ClaimSubmissionEvent
from .services import claim_transition, claims_transition_many
from .status import ClaimStatus

A = AckStatus
SUBMISSION_ACK = machine_register(StateMachine(
    name="claim_submission_ack", noun="interchange", model=ClaimSubmission, statuses=AckStatus,
    # a later 999 for the same group (a corrected acknowledgment) may say something else
    transitions={A.PENDING: frozenset({A.ACCEPTED, A.PARTIALLY_ACCEPTED, A.REJECTED}),
                 A.ACCEPTED: frozenset({A.PARTIALLY_ACCEPTED, A.REJECTED}),
                 A.PARTIALLY_ACCEPTED: frozenset({A.ACCEPTED, A.REJECTED}),
                 A.REJECTED: frozenset({A.ACCEPTED, A.PARTIALLY_ACCEPTED})},
    event_model=ClaimSubmissionEvent, event_fk="submission", status_field="ack_status",
    client_attr=""))

# Files whose outcome is not a clear "no": they may be at the clearinghouse already.
MAY_HAVE_REACHED = (FileStatus.QUEUED, FileStatus.SENDING, FileStatus.RETRYING,
                    FileStatus.SUBMITTED)


@dataclass
class SubmitOutcome:
    """`submitted`: the claims now Submitted, in the outbox (sent after commit); `failed`:
    claims the 837P builder refused (Validation Failed), with `error`."""

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
) -> SubmitOutcome:
    """Build, store and queue one interchange for `claims` (Draft, Validation Failed or
    Submission Failed claims of `practice`), and move them to Submitted: one transaction."""
    if not claims:
        return SubmitOutcome(submission=None)
    with transaction.atomic():
        claims = list(
            Claim.objects.filter(practice=practice, pk__in=[c.pk for c in claims])
            .select_related("client", "policy", "payer", "clinician", "clinician__supervisor",
                            "corrects")
            .prefetch_related("lines")
            .order_by("pk")
        )
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
        edi_file = edi_file_submit(practice=practice, x12=x12, ctx=ctx)
        submission = ClaimSubmission.objects.create(
            practice=practice,
            interchange_control_number=control,
            edi_file=edi_file,
            claim_count=len(claims),
            created_by=actor,
        )
        SUBMISSION_ACK.record_created(obj=submission, actor=actor, source="outbox")
        Claim.objects.filter(pk__in=[c.pk for c in claims]).update(
            submission=submission, validation_errors=[]
        )
        outcome = SubmitOutcome(submission=submission)
        for claim in claims:
            claim.submission, claim.validation_errors = submission, []
            claim.practice = practice  # the ledger reads it: no query per claim
        # One lock, one update and one insert of events for the chunk (audit rows per
        # claim), then each claim's charge: what `_queued` does, claim by claim.
        claims_transition_many(
            claims=claims, to=ClaimStatus.SUBMITTED, ctx=ctx, actor=actor,
            source=f"submission {submission.pk}", allow_same=True,
            reason=f"queued in interchange {submission.interchange_control_number}")
        for claim in claims:
            ledger_post_claim_charge(claim=claim, ctx=ctx, actor=actor)
            outcome.submitted.append(claim)
    return outcome


def _queued(*, claim: Claim, submission: ClaimSubmission, ctx: AuditContext,
            actor: User | None, reason: str = "") -> None:
    claim_transition(
        claim=claim, to=ClaimStatus.SUBMITTED, ctx=ctx, actor=actor,
        source=f"submission {submission.pk}", allow_same=True,
        reason=reason or f"queued in interchange {submission.interchange_control_number}")
    # The session's charge becomes a receivable from insurance once it is billed (once per
    # original claim; replacements and voids carry none).
    ledger_post_claim_charge(claim=claim, ctx=ctx, actor=actor)


def claim_may_be_at_clearinghouse(*, claim: Claim) -> bool:
    """Whether the claim's last interchange may have reached the clearinghouse without it
    telling us (queued, being sent, retrying or sent). Such a claim is never rebuilt into a
    new file: it is sent again as the same file under the same key, which the clearinghouse
    answers with its first answer if it has it."""
    if claim.submission_id is None:
        return False
    return EdiFile.objects.filter(claim_submission__pk=claim.submission_id,
                                  status__in=MAY_HAVE_REACHED).exists()


def submission_send_again(*, claim: Claim, ctx: AuditContext,
                          actor: User | None = None) -> SubmitOutcome:
    """Resubmit of a claim whose file may be at the clearinghouse: its claims go back to
    Submitted and the same file is sent again under the same idempotency key (after commit)."""
    submission = ClaimSubmission.objects.select_related("edi_file").get(pk=claim.submission_id)
    outcome = SubmitOutcome(submission=submission)
    with transaction.atomic():
        for c in submission.claims.order_by("pk"):
            if c.status in (ClaimStatus.DRAFT, ClaimStatus.SUBMISSION_FAILED,
                            ClaimStatus.SUBMITTED):
                _queued(claim=c, submission=submission, ctx=ctx, actor=actor,
                        reason=f"interchange {submission.interchange_control_number} sent "
                               f"again under the same key")
                outcome.submitted.append(c)
        edi_file_send_again(edi_file=submission.edi_file)
    return outcome


def submission_send(
    *, submission: ClaimSubmission, ctx: AuditContext, actor: User | None = None
) -> SubmitOutcome:
    """Send a stored interchange now, in this process (the outbox worker's job; for the CLI
    and tests). Its outcome reaches the claims through `submission_transmitted`."""
    try:
        edi_file_transmit(edi_file_id=submission.edi_file_id)
    except ClearinghouseError:
        pass  # recorded on the file and the submission; the sweeper sends it again
    submission.refresh_from_db()
    claims = list(submission.claims.order_by("pk"))
    outcome = SubmitOutcome(submission=submission, error=submission.error)
    for claim in claims:
        (outcome.submitted if claim.status == ClaimStatus.SUBMITTED
         else outcome.failed).append(claim)
    return outcome


def submission_transmitted(edi_file: EdiFile) -> None:
    """How the transmission of a claims file ended (called by the outbox in the transaction
    that moves the file): sent, retrying, or refused."""
    submission = ClaimSubmission.objects.filter(edi_file_id=edi_file.pk).first()
    if submission is None:
        return
    now = timezone.now()
    ctx = AuditContext.system(practice_id=submission.practice_id, source="outbox")
    if edi_file.status == FileStatus.SUBMITTED:
        ClaimSubmission.objects.filter(pk=submission.pk).update(
            sent_at=now, transaction_id=edi_file.external_id, error="")
        Claim.objects.filter(submission=submission, submitted_at__isnull=True).update(
            submitted_at=now)
    elif edi_file.status == FileStatus.RETRYING:
        ClaimSubmission.objects.filter(pk=submission.pk).update(
            error=f"The clearinghouse did not answer ({edi_file.last_error}). It is sent "
                  f"again automatically.")
    elif edi_file.status == FileStatus.REFUSED:
        error = edi_file.last_error or "The clearinghouse refused the file."
        ClaimSubmission.objects.filter(pk=submission.pk).update(error=error)
        for claim in submission.claims.filter(status=ClaimStatus.SUBMITTED).order_by("pk"):
            claim_transition(claim=claim, to=ClaimStatus.SUBMISSION_FAILED, ctx=ctx,
                             source=f"submission {submission.pk}", reason=error)
