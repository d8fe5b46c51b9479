"""Writes of client data: clients, diagnoses, insurance policies and pricing rules.

Every function validates everything first and refuses bad input with a ValidationError of
{field: message} before touching the database, so a refused write changes nothing. Every
write, and every refused write, is recorded in the audit log with ids and field names only:
client data is PHI and never goes into the log's detail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction

from oasys.core.addresses import address_errors, zip_normalized
from oasys.core.audit import AuditContext, audit_record
from oasys.core.codes import cpt_clean, phone_digits, phone_error
from oasys.core.identifiers import npi_error
from oasys.core.models import AuditAction, AuditOutcome, Practice
from oasys.practice.cpt import cpt_validate
from oasys.practice.models import Payer, ServiceType

from . import validators as v
from .diagnoses import MAX_DIAGNOSES, diagnosis_error, diagnosis_normalize
from .errors import refuse
from .models import (
    BillingType,
    Client,
    Diagnosis,
    InsurancePolicy,
    PolicyPriority,
    PricingRule,
    Relationship,
)

CLIENT_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "gender",
    "email",
    "phone",
    "address1",
    "address2",
    "city",
    "state",
    "zip_code",
    "billing_type",
    "is_draft",
    "referring_provider_npi",
)
SUBSCRIBER_FIELDS = (
    "subscriber_first_name",
    "subscriber_last_name",
    "subscriber_date_of_birth",
    "subscriber_gender",
    "subscriber_address1",
    "subscriber_address2",
    "subscriber_city",
    "subscriber_state",
    "subscriber_zip_code",
)
POLICY_FIELDS = (
    "payer",
    "priority",
    "member_id",
    "group_number",
    "relationship",
    *SUBSCRIBER_FIELDS,
    "is_active",
)
PRICING_RULE_FIELDS = ("service_type", "price", "cpt_code")


# --- helpers ------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _changed(obj: Any, values: Mapping[str, Any]) -> list[str]:
    return sorted(name for name, value in values.items() if getattr(obj, name) != value)


def _refused(
    *,
    ctx: AuditContext,
    action: str,
    category: str,
    errors: dict[str, str],
    client_id: int | None,
    object_type: str,
    object_id: Any = "",
) -> None:
    """Record a refused write (outcome failure, the offending field names) and raise."""
    audit_record(
        ctx=ctx,
        action=action,
        category=category,
        outcome=AuditOutcome.FAILURE,
        client_id=client_id,
        object_type=object_type,
        object_id=object_id,
        detail={"fields": sorted(errors)},
    )
    refuse(errors)


def _address(
    values: dict[str, Any], errors: dict[str, str], *, prefix: str = "", optional: bool
) -> None:
    """Clean and check the five address fields named `prefix + address1` ... in place.

    When `optional` (draft clients), an empty address passes and only the fields actually
    filled in are checked, so a half-known address can be saved and completed later.
    """
    names = ("address1", "address2", "city", "state", "zip_code")
    for name in names:
        values[prefix + name] = _text(values.get(prefix + name))
    values[prefix + "state"] = values[prefix + "state"].upper()
    values[prefix + "zip_code"] = zip_normalized(values[prefix + "zip_code"])
    if optional and not any(values[prefix + n] for n in names):
        return
    found = address_errors(
        line1=values[prefix + "address1"],
        line2=values[prefix + "address2"],
        city=values[prefix + "city"],
        state=values[prefix + "state"],
        zip_code=values[prefix + "zip_code"],
    ).fields
    for name, message in found.items():
        if optional and not values[prefix + name]:
            continue
        errors.setdefault(prefix + name, message)
    for name, limit in (("address1", 55), ("address2", 55), ("city", 30)):
        if len(values[prefix + name]) > limit and prefix + name not in errors:
            errors[prefix + name] = f"At most {limit} characters fit on a claim."


def _date(values: dict[str, Any], name: str, errors: dict[str, str]) -> None:
    try:
        values[name] = v.date_parse(values.get(name))
    except (TypeError, ValueError):
        errors[name] = "Enter the date as YYYY-MM-DD."
        values[name] = None


# --- clients ------------------------------------------------------------------------------


def _client_clean(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    values = {name: data.get(name) for name in CLIENT_FIELDS}
    errors: dict[str, str] = {}
    draft = bool(values["is_draft"])
    values["is_draft"] = draft

    values["first_name"] = v.name_clean(values["first_name"])
    values["last_name"] = v.name_clean(values["last_name"])
    # 35 for the first name: the 837P NM104 element holds no more.
    if msg := v.name_error(values["first_name"], label="legal first name", max_length=35):
        errors["first_name"] = msg
    if msg := v.name_error(values["last_name"], label="legal last name", max_length=60):
        errors["last_name"] = msg

    _date(values, "date_of_birth", errors)
    if "date_of_birth" not in errors and not (draft and values["date_of_birth"] is None):
        if msg := v.birth_date_error(values["date_of_birth"]):
            errors["date_of_birth"] = msg

    values["gender"] = _text(values["gender"]).upper()
    if not (draft and not values["gender"]):
        if msg := v.gender_error(values["gender"]):
            errors["gender"] = msg

    values["email"] = _text(values["email"]).lower()
    if values["email"] and (msg := v.email_error(values["email"])):
        errors["email"] = msg

    phone = _text(values["phone"])
    values["phone"] = phone_digits(phone) if phone else ""
    if phone and (msg := phone_error(phone)):
        errors["phone"] = msg

    _address(values, errors, optional=draft)

    values["billing_type"] = _text(values["billing_type"]) or BillingType.SELF_PAY
    if values["billing_type"] not in BillingType.values:
        errors["billing_type"] = "Choose insurance, self-pay or not billed."

    values["referring_provider_npi"] = _text(values["referring_provider_npi"])
    if values["referring_provider_npi"] and (msg := npi_error(values["referring_provider_npi"])):
        errors["referring_provider_npi"] = msg
    return values, errors


def client_create(*, practice: Practice, ctx: AuditContext, data: Mapping[str, Any]) -> Client:
    """Create a client. Draft clients ("has not signed up yet") need only a name and billing
    type; everyone else also needs date of birth, gender and a US street address."""
    values, errors = _client_clean(data)
    if errors:
        _refused(
            ctx=ctx,
            action=AuditAction.CREATE,
            category="demographics",
            errors=errors,
            client_id=None,
            object_type="Client",
        )
    with transaction.atomic():
        client = Client.objects.create(practice=practice, **values)
        audit_record(
            ctx=ctx,
            action=AuditAction.CREATE,
            category="demographics",
            client_id=client.pk,
            object_type="Client",
            object_id=client.pk,
            detail={"fields": sorted(k for k, val in values.items() if val not in ("", None))},
        )
    return client


def client_update(*, client: Client, ctx: AuditContext, data: Mapping[str, Any]) -> Client:
    """Update a client. Fields missing from `data` keep their current values."""
    merged = {name: getattr(client, name) for name in CLIENT_FIELDS} | dict(data)
    values, errors = _client_clean(merged)
    if errors:
        _refused(
            ctx=ctx,
            action=AuditAction.UPDATE,
            category="demographics",
            errors=errors,
            client_id=client.pk,
            object_type="Client",
            object_id=client.pk,
        )
    changed = _changed(client, values)
    with transaction.atomic():
        for name, value in values.items():
            setattr(client, name, value)
        client.save()
        audit_record(
            ctx=ctx,
            action=AuditAction.UPDATE,
            category="demographics",
            client_id=client.pk,
            object_type="Client",
            object_id=client.pk,
            detail={"fields": changed},
        )
    return client


# --- diagnoses ----------------------------------------------------------------------------


def _diagnosis_audit(
    *, ctx: AuditContext, action: str, client: Client, obj_id: Any, detail: dict | None = None
) -> None:
    audit_record(
        ctx=ctx,
        action=action,
        category="diagnosis",
        client_id=client.pk,
        object_type="Diagnosis",
        object_id=obj_id,
        detail=detail,
    )


def _lock_client(client: Client) -> None:
    # Serialises position bookkeeping for one client (a no-op lock on SQLite, where
    # IMMEDIATE transactions already serialise writers).
    Client.objects.select_for_update().filter(pk=client.pk).exists()


def diagnosis_add(*, client: Client, ctx: AuditContext, code: str) -> Diagnosis:
    """Append a billable ICD-10-CM code to the client's list (at most 12, no duplicates)."""
    errors: dict[str, str] = {}
    existing = list(Diagnosis.objects.filter(client=client).values_list("code", flat=True))
    if msg := diagnosis_error(code):
        errors["code"] = msg
    elif diagnosis_normalize(code) in existing:
        errors["code"] = f"{diagnosis_normalize(code)} is already on this client's list."
    elif len(existing) >= MAX_DIAGNOSES:
        errors["code"] = f"A claim holds at most {MAX_DIAGNOSES} diagnoses; remove one first."
    if errors:
        _refused(
            ctx=ctx,
            action=AuditAction.CREATE,
            category="diagnosis",
            errors=errors,
            client_id=client.pk,
            object_type="Diagnosis",
        )
    try:
        with transaction.atomic():
            _lock_client(client)
            position = Diagnosis.objects.filter(client=client).count() + 1
            if position > MAX_DIAGNOSES:
                refuse({"code": f"A claim holds at most {MAX_DIAGNOSES} diagnoses."})
            diagnosis = Diagnosis.objects.create(
                practice_id=client.practice_id,
                client=client,
                position=position,
                code=diagnosis_normalize(code),
            )
            _diagnosis_audit(
                ctx=ctx,
                action=AuditAction.CREATE,
                client=client,
                obj_id=diagnosis.pk,
                detail={"fields": ["code", "position"]},
            )
    except IntegrityError:
        refuse({"code": "This code was just added by someone else; reload the page."})
    return diagnosis


