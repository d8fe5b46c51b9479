"""Writes for Billing Setup. Each one records an audit event (ids and field names only)."""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.codes import cpt_clean, cpt_error
from oasys.core.errors import InvalidInput, NotAllowed
from oasys.core.models import AuditAction, Practice, User

from .cpt import cpt_known, cpt_validate
from .machine import ENROLLMENT_MACHINE
from .models import (
    AcceptedPayer,
    Clinician,
    Enrollment,
    EnrollmentStatus,
    ExtraServiceCode,
    Payer,
    ProviderProfile,
    ServiceType,
    TransactionType,
)
from .search import build_search_text
from .selectors import clinician_supervisees_ids

PAYERS_CSV = Path(__file__).parent / "data" / "payers.csv"

PROVIDER_FIELDS = (
    "provider_type",
    "organization_name",
    "first_name",
    "last_name",
    "npi",
    "tax_id",
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
SERVICE_TYPE_FIELDS = (
    "name",
    "cpt_code",
    "rate",
    "no_show_fee",
    "duration_minutes",
    "place_of_service",
    "modifiers",
    "is_active",
)
CLINICIAN_FIELDS = (
    "first_name",
    "last_name",
    "credentials",
    "npi",
    "taxonomy_code",
    "license_number",
    "license_state",
    "supervisor",
    "user",
    "is_active",
)


def _assign(obj: Any, data: dict, fields: tuple[str, ...]) -> list[str]:
    """Copy the given fields from data onto obj; return the names of those that changed."""
    changed = []
    for field in fields:
        if field in data and getattr(obj, field) != data[field]:
            setattr(obj, field, data[field])
            changed.append(field)
    return changed


# --- Provider information -------------------------------------------------------------------


def provider_profile_update(
    *, practice: Practice, actor_ctx: AuditContext, data: dict
) -> ProviderProfile:
    """Create or update the practice's billing provider from validated form data."""
    with transaction.atomic():
        profile = ProviderProfile.objects.select_for_update().filter(practice=practice).first()
        creating = profile is None
        if creating:
            profile = ProviderProfile(practice=practice)
        changed = _assign(profile, data, PROVIDER_FIELDS)
        if creating or changed:
            profile.save()
            audit_record(
                ctx=actor_ctx,
                action=AuditAction.CREATE if creating else AuditAction.UPDATE,
                category="provider_profile",
                object_type="ProviderProfile",
                object_id=profile.pk,
                detail={"fields": sorted(changed)},
            )
    return profile


# --- Payer directory ------------------------------------------------------------------------


@dataclass(frozen=True)
class PayerLoadResult:
    created: int
    updated: int
    unchanged: int


_PAYER_FLAGS = (
    "supports_claims",
    "supports_era",
    "supports_eligibility",
    "enrollment_required_claims",
    "enrollment_required_era",
    "enrollment_required_eligibility",
)
_PAYER_IDS = ("payer_id_claims", "payer_id_era", "payer_id_eligibility")


def payer_directory_load(*, path: Path | str | None = None) -> PayerLoadResult:
    """Upsert the payer directory from a CSV (default: the shipped data/payers.csv).

    Idempotent: rows are matched on (name, claims payer ID), the model's unique key, so running
    it again changes nothing; rows no longer in the file are left alone because practices may
    already accept them.
    """
    source = Path(path) if path else PAYERS_CSV
    with source.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))

    existing = {(p.name, p.payer_id_claims): p for p in Payer.objects.all()}
    to_create: list[Payer] = []
    to_update: list[Payer] = []
    unchanged = 0
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row["name"].strip(), row["payer_id_claims"].strip())
        if not key[0] or key in seen:
            continue
        seen.add(key)
        values: dict[str, Any] = {f: row.get(f, "").strip() for f in _PAYER_IDS}
        values.update({f: row.get(f, "").strip() in {"1", "true", "True"} for f in _PAYER_FLAGS})
        values["search_text"] = build_search_text(key[0], *(values[f] for f in _PAYER_IDS))
        payer = existing.get(key)
        if payer is None:
            to_create.append(Payer(name=key[0], **values))
        elif _assign(payer, values, tuple(values)):
            to_update.append(payer)
        else:
            unchanged += 1
    with transaction.atomic():
        Payer.objects.bulk_create(to_create, batch_size=500)
        if to_update:
            Payer.objects.bulk_update(to_update, fields=list(values), batch_size=500)
        audit_record(
            ctx=AuditContext.system(practice_id=None, source="payer_directory_load"),
            action=AuditAction.UPDATE,
            category="payer_directory",
            object_type="Payer",
            detail={"created": len(to_create), "updated": len(to_update), "file": source.name},
        )
    return PayerLoadResult(created=len(to_create), updated=len(to_update), unchanged=unchanged)


