"""The insurance wizard (SPEC §3): five steps, each validated before the next, kept as a
server-side draft per client so it can be left and resumed, ending with an eligibility check.

1 insurance   payer (one of the practice's accepted payers), member ID, group number,
              relationship to the subscriber, optional card photos, optional secondary
2 client      first and last name exactly as on the card, gender, date of birth
3 subscriber  only when the client is not the subscriber: name, birth date, gender, address
4 address     the client's US street address (no PO boxes), optional referring NPI
5 review      everything, then "Save and verify": client and policies are written through
              the clients services and an eligibility check runs at once

Screens and API share these functions, so both refuse the same input with the same words.
Step data is stored as JSON (dates as ISO strings, the payer as its directory id).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from PIL import Image, UnidentifiedImageError

from oasys.clients import services
from oasys.clients import validators as v
from oasys.clients.errors import error_messages, refuse
from oasys.clients.models import BillingType, Client, InsurancePolicy, PolicyPriority, Relationship
from oasys.core.addresses import address_errors, zip_normalized
from oasys.core.audit import AuditContext, audit_record
from oasys.core.identifiers import npi_error
from oasys.core.models import AuditAction, AuditOutcome, User
from oasys.practice.models import Payer
from oasys.practice.selectors import accepted_payer_payer_ids

from .models import CardSide, CheckSource, EligibilityCheck, InsuranceCard
from .models import InsuranceWizardDraft as Draft
from .services import eligibility_check_run

STEPS: list[tuple[str, str]] = [
    ("insurance", "Insurance information"),
    ("client", "Client information"),
    ("subscriber", "Subscriber information"),
    ("address", "Client address"),
    ("review", "Review and verify"),
]
STEP_NAMES = [name for name, _ in STEPS]
STEP_TITLES = dict(STEPS)

INSURANCE_FIELDS = (
    "payer", "member_id", "group_number", "relationship", "has_secondary",
    "secondary_payer", "secondary_member_id", "secondary_group_number",
    "secondary_relationship",
)
CLIENT_FIELDS = ("first_name", "last_name", "gender", "date_of_birth")
PERSON_FIELDS = (
    "first_name", "last_name", "date_of_birth", "gender",
    "address1", "address2", "city", "state", "zip_code",
)
SUBSCRIBER_FIELDS = tuple(f"subscriber_{n}" for n in PERSON_FIELDS)
SECONDARY_SUBSCRIBER_FIELDS = tuple(f"secondary_subscriber_{n}" for n in PERSON_FIELDS)
ADDRESS_FIELDS = ("address1", "address2", "city", "state", "zip_code", "referring_provider_npi")
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "insurance": INSURANCE_FIELDS,
    "client": CLIENT_FIELDS,
    "subscriber": SUBSCRIBER_FIELDS + SECONDARY_SUBSCRIBER_FIELDS,
    "address": ADDRESS_FIELDS,
    "review": (),
}
CARD_FIELDS = {"card_front": CardSide.FRONT, "card_back": CardSide.BACK}
MAX_CARD_BYTES = 5 * 1024 * 1024
CARD_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
                "HEIF": "image/heic", "HEIC": "image/heic"}


# --- pure step rules ------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "on", "yes"}
    return bool(value)


def _iso(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return _text(value)


def _payer_id(value: Any) -> int | None:
    if isinstance(value, Payer):
        return value.pk
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def applicable_steps(data: Mapping[str, Any]) -> list[str]:
    """The steps this draft goes through: the subscriber step only when someone else holds
    the primary (or the secondary) policy."""
    insurance = data.get("insurance") or {}
    needs_subscriber = insurance.get("relationship", Relationship.SELF) != Relationship.SELF or (
        insurance.get("has_secondary")
        and insurance.get("secondary_relationship", Relationship.SELF) != Relationship.SELF
    )
    return [s for s in STEP_NAMES if s != "subscriber" or needs_subscriber]


def _check_date(values: dict[str, Any], name: str, errors: dict[str, str], whose: str) -> None:
    raw = values.get(name)
    try:
        parsed = v.date_parse(raw)
    except (TypeError, ValueError):
        errors[name] = "Enter the date as YYYY-MM-DD."
        return
    if msg := v.birth_date_error(parsed, whose=whose):
        errors[name] = msg
        return
    values[name] = parsed.isoformat() if parsed else ""


def _check_address(values: dict[str, Any], errors: dict[str, str], prefix: str = "") -> None:
    for n in ("address1", "address2", "city", "state", "zip_code"):
        values[prefix + n] = _text(values.get(prefix + n))
    values[prefix + "state"] = values[prefix + "state"].upper()
    values[prefix + "zip_code"] = zip_normalized(values[prefix + "zip_code"])
    found = address_errors(
        line1=values[prefix + "address1"], line2=values[prefix + "address2"],
        city=values[prefix + "city"], state=values[prefix + "state"],
        zip_code=values[prefix + "zip_code"],
    ).fields
    for n, message in found.items():
        errors.setdefault(prefix + n, message)
    for n, limit in (("address1", 55), ("address2", 55), ("city", 30)):
        if len(values[prefix + n]) > limit and prefix + n not in errors:
            errors[prefix + n] = f"At most {limit} characters fit on a claim."


def _check_person(values: dict[str, Any], errors: dict[str, str], prefix: str, whose: str) -> None:
    for n, label, limit in (("first_name", "first name", 35), ("last_name", "last name", 60)):
        values[prefix + n] = v.name_clean(_text(values.get(prefix + n)))
        if msg := v.name_error(values[prefix + n], label=f"{whose} {label}", max_length=limit):
            errors[prefix + n] = msg
    values[prefix + "date_of_birth"] = _iso(values.get(prefix + "date_of_birth"))
    _check_date(values, prefix + "date_of_birth", errors, f"the {whose}'s")
    values[prefix + "gender"] = _text(values.get(prefix + "gender")).upper()
    if msg := v.gender_error(values[prefix + "gender"]):
        errors[prefix + "gender"] = msg


def _check_policy_part(
    values: dict[str, Any], errors: dict[str, str], prefix: str, accepted: set[int]
) -> None:
    values[prefix + "payer"] = _payer_id(values.get(prefix + "payer"))
    if values[prefix + "payer"] is None:
        errors[prefix + "payer"] = "Choose the insurance company from your accepted payers."
    elif values[prefix + "payer"] not in accepted:
        errors[prefix + "payer"] = (
            "Choose one of your accepted payers (add payers in Billing → Setup → Billing "
            "Setup → Accepted payers)."
        )
    values[prefix + "member_id"] = _text(values.get(prefix + "member_id"))
    if msg := v.member_id_error(values[prefix + "member_id"]):
        errors[prefix + "member_id"] = msg
    values[prefix + "group_number"] = _text(values.get(prefix + "group_number"))
    if msg := v.group_number_error(values[prefix + "group_number"]):
        errors[prefix + "group_number"] = msg
    values[prefix + "relationship"] = _text(values.get(prefix + "relationship")) or "self"
    if values[prefix + "relationship"] not in Relationship.values:
        errors[prefix + "relationship"] = "Choose self, spouse, child or other."


def step_clean(
    step: str, data: Mapping[str, Any], *, accepted_payer_ids: set[int],
    insurance: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """(values to store, {field: message}) for one step's input. Pure: the accepted payers
    and (for the subscriber step) the insurance step's answers are passed in."""
    if step not in STEP_FIELDS:
        return {}, {"step": f"Unknown step {step!r}."}
    values: dict[str, Any] = {name: data.get(name) for name in STEP_FIELDS[step]}
    errors: dict[str, str] = {}
    if step == "insurance":
        _check_policy_part(values, errors, "", accepted_payer_ids)
        values["has_secondary"] = _bool(values.get("has_secondary"))
        if values["has_secondary"]:
            _check_policy_part(values, errors, "secondary_", accepted_payer_ids)
            same = (values["secondary_payer"] == values["payer"]
                    and values["secondary_member_id"].upper() == values["member_id"].upper())
            if same and "secondary_member_id" not in errors:
                errors["secondary_member_id"] = (
                    "The secondary insurance repeats the primary one; leave it out or "
                    "enter the other policy."
                )
        else:
            for name in INSURANCE_FIELDS[5:]:
                values[name] = None if name == "secondary_payer" else ""
            values["secondary_relationship"] = "self"
    elif step == "client":
        _check_person(values, errors, "", "client")
        if "gender" in errors and not values["gender"]:
            errors["gender"] = "Choose the gender as on the insurance card: payers need it to "\
                               "verify coverage."
    elif step == "subscriber":
        ins = insurance or {}
        blocks = (
            ("subscriber_", SUBSCRIBER_FIELDS, ins.get("relationship", "self") != "self"),
            ("secondary_subscriber_", SECONDARY_SUBSCRIBER_FIELDS,
             bool(ins.get("has_secondary")) and ins.get("secondary_relationship", "self")
             != "self"),
        )
        for prefix, names, needed in blocks:
            if not needed:
                for name in names:
                    values[name] = ""
                continue
            _check_person(values, errors, prefix, "subscriber")
            _check_address(values, errors, prefix)
    elif step == "address":
        _check_address(values, errors)
        values["referring_provider_npi"] = _text(values.get("referring_provider_npi"))
        npi = values["referring_provider_npi"]
        if npi and (msg := npi_error(npi)):
            errors["referring_provider_npi"] = msg
    return values, errors


