"""The readiness engine: which completed and no-show sessions are billable, by which route,
and — for each one not Ready — every reason why.

It is one set-based evaluation: a fixed number of queries loads the practice's unbilled
sessions and everything they depend on, then pure rules decide. Nothing is cached, so the
answer is current after any change to its inputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q, QuerySet

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.claims.models import Claim
from oasys.clients.diagnoses import diagnosis_error
from oasys.clients.models import (
    BillingType,
    Diagnosis,
    InsurancePolicy,
    PolicyPriority,
    PricingRule,
)
from oasys.clients.pricing import charge_for
from oasys.core.addresses import ZIP4_REQUIRED, is_zip4
from oasys.core.identifiers import npi_error, tax_id_error
from oasys.core.models import Practice
from oasys.core.timezones import practice_date, practice_today
from oasys.invoices.models import InvoiceLine
from oasys.practice.cpt import cpt_extra_codes, cpt_validate
from oasys.practice.models import (
    Enrollment,
    EnrollmentStatus,
    ProviderProfile,
    ProviderType,
    TransactionType,
)
from oasys.practice.selectors import provider_field_label, provider_profile_completeness

from . import scrub
from .models import TelehealthModifierRule
from .reasons import Reason, reason

BILLABLE_STATUSES = (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)


class Route:
    CLAIM = "claim"
    INVOICE = "invoice"


@dataclass(slots=True)
class QueueItem:
    appointment: Appointment
    route: str
    charge: Decimal | None
    cpt: str
    payer_name: str
    payer_id: int | None
    policy_id: int | None
    diagnosis_codes: tuple[str, ...] = ()
    reasons: list[Reason] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not any(not r.warning for r in self.reasons)

    @property
    def blocked(self) -> bool:
        return any(r.blocked for r in self.reasons)

    @property
    def warnings(self) -> list[Reason]:
        return [r for r in self.reasons if r.warning]

    @property
    def problems(self) -> list[Reason]:
        return [r for r in self.reasons if not r.warning]

    @property
    def service_date(self) -> date:
        return practice_date(self.appointment.start, self.appointment.practice)


def billed_filter() -> Q:
    """Sessions already turned into a claim or an invoice leave the queue for good."""

    return Q(Exists(Claim.objects.filter(appointment_id=OuterRef("pk")))) | Q(
        Exists(InvoiceLine.objects.filter(appointment_id=OuterRef("pk")))
    )


def unbilled_sessions(*, practice: Practice) -> QuerySet[Appointment]:
    qs = (
        Appointment.objects.filter(practice=practice, status__in=BILLABLE_STATUSES)
        .exclude(client__billing_type=BillingType.NOT_BILLED)
        .select_related(
            "practice", "client", "clinician", "clinician__supervisor", "service_type"
        )
        .order_by("start", "pk")
    )
    return qs.exclude(billed_filter())


@dataclass(slots=True)
class _Context:
    """Everything the rules need beyond the session itself, loaded once per evaluation."""

    practice: Practice
    today: date
    profile: ProviderProfile | None
    profile_missing: list[str]
    rules: dict[tuple[int, int], PricingRule]
    primary: dict[int, InsurancePolicy]
    diagnoses: dict[int, list[str]]
    claims_enrollment: dict[int, str]
    telehealth: list[scrub.TelehealthRule]
    extra_codes: frozenset[str] = frozenset()


def _load_context(practice: Practice, client_ids: Iterable[int], today: date) -> _Context:
    client_ids = list(set(client_ids))
    rules = {
        (r.client_id, r.service_type_id): r
        for r in PricingRule.objects.filter(practice=practice, client_id__in=client_ids)
    }
    primary = {
        p.client_id: p
        for p in InsurancePolicy.objects.filter(
            practice=practice, client_id__in=client_ids, is_active=True,
            priority=PolicyPriority.PRIMARY,
        ).select_related("payer")
    }
    diagnoses: dict[int, list[str]] = defaultdict(list)
    for client_id, code in (
        Diagnosis.objects.filter(practice=practice, client_id__in=client_ids)
        .order_by("client_id", "position")
        .values_list("client_id", "code")
    ):
        diagnoses[client_id].append(code)
    claims_enrollment = dict(
        Enrollment.objects.filter(
            practice=practice, transaction_type=TransactionType.CLAIMS
        ).values_list("accepted_payer__payer_id", "status")
    )
    telehealth = [
        scrub.TelehealthRule(r.payer_id, r.effective_year, r.place_of_service, r.required_modifier)
        for r in TelehealthModifierRule.objects.filter(Q(practice=practice) | Q(practice=None))
    ]
    profile = ProviderProfile.objects.filter(practice=practice).first()
    return _Context(
        practice=practice,
        today=today,
        profile=profile,
        profile_missing=provider_profile_completeness(practice),
        rules=rules,
        primary=primary,
        diagnoses=diagnoses,
        claims_enrollment=claims_enrollment,
        telehealth=telehealth,
        extra_codes=cpt_extra_codes(practice=practice),
    )


def billing_queue(
    *,
    practice: Practice,
    today: date | None = None,
    sessions: QuerySet[Appointment] | None = None,
) -> list[QueueItem]:
    """Every billable, unbilled session of the practice, evaluated. Hidden items are left out.

    `sessions` narrows the evaluation (filters); it must be a subset of unbilled_sessions.
    """
    today = today or practice_today(practice)
    appts = list(sessions if sessions is not None else unbilled_sessions(practice=practice))
    ctx = _load_context(practice, (a.client_id for a in appts), today)
    items = []
    for appt in appts:
        item = evaluate(appt, ctx)
        if item is not None:
            items.append(item)
    return items


def evaluate(appt: Appointment, ctx: _Context) -> QueueItem | None:
    """One session's route and reasons; None when it is hidden from Bill Sessions."""
    client = appt.client
    if client.billing_type == BillingType.NOT_BILLED or appt.status not in BILLABLE_STATUSES:
        return None
    no_show = appt.status == AppointmentStatus.NO_SHOW
    charge, cpt = charge_for(
        service_type=appt.service_type, rule=ctx.rules.get((client.pk, appt.service_type_id)),
        no_show=no_show,
    )
    free_no_show = no_show and appt.service_type.no_show_fee == 0
    if charge is not None and charge == 0 and not free_no_show:
        return None  # $0 service type or a $0 pricing rule: nothing to bill
    insured = client.billing_type == BillingType.INSURANCE
    route = Route.CLAIM if insured and appt.status == AppointmentStatus.COMPLETED else Route.INVOICE
    policy = ctx.primary.get(client.pk) if insured else None
    payer = policy.payer if policy else None
    item = QueueItem(
        appointment=appt,
        route=route,
        charge=charge,
        cpt=cpt,
        payer_name=(payer.name if payer else "No payer on file")
        if route == Route.CLAIM else "Self-pay",
        # An insured client's no-show is billed to the client: no payer on it.
        payer_id=payer.pk if (payer and route == Route.CLAIM) else None,
        policy_id=policy.pk if (policy and route == Route.CLAIM) else None,
        diagnosis_codes=tuple(ctx.diagnoses.get(client.pk, ())),
    )
    if charge is None:
        item.reasons.append(reason("missing_charge"))
    if cpt and (problem := _cpt_problem(cpt, ctx)):
        item.reasons.append(reason("invalid_cpt", problem))
    if free_no_show:
        # The practice charges nothing for a no-show of this service: shown, never invoiced.
        item.reasons.append(reason("no_show_fee_zero", appt.service_type.name))
        return item
    if route == Route.INVOICE:
        if not client.email:
            item.reasons.append(reason("missing_client_email"))
        return item
    item.reasons.extend(_claim_reasons(appt, ctx, cpt=cpt, policy=policy))
    return item