def _renumber(client: Client) -> None:
    """Close the gaps left by a removal: positions become 1..n in their current order.

    One row at a time, lowest first, so the (client, position) unique constraint holds
    after every statement (PostgreSQL checks it per row).
    """
    for index, diagnosis in enumerate(
        Diagnosis.objects.filter(client=client).order_by("position"), start=1
    ):
        if diagnosis.position != index:
            Diagnosis.objects.filter(pk=diagnosis.pk).update(position=index)


def diagnosis_remove(*, diagnosis: Diagnosis, ctx: AuditContext) -> None:
    client = diagnosis.client
    with transaction.atomic():
        _lock_client(client)
        pk = diagnosis.pk
        diagnosis.delete()
        _renumber(client)
        _diagnosis_audit(ctx=ctx, action=AuditAction.DELETE, client=client, obj_id=pk)


def diagnosis_move(*, diagnosis: Diagnosis, ctx: AuditContext, direction: str) -> None:
    """Swap a diagnosis with its neighbour ("up" towards position 1, or "down").

    Moving the first one up or the last one down changes nothing (and is not an error).
    """
    if direction not in {"up", "down"}:
        refuse({"direction": "Move a diagnosis up or down."})
    client = diagnosis.client
    with transaction.atomic():
        _lock_client(client)
        diagnosis.refresh_from_db()
        target = diagnosis.position - 1 if direction == "up" else diagnosis.position + 1
        neighbour = Diagnosis.objects.filter(client=client, position=target).first()
        if neighbour is None:
            return
        # Position 0 is never used, so it is a free parking spot for the swap.
        Diagnosis.objects.filter(pk=diagnosis.pk).update(position=0)
        Diagnosis.objects.filter(pk=neighbour.pk).update(position=diagnosis.position)
        Diagnosis.objects.filter(pk=diagnosis.pk).update(position=target)
        _diagnosis_audit(
            ctx=ctx,
            action=AuditAction.UPDATE,
            client=client,
            obj_id=diagnosis.pk,
            detail={"fields": ["position"]},
        )