def card_image_check(upload: UploadedFile) -> tuple[str | None, str | None]:
    """(content type, None) for a real card photo, or (None, why not). The type is the one
    the content shows (its header as Pillow reads it), never the client's file name or
    content type; the pixel count is read from the header before anything is decoded."""

    if upload.size is None or upload.size > MAX_CARD_BYTES:
        return None, "A card photo can be at most 5 MB."
    if upload.size == 0:
        return None, "This file is empty."
    limit = settings.MAX_IMAGE_PIXELS
    too_big = (f"This photo is too large in pixels: use one of at most {limit / 1e6:g} "
               "megapixels (a phone photo of the card is fine).")
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(upload) as img:  # reads the header only
                fmt = (img.format or "").upper()
                width, height = img.size
                if fmt not in CARD_FORMATS or fmt not in Image.OPEN:
                    return None, "Use a JPEG, PNG or WebP photo of the card."
                if width * height > limit:
                    return None, too_big
                img.verify()  # reads the whole file: a truncated or forged image fails here
    except Image.DecompressionBombError:
        return None, too_big
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None, "This is not an image we can read: use a JPEG, PNG or WebP photo."
    finally:
        upload.seek(0)
    return CARD_FORMATS[fmt], None


def initial_data(client: Client, policies: list[InsurancePolicy]) -> dict[str, Any]:
    """A new draft's answers from what is on file, so editing later reuses the wizard."""
    primary = next((p for p in policies if p.is_active and p.priority == "primary"), None)
    secondary = next((p for p in policies if p.is_active and p.priority == "secondary"), None)

    def policy_part(p: InsurancePolicy | None, prefix: str) -> dict[str, Any]:
        return {
            prefix + "payer": p.payer_id if p else None,
            prefix + "member_id": p.member_id if p else "",
            prefix + "group_number": p.group_number if p else "",
            prefix + "relationship": p.relationship if p else "self",
        }

    def subscriber_part(p: InsurancePolicy | None, prefix: str) -> dict[str, Any]:
        if p is None or p.relationship == "self":
            return {prefix + n: "" for n in PERSON_FIELDS}
        return {prefix + n: _iso(getattr(p, f"subscriber_{n}")) for n in PERSON_FIELDS}

    return {
        "policy_id": primary.pk if primary else None,
        "secondary_policy_id": secondary.pk if secondary else None,
        "insurance": {**policy_part(primary, ""), "has_secondary": secondary is not None,
                      **policy_part(secondary, "secondary_")},
        "client": {n: _iso(getattr(client, n)) for n in CLIENT_FIELDS},
        "subscriber": {**subscriber_part(primary, "subscriber_"),
                       **subscriber_part(secondary, "secondary_subscriber_")},
        "address": {n: getattr(client, n) or "" for n in ADDRESS_FIELDS},
        "done": [],
    }


