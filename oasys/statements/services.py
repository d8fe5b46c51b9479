"""Writes of statements: emailing a client their statement (staff's click, the API, the
monthly run) and the practice's statement settings. Each goes through the recorded outbound
mail (oasys.core.outbound_mail), as invoices do, and writes an audit row."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from oasys.clients.models import Client
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditAction, Practice, SentEmail, User
from oasys.core.outbound_mail import email_send
from oasys.core.timezones import practice_date, practice_zone
from oasys.ledger.models import Account, JournalLine

from .models import StatementSend, StatementSettings, StatementSource
from .pdf import dollars, practice_contact, statement_filename, statement_pdf
from .selectors import Statement, previous_month, statement_build, statement_settings_get

log = logging.getLogger(__name__)

MONTHLY_SOURCE = "monthly statement run"
# The monthly run sends the previous month's statements during the first days of a month
# only: a run missed on the 1st (a worker down) catches up, but a client whose email
# address is added on the 20th is not sent last month's statement out of the blue.
MONTHLY_WINDOW_DAYS = 7


def _no_address(client: Client) -> str:
    """Why the client cannot be emailed ("" when they can)."""
    address = (client.email or "").strip()
    if not address:
        return (f"{client.full_name} has no email address: add one in Client Billing → "
                f"Details before emailing a statement.")
    try:
        validate_email(address)
    except ValidationError:
        return (f"{client.full_name}'s email address is not valid: correct it in Client "
                f"Billing → Details before emailing a statement.")
    return ""


def _email(statement: Statement, *, ctx: AuditContext, kind: str) -> SentEmail:
    """The statement to the client: the period and the balance due in the body (what an
    invoice email already says: no sessions, no codes), the PDF attached."""
    client = statement.client
    practice = client.practice
    contact = practice_contact(practice)
    subject = f"Your statement from {practice.name}"
    context = {
        "first_name": client.first_name, "period_start": statement.period_start,
        "period_end": statement.period_end, "balance_due": dollars(statement.balance_due),
        "credit": dollars(-statement.balance_due) if statement.balance_due < 0 else "",
        "owes": statement.balance_due > 0, "contact": contact,
    }
    return email_send(
        practice=practice, to=client.email, subject=subject, template="email/statement",
        context=context, ctx=ctx, kind=kind,
        attachments=[(statement_filename(statement), statement_pdf(statement=statement),
                      "application/pdf")],
        object_type="Client", object_id=client.pk, client_id=client.pk,
        reply_to=contact["email"] or None)


def statement_send(*, practice: Practice, client: Client, period_start: dt.date,
                   period_end: dt.date, ctx: AuditContext,
                   actor: User | None = None) -> SentEmail:
    """Email the client their statement for the period, the PDF attached. InvalidInput
    (nothing written) when the client has no usable email address or the period is
    backwards; the client must be the practice's (looked up scoped by the caller)."""
    if client.practice_id != practice.pk:
        raise InvalidInput("This client is not one of the practice's.")
    problem = _no_address(client)
    if problem:
        raise InvalidInput({"email": problem})
    statement = statement_build(practice=practice, client=client, period_start=period_start,
                                period_end=period_end)
    with transaction.atomic():
        email = _email(statement, ctx=ctx, kind="statement")
        send = StatementSend.objects.create(
            practice=practice, client=client, period_start=period_start,
            period_end=period_end, source=StatementSource.STAFF, sent_email=email,
            created_by=actor)
        audit_record(ctx=ctx, action=AuditAction.EXPORT, category="statement",
                     client_id=client.pk, object_type="StatementSend", object_id=send.pk,
                     detail={"action": "email", "email": email.pk,
                             "from": period_start.isoformat(), "to": period_end.isoformat()})
    return email


