"""Manage Claims → a claim → Print CMS-1500: the claim as a paper claim form (plain paper or
the pre-printed red form), oasys.claims.cms1500. The API answers it the same way
(GET /api/v1/claims/{id}/cms1500.pdf)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404

from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction, Practice
from oasys.core.permissions import practice_required

from .cms1500 import MODES, NoProviderProfile, cms1500_pdf
from .models import Claim
from .selectors import claim_list


def cms1500_claim(*, practice: Practice, pk: int) -> Claim:
    """One of the practice's claims with what the form (the 837P assembly) reads; another
    practice's claim is not found (404)."""
    return get_object_or_404(
        claim_list(practice=practice)
        .select_related("practice", "client", "policy", "payer", "clinician",
                        "clinician__supervisor", "corrects")
        .prefetch_related("lines"), pk=pk)


def cms1500_response(*, claim: Claim, mode: str, ctx: AuditContext) -> HttpResponse:
    """The form as a download, recorded as an export of the client's data. The file name
    carries the claim number only, never the client's name."""
    pdf = cms1500_pdf(claim=claim, mode=mode)  # NoProviderProfile: callers answer 409
    audit_record(ctx=ctx, action=AuditAction.EXPORT, category="claim",
                 client_id=claim.client_id, object_type="Claim", object_id=claim.pk,
                 detail={"format": "cms1500", "mode": mode})
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="CMS1500-{claim.patient_control_number}.pdf"')
    return response


@practice_required("billing.work")
def claim_cms1500(request: HttpRequest, pk: int) -> HttpResponse:
    claim = cms1500_claim(practice=request.practice, pk=pk)
    mode = request.GET.get("mode", "plain")
    if mode not in MODES:
        return HttpResponseBadRequest("mode must be plain or red", content_type="text/plain")
    try:
        return cms1500_response(claim=claim, mode=mode,
                                ctx=AuditContext.from_request(request))
    except NoProviderProfile as exc:
        return HttpResponse(str(exc), status=409, content_type="text/plain")
