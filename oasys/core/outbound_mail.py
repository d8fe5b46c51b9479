"""Outgoing email, recorded: every message the practice sends a client (an invoice, a
reminder, a receipt, a link to save a card) goes through `email_send`, which keeps the whole
message as a `SentEmail` row in the caller's transaction and delivers it through Django's
email framework once that transaction commits (a Celery task, at least once, retried).

Staff read what clients received on Billing → Outbox; an object's page lists its emails with
`oasys.core.selectors.sent_email_list(object_type=…, object_id=…)`.

    queued -> sent      the mail server took the message
           -> failed    refused for good (a bad address, a 5xx), or out of attempts
    failed -> queued    someone asked for it to be sent again (Outbox → Send again)

Delivery claims the row with a short lease before talking to the mail server, so two
workers (a retry and the sweeper's kick) never send one message at the same time; every
attempt carries the Message-ID chosen when the row was written.

No PHI in logs: addresses, subjects and bodies stay in the row; logs name the row's id.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.utils import formataddr, make_msgid, parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from .audit import AuditContext, audit_record
from .errors import InvalidInput
from .models import (
    AuditAction,
    Practice,
    SentEmail,
    SentEmailAttachment,
    SentEmailEvent,
    SentEmailStatus,
)
from .statemachine import StateMachine, machine_register

log = logging.getLogger(__name__)

S = SentEmailStatus

SENT_EMAIL_MACHINE = machine_register(StateMachine(
    name="sent_email", noun="email", model=SentEmail, statuses=SentEmailStatus,
    transitions={
        S.QUEUED: frozenset({S.SENT, S.FAILED}),
        S.FAILED: frozenset({S.QUEUED}),
        S.SENT: frozenset(),
    },
    event_model=SentEmailEvent, event_fk="sent_email", audit_category="email",
    writers=("oasys.core.outbound_mail",),
))

# Attempts before an email that keeps meeting temporary errors (server down, 4xx) is failed.
EMAIL_MAX_ATTEMPTS = 6
# A worker's claim on a message older than this belongs to a worker that died mid-send.
CLAIM_LEASE = timedelta(minutes=10)
# The sweeper kicks queued messages this old whose kick was lost (broker down, a crash).
SWEEP_AFTER = timedelta(minutes=2)

# (filename, content, MIME type)
Attachment = tuple[str, bytes, str]


class EmailDeliveryRetry(Exception):
    """A temporary failure: the task tries again later (the row stays queued)."""


# Who writes the installation's own notices to its operators (no practice is the sender).
INSTALLATION_NAME = "Oasys Billing"


def _practice_from(practice: Practice | None) -> str:
    """The practice's name with the installation's sending address: clients see who wrote,
    and the address stays one the operator's mail server may send as."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    name = practice.name if practice is not None else INSTALLATION_NAME
    return formataddr((name, address or settings.DEFAULT_FROM_EMAIL))


def _message_id(from_email: str) -> str:
    domain = parseaddr(from_email)[1].rpartition("@")[2] or "oasys.invalid"
    # make_msgid without a domain looks the host name up (DNS): slow and machine-specific.
    return make_msgid(idstring="oasys", domain=domain)


def _one_line(text: str) -> str:
    # A subject is a header: line breaks would be header injection (Django refuses them at
    # send time, after the row was written); collapse them now.
    return " ".join(str(text).split())


def _clean_attachments(attachments: Iterable[Attachment]) -> list[Attachment]:
    cleaned = []
    for item in attachments:
        filename, content, mimetype = item
        name = _one_line(filename).replace("/", "-").replace("\\", "-")[:200]
        if not name or not isinstance(content, bytes | bytearray) or not mimetype:
            raise InvalidInput(errors={"attachments": "Each attachment needs a file name, "
                                                      "bytes and a MIME type."})
        cleaned.append((name, bytes(content), mimetype))
    return cleaned


