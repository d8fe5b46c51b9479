"""Benchmark: the Bill Sessions queue on practices of 1,000 and 20,000 unbilled sessions.

Reports the number of queries (must not grow with the practice) and the evaluation time as a
ratio against a reference measured in the same run: fetching the same session rows with
their related objects and nothing else (the floor any evaluation pays).

    .venv/bin/python bench/bench_queue.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="oasys-bench-")
os.environ["OASYS_VAR_DIR"] = TMP
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oasys.settings")

import django  # noqa: E402

django.setup()

from datetime import datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from oasys.appointments.models import Appointment  # noqa: E402
from oasys.billing.readiness import billing_queue, unbilled_sessions  # noqa: E402
from oasys.clients.models import Client, Diagnosis, InsurancePolicy  # noqa: E402
from oasys.core.identifiers import npi_with_check_digit  # noqa: E402
from oasys.core.models import Practice  # noqa: E402
from oasys.invoices.models import Invoice, InvoiceLine  # noqa: E402
from oasys.practice.models import (  # noqa: E402
    AcceptedPayer,
    Clinician,
    Enrollment,
    Payer,
    ProviderProfile,
    ServiceType,
)


def build_practice(slug: str, sessions: int) -> Practice:
    practice = Practice.objects.create(name=slug, slug=slug)
    npi = npi_with_check_digit("164852937")
    ProviderProfile.objects.create(
        practice=practice, first_name="A", last_name="B", npi=npi, tax_id="364812957",
        taxonomy_code="101YM0800X", contact_name="A B", contact_email="a@b.example",
        contact_phone="3125550142", address1="1 Main St", city="Chicago", state="IL",
        zip_code="60614",
    )
    clinician = Clinician.objects.create(practice=practice, first_name="A", last_name="B",
                                         npi=npi, taxonomy_code="101YM0800X")
    payer = Payer.objects.create(name=f"Payer {slug}", payer_id_claims=f"P{slug[:8]}",
                                 supports_claims=True)
    accepted = AcceptedPayer.objects.create(practice=practice, payer=payer)
    Enrollment.objects.create(practice=practice, accepted_payer=accepted,
                              transaction_type="claims", status="active")
    st = ServiceType.objects.create(practice=practice, name="Therapy", cpt_code="90834",
                                    rate=Decimal("130.00"), duration_minutes=45)
    n_clients = max(1, sessions // 20)
    clients = Client.objects.bulk_create([
        Client(practice=practice, first_name=f"C{i}", last_name="Bench", gender="F",
               billing_type="insurance", date_of_birth="1980-01-01", address1="1 Main St",
               city="Chicago", state="IL", zip_code="60614", email="c@example.com")
        for i in range(n_clients)
    ])
    InsurancePolicy.objects.bulk_create([
        InsurancePolicy(practice=practice, client=c, payer=payer, member_id=f"M{c.pk}")
        for c in clients
    ])
    Diagnosis.objects.bulk_create([
        Diagnosis(practice=practice, client=c, position=1, code="F41.1") for c in clients
    ])
    tz = ZoneInfo("America/Chicago")
    today = timezone.localdate()
    appts = []
    for i in range(sessions):
        start = datetime.combine(today - timedelta(days=1 + i % 60), datetime.min.time(),
                                 tzinfo=tz) + timedelta(hours=9 + i % 8)
        appts.append(Appointment(
            practice=practice, client=clients[i % n_clients], clinician=clinician,
            service_type=st, start=start, end=start + timedelta(minutes=45),
            status="completed", place_of_service="11", note_signed_at=start,
        ))
    Appointment.objects.bulk_create(appts, batch_size=2000)
    return practice


def measure(practice: Practice, repeats: int = 3) -> tuple[int, float, float, int]:
    best_queue = best_floor = float("inf")
    with CaptureQueriesContext(connection) as q:
        items = billing_queue(practice=practice)
    queries = len(q)
    for _ in range(repeats):
        t = time.perf_counter()
        list(unbilled_sessions(practice=practice))
        best_floor = min(best_floor, time.perf_counter() - t)
        t = time.perf_counter()
        billing_queue(practice=practice)
        best_queue = min(best_queue, time.perf_counter() - t)
    return queries, best_queue, best_floor, len(items)


def bill_most(practice: Practice, keep_unbilled: int) -> None:
    """Mark all but `keep_unbilled` sessions as invoiced: the shape of a real practice,
    whose history is billed and whose queue holds the last days' sessions."""

    ids = list(Appointment.objects.filter(practice=practice).order_by("start")
               .values_list("pk", flat=True))[:-keep_unbilled]
    invoice = Invoice.objects.create(practice=practice, client=Client.objects.filter(
        practice=practice).first(), number="BENCH-1", issue_date=timezone.localdate(),
        due_date=timezone.localdate(), total=Decimal("0"))
    InvoiceLine.objects.bulk_create([
        InvoiceLine(practice=practice, invoice=invoice, appointment_id=pk,
                    description="bench", amount=Decimal("130.00")) for pk in ids
    ], batch_size=2000)


def main() -> None:
    call_command("migrate", verbosity=0)
    rows = []
    for size in (1_000, 20_000):
        practice = build_practice(f"bench{size}", size)
        rows.append((size, *measure(practice)))
    realistic = build_practice("benchreal", 20_000)
    bill_most(realistic, keep_unbilled=300)
    real = measure(realistic)
    print("| sessions | items | queries | queue (s) | row fetch floor (s) | queue / floor |"
          " µs per session |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for size, queries, tq, tf, n in rows:
        print(f"| {size:,} | {n:,} | {queries} | {tq:.3f} | {tf:.3f} | {tq / tf:.2f}× |"
              f" {tq / size * 1e6:.0f} |")
    small, large = rows
    print(f"\nQuery count: {small[1]} at 1,000 and {large[1]} at 20,000 "
          f"({'constant' if small[1] == large[1] else 'GROWS: investigate'}).")
    print(f"Time per session at 20,000 vs 1,000: {(large[2] / 20_000) / (small[2] / 1_000):.2f}×")
    queries, tq, tf, n = real
    print(f"\nA practice with 20,000 sessions of which 19,700 are billed (the usual shape): "
          f"{n} in the queue, {queries} queries, {tq:.3f} s (row fetch floor {tf:.3f} s, "
          f"{tq / tf:.2f}×).")


if __name__ == "__main__":
    main()
