"""Sessions: list, schedule, detail, edit, and the status/sign/approve actions. Thin: the
rules are in services.py; PHI shown here is audited as category "session"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.clients.errors import form_add_errors
from oasys.clients.phi import phi_read, picker_client_ids
from oasys.core.audit import AuditContext, audit_record
from oasys.core.codes import place_of_service_name
from oasys.core.csv_export import csv_date, csv_response, csv_text
from oasys.core.feedback import refusals_as_messages
from oasys.core.models import AuditAction
from oasys.core.nav import next_path, redirect_next
from oasys.core.permissions import has_permission, practice_required
from oasys.core.text import parse_id
from oasys.core.timezones import practice_today, practice_zone
from oasys.practice.selectors import clinician_list

from . import calendar, selectors, services
from .forms import AppointmentFilterForm, AppointmentForm, CalendarForm
from .models import Appointment, AppointmentStatus

APPROVALS_MAX = 200  # one screen of checkboxes; the rest after these are approved
PAGE_SIZE = 25


CSV_HEADER = ["start", "end", "client", "clinician", "service", "cpt", "place_of_service",
              "status", "note_signed", "supervisor_approved"]


@require_GET
@practice_required("sessions.view")
def appointment_export(request: HttpRequest) -> HttpResponse:
    """The sessions list as filtered, every page, as a streamed CSV. The list shows no
    money, so neither does the file (clinicians may read both)."""
    form = AppointmentFilterForm(request.GET or None, practice=request.practice)
    if request.GET and not form.is_valid():
        return HttpResponseBadRequest(
            "Not exported: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items()),
            content_type="text/plain; charset=utf-8")
    qs = selectors.appointment_list(practice=request.practice, **_filters(form))
    client_ids = sorted(set(qs.order_by().values_list("client_id", flat=True).distinct()))
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.EXPORT,
                 category="session", client_id=client_ids[0] if len(client_ids) == 1 else None,
                 detail={"export": "csv", "count": qs.count(), "client_ids": client_ids})
    zone = practice_zone(request.practice)

    def moment(value):
        return csv_date(value.astimezone(zone).replace(microsecond=0) if value else None)

    rows = ([moment(s.start), moment(s.end),
             csv_text(f"{s.client.last_name}, {s.client.first_name}"),
             csv_text(str(s.clinician)), csv_text(s.service_type.name),
             csv_text(s.service_type.cpt_code), s.place_of_service, s.get_status_display(),
             moment(s.note_signed_at), moment(s.supervisor_approved_at)]
            for s in qs.iterator(chunk_size=500))
    return csv_response(filename=f"sessions-{practice_today(request.practice)}.csv",
                        header=CSV_HEADER, rows=rows)


def _appointment(request: HttpRequest, pk: int) -> Appointment:
    return get_object_or_404(selectors.appointment_list(practice=request.practice), pk=pk)


def _new_initial(request: HttpRequest) -> dict:
    """A new session's form prefilled from the link that opened it: a client (from the
    client's page), a clinician and a start (from a calendar slot)."""
    initial = {}
    for name in ("client", "clinician", "service_type"):
        if request.GET.get(name, "").isdigit():
            initial[name] = request.GET[name]
    start = request.GET.get("start", "")
    try:
        initial["start"] = dt.datetime.strptime(start, "%Y-%m-%dT%H:%M")
    except ValueError:
        pass  # no start, or not one a slot writes: the field stays empty
    return initial
def _filters(form: AppointmentFilterForm) -> dict:
    if not form.is_valid():
        return {}
    data = form.cleaned_data
    return {
        "clinician_id": data["clinician"].pk if data["clinician"] else None,
        "client_id": data["client"].pk if data["client"] else None,
        "status": data["status"],
        "date_from": data["date_from"],
        "date_to": data["date_to"],
    }