# --- Accepted payers and enrollment ---------------------------------------------------------

_TRANSACTIONS = (
    (TransactionType.CLAIMS, "supports_claims", "enrollment_required_claims"),
    (TransactionType.ERA, "supports_era", "enrollment_required_era"),
    (TransactionType.ELIGIBILITY, "supports_eligibility", "enrollment_required_eligibility"),
)


def accepted_payer_add(
    *, practice: Practice, actor_ctx: AuditContext, payer: Payer
) -> AcceptedPayer:
    """Accept a directory payer and open an enrollment for each transaction it supports.

    A transaction the payer offers without enrollment is active at once (with a note saying
    so); the others start as "not started" until they are submitted through the clearinghouse.
    """
    if AcceptedPayer.objects.filter(practice=practice, payer=payer).exists():
        raise InvalidInput({"payer": f"{payer.name} is already in your accepted payers."})
    now = timezone.now()
    try:
        with transaction.atomic():
            accepted = AcceptedPayer.objects.create(practice=practice, payer=payer)
            for txn, supports, required in _TRANSACTIONS:
                if not getattr(payer, supports):
                    continue
                needs_enrollment = getattr(payer, required)
                enrollment = Enrollment.objects.create(
                    practice=practice,
                    accepted_payer=accepted,
                    transaction_type=txn,
                    status=(
                        EnrollmentStatus.NOT_STARTED
                        if needs_enrollment
                        else EnrollmentStatus.ACTIVE
                    ),
                    status_changed_at=None if needs_enrollment else now,
                    effective_date=None if needs_enrollment else timezone.localdate(now),
                    note=(
                        ""
                        if needs_enrollment
                        else f"No enrollment needed: this payer accepts {txn.label} "
                        "from any provider through the clearinghouse."
                    ),
                )
                ENROLLMENT_MACHINE.record_created(
                    obj=enrollment, actor=actor_ctx.user_id, source="accepted payers",
                    reason="payer accepted" if needs_enrollment else "no enrollment needed")
            audit_record(
                ctx=actor_ctx,
                action=AuditAction.CREATE,
                category="accepted_payer",
                object_type="AcceptedPayer",
                object_id=accepted.pk,
                detail={"payer_id": payer.pk},
            )
    except IntegrityError as exc:  # a double click racing the check above
        raise InvalidInput(
            {"payer": f"{payer.name} is already in your accepted payers."}
        ) from exc
    return accepted


def accepted_payer_remove(
    *, practice: Practice, actor_ctx: AuditContext, accepted_payer: AcceptedPayer
) -> None:
    if accepted_payer.practice_id != practice.pk:
        raise NotAllowed("This payer belongs to another practice")
    with transaction.atomic():
        pk, payer_id = accepted_payer.pk, accepted_payer.payer_id
        accepted_payer.delete()  # enrollments go with it (CASCADE)
        audit_record(
            ctx=actor_ctx,
            action=AuditAction.DELETE,
            category="accepted_payer",
            object_type="AcceptedPayer",
            object_id=pk,
            detail={"payer_id": payer_id},
        )


