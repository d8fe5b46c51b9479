"""Rebuild a claim from its session as it is now (resubmit, replace), through the readiness
engine. Registered with claims at app loading (BillingConfig.ready): claims cannot import the
readiness engine, which builds on claims."""

from __future__ import annotations

from oasys.claims.models import Claim, ClaimLine
from oasys.clients.models import InsurancePolicy
from oasys.core.errors import InvalidInput

from .readiness import billing_queue


def claim_refresh_from_session(*, claim: Claim) -> None:
    """Rebuild a claim's lines and codes from the session and client as they are now, so a
    fix made after a rejection is what goes out."""

    appt = claim.appointment
    items = billing_queue(practice=claim.practice,
                          sessions=type(appt).objects.filter(pk=appt.pk).select_related(
                              "practice", "client", "clinician", "clinician__supervisor",
                              "service_type"))
    if not items:
        raise InvalidInput("This session is no longer billable.")
    [item] = items
    problems = [r.text for r in item.problems]
    if problems:
        raise InvalidInput("Fix these first: " + "; ".join(problems))
    policy = InsurancePolicy.objects.get(pk=item.policy_id)
    Claim.objects.filter(pk=claim.pk).update(
        policy=policy, payer_id=item.payer_id, clinician_id=appt.clinician_id,
        place_of_service=appt.place_of_service, total_charge=item.charge,
        diagnosis_codes=list(item.diagnosis_codes), validation_errors=[],
    )
    ClaimLine.objects.filter(claim=claim).update(
        procedure_code=item.cpt, modifiers=appt.modifier_list, charge=item.charge,
        diagnosis_pointers=list(range(1, min(4, len(item.diagnosis_codes)) + 1)),
    )
