"""What a biller does with a claim after it left: correct and resubmit, void (frequency 8),
appeal, write off, and ask the payer for its status (276/277). Replacements (frequency 7),
which the biller edits and confirms before they go, are in replacement.py.

Which claim may take which action is the claim machine's (machine.py `ACTIONS`): each service
asks `require_action` first, and screens and the API ask `allowed_actions`. Every action goes
through `claim_transition` for status and writes an audit row; new claims (replacements,
voids) are keyed on the claim they correct, so a double click makes one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from oasys.clearinghouse.connection import clearinghouse_port
from oasys.clearinghouse.services import edi_file_receive
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput
from oasys.core.formats import date_text
from oasys.core.models import AuditAction, User
from oasys.core.money import money
from oasys.core.timezones import practice_today
from oasys.ledger.models import Account
from oasys.ledger.selectors import claim_balances
from oasys.ledger.services import ledger_post_write_off
from x12.parse import parse_file
from x12.parse.status_277 import ClaimStatusResponse

from .assembly import build_276_for
from .inbound import apply_277, words_for
from .machine import CLAIM_MACHINE
from .models import Appeal, Claim, Frequency
from .services import claim_lines_copy, claim_row_create, claim_transition
from .status import ClaimStatus
from .submission import claim_may_be_at_clearinghouse, claims_submit, submission_send_again

# Rebuilding a claim from its session as it is now takes the readiness engine, which is
# billing's, and billing builds on claims: billing registers the function when the apps load
# (BillingConfig.ready), the way claims and remittance register inbound-file handlers.
SessionRefresher = Callable[..., None]  # (*, claim: Claim) -> None
_session_refresher: list[SessionRefresher] = []


def claim_session_refresher_register(refresher: SessionRefresher) -> None:
    """Called once by billing (AppConfig.ready) with `claim_refresh_from_session`."""
    _session_refresher[:] = [refresher]


def _refresh_from_session(claim: Claim) -> None:
    """Rebuild a claim's lines and codes from the session and client as they are now, so a
    fix made after a rejection is what goes out."""
    if not _session_refresher:
        raise ImproperlyConfigured("oasys.billing is not installed: it rebuilds claims.")
    _session_refresher[0](claim=claim)


def claim_resubmit(*, claim: Claim, ctx: AuditContext, actor: User | None = None):
    """Correct and resubmit a rejected (or failed) claim: rebuild it from today's data and
    send it again as an original claim (the payer never accepted the first one)."""
    CLAIM_MACHINE.require_action(claim, "resubmit")
    if claim.frequency == Frequency.REPLACEMENT:
        # A replacement carries the biller's edits: sent as it is, never rebuilt from the
        # session (which would undo them).
        if claim_may_be_at_clearinghouse(claim=claim):
            return submission_send_again(claim=claim, ctx=ctx, actor=actor)
        if claim.status == ClaimStatus.REJECTED:
            claim_transition(claim=claim, to=ClaimStatus.DRAFT, ctx=ctx, actor=actor,
                             reason="resubmitted as corrected")
        return claims_submit(practice=claim.practice, claims=[claim], ctx=ctx, actor=actor)
    if claim.status != ClaimStatus.REJECTED and claim_may_be_at_clearinghouse(claim=claim):
        # never a new file (a new key) for a claim the clearinghouse may already hold
        return submission_send_again(claim=claim, ctx=ctx, actor=actor)
    _refresh_from_session(claim)
    if claim.status == ClaimStatus.REJECTED:
        claim_transition(claim=claim, to=ClaimStatus.DRAFT, ctx=ctx, actor=actor,
                         reason="corrected for resubmission")
    return claims_submit(practice=claim.practice, claims=[claim], ctx=ctx, actor=actor)


def claim_derived_create(*, original: Claim, frequency: str, ctx: AuditContext,
                         actor: User | None) -> Claim:
    """A new replacement (7) or void (8) of `original`, citing the payer's claim number, with
    the original's lines and codes. Keyed on the original, so a double click makes one."""
    if not original.payer_claim_number:
        raise InvalidInput(
            "The payer has not given this claim a number yet; replacements and voids must "
            "cite it. Ask the payer for the claim's status first.")
    n = Claim.objects.filter(corrects=original, frequency=frequency).count() + 1
    key = f"{'replace' if frequency == Frequency.REPLACEMENT else 'void'}:{original.pk}:{n}"
    try:
        with transaction.atomic():
            claim = claim_row_create(
                practice=original.practice, billing_key=key, appointment=original.appointment,
                client=original.client, policy=original.policy, payer=original.payer,
                clinician=original.clinician, frequency=frequency,
                payer_sequence=original.payer_sequence, corrects=original,
                payer_claim_number=original.payer_claim_number,
                service_date=original.service_date, place_of_service=original.place_of_service,
                total_charge=original.total_charge, diagnosis_codes=original.diagnosis_codes,
                prior_authorization=original.prior_authorization, note=original.note,
                cob=original.cob,  # a secondary claim's correction still carries 2320/2330
                attachments=original.attachments if frequency == Frequency.REPLACEMENT else [],
                created_by=actor,
            )
            claim_lines_copy(source=original, target=claim)
            label = "replacement" if frequency == Frequency.REPLACEMENT else "void"
            CLAIM_MACHINE.record_created(
                obj=claim, actor=actor, source="manage claims",
                reason=f"{label} of {original.patient_control_number} "
                       f"(payer claim {original.payer_claim_number})")
            audit_record(ctx=ctx, action=AuditAction.CREATE, category="claim",
                         client_id=original.client_id, object_type="Claim", object_id=claim.pk,
                         detail={"frequency": frequency, "corrects": original.pk})
    except IntegrityError as exc:
        raise InvalidInput("That correction was just created.") from exc
    return claim