def enrollment_status_set(
    *,
    practice: Practice,
    actor_ctx: AuditContext,
    enrollment: Enrollment,
    status: str,
    effective_date: dt.date | None = None,
    note: str | None = None,
    source: str = "",
) -> Enrollment:
    """Record an enrollment's status as the clearinghouse reports it (or a person does).

    Moving to pending stamps submitted_at (once); every change stamps status_changed_at;
    becoming active without a date makes it effective today. The status itself moves
    through ENROLLMENT_MACHINE (practice/machine.py), which records the event.
    """
    # A system context names its job in user_email ("clearinghouse"); a person is the screen.
    source = source or (actor_ctx.user_email if actor_ctx.user_id is None else "practice setup")
    if enrollment.practice_id != practice.pk:
        raise NotAllowed("This enrollment belongs to another practice")
    if status not in EnrollmentStatus.values:
        raise InvalidInput({"status": "Choose one of the enrollment statuses."})
    now = timezone.now()
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        previous = enrollment.status
        changed: list[str] = []
        values: dict[str, Any] = {}
        if status != previous:
            changed += ["status", "status_changed_at"]
            if status == EnrollmentStatus.PENDING and enrollment.submitted_at is None:
                values["submitted_at"] = now
                changed.append("submitted_at")
        if status == EnrollmentStatus.ACTIVE and effective_date is None:
            effective_date = enrollment.effective_date or timezone.localdate(now)
        if status == EnrollmentStatus.NOT_STARTED:
            effective_date = None
        if effective_date != enrollment.effective_date:
            values["effective_date"] = effective_date
            changed.append("effective_date")
        if note is not None and note != enrollment.note:
            values["note"] = note
            changed.append("note")
        if status != previous:
            # The status moves through the enrollment machine (event row and audit row);
            # the other fields are written in the same statement.
            ENROLLMENT_MACHINE.transition(
                obj=enrollment, to=status, ctx=actor_ctx, actor=actor_ctx.user_id,
                source=source, reason=note or "", updates={**values, "updated_at": now},
                audit_extra={"fields": changed})
        elif changed:
            Enrollment.objects.filter(pk=enrollment.pk).update(**values, updated_at=now)
            audit_record(
                ctx=actor_ctx,
                action=AuditAction.UPDATE,
                category="enrollment",
                object_type="Enrollment",
                object_id=enrollment.pk,
                detail={"fields": changed, "from": previous, "to": status},
            )
    return Enrollment.objects.get(pk=enrollment.pk)


# --- Service types --------------------------------------------------------------------------


def _service_type_name_check(*, practice: Practice, name: str, exclude_pk: int | None) -> None:
    clash = ServiceType.objects.filter(practice=practice, name__iexact=name.strip())
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise InvalidInput({"name": "You already have a service type with this name."})


def _service_type_cpt_check(*, practice: Practice, data: dict) -> None:
    """The form checks too; this keeps a caller that skips it (a script, a future screen)
    from saving a code the practice cannot bill."""
    if error := cpt_validate(practice=practice, code=data.get("cpt_code") or ""):
        raise InvalidInput({"cpt_code": error})


def service_type_create(*, practice: Practice, actor_ctx: AuditContext, data: dict) -> ServiceType:
    _service_type_name_check(practice=practice, name=data["name"], exclude_pk=None)
    _service_type_cpt_check(practice=practice, data=data)
    service_type = ServiceType(practice=practice)
    _assign(service_type, data, SERVICE_TYPE_FIELDS)
    with transaction.atomic():
        service_type.save()
        audit_record(
            ctx=actor_ctx,
            action=AuditAction.CREATE,
            category="service_type",
            object_type="ServiceType",
            object_id=service_type.pk,
        )
    return service_type


def service_type_update(
    *, practice: Practice, actor_ctx: AuditContext, service_type: ServiceType, data: dict
) -> ServiceType:
    if service_type.practice_id != practice.pk:
        raise NotAllowed("This service type belongs to another practice")
    if "name" in data:
        _service_type_name_check(practice=practice, name=data["name"], exclude_pk=service_type.pk)
    if "cpt_code" in data:
        _service_type_cpt_check(practice=practice, data=data)
    with transaction.atomic():
        changed = _assign(service_type, data, SERVICE_TYPE_FIELDS)
        if changed:
            service_type.save()
            audit_record(
                ctx=actor_ctx,
                action=AuditAction.UPDATE,
                category="service_type",
                object_type="ServiceType",
                object_id=service_type.pk,
                detail={"fields": sorted(changed)},
            )
    return service_type


# --- Extra service codes (CPT/HCPCS beyond the ones Oasys knows) ---------------------------


