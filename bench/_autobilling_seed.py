"""Seeding for bench_autobilling.py: one practice with `items` Ready items of the three kinds.

The rows with no side effects (clients, diagnoses, policies, sessions) are bulk-created with
exactly the fields the billing factories give them; everything with rules or side effects
goes through the product: the practice's profile, payer and enrollment (factories), its
Stripe account and the cards on file (the demo seed's own helpers, on the stand-in), the
claims that ERAs answer (billing_submit), the ERAs (an 835 through era_import), and the
setting (autobilling_settings_update). Whether an item is Ready is left to the run.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.autobilling.services import autobilling_settings_update
from oasys.billing.services import billing_submit
from oasys.billing.tests import factories as f
from oasys.clients.models import (
    BillingType,
    Client,
    Diagnosis,
    InsurancePolicy,
    PolicyPriority,
    Relationship,
)
from oasys.core.models import Practice, Role, User
from oasys.core.services import practice_create
from oasys.demo.seed import DEMO_CARDS, _account_seed, _card_seed, _StandInHands
from oasys.payments.connection import payments_port
from oasys.practice.models import Payer
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import copay_claim, era

CARD_EVERY = 3  # one cash-pay client in three has a card on file with autopay consent


def _shares(items: int) -> tuple[int, int, int]:
    """(claims, invoices, client shares) of a practice's items: ~50/30/20."""
    shares = items // 5
    invoices = items * 3 // 10
    return items - shares - invoices, invoices, shares


def _payer() -> Payer:
    payer = Payer.objects.filter(payer_id_claims="BENCH1").first()
    return payer or f.make_payer(name="BENCH HEALTH", payer_id="BENCH1")


def practice_seed(*, n: int, items: int, stripe_base: str) -> int:
    """Practice `bench-<n>` with `items` Ready items and auto-billing on at midnight (its
    cutoff hour 0), backfilling all. Answers its id."""
    practice = practice_create(name=f"Bench Practice {n}", slug=f"bench-{n}")
    owner = User.objects.create_user(email=f"owner{n}@bench.test", password=None,
                                     practice=practice, role=Role.OWNER)
    ctx = f.ctx_for(owner, practice)
    f.ensure_default_telehealth_rules()
    f.make_profile(practice)
    f.accept_payer(practice, _payer())
    service = f.make_service_type(practice)
    clinician = f.make_clinician(practice)
    claims, invoices, shares = _shares(items)
    insured = claims + shares
    clients = Client.objects.bulk_create([Client(
        practice=practice, first_name="Avery", last_name=f"Bench{n}x{i}",
        date_of_birth=dt.date(1985, 4, 12), gender="F", email=f"c{n}x{i}@bench.test",
        phone="3125550199", address1="12 Oak St", city="Chicago", state="IL",
        zip_code="60614",
        billing_type=BillingType.INSURANCE if i < insured else BillingType.SELF_PAY)
        for i in range(items)], batch_size=500)
    Diagnosis.objects.bulk_create([
        Diagnosis(practice=practice, client=c, position=1, code="F41.1")
        for c in clients[:insured]], batch_size=500)
    payer = _payer()
    InsurancePolicy.objects.bulk_create([InsurancePolicy(
        practice=practice, client=c, payer=payer, priority=PolicyPriority.PRIMARY,
        member_id=f"W{n:04d}{i:05d}", group_number="G12345", relationship=Relationship.SELF)
        for i, c in enumerate(clients[:insured])], batch_size=500)
    today = timezone.localdate()
    appts = []
    for i, c in enumerate(clients):
        start = f.local_dt(today - dt.timedelta(days=3 + i // 10), 8 + i % 10)
        appts.append(Appointment(
            practice=practice, client=c, clinician=clinician, service_type=service,
            start=start, end=start + dt.timedelta(minutes=45),
            status=AppointmentStatus.COMPLETED, place_of_service=service.place_of_service,
            modifiers=service.modifiers, note_signed_at=start + dt.timedelta(hours=2)))
    appts = Appointment.objects.bulk_create(appts, batch_size=500)

    # cards on file, on the stand-in, as the demo seed makes them
    port, hands = payments_port(), _StandInHands(stripe_base)
    account = _account_seed(port, hands, practice, owner)
    for c in clients[insured::CARD_EVERY]:
        _card_seed(port, hands, account, c, DEMO_CARDS[0])

    # client shares: the last `shares` insured sessions billed, answered with a $20 copay
    if shares:
        result = billing_submit(practice=practice, ctx=ctx, actor=owner,
                                appointment_ids=[a.pk for a in appts[claims:insured]])
        if len(result.claims) != shares:
            raise SystemExit(f"bench-{n}: {len(result.claims)} of {shares} ERA claims billed "
                             f"({result.skipped[:2]})")
        raw = era([copay_claim(c, service_date=c.service_date) for c in result.claims],
                  trace=f"BENCH{practice.pk}", date=today)
        era_import(practice=practice, raw=raw, ctx=ctx)

    autobilling_settings_update(practice=practice, ctx=ctx, actor=owner, data={
        "enabled": True, "cutoff_hour": 0, "backfill": "all"})
    return practice.pk


def seed_shared() -> None:
    """What every practice's seed shares (the payer, the telehealth rules): made once, before
    seeding processes run side by side, so they never race to create it."""
    f.ensure_default_telehealth_rules()
    _payer()


def practices_rest(*, ids: list[int]) -> None:
    """Turn auto-billing off for practices whose night was measured (their next tick would
    only run empty runs into the next size's night)."""
    for practice in Practice.objects.filter(pk__in=ids):
        owner = User.objects.filter(practice=practice).first()
        autobilling_settings_update(practice=practice, ctx=f.ctx_for(owner, practice),
                                    data={"enabled": False})


def practices_seed_range(*, first: int, count: int, items: int, stripe_base: str) -> None:
    """Seed practices bench-`first` .. bench-(`first`+`count`-1): the body of one seeding
    process (the bench runs a few side by side for its big sizes)."""
    from oasys.celery import app as celery_app  # noqa: PLC0415

    celery_app.conf.task_always_eager = True  # the seed's own kicks run inline
    for n in range(first, first + count):
        practice_seed(n=n, items=items, stripe_base=stripe_base)
