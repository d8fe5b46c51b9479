"""A practice with a self-pay client whose sessions a superbill may state, and the sessions
it may not (billed to insurance, cancelled, outside the period)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.billing.services import billing_submit
from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType, Client
from oasys.invoices.services import invoice_create_for_session
from oasys.invoices.tests.helpers import invoice_opened
from oasys.ledger.services import ledger_post_client_payment
from oasys.practice.models import Clinician, ProviderProfile, ServiceType


@dataclass
class World:
    practice: object
    profile: ProviderProfile
    clinician: Clinician
    service_type: ServiceType
    client: Client
    sessions: list[Appointment]  # eligible, oldest first; sessions[0] invoiced and paid $80
    insured: Appointment  # billed to insurance (a claim)
    cancelled: Appointment
    outside: Appointment  # 60 days ago, before the period
    date_from: dt.date
    date_to: dt.date


def superbill_world(practice) -> World:
    profile = f.make_profile(practice)
    clinician = f.make_clinician(practice, first_name="Elena", last_name="Marsh",
                                 credentials="LCPC", license_number="180.012345",
                                 license_state="IL", taxonomy_code="101YM0800X")
    st = f.make_service_type(practice, name="Psychotherapy, 60 min", cpt_code="90837",
                             rate=Decimal("165.00"), duration_minutes=55)
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY, first_name="Jordan",
                           last_name="Alvarez", date_of_birth=dt.date(1990, 7, 15),
                           address1="45 Elm Ave", city="Evanston", state="IL",
                           zip_code="60201")
    f.make_diagnosis(client, code="F41.1", position=1)
    f.make_diagnosis(client, code="F33.1", position=2)
    sessions = [f.make_appointment(practice, client=client, clinician=clinician,
                                   service_type=st, days_ago=d, minutes=55)
                for d in (20, 13, 6)]
    invoice = invoice_opened(invoice_create_for_session(
        practice=practice, appointment_id=sessions[0].pk, amount=Decimal("165.00"),
        cpt="90837", ctx=f.ctx_for(practice=practice)))
    ledger_post_client_payment(invoice=invoice, amount=Decimal("80.00"),
                               ctx=f.ctx_for(practice=practice), reference="chk-1001")
    cancelled = f.make_appointment(practice, client=client, clinician=clinician,
                                   service_type=st, days_ago=9,
                                   status=AppointmentStatus.CANCELLED)
    outside = f.make_appointment(practice, client=client, clinician=clinician,
                                 service_type=st, days_ago=60)
    scenario = f.ready_claim_session(practice, profile=profile, days_ago=10)
    billing_submit(practice=practice, appointment_ids=[scenario.appointment.pk],
                   ctx=f.ctx_for(practice=practice))
    assert scenario.appointment.claims.exists()
    today = timezone.localdate()
    return World(practice=practice, profile=profile, clinician=clinician, service_type=st,
                 client=client, sessions=sessions, insured=scenario.appointment,
                 cancelled=cancelled, outside=outside,
                 date_from=today - dt.timedelta(days=30), date_to=today)