def diagnoses_replace(
    *, client: Client, ctx: AuditContext, codes: Sequence[str]
) -> list[Diagnosis]:
    """Replace the client's whole list with `codes`, in that order (the first is primary).

    Errors are keyed "codes[i]" (0-based, as in the request) so each bad code is named.
    """
    errors: dict[str, str] = {}
    normalized: list[str] = []
    for index, code in enumerate(codes):
        if msg := diagnosis_error(code):
            errors[f"codes[{index}]"] = msg
            continue
        norm = diagnosis_normalize(code)
        if norm in normalized:
            errors[f"codes[{index}]"] = f"{norm} appears more than once."
        normalized.append(norm)
    if len(codes) > MAX_DIAGNOSES:
        errors["codes"] = f"A claim holds at most {MAX_DIAGNOSES} diagnoses; this has {len(codes)}."
    if errors:
        _refused(
            ctx=ctx,
            action=AuditAction.UPDATE,
            category="diagnosis",
            errors=errors,
            client_id=client.pk,
            object_type="Diagnosis",
        )
    with transaction.atomic():
        _lock_client(client)
        Diagnosis.objects.filter(client=client).delete()
        created = Diagnosis.objects.bulk_create(
            Diagnosis(practice_id=client.practice_id, client=client, position=i, code=code)
            for i, code in enumerate(normalized, start=1)
        )
        _diagnosis_audit(
            ctx=ctx,
            action=AuditAction.UPDATE,
            client=client,
            obj_id="",
            detail={"fields": ["code", "position"], "count": len(created)},
        )
    return list(Diagnosis.objects.filter(client=client).order_by("position"))


# --- insurance policies -------------------------------------------------------------------


def _payer(value: Any) -> Payer | None:
    if isinstance(value, Payer):
        return value
    if value in (None, ""):
        return None
    try:
        return Payer.objects.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