def _clients_owing(practice: Practice, before: dt.datetime) -> list[int]:
    """Ids of the practice's clients whose receivable was positive at `before` (the
    journal's client balance at that moment)."""
    rows = (JournalLine.objects.filter(practice=practice, account=Account.AR_CLIENT,
                                       client__isnull=False, entry__posted_at__lt=before)
            .values("client_id").annotate(d=Sum("debit"), c=Sum("credit")).order_by())
    return sorted(r["client_id"] for r in rows if (r["d"] or 0) - (r["c"] or 0) > 0)


def _monthly_for_practice(practice: Practice, today: dt.date) -> dict[str, int]:
    start, end = previous_month(today)
    before = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min,
                                 tzinfo=practice_zone(practice))
    ctx = AuditContext.system(practice_id=practice.pk, source=MONTHLY_SOURCE)
    done = {"sent": 0, "already": 0, "no_email": 0}
    for client in Client.objects.filter(practice=practice,
                                        pk__in=_clients_owing(practice, before)):
        if StatementSend.objects.filter(practice=practice, client=client, period_start=start,
                                        source=StatementSource.MONTHLY).exists():
            done["already"] += 1
            continue
        if _no_address(client):
            done["no_email"] += 1
            continue
        statement = statement_build(practice=practice, client=client, period_start=start,
                                    period_end=end, statement_date=today)
        try:
            with transaction.atomic():
                # the row first: a second run at the same moment stops at the unique
                # constraint before anything is emailed
                send = StatementSend.objects.create(
                    practice=practice, client=client, period_start=start, period_end=end,
                    source=StatementSource.MONTHLY)
                email = _email(statement, ctx=ctx, kind="statement")
                send.sent_email = email
                send.save(update_fields=["sent_email", "updated_at"])
                audit_record(ctx=ctx, action=AuditAction.EXPORT, category="statement",
                             client_id=client.pk, object_type="StatementSend",
                             object_id=send.pk,
                             detail={"action": "monthly", "email": email.pk,
                                     "from": start.isoformat(), "to": end.isoformat()})
        except IntegrityError:
            done["already"] += 1
            continue
        done["sent"] += 1
    return done


def statement_run_monthly(*, now: dt.datetime | None = None,
                          practice: Practice | None = None) -> dict[str, int]:
    """Email last month's statement to every client with a balance due at its end, in each
    practice that turned the monthly run on (or only `practice`), during the first
    MONTHLY_WINDOW_DAYS days of the practice's month. Once per client per month whatever the
    number of runs (StatementSend's unique constraint). Answers counts: sent, already sent,
    skipped for want of an email address."""
    now = now or timezone.now()
    totals = {"sent": 0, "already": 0, "no_email": 0}
    practices = Practice.objects.filter(statement_settings__monthly_run=True,
                                        suspended_at__isnull=True)
    if practice is not None:
        practices = practices.filter(pk=practice.pk)
    for p in practices.order_by("pk"):
        today = practice_date(now, p)
        if today.day > MONTHLY_WINDOW_DAYS:
            continue
        for key, n in _monthly_for_practice(p, today).items():
            totals[key] += n
        log.info("statement run: practice %s sent %s", p.pk, totals["sent"])
    return totals


def statement_settings_update(*, practice: Practice, data: Mapping[str, Any],
                              ctx: AuditContext, actor: User | None = None
                              ) -> StatementSettings:
    """Change the practice's statement settings (the key: monthly_run, a bool). Unknown keys
    and non-bool values are refused before anything is written; the change is audited."""
    unknown = sorted(set(data) - {"monthly_run"})
    if unknown:
        raise InvalidInput({unknown[0]: "This is not a statement setting."})
    if "monthly_run" in data and not isinstance(data["monthly_run"], bool):
        raise InvalidInput({"monthly_run": "Say yes or no."})
    with transaction.atomic():
        current = statement_settings_get(practice=practice)
        changed = [k for k, v in data.items() if getattr(current, k) != v]
        for k, v in data.items():
            setattr(current, k, v)
        current.updated_by = actor
        current.save()
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="statement",
                     object_type="StatementSettings", object_id=current.pk,
                     detail={"changed": changed})
    return current