def email_send(
    *,
    practice: Practice | None,
    to: str,
    subject: str,
    template: str,
    context: Mapping[str, Any],
    ctx: AuditContext,
    kind: str,
    attachments: Iterable[Attachment] = (),
    object_type: str = "",
    object_id: Any = "",
    client_id: int | None = None,
    reply_to: str | None = None,
) -> SentEmail:
    """Record one email and deliver it once the caller's transaction commits.

    `template` names a pair, `<template>.txt` and `<template>.html` (both required: every
    message has a plain-text and an HTML part), rendered with `context` plus `practice_name`
    and `subject`. Extend "email/base.html" / "email/base.txt", or use "email/notice" with
    `heading`, `paragraphs`, `action_url`, `action_label`. `object_type`/`object_id` name
    what the email is about (e.g. "Invoice", 12), `client_id` who it went to; both are how
    pages find their emails. `practice=None` is the installation writing to its operators
    (staff users, who belong to no practice): recorded the same way, on no practice's
    Outbox. Raises InvalidInput for a bad address, an empty subject or kind.
    """
    address = (to or "").strip()
    try:
        validate_email(address)
    except ValidationError as exc:
        raise InvalidInput(errors={"to": "This email address is not valid."}) from exc
    if reply_to:
        try:
            validate_email(reply_to.strip())
        except ValidationError as exc:
            raise InvalidInput(errors={"reply_to": "The reply-to address is not valid."}) \
                from exc
    subject_line = _one_line(subject)[:255]
    if not subject_line:
        raise InvalidInput(errors={"subject": "An email needs a subject."})
    kind = (kind or "").strip()
    if not kind or len(kind) > 30:
        raise InvalidInput(errors={"kind": "Say what kind of email this is (30 characters "
                                           "at most)."})
    files = _clean_attachments(attachments)
    sender = practice.name if practice is not None else INSTALLATION_NAME
    full_context = {**context, "practice_name": sender, "subject": subject_line}
    text_body = render_to_string(f"{template}.txt", full_context)
    html_body = render_to_string(f"{template}.html", full_context)
    from_email = _practice_from(practice)
    # Every refusal above is raised before a write. Inside a caller's transaction these
    # writes take no savepoint of their own: a failure among them dooms the caller's
    # transaction, so an email never commits without its attachments, event and audit row.
    with transaction.atomic(savepoint=False):
        email = SentEmail.objects.create(
            practice=practice, to=address, from_email=from_email,
            reply_to=(reply_to or "").strip(), subject=subject_line, kind=kind,
            object_type=object_type, object_id=str(object_id or ""), client_id=client_id,
            text_body=text_body, html_body=html_body,
            attachment_names=[name for name, _, _ in files],
            message_id=_message_id(from_email), created_by_id=ctx.user_id,
        )
        SentEmailAttachment.objects.bulk_create([
            SentEmailAttachment(sent_email=email, filename=name, content_type=mimetype,
                                content=content)
            for name, content, mimetype in files
        ])
        SENT_EMAIL_MACHINE.record_created(obj=email, actor=ctx.user_id, source=f"{kind} email",
                                          reason="queued")
        audit_record(
            ctx=ctx, action=AuditAction.CREATE, category="email", client_id=client_id,
            object_type="SentEmail", object_id=email.pk,
            detail={"kind": kind, "about": f"{object_type}:{email.object_id}".strip(":"),
                    "attachments": len(files)},
        )
        sent_email_deliver_enqueue(sent_email_id=email.pk)
    return email


# Emails written in one transaction go out in one task over one mail-server connection: a
# billing run that emails a hundred invoices queues a handful of tasks, not a hundred.
DELIVERY_BATCH = 50


def _pending(conn: Any) -> list[int]:
    """The ids of emails this connection wrote whose kick has not gone yet (per thread, as
    Django's connections are)."""
    if not hasattr(conn, "_oasys_emails_pending"):
        conn._oasys_emails_pending = []
    return conn._oasys_emails_pending


