"""The 270 for one insurance policy, as a real payer expects it.

Provider = the practice's billing provider (Provider Information NPI and name); payer id =
the directory's eligibility payer id, else its claims id; the subscriber, and the client as
a dependent when the client is not the subscriber; the plan (30) and the mental-health
service types; today's date where the practice is.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings

from oasys.clients.models import Client, InsurancePolicy, Relationship
from oasys.core.models import Practice
from oasys.practice.models import Payer, ProviderProfile, ProviderType
from x12.build.eligibility_270 import (
    EligibilityInquiry,
    InquiryPayer,
    InquiryPerson,
    InquiryProvider,
    build_270,
)
from x12.envelope import Envelope

from .benefits import INQUIRY_SERVICE_TYPES

# INS02 of a dependent in a 270: spouse, child, other adult.
DEPENDENT_RELATIONSHIP = {
    Relationship.SPOUSE: "01",
    Relationship.CHILD: "19",
    Relationship.OTHER: "34",
}
_UNSAFE = re.compile(r"[^A-Za-z0-9 .,'&/()#-]")


def x12_text(value: str, limit: int = 60) -> str:
    """Upper case and only characters no X12 delimiter set uses."""
    return _UNSAFE.sub(" ", value or "").strip().upper()[:limit]


def payer_id_for(payer: Payer) -> str:
    return (payer.payer_id_eligibility or payer.payer_id_claims or "").strip()


def inquiry_problems(
    *, client: Client, policy: InsurancePolicy, profile: ProviderProfile | None
) -> dict[str, str]:
    """{field: message} for what keeps this policy from being checked; empty when ready."""
    errors: dict[str, str] = {}
    if profile is None or not profile.npi:
        errors["provider"] = (
            "Add your NPI in Billing → Setup → Provider Information before checking "
            "eligibility."
        )
    elif not profile.billing_name:
        errors["provider"] = "Add your name in Billing → Setup → Provider Information."
    if policy.payer is None:
        errors["payer"] = "Choose the insurance company for this policy."
    elif not payer_id_for(policy.payer):
        errors["payer"] = "This payer has no payer ID for eligibility checks."
    if not policy.member_id:
        errors["member_id"] = "Enter the member ID exactly as on the insurance card."
    if not client.first_name or not client.last_name:
        errors["first_name"] = "Enter the client's name exactly as on the insurance card."
    if client.date_of_birth is None:
        errors["date_of_birth"] = "Enter the client's date of birth: payers match on it."
    if not client.gender:
        errors["gender"] = "Choose the client's gender as on the insurance card."
    if policy.relationship != Relationship.SELF:
        if not policy.subscriber_first_name or not policy.subscriber_last_name:
            errors["subscriber_first_name"] = "Enter the subscriber's name as on the card."
        if policy.subscriber_date_of_birth is None:
            errors["subscriber_date_of_birth"] = "Enter the subscriber's date of birth."
    return errors


def inquiry_for(
    *,
    client: Client,
    policy: InsurancePolicy,
    profile: ProviderProfile,
    trace_number: str,
    today: dt.date,
    created: dt.datetime,
) -> EligibilityInquiry:
    payer = policy.payer
    assert payer is not None  # inquiry_problems() refuses a policy without one
    if profile.provider_type == ProviderType.ORGANIZATION:
        provider = InquiryProvider(name=x12_text(profile.billing_name), npi=profile.npi)
    else:
        provider = InquiryProvider(name=x12_text(profile.last_name), npi=profile.npi,
                                   first_name=x12_text(profile.first_name, 35),
                                   organization=False)
    patient = InquiryPerson(
        last_name=x12_text(client.last_name), first_name=x12_text(client.first_name, 35),
        birth_date=client.date_of_birth, gender=client.gender or None,
    )
    if policy.relationship == Relationship.SELF:
        patient.member_id = policy.member_id
        subscriber, dependent = patient, None
    else:
        subscriber = InquiryPerson(
            last_name=x12_text(policy.subscriber_last_name),
            first_name=x12_text(policy.subscriber_first_name, 35),
            birth_date=policy.subscriber_date_of_birth,
            gender=policy.subscriber_gender or None, member_id=policy.member_id,
        )
        patient.relationship = DEPENDENT_RELATIONSHIP.get(policy.relationship, "34")
        dependent = patient
    originator = (
        f"1{profile.tax_id}" if profile.tax_id_type == "ein" and len(profile.tax_id) == 9
        else "9OASYSBILL"
    )
    return EligibilityInquiry(
        payer=InquiryPayer(name=x12_text(payer.name), payer_id=payer_id_for(payer)),
        provider=provider,
        subscriber=subscriber,
        dependent=dependent,
        trace_number=trace_number,
        trace_originator=originator,
        service_types=list(INQUIRY_SERVICE_TYPES),
        date=today,
        reference_id=trace_number[-30:],
        created=created,
    )


@dataclass(frozen=True, slots=True)
class Built270:
    x12: str
    trace_number: str


def build_270_for(
    *,
    practice: Practice,
    client: Client,
    policy: InsurancePolicy,
    profile: ProviderProfile,
    control_number: int,
    trace_number: str,
    today: dt.date,
    created: dt.datetime,
) -> Built270:
    """One interchange with one 270, ISA13 = `control_number` (the practice's sequence,
    shared with claims so the sender never repeats an interchange number)."""
    sender = (settings.CLEARINGHOUSE_SUBMITTER_ID or practice.slug.upper())[:15]
    envelope = Envelope(
        sender_id=sender,
        receiver_id=settings.CLEARINGHOUSE_RECEIVER_ID,
        receiver_qualifier=settings.CLEARINGHOUSE_RECEIVER_QUALIFIER,
        interchange_control_number=control_number,
        group_control_number=control_number,
        transaction_control_number=1,
        created=created,
        usage="P" if settings.PRODUCTION else "T",
    )
    inquiry = inquiry_for(client=client, policy=policy, profile=profile,
                          trace_number=trace_number, today=today, created=created)
    return Built270(build_270(inquiry, envelope), trace_number)
