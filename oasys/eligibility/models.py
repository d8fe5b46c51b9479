"""Eligibility checks (270/271) with their benefit summaries, the usage fees they cost, and
the insurance wizard's server-side draft and card photos.

The wizard's tables live here rather than in `clients` so the clients schema stays as it
is; the wizard code (steps, screens, API) is here too, in `oasys.eligibility.wizard*`: it
runs an eligibility check, and eligibility builds on clients, never the reverse.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.utils import timezone as dj_tz

from oasys.core.fields import EncryptedJSONField, EncryptedTextField, encrypted_storage
from oasys.core.models import PracticeScoped


class CheckSource(models.TextChoices):
    WIZARD = "wizard", "Insurance wizard"
    MANUAL = "manual", "Run by hand"
    API = "api", "API"


class CheckOutcome(models.TextChoices):
    PENDING = "pending", "Waiting for the payer"
    ACTIVE = "active", "Coverage active"
    INACTIVE = "inactive", "Coverage inactive"
    UNKNOWN = "unknown", "Coverage not stated"
    REJECTED = "rejected", "Rejected by the payer"
    NO_RESPONSE = "no_response", "Payer did not answer"
    ERROR = "error", "Could not be checked"


class EligibilityCheck(PracticeScoped):
    """One 270 sent and the 271 that came back (raw, both), read into a benefit summary.

    `summary` holds the interpreted answer in the API's shape (amounts as strings), so the
    history shows what the payer said at the time even if the interpretation changes later.
    """

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="eligibility_checks"
    )
    policy = models.ForeignKey(
        "clients.InsurancePolicy", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    payer = models.ForeignKey("practice.Payer", on_delete=models.PROTECT, null=True,
                              related_name="+")
    requested_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(max_length=10, choices=CheckSource.choices)
    outcome = models.CharField(
        max_length=20, choices=CheckOutcome.choices, default=CheckOutcome.PENDING
    )
    trace_number = models.CharField(max_length=50, blank=True)
    interchange_control_number = models.PositiveIntegerField(null=True, blank=True)
    # the files as sent and received: they name the client, member ID and date of birth
    x12_270 = EncryptedTextField(blank=True)
    x12_271 = EncryptedTextField(blank=True)
    transaction_id = models.CharField(max_length=100, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    # What to tell the user: the payer's rejection in words, a timeout, a refusal.
    message = models.TextField(blank=True)
    reached_payer = models.BooleanField(default=False)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["practice", "client", "-created_at"])]

    @property
    def is_retryable(self) -> bool:
        return self.outcome in {CheckOutcome.NO_RESPONSE, CheckOutcome.ERROR}


class FeeKind(models.TextChoices):
    ELIGIBILITY_CHECK = "eligibility_check", "Eligibility check"


class UsageFee(PracticeScoped):
    """One line of the practice's usage ledger (Settings → Subscription & Fees).

    One fee per check at most (the one-to-one link), so recording it twice is impossible.
    """

    kind = models.CharField(max_length=30, choices=FeeKind.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    eligibility_check = models.OneToOneField(
        EligibilityCheck, on_delete=models.PROTECT, null=True, related_name="fee"
    )
    occurred_at = models.DateTimeField(default=dj_tz.now)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["practice", "occurred_at"])]


class InsuranceWizardDraft(PracticeScoped):
    """The insurance wizard's progress for one client: the step reached and the answers so
    far (JSON, keyed by step). Kept server-side so the wizard can be left and resumed."""

    client = models.OneToOneField(
        "clients.Client", on_delete=models.CASCADE, related_name="insurance_wizard_draft"
    )
    step = models.CharField(max_length=20, default="insurance")
    data = EncryptedJSONField(default=dict, blank=True)  # member IDs, dates of birth
    updated_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )


class CardSide(models.TextChoices):
    FRONT = "front", "Front"
    BACK = "back", "Back"


# The extension of a stored card photo, from the type its content was found to be.
CARD_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
                   "image/heic": ".heic"}


def card_upload_to(instance: InsuranceCard, filename: str) -> str:
    # A name we choose: random (the uploaded file's name can carry a client's name, PHI, and
    # is guessable), with the extension of the sniffed type (`content_type`, set from the
    # content before saving), never the one the uploader gave.
    suffix = CARD_EXTENSIONS.get(instance.content_type, "")
    return f"insurance-cards/{instance.practice_id}/{secrets.token_hex(16)}{suffix}"


class InsuranceCard(PracticeScoped):
    """A photo of an insurance card, stored encrypted in private media (never under the web
    root) and served, decrypted, only through a view that checks the practice."""

    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, related_name="insurance_cards"
    )
    policy = models.ForeignKey(
        "clients.InsurancePolicy", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="cards",
    )
    priority = models.CharField(max_length=10, default="primary")
    side = models.CharField(max_length=5, choices=CardSide.choices)
    image = models.FileField(upload_to=card_upload_to, max_length=200, storage=encrypted_storage)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client", "priority", "side", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "priority", "side"],
                condition=models.Q(replaced_at__isnull=True),
                name="one_current_card_per_side",
            )
        ]
