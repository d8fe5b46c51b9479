"""The demo practices: realistic, deterministic, idempotent, and full of the gaps the
Incomplete tab must name. Never runs with production settings.

Two practices:
- Serenity Counseling (`serenity`): a solo therapist, therapist@demo.test / oasys-demo.
- Harbor Group Therapy (`harbor`): an owner who supervises an associate clinician, a second
  clinician, and a biller; owner@harbor.demo.test / oasys-demo.

`seed_demo()` writes only our own database (no network: unit tests run it). The Stripe side
is `seed_demo_payments()`, which `oasys demo` runs once the Stripe stand-in is up: Serenity
gets an active connected account and three self-pay clients with cards on file (one that
works, one that declines when charged, one that needs the cardholder to authenticate), and
invoices in all seven statuses sent through the stand-in (DEMO_INVOICES: paid by card and
partly refunded, paid by check, a declined card, overdue, void, uncollectible, one being
sent, a draft); Harbor stays not connected, so a new user can click through onboarding.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.utils import timezone

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.clients.models import (
    BillingType,
    Client,
    Diagnosis,
    InsurancePolicy,
    PolicyPriority,
    PricingRule,
    Relationship,
)
from oasys.core.audit import AuditContext
from oasys.core.identifiers import npi_with_check_digit
from oasys.core.models import Practice, Role, User
from oasys.core.timezones import practice_today
from oasys.invoices.actions import (
    invoice_mark_uncollectible,
    invoice_record_payment,
    invoice_refund,
    invoice_void,
    invoices_overdue_mark,
)
from oasys.invoices.models import Invoice, InvoiceStatus, PaymentMethod
from oasys.invoices.sending import invoice_deliver, invoice_send
from oasys.invoices.services import invoice_create_standalone
from oasys.payments.connection import payments_port
from oasys.payments.fake import FakePayments
from oasys.payments.idempotency import idempotency_key, stripe_once
from oasys.payments.machine import PAYMENT_ACCOUNT_MACHINE
from oasys.payments.models import (
    AccountStatus,
    ClientPaymentProfile,
    PaymentAccount,
    StripeRequest,
)
from oasys.payments.port import (
    Account,
    ConfigurationError,
    FinalError,
    NotFoundError,
    PaymentsError,
    PaymentsPort,
    RetryableError,
    SetupSession,
)
from oasys.practice.models import (
    AcceptedPayer,
    Clinician,
    Enrollment,
    EnrollmentStatus,
    Payer,
    ProviderProfile,
    ProviderType,
    ServiceType,
    TaxIdType,
    TransactionType,
)
from oasys.practice.services import payer_directory_load

DEMO_PASSWORD = "oasys-demo"  # noqa: S105 - published demo login, refused in production
SOLO_EMAIL = "therapist@demo.test"
GROUP_EMAIL = "owner@harbor.demo.test"


class SeedRefused(Exception):
    pass


# Payers by claims payer ID as they appear in the public payer list shipped with the repo.
DEMO_PAYERS = [
    ("60054", "Aetna Health, Inc."),
    ("62308", "CIGNA"),
    ("87726", "UnitedHealthcare"),
    ("01260", "Magellan Behavioral Health Services"),
    ("61101", "Humana Behavioral Health (formerly LifeSynch)"),
    ("BSCA1", "Blue Shield of California"),
    ("13590", "Tricare East"),
]

FIRST = [
    "Avery",
    "Jordan",
    "Riley",
    "Morgan",
    "Casey",
    "Taylor",
    "Jamie",
    "Quinn",
    "Rowan",
    "Elena",
    "Marcus",
    "Priya",
    "Tomás",
    "Grace",
    "Noah",
    "Amara",
    "Liam",
    "Sofia",
    "Ethan",
    "Hana",
    "Isaac",
    "Maya",
    "Owen",
    "Leila",
    "Caleb",
    "Nora",
    "Diego",
    "Zoe",
    "Felix",
    "Iris",
    "Mateo",
    "Ruby",
    "Silas",
    "Ava",
    "Kofi",
    "June",
    "Arlo",
    "Mina",
    "Theo",
    "Clara",
    "Jonah",
    "Esme",
    "Levi",
    "Ada",
    "Reza",
    "Lucia",
    "Emmett",
    "Ines",
]
LAST = [
    "Bennett",
    "Okafor",
    "Nguyen",
    "Alvarez",
    "Kowalski",
    "Haddad",
    "Brooks",
    "Sato",
    "Fitzgerald",
    "Mendes",
    "Larsen",
    "Chowdhury",
    "Delgado",
    "Whitaker",
    "Ibrahim",
    "Novak",
    "Park",
    "Rossi",
    "Adeyemi",
    "Castillo",
    "Moreau",
    "Lindqvist",
    "Patel",
    "Gallagher",
    "Yamamoto",
    "Ortega",
    "Kim",
    "Hughes",
    "Silva",
    "Byrne",
]
STREETS = [
    "Maple Ave",
    "Oak St",
    "Lakeview Dr",
    "Cedar Ln",
    "Harbor Rd",
    "Elm St",
    "Willow Way",
    "Park Pl",
    "Birch Ct",
    "Sunset Blvd",
]
DIAGNOSES = [
    "F41.1",
    "F33.1",
    "F43.23",
    "F32.A",
    "F40.10",
    "F43.10",
    "F90.0",
    "F42.2",
    "F34.1",
    "F41.0",
    "F43.21",
    "F43.22",
]


# Member IDs that start with these make the local payer simulator answer a given way
# (sandbox/README.md, "Triggers"), so the demo shows every claim outcome. Real payers ignore
# them: they are ordinary member IDs.
SIMULATOR_TRIGGERS = {
    1: "PAIDFULL",
    2: "DED",
    4: "DENYAUTH",
    5: "PRIMARY",  # primary pays part; the client's secondary insurer is owed the rest
    6: "REJMEMBER",
    8: "RFI",
    9: "REVERSE",
    10: "PLB",
    11: "DENYINFO",
    12: "COINS",
    13: "SLOW",
    14: "DENYNC",
    15: "COPAY",
}


@dataclass
class SeedResult:
    practices: int = 0
    clients: int = 0
    appointments: int = 0
    created: bool = False


def seed_demo(*, today: date | None = None, rng_seed: int = 20261127) -> SeedResult:
    """Create both demo practices unless they exist. Safe to run again: it changes nothing."""
    if getattr(settings, "PRODUCTION", False):
        raise SeedRefused(
            "seed-demo refuses to run with production settings (OASYS_ENV=production)"
        )
    _ensure_payer_directory()
    result = SeedResult()
    today = today or timezone.localdate()
    with transaction.atomic():
        for builder in (_seed_serenity, _seed_harbor):
            created = builder(today=today, rng=random.Random(rng_seed))
            result.created = result.created or created
    result.practices = Practice.objects.filter(slug__in=["serenity", "harbor"]).count()
    result.clients = Client.objects.filter(practice__slug__in=["serenity", "harbor"]).count()
    result.appointments = Appointment.objects.filter(
        practice__slug__in=["serenity", "harbor"]
    ).count()
    return result


def _ensure_payer_directory() -> None:
    if not Payer.objects.exists():
        payer_directory_load()


def _payer(payer_id: str, name: str) -> Payer:
    same_id = Payer.objects.filter(payer_id_claims=payer_id).order_by("id")
    # The directory lists many plans under one payer ID (87726 covers dozens of UHC
    # products): prefer the exact name, then the shortest name containing it.
    payer = (same_id.filter(name__iexact=name).first()
             or same_id.filter(name__icontains=name).order_by(Length("name")).first()
             or same_id.first())
    if payer is None:
        payer = Payer.objects.create(
            name=name,
            payer_id_claims=payer_id,
            payer_id_era=payer_id,
            payer_id_eligibility=payer_id,
            supports_claims=True,
            supports_era=True,
            supports_eligibility=True,
            enrollment_required_era=True,
        )
    return payer


def _accept(practice: Practice, payer: Payer, status: str) -> None:
    accepted, _ = AcceptedPayer.objects.get_or_create(practice=practice, payer=payer)
    now = timezone.now()
    for tx in TransactionType.values:
        Enrollment.objects.get_or_create(
            practice=practice,
            accepted_payer=accepted,
            transaction_type=tx,
            defaults={
                "status": status,
                "submitted_at": now - timedelta(days=30),
                "status_changed_at": now - timedelta(days=20),
                "effective_date": (now - timedelta(days=20)).date()
                if status == EnrollmentStatus.ACTIVE
                else None,
            },
        )


def _user(practice: Practice, email: str, role: str, first: str, last: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email,
            password=DEMO_PASSWORD,
            practice=practice,
            role=role,
            first_name=first,
            last_name=last,
        )
    return user


def _service_types(practice: Practice) -> dict[str, ServiceType]:
    specs = [
        ("Intake assessment", "90791", "200.00", 60, "11", ""),
        ("Psychotherapy, 45 min", "90834", "130.00", 45, "11", ""),
        ("Psychotherapy, 60 min", "90837", "165.00", 55, "11", ""),
        ("Telehealth psychotherapy, 45 min", "90834", "130.00", 45, "10", "95"),
        ("Family therapy with client", "90847", "150.00", 50, "11", ""),
        ("Group therapy", "90853", "60.00", 90, "11", ""),
        ("Free 15-minute consultation", "", "0.00", 15, "02", ""),  # $0: never billed
        ("Wellness coaching", "", "95.00", 50, "11", ""),  # no CPT: Incomplete
        ("Sliding-scale session", "90834", None, 45, "11", ""),  # price not set: Incomplete
    ]
    out = {}
    for name, cpt, rate, minutes, pos, mods in specs:
        st, _ = ServiceType.objects.get_or_create(
            practice=practice,
            name=name,
            defaults={
                "cpt_code": cpt,
                "rate": None if rate is None else Decimal(rate),
                "duration_minutes": minutes,
                "place_of_service": pos,
                "modifiers": mods,
            },
        )
        out[name] = st
    return out


def _address(rng: random.Random, city: str, state: str, zip_code: str) -> dict:
    return {
        "address1": f"{rng.randint(10, 9899)} {rng.choice(STREETS)}",
        "city": city,
        "state": state,
        "zip_code": zip_code,
    }


def _make_client(practice, rng, i, *, billing_type, city, state, zip_code, draft=False) -> Client:
    first = FIRST[i % len(FIRST)]
    last = LAST[(i * 7 + len(practice.slug)) % len(LAST)]
    dob = date(1958 + rng.randint(0, 45), rng.randint(1, 12), rng.randint(1, 28))
    fields = {
        "first_name": first,
        "last_name": last,
        "billing_type": billing_type,
        "is_draft": draft,
        "email": f"{first.lower()}.{last.lower()}@example.com".replace("á", "a"),
    }
    if not draft:
        fields.update(
            date_of_birth=dob,
            gender=rng.choice(["F", "M", "F", "M", "U"]),
            phone=f"312555{rng.randint(1000, 9999)}",
            **_address(rng, city, state, zip_code),
        )
    return Client.objects.create(practice=practice, **fields)


class _NewClient:
    """Creates one practice's clients in turn. Each takes the next index, which picks its
    name, so the same run of calls always makes the same people."""

    def __init__(
        self, practice: Practice, rng: random.Random, *, state: str, first_index: int = 0
    ) -> None:
        self.practice, self.rng, self.state, self.index = practice, rng, state, first_index

    def __call__(
        self, billing_type: str, city: str, zip_code: str, *, draft: bool = False
    ) -> Client:
        client = _make_client(
            self.practice,
            self.rng,
            self.index,
            billing_type=billing_type,
            city=city,
            state=self.state,
            zip_code=zip_code,
            draft=draft,
        )
        self.index += 1
        return client


def _diagnose(client: Client, codes: list[str]) -> None:
    for pos, code in enumerate(codes, start=1):
        Diagnosis.objects.create(practice=client.practice, client=client, position=pos, code=code)


def _policy(client: Client, payer: Payer | None, rng: random.Random, **overrides) -> None:
    fields = {
        "payer": payer,
        "priority": PolicyPriority.PRIMARY,
        "member_id": f"W{rng.randint(100000000, 999999999)}",
        "group_number": f"G{rng.randint(10000, 99999)}",
        "relationship": Relationship.SELF,
    }
    fields.update(overrides)
    InsurancePolicy.objects.create(practice=client.practice, client=client, **fields)


def _sessions(
    *,
    client: Client,
    clinician: Clinician,
    types: list[ServiceType],
    today: date,
    rng: random.Random,
    tz: ZoneInfo,
    every_days: int,
    signer: User,
    unsigned_recent: bool = True,
    approver: User | None = None,
    approve: bool = True,
) -> int:
    """About three months of sessions, plus two weeks ahead, with realistic outcomes."""
    count = 0
    start_day = today - timedelta(days=84 + rng.randint(0, 4))
    hour = rng.choice([9, 10, 11, 13, 14, 15, 16, 17])
    day = start_day
    first = True
    while day <= today + timedelta(days=14):
        if day.weekday() >= 5:
            day += timedelta(days=1)
            continue
        st = types[0] if first and types[0].cpt_code == "90791" else rng.choice(types)
        first = False
        start = datetime.combine(day, time(hour, 0), tzinfo=tz)
        end = start + timedelta(minutes=st.duration_minutes)
        if day > today or (day == today and hour >= 12):
            status = AppointmentStatus.SCHEDULED
        else:
            roll = rng.random()
            status = (
                AppointmentStatus.NO_SHOW
                if roll < 0.06
                else AppointmentStatus.LATE_CANCELLED
                if roll < 0.09
                else AppointmentStatus.CANCELLED
                if roll < 0.12
                else AppointmentStatus.COMPLETED
            )
        appt = Appointment(
            practice=client.practice,
            client=client,
            clinician=clinician,
            service_type=st,
            start=start,
            end=end,
            status=status,
            place_of_service=st.place_of_service,
            modifiers=st.modifiers,
        )
        if status == AppointmentStatus.COMPLETED:
            recent = (today - day).days <= 3
            if not (unsigned_recent and recent):
                appt.note_signed_at = end + timedelta(hours=2)
                appt.note_signed_by = signer
                if clinician.supervisor_id and approver and approve:
                    appt.supervisor_approved_at = end + timedelta(days=1)
                    appt.supervisor_approved_by = approver
        appt.save()
        count += 1
        day += timedelta(days=every_days)
    return count


def _seed_serenity(*, today: date, rng: random.Random) -> bool:
    if Practice.objects.filter(slug="serenity").exists():
        return False
    practice = Practice.objects.create(
        name="Serenity Counseling", slug="serenity", timezone="America/Chicago"
    )
    tz = ZoneInfo(practice.timezone)
    owner = _user(practice, SOLO_EMAIL, Role.OWNER, "Elena", "Marsh")
    me = Clinician.objects.create(
        practice=practice,
        user=owner,
        first_name="Elena",
        last_name="Marsh",
        credentials="LCPC",
        npi=npi_with_check_digit("164852937"),
        taxonomy_code="101YM0800X",
        license_number="180.012345",
        license_state="IL",
    )
    ProviderProfile.objects.create(
        practice=practice,
        provider_type=ProviderType.INDIVIDUAL,
        first_name="Elena",
        last_name="Marsh",
        npi=me.npi,
        tax_id="364812957",
        tax_id_type=TaxIdType.EIN,
        accept_assignment=True,
        taxonomy_code="101YM0800X",
        contact_name="Elena Marsh",
        contact_email=SOLO_EMAIL,
        contact_phone="3125550142",
        address1="1450 W Lakeview Ave",
        address2="Suite 210",
        city="Chicago",
        state="IL",
        zip_code="60614-2203",
    )
    payers = [_payer(pid, name) for pid, name in DEMO_PAYERS]
    for payer in payers[:5]:
        _accept(practice, payer, EnrollmentStatus.ACTIVE)
    _accept(practice, payers[5], EnrollmentStatus.PENDING)  # claims to it: "not enrolled"
    types = _service_types(practice)
    billable = [
        types["Psychotherapy, 45 min"],
        types["Psychotherapy, 60 min"],
        types["Telehealth psychotherapy, 45 min"],
    ]
    intake_first = [types["Intake assessment"], *billable]

    clients: list[tuple[Client, list[ServiceType], int]] = []
    new_client = _NewClient(practice, rng, state="IL")
    # 24 insured clients, spread over the accepted payers.
    for n in range(24):
        c = new_client(BillingType.INSURANCE, "Chicago", f"606{rng.randint(10, 57)}")
        _diagnose(c, rng.sample(DIAGNOSES, k=rng.choice([1, 1, 2, 3])))
        if n == 3:
            _policy(
                c,
                payers[0],
                rng,
                relationship=Relationship.CHILD,
                subscriber_first_name="Paula",
                subscriber_last_name=c.last_name,
                subscriber_date_of_birth=date(1979, 4, 2),
                subscriber_gender="F",
                subscriber_address1=c.address1,
                subscriber_city=c.city,
                subscriber_state=c.state,
                subscriber_zip_code=c.zip_code,
            )
        else:
            trigger = SIMULATOR_TRIGGERS.get(n, "")
            member = f"{trigger}{rng.randint(10000000, 99999999)}" if trigger else None
            _policy(c, payers[n % 5], rng, **({"member_id": member} if member else {}))
        if n == 5:  # a secondary payer too
            _policy(c, payers[1], rng, priority=PolicyPriority.SECONDARY)
        kind = [types["Family therapy with client"]] if n == 7 else intake_first
        clients.append((c, kind, 7 if n % 3 else 14))
    # Gaps the Incomplete tab names, each on purpose:
    gap = new_client(BillingType.INSURANCE, "Evanston", "60201")
    _diagnose(gap, ["F41.1"])  # insured but no policy at all -> missing insurance payer
    clients.append((gap, billable, 14))
    gap = new_client(BillingType.INSURANCE, "Evanston", "60202")
    _diagnose(gap, ["F33.1"])
    _policy(gap, None, rng)  # a policy with no payer chosen
    clients.append((gap, billable, 14))
    gap = new_client(BillingType.INSURANCE, "Oak Park", "60302")
    _diagnose(gap, ["F43.23"])
    _policy(gap, payers[2], rng, member_id="", relationship=Relationship.SPOUSE)  # incomplete
    clients.append((gap, billable, 14))
    gap = new_client(BillingType.INSURANCE, "Chicago", "60640")
    _policy(gap, payers[1], rng)  # no diagnosis codes
    clients.append((gap, billable, 14))
    gap = new_client(BillingType.INSURANCE, "Chicago", "60647")
    _diagnose(gap, ["F41.1"])
    _policy(gap, payers[5], rng)  # payer whose claims enrollment is still pending
    clients.append((gap, billable, 14))
    gap = new_client(BillingType.INSURANCE, "Chicago", "60657")
    _diagnose(gap, ["F43.10"])
    _policy(gap, payers[0], rng)
    clients.append((gap, [types["Wellness coaching"]], 14))  # service with no CPT code
    gap = new_client(BillingType.INSURANCE, "Chicago", "60618")
    _diagnose(gap, ["F41.1"])
    _policy(gap, payers[1], rng)
    short = ServiceType.objects.create(  # billed as 60 minutes but booked for 40: scrubber error
        practice=practice,
        name="Extended session (booked short)",
        cpt_code="90837",
        rate=Decimal("165.00"),
        duration_minutes=40,
        place_of_service="11",
    )
    clients.append((gap, [short], 14))
    gap = new_client(BillingType.INSURANCE, "Skokie", "60076")
    _diagnose(gap, ["F33.1"])
    _policy(gap, payers[2], rng)
    bare = ServiceType.objects.create(  # telehealth without the payer's modifier
        practice=practice,
        name="Video session (no modifier)",
        cpt_code="90834",
        rate=Decimal("130.00"),
        duration_minutes=45,
        place_of_service="10",
    )
    clients.append((gap, [bare], 14))
    # A code saved before codes were checked against the behavioral-health list (the pricing
    # rule screen refuses it now): Bill Sessions names it "CPT code not valid".
    PricingRule.objects.create(practice=practice, client=gap, service_type=bare,
                               cpt_code="99999")

    # Self-pay clients, one with a custom (sliding-scale) price, one priced at $0.
    for n in range(9):
        c = new_client(BillingType.SELF_PAY, "Chicago", f"606{rng.randint(10, 57)}")
        _diagnose(c, [rng.choice(DIAGNOSES)])
        if n == 0:
            PricingRule.objects.create(
                practice=practice,
                client=c,
                service_type=types["Psychotherapy, 45 min"],
                price=Decimal("80.00"),
            )
        if n == 3:  # no email on file: their invoices cannot be delivered yet
            Client.objects.filter(pk=c.pk).update(email="")
        if n == 2:  # booked on a service whose price was never set
            clients.append((c, [types["Sliding-scale session"]], 14))
            continue
        if n == 1:
            PricingRule.objects.create(
                practice=practice,
                client=c,
                service_type=types["Psychotherapy, 45 min"],
                price=Decimal("0.00"),
            )  # hidden from Bill Sessions
            clients.append((c, [types["Psychotherapy, 45 min"]], 14))
            continue
        clients.append((c, billable, 7 if n % 2 else 14))
    # Not billed (pro bono) and a free consultation: hidden from Bill Sessions.
    c = new_client(BillingType.NOT_BILLED, "Chicago", "60614")
    clients.append((c, billable, 14))
    c = new_client(BillingType.SELF_PAY, "Chicago", "60613")
    clients.append((c, [types["Free 15-minute consultation"]], 30))
    # Draft clients who have not signed up yet.
    for _ in range(2):
        new_client(BillingType.INSURANCE, "Chicago", "60614", draft=True)

    for client, kinds, every in clients:
        _sessions(
            client=client,
            clinician=me,
            types=kinds,
            today=today,
            rng=rng,
            tz=tz,
            every_days=every,
            signer=owner,
        )
    # One session found unbilled well past the payer's 90-day filing limit.
    late_client = clients[1][0]
    late_start = datetime.combine(today - timedelta(days=104), time(10, 0), tzinfo=tz)
    Appointment.objects.create(
        practice=practice,
        client=late_client,
        clinician=me,
        service_type=types["Psychotherapy, 45 min"],
        start=late_start,
        end=late_start + timedelta(minutes=45),
        status=AppointmentStatus.COMPLETED,
        place_of_service="11",
        note_signed_at=late_start + timedelta(hours=3),
        note_signed_by=owner,
    )
    # A no-show of a service whose no-show fee is $0: Bill Sessions shows it, never bills it.
    support = ServiceType.objects.create(
        practice=practice,
        name="Support group",
        cpt_code="90853",
        rate=Decimal("40.00"),
        no_show_fee=Decimal("0.00"),
        duration_minutes=90,
        place_of_service="11",
    )
    missed_by = next(c for c, _kinds, _every in clients
                     if c.billing_type == BillingType.SELF_PAY and c.email)
    missed_start = datetime.combine(today - timedelta(days=3), time(18, 0), tzinfo=tz)
    Appointment.objects.create(
        practice=practice,
        client=missed_by,
        clinician=me,
        service_type=support,
        start=missed_start,
        end=missed_start + timedelta(minutes=90),
        status=AppointmentStatus.NO_SHOW,
        place_of_service="11",
    )
    return True


def _seed_harbor(*, today: date, rng: random.Random) -> bool:
    if Practice.objects.filter(slug="harbor").exists():
        return False
    practice = Practice.objects.create(
        name="Harbor Group Therapy", slug="harbor", timezone="America/Los_Angeles"
    )
    tz = ZoneInfo(practice.timezone)
    owner = _user(practice, GROUP_EMAIL, Role.OWNER, "Maya", "Lindqvist")
    associate_user = _user(practice, "sam@harbor.demo.test", Role.CLINICIAN, "Sam", "Ortiz")
    priya_user = _user(practice, "priya@harbor.demo.test", Role.CLINICIAN, "Priya", "Shah")
    _user(practice, "billing@harbor.demo.test", Role.BILLER, "Lee", "Carver")
    maya = Clinician.objects.create(
        practice=practice,
        user=owner,
        first_name="Maya",
        last_name="Lindqvist",
        credentials="PsyD",
        npi=npi_with_check_digit("138572046"),
        taxonomy_code="103TC0700X",
        license_number="PSY 31207",
        license_state="CA",
    )
    sam = Clinician.objects.create(
        practice=practice,
        user=associate_user,
        first_name="Sam",
        last_name="Ortiz",
        credentials="AMFT",
        npi=npi_with_check_digit("127394058"),
        taxonomy_code="106H00000X",
        license_number="AMFT 140233",
        license_state="CA",
        supervisor=maya,
    )
    priya = Clinician.objects.create(  # no taxonomy on file: Incomplete until added
        practice=practice,
        user=priya_user,
        first_name="Priya",
        last_name="Shah",
        credentials="LCSW",
        npi=npi_with_check_digit("159283746"),
        taxonomy_code="",
        license_number="LCSW 98812",
        license_state="CA",
    )
    ProviderProfile.objects.create(
        practice=practice,
        provider_type=ProviderType.ORGANIZATION,
        organization_name="Harbor Group Therapy PC",
        npi=npi_with_check_digit("287461935"),
        tax_id="954721836",
        tax_id_type=TaxIdType.EIN,
        accept_assignment=True,
        taxonomy_code="193400000X",
        contact_name="Lee Carver",
        contact_email="billing@harbor.demo.test",
        # No phone yet: every claim waits on "Insurance setup not complete" until the owner
        # finishes Provider Information.
        contact_phone="",
        address1="220 Embarcadero Ctr",
        address2="Floor 4",
        city="San Francisco",
        state="CA",
        zip_code="94111-3302",
    )
    payers = [_payer(pid, name) for pid, name in DEMO_PAYERS]
    for payer in (payers[0], payers[1], payers[2], payers[5]):
        _accept(practice, payer, EnrollmentStatus.ACTIVE)
    types = _service_types(practice)
    billable = [
        types["Psychotherapy, 45 min"],
        types["Psychotherapy, 60 min"],
        types["Telehealth psychotherapy, 45 min"],
    ]
    new_client = _NewClient(practice, rng, state="CA", first_index=100)
    roster = [(maya, owner, None), (sam, associate_user, owner), (priya, priya_user, None)]
    for n in range(14):
        clinician, signer, approver = roster[n % 3]
        insured = n % 4 != 3
        c = new_client(
            BillingType.INSURANCE if insured else BillingType.SELF_PAY,
            "San Francisco",
            f"941{rng.randint(10, 34)}",
        )
        _diagnose(c, rng.sample(DIAGNOSES, k=rng.choice([1, 2])))
        if insured:
            _policy(c, [payers[0], payers[1], payers[2], payers[5]][n % 4], rng)
        kinds = [types["Group therapy"]] if n == 4 else [types["Intake assessment"], *billable]
        _sessions(
            client=c,
            clinician=clinician,
            types=kinds,
            today=today,
            rng=rng,
            tz=tz,
            every_days=7,
            signer=signer,
            approver=approver,
            approve=(n % 2 == 0),  # half of Sam's signed notes still await approval
        )
    return True


# --- The Stripe side (seed_demo_payments) ------------------------------------------------------

# The three self-pay clients of Serenity who have a card on file, in order, and the test card
# each saved on the stand-in's hosted Checkout page (sandbox/stripe/README.md, "Test cards"):
# one that works, one that is saved but declines when charged, one that is saved but needs the
# cardholder to authenticate an off-session charge.
DEMO_CARDS: list[tuple[str, str, str]] = [
    # (fake's card name, card number typed on the hosted page, what it shows in the demo)
    ("visa", "4242 4242 4242 4242", "works"),
    ("chargeCustomerFail", "4000 0000 0000 0341", "declines when charged"),
    ("authenticationRequired", "4000 0027 6000 3184", "needs authentication"),
]
AUTOPAY_CONSENT = (
    "I authorize Serenity Counseling to charge this card for my sessions and any balance I "
    "owe, as they come due, until I withdraw this authorization in writing."
)
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class PaymentsSeedResult:
    account_id: str = ""
    status: str = ""
    cards: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, brand, last4, note
    reseeded: bool = False  # the stand-in had forgotten the account: made again
    warning: str = ""
    invoices: dict[str, int] = field(default_factory=dict)  # Serenity's, per status


class _StandInHands:
    """What a person does in a browser on the stand-in's pages, done with httpx: finish
    Connect onboarding (the stand-in's own control) and type a test card into hosted
    Checkout. Only ever pointed at a loopback stand-in, never at Stripe."""

    def __init__(self, api_base: str) -> None:
        self.base = api_base.rstrip("/")

    def ready(self) -> str:
        """"" when the stand-in answers, else why not."""
        try:
            resp = httpx.get(f"{self.base}/_stripe/health", timeout=5)
            resp.raise_for_status()
        except httpx.HTTPError as exc:
            return (f"the Stripe stand-in at {self.base} is not answering ({exc}; start it "
                    "with `oasys sandbox stripe`, then run `oasys seed-demo --payments`)")
        return ""

    def activate(self, account_id: str) -> None:
        resp = httpx.post(f"{self.base}/_stripe/accounts/{account_id}",
                          json={"state": "active"}, timeout=30)
        resp.raise_for_status()

    def save_card(self, session: SetupSession, card: tuple[str, str, str], *,
                  account_id: str, email: str, name: str) -> None:
        year = (timezone.now().year + 4) % 100
        resp = httpx.post(session.url, timeout=30, follow_redirects=False, data={
            "email": email, "cardnumber": card[1], "expiry": f"12 / {year:02d}", "cvc": "123",
            "name": name, "postal": "60614"})
        if resp.status_code not in (302, 303):  # the form came back: the card was refused
            raise PaymentsError(f"the stand-in's Checkout page refused card {card[1]} "
                                f"(HTTP {resp.status_code})")


    def stall_finalizing(self, stripe_invoice_id: str = "") -> None:
        """Stripe "down" for finalizing invoices, through the stand-in's faults: with no id,
        for every invoice until `unstall` (the seed's own delivery attempt meets it, the
        SDK's retries included); with an id, for that invoice only and for good, so the
        demo keeps one invoice Sending that Oasys goes on retrying.
        `curl -X DELETE http://127.0.0.1:12111/_stripe/faults` lets it through."""
        faults = f"{self.base}/_stripe/faults"
        path = f"/v1/invoices/{stripe_invoice_id}/finalize" if stripe_invoice_id \
            else "/finalize"
        held = httpx.get(faults, timeout=30)
        held.raise_for_status()
        if any(f["path"] == path for f in held.json()["data"]):
            return
        self.unstall()
        httpx.post(faults, timeout=30, json={"kind": "500", "path": path, "method": "POST",
                                             "count": 10**9}).raise_for_status()

    def unstall(self) -> None:
        httpx.delete(f"{self.base}/_stripe/faults", timeout=30).raise_for_status()


class _FakeHands:
    """The same gestures on the in-memory fake (unit tests), through its test controls."""

    def __init__(self, fake: FakePayments) -> None:
        self.fake = fake

    def activate(self, account_id: str) -> None:
        self.fake.account_state_set(account_id, "active")

    def save_card(self, session: SetupSession, card: tuple[str, str, str], *,
                  account_id: str, email: str, name: str) -> None:
        self.fake.setup_session_complete(account_id, session.id, card=card[0])

    def stall_finalizing(self, stripe_invoice_id: str = "") -> None:
        # The fake has no per-invoice faults: the seed's one attempt fails, and nothing
        # retries it in a test process.
        if not stripe_invoice_id:
            self.fake.fail_next("invoice_finalize", RetryableError(
                "Stripe did not answer (the demo's stalled invoice)"))

    def unstall(self) -> None:
        pass  # the one failure is spent by the attempt


def _hands() -> _StandInHands | _FakeHands | str:
    """Who plays the person at the browser, or why the Stripe side cannot be seeded."""
    if getattr(settings, "PAYMENTS_ADAPTER", "stripe") == "fake":
        fake = payments_port()
        assert isinstance(fake, FakePayments)
        return _FakeHands(fake)
    base = settings.STRIPE_API_BASE or ""
    host = urlsplit(base).hostname or ""
    if host not in _LOOPBACK:
        # The demo's cards and onboarding shortcut exist only on the stand-in: never on
        # Stripe itself (STRIPE_API_BASE empty) or anything that is not this machine.
        return ("demo payments are seeded only against the local Stripe stand-in "
                f"(STRIPE_API_BASE is {base or 'empty, i.e. real Stripe'})")
    hands = _StandInHands(base)
    return hands.ready() or hands


def seed_demo_payments() -> PaymentsSeedResult:
    """Serenity's active connected account and three clients with cards on file, on the
    Stripe stand-in, through the payments port as the product itself would make them. Safe
    to run again: what exists is kept; if the stand-in lost its state (its file deleted),
    the Stripe side is made again. When the stand-in is not running it changes nothing and
    says why in `warning`. Harbor is left as it is (seeded not connected)."""
    if getattr(settings, "PRODUCTION", False):
        raise SeedRefused("seed-demo refuses to run with production settings")
    practice = Practice.objects.filter(slug="serenity").first()
    if practice is None:
        return PaymentsSeedResult(warning="run seed_demo() first: no Serenity practice")
    hands = _hands()
    if isinstance(hands, str):
        return PaymentsSeedResult(warning=f"{hands}: payments were not seeded")
    port = payments_port()
    result = PaymentsSeedResult()
    owner = User.objects.get(email=SOLO_EMAIL)
    row = PaymentAccount.objects.filter(practice=practice).first()
    if row is not None and row.stripe_account_id and not _account_known(port, row):
        _forget_stripe_side(practice)
        row, result.reseeded = None, True
    if row is None:
        row = _account_seed(port, hands, practice, owner)
    result.account_id, result.status = row.stripe_account_id, row.status
    if row.status != AccountStatus.ACTIVE or not row.stripe_account_id:
        # The user moved it during an earlier demo (disconnected it, say): theirs to keep.
        result.warning = f"Serenity's payment account is {row.status}: cards not seeded"
        return result
    for client, card in zip(_card_clients(practice), DEMO_CARDS, strict=False):
        profile = _card_seed(port, hands, row, client, card)
        result.cards.append((f"{client.first_name} {client.last_name}", profile.card_brand,
                             profile.card_last4, card[2]))
    result.invoices = _seed_invoices(practice, owner, hands)
    return result


def _account_known(port: PaymentsPort, row: PaymentAccount) -> bool:
    try:
        return not port.account_get(account_id=row.stripe_account_id).deleted
    except (NotFoundError, ConfigurationError):
        return False
    except FinalError as exc:  # "no access to that account": 403 with Stripe-Account, or 404
        if exc.status in (403, 404):
            return False
        raise


def _forget_stripe_side(practice: Practice) -> None:
    """The stand-in no longer knows the account (its database was wiped): drop our copies of
    what lived there, and the idempotency ledger naming it, so it is made afresh."""
    with transaction.atomic():
        ClientPaymentProfile.objects.filter(practice=practice).delete()
        PaymentAccount.objects.filter(practice=practice).delete()  # its events go with it
        StripeRequest.objects.filter(practice=practice, key__startswith="oasys-demo-").delete()


def _account_seed(port: PaymentsPort, hands: _StandInHands | _FakeHands, practice: Practice,
                  owner: User) -> PaymentAccount:
    meta = {"oasys_practice": str(practice.pk)}
    acct = stripe_once(
        key=idempotency_key("demo", "account", practice.pk), operation="account_create",
        practice=practice,
        create=lambda key: port.account_create(email=SOLO_EMAIL, business_name=practice.name,
                                               metadata=meta, idempotency_key=key),
        get=lambda id_: port.account_get(account_id=id_),
        find=lambda: port.account_find(metadata_key="oasys_practice",
                                       metadata_value=str(practice.pk)))
    if not acct.charges_enabled:
        hands.activate(acct.id)  # as if the owner had finished onboarding
        acct = port.account_get(account_id=acct.id)
    return _account_row_create(practice, owner, acct)


def _account_row_create(practice: Practice, owner: User, acct: Account) -> PaymentAccount:
    now = timezone.now()
    with transaction.atomic():
        # Created directly in its status (the machine lets the demo seed do so), with the
        # flags as Stripe reports them.
        row = PaymentAccount.objects.create(
            practice=practice, stripe_account_id=acct.id, status=AccountStatus.ACTIVE,
            status_changed_at=now, charges_enabled=acct.charges_enabled,
            payouts_enabled=acct.payouts_enabled, details_submitted=acct.details_submitted,
            business_name=acct.business_name or practice.name, synced_at=now,
            connected_by=owner)
        PAYMENT_ACCOUNT_MACHINE.record_created(obj=row, actor=owner, source="demo seed",
                                               reason="seeded active on the Stripe stand-in")
    return row


def _card_clients(practice: Practice) -> list[Client]:
    """Self-pay clients who can be invoiced: an email on file, and sessions that carry a
    price (not the $0 pricing rule or the service whose price was never set)."""
    unpriced = Appointment.objects.filter(practice=practice).filter(
        Q(service_type__rate__isnull=True) | Q(service_type__rate=Decimal("0.00")))
    clients = (Client.objects.filter(practice=practice, billing_type=BillingType.SELF_PAY,
                                     is_draft=False)
               .exclude(email="")
               .exclude(pricing_rules__price=Decimal("0.00"))
               .exclude(pk__in=unpriced.values("client_id"))
               .order_by("pk"))
    return list(clients[: len(DEMO_CARDS)])


def _card_seed(port: PaymentsPort, hands: _StandInHands | _FakeHands, row: PaymentAccount,
               client: Client, card: tuple[str, str, str]) -> ClientPaymentProfile:
    profile = ClientPaymentProfile.objects.filter(client=client).first()
    if profile is not None:  # seeded before (the profile is written last), or the user's
        return profile
    acct, name = row.stripe_account_id, f"{client.first_name} {client.last_name}"
    meta = {"oasys_client": str(client.pk)}
    customer = stripe_once(
        key=idempotency_key("demo", "customer", client.pk), operation="customer_create",
        practice=row.practice,
        create=lambda key: port.customer_create(account_id=acct, email=client.email, name=name,
                                                metadata=meta, idempotency_key=key),
        get=lambda id_: port.customer_get(account_id=acct, customer_id=id_),
        find=lambda: port.customer_find(account_id=acct, email=client.email,
                                        metadata_key="oasys_client",
                                        metadata_value=str(client.pk)))
    session = _setup_session(port, row, client, customer.id)
    if session.status != "complete":
        hands.save_card(session, card, account_id=acct, email=client.email, name=name)
        session = port.setup_session_get(account_id=acct, session_id=session.id)
    saved = port.card_get(account_id=acct, payment_method_id=session.payment_method_id)
    port.customer_default_card_set(
        account_id=acct, customer_id=customer.id, payment_method_id=saved.id,
        idempotency_key=idempotency_key("demo", "default-card", client.pk, saved.id))
    now = timezone.now()
    profile, _ = ClientPaymentProfile.objects.update_or_create(
        client=client, defaults={
            "practice": row.practice, "account": row, "stripe_customer_id": customer.id,
            "card_payment_method_id": saved.id, "card_brand": saved.brand,
            "card_last4": saved.last4, "card_exp_month": saved.exp_month,
            "card_exp_year": saved.exp_year, "card_saved_at": now,
            "autopay_consent_at": now, "autopay_consent_text": AUTOPAY_CONSENT,
            "autopay_paused_at": None})
    return profile


def _setup_session(port: PaymentsPort, row: PaymentAccount, client: Client,
                   customer_id: str) -> SetupSession:
    """The hosted card page for the client, made once; a fresh one if it expired unused (a
    seed interrupted a day ago)."""
    acct, parts = row.stripe_account_id, ["demo", "setup", client.pk]
    while True:
        key = idempotency_key(*parts)
        session = stripe_once(
            key=key, operation="setup_session_create", practice=row.practice,
            create=lambda k: port.setup_session_create(
                account_id=acct, customer_id=customer_id,
                success_url="http://127.0.0.1:8000/?card=saved",
                cancel_url="http://127.0.0.1:8000/", metadata={"oasys_client": str(client.pk)},
                idempotency_key=k),
            get=lambda id_: port.setup_session_get(account_id=acct, session_id=id_))
        if session.status != "expired":
            return session
        parts.append(session.id)


def _invoice_stall_in_sending(invoice: Invoice, *, ctx: AuditContext, owner: User,
                              hands: _StandInHands | _FakeHands) -> None:
    """Sending is what an invoice is while its delivery runs, which takes seconds; to show
    it for good the demo has Stripe fail to finalize this one invoice (a stand-in fault).
    The delivery is tried once here and meets the fault, so the invoice stays Sending with
    "Stripe could not be reached" on its page, and the worker and the sending sweep go on
    retrying it, with backoff, as they would through a real outage."""
    if invoice.status == InvoiceStatus.DRAFT:
        hands.stall_finalizing()
        try:
            invoice = invoice_send(invoice=invoice, ctx=ctx, actor=owner, source=DEMO_SOURCE)
            invoice = invoice_deliver(invoice_id=invoice.pk) or invoice
        finally:
            hands.unstall()  # never leave every invoice stalled
    if invoice.status != InvoiceStatus.SENDING:
        return  # delivered after all (the user lifted the fault in an earlier demo)
    made = StripeRequest.objects.filter(
        key=idempotency_key("invoice", invoice.pk, "create")).first()
    if made is not None and made.object_id:
        hands.stall_finalizing(made.object_id)


# --- Serenity's invoices, one or more in each of the seven statuses (seed_demo_payments) ----
@dataclass(frozen=True)
class _DemoInvoice:
    goal: str  # where the seed takes it: a status, or a card story
    description: str  # its one line; with the client, how seeding again finds it
    amount: str
    card: str = ""  # the DEMO_CARDS note of the client it is for ("" : a client without one)


DEMO_INVOICES: list[_DemoInvoice] = [
    _DemoInvoice("draft", "Records copy (not sent yet)", "25.00"),
    _DemoInvoice("sending", "Late cancellation fee, Nov 24", "60.00"),
    _DemoInvoice("open", "Late cancellation fee, Nov 17", "75.00"),
    _DemoInvoice("paid_by_check", "Workshop: managing anxiety", "120.00"),
    _DemoInvoice("overdue", "Late cancellation fee, Oct 20", "75.00"),
    _DemoInvoice("void", "Late cancellation fee, Nov 10 (waived)", "75.00"),
    _DemoInvoice("uncollectible", "Missed session fee, Sep 29", "90.00"),
    # autopay: the card is charged when the invoice is sent; part of it is refunded
    _DemoInvoice("paid_by_card_refunded", "Couples workshop (two evenings)", "150.00",
                 card="works"),
    _DemoInvoice("declined", "Late cancellation fee, Nov 19", "75.00",
                 card="declines when charged"),
    _DemoInvoice("needs_confirmation", "Late cancellation fee, Nov 21", "75.00",
                 card="needs authentication"),
]
DEMO_SOURCE = "demo seed"


def _invoice_clients(practice: Practice) -> tuple[dict[str, Client], list[Client]]:
    """The card clients by their card's note, and the other clients who can be emailed an
    invoice (an email on file, billed; not the card clients)."""
    by_last4 = {last4: note for (_fake, number, note) in DEMO_CARDS
                for last4 in [number.replace(" ", "")[-4:]]}
    cards = {by_last4[p.card_last4]: p.client for p in
             ClientPaymentProfile.objects.filter(practice=practice).select_related("client")
             if p.card_last4 in by_last4}
    card_ids = {c.pk for c in cards.values()}
    others = [c for c in Client.objects.filter(practice=practice, is_draft=False)
              .exclude(email="").exclude(billing_type=BillingType.NOT_BILLED).order_by("pk")
              if c.pk not in card_ids]
    return cards, others


def _seed_invoices(practice: Practice, owner: User,
                   hands: _StandInHands | _FakeHands) -> dict[str, int]:
    """Serenity's invoices in all seven statuses, made through the product's services as
    staff would (sent through the Stripe stand-in; cards charged as the cards behave), with
    payments by card and by check, a partial refund and a declined card. Safe to run again:
    each invoice is found by its client and line and taken on from where it stands (every
    step is idempotent: a token or the invoice's status decides). Answers the count of
    Serenity's invoices per status."""
    ctx = AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)
    cards, others = _invoice_clients(practice)
    others_left = iter(others)
    today = practice_today(practice)
    for spec in DEMO_INVOICES:
        client = cards.get(spec.card) if spec.card else next(others_left, None)
        if client is None:  # a card the user removed, or a practice emptied by hand
            continue
        invoice = (Invoice.objects.filter(practice=practice, client=client,
                                          lines__description=spec.description).first()
                   or invoice_create_standalone(
                       practice=practice, client_id=client.pk, ctx=ctx, actor=owner,
                       lines=[{"description": spec.description, "date": today.isoformat(),
                               "amount": spec.amount}]))
        _invoice_take_to(invoice, spec, ctx=ctx, owner=owner, today=today, hands=hands)
    counts = dict.fromkeys(InvoiceStatus.values, 0)
    for status in Invoice.objects.filter(practice=practice).values_list("status", flat=True):
        counts[status] += 1
    return counts


def _invoice_take_to(invoice: Invoice, spec: _DemoInvoice, *, ctx: AuditContext, owner: User,
                     today: date, hands: _StandInHands | _FakeHands) -> None:
    S = InvoiceStatus  # noqa: N806
    if spec.goal == "draft":
        return
    if spec.goal == "sending":
        _invoice_stall_in_sending(invoice, ctx=ctx, owner=owner, hands=hands)
        return
    if invoice.status == S.DRAFT:
        invoice = invoice_send(invoice=invoice, ctx=ctx, actor=owner, source=DEMO_SOURCE)
    # The delivery, here rather than waiting for the task queued on commit (which then
    # finds it delivered and does nothing): the card charged, or the email sent.
    invoice = invoice_deliver(invoice_id=invoice.pk)
    if spec.goal == "paid_by_check" and invoice.status in (S.OPEN, S.OVERDUE):
        invoice_record_payment(invoice=invoice, amount=str(invoice.total),
                               method=PaymentMethod.CHECK,
                               received_on=today, reference="Check 1042", token="demo-check",
                               ctx=ctx, actor=owner)
    elif spec.goal == "overdue" and invoice.status == S.OPEN:
        # Issued and due weeks ago: the services issue invoices today, so the seed dates this
        # one back (dates, not its status), and the nightly overdue run does the rest.
        Invoice.objects.filter(pk=invoice.pk).update(issue_date=today - timedelta(days=40),
                                                     due_date=today - timedelta(days=26))
        invoices_overdue_mark()
    elif spec.goal == "void" and invoice.status == S.OPEN:
        invoice_void(invoice=invoice, ctx=ctx, actor=owner,
                     reason="Fee waived: the client called ahead after all")
    elif spec.goal == "uncollectible" and invoice.status in (S.OPEN, S.OVERDUE):
        invoice_mark_uncollectible(invoice=invoice, ctx=ctx, actor=owner,
                                   reason="Moved away; letters returned")
    elif spec.goal == "paid_by_card_refunded" and invoice.status == S.PAID:
        invoice_refund(invoice=invoice, amount="50.00", token="demo-refund", ctx=ctx,
                       actor=owner, reason="Missed the second evening")
