"""Issuing good-faith estimates (No Surprises Act) to self-pay and uninsured clients:
proposing lines from the practice's service types, issuing (validated, numbered, audited),
voiding and emailing the PDF.

An estimate is for a client who is not billed to insurance: the law's estimate is owed to
the uninsured and to those who choose not to use their insurance, so a client whose billing
type is Insurance is refused with a message that says how to change it."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from oasys.appointments.models import Appointment
from oasys.clients.diagnoses import diagnosis_error, diagnosis_normalize
from oasys.clients.models import BillingType, Client, PricingRule
from oasys.clients.pricing import charge_for
from oasys.core.audit import AuditContext, audit_record
from oasys.core.codes import cpt_clean
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.formats import date_text
from oasys.core.models import AuditAction, Practice, SentEmail
from oasys.core.money import ZERO, money
from oasys.core.outbound_mail import email_send
from oasys.core.sequences import sequence_next
from oasys.core.timezones import practice_today
from oasys.practice.cpt import cpt_extra_codes, cpt_validate
from oasys.practice.models import ProviderProfile, ServiceType

from .models import EstimateStatus, Frequency, GoodFaithEstimate, GoodFaithEstimateLine
from .pdf import estimate_pdf

MAX_LINES = 20
MAX_QUANTITY = 1000
MAX_UNIT_COST = Decimal("99999.99")
MAX_DIAGNOSES = 12
_AMOUNT = re.compile(r"^\$?\s*(\d{1,3}(,\d{3})+|\d+)?(\.\d{0,2})?$")

NOT_SELF_PAY = ("This client is billed to insurance. A good-faith estimate is for self-pay "
                "or uninsured clients: change the client's billing type to Self-pay (Details) "
                "first.")


@dataclass(frozen=True)
class ProposedLine:
    cpt_code: str
    description: str
    quantity: int
    unit_cost: Decimal

    def as_row(self) -> dict[str, str]:
        return {"cpt_code": self.cpt_code, "description": self.description,
                "quantity": str(self.quantity), "unit_cost": f"{self.unit_cost:.2f}"}


def estimate_refusal(*, client: Client) -> str | None:
    """Why `client` cannot be given an estimate, or None."""
    if client.billing_type == BillingType.INSURANCE:
        return NOT_SELF_PAY
    return None


def sessions_in_period(*, period_start: date, period_end: date, frequency: str) -> int:
    """How many sessions `frequency` makes over the period, both days included: weekly over
    12 months is 52, every two weeks 26, monthly 12 (at least 1)."""
    days = (period_end - period_start).days + 1
    if frequency == Frequency.WEEKLY:
        count = days // 7
    elif frequency == Frequency.BIWEEKLY:
        count = days // 14
    elif frequency == Frequency.MONTHLY:
        count = round(days * 12 / 365.25)
    else:
        raise InvalidInput(errors={"frequency": "Choose weekly, every two weeks or monthly."})
    return max(1, count)


def year_after(day: date) -> date:
    """The same date a year on (a February 29 becomes March 1; the last year there is
    stays within it, so an absurd date is refused as a bad period, never a crash)."""
    if day.year >= date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return date(day.year + 1, 3, 1)


def _period_clean(period_start: Any, period_end: Any, errors: dict[str, str]
                  ) -> tuple[date | None, date | None]:
    start = _date(period_start, "period_start", errors)
    end = _date(period_end, "period_end", errors)
    if start and end:
        if end < start:
            errors["period_end"] = "The period must end on or after the day it starts."
        elif end >= year_after(start):
            errors["period_end"] = ("An estimate covers at most 12 months: end the period "
                                    "by the day before the same date next year.")
    return start, end


def _date(value: Any, field: str, errors: dict[str, str]) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value or "").strip())
    except ValueError:
        errors[field] = "Enter a date as YYYY-MM-DD."
        return None


def _service_type_candidates(*, practice: Practice, client: Client,
                             service_type_id: int | None) -> list[ServiceType]:
    """The chosen service type alone; else the one of the client's latest session, then the
    practice's active ones with a fee and a CPT code (the first that prices is proposed: a
    latest session of a sliding-scale type with no fee must not leave the estimate empty)."""
    types = ServiceType.objects.filter(practice=practice, is_active=True)
    if service_type_id is not None:
        chosen = types.filter(pk=service_type_id).first()
        if chosen is None:
            raise InvalidInput(errors={"service_type_id": "Choose one of the practice's "
                                                          "active service types."})
        return [chosen]
    latest = (Appointment.objects.filter(practice=practice, client=client,
                                         service_type__is_active=True)
              .select_related("service_type").order_by("-start").first())
    priced = list(types.filter(rate__gt=0).exclude(cpt_code="").order_by("name", "pk"))
    return ([latest.service_type] if latest is not None else []) + priced


def estimate_lines_propose(*, practice: Practice, client: Client, period_start: date,
                           period_end: date, frequency: str = Frequency.WEEKLY,
                           service_type_id: int | None = None) -> list[ProposedLine]:
    """The default lines: one service type at the client's price (their pricing rule, else
    the service type's fee) times the sessions `frequency` makes over the period. Empty when
    no candidate service type has a price and a CPT code for this client."""
    rules = {r.service_type_id: r for r in PricingRule.objects.filter(
        practice=practice, client=client)}
    for service_type in _service_type_candidates(practice=practice, client=client,
                                                 service_type_id=service_type_id):
        amount, cpt = charge_for(service_type=service_type, rule=rules.get(service_type.pk))
        if amount and cpt:
            quantity = sessions_in_period(period_start=period_start, period_end=period_end,
                                          frequency=frequency)
            return [ProposedLine(cpt_code=cpt, description=service_type.name,
                                 quantity=quantity, unit_cost=money(amount))]
    return []


def _unit_cost(value: Any) -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ValueError("Enter a unit cost, like 150.00.")
    if isinstance(value, float):
        value = repr(value)  # a JSON 150.5 is "150.5"; 1.005 stays refused below
    text = str(value).strip()
    if not text or not _AMOUNT.match(text) or not any(c.isdigit() for c in text):
        raise ValueError("Enter a unit cost in dollars with at most 2 decimals, like 150.00.")
    try:
        amount = Decimal(text.lstrip("$").strip().replace(",", ""))
    except InvalidOperation as exc:
        raise ValueError("Enter a unit cost in dollars, like 150.00.") from exc
    if amount <= 0:
        raise ValueError("A unit cost must be more than $0.")
    if amount > MAX_UNIT_COST:
        raise ValueError("A unit cost must be at most $99,999.99.")
    return money(amount)


def _quantity(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("Enter a whole number of sessions.")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ValueError("Enter a whole number of sessions.") from exc
    if not 1 <= number <= MAX_QUANTITY:
        raise ValueError(f"A quantity is from 1 to {MAX_QUANTITY}.")
    return number


def _lines_clean(*, practice: Practice, lines: Sequence[Mapping[str, Any]],
                 errors: dict[str, str]) -> list[ProposedLine]:
    if not lines:
        errors["lines"] = "Add at least one service to the estimate."
        return []
    if len(lines) > MAX_LINES:
        errors["lines"] = f"An estimate has at most {MAX_LINES} lines."
        return []
    names = {st.cpt_code: st.name for st in ServiceType.objects.filter(practice=practice)
             .exclude(cpt_code="").order_by("-is_active", "name")}
    clean: list[ProposedLine] = []
    extra = cpt_extra_codes(practice=practice)
    for i, row in enumerate(lines):
        if not isinstance(row, Mapping):
            errors[f"lines.{i}.cpt_code"] = "Each line needs a CPT code, quantity and unit cost."
            continue
        cpt = cpt_clean(str(row.get("cpt_code") or ""))
        problem = cpt_validate(practice=practice, code=cpt, required=True, extra_codes=extra)
        if problem:
            errors[f"lines.{i}.cpt_code"] = problem
        description = " ".join(str(row.get("description") or "").split())[:200]
        if not description and not problem:
            description = names.get(cpt, f"Services, CPT {cpt}")
        try:
            quantity = _quantity(row.get("quantity"))
        except ValueError as exc:
            errors[f"lines.{i}.quantity"] = str(exc)
            quantity = 0
        try:
            unit_cost = _unit_cost(row.get("unit_cost"))
        except ValueError as exc:
            errors[f"lines.{i}.unit_cost"] = str(exc)
            unit_cost = ZERO
        clean.append(ProposedLine(cpt_code=cpt, description=description, quantity=quantity,
                                  unit_cost=unit_cost))
    return clean


def _diagnoses_clean(value: Any, errors: dict[str, str]) -> str:
    if isinstance(value, list | tuple):
        parts = [str(v) for v in value]
    else:
        parts = str(value or "").replace(";", ",").split(",")
    codes: list[str] = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        problem = diagnosis_error(part)
        if problem:
            errors["diagnosis_codes"] = problem
            return ""
        code = diagnosis_normalize(part)
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_DIAGNOSES:
        errors["diagnosis_codes"] = f"Enter at most {MAX_DIAGNOSES} diagnosis codes."
        return ""
    return ", ".join(codes)


def estimate_number_next(*, practice: Practice) -> str:
    return f"GFE-{sequence_next(name=f'good-faith-estimate:{practice.pk}'):06d}"


def estimate_issue(*, practice: Practice, client: Client, period_start: Any, period_end: Any,
                   lines: Sequence[Mapping[str, Any]], diagnosis_codes: Any = "",
                   ctx: AuditContext) -> GoodFaithEstimate:
    """Issue an estimate to `client` (of `practice`) for the period with `lines` (each a
    mapping of cpt_code, description (optional), quantity, unit_cost, as typed or sent).

    InvalidInput (nothing written) for a client billed to insurance, a bad period (end
    before start, longer than 12 months), no lines or a bad line (keys `lines.N.field`), or
    a diagnosis code that is not ICD-10-CM."""
    if client.practice_id != practice.pk:
        raise InvalidInput(errors={"client": "No such client."})
    refusal = estimate_refusal(client=client)
    if refusal:
        raise InvalidInput(errors={"client": refusal})
    errors: dict[str, str] = {}
    start, end = _period_clean(period_start, period_end, errors)
    clean = _lines_clean(practice=practice, lines=lines, errors=errors)
    codes = _diagnoses_clean(diagnosis_codes, errors)
    if errors:
        raise InvalidInput(errors=errors)
    totals = [money(line.unit_cost * line.quantity) for line in clean]
    with transaction.atomic():
        estimate = GoodFaithEstimate.objects.create(
            practice=practice, client=client, number=estimate_number_next(practice=practice),
            issue_date=practice_today(practice), period_start=start, period_end=end,
            diagnosis_codes=codes, total=sum(totals, ZERO))
        GoodFaithEstimateLine.objects.bulk_create([
            GoodFaithEstimateLine(practice=practice, estimate=estimate, position=i + 1,
                                  cpt_code=line.cpt_code, description=line.description,
                                  quantity=line.quantity, unit_cost=line.unit_cost,
                                  total=total)
            for i, (line, total) in enumerate(zip(clean, totals, strict=True))
        ])
        audit_record(ctx=ctx, action=AuditAction.CREATE, category="estimate",
                     client_id=client.pk, object_type="GoodFaithEstimate",
                     object_id=estimate.pk, detail={"lines": len(clean)})
    return estimate


def estimate_void(*, estimate: GoodFaithEstimate, ctx: AuditContext) -> GoodFaithEstimate:
    """Mark an issued estimate void (it stays on the record); Conflict if it already is."""
    with transaction.atomic():
        locked = GoodFaithEstimate.objects.select_for_update().get(
            pk=estimate.pk, practice_id=estimate.practice_id)
        if locked.status == EstimateStatus.VOID:
            raise Conflict("This estimate is already void.")
        locked.status = EstimateStatus.VOID
        locked.save(update_fields=["status", "updated_at"])
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="estimate",
                     client_id=locked.client_id, object_type="GoodFaithEstimate",
                     object_id=locked.pk, detail={"status": EstimateStatus.VOID})
    return locked


def estimate_email(*, estimate: GoodFaithEstimate, ctx: AuditContext) -> SentEmail:
    """Email the estimate's PDF to the client (queued in the Outbox, sent once the
    transaction commits). InvalidInput when the client has no email address; Conflict for
    a void estimate."""
    if estimate.status == EstimateStatus.VOID:
        raise Conflict("A void estimate is not sent.")
    client = estimate.client
    if not client.email:
        raise InvalidInput(errors={"email": "The client has no email address: add one "
                                            "(Details) before emailing the estimate."})
    profile = ProviderProfile.objects.filter(practice_id=estimate.practice_id).first()
    period = (f"{date_text(estimate.period_start)} to {date_text(estimate.period_end)}")
    return email_send(
        practice=estimate.practice, to=client.email,
        subject=f"Your good-faith estimate {estimate.number}", template="email/notice",
        context={"heading": "Your good-faith estimate",
                 "paragraphs": [
                     f"Attached is your good-faith estimate {estimate.number} of the expected "
                     f"charges for your care from {period}.",
                     "Please keep it: if a bill comes to $400 or more above this estimate, "
                     "you may dispute it. The attachment explains how.",
                 ]},
        ctx=ctx, kind="estimate",
        attachments=[(f"Good-faith estimate {estimate.number}.pdf",
                      estimate_pdf(estimate=estimate), "application/pdf")],
        object_type="GoodFaithEstimate", object_id=estimate.pk, client_id=client.pk,
        reply_to=(profile.contact_email if profile and profile.contact_email else None))
