"""Turn claim rows into an 837P interchange with the X12 library.

All claims of one submission belong to one practice, so one billing provider; the library
groups them under subscriber and patient HLs itself.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from oasys.clients.models import Client, InsurancePolicy, PolicyPriority, Relationship
from oasys.core.models import Practice
from oasys.core.sequences import sequence_next
from oasys.practice.models import Clinician, Payer, ProviderProfile, ProviderType
from x12.build import claim_837p as b
from x12.build import status_276 as s
from x12.envelope import Envelope
from x12.models import Address, Adjustment

from .models import Claim

RELATIONSHIP_CODES = {
    Relationship.SELF: "18",
    Relationship.SPOUSE: "01",
    Relationship.CHILD: "19",
    Relationship.OTHER: "G8",
}


def filing_indicator(payer: Payer) -> str:
    """SBR09 from the payer's kind: Medicare Part B, Medicaid, Tricare, Blue Cross, else
    commercial."""
    name = payer.name.lower()
    if "medicare" in name and "advantage" not in name:
        return "MB"
    if "medicaid" in name:
        return "MC"
    if "tricare" in name or "champus" in name:
        return "CH"
    if "blue cross" in name or "blue shield" in name or "bcbs" in name:
        return "BL"
    return "CI"


def _x12_safe(text: str) -> str:
    """Names go on the wire upper-case ASCII (the X12 basic character set: "Tomás" is sent
    as TOMAS), without the characters the envelope reserves."""
    ascii_text = (
        unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    )
    return "".join(ch for ch in ascii_text.upper() if ch not in "*~:^>|").strip()


def _address(line1: str, line2: str, city: str, state: str, zip_code: str) -> Address:
    return Address(
        line1=_x12_safe(line1),
        line2=_x12_safe(line2) or None,
        city=_x12_safe(city),
        state=state.upper(),
        postal_code=zip_code.replace("-", ""),
    )


def billing_provider(profile: ProviderProfile) -> b.Provider:
    organization = profile.provider_type == ProviderType.ORGANIZATION
    return b.Provider(
        name=_x12_safe(profile.organization_name if organization else profile.last_name),
        first_name=None if organization else _x12_safe(profile.first_name),
        organization=organization,
        npi=profile.npi,
        taxonomy=profile.taxonomy_code,
        address=_address(profile.address1, profile.address2, profile.city, profile.state,
                         profile.zip_code),
        ein=profile.tax_id if profile.tax_id_type == "ein" else None,
        ssn=profile.tax_id if profile.tax_id_type == "ssn" else None,
        contact_name=_x12_safe(profile.contact_name),
        phone="".join(ch for ch in profile.contact_phone if ch.isdigit()),
    )


def _person(clinician: Clinician) -> b.Provider:
    return b.Provider(
        name=_x12_safe(clinician.last_name),
        first_name=_x12_safe(clinician.first_name),
        npi=clinician.npi,
        taxonomy=clinician.taxonomy_code or None,
    )


def _subscriber(policy: InsurancePolicy, client: Client) -> b.Subscriber:
    if policy.relationship == Relationship.SELF:
        return b.Subscriber(
            member_id=policy.member_id,
            last_name=_x12_safe(client.last_name),
            first_name=_x12_safe(client.first_name),
            birth_date=client.date_of_birth,
            gender=client.gender or "U",
            address=_address(client.address1, client.address2, client.city, client.state,
                             client.zip_code),
            group_number=policy.group_number or None,
        )
    return b.Subscriber(
        member_id=policy.member_id,
        last_name=_x12_safe(policy.subscriber_last_name),
        first_name=_x12_safe(policy.subscriber_first_name),
        birth_date=policy.subscriber_date_of_birth,
        gender=policy.subscriber_gender or "U",
        address=_address(policy.subscriber_address1, policy.subscriber_address2,
                         policy.subscriber_city, policy.subscriber_state,
                         policy.subscriber_zip_code),
        group_number=policy.group_number or None,
    )


def _patient(policy: InsurancePolicy, client: Client) -> b.Patient | None:
    if policy.relationship == Relationship.SELF:
        return None
    return b.Patient(
        last_name=_x12_safe(client.last_name),
        first_name=_x12_safe(client.first_name),
        birth_date=client.date_of_birth,
        gender=client.gender or "U",
        address=_address(client.address1, client.address2, client.city, client.state,
                         client.zip_code),
        relationship=RELATIONSHIP_CODES[Relationship(policy.relationship)],
    )


def _adjustments(rows) -> list[Adjustment]:
    return [Adjustment(group=g, reason=r, amount=Decimal(a)) for g, r, a in rows]


def _other_payer(claim: Claim) -> b.OtherPayer | None:
    """Loops 2320/2330: the primary payer of a secondary claim and what it decided."""
    cob = claim.cob or {}
    if claim.payer_sequence != "S" or not cob:
        return None

    primary = (InsurancePolicy.objects.filter(client_id=claim.client_id, is_active=True,
                                              priority=PolicyPriority.PRIMARY)
               .select_related("payer").first())
    payer = primary.payer if primary and primary.payer else None
    adjudicated = date.fromisoformat(cob["adjudication_date"]) if cob.get(
        "adjudication_date") else None
    return b.OtherPayer(
        payer=b.Payer(name=_x12_safe(cob["payer_name"])[:60], payer_id=cob["payer_id"]),
        subscriber=_subscriber(primary, claim.client),
        responsibility="P",
        relationship=RELATIONSHIP_CODES[Relationship(primary.relationship)],
        filing_indicator=filing_indicator(payer) if payer else "CI",
        paid=Decimal(cob["paid"]),
        adjustments=_adjustments(cob.get("claim_adjustments", [])),
        adjudication_date=adjudicated if not cob.get("lines") else None,
    )


def claim_to_x12(claim: Claim, profile: ProviderProfile) -> b.Claim:
    policy, client = claim.policy, claim.client
    rendering = claim.clinician
    other = _other_payer(claim)
    cob_lines = (claim.cob or {}).get("lines", []) if other else []
    adjudicated = (date.fromisoformat(claim.cob["adjudication_date"])
                   if other and claim.cob.get("adjudication_date") else None)
    lines = []
    for index, line in enumerate(claim.lines.all()):
        adjudications = []
        if other and index < len(cob_lines) and adjudicated:
            cl = cob_lines[index]
            adjudications.append(b.LineAdjudication(
                payer_id=other.payer.payer_id, paid=Decimal(cl["paid"]),
                adjudication_date=adjudicated, adjustments=_adjustments(cl["adjustments"])))
        lines.append(b.ServiceLine(
            procedure=line.procedure_code,
            charge=line.charge,
            service_date=line.service_date,
            units=line.units,
            modifiers=tuple(line.modifiers),
            diagnosis_pointers=tuple(line.diagnosis_pointers) or (1,),
            adjudications=adjudications,
        ))
    return b.Claim(
        patient_control_number=claim.patient_control_number,
        subscriber=_subscriber(policy, client),
        payer=b.Payer(name=_x12_safe(claim.payer.name)[:60], payer_id=claim.payer.payer_id_claims),
        diagnoses=[code.replace(".", "") for code in claim.diagnosis_codes],
        lines=lines,
        place_of_service=claim.place_of_service,
        frequency=claim.frequency,
        original_claim_number=claim.corrects.payer_claim_number if claim.corrects_id else None,
        responsibility=claim.payer_sequence,
        filing_indicator=filing_indicator(claim.payer),
        patient=_patient(policy, client),
        assignment="A" if profile.accept_assignment else "C",
        rendering=None if rendering.npi == profile.npi else _person(rendering),
        supervising=_person(rendering.supervisor) if rendering.supervisor_id else None,
        other_payers=[other] if other else [],
        prior_authorization=claim.prior_authorization or None,
        attachments=[b.Attachment(report_type=a["report_type"], transmission=a["transmission"],
                                  control_number=a.get("control_number") or None)
                     for a in claim.attachments or []],
        note=_x12_safe(claim.note) or None,
    )


def envelope_for(*, practice: Practice, control_number: int, created: datetime) -> Envelope:
    return Envelope(
        sender_id=(settings.CLEARINGHOUSE_SUBMITTER_ID or practice.slug.upper())[:15],
        receiver_id=settings.CLEARINGHOUSE_RECEIVER_ID,
        receiver_qualifier=settings.CLEARINGHOUSE_RECEIVER_QUALIFIER,
        interchange_control_number=control_number,
        group_control_number=control_number,
        transaction_control_number=1,
        created=created,
        usage="P" if settings.PRODUCTION else "T",
    )


def build_837p_for(
    *, practice: Practice, claims: Sequence[Claim], control_number: int
) -> str:
    """The 837P interchange for `claims` (all of `practice`), with the given ISA13."""
    profile = ProviderProfile.objects.get(practice=practice)
    created = timezone.localtime().replace(tzinfo=None, microsecond=0)
    batch = b.Batch837P(
        submitter=b.Submitter(
            name=_x12_safe(profile.billing_name or practice.name)[:60],
            id=(settings.CLEARINGHOUSE_SUBMITTER_ID or practice.slug.upper())[:15],
            contact_name=_x12_safe(profile.contact_name or practice.name)[:60],
            phone="".join(ch for ch in profile.contact_phone if ch.isdigit()) or "0000000000",
        ),
        receiver=b.Receiver(name=settings.CLEARINGHOUSE_RECEIVER_NAME,
                            id=settings.CLEARINGHOUSE_RECEIVER_ID),
        billing_provider=billing_provider(profile),
        claims=[claim_to_x12(c, profile) for c in claims],
        reference_id=str(control_number).zfill(4),
        created=created,
    )
    return b.build_837p(batch, envelope_for(practice=practice, control_number=control_number,
                                            created=created))


def build_276_for(*, claim: Claim) -> str:
    """A 276 claim status inquiry about one claim (005010X212)."""

    practice = claim.practice
    profile = ProviderProfile.objects.get(practice=practice)
    policy, client = claim.policy, claim.client
    subscriber = _subscriber(policy, client)
    dependent = _patient(policy, client)
    sub = s.StatusSubscriber(
        member_id=subscriber.member_id, last_name=subscriber.last_name,
        first_name=subscriber.first_name, birth_date=subscriber.birth_date,
        gender=subscriber.gender,
        dependent_last_name=dependent.last_name if dependent else None,
        dependent_first_name=dependent.first_name if dependent else None,
        dependent_birth_date=dependent.birth_date if dependent else None,
        dependent_gender=dependent.gender if dependent else None,
    )
    inquiry = s.StatusInquiry(
        payer_name=_x12_safe(claim.payer.name)[:60],
        payer_id=claim.payer.payer_id_claims,
        receiver_name=_x12_safe(profile.billing_name or practice.name)[:60],
        receiver_id=(settings.CLEARINGHOUSE_SUBMITTER_ID or practice.slug.upper())[:15],
        provider_name=_x12_safe(profile.billing_name)[:60],
        provider_npi=profile.npi,
        subscribers=[(sub, [s.StatusClaim(
            trace_number=claim.patient_control_number,
            patient_control_number=claim.patient_control_number,
            charge=claim.total_charge,
            service_from=claim.service_date,
            payer_claim_number=claim.payer_claim_number or None,
        )])],
    )
    control = sequence_next(name=f"isa:{practice.pk}")
    created = timezone.localtime().replace(tzinfo=None, microsecond=0)
    inquiry.created = created
    return s.build_276(inquiry, envelope_for(practice=practice, control_number=control,
                                              created=created))
