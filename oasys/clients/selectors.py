"""Reads of client data. Every selector takes the practice and never looks outside it, so a
lookup of another practice's object through these finds nothing (and the view answers 404).

Selectors do not audit: reading PHI is recorded by the view or API route that shows it,
because only that layer knows what was actually disclosed and to whom.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from oasys.core.crypto import blind_indexes
from oasys.core.models import Practice
from oasys.core.text import search_text

from .models import BillingType, Client, Diagnosis, InsurancePolicy, PricingRule


def client_list(
    *, practice: Practice, query: str = "", billing_type: str = ""
) -> QuerySet[Client]:
    """The practice's clients (all of them by default; the base of each client lookup):
    those whose first or last name contains every word of `query`, or one of whose policies
    has `query` as its member ID (exactly, ignoring case and spaces: member IDs are
    encrypted, so they are matched through their keyed hash), optionally of one billing
    type, ordered by last name."""
    qs = Client.objects.filter(practice=practice)
    words = search_text(query).split()[:5]
    if words:
        by_name = Q()
        for word in words:
            by_name &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        by_member_id = InsurancePolicy.objects.filter(
            practice=practice, member_id_hash__in=blind_indexes(query)).values("client_id")
        qs = qs.filter(by_name | Q(pk__in=by_member_id))
    if billing_type in BillingType.values:
        qs = qs.filter(billing_type=billing_type)
    return qs.order_by("last_name", "first_name", "pk")


def diagnosis_list(*, practice: Practice, client: Client) -> QuerySet[Diagnosis]:
    return Diagnosis.objects.filter(practice=practice, client=client).order_by("position")


def policy_list(*, practice: Practice, client: Client) -> QuerySet[InsurancePolicy]:
    """Active policies first (primary, then secondary), then inactive ones, newest first."""
    return (
        InsurancePolicy.objects.filter(practice=practice, client=client)
        .select_related("payer")
        .order_by("-is_active", "priority", "-created_at")
    )


def pricing_rule_list(*, practice: Practice, client: Client) -> QuerySet[PricingRule]:
    return (
        PricingRule.objects.filter(practice=practice, client=client)
        .select_related("service_type")
        .order_by("service_type__name")
    )


def pricing_rules_by_client_service(
    practice: Practice, *, client_ids: Iterable[int] | None = None
) -> dict[tuple[int, int], PricingRule]:
    """{(client_id, service_type_id): rule} in one query, for set-based billing checks."""
    qs = PricingRule.objects.filter(practice=practice)
    if client_ids is not None:
        qs = qs.filter(client_id__in=list(client_ids))
    return {(r.client_id, r.service_type_id): r for r in qs}