def _cpt_problem(cpt: str, ctx: _Context) -> str | None:
    """Why a stored code cannot be billed (the shared validator, with the practice's extra
    codes loaded once per evaluation), or None."""
    return cpt_validate(practice=ctx.practice, code=cpt, extra_codes=ctx.extra_codes)


def _claim_reasons(
    appt: Appointment, ctx: _Context, *, cpt: str, policy: InsurancePolicy | None
) -> list[Reason]:
    out: list[Reason] = []
    client = appt.client
    clinician = appt.clinician
    setup_missing = [f for f in ctx.profile_missing if f != "taxonomy_code"]
    setup_problems = [_labels(setup_missing)] if setup_missing else []
    profile = ctx.profile
    if profile is not None and profile.zip_code and not is_zip4(profile.zip_code):
        # Profiles saved before ZIP+4 was required: the 837P builder would refuse them, so
        # say so here, before a claim is built.
        setup_problems.append(f"billing address {ZIP4_REQUIRED}")
    if setup_problems:
        out.append(reason("insurance_setup_incomplete", "; ".join(setup_problems)))
    if "taxonomy_code" in ctx.profile_missing:
        out.append(reason("missing_taxonomy", "billing provider"))
    elif not clinician.taxonomy_code:
        out.append(reason("missing_taxonomy", f"rendering clinician {clinician}"))
    payer = policy.payer if policy else None
    if payer is None:
        out.append(reason("missing_payer"))
    else:
        status = ctx.claims_enrollment.get(payer.pk)
        if status is None:
            out.append(reason("payer_not_enrolled", f"{payer.name} is not in your accepted payers"))
        elif status != EnrollmentStatus.ACTIVE:
            label = EnrollmentStatus(status).label.lower()
            out.append(reason("payer_not_enrolled", f"{payer.name}: claims enrollment {label}"))
    if policy is not None:
        missing = _policy_gaps(policy, client)
        if missing:
            out.append(reason("incomplete_insurance", ", ".join(missing)))
    codes = ctx.diagnoses.get(client.pk, [])
    if not codes:
        out.append(reason("missing_diagnosis"))
    if not cpt:
        out.append(reason("missing_cpt"))
    if appt.note_signed_at is None:
        out.append(reason("unsigned_note"))
    if clinician.supervisor_id and appt.supervisor_approved_at is None:
        out.append(reason("awaiting_supervisor", f"supervisor {clinician.supervisor}"))
    for message in _scrub(appt, ctx, cpt=cpt, codes=codes, payer_id=payer.pk if payer else None,
                          limit_days=payer.timely_filing_days if payer else 90):
        out.append(message)
    return out


