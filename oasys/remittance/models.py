"""ERAs (835 payments) as received: the payment, each claim the payer adjudicated, its
service lines and adjustments (CAS), and the provider-level adjustments (PLB).

One `Remittance` per 835 transaction set. A file that fails the balancing rules is kept as a
quarantined remittance with the reason and posts nothing; one with a damaged claim is held
(`damage` says which claim and why) until a biller posts the rest or rejects it.
`dedupe_key` (set only when posted) makes the same payment post once, even when it arrives
again in another file.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from oasys.core.fields import EncryptedTextField
from oasys.core.models import PracticeScoped
from oasys.core.statemachine import StateMachine, StatusEventBase, machine_register

ZERO = Decimal("0")


class RemittanceStatus(models.TextChoices):
    RECEIVED = "received", "Received"  # only inside the posting transaction
    POSTED = "posted", "Posted"
    PARTIALLY_UNMATCHED = "partially_unmatched", "Posted, some claims unmatched"
    QUARANTINED = "quarantined", "Quarantined"
    # A claim of the ERA could not be read (x12 ClaimDamage): nothing is posted until a
    # biller posts the rest (PARTIALLY_POSTED) or rejects the file (REJECTED).
    DAMAGED = "damaged", "Held: damaged claim"
    PARTIALLY_POSTED = "partially_posted", "Posted, damaged claims not posted"
    REJECTED = "rejected", "Rejected"


class Remittance(PracticeScoped):
    edi_file = models.ForeignKey("clearinghouse.EdiFile", on_delete=models.PROTECT,
                                 related_name="remittances")
    transaction_index = models.PositiveIntegerField(default=0)  # which ST..SE in the file
    control_number = models.CharField(max_length=9, blank=True)  # ST02
    status = models.CharField(max_length=20, choices=RemittanceStatus.choices,
                              default=RemittanceStatus.RECEIVED, editable=False)
    reason = models.TextField(blank=True)
    errors = models.JSONField(default=list, blank=True)
    # The claims the 835 damaged (one dict per damage: claim_index, patient_control_number,
    # paid, position, segment_id, element, expected, found, message); never posted.
    damage = models.JSONField(default=list, blank=True)
    # An uploaded file that was not all UTF-8 was read byte by byte as cp1252/Latin-1
    # (x12.encoding): one dict per such byte (message, byte_offset, position, segment_id,
    # element, found, read_as), shown on the ERA page so a biller can check the names read.
    encoding_warnings = models.JSONField(default=list, blank=True)
    payer_name = models.CharField(max_length=120, blank=True)
    payer_identifier = models.CharField(max_length=80, blank=True)  # REF*2U, else TRN03
    payee_name = models.CharField(max_length=120, blank=True)
    payee_npi = models.CharField(max_length=80, blank=True)
    payment_method = models.CharField(max_length=3, blank=True)  # BPR04 ACH/CHK/NON
    credit_debit = models.CharField(max_length=1, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    payment_date = models.DateField(null=True, blank=True)
    trace_number = models.CharField(max_length=80, blank=True)  # TRN02: check/EFT number
    claim_count = models.PositiveIntegerField(default=0)
    unmatched_count = models.PositiveIntegerField(default=0)
    dedupe_key = models.CharField(max_length=200, null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-payment_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["edi_file", "transaction_index"],
                                    name="remittance_once_per_transaction"),
            models.UniqueConstraint(fields=["practice", "dedupe_key"],
                                    name="remittance_posted_once"),
        ]
        indexes = [models.Index(fields=["practice", "status"])]

    def __str__(self) -> str:
        return f"ERA {self.trace_number or self.pk}"

    @property
    def is_check(self) -> bool:
        return self.payment_method == "CHK"

    @property
    def damaged_claim_count(self) -> int:
        return len({d.get("claim_index") for d in self.damage or []})


class RemittanceClaim(PracticeScoped):
    """One CLP loop. `claim` is empty when the claim matches none of ours: it is kept and
    shown as unmatched, never dropped."""

    remittance = models.ForeignKey(Remittance, on_delete=models.CASCADE, related_name="claims")
    position = models.PositiveIntegerField()  # order in the ERA
    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="remittance_claims")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    patient_control_number = models.CharField(max_length=38)
    status_code = models.CharField(max_length=2)  # CLP02
    charge = models.DecimalField(max_digits=12, decimal_places=2)
    paid = models.DecimalField(max_digits=12, decimal_places=2)
    allowed = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    patient_responsibility = models.DecimalField(max_digits=12, decimal_places=2,
                                                 null=True, blank=True)  # CLP05 as sent
    client_share = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)  # Σ PR
    contractual_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    open_amount = models.DecimalField(max_digits=12, decimal_places=2, default=ZERO)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    frequency = models.CharField(max_length=1, blank=True)
    patient_name = models.CharField(max_length=120, blank=True)
    member_id = EncryptedTextField(max_length=80, blank=True)  # as the ERA gave it
    service_date = models.DateField(null=True, blank=True)
    remarks = models.JSONField(default=list, blank=True)  # MOA/MIA remark codes
    # The claim payment's identity whatever file carries it (our claim, the payer's claim
    # number, the CLP amounts and the service lines; a reversal has the identity of what it
    # reverses), and its place among the posted payments with that identity: unique, so the
    # same payment cannot post twice even from two files at once. Empty when not posted.
    fingerprint = models.CharField(max_length=64, blank=True)
    fingerprint_seq = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["remittance", "position"]
        constraints = [
            models.UniqueConstraint(fields=["remittance", "position"],
                                    name="remittance_claim_once"),
            models.UniqueConstraint(fields=["practice", "fingerprint", "fingerprint_seq"],
                                    condition=models.Q(fingerprint_seq__isnull=False),
                                    name="claim_payment_posted_once"),
        ]
        indexes = [models.Index(fields=["practice", "fingerprint"])]

    @property
    def is_reversal(self) -> bool:
        return self.status_code == "22"

    @property
    def is_denied(self) -> bool:
        return self.status_code == "4"


class RemittanceLine(PracticeScoped):
    remittance_claim = models.ForeignKey(RemittanceClaim, on_delete=models.CASCADE,
                                         related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    procedure_code = models.CharField(max_length=48)
    modifiers = models.JSONField(default=list, blank=True)
    charge = models.DecimalField(max_digits=12, decimal_places=2)
    paid = models.DecimalField(max_digits=12, decimal_places=2)
    allowed = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    units = models.DecimalField(max_digits=9, decimal_places=2, default=Decimal("1"))
    service_date = models.DateField(null=True, blank=True)
    control_number = models.CharField(max_length=50, blank=True)
    remarks = models.JSONField(default=list, blank=True)  # LQ*HE remark codes

    class Meta:
        ordering = ["remittance_claim", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["remittance_claim", "line_number"],
                                    name="remittance_line_once"),
        ]


class AdjustmentLevel(models.TextChoices):
    CLAIM = "claim", "Claim"
    LINE = "line", "Service line"


class RemittanceAdjustment(PracticeScoped):
    """One CAS reason/amount: group (CO, PR, OA, PI), CARC, amount, quantity."""

    remittance_claim = models.ForeignKey(RemittanceClaim, on_delete=models.CASCADE,
                                         related_name="adjustments")
    line = models.ForeignKey(RemittanceLine, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="adjustments")
    level = models.CharField(max_length=5, choices=AdjustmentLevel.choices)
    group = models.CharField(max_length=2)
    reason = models.CharField(max_length=5)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["remittance_claim", "pk"]


class ProviderAdjustment(PracticeScoped):
    """One PLB reason/amount. A positive amount was kept back from the payment."""

    remittance = models.ForeignKey(Remittance, on_delete=models.CASCADE,
                                   related_name="provider_adjustments")
    position = models.PositiveIntegerField()
    provider_id = models.CharField(max_length=80, blank=True)
    fiscal_period_date = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=5)
    reference = models.CharField(max_length=80, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["remittance", "position"]
        constraints = [
            models.UniqueConstraint(fields=["remittance", "position"], name="plb_once"),
        ]


class RemittanceEvent(StatusEventBase):
    """One move of a remittance's status (written only by REMITTANCE_MACHINE)."""

    practice = models.ForeignKey("core.Practice", on_delete=models.PROTECT, related_name="+")
    remittance = models.ForeignKey(Remittance, on_delete=models.CASCADE,
                                   related_name="events")

    class Meta(StatusEventBase.Meta):
        pass


