"""The claim state machine: the table in status.py, the event rows (ClaimEvent) and the named
actions the claim page and the API offer. Services ask `require_action`, screens and the API
ask `allowed_actions`; nothing else keeps a list of which claim can do what."""

from __future__ import annotations

from oasys.core.errors import InvalidInput
from oasys.core.statemachine import Action, StateMachine, machine_register

from .models import Claim, ClaimEvent, Frequency, PayerSequence
from .selectors import secondary_policy_get
from .status import IN_FLIGHT, REPLACEMENT_EDITABLE, TRANSITIONS, ClaimStatus

S = ClaimStatus


class ClaimActionRefused(InvalidInput):
    """A claim action is not possible in the claim's current status (422 today, as before the
    machine; the error-style work may make it a Conflict)."""


ADJUDICATED = frozenset({S.PAID, S.PARTIAL, S.DENIED})


def _sent(claim: Claim) -> bool:
    # The payer can only be asked about a claim that left: one we submitted (its CLM01 is our
    # patient control number) or one the payer numbered.
    return bool(claim.submitted_at or claim.submission_id or claim.payer_claim_number)


def _secondary_billable(claim: Claim) -> bool:
    return (claim.payer_sequence == PayerSequence.PRIMARY
            and not Claim.objects.filter(appointment_id=claim.appointment_id,
                                         payer_sequence=PayerSequence.SECONDARY).exists()
            and secondary_policy_get(claim=claim) is not None)


def replacement_in_review(claim: Claim) -> bool:
    """A replacement not yet sent: it goes out from its original's review page only, after
    the biller has seen what changed, never by a plain resubmit."""
    return claim.frequency == Frequency.REPLACEMENT and claim.status in REPLACEMENT_EDITABLE


ACTIONS: dict[str, Action] = {a.name: a for a in (
    # Correct and send again as an original: the payer never accepted the first one.
    Action("resubmit", "Correct and resubmit",
           frozenset({S.REJECTED, S.VALIDATION_FAILED, S.SUBMISSION_FAILED, S.DRAFT}),
           to=S.SUBMITTED, when=lambda c: not replacement_in_review(c),
           refusal="A {status} claim is corrected with a replacement claim."),
    # A replacement (frequency 7) of an adjudicated claim closes the original once sent. It
    # opens the corrected claim for editing; it goes only after the biller confirms the diff.
    Action("replace", "Send a corrected claim (replacement)", ADJUDICATED, to=S.CLOSED,
           refusal="Only denied, paid or partly paid claims are corrected with a replacement; "
                   "this one is {status}."),
    # The payer asked for more information (277 Pending Info): the same reviewed replacement,
    # with the records noted in PWK; it replaces (closes) the claim the payer holds.
    Action("send_info", "Send the requested information", frozenset({S.PENDING_INFO}),
           to=S.CLOSED,
           refusal="The payer asks for information only on a Pending Info claim; this one is "
                   "{status}."),
    # A void (frequency 8) cancels a claim the payer has; a void itself is not voided.
    Action("void", "Void", IN_FLIGHT | ADJUDICATED, to=S.VOIDED,
           when=lambda c: c.frequency != Frequency.VOID,
           refusal="A {status} claim cannot be voided."),
    Action("appeal", "Appeal", frozenset({S.DENIED}), to=S.IN_REVIEW,
           refusal="Only a denied claim can be appealed."),
    # What the payer answered and what the clearinghouse refused can be written off; a claim
    # never sent (Draft, failed) or already cancelled (Voided) has nothing to write off.
    Action("write_off", "Write off the open balance",
           frozenset({S.DENIED, S.PARTIAL, S.REJECTED, S.PAID}), to=S.CLOSED,
           refusal="A {status} claim cannot be written off."),
    # A 276 asks about a claim the payer has or had: in flight or adjudicated, and sent.
    Action("inquire", "Ask the payer for status", IN_FLIGHT | ADJUDICATED, when=_sent,
           refusal="The payer can only be asked about a claim it has; this one is {status}."),
    # After a partial payment the rest may be billable to the client's secondary insurer.
    Action("secondary", "Bill the secondary insurer", frozenset({S.PARTIAL}),
           when=_secondary_billable,
           refusal="A secondary claim follows a primary claim that was partly paid."),
)}

CLAIM_MACHINE = machine_register(StateMachine(
    name="claim", noun="claim", model=Claim, statuses=ClaimStatus, transitions=TRANSITIONS,
    event_model=ClaimEvent, event_fk="claim", changed_at_field="status_changed_at",
    actions=ACTIONS, refusal_error=ClaimActionRefused,
    # The claim audit rows keep the shape they had before the mechanism.
    audit_detail=lambda frm, to, source: {"from": frm, "to": to},
    writers=("oasys.claims.services",),
))
