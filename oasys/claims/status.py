"""The claim status machine (SPEC §8). The table is the only source of legal transitions;
`claim_transition` in services.py is the only code that assigns a status."""

from __future__ import annotations

from django.db import models


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    IN_REVIEW = "in_review", "In Review"
    PENDING_INFO = "pending_info", "Pending Info"
    PAID = "paid", "Paid"
    PARTIAL = "partial", "Partial"
    REJECTED = "rejected", "Rejected"
    DENIED = "denied", "Denied"
    VALIDATION_FAILED = "validation_failed", "Validation Failed"
    SUBMISSION_FAILED = "submission_failed", "Submission Failed"
    VOIDED = "voided", "Voided"
    CLOSED = "closed", "Closed"


S = ClaimStatus

# What each status means to the user, from the guide.
MEANINGS: dict[str, str] = {
    S.DRAFT: "Created but not yet submitted. Review and submit from the claims queue.",
    S.SUBMITTED: "Sent to the clearinghouse. Wait for acknowledgment (1–2 business days).",
    S.ACKNOWLEDGED: "Clearinghouse validated the format. Waiting for payer (5–30 days).",
    S.IN_REVIEW: "Payer is actively reviewing. Monitor for updates.",
    S.PENDING_INFO: "Payer requesting additional information. Respond promptly.",
    S.PAID: "Payer has fully paid. Details appear in Payment Remittances.",
    S.PARTIAL: "Payer paid part. Remaining may be client responsibility or billable to "
               "secondary insurer.",
    S.REJECTED: "Clearinghouse rejected due to formatting error. Fix and resubmit from the "
                "Denied tab.",
    S.DENIED: "Payer denied the claim. See denial code in the Denied tab. Correct, appeal, or "
              "write off.",
    S.VALIDATION_FAILED: "System error before submission. Review and retry.",
    S.SUBMISSION_FAILED: "Technical error during submission. Retry.",
    S.VOIDED: "Original claim cancelled. Replacement may be resubmitted.",
    S.CLOSED: "Administratively closed. No further action.",
}

_ADJUDICATED = {S.PAID, S.PARTIAL, S.DENIED}

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.VALIDATION_FAILED, S.SUBMISSION_FAILED, S.VOIDED,
                        S.CLOSED}),
    S.VALIDATION_FAILED: frozenset({S.DRAFT, S.SUBMITTED, S.SUBMISSION_FAILED, S.CLOSED}),
    S.SUBMISSION_FAILED: frozenset({S.SUBMITTED, S.DRAFT, S.VALIDATION_FAILED,
                                    S.SUBMISSION_FAILED, S.CLOSED}),
    # Submitted from the moment the claim is in the transmission outbox; the clearinghouse
    # refusing the file (4xx) makes it Submission Failed.
    S.SUBMITTED: frozenset({S.ACKNOWLEDGED, S.REJECTED, S.IN_REVIEW, S.PENDING_INFO,
                            *_ADJUDICATED, S.VOIDED, S.SUBMISSION_FAILED}),
    S.ACKNOWLEDGED: frozenset({S.IN_REVIEW, S.PENDING_INFO, S.REJECTED, *_ADJUDICATED,
                               S.VOIDED}),
    S.IN_REVIEW: frozenset({S.PENDING_INFO, *_ADJUDICATED, S.VOIDED}),
    # Closed: replaced by a corrected claim carrying the information the payer asked for.
    S.PENDING_INFO: frozenset({S.IN_REVIEW, S.SUBMITTED, *_ADJUDICATED, S.VOIDED, S.CLOSED}),
    # A later 835 can reverse and correct a payment; a paid claim can be voided.
    S.PAID: frozenset({S.PARTIAL, S.DENIED, S.VOIDED, S.CLOSED}),
    S.PARTIAL: frozenset({S.PAID, S.DENIED, S.VOIDED, S.CLOSED}),
    S.REJECTED: frozenset({S.DRAFT, S.SUBMITTED, S.CLOSED}),
    # Appeal puts a denial back in review; a reprocessed denial can pay; write-off closes.
    S.DENIED: frozenset({S.IN_REVIEW, S.PAID, S.PARTIAL, S.VOIDED, S.CLOSED}),
    S.VOIDED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

IN_FLIGHT = frozenset({S.SUBMITTED, S.ACKNOWLEDGED, S.IN_REVIEW, S.PENDING_INFO})
# A replacement still being edited (replacement.py): Draft, or refused by the 837P builder.
REPLACEMENT_EDITABLE = frozenset({S.DRAFT, S.VALIDATION_FAILED})
NEEDS_ACTION = frozenset({S.REJECTED, S.DENIED, S.VALIDATION_FAILED, S.SUBMISSION_FAILED})


def can_transition(current: str, new: str) -> bool:
    return new in TRANSITIONS.get(current, frozenset())
