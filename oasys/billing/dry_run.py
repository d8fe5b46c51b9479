"""Build the 837P for every Ready claim of a practice without sending or keeping anything.

The claims are created inside a savepoint that is always rolled back, so the file is exactly
what billing would send (same assembly, same numbering shape) and the database is untouched.
"""

from __future__ import annotations

from django.db import transaction

from oasys.claims.assembly import build_837p_for
from oasys.claims.models import Claim
from oasys.claims.services import ClaimDraft, claim_create_for_session
from oasys.core.audit import AuditContext
from oasys.core.models import Practice

from .readiness import Route, billing_queue


class _Rollback(Exception):
    pass


def dry_run_837p(*, practice: Practice) -> tuple[str, int]:
    items = [i for i in billing_queue(practice=practice) if i.ready and i.route == Route.CLAIM]
    if not items:
        return "", 0
    result: dict[str, str] = {}
    try:
        with transaction.atomic():
            ctx = AuditContext.system(practice_id=practice.pk, source="dry run")
            claims: list[Claim] = [
                claim_create_for_session(
                    practice=practice, ctx=ctx,
                    draft=ClaimDraft(appointment_id=i.appointment.pk, policy_id=i.policy_id,
                                     payer_id=i.payer_id, cpt=i.cpt, charge=i.charge,
                                     diagnosis_codes=i.diagnosis_codes),
                )
                for i in items
            ]
            loaded = list(
                Claim.objects.filter(pk__in=[c.pk for c in claims])
                .select_related("client", "policy", "payer", "clinician",
                                "clinician__supervisor", "corrects")
                .prefetch_related("lines").order_by("pk")
            )
            result["x12"] = build_837p_for(practice=practice, claims=loaded, control_number=1)
            raise _Rollback
    except _Rollback:
        pass
    return result["x12"], len(items)