@require_GET
@practice_required("sessions.view")
def appointment_list(request: HttpRequest) -> HttpResponse:
    form = AppointmentFilterForm(request.GET or None, practice=request.practice)
    filters = _filters(form)
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
    form = AppointmentForm(request.POST or None, initial=_new_initial(request),
                           practice=request.practice)
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
            return redirect(next_path(request) or reverse("appointments:detail",
                                                          kwargs={"pk": appointment.pk}))
    phi_read(request, categories=["demographics"], object_type="Client",
             client_ids=picker_client_ids(form))
    return render(request, "appointments/form.html",
                  {"form": form, "appointment": None, "next": next_path(request)})


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
    # Opened from the calendar or a Bill Sessions fix-it link: back to that page (a refusal's
    # message shows there too).
    return redirect_next(request, "appointments:detail", pk=appointment.pk)


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


# --- calendar -----------------------------------------------------------------------------


def _calendar_url(view: str, anchor: dt.date, clinician_param: str) -> str:
    return reverse("appointments:calendar") + "?" + urlencode(
        {"view": view, "date": anchor.isoformat(), "clinician": clinician_param})


@require_GET
@practice_required("sessions.view")
def appointment_calendar(request: HttpRequest) -> HttpResponse:
    """Week or day view of one clinician's sessions (or everyone's), in the practice's time
    zone: `?view=week|day&date=YYYY-MM-DD&clinician=<id or empty for all>`."""
    practice = request.practice
    zone = practice_zone(practice)
    today = practice_today(practice)
    form = CalendarForm(request.GET, practice=practice)
    own = clinician_list(practice=practice).filter(user=request.user).first()
    view, anchor, clinician = form.choice(own_clinician=own, today=today)
    start, end = calendar.calendar_bounds(view=view, anchor=anchor, zone=zone)
    appointments = list(selectors.appointment_calendar_list(
        practice=practice, start=start, end=end,
        clinician_id=clinician.pk if clinician else None))
    grid = calendar.calendar_grid(view=view, anchor=anchor, today=today, zone=zone,
                                  appointments=appointments)
    clinician_param = str(clinician.pk) if clinician else ""
    for day in grid.days:
        day.url = _calendar_url(calendar.DAY, day.date, clinician_param)
    phi_read(request, categories=["session"], object_type="Appointment",
             count=len(appointments), client_ids=[a.client_id for a in appointments])
    here = _calendar_url(view, anchor, clinician_param)
    new_params = {"next": here} | ({"clinician": clinician_param} if clinician else {})
    context = {
        "grid": grid,
        "view": view,
        "anchor": anchor,
        "clinician": clinician,
        "clinicians": form.fields["clinician"].queryset,
        "problems": form.problems(),
        "here": here,
        "prev_url": _calendar_url(view, calendar.calendar_step(
            view=view, anchor=anchor, direction=-1), clinician_param),
        "next_url": _calendar_url(view, calendar.calendar_step(
            view=view, anchor=anchor, direction=1), clinician_param),
        "today_url": _calendar_url(view, today, clinician_param),
        "week_url": _calendar_url(calendar.WEEK, anchor, clinician_param),
        "day_url": _calendar_url(calendar.DAY, anchor, clinician_param),
        "new_query": urlencode(new_params),
        "can_edit": has_permission(request.user, "sessions.edit"),
        "statuses": AppointmentStatus.choices,
        "timezone_name": practice.timezone,
    }
    return render(request, "appointments/calendar.html", context)


@require_GET
@practice_required("sessions.view")
def appointment_calendar_card(request: HttpRequest, pk: int) -> HttpResponse:
    """One session's card beside the calendar (loaded by htmx when a session is clicked):
    what it is and the status actions it allows now, each coming back to the calendar."""
    appointment = _appointment(request, pk)
    phi_read(request, categories=["session"], client_id=appointment.client_id,
             object_type="Appointment", object_id=appointment.pk)
    allowed = set(services.appointment_allowed_actions(appointment=appointment))
    # Completing or marking a no-show waits until the session has started (the service
    # refuses earlier), so the card does not offer it before.
    started = appointment.start <= timezone.now()
    can_edit = has_permission(request.user, "sessions.edit")
    return render(request, "appointments/_calendar_card.html", {
        "appointment": appointment,
        "next": next_path(request) or reverse("appointments:calendar"),
        "can_complete": can_edit and started and "complete" in allowed,
        "can_no_show": can_edit and started and "no_show" in allowed,
        "not_started": not started and "complete" in allowed,
    })
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
