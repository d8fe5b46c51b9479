"""Writes: submitting interchanges, receiving inbound reports, enrollments.

Every outside call goes through the ClearinghousePort that settings choose
(`connection.clearinghouse_port()`) and carries an idempotency key derived from our row id,
backed by a unique constraint; nothing is sent while a database transaction is open.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput, NotAllowed
from oasys.core.models import AuditAction, Practice
from oasys.practice.models import Enrollment, EnrollmentStatus, ProviderProfile
from oasys.practice.services import enrollment_status_set

from .connection import DEFAULT_CONNECTION, clearinghouse_port
from .edi import FileFacts, content_hash, file_facts, parse_raw
from .handlers import handlers_for, outbound_handlers
from .machines import EDI_FILE
from .models import Direction, EdiFile, FileStatus, PollCursor
from .port import (
    ClearinghouseError,
    EnrollmentInfo,
    EnrollmentRequest,
    FinalError,
    RetryableError,
)

log = logging.getLogger(__name__)


def _audit_file(edi_file: EdiFile, action: str, ctx: AuditContext | None = None) -> None:
    audit_record(
        ctx=ctx or AuditContext.system(practice_id=edi_file.practice_id, source="clearinghouse"),
        action=action, category="edi_file", object_type="EdiFile", object_id=edi_file.pk,
        detail={"direction": edi_file.direction, "set_id": edi_file.set_id,
                "status": edi_file.status})


# --- matching files to practices -----------------------------------------------------------
def _practice_for(facts: FileFacts) -> Practice | None:
    """The one practice a file belongs to, or None when it cannot be told (never a guess)."""
    if facts.npis:
        ids = set(ProviderProfile.objects.filter(npi__in=facts.npis)
                  .values_list("practice_id", flat=True))
        if len(ids) == 1:
            return Practice.objects.get(pk=ids.pop())
    outbound = EdiFile.objects.filter(direction=Direction.OUTBOUND,
                                      practice__isnull=False)
    if facts.acknowledged_groups and facts.receiver:
        ids = set(outbound.filter(interchange_sender=facts.receiver,
                                  group_control_number__in=facts.acknowledged_groups)
                  .values_list("practice_id", flat=True))
        if len(ids) == 1:
            return Practice.objects.get(pk=ids.pop())
    if facts.receiver:
        ids = set(outbound.filter(interchange_sender=facts.receiver)
                  .values_list("practice_id", flat=True))
        if len(ids) == 1:
            return Practice.objects.get(pk=ids.pop())
    return None


# --- outbound: the transmission outbox ------------------------------------------------------
# An outbound EdiFile is its own outbox row. It is created (queued) in the caller's
# transaction, together with whatever it carries (claims); the network call happens after
# commit, by the on-commit kick (a Celery task) or, if that kick is lost, by the periodic
# sweeper. Sending is claimed in a committed step first (queued/retrying -> sending), so a
# worker killed mid-call leaves a "sending" row that the sweeper sends again once stale. The
# idempotency key is derived from the row id and never changes: the clearinghouse (Stedi, and
# the simulator) replays its first answer to a repeated key, so a resend never duplicates.
OUTBOUND_DUE = (FileStatus.QUEUED, FileStatus.RETRYING)


def edi_file_submit(*, practice: Practice, x12: str, ctx: AuditContext,
                    transmit: bool = True) -> EdiFile:
    """Store an interchange to send (once per content) and queue its transmission for after
    commit. `transmit=False` leaves it to the sweeper (or an explicit `edi_file_transmit`)."""
    raw = x12.strip()
    digest = content_hash(raw)
    existing = EdiFile.objects.filter(direction=Direction.OUTBOUND, sha256=digest).first()
    if existing is not None:
        if existing.practice_id != practice.pk:
            raise InvalidInput("This file was already submitted by another practice.")
        return existing
    facts = file_facts(raw)
    with transaction.atomic():
        edi_file = EdiFile.objects.create(
            practice=practice, direction=Direction.OUTBOUND, set_id=facts.set_id or "837",
            label=facts.label or "837P", raw=raw, sha256=digest, status=FileStatus.QUEUED,
            next_attempt_at=timezone.now(),
            interchange_sender=facts.sender[:15], interchange_receiver=facts.receiver[:15],
            interchange_control_number=facts.control_number[:9],
            group_control_number=facts.group_control_number[:9])
        # the key is derived from our row id and unique: a retry can never send a new claim
        edi_file.idempotency_key = f"oasys-edi-{edi_file.pk}"
        edi_file.save(update_fields=["idempotency_key"])
        EDI_FILE.record_created(obj=edi_file, source="outbox", reason="queued")
        _audit_file(edi_file, AuditAction.CREATE, ctx)
        if transmit:
            edi_file_transmit_enqueue(edi_file_id=edi_file.pk)
    return edi_file


def edi_file_transmit_enqueue(*, edi_file_id: int) -> None:
    """Queue the file's transmission once the current transaction commits. A lost kick (a
    broker that is down, a crash right after commit) is harmless: the sweeper sends it."""
    # tasks.py imports this module at its top: a real cycle, so the task is looked up here
    from .tasks import edi_file_transmit_task  # noqa: PLC0415

    def kick() -> None:
        edi_file_transmit_task.delay(edi_file_id)

    transaction.on_commit(kick, robust=True)


def _lock_kwargs() -> dict[str, bool]:
    # PostgreSQL: concurrent workers skip each other's rows. SQLite has no row locks; its
    # IMMEDIATE transactions serialize writers, so the status check inside is enough.
    return {"skip_locked": True} if connection.features.has_select_for_update_skip_locked \
        else {}


def _claim_for_sending(rows) -> EdiFile | None:
    """Take the first row of `rows` (locked, skipping rows other workers hold) and move it to
    sending in a committed step before any network call."""
    with transaction.atomic():
        edi_file = rows.select_for_update(**_lock_kwargs()).order_by("pk").first()
        if edi_file is None:
            return None
        now = timezone.now()
        EDI_FILE.transition(
            obj=edi_file, to=FileStatus.SENDING,
            ctx=AuditContext.system(practice_id=edi_file.practice_id, source="outbox"),
            source="outbox", reason=f"attempt {edi_file.attempts + 1}",
            updates={"sending_since": now, "attempts": edi_file.attempts + 1})
    return edi_file


def _outcome(edi_file: EdiFile, to: str, reason: str, **updates) -> EdiFile:
    """Record how a send ended and tell the owners of the file (claims), in one transaction."""
    with transaction.atomic():
        EDI_FILE.transition(
            obj=edi_file, to=to,
            ctx=AuditContext.system(practice_id=edi_file.practice_id, source="outbox"),
            source="outbox", reason=reason[:500], updates={"sending_since": None, **updates})
        edi_file.refresh_from_db()
        for handler in outbound_handlers():
            handler(edi_file)
    return edi_file


def _retry_delay(attempts: int) -> dt.timedelta:
    """Exponential back-off between sends of one file, capped at an hour."""
    base = float(settings.CLEARINGHOUSE_RETRY_BASE_SECONDS)
    return dt.timedelta(seconds=min(3600.0, base * 2 ** max(0, attempts - 1)))


def _send(edi_file: EdiFile) -> EdiFile:
    """The network call for a file this worker holds (status sending)."""
    port = clearinghouse_port()
    try:
        receipt = port.submit_interchange(x12=edi_file.raw,
                                          idempotency_key=edi_file.idempotency_key or "")
    except RetryableError as exc:
        _outcome(edi_file, FileStatus.RETRYING, exc.message, last_error=exc.message[:500],
                 next_attempt_at=timezone.now() + _retry_delay(edi_file.attempts))
        raise
    except FinalError as exc:
        return _outcome(edi_file, FileStatus.REFUSED, exc.message,
                        last_error=exc.message[:500], next_attempt_at=None)
    return _outcome(
        edi_file, FileStatus.SUBMITTED, f"accepted as {receipt.transaction_id}",
        external_id=receipt.transaction_id[:80], last_error="", next_attempt_at=None,
        receipt={"transaction_id": receipt.transaction_id,
                 "control_number": receipt.control_number, "status": receipt.status,
                 "payer_id": receipt.payer_id})


def edi_file_transmit(*, edi_file_id: int) -> EdiFile:
    """Send a stored outbound file now, if it is waiting (queued or retrying) and no other
    worker holds it. Safe to repeat: the idempotency key never changes. Raises RetryableError
    (the file is left retrying, due again later) when the clearinghouse does not answer."""
    rows = EdiFile.objects.filter(pk=edi_file_id, direction=Direction.OUTBOUND,
                                  status__in=OUTBOUND_DUE)
    edi_file = _claim_for_sending(rows)
    if edi_file is None:
        return EdiFile.objects.get(pk=edi_file_id, direction=Direction.OUTBOUND)
    return _send(edi_file)


def edi_files_due(*, now: dt.datetime | None = None):
    """Outbound files the sweeper should send: due retries, queued files whose kick was lost,
    and files left "sending" by a worker that died (older than the stale limit)."""
    now = now or timezone.now()
    grace = dt.timedelta(seconds=float(settings.CLEARINGHOUSE_QUEUED_GRACE_SECONDS))
    stale = dt.timedelta(seconds=float(settings.CLEARINGHOUSE_SENDING_STALE_SECONDS))
    return EdiFile.objects.filter(direction=Direction.OUTBOUND).filter(
        Q(status=FileStatus.RETRYING, next_attempt_at__lte=now)
        | Q(status=FileStatus.QUEUED, next_attempt_at__lte=now - grace)
        | Q(status=FileStatus.SENDING, sending_since__lte=now - stale))


def edi_files_sweep(*, limit: int = 100, now: dt.datetime | None = None) -> dict[str, int]:
    """Send every due outbound file (at most `limit`), one claimed row at a time, so several
    sweepers and workers share the work without sending one file twice at once. `now` is
    the clock the due times are read against (tests move it)."""
    counts = {"submitted": 0, "retrying": 0, "refused": 0}
    for _ in range(limit):
        edi_file = _claim_for_sending(edi_files_due(now=now))
        if edi_file is None:
            break
        try:
            counts[_send(edi_file).status] += 1
        except RetryableError as exc:
            log.warning("EDI file %s: sending failed, retrying later: %s", edi_file.pk,
                        exc.message)
            counts["retrying"] += 1
    return counts


def edi_file_send_again(*, edi_file: EdiFile) -> EdiFile:
    """Make a file waiting for a retry due now (Resubmit of a claim whose file may have
    reached the clearinghouse sends the same file under the same key), then send it after
    commit. A file already submitted, refused or being sent is left as it is."""
    EdiFile.objects.filter(pk=edi_file.pk, status__in=OUTBOUND_DUE).update(
        next_attempt_at=timezone.now())
    edi_file_transmit_enqueue(edi_file_id=edi_file.pk)
    edi_file.refresh_from_db()
    return edi_file


# --- inbound ---------------------------------------------------------------------------------
def edi_file_receive(*, raw: str, external_id: str = "",
                     connection: str = DEFAULT_CONNECTION,
                     received_at: dt.datetime | None = None,
                     practice: Practice | None = None) -> tuple[EdiFile, bool]:
    """Store one inbound file (once), then parse it, match it and hand it on.

    The raw file is committed before parsing, so nothing accepted is ever lost, even a file
    that fails to parse or a parser that crashes.

    `practice` marks a hand upload: the uploader owns the stored file whatever identifiers
    it carries (an NPI is public: a file naming another practice must never act on that
    practice), and no handler runs — the uploading service decides what, if anything, to
    post for the uploader.
    """
    digest = content_hash(raw)
    existing = EdiFile.objects.filter(direction=Direction.INBOUND, sha256=digest).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            edi_file = EdiFile.objects.create(
                direction=Direction.INBOUND, raw=raw, sha256=digest, status=FileStatus.FAILED,
                errors=[{"kind": "Pending", "message": "stored; not parsed yet"}],
                external_id=external_id[:80], connection=connection,
                received_at=received_at or timezone.now())
            EDI_FILE.record_created(obj=edi_file, source=connection or "upload",
                                    reason="stored; not parsed yet")
    except IntegrityError:  # another worker stored the same file a moment ago
        return EdiFile.objects.get(direction=Direction.INBOUND, sha256=digest), False
    try:
        facts = file_facts(raw)
        summary, errors = parse_raw(raw)
        uploader = practice
        matched = _practice_for(facts)
        practice = uploader if uploader is not None else matched
        if uploader is not None and matched is not None and matched.pk != uploader.pk:
            errors_extra = [{"kind": "OtherPractice",
                             "message": "This file names another practice; it was kept "
                                        "but acts on nothing."}]
        else:
            errors_extra = []
    except Exception as exc:  # noqa: BLE001 - a crash must still leave the file visible
        # The type only: an exception's text may quote the file, and files hold PHI.
        log.error("parsing inbound EDI file %s failed: %s", edi_file.pk, type(exc).__name__)
        EdiFile.objects.filter(pk=edi_file.pk).update(
            errors=[{"kind": type(exc).__name__, "message": str(exc)[:500]}])
        edi_file.refresh_from_db()
        _audit_file(edi_file, AuditAction.CREATE)
        return edi_file, True
    with transaction.atomic():
        edi_file = EdiFile.objects.select_for_update().get(pk=edi_file.pk)
        edi_file.practice = practice
        edi_file.set_id = facts.set_id[:10]
        edi_file.label = facts.label[:20]
        edi_file.interchange_sender = facts.sender[:15]
        edi_file.interchange_receiver = facts.receiver[:15]
        edi_file.interchange_control_number = facts.control_number[:9]
        edi_file.group_control_number = facts.group_control_number[:9]
        edi_file.summary = summary
        edi_file.errors = errors + errors_extra
        edi_file.save(update_fields=[
            "practice", "set_id", "label", "interchange_sender", "interchange_receiver",
            "interchange_control_number", "group_control_number", "summary", "errors"])
        if not errors:
            EDI_FILE.transition(
                obj=edi_file, to=FileStatus.PARSED,
                ctx=AuditContext.system(practice_id=edi_file.practice_id,
                                        source="clearinghouse"),
                source=connection or "upload", reason="parsed")
        _audit_file(edi_file, AuditAction.CREATE)
    if uploader is None and (edi_file.status == FileStatus.PARSED or (
        edi_file.set_id in QUARANTINE_HANDLED and edi_file.practice_id is not None
    )):
        edi_file_handle(edi_file=edi_file)
    return edi_file, True


# Sets whose handler also takes files that failed to parse (an 835 that cannot be read is
# quarantined on the Payment Remittances page, not only listed in EDI history).
QUARANTINE_HANDLED = {"835"}


def edi_file_handle(*, edi_file: EdiFile) -> bool:
    """Hand a parsed file to its handlers. A handler that fails leaves the file unhandled,
    with the error recorded, for `edi_files_handle_pending` to try again; the file itself is
    never lost. Returns whether every handler succeeded."""
    for handler in handlers_for(edi_file.set_id):
        try:
            handler(edi_file)
        except Exception as exc:  # noqa: BLE001 - any handler bug must not lose the file
            log.error("handler for EDI file %s failed: %s", edi_file.pk, type(exc).__name__)
            errors = [e for e in (edi_file.errors or []) if e.get("kind") != "HandlerError"]
            errors.append({"kind": "HandlerError", "message": f"{type(exc).__name__}: {exc}"[:500]})
            EdiFile.objects.filter(pk=edi_file.pk).update(errors=errors)
            return False
    EdiFile.objects.filter(pk=edi_file.pk).update(handled_at=timezone.now())
    return True


def edi_files_handle_pending(*, limit: int = 200) -> int:
    """Retry parsed inbound files whose handlers have not all succeeded yet."""
    pending = EdiFile.objects.filter(
        direction=Direction.INBOUND, status=FileStatus.PARSED, handled_at__isnull=True
    ).order_by("received_at", "pk")[:limit]
    done = 0
    for edi_file in pending:
        if edi_file_handle(edi_file=edi_file):
            done += 1
    return done


@dataclass
class PollResult:
    stored: list[int] = field(default_factory=list)
    duplicates: int = 0
    failed: list[int] = field(default_factory=list)
    cursor: dt.datetime | None = None


def reports_poll(*, connection: str = DEFAULT_CONNECTION) -> PollResult:
    """Fetch new inbound reports since the connection's cursor and store each one.

    The cursor moves only after every report of the page is stored; a crash in between
    fetches the same reports again, and their content hash stores each once.
    """
    port = clearinghouse_port()
    cursor_row, _ = PollCursor.objects.get_or_create(connection=connection)
    page = port.fetch_reports(since=cursor_row.cursor)
    result = PollResult(cursor=page.cursor)
    for report in page.reports:
        edi_file, created = edi_file_receive(raw=report.x12, external_id=report.transaction_id,
                                             connection=connection,
                                             received_at=report.processed_at)
        if not created:
            result.duplicates += 1
        elif edi_file.status == FileStatus.FAILED:
            result.failed.append(edi_file.pk)
        else:
            result.stored.append(edi_file.pk)
    PollCursor.objects.filter(pk=cursor_row.pk).update(cursor=page.cursor,
                                                       polled_at=timezone.now())
    edi_files_handle_pending()  # files whose handler failed before get another go
    return result


# --- enrollment ------------------------------------------------------------------------------
STATUS_MAP = {"LIVE": EnrollmentStatus.ACTIVE, "REJECTED": EnrollmentStatus.REJECTED,
              "CANCELED": EnrollmentStatus.REJECTED}


def _our_status(info: EnrollmentInfo) -> str:
    return STATUS_MAP.get(info.status, EnrollmentStatus.PENDING)


def _note(info: EnrollmentInfo) -> str:
    if info.status == "REJECTED":
        return f"Rejected by the payer: {info.reason}"[:300] if info.reason else \
            "Rejected by the payer."
    if info.status == "LIVE":
        return "Enrollment is live."
    return f"Clearinghouse status: {info.status.replace('_', ' ').lower()}."


def _apply(*, enrollment: Enrollment, info: EnrollmentInfo, ctx: AuditContext) -> Enrollment:
    if enrollment.external_id != info.external_id:
        Enrollment.objects.filter(pk=enrollment.pk).update(external_id=info.external_id[:80])
        audit_record(ctx=ctx, action=AuditAction.UPDATE, category="enrollment",
                     object_type="Enrollment", object_id=enrollment.pk,
                     detail={"fields": ["external_id"]})
        enrollment.refresh_from_db()
    return enrollment_status_set(
        practice=enrollment.practice, actor_ctx=ctx, enrollment=enrollment,
        status=_our_status(info), effective_date=info.effective_date, note=_note(info))


def enrollment_submit(*, enrollment: Enrollment, ctx: AuditContext) -> Enrollment:
    """Send an enrollment request to the clearinghouse and record it as pending.

    Idempotent: an enrollment already sent (it has an external id) is only refreshed, and
    the request's reference (our row id) lets the clearinghouse recognise a repeat.
    Raises ValidationError when the provider information is incomplete and
    ClearinghouseError (RetryableError or FinalError) when the clearinghouse fails.
    """
    if ctx.practice_id is not None and enrollment.practice_id != ctx.practice_id:
        raise NotAllowed("This enrollment belongs to another practice")
    port = clearinghouse_port()
    if enrollment.external_id:
        return _apply(enrollment=enrollment, info=port.get_enrollment(
            external_id=enrollment.external_id), ctx=ctx)
    profile = ProviderProfile.objects.filter(practice_id=enrollment.practice_id).first()
    if profile is None or not profile.npi or not profile.tax_id:
        raise InvalidInput("Finish your provider information (NPI and tax ID) first.")
    payer = enrollment.accepted_payer.payer
    payer_id = {"claims": payer.payer_id_claims, "era": payer.payer_id_era,
                "eligibility": payer.payer_id_eligibility}.get(enrollment.transaction_type) \
        or payer.payer_id_claims or payer.payer_id_era or payer.payer_id_eligibility
    request = EnrollmentRequest(
        reference=f"oasys-enrollment-{enrollment.pk}", payer_id=payer_id,
        transactions=(enrollment.transaction_type,),
        provider_name=profile.billing_name or enrollment.practice.name, npi=profile.npi,
        tax_id=profile.tax_id, tax_id_type=profile.tax_id_type.upper(),
        contact_name=profile.contact_name or profile.billing_name,
        contact_email=profile.contact_email, contact_phone=profile.contact_phone,
        address1=profile.address1, city=profile.city, state=profile.state,
        zip_code=profile.zip_code)
    info = port.create_enrollment(request=request)
    return _apply(enrollment=enrollment, info=info, ctx=ctx)


def enrollments_refresh(*, practice: Practice | None = None) -> int:
    """Follow every pending enrollment's status at the clearinghouse; returns how many
    changed. A clearinghouse failure on one enrollment leaves it for the next run."""
    port = clearinghouse_port()
    rows = Enrollment.objects.filter(status=EnrollmentStatus.PENDING).exclude(external_id="")
    if practice is not None:
        rows = rows.filter(practice=practice)
    changed = 0
    for enrollment in rows.select_related("practice").order_by("pk"):
        try:
            info = port.get_enrollment(external_id=enrollment.external_id)
        except ClearinghouseError as exc:
            log.warning("enrollment %s: status check failed: %s", enrollment.pk, exc.message)
            continue
        before = (enrollment.status, enrollment.note)
        ctx = AuditContext.system(practice_id=enrollment.practice_id, source="clearinghouse")
        after = _apply(enrollment=enrollment, info=info, ctx=ctx)
        changed += (after.status, after.note) != before
    return changed