def extra_service_code_add(
    *, practice: Practice, actor_ctx: AuditContext, code: str, description: str = ""
) -> ExtraServiceCode:
    """Let this practice bill `code` although Oasys does not know it (still format-checked).

    A known code needs no adding (saying so keeps the list to the deliberate exceptions).
    """
    code = cpt_clean(code)
    description = (description or "").strip()
    if error := cpt_error(code, required=True):
        raise InvalidInput({"code": error})
    if cpt_known(code):
        raise InvalidInput({"code": f"Oasys already knows {code}; there is no need to add it."})
    if len(description) > 100:
        raise InvalidInput({"description": "Keep the description to 100 characters."})
    duplicate = {"code": f"{code} is already in your service codes."}
    if ExtraServiceCode.objects.filter(practice=practice, code=code).exists():
        raise InvalidInput(duplicate)
    try:
        with transaction.atomic():
            extra = ExtraServiceCode.objects.create(
                practice=practice, code=code, description=description)
            audit_record(ctx=actor_ctx, action=AuditAction.CREATE, category="service_code",
                         object_type="ExtraServiceCode", object_id=extra.pk,
                         detail={"code": code})
    except IntegrityError as exc:  # a double click racing the check above
        raise InvalidInput(duplicate) from exc
    return extra


def extra_service_code_remove(
    *, practice: Practice, actor_ctx: AuditContext, extra: ExtraServiceCode
) -> None:
    """Stop accepting the code for new service types, pricing rules and sessions. Sessions
    already using it are then named by Bill Sessions ("not a code Oasys knows"), not billed."""
    if extra.practice_id != practice.pk:
        raise NotAllowed("This service code belongs to another practice")
    with transaction.atomic():
        pk, code = extra.pk, extra.code
        extra.delete()
        audit_record(ctx=actor_ctx, action=AuditAction.DELETE, category="service_code",
                     object_type="ExtraServiceCode", object_id=pk, detail={"code": code})


# --- Clinicians -----------------------------------------------------------------------------


def _clinician_links_check(*, practice: Practice, clinician: Clinician, data: dict) -> None:
    errors: dict[str, str] = {}
    supervisor: Clinician | None = data.get("supervisor")
    if supervisor is not None:
        if supervisor.practice_id != practice.pk:
            errors["supervisor"] = "Choose a supervisor from your practice."
        elif clinician.pk and supervisor.pk == clinician.pk:
            errors["supervisor"] = "A clinician cannot supervise themselves."
        elif clinician.pk and supervisor.pk in clinician_supervisees_ids(
            practice=practice, clinician=clinician
        ):
            errors["supervisor"] = (
                f"{supervisor} is supervised by this clinician (directly or through others); "
                "supervision cannot go in a circle."
            )
    user: User | None = data.get("user")
    if user is not None:
        if user.practice_id != practice.pk:
            errors["user"] = "Choose a user of your practice."
        else:
            taken = Clinician.objects.filter(user=user)
            if clinician.pk:
                taken = taken.exclude(pk=clinician.pk)
            if taken.exists():
                errors["user"] = "This user is already linked to another clinician."
    if errors:
        raise InvalidInput(errors)


def clinician_create(*, practice: Practice, actor_ctx: AuditContext, data: dict) -> Clinician:
    clinician = Clinician(practice=practice)
    _clinician_links_check(practice=practice, clinician=clinician, data=data)
    _assign(clinician, data, CLINICIAN_FIELDS)
    with transaction.atomic():
        clinician.save()
        audit_record(
            ctx=actor_ctx,
            action=AuditAction.CREATE,
            category="clinician",
            object_type="Clinician",
            object_id=clinician.pk,
        )
    return clinician


def clinician_update(
    *, practice: Practice, actor_ctx: AuditContext, clinician: Clinician, data: dict
) -> Clinician:
    if clinician.practice_id != practice.pk:
        raise NotAllowed("This clinician belongs to another practice")
    with transaction.atomic():
        # Lock the practice's clinicians so two concurrent edits cannot build a loop together.
        list(Clinician.objects.select_for_update().filter(practice=practice).values_list("pk"))
        _clinician_links_check(practice=practice, clinician=clinician, data=data)
        changed = _assign(clinician, data, CLINICIAN_FIELDS)
        if changed:
            clinician.save()
            audit_record(
                ctx=actor_ctx,
                action=AuditAction.UPDATE,
                category="clinician",
                object_type="Clinician",
                object_id=clinician.pk,
                detail={"fields": sorted(changed)},
            )
    return clinician