# --- services -------------------------------------------------------------------------------


def _audit(ctx: AuditContext, draft: Draft | None, client: Client, action: str, *,
           outcome: str = AuditOutcome.SUCCESS, detail: dict | None = None) -> None:
    audit_record(ctx=ctx, action=action, category="insurance", outcome=outcome,
                 client_id=client.pk, object_type="InsuranceWizardDraft",
                 object_id=draft.pk if draft else "", detail=detail)


def insurance_wizard_start(*, client: Client, ctx: AuditContext, actor: User | None) -> Draft:
    """The client's draft, started from what is on file when there is none yet."""
    with transaction.atomic():
        draft = Draft.objects.select_for_update().filter(client=client).first()
        if draft is not None:
            return draft
        policies = list(InsurancePolicy.objects.filter(client=client, is_active=True)
                        .select_related("payer"))
        draft = Draft.objects.create(practice_id=client.practice_id, client=client,
                                     step="insurance", data=initial_data(client, policies),
                                     updated_by=actor)
        _audit(ctx, draft, client, AuditAction.CREATE, detail={"step": "insurance"})
    return draft


def _next_step(data: Mapping[str, Any], step: str) -> str:
    steps = applicable_steps(data)
    index = steps.index(step) if step in steps else 0
    return steps[min(index + 1, len(steps) - 1)]


