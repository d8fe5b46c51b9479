"""Provider information, the payer directory, accepted payers and enrollment, service types,
clinicians and supervision."""

from __future__ import annotations

from django.db import models

from oasys.core.fields import EncryptedTextField
from oasys.core.models import Practice, PracticeScoped
from oasys.core.statemachine import StatusEventBase


class ProviderType(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    ORGANIZATION = "organization", "Organization / Group"


class TaxIdType(models.TextChoices):
    EIN = "ein", "EIN"
    SSN = "ssn", "SSN"


class ProviderProfile(PracticeScoped):
    """Billing → Setup → Billing Setup → Provider Information: the billing provider on claims."""

    provider_type = models.CharField(
        max_length=20, choices=ProviderType.choices, default=ProviderType.INDIVIDUAL
    )
    organization_name = models.CharField(max_length=120, blank=True)
    first_name = models.CharField(max_length=60, blank=True)
    last_name = models.CharField(max_length=60, blank=True)
    npi = models.CharField("NPI", max_length=10, blank=True)
    # Encrypted at rest whatever its type: an individual's is their SSN.
    tax_id = EncryptedTextField("Tax ID", max_length=9, blank=True)
    tax_id_type = models.CharField(max_length=3, choices=TaxIdType.choices, default=TaxIdType.EIN)
    accept_assignment = models.BooleanField(default=True)
    taxonomy_code = models.CharField(max_length=10, blank=True)
    contact_name = models.CharField(max_length=120, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    address1 = models.CharField(max_length=55, blank=True)
    address2 = models.CharField(max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice"], name="one_provider_profile_per_practice")
        ]

    @property
    def tax_id_printed(self) -> str:
        """The tax ID as documents print it ("" when none): an EIN in full (it identifies a
        business), an SSN masked to its last four digits (it is a person's)."""
        digits = "".join(c for c in (self.tax_id or "") if c.isdigit())
        if not digits:
            return ""
        if self.tax_id_type == TaxIdType.SSN:
            return f"SSN ***-**-{digits[-4:]}"
        return f"EIN {digits[:2]}-{digits[2:]}" if len(digits) == 9 else f"EIN {digits}"

    @property
    def billing_name(self) -> str:
        if self.provider_type == ProviderType.ORGANIZATION:
            return self.organization_name
        return f"{self.first_name} {self.last_name}".strip()


class Payer(models.Model):
    """A payer in the directory (shared reference data, not tenant data).

    Payer IDs can differ per transaction type, so each is kept separately.
    """

    name = models.CharField(max_length=200)
    search_text = models.TextField(db_index=False, editable=False, default="")
    payer_id_claims = models.CharField(max_length=50, blank=True, db_index=True)
    payer_id_era = models.CharField(max_length=50, blank=True)
    payer_id_eligibility = models.CharField(max_length=50, blank=True)
    supports_claims = models.BooleanField(default=False)
    supports_era = models.BooleanField(default=False)
    supports_eligibility = models.BooleanField(default=False)
    enrollment_required_claims = models.BooleanField(default=False)
    enrollment_required_era = models.BooleanField(default=False)
    enrollment_required_eligibility = models.BooleanField(default=False)
    timely_filing_days = models.PositiveIntegerField(default=90)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "payer_id_claims"], name="unique_payer")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.payer_id_claims or self.payer_id_eligibility})"


class TransactionType(models.TextChoices):
    CLAIMS = "claims", "1500 (Claims)"
    ERA = "era", "ERA"
    ELIGIBILITY = "eligibility", "Eligibility"


class EnrollmentStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    REJECTED = "rejected", "Rejected"


class AcceptedPayer(PracticeScoped):
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["payer__name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "payer"], name="payer_accepted_once")
        ]


class Enrollment(PracticeScoped):
    accepted_payer = models.ForeignKey(
        AcceptedPayer, on_delete=models.CASCADE, related_name="enrollments"
    )
    transaction_type = models.CharField(max_length=20, choices=TransactionType.choices)
    status = models.CharField(
        max_length=20, choices=EnrollmentStatus.choices, default=EnrollmentStatus.NOT_STARTED
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    effective_date = models.DateField(null=True, blank=True)
    external_id = models.CharField(max_length=80, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["transaction_type"]
        constraints = [
            models.UniqueConstraint(
                fields=["accepted_payer", "transaction_type"], name="one_enrollment_per_type"
            )
        ]


class EnrollmentEvent(StatusEventBase):
    """One status change of an enrollment (the first records its creation). Written only by
    the enrollment state machine (practice/machine.py, through practice/services.py)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEventBase.Meta):
        indexes = [models.Index(fields=["enrollment", "created_at"])]


class ServiceType(PracticeScoped):
    name = models.CharField(max_length=100)
    cpt_code = models.CharField("CPT code", max_length=5, blank=True)
    # None: the price is not set yet (sessions wait in Incomplete); 0: never billed.
    rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    # What a no-show of this service is billed. None: the session's normal charge (the
    # client's pricing rule, else the rate), as before the setting existed; 0: a no-show is
    # not billed (Bill Sessions shows it as not billable, with the reason); an amount: that
    # fee, whatever the client's pricing rule says about attended sessions.
    no_show_fee = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    duration_minutes = models.PositiveIntegerField(default=53)
    place_of_service = models.CharField(max_length=2, default="11")
    modifiers = models.CharField(max_length=20, blank=True, help_text="Up to 4, comma separated")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="service_type_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.cpt_code or 'no CPT'})"

    @property
    def modifier_list(self) -> list[str]:
        return [m.strip() for m in self.modifiers.split(",") if m.strip()]


class ExtraServiceCode(PracticeScoped):
    """A CPT/HCPCS code this practice bills that is not among the behavioral-health codes
    Oasys knows (`oasys.practice.cpt.KNOWN_CODES`), added on purpose so a typo like 99999
    is still refused. Still format-checked; adding and removing are audited."""

    code = models.CharField(max_length=5)
    description = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "code"], name="extra_service_code_unique")
        ]

    def __str__(self) -> str:
        return self.code


class Clinician(PracticeScoped):
    """A person who renders sessions. A clinician with a supervisor needs approval to bill."""

    user = models.OneToOneField(
        "core.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="clinician"
    )
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    credentials = models.CharField(max_length=40, blank=True, help_text="e.g. LCSW, PhD")
    npi = models.CharField("Individual NPI", max_length=10, blank=True)
    taxonomy_code = models.CharField(max_length=10, blank=True)
    license_number = models.CharField(max_length=40, blank=True)
    license_state = models.CharField(max_length=2, blank=True)
    supervisor = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="supervisees"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}"
        return f"{name}, {self.credentials}" if self.credentials else name


__all__ = [
    "AcceptedPayer",
    "Clinician",
    "Enrollment",
    "EnrollmentEvent",
    "EnrollmentStatus",
    "ExtraServiceCode",
    "Payer",
    "Practice",
    "ProviderProfile",
    "ProviderType",
    "ServiceType",
    "TaxIdType",
    "TransactionType",
]
