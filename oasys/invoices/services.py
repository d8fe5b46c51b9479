"""Creating invoices, and the practice's invoice settings. An invoice is created as a Draft
with its lines (from a session, an ERA's client share, or by hand as a standalone invoice).

Money: a session or standalone invoice is charged to the client (journal) when it opens,
not while it is a Draft (`settlement.invoice_open`); its Draft total is the sum of its lines.
A client-responsibility invoice moves the share the payer's 835 already put on the client
to the invoice when it is created. Sending, charging cards and the actions on an invoice
live in sending.py, charging.py, settlement.py and actions.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.clients.models import BillingType, Client
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from oasys.core.formats import date_text
from oasys.core.models import AuditAction, Practice, User
from oasys.core.money import money
from oasys.core.sequences import sequence_next
from oasys.core.timezones import practice_date, practice_today
from oasys.ledger.services import ledger_invoice_total_refresh, ledger_post_client_share_invoiced

from .amounts import AmountError, amount_parse
from .machine import INVOICE_MACHINE
from .models import (
    MAX_DUE_DAYS,
    MAX_RETRIES,
    Invoice,
    InvoiceGrouping,
    InvoiceKind,
    InvoiceLine,
    InvoiceSettings,
)
from .selectors import invoice_settings_get


class AlreadyInvoiced(Conflict):
    pass


def invoice_number_next(*, practice: Practice) -> str:
    return f"INV-{sequence_next(name=f'invoice:{practice.pk}'):06d}"


@dataclass(frozen=True)
class SessionCharge:
    """One session to invoice, priced by Bill Sessions (readiness)."""

    appointment_id: int
    amount: Decimal
    cpt: str


def invoice_create_for_session(
    *,
    practice: Practice,
    appointment_id: int,
    amount: Decimal,
    cpt: str,
    ctx: AuditContext,
    actor: User | None = None,
) -> Invoice:
    """A Draft invoice for one session (cash pay or no-show). Refused if already invoiced."""
    return invoice_create_for_sessions(
        practice=practice, sessions=[SessionCharge(appointment_id, amount, cpt)], ctx=ctx,
        actor=actor)


def invoice_create_for_sessions(
    *,
    practice: Practice,
    sessions: Sequence[SessionCharge],
    ctx: AuditContext,
    actor: User | None = None,
) -> Invoice:
    """A Draft invoice with one line per session, all of one client (the practice setting
    "one invoice per client per billing run"), charged to the journal as one entry.
    AlreadyInvoiced if any of them is invoiced already (the unique key on the line decides,
    under concurrency too), and then nothing is written."""
    if not sessions:
        raise InvalidInput({"sessions": "Choose at least one session to invoice."})
    by_id = {a.pk: a for a in Appointment.objects.select_related("client", "service_type")
             .filter(practice=practice, pk__in=[c.appointment_id for c in sessions])}
    missing = [c.appointment_id for c in sessions if c.appointment_id not in by_id]
    if missing:
        raise Appointment.DoesNotExist(f"No session {missing[0]} in this practice")
    clients = {by_id[c.appointment_id].client_id for c in sessions}
    if len(clients) != 1:
        raise InvalidInput({"sessions": "One invoice bills the sessions of one client."})
    client = by_id[sessions[0].appointment_id].client
    today = practice_today(practice)
    due_days = invoice_settings_get(practice=practice).due_days
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                practice=practice,
                client=client,
                number=invoice_number_next(practice=practice),
                kind=InvoiceKind.SESSION,
                issue_date=today,
                due_date=today + timedelta(days=due_days),
                created_by=actor,
            )
            INVOICE_MACHINE.record_created(obj=invoice, actor=actor, source="invoices",
                                           reason="created")
            # one INSERT for all the lines; a session invoiced already still fails it
            # on the line's unique key (IntegrityError below)
            InvoiceLine.objects.bulk_create([_session_line(practice, invoice,
                                                           by_id[charge.appointment_id], charge)
                                             for charge in sessions])
            audit_record(
                ctx=ctx, action=AuditAction.CREATE, category="invoice",
                client_id=client.pk, object_type="Invoice", object_id=invoice.pk,
                detail={"sessions": len(sessions)} if len(sessions) > 1 else None,
            )
            # charged to the journal when it opens; a Draft's total is its lines
            ledger_invoice_total_refresh(invoice=invoice)
    except IntegrityError as exc:
        ids = ", ".join(str(c.appointment_id) for c in sessions)
        raise AlreadyInvoiced(f"Session {ids} is already invoiced") from exc
    return invoice


def _session_line(practice: Practice, invoice: Invoice, appt: Appointment,
                  charge: SessionCharge) -> InvoiceLine:
    no_show = appt.status == AppointmentStatus.NO_SHOW
    day = practice_date(appt.start, practice)
    what = "No-show fee" if no_show else appt.service_type.name
    return InvoiceLine(
        practice=practice,
        invoice=invoice,
        appointment=appt,
        description=f"{what} on {date_text(day)}",
        service_date=day,
        cpt_code=charge.cpt if not no_show else "",
        amount=money(charge.amount),
    )


def invoice_create_for_client_responsibility(
    *, practice: Practice, remittance_claim, amount: Decimal, ctx: AuditContext,
    actor: User | None = None
) -> Invoice:
    """A Draft invoice for exactly the client's share that an ERA claim leaves (deductible,
    copay, coinsurance), once per remittance claim (a unique key on the line refuses a second,
    under concurrency too). Raises AlreadyInvoiced, or ValidationError when nothing is due.

    `amount` is that share still to invoice, as remittance works it out (it builds on
    invoices): call it through remittance.services.remittance_claim_invoice_create."""
    rc = remittance_claim
    if rc.practice_id != practice.pk:
        raise NotAllowed("This remittance claim belongs to another practice")
    if InvoiceLine.objects.filter(remittance_claim=rc).exists():
        raise AlreadyInvoiced(f"Remittance claim {rc.pk} is already invoiced")
    if amount <= 0 or rc.claim_id is None:
        raise InvalidInput("This ERA claim leaves the client nothing to invoice.")
    claim = rc.claim
    today = practice_today(practice)
    due_days = invoice_settings_get(practice=practice).due_days
    day = claim.service_date
    line = claim.lines.order_by("line_number").first()
    payer = rc.remittance.payer_name or "your insurance"
    try:
        with transaction.atomic():
            invoice = Invoice.objects.create(
                practice=practice,
                client_id=claim.client_id,
                number=invoice_number_next(practice=practice),
                kind=InvoiceKind.CLIENT_RESPONSIBILITY,
                issue_date=today,
                due_date=today + timedelta(days=due_days),
                created_by=actor,
            )
            INVOICE_MACHINE.record_created(obj=invoice, actor=actor, source="invoices",
                                           reason="created")
            InvoiceLine.objects.create(
                practice=practice,
                invoice=invoice,
                remittance_claim=rc,
                description=f"Your share after {payer} for the session on {date_text(day)}"[:200],
                service_date=day,
                cpt_code=line.procedure_code if line else "",
                amount=money(amount),
            )
            audit_record(
                ctx=ctx, action=AuditAction.CREATE, category="invoice",
                client_id=claim.client_id, object_type="Invoice", object_id=invoice.pk,
                detail={"kind": InvoiceKind.CLIENT_RESPONSIBILITY, "remittance_claim": rc.pk},
            )
            ledger_post_client_share_invoiced(invoice=invoice, claim=claim, amount=amount,
                                              ctx=ctx, actor=actor)
    except IntegrityError as exc:
        raise AlreadyInvoiced(f"Remittance claim {rc.pk} is already invoiced") from exc
    return invoice


# --- standalone invoices (Manage Invoices → Create Standalone) ------------------------------
MAX_LINES = 50
# A line's date: a charge of the last few years or of the coming year (a fee agreed for a
# session ahead). Anything outside is a typing mistake, refused rather than billed.
LINE_DATE_PAST_DAYS = 3 * 366
LINE_DATE_FUTURE_DAYS = 366


def _line_date(value: object, today: dt.date) -> tuple[dt.date | None, str]:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, "Enter the date of the charge."
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            return None, "Enter the date as YYYY-MM-DD."
    if value is None:
        return None, "Enter the date of the charge."
    if not isinstance(value, dt.date):
        return None, "Enter the date as YYYY-MM-DD."
    if value < today - timedelta(days=LINE_DATE_PAST_DAYS):
        return None, "This date is more than 3 years ago; check the year."
    if value > today + timedelta(days=LINE_DATE_FUTURE_DAYS):
        return None, "This date is more than a year ahead; check the year."
    return value, ""


def _standalone_client(*, practice: Practice, client_id: object) -> Client:
    try:
        pk = int(str(client_id).strip())
    except (TypeError, ValueError):
        raise InvalidInput({"client_id": "Choose the client to invoice."}) from None
    client = Client.objects.filter(practice=practice, pk=pk).first()
    if client is None:
        # another practice's client is as unknown here as one that never existed
        raise NotFound(errors={"client_id": "No such client in this practice."})
    if client.billing_type == BillingType.NOT_BILLED:
        raise InvalidInput({"client_id": "This client's billing type is Not billed: change "
                                         "it in Client Billing to invoice them."})
    return client


def _standalone_lines(lines: object, today: dt.date) -> list[tuple[str, dt.date, Decimal]]:
    """The lines cleaned, or InvalidInput naming each bad field as lines.<n>.<field>."""
    if not isinstance(lines, Sequence) or isinstance(lines, str | bytes):
        raise InvalidInput({"lines": "Add at least one line."})
    if not lines:
        raise InvalidInput({"lines": "Add at least one line."})
    if len(lines) > MAX_LINES:
        raise InvalidInput({"lines": f"An invoice has at most {MAX_LINES} lines."})
    errors: dict[str, str] = {}
    out: list[tuple[str, dt.date, Decimal]] = []
    for n, line in enumerate(lines):
        if not isinstance(line, Mapping):
            errors[f"lines.{n}"] = "Each line has a description, a date and an amount."
            continue
        description = " ".join(str(line.get("description") or "").split())
        if not description:
            errors[f"lines.{n}.description"] = "Describe the charge, e.g. Late cancellation fee."
        elif len(description) > 200:
            errors[f"lines.{n}.description"] = "Keep the description to 200 characters."
        day, date_error = _line_date(line.get("date"), today)
        if date_error:
            errors[f"lines.{n}.date"] = date_error
        try:
            amount = amount_parse(line.get("amount"))
        except AmountError as exc:
            errors[f"lines.{n}.amount"] = str(exc)
            continue
        if description and day is not None and len(description) <= 200:
            out.append((description, day, amount))
    if errors:
        raise InvalidInput(errors)
    total = sum((a for _, _, a in out), Decimal("0"))
    if total > Decimal("99999999.99"):
        raise InvalidInput({"lines": "The invoice's total is too large."})
    return out


def invoice_create_standalone(
    *,
    practice: Practice,
    client_id: int | str,
    lines: Sequence[Mapping[str, Any]],
    ctx: AuditContext,
    actor: User | None = None,
) -> Invoice:
    """A Draft standalone invoice (a charge not tied to a session, e.g. a late cancellation
    fee) for a client of this practice, with one line per {description, date, amount}.

    Like a session invoice, its charge (client receivable, revenue) is posted to the journal
    in the same transaction, which writes its total. Refused without writing anything:
    NotFound for a client not of this practice; InvalidInput for a Not-billed client, no
    lines, or a line without a description, with a date missing or absurd, or an amount that
    is not a positive number of dollars and cents (errors keyed lines.<n>.<field>)."""
    client = _standalone_client(practice=practice, client_id=client_id)
    today = practice_today(practice)
    clean = _standalone_lines(lines, today)
    due_days = invoice_settings_get(practice=practice).due_days
    with transaction.atomic():
        invoice = Invoice.objects.create(
            practice=practice,
            client=client,
            number=invoice_number_next(practice=practice),
            kind=InvoiceKind.STANDALONE,
            issue_date=today,
            due_date=today + timedelta(days=due_days),
            created_by=actor,
        )
        INVOICE_MACHINE.record_created(obj=invoice, actor=actor, source="invoices",
                                       reason="created by hand (standalone)")
        InvoiceLine.objects.bulk_create([
            InvoiceLine(practice=practice, invoice=invoice, description=description,
                        service_date=day, amount=amount)
            for description, day, amount in clean
        ])
        audit_record(
            ctx=ctx, action=AuditAction.CREATE, category="invoice", client_id=client.pk,
            object_type="Invoice", object_id=invoice.pk,
            detail={"kind": InvoiceKind.STANDALONE, "lines": len(clean)},
        )
        ledger_invoice_total_refresh(invoice=invoice)
    return invoice


# --- the practice's invoice settings ----------------------------------------------------------
_WHOLE_DAYS = "Retry days are whole numbers of days, like 3, 5, 7."


def _retry_days_clean(value: object) -> list[int]:
    """[3, 5, 7] from a list of whole numbers or text like "3, 5, 7"."""
    if isinstance(value, str):
        parts = [p for p in re.split(r"[\s,;]+", value.strip()) if p]
    elif isinstance(value, Sequence):
        parts = list(value)
    else:
        raise InvalidInput({"retry_days": "Enter the retry days as numbers, like 3, 5, 7."})
    days: list[int] = []
    for part in parts:
        if isinstance(part, bool | float):
            raise InvalidInput({"retry_days": _WHOLE_DAYS})
        try:
            day = int(str(part).strip())
        except ValueError:
            raise InvalidInput({"retry_days": _WHOLE_DAYS}) from None
        days.append(day)
    if not days:
        raise InvalidInput({"retry_days": "Enter at least one retry day, like 3, 5, 7."})
    if len(days) > MAX_RETRIES:
        raise InvalidInput({"retry_days": f"At most {MAX_RETRIES} retries."})
    if any(d < 1 or d > MAX_DUE_DAYS for d in days):
        raise InvalidInput({"retry_days": f"Each retry day is between 1 and {MAX_DUE_DAYS}."})
    if any(b <= a for a, b in zip(days, days[1:], strict=False)):
        raise InvalidInput({"retry_days": "List the retry days in ascending order, each once "
                                          "(e.g. 3, 5, 7)."})
    return days


def _due_days_clean(value: object) -> int:
    if isinstance(value, bool | float):
        raise InvalidInput({"due_days": "Enter a whole number of days."})
    try:
        days = int(str(value).strip())
    except ValueError:
        raise InvalidInput({"due_days": "Enter a whole number of days."}) from None
    if not 0 <= days <= MAX_DUE_DAYS:
        raise InvalidInput({"due_days": f"Due terms are between 0 (due on receipt) and "
                                        f"{MAX_DUE_DAYS} days."})
    return days


def invoice_settings_update(
    *, practice: Practice, data: Mapping[str, Any], ctx: AuditContext,
    actor: User | None = None,
) -> InvoiceSettings:
    """Change some of the practice's invoice settings (keys of `data`: due_days, retry_days,
    grouping, email_receipts; others are refused). Every field is checked before anything is
    written; the change is audited with the names of the fields that changed. New due terms
    apply to invoices created from now on."""
    allowed = {"due_days", "retry_days", "grouping", "email_receipts"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput({unknown[0]: "This is not an invoice setting."})
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, clean in (("due_days", _due_days_clean), ("retry_days", _retry_days_clean)):
        if name in data:
            try:
                values[name] = clean(data[name])
            except InvalidInput as exc:
                errors.update(exc.errors)
    if "grouping" in data:
        if data["grouping"] in InvoiceGrouping.values:
            values["grouping"] = data["grouping"]
        else:
            errors["grouping"] = "Choose one invoice per item or one per client per run."
    if "email_receipts" in data:
        if isinstance(data["email_receipts"], bool):
            values["email_receipts"] = data["email_receipts"]
        else:
            errors["email_receipts"] = "Choose whether receipts are emailed."
    if errors:
        raise InvalidInput(errors)
    with transaction.atomic():
        settings, created = InvoiceSettings.objects.select_for_update().get_or_create(
            practice=practice)
        changed = sorted(k for k, v in values.items() if getattr(settings, k) != v)
        if changed or created:
            for k in changed:
                setattr(settings, k, values[k])
            settings.updated_by = actor
            settings.save()
            audit_record(ctx=ctx, action=AuditAction.UPDATE, category="invoice_settings",
                         object_type="InvoiceSettings", object_id=settings.pk,
                         detail={"fields": changed})
    return settings
