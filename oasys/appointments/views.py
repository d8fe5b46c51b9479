"""Sessions: list, schedule, detail, edit, and the status/sign/approve actions. Thin: the
rules are in services.py; PHI shown here is audited as category "session"."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.clients.errors import form_add_errors
from oasys.clients.phi import phi_read, picker_client_ids
from oasys.core.audit import AuditContext
from oasys.core.codes import place_of_service_name
from oasys.core.feedback import refusals_as_messages
from oasys.core.nav import next_path, redirect_next
from oasys.core.permissions import practice_required
from oasys.core.text import parse_id

from . import selectors, services
from .forms import AppointmentFilterForm, AppointmentForm
from .models import Appointment

APPROVALS_MAX = 200  # one screen of checkboxes; the rest after these are approved
PAGE_SIZE = 25


def _appointment(request: HttpRequest, pk: int) -> Appointment:
    return get_object_or_404(selectors.appointment_list(practice=request.practice), pk=pk)


@require_GET
@practice_required("sessions.view")
def appointment_list(request: HttpRequest) -> HttpResponse:
    form = AppointmentFilterForm(request.GET or None, practice=request.practice)
    filters: dict = {}
    if form.is_valid():
        data = form.cleaned_data
        filters = {
            "clinician_id": data["clinician"].pk if data["clinician"] else None,
            "client_id": data["client"].pk if data["client"] else None,
            "status": data["status"],
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }
    qs = selectors.appointment_list(practice=request.practice, **filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    client_id = filters.get("client_id")
    phi_read(
        request,
        categories=["session"],
        client_id=client_id,
        object_type="Appointment",
        count=len(page),
        client_ids=[a.client_id for a in page] + picker_client_ids(form),
    )
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "appointments/list.html",
        {"form": form, "page": page, "querystring": params.urlencode()},
    )


@require_http_methods(["GET", "POST"])
@practice_required("sessions.view", post="sessions.edit")
def appointment_new(request: HttpRequest) -> HttpResponse:
    initial = {"client": request.GET.get("client")} if request.GET.get("client") else {}
    form = AppointmentForm(request.POST or None, initial=initial, practice=request.practice)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.appointment_create(
                practice=request.practice,
                ctx=AuditContext.from_request(request),
                data=form.service_data(creating=True),
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, "Session scheduled.")
            return redirect("appointments:detail", pk=appointment.pk)
    phi_read(request, categories=["demographics"], object_type="Client",
             client_ids=picker_client_ids(form))
    return render(request, "appointments/form.html", {"form": form, "appointment": None})


@require_GET
@practice_required("sessions.view")
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk)
    phi_read(
        request,
        categories=["session"],
        client_id=appointment.client_id,
        object_type="Appointment",
        object_id=appointment.pk,
    )
    # The status buttons are the session machine's allowed actions (one list for page and API).
    allowed = set(services.appointment_allowed_actions(appointment=appointment))
    unsigned = appointment.note_signed_at is None
    charge, cpt = selectors.appointment_charge(appointment=appointment)
    context = {
        # A $0 session (a free consultation, a waived no-show) is never billed: the page
        # says so instead of asking for what billing would need.
        "no_charge": charge is not None and charge == 0,
        "cpt": cpt,
        "appointment": appointment,
        "place_of_service_name": place_of_service_name(appointment.place_of_service),
        "can_complete": "complete" in allowed,
        "can_no_show": "no_show" in allowed,
        "can_cancel": "cancel" in allowed,
        "can_late_cancel": "late_cancel" in allowed,
        "can_reopen": "reopen" in allowed,
        "events": appointment.events.select_related("actor"),
        "can_sign": unsigned
        and appointment.status in services.SIGNABLE
        and services.appointment_can_sign(appointment=appointment, user=request.user),
        "needs_approval": appointment.clinician.supervisor_id is not None,
        "next": next_path(request),
        "can_approve": appointment.note_signed_at is not None
        and appointment.supervisor_approved_at is None
        and services.appointment_can_approve(appointment=appointment, user=request.user),
    }
    return render(request, "appointments/detail.html", context)


@require_http_methods(["GET", "POST"])
@practice_required("sessions.view", post="sessions.edit")
def appointment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = _appointment(request, pk)
    form = AppointmentForm(
        request.POST or None,
        initial=AppointmentForm.initial_for(appointment),
        practice=request.practice,
        appointment=appointment,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_update(
                appointment=appointment,
                ctx=AuditContext.from_request(request),
                data=form.service_data(creating=False),
            )
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, "Session saved.")
            return redirect_next(request, "appointments:detail", pk=appointment.pk)
    phi_read(
        request,
        categories=["session"],
        client_id=appointment.client_id,
        object_type="Appointment",
        object_id=appointment.pk,
        client_ids=picker_client_ids(form),
    )
    return render(request, "appointments/form.html", {"form": form, "appointment": appointment})


def _action(
    request: HttpRequest, pk: int, run: Callable[[Appointment, AuditContext], object], done: str
) -> HttpResponse:
    """Run one POST action; a refused change comes back as a message on the detail page.
    PermissionDenied propagates and answers 403."""
    appointment = _appointment(request, pk)
    with refusals_as_messages(request) as ran:
        run(appointment, AuditContext.from_request(request))
    if ran:
        messages.success(request, done)
        # Signed or approved from a Bill Sessions fix-it link: back to that (filtered) list.
        return redirect_next(request, "appointments:detail", pk=appointment.pk)
    return redirect("appointments:detail", pk=appointment.pk)


@require_POST
@practice_required("sessions.edit")
def appointment_complete(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda a, ctx: services.appointment_complete(appointment=a, ctx=ctx),
        "Session completed: it is now billable.",
    )


@require_POST
@practice_required("sessions.edit")
def appointment_no_show(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda a, ctx: services.appointment_no_show(appointment=a, ctx=ctx),
        "Marked as a no-show.",
    )


@require_POST
@practice_required("sessions.edit")
def appointment_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    late = request.POST.get("late") in {"1", "true", "on", "yes"}
    return _action(
        request,
        pk,
        lambda a, ctx: services.appointment_cancel(appointment=a, ctx=ctx, late=late),
        "Session late-cancelled." if late else "Session cancelled.",
    )


@require_POST
@practice_required("sessions.edit")
def appointment_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda a, ctx: services.appointment_reopen(appointment=a, ctx=ctx),
        "Session reopened: it is scheduled again.",
    )


@require_POST
@practice_required("sessions.clinical")
def appointment_sign_note(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda a, ctx: services.appointment_note_sign(appointment=a, actor=request.user, ctx=ctx),
        "Note signed.",
    )


@require_POST
@practice_required("sessions.clinical")
def appointment_approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda a, ctx: services.appointment_approve(appointment=a, actor=request.user, ctx=ctx),
        "Session approved.",
    )


@require_http_methods(["GET", "POST"])
@practice_required("sessions.clinical")
def appointment_approvals(request: HttpRequest) -> HttpResponse:
    """Sessions awaiting this supervisor's approval, approved several at a time (each one
    permission-checked and audited by the service, as the single Approve button is)."""
    if request.method == "POST":
        ids = [i for i in (parse_id(v) for v in request.POST.getlist("session")) if i is not None]
        if not ids:
            messages.error(request, "Select at least one session to approve.")
            return redirect("appointments:approvals")
        result = services.appointment_approve_many(
            practice=request.practice, appointment_ids=ids, actor=request.user,
            ctx=AuditContext.from_request(request))
        if result.approved:
            n = len(result.approved)
            messages.success(request, f"Approved {n} session{'s' if n != 1 else ''}: "
                                      "they can now be billed.")
        for appt_id, why in result.refused:
            messages.warning(request, f"Session {appt_id} was not approved: {why}")
        return redirect("appointments:approvals")
    sessions = list(selectors.appointment_awaiting_approval_list(
        practice=request.practice, user=request.user)[:APPROVALS_MAX])
    phi_read(request, categories=["session"], object_type="Appointment", count=len(sessions),
             client_ids=[a.client_id for a in sessions])
    return render(request, "appointments/approvals.html",
                  {"sessions": sessions, "limit": APPROVALS_MAX})