def sent_email_deliver_enqueue(*, sent_email_id: int) -> None:
    """Queue delivery once the current transaction commits. A lost kick (a broker that is
    down, a crash right after commit) is harmless: the sweeper kicks it again.

    Every email registers a callback (one discarded with a rolled-back savepoint must not
    take the others' kick with it); the first to run after commit queues all the ids the
    transaction wrote, in batches, and the rest find nothing left. An id whose row was
    rolled back is found missing by the task and skipped."""
    conn = transaction.get_connection()
    _pending(conn).append(sent_email_id)
    transaction.on_commit(lambda: _kick(conn), robust=True)


@contextmanager
def email_kicks_held() -> Iterator[None]:
    """Hold the delivery kicks of the emails written inside the block, each committed in
    a transaction of its own, and queue them together when it ends: auto-billing's deliver
    phase emails a chunk of invoices in as many transactions and queues one batch task for
    them, not one task each. A worker that dies inside loses only kicks, which the sweeper
    makes again (sent_emails_sweep)."""
    conn = transaction.get_connection()
    conn._oasys_emails_held = getattr(conn, "_oasys_emails_held", 0) + 1
    try:
        yield
    finally:
        conn._oasys_emails_held -= 1
        if not conn._oasys_emails_held and _pending(conn):
            if conn.in_atomic_block:
                transaction.on_commit(lambda: _kick(conn), robust=True)
            else:
                _kick(conn)


def _kick(conn: Any) -> None:
    # tasks.py imports this module at its top: a real cycle, so the tasks are looked up here
    from .tasks import sent_email_deliver_task, sent_emails_deliver_task  # noqa: PLC0415

    if getattr(conn, "_oasys_emails_held", 0):
        return  # email_kicks_held queues them when its block ends
    ids, conn._oasys_emails_pending = list(dict.fromkeys(_pending(conn))), []
    for start in range(0, len(ids), DELIVERY_BATCH):
        batch = ids[start:start + DELIVERY_BATCH]
        if len(batch) == 1:
            sent_email_deliver_task.delay(batch[0])
        else:
            sent_emails_deliver_task.delay(batch)


def _message(email: SentEmail, connection: Any = None) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject, body=email.text_body, from_email=email.from_email,
        to=[email.to], reply_to=[email.reply_to] if email.reply_to else None,
        headers={"Message-ID": email.message_id}, connection=connection,
    )
    message.attach_alternative(email.html_body, "text/html")
    for item in email.attachments.all():
        # PostgreSQL hands binary columns back as memoryview
        message.attach(item.filename, bytes(item.content), item.content_type)
    return message