def _policy_clean(
    *, client: Client, data: Mapping[str, Any], policy: InsurancePolicy | None
) -> tuple[dict[str, Any], dict[str, str]]:
    values = {name: data.get(name) for name in POLICY_FIELDS}
    errors: dict[str, str] = {}

    values["payer"] = _payer(values["payer"])
    if values["payer"] is None:
        errors["payer"] = "Choose the insurance company from the payer directory."

    values["priority"] = _text(values["priority"]) or PolicyPriority.PRIMARY
    if values["priority"] not in PolicyPriority.values:
        errors["priority"] = "Choose primary or secondary."

    values["member_id"] = _text(values["member_id"])
    if msg := v.member_id_error(values["member_id"]):
        errors["member_id"] = msg
    values["group_number"] = _text(values["group_number"])
    if msg := v.group_number_error(values["group_number"]):
        errors["group_number"] = msg

    values["relationship"] = _text(values["relationship"]) or Relationship.SELF
    if values["relationship"] not in Relationship.values:
        errors["relationship"] = "Choose self, spouse, child or other."
    values["is_active"] = True if values["is_active"] is None else bool(values["is_active"])

    if values["relationship"] == Relationship.SELF:
        # The client is the subscriber: the claim takes the client's own details, so any
        # subscriber details left over from an earlier relationship are dropped.
        for name in SUBSCRIBER_FIELDS:
            values[name] = None if name == "subscriber_date_of_birth" else ""
    else:
        for name, label, limit in (
            ("subscriber_first_name", "subscriber's first name", 35),
            ("subscriber_last_name", "subscriber's last name", 60),
        ):
            values[name] = v.name_clean(values[name])
            if msg := v.name_error(values[name], label=label, max_length=limit):
                errors[name] = msg
        _date(values, "subscriber_date_of_birth", errors)
        if "subscriber_date_of_birth" not in errors:
            dob = values["subscriber_date_of_birth"]
            if msg := v.birth_date_error(dob, whose="the subscriber's"):
                errors["subscriber_date_of_birth"] = msg
        values["subscriber_gender"] = _text(values["subscriber_gender"]).upper()
        if msg := v.gender_error(values["subscriber_gender"]):
            errors["subscriber_gender"] = msg
        _address(values, errors, prefix="subscriber_", optional=False)

    if values["is_active"] and "priority" not in errors:
        others = InsurancePolicy.objects.filter(client=client, is_active=True)
        if policy is not None:
            others = others.exclude(pk=policy.pk)
        if others.filter(priority=values["priority"]).exists():
            label = PolicyPriority(values["priority"]).label.lower()
            errors["priority"] = (
                f"This client already has an active {label} policy; edit it or mark it "
                "inactive first."
            )
        elif (
            values["priority"] == PolicyPriority.SECONDARY
            and not others.filter(priority=PolicyPriority.PRIMARY).exists()
        ):
            errors["priority"] = "Add the primary policy before a secondary one."
    return values, errors


def policy_create(*, client: Client, ctx: AuditContext, data: Mapping[str, Any]) -> InsurancePolicy:
    """Add an insurance policy. When the client is not the subscriber (spouse, child, other)
    the subscriber's name, date of birth, gender and street address are required."""
    values, errors = _policy_clean(client=client, data=data, policy=None)
    if errors:
        _refused(
            ctx=ctx,
            action=AuditAction.CREATE,
            category="insurance",
            errors=errors,
            client_id=client.pk,
            object_type="InsurancePolicy",
        )
    try:
        with transaction.atomic():
            policy = InsurancePolicy.objects.create(
                practice_id=client.practice_id, client=client, **values
            )
            audit_record(
                ctx=ctx,
                action=AuditAction.CREATE,
                category="insurance",
                client_id=client.pk,
                object_type="InsurancePolicy",
                object_id=policy.pk,
                detail={"fields": sorted(k for k, val in values.items() if val not in ("", None))},
            )
    except IntegrityError:
        refuse({"priority": "Another active policy with this priority was just saved."})
    return policy


