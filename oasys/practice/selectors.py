"""Reads for Billing Setup. Every selector of practice data takes the practice; the payer
directory is shared reference data, so `payer_search` does not."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Length

from oasys.core.models import Practice, Role, User
from oasys.core.text import search_text

from .models import (
    AcceptedPayer,
    Clinician,
    Enrollment,
    ExtraServiceCode,
    Payer,
    ProviderProfile,
    ProviderType,
    ServiceType,
)
from .search import normalized_phrase, query_terms

# --- Provider information -------------------------------------------------------------------

# Field name -> label, for the fields a claim's billing provider loop cannot go without.
PROVIDER_REQUIRED_FIELDS: dict[str, str] = {
    "npi": "NPI",
    "tax_id": "Tax ID",
    "taxonomy_code": "Provider taxonomy",
    "contact_name": "Contact name",
    "contact_email": "Contact email",
    "contact_phone": "Contact phone",
    "address1": "Street address",
    "city": "City",
    "state": "State",
    "zip_code": "ZIP code",
}
_NAME_FIELDS = {
    ProviderType.INDIVIDUAL: {"first_name": "First name", "last_name": "Last name"},
    ProviderType.ORGANIZATION: {"organization_name": "Organization name"},
}


def provider_profile_get(*, practice: Practice) -> ProviderProfile | None:
    return ProviderProfile.objects.filter(practice=practice).first()


def provider_profile_completeness(practice: Practice) -> list[str]:
    """Names of the required provider fields still empty (all of them if there is no profile).

    The readiness engine turns a non-empty list into "Insurance setup not complete", and
    "taxonomy_code" in it into "Missing provider taxonomy".
    """
    profile = provider_profile_get(practice=practice)
    provider_type = profile.provider_type if profile else ProviderType.INDIVIDUAL
    required = {**_NAME_FIELDS[ProviderType(provider_type)], **PROVIDER_REQUIRED_FIELDS}
    if profile is None:
        return list(required)
    return [name for name in required if not str(getattr(profile, name) or "").strip()]


def provider_field_label(name: str) -> str:
    for labels in (PROVIDER_REQUIRED_FIELDS, *_NAME_FIELDS.values()):
        if name in labels:
            return labels[name]
    return name.replace("_", " ").capitalize()


def practice_owner(*, practice: Practice) -> User | None:
    return (
        User.objects.filter(practice=practice, role=Role.OWNER, is_active=True)
        .order_by("pk")
        .first()
    )


def provider_profile_initial(*, practice: Practice) -> dict:
    """Initial form values: the saved profile, or else what the therapist's own profile (the
    owner's user account and clinician record) already tells us."""
    profile = provider_profile_get(practice=practice)
    if profile is not None:
        return {
            field: getattr(profile, field)
            for field in (
                "provider_type",
                "organization_name",
                "first_name",
                "last_name",
                "npi",
                "tax_id_type",
                "accept_assignment",
                "taxonomy_code",
                "contact_name",
                "contact_email",
                "contact_phone",
                "address1",
                "address2",
                "city",
                "state",
                "zip_code",
            )
        }
    initial: dict = {"provider_type": ProviderType.INDIVIDUAL, "accept_assignment": True}
    owner = practice_owner(practice=practice)
    if owner is not None:
        initial.update(
            first_name=owner.first_name,
            last_name=owner.last_name,
            contact_name=owner.display_name if owner.first_name or owner.last_name else "",
            contact_email=owner.email,
        )
        clinician = Clinician.objects.filter(practice=practice, user=owner).first()
        if clinician is not None:
            initial.update(
                first_name=clinician.first_name or initial["first_name"],
                last_name=clinician.last_name or initial["last_name"],
                npi=clinician.npi,
                taxonomy_code=clinician.taxonomy_code,
            )
    return {k: v for k, v in initial.items() if v not in (None, "")}


# --- Payer directory ------------------------------------------------------------------------


def payer_search(*, query: str, limit: int = 20, min_length: int = 1) -> list[Payer]:
    """Directory payers matching every word of `query` (forgiving: case, punctuation, word
    order, abbreviations), or whose payer ID is exactly `query`. Best matches first: payer ID,
    then exact name, then names starting with the query, then shorter names. A query shorter
    than `min_length` (after normalising) finds nothing (a searchable field asks for 2)."""
    raw = search_text(query)
    if not raw or len(raw) < min_length:
        return []
    id_match = (
        Q(payer_id_claims__iexact=raw)
        | Q(payer_id_era__iexact=raw)
        | Q(payer_id_eligibility__iexact=raw)
    )
    terms = query_terms(raw)
    words = Q()
    for alternatives in terms:
        any_of = Q()
        for alt in alternatives:
            any_of |= Q(search_text__icontains=alt)
        words &= any_of
    condition = (id_match | words) if terms else id_match
    phrase = normalized_phrase(raw)
    expanded = " ".join(alternatives[-1].strip() for alternatives in terms)
    whens = [
        When(id_match, then=Value(0)),
        When(name__iexact=raw, then=Value(1)),
        When(search_text__istartswith=f" {phrase} |", then=Value(1)),
        # The name starts with the query, as typed or with abbreviations expanded.
        When(search_text__istartswith=f" {phrase}", then=Value(2)),
        When(search_text__icontains=f"| {expanded}", then=Value(2)),
        # The name ends with it: "UnitedHealthcare (UHC)" for "uhc".
        When(search_text__icontains=f" {phrase} |", then=Value(3)),
    ]
    if terms:  # a query of punctuation alone has no first word to rank by
        whens.append(When(search_text__istartswith=terms[0][0], then=Value(4)))
    ranked = Payer.objects.filter(condition).annotate(
        rank=Case(*whens, default=Value(5), output_field=IntegerField()),
        name_length=Length("name"),
    )
    return list(ranked.order_by("rank", "-supports_claims", "name_length", "name", "pk")[:limit])


