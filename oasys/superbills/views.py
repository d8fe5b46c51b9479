"""Billing → Manage Superbills: the list with its actions, and Create Superbill (choose the
period and clients, review the eligible sessions, choose the kind, preview, create)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.feedback import refusals_as_messages
from oasys.core.models import AuditAction
from oasys.core.permissions import practice_required
from oasys.core.timezones import practice_today

from .forms import SuperbillChooseForm, SuperbillCreateForm
from .machine import SUPERBILL_MACHINE
from .models import Superbill, SuperbillKind
from .pdf import superbill_pdf
from .selectors import eligible_sessions, superbill_list, superbill_preview
from .services import superbill_create, superbill_recreate, superbill_send, superbill_void


@require_GET
@practice_required("billing.work")
def superbills(request: HttpRequest) -> HttpResponse:
    page = Paginator(superbill_list(practice=request.practice), 50).get_page(
        request.GET.get("page"))
    rows = [{"sb": sb, "sessions": len(sb.lines.all()),
             "total": sum((ln.fee for ln in sb.lines.all()), 0),
             "actions": SUPERBILL_MACHINE.allowed_action_names(sb)} for sb in page]
    return render(request, "superbills/list.html", {"page": page, "rows": rows})


def _review(request: HttpRequest, data) -> tuple[SuperbillChooseForm, list]:
    form = SuperbillChooseForm(data, practice=request.practice)
    sessions: list = []
    if form.is_valid():
        sessions = eligible_sessions(
            practice=request.practice, client_ids=[c.pk for c in form.cleaned_data["clients"]],
            date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"])
    return form, sessions


@require_http_methods(["GET", "POST"])
@practice_required("billing.work")
def superbill_new(request: HttpRequest) -> HttpResponse:
    """GET: step 1, then (with the period and clients) the review. POST: create."""
    data = request.POST if request.method == "POST" else (request.GET or None)
    choose, sessions = _review(request, data)
    create_form = None
    if request.method == "POST" and choose.is_valid():
        create_form = SuperbillCreateForm(request.POST, practice=request.practice,
                                          session_ids=[s.appointment.pk for s in sessions
                                                       if s.selectable])
        if create_form.is_valid():
            cd = create_form.cleaned_data
            with refusals_as_messages(request, prefix="Nothing was made: ") as done:
                made = superbill_create(
                    practice=request.practice, client_ids=[c.pk for c in cd["clients"]],
                    date_from=cd["date_from"], date_to=cd["date_to"], kind=cd["kind"],
                    appointment_ids=cd["sessions"], ctx=AuditContext.from_request(request),
                    actor=request.user)
            if done:
                numbers = ", ".join(sb.number for sb in made)
                messages.success(request, f"Made {len(made)} superbill"
                                 f"{'s' if len(made) != 1 else ''}: {numbers}.")
                return redirect("superbills:list")
    if sessions and create_form is None:
        ticked = [s.appointment.pk for s in sessions if s.selectable]
        kind = SuperbillKind.CONSOLIDATED
    else:
        ticked = create_form.data.getlist("sessions") if create_form is not None else []
        ticked = [int(i) for i in ticked if str(i).isdigit()]
        kind = (create_form.data.get("kind") if create_form is not None else None) \
            or SuperbillKind.CONSOLIDATED
    # the picker names every client, the review their sessions: a read of those clients
    audit_list_read(request, category="demographics",
                    client_ids=list(choose.fields["clients"].queryset.values_list(
                        "pk", flat=True)),
                    detail={"list": "superbill client picker"})
    return render(request, "superbills/new.html", {
        "form": choose, "sessions": sessions, "ticked": ticked, "kind": kind,
        "kinds": SuperbillKind.choices, "create_form": create_form,
        "reviewing": choose.is_bound and choose.is_valid(),
    }, status=422 if create_form is not None else 200)


@require_POST
@practice_required("billing.work")
def superbill_preview_pdf(request: HttpRequest) -> HttpResponse:
    """What Create would make of the ticked sessions, as one PDF in the browser (nothing is
    made). Shows the client's data, so it is audited as an export."""
    choose = SuperbillChooseForm(request.POST, practice=request.practice)
    if not choose.is_valid():
        return HttpResponse("Choose the period and the clients first.", status=422,
                            content_type="text/plain")
    cd = choose.cleaned_data
    ids = [int(i) for i in request.POST.getlist("sessions") if i.isdigit()]
    kind = request.POST.get("kind") or SuperbillKind.CONSOLIDATED
    if kind not in SuperbillKind.values or not ids:
        return HttpResponse("Tick at least one session and choose the kind.", status=422,
                            content_type="text/plain")
    statements = superbill_preview(
        practice=request.practice, client_ids=[c.pk for c in cd["clients"]],
        date_from=cd["date_from"], date_to=cd["date_to"], kind=kind, appointment_ids=ids,
        today=practice_today(request.practice))
    if not statements:
        return HttpResponse("None of the ticked sessions can go on a superbill.", status=422,
                            content_type="text/plain")
    ctx = AuditContext.from_request(request)
    for client_id in sorted({s.client.pk for s in statements}):
        audit_record(ctx=ctx, action=AuditAction.EXPORT, category="superbill",
                     client_id=client_id, object_type="SuperbillPreview",
                     detail={"format": "pdf", "preview": True})
    response = HttpResponse(superbill_pdf(statements=statements),
                            content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="superbill-preview.pdf"'
    return response


def _superbill_or_404(request: HttpRequest, pk: int) -> Superbill:
    return get_object_or_404(superbill_list(practice=request.practice), pk=pk)


@require_POST
@practice_required("billing.work")
def superbill_send_view(request: HttpRequest, pk: int) -> HttpResponse:
    sb = _superbill_or_404(request, pk)
    with refusals_as_messages(request, prefix="Not sent: ") as done:
        sb = superbill_send(superbill=sb, ctx=AuditContext.from_request(request),
                            actor=request.user)
    if done:
        messages.success(request, f"Superbill {sb.number} is being emailed to {sb.sent_to}.")
    return redirect("superbills:list")


@require_POST
@practice_required("billing.work")
def superbill_void_view(request: HttpRequest, pk: int) -> HttpResponse:
    sb = _superbill_or_404(request, pk)
    with refusals_as_messages(request, prefix="Not voided: ") as done:
        superbill_void(superbill=sb, ctx=AuditContext.from_request(request),
                       actor=request.user, reason=request.POST.get("reason", ""))
    if done:
        messages.success(request, f"Superbill {sb.number} is void; its sessions may go on a "
                                  "new superbill.")
    return redirect("superbills:list")


@require_POST
@practice_required("billing.work")
def superbill_recreate_view(request: HttpRequest, pk: int) -> HttpResponse:
    sb = _superbill_or_404(request, pk)
    with refusals_as_messages(request, prefix="Not recreated: ") as done:
        new = superbill_recreate(superbill=sb, ctx=AuditContext.from_request(request),
                                 actor=request.user)
    if done:
        messages.success(request, f"Superbill {sb.number} is void; made {new.number} from "
                                  "its sessions.")
    return redirect("superbills:list")