def first_open_step(data: Mapping[str, Any]) -> str:
    """The first step not yet completed (the review step when all are)."""
    done = set(data.get("done") or [])
    for step in applicable_steps(data):
        if step != "review" and step not in done:
            return step
    return "review"


def step_allowed(data: Mapping[str, Any], step: str) -> bool:
    """A step can be opened once every step before it is done (going back is always fine)."""
    steps = applicable_steps(data)
    if step not in steps:
        return False
    done = set(data.get("done") or [])
    return all(s in done for s in steps[: steps.index(step)])


def insurance_wizard_step_save(
    *,
    draft: Draft,
    ctx: AuditContext,
    actor: User | None,
    step: str,
    data: Mapping[str, Any],
    files: Mapping[str, UploadedFile] | None = None,
) -> Draft:
    """Validate and keep one step's answers (and, on step 1, card photos); move the draft to
    the next step. Refuses with {field: message} and changes nothing on bad input."""
    client = draft.client
    stored = dict(draft.data or {})
    if step not in STEP_NAMES or step == "review":
        refuse({"step": "Choose one of the steps insurance, client, subscriber or address."})
    if step not in applicable_steps(stored):
        refuse({"step": "The client is the subscriber: there is no subscriber step."})
    if not step_allowed(stored, step):
        refuse({"step": f"Complete “{STEP_TITLES[first_open_step(stored)]}” first."})
    accepted = accepted_payer_payer_ids(practice=client.practice)
    values, errors = step_clean(step, data, accepted_payer_ids=accepted,
                                insurance=stored.get("insurance"))
    cards: list[tuple[str, UploadedFile, str]] = []
    for field, side in CARD_FIELDS.items():
        upload = (files or {}).get(field)
        if upload is None or step != "insurance":
            continue
        content_type, problem = card_image_check(upload)
        if problem:
            errors[field] = problem
        else:
            cards.append((side, upload, content_type or ""))
    if errors:
        _audit(ctx, draft, client, AuditAction.UPDATE, outcome=AuditOutcome.FAILURE,
               detail={"step": step, "fields": sorted(errors)})
        refuse(errors)
    with transaction.atomic():
        stored[step] = values
        done = [s for s in stored.get("done") or [] if s != step] + [step]
        if step == "insurance":
            # A changed relationship can add or drop the subscriber step: it is checked again.
            previous = (draft.data or {}).get("insurance") or {}
            if any(previous.get(k) != values.get(k) for k in
                   ("relationship", "has_secondary", "secondary_relationship")):
                done = [s for s in done if s != "subscriber"]
        stored["done"] = done
        draft.data = stored
        draft.step = _next_step(stored, step)
        draft.updated_by = actor
        draft.save()
        for side, upload, content_type in cards:
            _card_store(draft=draft, side=side, upload=upload, content_type=content_type,
                        actor=actor, ctx=ctx)
        _audit(ctx, draft, client, AuditAction.UPDATE,
               detail={"step": step, "fields": sorted(k for k, val in values.items()
                                                      if val not in ("", None, False))})
    return draft


