"""Reads for the Bill Sessions tab: the evaluated queue, filtered, split, and linked."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from oasys.appointments.models import Appointment
from oasys.claims.models import Claim, ClaimSubmission
from oasys.core.models import Practice
from oasys.core.nav import url_with_next

from .readiness import QueueItem, billing_queue, unbilled_sessions
from .reasons import Reason, help_text


@dataclass(frozen=True)
class QueueFilters:
    clinician_id: int | None = None
    client_id: int | None = None
    payer_id: int | None = None  # 0 means self-pay
    date_from: date | None = None
    date_to: date | None = None
    reason: str = ""


def _narrow(qs: QuerySet[Appointment], f: QueueFilters) -> QuerySet[Appointment]:
    if f.clinician_id:
        qs = qs.filter(clinician_id=f.clinician_id)
    if f.client_id:
        qs = qs.filter(client_id=f.client_id)
    if f.date_from:
        qs = qs.filter(start__date__gte=f.date_from)
    if f.date_to:
        qs = qs.filter(start__date__lte=f.date_to)
    return qs


@dataclass
class Queue:
    ready: list[QueueItem]
    incomplete: list[QueueItem]
    reason_counts: list[tuple[str, str, int]]  # code, message, sessions


def queue_get(*, practice: Practice, filters: QueueFilters | None = None,
              today: date | None = None) -> Queue:
    f = filters or QueueFilters()
    sessions = _narrow(unbilled_sessions(practice=practice), f)
    items = billing_queue(practice=practice, sessions=sessions, today=today)
    if f.payer_id is not None:
        items = [i for i in items if (i.payer_id or 0) == f.payer_id
                 or (f.payer_id == 0 and i.route == "invoice")]
    ready = [i for i in items if i.ready]
    incomplete = [i for i in items if not i.ready]
    counts = Counter()
    messages = {}
    for item in incomplete:
        for code in {r.code for r in item.problems}:
            counts[code] += 1
            messages[code] = next(r.message for r in item.problems if r.code == code)
    if f.reason:
        incomplete = [i for i in incomplete if any(r.code == f.reason for r in i.reasons)]
    reason_counts = [(code, messages[code], n) for code, n in counts.most_common()]
    return Queue(ready=ready, incomplete=incomplete, reason_counts=reason_counts)


def reason_link(reason: Reason, item: QueueItem) -> tuple[str, str]:
    """(url, label) of the screen that fixes `reason` for `item`."""
    appt = item.appointment
    client_id = appt.client_id
    code = reason.code
    if code in ("insurance_setup_incomplete",):
        return reverse("practice:provider"), "Provider information"
    if code == "missing_taxonomy":
        if "rendering" in reason.detail:
            return reverse("practice:clinician_edit", args=[appt.clinician_id]), "Edit clinician"
        return reverse("practice:provider"), "Provider information"
    if code in ("missing_payer", "incomplete_insurance"):
        return reverse("clients:policies", args=[client_id]), "Client insurance"
    if code == "missing_diagnosis":
        return reverse("clients:diagnoses", args=[client_id]), "Diagnoses"
    if code == "invalid_cpt" and item.cpt != (appt.service_type.cpt_code or ""):
        # The client's pricing rule sets this code, not the service type.
        return reverse("clients:pricing_rules", args=[client_id]), "Client pricing"
    if code in ("missing_cpt", "missing_charge", "no_show_fee_zero", "invalid_cpt"):
        return (reverse("practice:service_type_edit", args=[appt.service_type_id]),
                "Edit service type")
    if code in ("unsigned_note", "awaiting_supervisor"):
        return reverse("appointments:detail", args=[appt.pk]), "Open session"
    if code == "payer_not_enrolled":
        return reverse("practice:payers"), "Insurance billing"
    if code == "missing_client_email":
        return reverse("clients:edit", args=[client_id]), "Edit client"
    if code in ("claim_validation", "timely_filing_close"):
        detail = reason.detail.lower()
        if "diagnosis" in detail:
            return reverse("clients:diagnoses", args=[client_id]), "Diagnoses"
        if "npi" in detail or "tax id" in detail:
            if "supervising" in detail and appt.clinician.supervisor_id:
                return (reverse("practice:clinician_edit", args=[appt.clinician.supervisor_id]),
                        "Edit supervisor")
            if "rendering" in detail:
                return (reverse("practice:clinician_edit", args=[appt.clinician_id]),
                        "Edit clinician")
            return reverse("practice:provider"), "Provider information"
        return reverse("appointments:edit", args=[appt.pk]), "Edit session"
    return reverse("appointments:detail", args=[appt.pk]), "Open session"


def reasons_linked(item: QueueItem, *, back: str = "") -> list[dict]:
    """The item's reasons with their fix-it links; `back`: the queue URL (with its filters)
    the fixing screen returns to once saved."""
    out = []
    for r in item.reasons:
        url, label = reason_link(r, item)
        url = url_with_next(url, back)
        out.append({"code": r.code, "message": r.message, "detail": r.detail, "text": r.text,
                    "help": help_text(r.code), "url": url, "label": label,
                    "blocked": r.blocked, "warning": r.warning})
    return out


# --- what was just billed: claims being sent, then their status ------------------------------
IN_FLIGHT_FILE = ("queued", "sending", "retrying")
RECENT = timedelta(hours=1)


@dataclass(frozen=True)
class SendingRow:
    submission: ClaimSubmission
    claims: list[Claim]
    being_sent: bool  # the file is queued, being sent or waiting for a retry
    file_status: str
    error: str


def submission_sending_list(*, practice: Practice, limit: int = 5) -> list[SendingRow]:
    """The practice's interchanges billed in the last hour (newest first), each with its
    claims: Bill Sessions shows them as being sent until the outbox has sent them."""
    since = timezone.now() - RECENT
    subs = (ClaimSubmission.objects.filter(practice=practice, created_at__gte=since)
            .select_related("edi_file").prefetch_related("claims").order_by("-created_at",
                                                                             "-pk")[:limit])
    return [SendingRow(submission=s, claims=sorted(s.claims.all(), key=lambda c: c.pk),
                       being_sent=s.edi_file.status in IN_FLIGHT_FILE,
                       file_status=s.edi_file.get_status_display(), error=s.error)
            for s in subs]