_CLIENT_FIELDS = {
    "date_of_birth": "client date of birth",
    "gender": "client gender",
    "address1": "client street address",
    "city": "client city",
    "state": "client state",
    "zip_code": "client ZIP",
}
_SUBSCRIBER_FIELDS = {
    "subscriber_first_name": "subscriber first name",
    "subscriber_last_name": "subscriber last name",
    "subscriber_date_of_birth": "subscriber date of birth",
    "subscriber_gender": "subscriber gender",
    "subscriber_address1": "subscriber address",
    "subscriber_city": "subscriber city",
    "subscriber_state": "subscriber state",
    "subscriber_zip_code": "subscriber ZIP",
}


def _policy_gaps(policy: InsurancePolicy, client) -> list[str]:
    gaps = []
    if not policy.member_id:
        gaps.append("member ID")
    gaps += [label for name, label in _CLIENT_FIELDS.items() if not getattr(client, name)]
    if policy.relationship != "self":
        gaps += [label for name, label in _SUBSCRIBER_FIELDS.items() if not getattr(policy, name)]
    return gaps


def _labels(fields: list[str]) -> str:
    return "missing " + ", ".join(provider_field_label(f).lower() for f in fields)


def _scrub(
    appt: Appointment, ctx: _Context, *, cpt: str, codes: list[str], payer_id: int | None,
    limit_days: int,
) -> list[Reason]:
    errors: list[str] = []
    profile = ctx.profile
    if profile is not None:
        if profile.npi and (e := npi_error(profile.npi)):
            errors.append(f"Billing provider NPI: {e}")
        if profile.tax_id and (
            e := tax_id_error(
                profile.tax_id, kind=profile.tax_id_type,
                organization=profile.provider_type == ProviderType.ORGANIZATION,
            )
        ):
            errors.append(f"Billing provider tax ID: {e}")
    if not appt.clinician.npi:
        errors.append(f"Rendering clinician {appt.clinician} has no NPI.")
    elif e := npi_error(appt.clinician.npi):
        errors.append(f"Rendering clinician NPI: {e}")
    supervisor = appt.clinician.supervisor
    if supervisor is not None:  # goes on the claim as the supervising provider (2310D)
        if not supervisor.npi:
            errors.append(f"Supervising clinician {supervisor} has no NPI.")
        elif e := npi_error(supervisor.npi):
            errors.append(f"Supervising clinician NPI: {e}")
    for code in codes:
        if e := diagnosis_error(code):
            errors.append(f"Diagnosis {e}")
    if len(codes) > 12:
        errors.append("A claim takes at most 12 diagnosis codes.")
    if cpt and not _cpt_problem(cpt, ctx):  # an invalid code is its own reason (invalid_cpt)
        errors += scrub.procedure_errors([cpt], appt.duration_minutes)
    modifiers = appt.modifier_list
    errors += scrub.modifier_errors(modifiers)
    service_date = practice_date(appt.start, ctx.practice)
    year = service_date.year
    rule = scrub.telehealth_rule_for(
        ctx.telehealth, payer_id=payer_id, pos=appt.place_of_service, year=year
    )
    errors += scrub.telehealth_errors(
        pos=appt.place_of_service, modifiers=modifiers, rule=rule, year=year
    )
    late, close = scrub.timely_filing(
        service_date=service_date, today=ctx.today, limit_days=limit_days
    )
    if late:
        errors.append(late)
    out = [reason("claim_validation", e) for e in errors]
    if close:
        out.append(reason("timely_filing_close", close))
    return out
