"""Billing → Setup screens. Thin: forms validate, services write, selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from oasys.core.addresses import ZIP4_REQUIRED, is_zip4
from oasys.core.audit import AuditContext
from oasys.core.feedback import refusals_as_messages
from oasys.core.identifiers import tax_id_masked
from oasys.core.nav import redirect_next
from oasys.core.permissions import has_permission, practice_required
from oasys.core.text import parse_id

from . import selectors, services
from .cpt import KNOWN_CODE_GROUPS
from .forms import (
    AcceptedPayerAddForm,
    ClinicianForm,
    EnrollmentStatusForm,
    ExtraServiceCodeForm,
    ProviderProfileForm,
    ServiceTypeForm,
)
from .machine import ENROLLMENT_MACHINE
from .models import EnrollmentStatus, TransactionType
from .taxonomy import behavioral_taxonomies, taxonomy_label

ENROLLMENT_NOTICE = (
    "Enrollment is processed through our clearinghouse and may take 5–15 business days per payer."
)
_BADGE = {
    EnrollmentStatus.ACTIVE: "ok",
    EnrollmentStatus.PENDING: "warn",
    EnrollmentStatus.REJECTED: "bad",
    EnrollmentStatus.NOT_STARTED: "",
}


def _can_edit(request: HttpRequest) -> bool:
    return has_permission(request.user, "practice.settings")


def _require_edit(request: HttpRequest) -> None:
    if not _can_edit(request):
        raise PermissionDenied("Only the owner or a biller can change Billing Setup")


def _form_errors_from(form: Form, exc: ValidationError) -> None:
    """Show a service's ValidationError beside the field it names."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _enrollment_cells(accepted) -> list[tuple]:
    """(enrollment or None, badge class) per transaction column, in a fixed order."""
    by_type = {e.transaction_type: e for e in accepted.enrollments.all()}
    cells = []
    for txn in TransactionType.values:
        e = by_type.get(txn)
        cells.append((e, _BADGE.get(e.status, "") if e else ""))
    return cells


def _ctx(request: HttpRequest, section: str, **extra) -> dict:
    return {"section": section, "can_edit": _can_edit(request), **extra}


@require_GET
@practice_required("practice.view")
def setup(request: HttpRequest) -> HttpResponse:
    practice = request.practice
    profile = selectors.provider_profile_get(practice=practice)
    missing = selectors.provider_profile_completeness(practice)
    return render(
        request,
        "practice/setup.html",
        _ctx(
            request,
            "setup",
            profile=profile,
            missing_labels=[selectors.provider_field_label(f) for f in missing],
            # A ZIP saved before ZIP+4 was required: claims would be refused until it is fixed.
            zip4_message=ZIP4_REQUIRED
            if profile and profile.zip_code and not is_zip4(profile.zip_code) else "",
            tax_id_display=tax_id_masked(profile.tax_id) if profile and profile.tax_id else "",
            taxonomy_display=taxonomy_label(profile.taxonomy_code) if profile else "",
            has_payers=selectors.accepted_payers_exist(practice=practice),
            enrollment=selectors.enrollment_summary(practice=practice),
            service_types=selectors.service_type_list(practice=practice, active_only=True),
            clinicians=selectors.clinician_list(practice=practice),
        ),
    )


@require_http_methods(["GET", "POST"])
@practice_required("practice.settings")
def provider(request: HttpRequest) -> HttpResponse:
    practice = request.practice
    profile = selectors.provider_profile_get(practice=practice)
    stored = profile.tax_id if profile else ""
    form = ProviderProfileForm(
        data=request.POST if request.method == "POST" else None,
        initial=selectors.provider_profile_initial(practice=practice),
        stored_tax_id=stored,
    )
    if request.method == "POST" and form.is_valid():
        services.provider_profile_update(
            practice=practice,
            actor_ctx=AuditContext.from_request(request),
            data=form.cleaned_data,
        )
        messages.success(request, "Provider information saved.")
        return redirect_next(request, "practice:setup")
    return render(
        request,
        "practice/provider_form.html",
        _ctx(
            request,
            "provider",
            form=form,
            prefilled=profile is None,
            taxonomies=behavioral_taxonomies(),
        ),
    )


