"""Claims: one per session and payer, their service lines, and the event history."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from oasys.core.models import PracticeScoped
from oasys.core.statemachine import StatusEventBase

from .status import ClaimStatus


class Frequency(models.TextChoices):
    ORIGINAL = "1", "Original"
    REPLACEMENT = "7", "Replacement"
    VOID = "8", "Void"


class PayerSequence(models.TextChoices):
    PRIMARY = "P", "Primary"
    SECONDARY = "S", "Secondary"


class Claim(PracticeScoped):
    """An insurance claim. Claims only ever come from sessions.

    `billing_key` makes billing a session twice impossible, under concurrency too: the
    original claim of a session to its primary payer is `appt:<id>:P`, to the secondary
    `appt:<id>:S`; a replacement or void is keyed on the claim it corrects.
    """

    billing_key = models.CharField(max_length=60)
    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.PROTECT, related_name="claims"
    )
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(
        "clients.InsurancePolicy", on_delete=models.PROTECT, related_name="+"
    )
    payer = models.ForeignKey("practice.Payer", on_delete=models.PROTECT, related_name="+")
    clinician = models.ForeignKey(
        "practice.Clinician", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT, editable=False
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    frequency = models.CharField(max_length=1, choices=Frequency.choices, default="1")
    payer_sequence = models.CharField(
        max_length=1, choices=PayerSequence.choices, default=PayerSequence.PRIMARY
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    patient_control_number = models.CharField(max_length=20, unique=True)
    payer_claim_number = models.CharField(max_length=50, blank=True, db_index=True)
    service_date = models.DateField()
    place_of_service = models.CharField(max_length=2)
    total_charge = models.DecimalField(max_digits=10, decimal_places=2)
    # A cache of the journal for lists and the API, rewritten only by the ledger's posting
    # (oasys/ledger/services.py `_cache_refresh`, in the entry's transaction): what the
    # payers' 835s paid and the client's share they moved to the client. Never bumped here.
    paid_amount = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    patient_responsibility = models.DecimalField(
        max_digits=10, decimal_places=2, default=Decimal("0")
    )
    diagnosis_codes = models.JSONField(default=list)
    # What a biller may add when correcting a claim (replacement.py), sent in loop 2300:
    # REF*G1, NTE*ADD, and PWK (each {"report_type", "transmission", "control_number"}).
    prior_authorization = models.CharField(max_length=50, blank=True)
    note = models.CharField(max_length=80, blank=True, help_text="note to the payer (NTE)")
    attachments = models.JSONField(default=list, blank=True)
    # For a secondary claim: the primary payer's adjudication as we send it (loops 2320/2430).
    cob = models.JSONField(default=dict, blank=True)
    validation_errors = models.JSONField(default=list, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    last_status_inquiry_at = models.DateTimeField(null=True, blank=True)
    submission = models.ForeignKey(
        "claims.ClaimSubmission", on_delete=models.PROTECT, null=True, blank=True,
        related_name="claims",
    )
    created_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "billing_key"], name="claim_billed_once"),
        ]
        indexes = [models.Index(fields=["practice", "status"])]

    def __str__(self) -> str:
        return f"Claim {self.patient_control_number}"


class ClaimLine(PracticeScoped):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    procedure_code = models.CharField(max_length=5)
    modifiers = models.JSONField(default=list)
    charge = models.DecimalField(max_digits=10, decimal_places=2)
    units = models.DecimalField(max_digits=6, decimal_places=2, default=Decimal("1"))
    diagnosis_pointers = models.JSONField(default=list)
    service_date = models.DateField()

    class Meta:
        ordering = ["claim", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "line_number"], name="claim_line_once")
        ]


class ClaimEvent(PracticeScoped):
    """One transition: from, to, who or which file, why, when. Written only by the machine."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=120, blank=True, help_text="file or system source")
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]


class AckStatus(models.TextChoices):
    """The 999's verdict on one interchange (the SUBMISSION_ACK machine, submission.py)."""

    PENDING = "", "Awaiting acknowledgment"
    ACCEPTED = "accepted", "Accepted"
    PARTIALLY_ACCEPTED = "partially_accepted", "Partially accepted"
    REJECTED = "rejected", "Rejected"


class ClaimSubmission(PracticeScoped):
    """One 837P interchange of claims. The raw file, its idempotency key and the receipt live
    on the outbound EDI file (EDI history); this row ties the claims to it."""

    interchange_control_number = models.PositiveIntegerField()
    edi_file = models.OneToOneField(
        "clearinghouse.EdiFile", on_delete=models.PROTECT, related_name="claim_submission"
    )
    claim_count = models.PositiveIntegerField()
    ack_status = models.CharField(max_length=20, blank=True, choices=AckStatus.choices,
                                  default=AckStatus.PENDING, editable=False,
                                  help_text="from the 999")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    transaction_id = models.CharField(max_length=80, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]


class ClaimSubmissionEvent(StatusEventBase):
    """One move of an interchange's acknowledgment status (written only by the machine)."""

    practice = models.ForeignKey("core.Practice", on_delete=models.PROTECT, related_name="+")
    submission = models.ForeignKey(ClaimSubmission, on_delete=models.CASCADE,
                                   related_name="events")

    class Meta(StatusEventBase.Meta):
        pass


class ClaimNotice(PracticeScoped):
    """What an inbound file (999, 277CA, 277) said about one claim, matched or not.

    Kept for every claim-level statement, so a claim's page shows its files and a statement
    about an unknown claim is listed as unmatched instead of being dropped.
    """

    edi_file = models.ForeignKey(
        "clearinghouse.EdiFile", on_delete=models.PROTECT, related_name="claim_notices"
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="notices"
    )
    kind = models.CharField(max_length=10)  # 999, 277CA, 277
    patient_control_number = models.CharField(max_length=38, blank=True)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    category = models.CharField(max_length=5, blank=True)
    code = models.CharField(max_length=10, blank=True)
    entity = models.CharField(max_length=5, blank=True)
    message = models.TextField(blank=True)
    applied_status = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Re-handling the same file never doubles a notice.
            models.UniqueConstraint(
                fields=["edi_file", "patient_control_number", "payer_claim_number", "category",
                        "code"],
                name="claim_notice_once",
            )
        ]


class Appeal(PracticeScoped):
    """An appeal of a denial: when it was filed, why, and the letter we print for it."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="appeals")
    filed_on = models.DateField()
    reason = models.TextField()
    contact = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-filed_on", "-pk"]


class SavedFilter(PracticeScoped):
    """A user's named set of list filters (the claims list's chips). `query` is the list's
    query string of filter names and ids/dates only (never a name: no PHI)."""

    user = models.ForeignKey("core.User", on_delete=models.CASCADE, related_name="+")
    list_name = models.CharField(max_length=30, default="claims")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "user", "list_name", "name"],
                                    name="saved_filter_name_once"),
        ]

    def __str__(self) -> str:
        return self.name