def _card_store(*, draft: Draft, side: str, upload: UploadedFile, content_type: str,
                actor: User | None, ctx: AuditContext) -> InsuranceCard:
    client = draft.client
    old = list(InsuranceCard.objects.filter(client=client, priority="primary", side=side,
                                            replaced_at__isnull=True))
    for card in old:
        path, storage = card.image.name, card.image.storage
        card.delete()
        # The old photo's file goes only once the new one is committed.
        transaction.on_commit(lambda p=path, s=storage: s.delete(p))
    card = InsuranceCard(practice_id=client.practice_id, client=client, priority="primary",
                         side=side, content_type=content_type, size=upload.size or 0,
                         uploaded_by=actor)
    # The stored name is ours (card_upload_to): random, with the extension of the type the
    # content was found to be; the client's file name is not kept anywhere.
    card.image.save("card", upload, save=False)
    stored_name = card.image.name
    try:
        card.save()
    except Exception:
        card.image.storage.delete(stored_name)
        raise
    audit_record(ctx=ctx, action=AuditAction.CREATE, category="insurance",
                 client_id=client.pk, object_type="InsuranceCard", object_id=card.pk,
                 detail={"side": side, "size": card.size})
    return card


def insurance_card_upload(*, draft: Draft, ctx: AuditContext, actor: User | None, side: str,
                          upload: UploadedFile) -> InsuranceCard:
    """Keep a photo of the primary card's front or back (replacing the one on file)."""
    if side not in CardSide.values:
        refuse({"side": "A card photo is of the front or the back."})
    content_type, problem = card_image_check(upload)
    if problem:
        _audit(ctx, draft, draft.client, AuditAction.CREATE, outcome=AuditOutcome.FAILURE,
               detail={"fields": [f"card_{side}"]})
        refuse({"file": problem})
    with transaction.atomic():
        return _card_store(draft=draft, side=side, upload=upload,
                           content_type=content_type or "", actor=actor, ctx=ctx)


@dataclass
class WizardResult:
    client: Client
    policy: InsurancePolicy
    secondary: InsurancePolicy | None
    check: EligibilityCheck | None
    check_problem: dict[str, str] | None = None


FIELD_STEP: dict[str, str] = {
    **{n: "insurance" for n in INSURANCE_FIELDS}, "priority": "insurance", "payer_id": "insurance",
    **{n: "client" for n in CLIENT_FIELDS},
    **{n: "subscriber" for n in SUBSCRIBER_FIELDS + SECONDARY_SUBSCRIBER_FIELDS},
    **{n: "address" for n in ADDRESS_FIELDS},
}


def step_of(field: str) -> str:
    """The step where `field` is answered (a step's own name stands for "not completed")."""
    return field if field in STEP_NAMES else FIELD_STEP.get(field, "review")


def _policy_data(ins: Mapping[str, Any], sub: Mapping[str, Any], prefix: str,
                 sub_prefix: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "payer": ins.get(prefix + "payer"),
        "member_id": ins.get(prefix + "member_id", ""),
        "group_number": ins.get(prefix + "group_number", ""),
        "relationship": ins.get(prefix + "relationship") or "self",
        "is_active": True,
    }
    for n in PERSON_FIELDS:
        data[f"subscriber_{n}"] = sub.get(sub_prefix + n) or ("" if n != "date_of_birth"
                                                             else None)
    return data


