"""A practice with a realistic week of sessions around now, for the calendar's browser test
and its screenshots: two clinicians, a dozen clients, sessions of four services on the
weekdays of the week, the past ones completed, missed or cancelled, and two sessions that
started a few hours ago still scheduled (the ones the test completes and marks no-show)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from oasys.appointments import services
from oasys.appointments.calendar import calendar_days
from oasys.appointments.models import Appointment
from oasys.clients.models import Client
from oasys.core.audit import AuditContext
from oasys.core.models import Practice, User
from oasys.core.services import practice_create, user_create
from oasys.core.timezones import practice_zone
from oasys.practice.models import Clinician, ServiceType

PASSWORD = "calendar week password 1"
OWNER_EMAIL = "ana@willow.example"

CLIENTS = [
    ("Maria", "Lopez"), ("James", "Whitfield"), ("Aisha", "Khan"), ("Daniel", "Okafor"),
    ("Emily", "Chen"), ("Noah", "Bergstrom"), ("Sofia", "Marquez"), ("Liam", "O'Connor"),
    ("Grace", "Abernathy"), ("Omar", "Haddad"), ("Hannah", "Weiss"), ("Lucas", "Ferreira"),
]
# (weekday Mon=0, hour, minute, client index, service key, clinician key)
WEEK_PLAN = [
    (0, 9, 0, 0, "53", "ana"), (0, 10, 0, 1, "53", "ana"), (0, 13, 0, 2, "38", "ana"),
    (0, 15, 0, 3, "fam", "ben"), (0, 9, 30, 4, "53", "ben"),
    (1, 9, 0, 5, "53", "ana"), (1, 11, 0, 6, "intake", "ana"), (1, 14, 0, 7, "53", "ben"),
    (1, 16, 0, 8, "38", "ana"),
    (2, 10, 0, 9, "53", "ana"), (2, 10, 30, 10, "38", "ben"), (2, 13, 0, 0, "53", "ana"),
    (2, 15, 0, 11, "fam", "ana"),
    (3, 9, 0, 1, "53", "ana"), (3, 11, 0, 2, "53", "ben"), (3, 14, 0, 3, "38", "ana"),
    (3, 16, 0, 4, "53", "ana"),
    (4, 9, 0, 5, "53", "ana"), (4, 10, 0, 6, "38", "ben"), (4, 13, 0, 7, "53", "ana"),
    (4, 15, 0, 8, "intake", "ben"),
]
# what happened to the past sessions, in turn (most were attended)
PAST_OUTCOMES = ["completed", "completed", "completed", "no_show", "completed", "completed",
                 "late_cancelled", "completed", "completed", "cancelled", "completed"]


@dataclass
class CalendarWeek:
    practice: Practice
    owner: User
    ana: Clinician
    ben: Clinician
    clients: list[Client]
    services: dict[str, ServiceType]
    week_day: dt.date  # a day of the week shown (the day the targets started)
    to_complete: Appointment
    to_no_show: Appointment


def _quarter(moment: dt.datetime) -> dt.datetime:
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def calendar_week_build(*, slug: str = "willow") -> CalendarWeek:
    practice = practice_create(name="Willow Counseling", slug=slug,
                               timezone_name="America/New_York")
    zone = practice_zone(practice)
    owner = user_create(practice=practice, email=OWNER_EMAIL, password=PASSWORD,
                        first_name="Ana", last_name="Rivera")
    ctx = AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk,
                       source_ip="127.0.0.1")
    ana = Clinician.objects.create(practice=practice, user=owner, first_name="Ana",
                                   last_name="Rivera", credentials="PsyD")
    ben = Clinician.objects.create(practice=practice, first_name="Ben", last_name="Cho",
                                   credentials="LCSW")
    kinds = {
        "53": ServiceType.objects.create(practice=practice, name="Psychotherapy 53 min",
                                         cpt_code="90837", rate=Decimal("160.00"),
                                         duration_minutes=53),
        "38": ServiceType.objects.create(practice=practice, name="Psychotherapy 38 min",
                                         cpt_code="90834", rate=Decimal("120.00"),
                                         duration_minutes=38),
        "intake": ServiceType.objects.create(practice=practice, name="Intake evaluation",
                                             cpt_code="90791", rate=Decimal("200.00"),
                                             duration_minutes=60),
        "fam": ServiceType.objects.create(practice=practice, name="Family therapy",
                                          cpt_code="90847", rate=Decimal("150.00"),
                                          duration_minutes=50),
    }
    clients = [Client.objects.create(practice=practice, first_name=f, last_name=last,
                                     billing_type="self_pay") for f, last in CLIENTS]
    clinicians = {"ana": ana, "ben": ben}
    now = timezone.now()
    first_target = _quarter(now - dt.timedelta(hours=2)).astimezone(zone)
    week_day = first_target.date()
    days = calendar_days(view="week", anchor=week_day)
    outcomes = iter(PAST_OUTCOMES * 3)

    def make(start: dt.datetime, client: Client, kind: str, clinician: Clinician) -> Appointment:
        return services.appointment_create(practice=practice, ctx=ctx, data={
            "client": client, "clinician": clinician, "service_type": kinds[kind],
            "start": start})

    for weekday, hour, minute, who, kind, by in WEEK_PLAN:
        day = next(d for d in days if d.weekday() == weekday)
        start = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)
        if abs((start - first_target).total_seconds()) < 3 * 3600 and by == "ana":
            continue  # keep the targets' hours clear of Ana's usual sessions
        appointment = make(start, clients[who], kind, clinicians[by])
        if start + dt.timedelta(hours=1) < now:
            outcome = next(outcomes)
            if outcome == "completed":
                services.appointment_complete(appointment=appointment, ctx=ctx)
            elif outcome == "no_show":
                services.appointment_no_show(appointment=appointment, ctx=ctx)
            else:
                services.appointment_cancel(appointment=appointment, ctx=ctx,
                                            late=outcome == "late_cancelled")
    to_complete = make(first_target, clients[9], "53", ana)
    # An hour later, on the same day unless that is past midnight (both have started).
    second = (first_target + dt.timedelta(hours=1)).astimezone(zone)
    if second.date() != week_day:
        second = first_target + dt.timedelta(minutes=15)
    to_no_show = make(second, clients[11], "38", ana)
    return CalendarWeek(practice=practice, owner=owner, ana=ana, ben=ben, clients=clients,
                        services=kinds, week_day=week_day, to_complete=to_complete,
                        to_no_show=to_no_show)
