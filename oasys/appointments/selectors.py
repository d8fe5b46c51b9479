"""Reads of sessions. Every selector takes the practice and looks nowhere else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet

from oasys.clients.models import Client, PricingRule
from oasys.clients.pricing import charge_for
from oasys.core.models import Practice, Role, User
from oasys.core.timezones import practice_zone

from .models import Appointment, AppointmentStatus


def _day_start(day: dt.date, practice: Practice) -> dt.datetime:
    zone = practice_zone(practice)
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def appointment_list(
    *,
    practice: Practice,
    clinician_id: int | None = None,
    client_id: int | None = None,
    status: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Appointment]:
    """The practice's sessions (all of them by default; the base of each session lookup),
    by clinician, client, status and a date range (inclusive days in the practice's time
    zone), newest first, with what list and detail pages show."""
    qs = Appointment.objects.filter(practice=practice).select_related(
        "client",
        "clinician",
        "clinician__supervisor",
        "service_type",
        "note_signed_by",
        "supervisor_approved_by",
    )
    if clinician_id:
        qs = qs.filter(clinician_id=clinician_id)
    if client_id:
        qs = qs.filter(client_id=client_id)
    if status in AppointmentStatus.values:
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(start__gte=_day_start(date_from, practice))
    if date_to:
        qs = qs.filter(start__lt=_day_start(date_to + dt.timedelta(days=1), practice))
    return qs.order_by("-start", "-pk")


def appointment_recent_list(
    *, practice: Practice, client: Client, limit: int = 10
) -> list[Appointment]:
    """The client's latest sessions, newest first."""
    return list(appointment_list(practice=practice, client_id=client.pk)[:limit])


def appointment_calendar_list(
    *,
    practice: Practice,
    start: dt.datetime,
    end: dt.datetime,
    clinician_id: int | None = None,
) -> QuerySet[Appointment]:
    """The sessions that overlap [start, end) (aware datetimes), earliest first, for the
    calendar: one query whatever their number. Overlap rather than "starts inside", so a
    session that began before midnight still shows on the morning it runs into."""
    qs = Appointment.objects.filter(practice=practice, start__lt=end, end__gt=start)
    if clinician_id:
        qs = qs.filter(clinician_id=clinician_id)
    return qs.select_related("client", "clinician", "service_type").order_by("start", "pk")
def appointment_charge(*, appointment: Appointment) -> tuple[Decimal | None, str]:
    """(amount, CPT) this session is billed at, as Bill Sessions prices it: the client's
    pricing rule, else the service type's rate (a no-show: the service's no-show fee).
    A $0 amount means there is nothing to bill (a free consultation, a waived no-show)."""
    rule = PricingRule.objects.filter(
        practice_id=appointment.practice_id, client_id=appointment.client_id,
        service_type_id=appointment.service_type_id).first()
    return charge_for(service_type=appointment.service_type, rule=rule,
                      no_show=appointment.status == AppointmentStatus.NO_SHOW)


def appointment_awaiting_approval_list(*, practice: Practice, user: User) -> QuerySet[Appointment]:
    """Signed sessions of supervised clinicians that still need approval and that `user` may
    approve: those of the clinicians they supervise (through their clinician record), or all
    of them for the owner. Never the user's own sessions. Oldest first: billing waits on them.
    """
    qs = appointment_list(practice=practice).filter(
        clinician__supervisor__isnull=False, note_signed_at__isnull=False,
        supervisor_approved_at__isnull=True,
    ).exclude(clinician__user_id=user.pk)
    if user.role != Role.OWNER:
        qs = qs.filter(clinician__supervisor__user_id=user.pk)
    return qs.order_by("start", "pk")