@require_http_methods(["GET", "POST"])
@practice_required("practice.view", post="practice.settings")
def payers(request: HttpRequest) -> HttpResponse:
    practice = request.practice
    if request.method == "POST":
        _require_edit(request)
        form = AcceptedPayerAddForm(request.POST)
        payer = selectors.payer_get(pk=form.cleaned_data["payer"]) if form.is_valid() else None
        if payer is None:
            messages.error(request, "That payer is not in the directory.")
            return redirect("practice:payers")
        with refusals_as_messages(request) as ran:
            accepted = services.accepted_payer_add(
                practice=practice, actor_ctx=AuditContext.from_request(request), payer=payer
            )
        if not ran:
            return redirect("practice:payers")
        messages.success(request, f"{payer.name} added. Next: enroll for the transactions below.")
        return redirect("practice:accepted_payer", pk=accepted.pk)
    return render(
        request,
        "practice/payers.html",
        _ctx(
            request,
            "payers",
            accepted=[
                (ap, _enrollment_cells(ap))
                for ap in selectors.accepted_payer_list(practice=practice)
            ],
            notice=ENROLLMENT_NOTICE,
            query=request.GET.get("q", ""),
        ),
    )


@require_GET
@practice_required("practice.view")
def payer_search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    results = selectors.payer_search(query=query, limit=20) if query else []
    return render(
        request,
        "practice/_payer_results.html",
        _ctx(
            request,
            "payers",
            query=query,
            results=results,
            accepted_ids=selectors.accepted_payer_payer_ids(practice=request.practice),
        ),
    )


@require_http_methods(["GET", "POST"])
@practice_required("practice.view", post="practice.settings")
def accepted_payer(request: HttpRequest, pk: int) -> HttpResponse:
    practice = request.practice
    accepted = get_object_or_404(selectors.accepted_payer_list(practice=practice), pk=pk)
    enrollments = list(accepted.enrollments.all())
    forms = {
        e.pk: EnrollmentStatusForm(
            prefix=f"e{e.pk}",
            initial={"status": e.status, "effective_date": e.effective_date, "note": e.note},
        )
        for e in enrollments
    }
    if request.method == "POST":
        _require_edit(request)
        enrollment = get_object_or_404(
            selectors.enrollment_list(practice=practice).filter(accepted_payer=accepted),
            pk=parse_id(request.POST.get("enrollment")) or 0,
        )
        form = EnrollmentStatusForm(request.POST, prefix=f"e{enrollment.pk}")
        if form.is_valid():
            try:
                services.enrollment_status_set(
                    practice=practice,
                    actor_ctx=AuditContext.from_request(request),
                    enrollment=enrollment,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                _form_errors_from(form, exc)
            else:
                messages.success(
                    request, f"{enrollment.get_transaction_type_display()} enrollment updated."
                )
                return redirect("practice:accepted_payer", pk=accepted.pk)
        forms[enrollment.pk] = form
    # Each enrollment's possible actions come from the enrollment machine.
    rows = [(e, forms[e.pk], _BADGE.get(e.status, ""),
             ENROLLMENT_MACHINE.allowed_action_names(e)) for e in enrollments]
    return render(
        request,
        "practice/accepted_payer.html",
        _ctx(request, "payers", accepted=accepted, rows=rows, notice=ENROLLMENT_NOTICE),
    )



@require_http_methods(["GET", "POST"])
@practice_required("practice.settings")
def accepted_payer_remove(request: HttpRequest, pk: int) -> HttpResponse:
    practice = request.practice
    accepted = get_object_or_404(selectors.accepted_payer_list(practice=practice), pk=pk)
    if request.method == "POST":
        name = accepted.payer.name
        services.accepted_payer_remove(
            practice=practice, actor_ctx=AuditContext.from_request(request), accepted_payer=accepted
        )
        messages.success(request, f"{name} removed from your accepted payers.")
        return redirect("practice:payers")
    return render(
        request, "practice/accepted_payer_remove.html", _ctx(request, "payers", accepted=accepted)
    )


@require_GET
@practice_required("practice.view")
def service_types(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "practice/service_types.html",
        _ctx(
            request,
            "service_types",
            service_types=selectors.service_type_list(practice=request.practice),
        ),
    )


@require_http_methods(["GET", "POST"])
@practice_required("practice.settings")
def service_type_new(request: HttpRequest) -> HttpResponse:
    return _service_type_form(request, service_type=None)


@require_http_methods(["GET", "POST"])
@practice_required("practice.settings")
def service_type_edit(request: HttpRequest, pk: int) -> HttpResponse:
    service_type = get_object_or_404(selectors.service_type_list(practice=request.practice), pk=pk)
    return _service_type_form(request, service_type=service_type)


def _service_type_form(request: HttpRequest, *, service_type) -> HttpResponse:
    initial = None
    if service_type is not None:
        initial = {f: getattr(service_type, f) for f in services.SERVICE_TYPE_FIELDS}
    form = ServiceTypeForm(request.POST or None, initial=initial, practice=request.practice)
    if request.method == "POST" and form.is_valid():
        ctx = AuditContext.from_request(request)
        try:
            if service_type is None:
                services.service_type_create(
                    practice=request.practice, actor_ctx=ctx, data=form.cleaned_data
                )
            else:
                services.service_type_update(
                    practice=request.practice,
                    actor_ctx=ctx,
                    service_type=service_type,
                    data=form.cleaned_data,
                )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, f"Service type “{form.cleaned_data['name']}” saved.")
            return redirect_next(request, "practice:service_types")
    return render(
        request,
        "practice/service_type_form.html",
        _ctx(request, "service_types", form=form, service_type=service_type),
    )


