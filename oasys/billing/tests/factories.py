"""Small factories for the billing, claims and invoices tests.

`ready_claim_session(practice)` builds one insured, completed session with everything a
claim needs (the "fully Ready claim" every readiness test starts from and breaks one input
of); the other helpers build its parts. Dates are relative to `timezone.localdate()`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from decimal import Decimal

from django.test import TestCase
from django.utils import timezone

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.billing.models import TelehealthModifierRule
from oasys.clients.models import (
    BillingType,
    Client,
    Diagnosis,
    InsurancePolicy,
    PolicyPriority,
    PricingRule,
    Relationship,
)
from oasys.core.audit import AuditContext
from oasys.core.identifiers import npi_with_check_digit
from oasys.practice.models import (
    AcceptedPayer,
    Clinician,
    Enrollment,
    EnrollmentStatus,
    Payer,
    ProviderProfile,
    ProviderType,
    ServiceType,
    TaxIdType,
    TransactionType,
)

PROFILE_NPI = npi_with_check_digit("123456789")
CLINICIAN_NPI = npi_with_check_digit("198765432")
EIN = "364812957"
TAXONOMY = "101YM0800X"

_seq = itertools.count(1)


def ctx_for(user=None, practice=None) -> AuditContext:
    if user is not None:
        return AuditContext(user_id=user.pk, user_email=user.email,
                            practice_id=user.practice_id, source_ip="127.0.0.1")
    return AuditContext.system(practice_id=practice.pk if practice else None, source="tests")


def ensure_default_telehealth_rules() -> None:
    """The shipped defaults (migration billing 0002); a transactional test elsewhere may have
    flushed them, so tests that rely on them make sure they are there."""

    for pos in ("02", "10"):
        TelehealthModifierRule.objects.get_or_create(
            practice=None, payer=None, effective_year=2020, place_of_service=pos,
            defaults={"required_modifier": "95"},
        )


def make_profile(practice, **overrides) -> ProviderProfile:
    fields = dict(
        provider_type=ProviderType.INDIVIDUAL,
        first_name="Dana",
        last_name="Reyes",
        npi=PROFILE_NPI,
        tax_id=EIN,
        tax_id_type=TaxIdType.EIN,
        accept_assignment=True,
        taxonomy_code=TAXONOMY,
        contact_name="Dana Reyes",
        contact_email="billing@serenity.example",
        contact_phone="3125550100",
        address1="100 Main St",
        city="Chicago",
        state="IL",
        zip_code="60601-2207",
    )
    fields.update(overrides)
    return ProviderProfile.objects.create(practice=practice, **fields)


def make_payer(name: str | None = None, payer_id: str | None = None, **overrides) -> Payer:
    n = next(_seq)
    fields = dict(
        name=name or f"Acme Health {n}",
        payer_id_claims=payer_id or f"AC{n:03d}",
        supports_claims=True,
        supports_era=True,
        supports_eligibility=True,
        timely_filing_days=90,
    )
    fields.update(overrides)
    return Payer.objects.create(**fields)


def accept_payer(practice, payer, status: str = EnrollmentStatus.ACTIVE) -> AcceptedPayer:
    accepted, _ = AcceptedPayer.objects.get_or_create(practice=practice, payer=payer)
    Enrollment.objects.update_or_create(
        practice=practice, accepted_payer=accepted, transaction_type=TransactionType.CLAIMS,
        defaults={"status": status},
    )
    return accepted


def make_service_type(practice, **overrides) -> ServiceType:
    n = next(_seq)
    fields = dict(
        name=f"Psychotherapy, 45 min #{n}",
        cpt_code="90834",
        rate=Decimal("130.00"),
        duration_minutes=45,
        place_of_service="11",
    )
    fields.update(overrides)
    return ServiceType.objects.create(practice=practice, **fields)


def make_clinician(practice, **overrides) -> Clinician:
    n = next(_seq)
    fields = dict(
        first_name="Casey",
        last_name=f"Morgan{n}",
        credentials="LCSW",
        npi=CLINICIAN_NPI,
        taxonomy_code=TAXONOMY,
    )
    fields.update(overrides)
    return Clinician.objects.create(practice=practice, **fields)


def make_client(practice, **overrides) -> Client:
    n = next(_seq)
    fields = dict(
        first_name="Avery",
        last_name=f"Bennett{n}",
        date_of_birth=dt.date(1985, 4, 12),
        gender="F",
        email=f"avery{n}@example.com",
        phone="3125550199",
        address1="12 Oak St",
        city="Chicago",
        state="IL",
        zip_code="60614",
        billing_type=BillingType.INSURANCE,
    )
    fields.update(overrides)
    return Client.objects.create(practice=practice, **fields)


def make_diagnosis(client, code: str = "F41.1", position: int = 1) -> Diagnosis:
    return Diagnosis.objects.create(practice=client.practice, client=client,
                                    position=position, code=code)


def make_policy(client, payer, **overrides) -> InsurancePolicy:
    fields = dict(
        payer=payer,
        priority=PolicyPriority.PRIMARY,
        member_id="W123456789",
        group_number="G12345",
        relationship=Relationship.SELF,
    )
    fields.update(overrides)
    return InsurancePolicy.objects.create(practice=client.practice, client=client, **fields)


def make_pricing_rule(client, service_type, **overrides) -> PricingRule:
    return PricingRule.objects.create(practice=client.practice, client=client,
                                      service_type=service_type, **overrides)


def local_dt(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def make_appointment(
    practice, *, client, clinician, service_type, days_ago: int = 3, minutes: int = 45,
    hour: int = 10, status: str = AppointmentStatus.COMPLETED, signed: bool = True, **overrides
) -> Appointment:
    start = local_dt(timezone.localdate() - dt.timedelta(days=days_ago), hour)
    fields = dict(
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        status=status,
        place_of_service=service_type.place_of_service,
        modifiers=service_type.modifiers,
        note_signed_at=(start + dt.timedelta(hours=2)) if signed else None,
    )
    fields.update(overrides)
    return Appointment.objects.create(practice=practice, client=client, clinician=clinician,
                                      service_type=service_type, **fields)


@dataclass
class Scenario:
    practice: object
    profile: ProviderProfile
    payer: Payer
    accepted: AcceptedPayer
    service_type: ServiceType
    clinician: Clinician
    client: Client
    policy: InsurancePolicy
    diagnosis: Diagnosis
    appointment: Appointment

    def refresh(self) -> None:
        for name in ("profile", "payer", "service_type", "clinician", "client", "policy",
                     "appointment"):
            getattr(self, name).refresh_from_db()


def ready_claim_session(practice, *, profile: ProviderProfile | None = None,
                        payer: Payer | None = None, days_ago: int = 3) -> Scenario:
    """One insured, completed, signed 45-minute 90834 session at $130.00: Ready as a claim."""
    ensure_default_telehealth_rules()
    if profile is None:
        profile = ProviderProfile.objects.filter(practice=practice).first() or make_profile(
            practice)
    payer = payer or make_payer()
    accepted = accept_payer(practice, payer)
    service_type = make_service_type(practice)
    clinician = make_clinician(practice)
    client = make_client(practice)
    diagnosis = make_diagnosis(client)
    policy = make_policy(client, payer)
    appt = make_appointment(practice, client=client, clinician=clinician,
                            service_type=service_type, days_ago=days_ago)
    return Scenario(practice, profile, payer, accepted, service_type, clinician, client, policy,
                    diagnosis, appt)


def self_pay_session(practice, *, status: str = AppointmentStatus.COMPLETED, days_ago: int = 2,
                     service_type: ServiceType | None = None, clinician: Clinician | None = None,
                     **client_overrides) -> Appointment:
    client = make_client(practice, billing_type=BillingType.SELF_PAY, **client_overrides)
    st = service_type or make_service_type(practice)
    clin = clinician or make_clinician(practice)
    return make_appointment(practice, client=client, clinician=clin, service_type=st,
                            status=status, days_ago=days_ago)


def stored_x12(submission) -> str:
    """The interchange a ClaimSubmission stored (on its outbound EDI file, or on itself)."""
    edi = getattr(submission, "edi_file", None)
    return edi.raw if edi is not None else submission.x12


def stored_key(submission) -> str:
    edi = getattr(submission, "edi_file", None)
    return edi.idempotency_key if edi is not None else submission.idempotency_key


def committed():
    """Run what the block queues for after commit (the transmission outbox's kick), as a real
    commit would; Django's test transaction never commits. With Celery eager in tests (the
    root conftest), the queued transmission runs at the end of the block."""
    return TestCase.captureOnCommitCallbacks(execute=True)