def _failure(exc: Exception) -> tuple[bool, str]:
    """(temporary?, what went wrong in words). Stored on the row only, never logged: an SMTP
    answer may quote the address."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False, "The mail server refused the address."
    if isinstance(exc, smtplib.SMTPResponseException):
        answer = exc.smtp_error
        text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
        temporary = not 500 <= exc.smtp_code < 600
        return temporary, f"The mail server answered {exc.smtp_code}: {text}"[:500]
    if isinstance(exc, smtplib.SMTPException | OSError):
        return True, f"Could not reach the mail server ({type(exc).__name__}: {exc})"[:500]
    return False, f"{type(exc).__name__}: {exc}"[:500]


def _system_ctx(email: SentEmail) -> AuditContext:
    return AuditContext.system(practice_id=email.practice_id, source="email delivery")


def sent_email_deliver(*, sent_email_id: int, connection: Any = None) -> str:
    """Deliver one queued email (the task's body) and answer its status afterwards. A
    message already sent, failed, or being sent by another worker is left alone. Raises
    EmailDeliveryRetry on a temporary failure while attempts remain. `connection`: an open
    mail-server connection to send it on (sent_emails_deliver's), else one of its own."""
    now = timezone.now()
    claimed = (SentEmail.objects
               .filter(pk=sent_email_id, status=S.QUEUED)
               .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
               .update(claimed_at=now, attempts=F("attempts") + 1))
    email = SentEmail.objects.filter(pk=sent_email_id).first()
    if email is None:
        return ""
    if not claimed:
        return email.status
    try:
        _message(email, connection).send(fail_silently=False)
    except Exception as exc:  # every failure, whatever raised it, is recorded on the row
        temporary, reason = _failure(exc)
        if temporary and email.attempts < EMAIL_MAX_ATTEMPTS:
            SentEmail.objects.filter(pk=email.pk).update(claimed_at=None, error=reason)
            log.warning("email %s: attempt %s failed (%s); retrying", email.pk,
                        email.attempts, type(exc).__name__)
            raise EmailDeliveryRetry(f"email {email.pk}") from exc
        SENT_EMAIL_MACHINE.transition(
            obj=email, to=S.FAILED, ctx=_system_ctx(email), source="delivery",
            reason=reason, updates={"error": reason, "claimed_at": None},
            audit_extra={"attempts": email.attempts})
        log.warning("email %s: failed after %s attempt(s) (%s)", email.pk, email.attempts,
                    type(exc).__name__)
        return S.FAILED
    SENT_EMAIL_MACHINE.transition(
        obj=email, to=S.SENT, ctx=_system_ctx(email), source="delivery",
        updates={"sent_at": timezone.now(), "claimed_at": None, "error": ""},
        audit_extra={"attempts": email.attempts})
    return S.SENT


def sent_emails_deliver(*, sent_email_ids: Iterable[int]) -> dict[int, str]:
    """Deliver several queued emails over one mail-server connection (the batch task's
    body); answers each one's status afterwards. One meeting a temporary failure is queued
    on its own with the single task's delay (30 s, then growing) and the rest go on;
    "retry" is its status here."""
    from django.core.mail import get_connection  # noqa: PLC0415

    from .tasks import sent_email_deliver_task  # noqa: PLC0415 - tasks imports this module

    done: dict[int, str] = {}
    mail = get_connection(fail_silently=False)
    try:
        mail.open()
    except Exception as exc:  # noqa: BLE001 - the server down: each send below says so
        log.warning("email batch: could not open the mail connection (%s)", type(exc).__name__)
        mail = None
    try:
        for pk in sent_email_ids:
            try:
                done[pk] = sent_email_deliver(sent_email_id=pk, connection=mail)
            except EmailDeliveryRetry:
                sent_email_deliver_task.apply_async((pk,), countdown=30)
                done[pk] = "retry"
    finally:
        if mail is not None:
            try:
                mail.close()
            except Exception:  # noqa: BLE001 - the messages went; a failed QUIT changes nothing
                log.info("email batch: the mail connection did not close cleanly")
    return done


def sent_email_retry(*, sent_email: SentEmail, ctx: AuditContext) -> SentEmail:
    """Send a failed email again (Outbox → Send again): back to queued with fresh attempts,
    delivered on commit. Refused (Conflict) unless the email failed."""
    with transaction.atomic():
        SENT_EMAIL_MACHINE.transition(
            obj=sent_email, to=S.QUEUED, ctx=ctx, actor=ctx.user_id, source="outbox",
            reason="sent again", updates={"attempts": 0, "claimed_at": None})
        sent_email_deliver_enqueue(sent_email_id=sent_email.pk)
    return sent_email


def sent_emails_sweep(*, now: datetime | None = None) -> int:
    """Kick every queued email whose kick was lost or whose worker died (unclaimed, or
    claimed longer ago than the lease). Answers how many were kicked."""
    now = now or timezone.now()
    ids = list(SentEmail.objects
               .filter(status=S.QUEUED, created_at__lt=now - SWEEP_AFTER)
               .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_LEASE))
               .order_by("pk").values_list("pk", flat=True)[:500])
    for pk in ids:
        sent_email_deliver_enqueue(sent_email_id=pk)
    return len(ids)