def insurance_wizard_complete(
    *, draft: Draft, ctx: AuditContext, actor: User | None
) -> WizardResult:
    """Check every step again, write the client's details and policies (through the clients
    services), drop the draft, then run the eligibility check on the primary policy.

    Refuses with {field: message} when any step is incomplete or invalid (`step_of(field)`
    names the step to return to); nothing is written then.
    """

    client = draft.client
    stored = dict(draft.data or {})
    accepted = accepted_payer_payer_ids(practice=client.practice)
    errors: dict[str, str] = {}
    cleaned: dict[str, dict[str, Any]] = {}
    for step in applicable_steps(stored):
        if step == "review":
            continue
        values, step_errors = step_clean(step, stored.get(step) or {},
                                         accepted_payer_ids=accepted,
                                         insurance=cleaned.get("insurance"))
        cleaned[step] = values
        errors.update(step_errors)
        if step not in (stored.get("done") or []) and not step_errors:
            errors.setdefault(step, f"Complete “{STEP_TITLES[step]}” first.")
    if errors:
        _audit(ctx, draft, client, AuditAction.UPDATE, outcome=AuditOutcome.FAILURE,
               detail={"step": "review", "fields": sorted(errors)})
        refuse(errors)
    ins = cleaned["insurance"]
    sub = cleaned.get("subscriber") or {}
    person, address = cleaned["client"], cleaned["address"]
    try:
        with transaction.atomic():
            services.client_update(client=client, ctx=ctx, data={
                **person, **address, "billing_type": BillingType.INSURANCE,
            })
            policies = {p.pk: p for p in InsurancePolicy.objects.filter(client=client)}
            primary_data = _policy_data(ins, sub, "", "subscriber_")
            primary = policies.get(stored.get("policy_id") or 0)
            if primary is not None and primary.is_active:
                primary = services.policy_update(policy=primary, ctx=ctx, data=primary_data)
            else:
                primary = services.policy_create(
                    client=client, ctx=ctx,
                    data={**primary_data, "priority": PolicyPriority.PRIMARY})
            secondary = policies.get(stored.get("secondary_policy_id") or 0)
            if ins.get("has_secondary"):
                secondary_data = _policy_data(ins, sub, "secondary_", "secondary_subscriber_")
                if secondary is not None and secondary.is_active:
                    secondary = services.policy_update(policy=secondary, ctx=ctx,
                                                       data=secondary_data)
                else:
                    secondary = services.policy_create(
                        client=client, ctx=ctx,
                        data={**secondary_data, "priority": PolicyPriority.SECONDARY})
            elif secondary is not None and secondary.is_active:
                services.policy_update(policy=secondary, ctx=ctx, data={"is_active": False})
                secondary = None
            InsuranceCard.objects.filter(client=client, priority="primary",
                                         replaced_at__isnull=True).update(policy=primary)
            _audit(ctx, draft, client, AuditAction.DELETE,
                   detail={"step": "review", "completed": True})
            draft.delete()
    except ValidationError as exc:
        messages = error_messages(exc)
        _audit(ctx, None, client, AuditAction.UPDATE, outcome=AuditOutcome.FAILURE,
               detail={"step": "review", "fields": sorted(messages)})
        raise
    client.refresh_from_db()
    primary.refresh_from_db()
    result = WizardResult(client=client, policy=primary, secondary=secondary, check=None)
    try:
        result.check = eligibility_check_run(policy=primary, ctx=ctx, actor=actor,
                                             source=CheckSource.WIZARD)
    except ValidationError as exc:
        # The insurance is saved; only the check could not run (e.g. no provider NPI yet).
        result.check_problem = error_messages(exc)
    return result


def insurance_wizard_discard(*, draft: Draft, ctx: AuditContext) -> None:
    """Throw the draft away (what is on file is unchanged; saved card photos stay)."""
    with transaction.atomic():
        _audit(ctx, draft, draft.client, AuditAction.DELETE, detail={"discarded": True})
        draft.delete()