@require_http_methods(["GET", "POST"])
@practice_required("practice.view", post="practice.settings")
def service_codes(request: HttpRequest) -> HttpResponse:
    """The CPT/HCPCS codes Oasys knows for behavioral health, and the practice's own extra
    codes (added here on purpose, so a typo like 99999 is still refused elsewhere)."""
    form = ExtraServiceCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            extra = services.extra_service_code_add(
                practice=request.practice, actor_ctx=AuditContext.from_request(request),
                code=form.cleaned_data["code"], description=form.cleaned_data["description"])
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, f"{extra.code} added: you can now use it on service "
                             "types, pricing rules and estimates.")
            return redirect("practice:service_codes")
    return render(
        request,
        "practice/service_codes.html",
        _ctx(request, "service_codes", form=form, known_groups=KNOWN_CODE_GROUPS,
             extra_codes=selectors.extra_service_code_list(practice=request.practice)),
        status=422 if form.errors else 200,
    )


@require_http_methods(["POST"])
@practice_required("practice.settings")
def service_code_remove(request: HttpRequest, pk: int) -> HttpResponse:
    extra = get_object_or_404(selectors.extra_service_code_list(practice=request.practice), pk=pk)
    code = extra.code
    services.extra_service_code_remove(
        practice=request.practice, actor_ctx=AuditContext.from_request(request), extra=extra)
    messages.success(request, f"{code} removed. Sessions that still use it will show "
                     "“CPT code not valid” in Bill Sessions until their code is changed.")
    return redirect("practice:service_codes")


@require_GET
@practice_required("practice.view")
def clinicians(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "practice/clinicians.html",
        _ctx(request, "clinicians", clinicians=selectors.clinician_list(practice=request.practice)),
    )


@require_http_methods(["GET", "POST"])
@practice_required("practice.settings")
def clinician_new(request: HttpRequest) -> HttpResponse:
    return _clinician_form(request, clinician=None)


@require_http_methods(["GET", "POST"])
@practice_required("practice.settings")
def clinician_edit(request: HttpRequest, pk: int) -> HttpResponse:
    clinician = get_object_or_404(selectors.clinician_list(practice=request.practice), pk=pk)
    return _clinician_form(request, clinician=clinician)


def _clinician_form(request: HttpRequest, *, clinician) -> HttpResponse:
    initial = None
    if clinician is not None:
        initial = {f: getattr(clinician, f) for f in services.CLINICIAN_FIELDS}
    form = ClinicianForm(
        request.POST or None, initial=initial, practice=request.practice, clinician=clinician
    )
    if request.method == "POST" and form.is_valid():
        ctx = AuditContext.from_request(request)
        try:
            if clinician is None:
                services.clinician_create(
                    practice=request.practice, actor_ctx=ctx, data=form.cleaned_data
                )
            else:
                services.clinician_update(
                    practice=request.practice,
                    actor_ctx=ctx,
                    clinician=clinician,
                    data=form.cleaned_data,
                )
        except ValidationError as exc:
            _form_errors_from(form, exc)
        else:
            messages.success(request, "Clinician saved.")
            return redirect_next(request, "practice:clinicians")
    return render(
        request,
        "practice/clinician_form.html",
        _ctx(
            request,
            "clinicians",
            form=form,
            clinician=clinician,
            taxonomies=behavioral_taxonomies(),
        ),
    )