R = RemittanceStatus
REMITTANCE_MACHINE = machine_register(StateMachine(
    name="remittance", noun="ERA", model=Remittance, statuses=RemittanceStatus,
    # A transaction is recorded as received and, in the same database transaction, posted
    # or quarantined, or held when a claim is damaged; only a held one moves afterwards, by a
    # biller's decision (a correction is another 835).
    transitions={R.RECEIVED: frozenset({R.POSTED, R.PARTIALLY_UNMATCHED, R.QUARANTINED,
                                        R.DAMAGED}),
                 R.DAMAGED: frozenset({R.PARTIALLY_POSTED, R.REJECTED})},
    event_model=RemittanceEvent, event_fk="remittance", client_attr=""))


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Waiting for review"
    POSTED = "posted", "Posted anyway"
    DISMISSED = "dismissed", "Dismissed"


class PaymentReview(PracticeScoped):
    """A claim payment of a posted ERA that was NOT posted to the ledger because its claim is
    Closed or Voided. A biller posts it anyway or dismisses it with a reason."""

    remittance_claim = models.OneToOneField(RemittanceClaim, on_delete=models.PROTECT,
                                            related_name="review")
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=ReviewStatus.choices,
                              default=ReviewStatus.OPEN, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                    blank=True, related_name="+")
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["practice", "status"])]


class PaymentReviewEvent(StatusEventBase):
    practice = models.ForeignKey("core.Practice", on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(PaymentReview, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEventBase.Meta):
        pass


V = ReviewStatus
REVIEW_MACHINE = machine_register(StateMachine(
    name="payment_review", noun="payment review", model=PaymentReview,
    statuses=ReviewStatus,
    transitions={V.OPEN: frozenset({V.POSTED, V.DISMISSED})},
    event_model=PaymentReviewEvent, event_fk="review", changed_at_field="resolved_at",
    client_attr=""))