def policy_update(
    *, policy: InsurancePolicy, ctx: AuditContext, data: Mapping[str, Any]
) -> InsurancePolicy:
    """Update a policy; fields missing from `data` keep their values."""
    merged = {name: getattr(policy, name) for name in POLICY_FIELDS} | dict(data)
    values, errors = _policy_clean(client=policy.client, data=merged, policy=policy)
    if errors:
        _refused(
            ctx=ctx,
            action=AuditAction.UPDATE,
            category="insurance",
            errors=errors,
            client_id=policy.client_id,
            object_type="InsurancePolicy",
            object_id=policy.pk,
        )
    changed = _changed(policy, values)
    try:
        with transaction.atomic():
            for name, value in values.items():
                setattr(policy, name, value)
            policy.save()
            audit_record(
                ctx=ctx,
                action=AuditAction.UPDATE,
                category="insurance",
                client_id=policy.client_id,
                object_type="InsurancePolicy",
                object_id=policy.pk,
                detail={"fields": changed},
            )
    except IntegrityError:
        refuse({"priority": "Another active policy with this priority was just saved."})
    return policy


# --- pricing rules ------------------------------------------------------------------------


def _service_type(value: Any, *, practice_id: int) -> ServiceType | None:
    if isinstance(value, ServiceType):
        return value if value.practice_id == practice_id else None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return ServiceType.objects.filter(pk=pk, practice_id=practice_id).first()


def _pricing_rule_clean(
    *, client: Client, data: Mapping[str, Any], rule: PricingRule | None
) -> tuple[dict[str, Any], dict[str, str]]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    values["service_type"] = _service_type(data.get("service_type"), practice_id=client.practice_id)
    if values["service_type"] is None:
        errors["service_type"] = "Choose one of your service types."
    try:
        values["price"] = v.price_parse(data.get("price"))
    except ValueError as exc:
        errors["price"] = str(exc)
        values["price"] = None
    else:
        if msg := v.price_error(values["price"]):
            errors["price"] = msg
    values["cpt_code"] = cpt_clean(_text(data.get("cpt_code")))
    # Empty is fine: the service type's code applies.
    if msg := cpt_validate(practice=client.practice, code=values["cpt_code"]):
        errors["cpt_code"] = msg
    if not errors and values["price"] is None and not values["cpt_code"]:
        errors["price"] = "Set a custom price, a CPT code, or both ($0 means not billed)."
    if values["service_type"] is not None and "service_type" not in errors:
        others = PricingRule.objects.filter(client=client, service_type=values["service_type"])
        if rule is not None:
            others = others.exclude(pk=rule.pk)
        if others.exists():
            errors["service_type"] = (
                f"This client already has a rule for {values['service_type'].name}; "
                "edit that rule instead."
            )
    return values, errors


def pricing_rule_create(
    *, client: Client, ctx: AuditContext, data: Mapping[str, Any]
) -> PricingRule:
    """Set a client-specific price and/or CPT for one service type (one rule per type)."""
    values, errors = _pricing_rule_clean(client=client, data=data, rule=None)
    if errors:
        _refused(
            ctx=ctx,
            action=AuditAction.CREATE,
            category="pricing",
            errors=errors,
            client_id=client.pk,
            object_type="PricingRule",
        )
    try:
        with transaction.atomic():
            rule = PricingRule.objects.create(
                practice_id=client.practice_id, client=client, **values
            )
            audit_record(
                ctx=ctx,
                action=AuditAction.CREATE,
                category="pricing",
                client_id=client.pk,
                object_type="PricingRule",
                object_id=rule.pk,
                detail={"fields": sorted(k for k, val in values.items() if val not in ("", None))},
            )
    except IntegrityError:
        refuse({"service_type": "A rule for this service type was just saved; reload the page."})
    return rule


def pricing_rule_update(
    *, rule: PricingRule, ctx: AuditContext, data: Mapping[str, Any]
) -> PricingRule:
    merged = {name: getattr(rule, name) for name in PRICING_RULE_FIELDS} | dict(data)
    values, errors = _pricing_rule_clean(client=rule.client, data=merged, rule=rule)
    if errors:
        _refused(
            ctx=ctx,
            action=AuditAction.UPDATE,
            category="pricing",
            errors=errors,
            client_id=rule.client_id,
            object_type="PricingRule",
            object_id=rule.pk,
        )
    changed = _changed(rule, values)
    with transaction.atomic():
        for name, value in values.items():
            setattr(rule, name, value)
        rule.save()
        audit_record(
            ctx=ctx,
            action=AuditAction.UPDATE,
            category="pricing",
            client_id=rule.client_id,
            object_type="PricingRule",
            object_id=rule.pk,
            detail={"fields": changed},
        )
    return rule


def pricing_rule_delete(*, rule: PricingRule, ctx: AuditContext) -> None:
    with transaction.atomic():
        pk, client_id = rule.pk, rule.client_id
        rule.delete()
        audit_record(
            ctx=ctx,
            action=AuditAction.DELETE,
            category="pricing",
            client_id=client_id,
            object_type="PricingRule",
            object_id=pk,
        )