def claim_void(*, claim: Claim, ctx: AuditContext, actor: User | None = None):
    """Cancel a claim at the payer: a void (frequency 8) citing its number; the original is
    Voided once the void is sent."""

    CLAIM_MACHINE.require_action(claim, "void")
    void = claim_derived_create(original=claim, frequency=Frequency.VOID, ctx=ctx, actor=actor)
    outcome = claims_submit(practice=claim.practice, claims=[void], ctx=ctx, actor=actor)
    if outcome.submitted:
        claim_transition(claim=claim, to=ClaimStatus.VOIDED, ctx=ctx, actor=actor,
                         reason=f"void {void.patient_control_number} sent")
    return outcome


@dataclass(frozen=True)
class AppealInput:
    reason: str
    filed_on: dt.date | None = None
    contact: str = ""


def claim_appeal(*, claim: Claim, data: AppealInput, ctx: AuditContext,
                 actor: User | None = None) -> Appeal:
    """Record an appeal of a denial; the claim goes back In Review and is followed again."""
    CLAIM_MACHINE.require_action(claim, "appeal")
    reason = (data.reason or "").strip()
    if len(reason) < 10:
        raise InvalidInput({"reason": "Say why the denial is wrong (at least a sentence)."})
    filed = data.filed_on or practice_today(claim.practice)
    if filed > practice_today(claim.practice):
        raise InvalidInput({"filed_on": "An appeal cannot be filed in the future."})
    with transaction.atomic():
        appeal = Appeal.objects.create(practice=claim.practice, claim=claim, filed_on=filed,
                                       reason=reason, contact=data.contact[:200],
                                       created_by=actor)
        claim_transition(claim=claim, to=ClaimStatus.IN_REVIEW, ctx=ctx, actor=actor,
                         reason=f"appeal filed {date_text(filed)}")
    return appeal


def claim_write_off(*, claim: Claim, reason: str, ctx: AuditContext,
                    actor: User | None = None) -> Decimal:
    """Write off what remains open on the claim (an adjustment in the ledger) and close it."""
    CLAIM_MACHINE.require_action(claim, "write_off")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": "Say why this claim is written off."})

    with transaction.atomic():
        # What insurance still owes on the claim, from the journal (never a stored total).
        amount = money(claim_balances(practice=claim.practice,
                                      claim_id=claim.pk).get(Account.AR_INSURANCE, 0))
        if amount > 0:
            ledger_post_write_off(claim=claim, amount=amount, reason=reason, ctx=ctx,
                                  actor=actor)
        claim_transition(claim=claim, to=ClaimStatus.CLOSED, ctx=ctx, actor=actor,
                         reason=f"written off ${amount}: {reason}")
    return amount


# --- claim status inquiry (276/277) -----------------------------------------------------------
def claim_status_inquire(*, claim: Claim, ctx: AuditContext) -> str:
    """Ask the payer about one claim in real time and apply the answer like a 277CA.
    Returns the status words the payer gave. Only a claim the payer has (in flight or
    adjudicated, and sent) can be asked about."""
    CLAIM_MACHINE.require_action(claim, "inquire")
    port = clearinghouse_port(realtime=True)
    x12 = build_276_for(claim=claim)
    result = port.check_claim_status(x12=x12)
    edi_file, _ = edi_file_receive(raw=result.x12, external_id=result.transaction_id)
    if edi_file.practice_id is None:
        type(edi_file).objects.filter(pk=edi_file.pk).update(practice=claim.practice)
        edi_file.practice = claim.practice
    Claim.objects.filter(pk=claim.pk).update(last_status_inquiry_at=timezone.now())
    words = []
    for _isa, transactions in parse_file(result.x12.encode("utf-8")).interchanges:
        for tx in transactions:
            if isinstance(tx, ClaimStatusResponse):
                apply_277(edi_file=edi_file, response=tx, ctx=ctx)
                for c in tx.claims:
                    words += [words_for(s).text for s in c.statuses]
    return "; ".join(words) or "The payer gave no status."
