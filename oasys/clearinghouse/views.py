"""EDI history: every file exchanged with the clearinghouse, for the practice's billers."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from oasys.core.audit import AuditContext, audit_list_read
from oasys.core.feedback import refusals_as_messages
from oasys.core.permissions import practice_required
from oasys.practice import selectors as practice_selectors

from .models import Direction
from .port import ClearinghouseError
from .selectors import edi_file_client_ids, edi_file_get, edi_file_list
from .services import enrollment_submit as submit

SET_IDS = ("837", "999", "277", "835")


@practice_required("billing.work")
def files(request: HttpRequest) -> HttpResponse:
    set_id = request.GET.get("type") if request.GET.get("type") in SET_IDS else None
    direction = request.GET.get("direction") if request.GET.get("direction") in \
        Direction.values else None
    qs = edi_file_list(practice=request.practice, set_id=set_id, direction=direction)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "clearinghouse/files.html", {
        "page": page, "set_ids": SET_IDS, "set_id": set_id, "direction": direction,
        "directions": Direction.choices})


@practice_required("billing.work")
def file(request: HttpRequest, pk: int) -> HttpResponse:
    edi_file = edi_file_get(practice=request.practice, pk=pk)
    # raw EDI names patients: viewing it is a read of client data
    audit_list_read(request, category="edi_file", obj=edi_file,
                    client_ids=edi_file_client_ids(edi_file=edi_file))
    return render(request, "clearinghouse/file.html", {
        "file": edi_file,
        "raw_lines": edi_file.raw.replace("~", "~\n").strip(),
        "summary_json": json.dumps(edi_file.summary, indent=2, default=str)})


@require_POST
@practice_required("practice.settings")
def enrollment_submit(request: HttpRequest, pk: int, enrollment_pk: int) -> HttpResponse:
    """Send one enrollment to the clearinghouse (or refresh it if it was sent already).

    The button is on the practice's accepted-payer page; the view lives here because the
    clearinghouse app builds on the practice app (its models), not the other way round."""
    practice = request.practice
    accepted = get_object_or_404(practice_selectors.accepted_payer_list(practice=practice), pk=pk)
    enrollment = get_object_or_404(
        practice_selectors.enrollment_list(practice=practice).filter(accepted_payer=accepted),
        pk=enrollment_pk,
    )
    sent = False
    try:
        with refusals_as_messages(request):
            enrollment = submit(enrollment=enrollment, ctx=AuditContext.from_request(request))
            sent = True
    except ClearinghouseError as exc:
        messages.error(request, f"The clearinghouse could not take the enrollment: {exc.message}")
    if sent:
        messages.success(
            request,
            f"{enrollment.get_transaction_type_display()} enrollment sent: "
            f"{enrollment.get_status_display().lower()}.",
        )
    return redirect("practice:accepted_payer", pk=accepted.pk)
