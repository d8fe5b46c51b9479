"""REST API for Billing Setup, mounted at /api/v1/practice. Same forms (validation), services
(writes) and selectors (reads) as the screens; every lookup is scoped to the caller's practice,
so another practice's id answers 404."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from oasys.core.api import ErrorsOut, PageOut, page_body
from oasys.core.audit import AuditContext
from oasys.core.identifiers import tax_id_masked
from oasys.core.money import money_str
from oasys.core.permissions import api_permission

from . import selectors, services
from .cpt import KNOWN_CODE_GROUPS
from .forms import ClinicianForm, ProviderProfileForm, ServiceTypeForm
from .models import AcceptedPayer, Clinician, Enrollment, ServiceType

router = Router(tags=["practice"])


def _errors(form: Form) -> dict[str, str]:
    return {field: " ".join(str(m) for m in msgs) for field, msgs in form.errors.items()}


def _service_errors(exc: ValidationError) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {field: " ".join(msgs) for field, msgs in exc.message_dict.items()}
    return {"__all__": " ".join(exc.messages)}


def _form_data(payload: Schema) -> dict:
    """Schema -> form data: None means "not given"; booleans stay booleans."""
    return {k: v for k, v in payload.dict().items() if v is not None}


# --- Provider information -------------------------------------------------------------------


class ProviderOut(Schema):
    provider_type: str
    organization_name: str
    first_name: str
    last_name: str
    billing_name: str
    npi: str
    tax_id_masked: str
    tax_id_type: str
    accept_assignment: bool
    taxonomy_code: str
    contact_name: str
    contact_email: str
    contact_phone: str
    address1: str
    address2: str
    city: str
    state: str
    zip_code: str
    complete: bool
    missing: list[str]


class ProviderIn(Schema):
    provider_type: str | None = None
    organization_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    npi: str | None = None
    tax_id: str | None = None
    tax_id_type: str | None = None
    accept_assignment: bool = False
    taxonomy_code: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None


def _provider_out(practice) -> dict:
    profile = selectors.provider_profile_get(practice=practice)
    missing = selectors.provider_profile_completeness(practice)
    data = selectors.provider_profile_initial(practice=practice)
    fields = ProviderOut.model_fields
    out = {f: data.get(f, "") for f in fields if f not in {"complete", "missing"}}
    out.update(
        provider_type=data.get("provider_type", "individual"),
        tax_id_type=data.get("tax_id_type", "ein"),
        accept_assignment=bool(data.get("accept_assignment", True)),
        billing_name=profile.billing_name if profile else "",
        tax_id_masked=tax_id_masked(profile.tax_id) if profile and profile.tax_id else "",
        complete=not missing,
        missing=missing,
    )
    return out


@router.get("/provider", response=ProviderOut)
@api_permission("practice.settings")
def provider_get(request: HttpRequest) -> dict:
    """The billing provider (pre-filled from the owner's profile until saved). The tax ID is
    only ever returned masked."""
    return _provider_out(request.practice)


@router.put("/provider", response={200: ProviderOut, 422: ErrorsOut})
@api_permission("practice.settings")
def provider_put(request: HttpRequest, payload: ProviderIn):
    """Replace the provider information. Omit tax_id (or send the masked value) to keep it."""
    profile = selectors.provider_profile_get(practice=request.practice)
    data = _form_data(payload)
    stored = profile.tax_id if profile else ""
    if stored and "tax_id" not in data:
        data["tax_id"] = tax_id_masked(stored)
    form = ProviderProfileForm(data=data, stored_tax_id=stored)
    if not form.is_valid():
        return 422, {"errors": _errors(form)}
    services.provider_profile_update(
        practice=request.practice,
        actor_ctx=AuditContext.from_request(request),
        data=form.cleaned_data,
    )
    return 200, _provider_out(request.practice)


# --- Payer directory and accepted payers ----------------------------------------------------


class PayerOut(Schema):
    id: int
    name: str
    payer_id_claims: str
    payer_id_era: str
    payer_id_eligibility: str
    supports_claims: bool
    supports_era: bool
    supports_eligibility: bool
    enrollment_required_claims: bool
    enrollment_required_era: bool
    enrollment_required_eligibility: bool


class PayerListOut(PageOut):
    items: list[PayerOut]


class AcceptedPayerListOut(PageOut):
    items: list[AcceptedPayerOut]


class ServiceTypeListOut(PageOut):
    items: list[ServiceTypeOut]


class ClinicianListOut(PageOut):
    items: list[ClinicianOut]


SEARCH_MAX = 50  # a typeahead: the best matches only, however the pages are cut


@router.get("/payers/search", response=PayerListOut)
@api_permission("practice.view")
def payers_search(request: HttpRequest, q: str = "", page: int = 1, page_size: int = 20) -> dict:
    found = selectors.payer_search(query=q[:100], limit=SEARCH_MAX)
    return page_body(found, page=page, page_size=page_size, max_size=SEARCH_MAX)


class EnrollmentOut(Schema):
    id: int
    transaction_type: str
    transaction_label: str
    status: str
    submitted_at: dt.datetime | None
    status_changed_at: dt.datetime | None
    effective_date: dt.date | None
    note: str

    @staticmethod
    def resolve_transaction_label(obj: Enrollment) -> str:
        return obj.get_transaction_type_display()


class AcceptedPayerOut(Schema):
    id: int
    payer: PayerOut
    enrollments: list[EnrollmentOut]
    created_at: dt.datetime

    @staticmethod
    def resolve_enrollments(obj: AcceptedPayer) -> list[Enrollment]:
        return list(obj.enrollments.all())


class AcceptedPayerIn(Schema):
    payer_id: int


@router.get("/accepted-payers", response=AcceptedPayerListOut)
@api_permission("practice.view")
def accepted_payers_list(request: HttpRequest, page: int = 1, page_size: int = 100) -> dict:
    return page_body(selectors.accepted_payer_list(practice=request.practice), page=page,
                     page_size=page_size)


@router.post("/accepted-payers", response={201: AcceptedPayerOut, 422: ErrorsOut})
@api_permission("practice.settings")
def accepted_payers_add(request: HttpRequest, payload: AcceptedPayerIn):
    payer = selectors.payer_get(pk=payload.payer_id)
    if payer is None:
        return 422, {"errors": {"payer_id": "No payer with this id in the directory."}}
    try:
        accepted = services.accepted_payer_add(
            practice=request.practice, actor_ctx=AuditContext.from_request(request), payer=payer
        )
    except ValidationError as exc:
        return 422, {"errors": {"payer_id": " ".join(exc.messages)}}
    return 201, get_object_or_404(
        selectors.accepted_payer_list(practice=request.practice), pk=accepted.pk
    )


@router.get("/accepted-payers/{accepted_payer_id}", response=AcceptedPayerOut)
@api_permission("practice.view")
def accepted_payers_get(request: HttpRequest, accepted_payer_id: int) -> AcceptedPayer:
    return get_object_or_404(
        selectors.accepted_payer_list(practice=request.practice), pk=accepted_payer_id
    )


# --- Service types --------------------------------------------------------------------------


class ServiceTypeOut(Schema):
    id: int
    name: str
    cpt_code: str
    rate: str | None
    # None: a no-show is charged like the session; "0.00": no-shows are not billed.
    no_show_fee: str | None
    duration_minutes: int
    place_of_service: str
    modifiers: list[str]
    is_active: bool

    @staticmethod
    def resolve_rate(obj: ServiceType) -> str | None:
        return money_str(obj.rate)

    @staticmethod
    def resolve_no_show_fee(obj: ServiceType) -> str | None:
        return money_str(obj.no_show_fee)

    @staticmethod
    def resolve_modifiers(obj: ServiceType) -> list[str]:
        return obj.modifier_list


class ServiceTypeIn(Schema):
    name: str | None = None
    cpt_code: str | None = None
    # A string keeps cents exact ("130.50"); whole dollars may be a JSON integer. A JSON
    # fraction would arrive as a float, so it is refused rather than rounded.
    rate: str | int | None = None
    no_show_fee: str | int | None = None
    duration_minutes: int | str | None = None
    place_of_service: str | None = None
    modifiers: str | list[str] | None = None
    is_active: bool = True


def _service_type_data(payload: ServiceTypeIn) -> dict:
    data = _form_data(payload)
    if isinstance(data.get("modifiers"), list):
        data["modifiers"] = ",".join(data["modifiers"])
    for name in ("rate", "no_show_fee"):
        if data.get(name) is not None:
            data[name] = str(data[name])
    return data


@router.get("/service-types", response=ServiceTypeListOut)
@api_permission("practice.view")
def service_types_list(request: HttpRequest, page: int = 1, page_size: int = 100) -> dict:
    return page_body(selectors.service_type_list(practice=request.practice), page=page,
                     page_size=page_size)


@router.post("/service-types", response={201: ServiceTypeOut, 422: ErrorsOut})
@api_permission("practice.settings")
def service_types_create(request: HttpRequest, payload: ServiceTypeIn):
    form = ServiceTypeForm(data=_service_type_data(payload), practice=request.practice)
    if not form.is_valid():
        return 422, {"errors": _errors(form)}
    try:
        service_type = services.service_type_create(
            practice=request.practice,
            actor_ctx=AuditContext.from_request(request),
            data=form.cleaned_data,
        )
    except ValidationError as exc:
        return 422, {"errors": _service_errors(exc)}
    return 201, service_type


@router.get("/service-types/{service_type_id}", response=ServiceTypeOut)
@api_permission("practice.view")
def service_types_get(request: HttpRequest, service_type_id: int) -> ServiceType:
    return get_object_or_404(
        selectors.service_type_list(practice=request.practice), pk=service_type_id
    )


@router.put("/service-types/{service_type_id}", response={200: ServiceTypeOut, 422: ErrorsOut})
@api_permission("practice.settings")
def service_types_update(request: HttpRequest, service_type_id: int, payload: ServiceTypeIn):
    service_type = get_object_or_404(
        selectors.service_type_list(practice=request.practice), pk=service_type_id
    )
    form = ServiceTypeForm(data=_service_type_data(payload), practice=request.practice)
    if not form.is_valid():
        return 422, {"errors": _errors(form)}
    try:
        service_type = services.service_type_update(
            practice=request.practice,
            actor_ctx=AuditContext.from_request(request),
            service_type=service_type,
            data=form.cleaned_data,
        )
    except ValidationError as exc:
        return 422, {"errors": _service_errors(exc)}
    return 200, service_type


# --- Extra service codes --------------------------------------------------------------------


class ServiceCodeOut(Schema):
    id: int
    code: str
    description: str
    created_at: dt.datetime


class ServiceCodeListOut(PageOut):
    items: list[ServiceCodeOut]


class ServiceCodeIn(Schema):
    code: str
    description: str = ""


class KnownCodeOut(Schema):
    code: str
    description: str
    group: str


class KnownCodeListOut(PageOut):
    items: list[KnownCodeOut]


@router.get("/service-codes", response=ServiceCodeListOut)
@api_permission("practice.view")
def service_codes_list(request: HttpRequest, page: int = 1, page_size: int = 100) -> dict:
    """The CPT/HCPCS codes this practice added beyond the ones Oasys knows."""
    return page_body(selectors.extra_service_code_list(practice=request.practice), page=page,
                     page_size=page_size)


@router.get("/service-codes/known", response=KnownCodeListOut)
@api_permission("practice.view")
def service_codes_known(request: HttpRequest, page: int = 1, page_size: int = 100) -> dict:
    """The behavioral-health codes Oasys accepts without adding them, in the one list
    envelope like every list route."""
    rows = [{"code": code, "description": text, "group": group}
            for group, codes in KNOWN_CODE_GROUPS.items() for code, text in codes.items()]
    return page_body(rows, page=page, page_size=page_size)


@router.post("/service-codes", response={201: ServiceCodeOut, 422: ErrorsOut})
@api_permission("practice.settings")
def service_codes_add(request: HttpRequest, payload: ServiceCodeIn):
    try:
        extra = services.extra_service_code_add(
            practice=request.practice, actor_ctx=AuditContext.from_request(request),
            code=payload.code, description=payload.description)
    except ValidationError as exc:
        return 422, {"errors": _service_errors(exc)}
    return 201, extra


@router.delete("/service-codes/{service_code_id}", response={204: None})
@api_permission("practice.settings")
def service_codes_remove(request: HttpRequest, service_code_id: int) -> tuple[int, None]:
    extra = get_object_or_404(selectors.extra_service_code_list(practice=request.practice),
                              pk=service_code_id)
    services.extra_service_code_remove(practice=request.practice,
                                       actor_ctx=AuditContext.from_request(request), extra=extra)
    return 204, None


# --- Clinicians -----------------------------------------------------------------------------


class ClinicianOut(Schema):
    id: int
    first_name: str
    last_name: str
    credentials: str
    npi: str
    taxonomy_code: str
    license_number: str
    license_state: str
    supervisor_id: int | None
    user_id: int | None
    is_active: bool


class ClinicianIn(Schema):
    first_name: str | None = None
    last_name: str | None = None
    credentials: str | None = None
    npi: str | None = None
    taxonomy_code: str | None = None
    license_number: str | None = None
    license_state: str | None = None
    supervisor_id: int | None = None
    user_id: int | None = None
    is_active: bool = True


def _clinician_data(payload: ClinicianIn) -> dict:
    data = _form_data(payload)
    # Form field names are "supervisor"/"user"; their choices are limited to this practice.
    for api_name, form_name in (("supervisor_id", "supervisor"), ("user_id", "user")):
        if api_name in data:
            data[form_name] = data.pop(api_name)
    return data


def _clinician_errors(form: Form) -> dict[str, str]:
    renamed = {"supervisor": "supervisor_id", "user": "user_id"}
    return {renamed.get(k, k): v for k, v in _errors(form).items()}


def _clinician_save(request: HttpRequest, payload: ClinicianIn, clinician: Clinician | None):
    form = ClinicianForm(
        data=_clinician_data(payload), practice=request.practice, clinician=clinician
    )
    if not form.is_valid():
        return 422, {"errors": _clinician_errors(form)}
    ctx = AuditContext.from_request(request)
    try:
        if clinician is None:
            saved = services.clinician_create(
                practice=request.practice, actor_ctx=ctx, data=form.cleaned_data
            )
        else:
            saved = services.clinician_update(
                practice=request.practice,
                actor_ctx=ctx,
                clinician=clinician,
                data=form.cleaned_data,
            )
    except ValidationError as exc:
        renamed = {"supervisor": "supervisor_id", "user": "user_id"}
        return 422, {"errors": {renamed.get(k, k): v for k, v in _service_errors(exc).items()}}
    return (201 if clinician is None else 200), saved


@router.get("/clinicians", response=ClinicianListOut)
@api_permission("practice.view")
def clinicians_list(request: HttpRequest, page: int = 1, page_size: int = 100) -> dict:
    return page_body(selectors.clinician_list(practice=request.practice), page=page,
                     page_size=page_size)


@router.post("/clinicians", response={201: ClinicianOut, 422: ErrorsOut})
@api_permission("practice.settings")
def clinicians_create(request: HttpRequest, payload: ClinicianIn):
    return _clinician_save(request, payload, None)


@router.get("/clinicians/{clinician_id}", response=ClinicianOut)
@api_permission("practice.view")
def clinicians_get(request: HttpRequest, clinician_id: int) -> Clinician:
    return get_object_or_404(selectors.clinician_list(practice=request.practice), pk=clinician_id)


@router.put("/clinicians/{clinician_id}", response={200: ClinicianOut, 422: ErrorsOut})
@api_permission("practice.settings")
def clinicians_update(request: HttpRequest, clinician_id: int, payload: ClinicianIn):
    clinician = get_object_or_404(
        selectors.clinician_list(practice=request.practice), pk=clinician_id
    )
    return _clinician_save(request, payload, clinician)
