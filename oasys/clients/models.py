"""Clients, their diagnoses, insurance policies and pricing rules. All of it is PHI."""

from __future__ import annotations

from django.db import models

from oasys.core.fields import BlindIndexField, EncryptedDateField, EncryptedTextField
from oasys.core.models import PracticeScoped


class Gender(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown / not reported"


class BillingType(models.TextChoices):
    INSURANCE = "insurance", "Insurance"
    SELF_PAY = "self_pay", "Self-pay"
    NOT_BILLED = "not_billed", "Not billed"


class Client(PracticeScoped):
    first_name = models.CharField("Legal first name", max_length=60)
    last_name = models.CharField("Legal last name", max_length=60)
    date_of_birth = EncryptedDateField(null=True, blank=True)  # encrypted at rest
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    address1 = models.CharField(max_length=55, blank=True)
    address2 = models.CharField(max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=10, blank=True)
    billing_type = models.CharField(
        max_length=20, choices=BillingType.choices, default=BillingType.SELF_PAY
    )
    is_draft = models.BooleanField(
        default=False, help_text="Not signed up yet: details may be incomplete."
    )
    referring_provider_npi = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["practice", "last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class Diagnosis(PracticeScoped):
    """One ICD-10-CM code of a client, in claim order (position 1 is the primary)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="diagnoses")
    position = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=8, help_text="ICD-10-CM, with or without the dot")

    class Meta:
        ordering = ["client", "position"]
        constraints = [
            models.UniqueConstraint(fields=["client", "position"], name="diagnosis_position"),
            models.UniqueConstraint(fields=["client", "code"], name="diagnosis_once"),
        ]


class PolicyPriority(models.TextChoices):
    PRIMARY = "primary", "Primary"
    SECONDARY = "secondary", "Secondary"


class Relationship(models.TextChoices):
    SELF = "self", "Self"
    SPOUSE = "spouse", "Spouse"
    CHILD = "child", "Child"
    OTHER = "other", "Other"


class InsurancePolicy(PracticeScoped):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="policies")
    payer = models.ForeignKey(
        "practice.Payer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    priority = models.CharField(
        max_length=10, choices=PolicyPriority.choices, default=PolicyPriority.PRIMARY
    )
    # Encrypted at rest; found by exact match through its keyed hash (see oasys.core.crypto).
    member_id = EncryptedTextField("Member ID", max_length=40, blank=True)
    member_id_hash = BlindIndexField(source="member_id", db_index=True)
    group_number = models.CharField(max_length=40, blank=True)
    relationship = models.CharField(
        "Client's relationship to subscriber",
        max_length=10,
        choices=Relationship.choices,
        default=Relationship.SELF,
    )
    subscriber_first_name = models.CharField(max_length=60, blank=True)
    subscriber_last_name = models.CharField(max_length=60, blank=True)
    subscriber_date_of_birth = EncryptedDateField(null=True, blank=True)
    subscriber_gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    subscriber_address1 = models.CharField(max_length=55, blank=True)
    subscriber_address2 = models.CharField(max_length=55, blank=True)
    subscriber_city = models.CharField(max_length=30, blank=True)
    subscriber_state = models.CharField(max_length=2, blank=True)
    subscriber_zip_code = models.CharField(max_length=10, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["client", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "priority"],
                condition=models.Q(is_active=True),
                name="one_active_policy_per_priority",
            )
        ]


class PricingRule(PracticeScoped):
    """A client-specific price and/or CPT for one service type; beats the service type's."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="pricing_rules")
    service_type = models.ForeignKey(
        "practice.ServiceType", on_delete=models.CASCADE, related_name="+"
    )
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    cpt_code = models.CharField("CPT code", max_length=5, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "service_type"], name="one_rule_per_service")
        ]
