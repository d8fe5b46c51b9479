"""Replacement claims (frequency 7), reviewed before they go.

"Send a corrected claim" (a denied, paid or partly paid claim) and "Send the requested
information" (a Pending Info claim) open the corrected claim for editing: diagnoses, CPT,
modifiers, units, charge, date of service, prior authorization, the note to the payer (NTE)
and the records sent with it (PWK). The biller then sees what changed against the original
("was → now") and confirms; only then is the replacement sent, citing the payer's claim
number (REF*F8), and the original closed.

The edits live on the replacement itself: a Draft claim that `corrects` the original, keyed
`replace:<original>:<n>` like every correction, so the original keeps what the payer has and
its own history. Opening the page again finds the same draft. Every write here writes an
audit row; statuses move only through `claim_transition`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction

from oasys.clients.diagnoses import MAX_DIAGNOSES, diagnosis_error, diagnosis_normalize
from oasys.core.audit import AuditContext, audit_record
from oasys.core.codes import cpt_clean, modifier_errors, modifiers_parse
from oasys.core.errors import InvalidInput
from oasys.core.formats import date_text, money_text
from oasys.core.models import AuditAction, User
from oasys.core.money import money
from oasys.core.timezones import practice_today
from oasys.practice.cpt import cpt_extra_codes, cpt_validate

from .actions import claim_derived_create
from .machine import CLAIM_MACHINE
from .models import Claim, ClaimLine, Frequency
from .selectors import claim_replacement_draft_get
from .services import claim_transition
from .status import ClaimStatus
from .submission import SubmitOutcome, claims_submit

NOTHING_CHANGED = (
    "Nothing was changed: a replacement must correct something. To resend the same claim, "
    "ask the payer for its status (the payer may simply not have answered yet) or appeal the "
    "decision instead.")

# PWK01: the report types a therapy practice sends (all pass pyx12's 837P map).
ATTACHMENT_TYPES: dict[str, str] = {
    "09": "Progress report",
    "OZ": "Support data for the claim",
    "03": "Report justifying treatment beyond guidelines",
    "06": "Initial assessment",
    "08": "Plan of treatment",
    "10": "Continued treatment",
    "M1": "Medical record attachment",
    "B4": "Referral form",
    "CT": "Certification",
    "CK": "Consent form",
    "PY": "Physician's report",
    "EB": "Explanation of benefits (another payer's)",
}
# PWK02: how the records reach the payer.
ATTACHMENT_TRANSMISSIONS: dict[str, str] = {
    "FX": "By fax",
    "BM": "By mail",
    "EL": "Electronically, on their own",
    "EM": "By email",
    "FT": "By file transfer",
    "AA": "Available on request at the practice",
}
MAX_ATTACHMENTS = 10
_REFERENCE = re.compile(r"[A-Za-z0-9-]+")  # prior authorization, attachment control number
_RESERVED = set("*~:^>|")  # the envelope's delimiters
MAX_UNITS = Decimal("9999.99")
MAX_CHARGE = Decimal("99999999.99")


# --- what the biller sends -------------------------------------------------------------------
@dataclass(frozen=True)
class LineEdit:
    """One service line as edited: values as typed (strings) or already typed."""

    line_number: int
    procedure_code: str
    modifiers: str | Sequence[str] = ""
    units: str | Decimal = "1"
    charge: str | Decimal = ""


@dataclass(frozen=True)
class AttachmentEdit:
    report_type: str = ""
    transmission: str = ""
    control_number: str = ""


@dataclass(frozen=True)
class ReplacementEdits:
    diagnoses: str | Sequence[str]
    service_date: dt.date | str | None
    lines: Sequence[LineEdit]
    prior_authorization: str = ""
    note: str = ""
    attachments: Sequence[AttachmentEdit] = ()


@dataclass(frozen=True)
class _Line:
    line_number: int
    procedure_code: str
    modifiers: list[str]
    units: Decimal
    charge: Decimal


@dataclass(frozen=True)
class _Clean:
    diagnoses: list[str]
    service_date: dt.date
    lines: list[_Line]
    prior_authorization: str
    note: str
    attachments: list[dict]


@dataclass(frozen=True)
class Change:
    """One difference between the original and its replacement, in words."""

    field: str
    label: str
    was: str
    now: str


@dataclass
class ReplacementReview:
    original: Claim
    replacement: Claim
    changes: list[Change] = field(default_factory=list)


def replacement_purpose(original: Claim) -> str:
    """The claim machine's action this replacement answers: the payer's request for
    information (Pending Info) or a correction."""
    return "send_info" if original.status == ClaimStatus.PENDING_INFO else "replace"


# --- checking the edits ----------------------------------------------------------------------
def _decimal(text: str | Decimal, *, what: str) -> Decimal:
    if isinstance(text, Decimal):
        return text
    cleaned = str(text or "").strip().replace("$", "").replace(",", "")
    if not cleaned:
        raise ValueError(f"Enter the {what}.")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{str(text)[:12]!r} is not a number.") from None
    if not value.is_finite():
        raise ValueError(f"{str(text)[:12]!r} is not a number.")
    return value


def _diagnoses(value: str | Sequence[str], errors: dict[str, str]) -> list[str]:
    codes = ([c for c in re.split(r"[,;\s]+", value) if c] if isinstance(value, str)
             else [str(c).strip() for c in value if str(c).strip()])
    if not codes:
        errors["diagnoses"] = "A claim needs at least one diagnosis (ICD-10-CM, like F41.1)."
        return []
    if len(codes) > MAX_DIAGNOSES:
        errors["diagnoses"] = f"A claim takes at most {MAX_DIAGNOSES} diagnoses."
        return []
    for code in codes:
        problem = diagnosis_error(code)
        if problem:
            errors["diagnoses"] = problem
            return []
    out = [diagnosis_normalize(c) for c in codes]
    repeated = sorted({c for c in out if out.count(c) > 1})
    if repeated:
        errors["diagnoses"] = f"List each diagnosis once; {', '.join(repeated)} is repeated."
    return out


def _service_date(value: dt.date | str | None, claim: Claim,
                  errors: dict[str, str]) -> dt.date | None:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            errors["service_date"] = "Enter the date of service as a date (YYYY-MM-DD)."
            return None
    if value is None:
        errors["service_date"] = "Enter the date of service."
        return None
    if value > practice_today(claim.practice):
        errors["service_date"] = "The date of service cannot be in the future."
        return None
    return value


def _line(edit: LineEdit, errors: dict[str, str], *, practice,
          extra_codes: frozenset[str]) -> _Line | None:
    key = f"line_{edit.line_number}_"
    ok = True
    code = cpt_clean(edit.procedure_code)
    # the practice's rule for codes (shape, the behavioural-health codes, its own additions)
    problem = cpt_validate(practice=practice, code=code, required=True,
                           extra_codes=extra_codes)
    if problem:
        errors[key + "procedure_code"], ok = problem, False
    modifiers = (modifiers_parse(edit.modifiers) if isinstance(edit.modifiers, str)
                 else [str(m).strip().upper() for m in edit.modifiers if str(m).strip()])
    problems = modifier_errors(modifiers)
    if problems:
        errors[key + "modifiers"], ok = problems[0], False
    try:
        units = _decimal(edit.units, what="units")
        if units <= 0:
            raise ValueError("Units must be more than 0.")
        if units > MAX_UNITS or units != units.quantize(Decimal("0.01")):
            raise ValueError("Units are a number up to 9999.99, with at most 2 decimals.")
    except ValueError as exc:
        errors[key + "units"], ok = str(exc), False
    try:
        charge = _decimal(edit.charge, what="charge")
        if charge < 0:
            raise ValueError("A charge cannot be negative.")
        if charge == 0:
            raise ValueError("A charge must be more than $0.00.")
        if charge > MAX_CHARGE or charge != charge.quantize(Decimal("0.01")):
            raise ValueError("A charge is dollars and cents, like 150.00.")
    except ValueError as exc:
        errors[key + "charge"], ok = str(exc), False
    if not ok:
        return None
    return _Line(edit.line_number, code, modifiers, units, money(charge))


def _attachments(edits: Sequence[AttachmentEdit], replacement: Claim,
                 errors: dict[str, str]) -> list[dict]:
    rows = [a for a in edits if (a.report_type or a.transmission or a.control_number).strip()]
    if len(rows) > MAX_ATTACHMENTS:
        errors["attachments"] = f"A claim notes at most {MAX_ATTACHMENTS} attachments."
        return []
    out = []
    for n, a in enumerate(rows, start=1):
        key = f"attachment_{n}_"
        report, how = a.report_type.strip().upper(), a.transmission.strip().upper()
        number = a.control_number.strip().upper()
        if report not in ATTACHMENT_TYPES:
            errors[key + "report_type"] = "Choose what the attachment is (e.g. a progress report)."
        if how not in ATTACHMENT_TRANSMISSIONS:
            errors[key + "transmission"] = "Choose how the attachment reaches the payer."
        if how != "AA" and not number:
            # The number the payer matches the paper or file to this claim by.
            number = f"{replacement.patient_control_number}-{n}"
        if number and (not _REFERENCE.fullmatch(number) or not 2 <= len(number) <= 50):
            errors[key + "control_number"] = (
                "The attachment control number is 2 to 50 letters, digits or dashes.")
        out.append({"report_type": report, "transmission": how, "control_number": number})
    return out


def replacement_edits_clean(*, replacement: Claim, edits: ReplacementEdits) -> _Clean:
    """The edits checked and tidied, or InvalidInput naming every bad field (keys:
    diagnoses, service_date, line_<n>_procedure_code / _modifiers / _units / _charge,
    prior_authorization, note, attachment_<n>_report_type / _transmission / _control_number)."""
    errors: dict[str, str] = {}
    diagnoses = _diagnoses(edits.diagnoses, errors)
    service_date = _service_date(edits.service_date, replacement, errors)
    numbers = sorted(line.line_number for line in replacement.lines.all())
    if sorted(e.line_number for e in edits.lines) != numbers:
        errors["lines"] = (f"Give every service line of the claim once (line numbers "
                           f"{', '.join(map(str, numbers))}); lines are not added or removed.")
    extra = frozenset(cpt_extra_codes(practice=replacement.practice))
    lines = [_line(e, errors, practice=replacement.practice, extra_codes=extra)
             for e in edits.lines]
    prior = (edits.prior_authorization or "").strip().upper()
    if prior and (not _REFERENCE.fullmatch(prior) or len(prior) > 50):
        errors["prior_authorization"] = (
            "A prior authorization number is up to 50 letters, digits or dashes.")
    note = " ".join((edits.note or "").split())
    if len(note) > 80:
        errors["note"] = f"A note to the payer is at most 80 characters; this has {len(note)}."
    elif _RESERVED & set(note):
        errors["note"] = "A note to the payer cannot contain * ~ : ^ > or |."
    attachments = _attachments(edits.attachments, replacement, errors)
    if errors:
        raise InvalidInput(errors)
    assert service_date is not None
    return _Clean(diagnoses, service_date, [ln for ln in lines if ln is not None], prior, note,
                  attachments)


# --- what changed ----------------------------------------------------------------------------
def _units_text(units: Decimal) -> str:
    return f"{units.normalize():f}"


def attachment_text(a: dict) -> str:
    kind = ATTACHMENT_TYPES.get(a["report_type"], a["report_type"])
    how = ATTACHMENT_TRANSMISSIONS.get(a["transmission"], a["transmission"]).lower()
    number = f", control number {a['control_number']}" if a.get("control_number") else ""
    return f"{kind} ({a['report_type']}), {how}{number}"


def replacement_changes(*, original: Claim, replacement: Claim,
                        lines: Sequence[ClaimLine] | None = None) -> list[Change]:
    """What the replacement changes against the original, in words ("was → now"). `lines`:
    the replacement's lines when they are not saved yet."""
    out: list[Change] = []

    def add(key: str, label: str, was: str, now: str) -> None:
        if was != now:
            out.append(Change(key, label, was or "—", now or "—"))

    add("diagnoses", "Diagnoses", ", ".join(original.diagnosis_codes),
        ", ".join(replacement.diagnosis_codes))
    add("service_date", "Date of service", date_text(original.service_date),
        date_text(replacement.service_date))
    before = {ln.line_number: ln for ln in original.lines.all()}
    for line in sorted(replacement.lines.all() if lines is None else lines,
                       key=lambda ln: ln.line_number):
        old = before.get(line.line_number)
        if old is None:
            continue
        n = line.line_number
        add(f"line_{n}_procedure_code", f"Line {n} CPT", old.procedure_code,
            line.procedure_code)
        add(f"line_{n}_modifiers", f"Line {n} modifiers", ", ".join(old.modifiers),
            ", ".join(line.modifiers))
        add(f"line_{n}_units", f"Line {n} units", _units_text(old.units),
            _units_text(line.units))
        add(f"line_{n}_charge", f"Line {n} charge", money_text(old.charge),
            money_text(line.charge))
    add("total_charge", "Total charge", money_text(original.total_charge),
        money_text(replacement.total_charge))
    add("prior_authorization", "Prior authorization", original.prior_authorization,
        replacement.prior_authorization)
    add("note", "Note to the payer", original.note, replacement.note)
    add("attachments", "Attachments (PWK)",
        "; ".join(attachment_text(a) for a in original.attachments or []),
        "; ".join(attachment_text(a) for a in replacement.attachments or []))
    return out