def payer_list() -> QuerySet[Payer]:
    """The whole shared payer directory (reference data, not tenant data)."""
    return Payer.objects.all()


def payer_get(*, pk: int) -> Payer | None:
    return Payer.objects.filter(pk=pk).first()


def payer_directory_size() -> int:
    return Payer.objects.count()


# --- Accepted payers and enrollment ---------------------------------------------------------


def accepted_payer_list(*, practice: Practice) -> QuerySet[AcceptedPayer]:
    """The payers the practice accepts, by name, with their enrollments."""
    return (
        AcceptedPayer.objects.filter(practice=practice)
        .select_related("payer")
        .prefetch_related(
            Prefetch(
                "enrollments",
                queryset=Enrollment.objects.filter(practice=practice).order_by("pk"),
            )
        )
        .order_by("payer__name")
    )


def accepted_payers_exist(*, practice: Practice) -> bool:
    return AcceptedPayer.objects.filter(practice=practice).exists()


def accepted_payer_payer_ids(*, practice: Practice) -> set[int]:
    """Directory ids of the payers this practice already accepts (to mark search results)."""
    return set(AcceptedPayer.objects.filter(practice=practice).values_list("payer_id", flat=True))


def enrollment_list(*, practice: Practice) -> QuerySet[Enrollment]:
    return Enrollment.objects.filter(practice=practice).select_related("accepted_payer__payer")


@dataclass(frozen=True)
class EnrollmentSummary:
    payers: int
    active: int
    pending: int
    not_started: int
    rejected: int


def enrollment_summary(*, practice: Practice) -> EnrollmentSummary:
    counts: dict[str, int] = {}
    for status in Enrollment.objects.filter(practice=practice).values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return EnrollmentSummary(
        payers=AcceptedPayer.objects.filter(practice=practice).count(),
        active=counts.get("active", 0),
        pending=counts.get("pending", 0),
        not_started=counts.get("not_started", 0),
        rejected=counts.get("rejected", 0),
    )


# --- Service types --------------------------------------------------------------------------


def service_type_list(*, practice: Practice, active_only: bool = False) -> QuerySet[ServiceType]:
    """The practice's service types, active first; inactive ones included unless
    `active_only` (old pricing rules and sessions may use them)."""
    qs = ServiceType.objects.filter(practice=practice)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("-is_active", "name")


# --- Clinicians -----------------------------------------------------------------------------


def extra_service_code_list(*, practice: Practice) -> QuerySet[ExtraServiceCode]:
    """The CPT/HCPCS codes the practice added beyond the ones Oasys knows, by code."""
    return ExtraServiceCode.objects.filter(practice=practice).order_by("code")


def extra_service_code_get(*, practice: Practice, pk: int) -> ExtraServiceCode | None:
    return ExtraServiceCode.objects.filter(practice=practice, pk=pk).first()


def clinician_list(*, practice: Practice, active_only: bool = False) -> QuerySet[Clinician]:
    """The practice's clinicians, active first, by name (only the active ones if asked)."""
    qs = Clinician.objects.filter(practice=practice)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.select_related("supervisor", "user").order_by("-is_active", "last_name", "first_name")


def clinician_supervisees_ids(*, practice: Practice, clinician: Clinician) -> set[int]:
    """Everyone supervised by `clinician`, directly or down the chain (one query)."""
    edges: dict[int, list[int]] = {}
    for pk, sup in Clinician.objects.filter(
        practice=practice, supervisor__isnull=False
    ).values_list("pk", "supervisor_id"):
        edges.setdefault(sup, []).append(pk)
    found: set[int] = set()
    stack = [clinician.pk]
    while stack:
        for child in edges.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


def clinician_supervisor_candidate_list(
    *, practice: Practice, clinician: Clinician | None = None
) -> QuerySet[Clinician]:
    """Who may supervise `clinician`: same practice, active, not themselves, and not anyone
    they (directly or indirectly) supervise, which would close a loop."""
    qs = Clinician.objects.filter(practice=practice, is_active=True)
    if clinician is not None and clinician.pk:
        excluded = clinician_supervisees_ids(practice=practice, clinician=clinician)
        excluded.add(clinician.pk)
        qs = qs.exclude(pk__in=excluded)
    return qs.order_by("last_name", "first_name")


def clinician_user_candidate_list(
    *, practice: Practice, clinician: Clinician | None = None
) -> QuerySet[User]:
    """Users of this practice not yet linked to another clinician."""
    qs = User.objects.filter(practice=practice, is_active=True)
    taken = Clinician.objects.filter(practice=practice, user__isnull=False)
    if clinician is not None and clinician.pk:
        taken = taken.exclude(pk=clinician.pk)
    return qs.exclude(pk__in=taken.values("user_id")).order_by("last_name", "first_name", "email")