# --- writes ----------------------------------------------------------------------------------
def claim_replacement_open(*, original: Claim, ctx: AuditContext,
                           actor: User | None = None) -> Claim:
    """The replacement of `original` being edited: the one already open, or a new Draft copy
    of the original (what the payer has), ready to be corrected."""
    CLAIM_MACHINE.require_action(original, replacement_purpose(original))
    draft = claim_replacement_draft_get(original=original)
    if draft is not None:
        return draft
    try:
        claim_derived_create(original=original, frequency=Frequency.REPLACEMENT, ctx=ctx,
                             actor=actor)
    except InvalidInput:
        if claim_replacement_draft_get(original=original) is None:
            raise  # no payer claim number yet (a double click finds the other's draft)
    draft = claim_replacement_draft_get(original=original)
    assert draft is not None
    return draft


def claim_replacement_review(*, original: Claim, ctx: AuditContext,
                             actor: User | None = None) -> ReplacementReview:
    """The open replacement and what it changes (opening one if there is none)."""
    replacement = claim_replacement_open(original=original, ctx=ctx, actor=actor)
    return ReplacementReview(original, replacement,
                             replacement_changes(original=original, replacement=replacement))


def claim_replacement_save(*, original: Claim, edits: ReplacementEdits, ctx: AuditContext,
                           actor: User | None = None) -> ReplacementReview:
    """Store the biller's edits on the replacement and answer what they change.

    Bad input, or edits that change nothing against the original, are refused
    (InvalidInput) and nothing is written."""
    with transaction.atomic():  # a refusal rolls back the draft it may have opened
        replacement = claim_replacement_open(original=original, ctx=ctx, actor=actor)
        clean = replacement_edits_clean(replacement=replacement, edits=edits)
        replacement = (Claim.objects.select_for_update().prefetch_related("lines")
                       .get(pk=replacement.pk))
        lines = {ln.line_number: ln for ln in replacement.lines.all()}
        pointers = list(range(1, min(4, len(clean.diagnoses)) + 1))
        for edit in clean.lines:
            line = lines[edit.line_number]
            line.procedure_code, line.modifiers = edit.procedure_code, edit.modifiers
            line.units, line.charge = edit.units, edit.charge
            line.service_date = clean.service_date
            if clean.diagnoses != replacement.diagnosis_codes:
                line.diagnosis_pointers = pointers
        replacement.diagnosis_codes = clean.diagnoses
        replacement.service_date = clean.service_date
        replacement.total_charge = money(sum((ln.charge for ln in clean.lines), Decimal(0)))
        replacement.prior_authorization = clean.prior_authorization
        replacement.note = clean.note
        replacement.attachments = clean.attachments
        # Compared before anything is written: an edit that changes nothing is refused.
        changes = replacement_changes(original=original, replacement=replacement,
                                      lines=list(lines.values()))
        if not changes:
            raise InvalidInput(NOTHING_CHANGED)
        ClaimLine.objects.bulk_update(
            list(lines.values()),
            ["procedure_code", "modifiers", "units", "charge", "service_date",
             "diagnosis_pointers"])
        replacement.validation_errors = []
        replacement.save(update_fields=["diagnosis_codes", "service_date", "total_charge",
                                        "prior_authorization", "note", "attachments",
                                        "validation_errors", "updated_at"])
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="claim",
                     client_id=replacement.client_id, object_type="Claim",
                     object_id=replacement.pk,
                     detail={"replacement_of": original.pk,
                             "changed": [c.field for c in changes]})
    replacement = Claim.objects.prefetch_related("lines").get(pk=replacement.pk)
    return ReplacementReview(original, replacement,
                             replacement_changes(original=original, replacement=replacement))


def claim_replacement_send(*, original: Claim, ctx: AuditContext,
                           actor: User | None = None) -> SubmitOutcome:
    """The biller confirmed: send the open replacement (frequency 7, REF*F8 the payer's
    claim number) and close the original once it is in the outbox. A replacement that
    changes nothing is refused."""
    with transaction.atomic():
        # One confirmation sends: a second (a double click) waits here, then finds the
        # original closed and is refused.
        original = Claim.objects.select_for_update().get(pk=original.pk)
        CLAIM_MACHINE.require_action(original, replacement_purpose(original))
        replacement = claim_replacement_draft_get(original=original)
        if replacement is None:
            raise InvalidInput("There is no corrected claim to send yet: correct the claim "
                               "first, then review what changed.")
        if not replacement_changes(original=original, replacement=replacement):
            raise InvalidInput(NOTHING_CHANGED)
        asked = original.status == ClaimStatus.PENDING_INFO
        outcome = claims_submit(practice=original.practice, claims=[replacement], ctx=ctx,
                                actor=actor)
        if outcome.submitted:
            claim_transition(
                claim=original, to=ClaimStatus.CLOSED, ctx=ctx, actor=actor,
                reason=(f"requested information sent in replacement "
                        f"{replacement.patient_control_number}" if asked else
                        f"replaced by {replacement.patient_control_number}"))
    return outcome
