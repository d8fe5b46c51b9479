"""How long a consolidated superbill of 100 sessions takes: create it (one transaction) and
draw its PDF. Prints the figures (run with -s to see them); fails only if absurdly slow."""

from __future__ import annotations

import time

import pytest

from oasys.billing.tests import factories as f
from oasys.superbills.models import SuperbillKind
from oasys.superbills.pdf import superbill_pdf
from oasys.superbills.selectors import statement_for
from oasys.superbills.services import superbill_create

from .world import superbill_world

pytestmark = pytest.mark.django_db


def test_a_consolidated_superbill_of_100_sessions(practice):
    w = superbill_world(practice)
    days = [d for d in range(1, 30) if d not in (6, 9, 13, 20)]
    for i in range(97):  # with the world's three: 100
        f.make_appointment(practice, client=w.client, clinician=w.clinician,
                           service_type=w.service_type, days_ago=days[i % len(days)],
                           hour=8 + i // len(days), minutes=30)
    t0 = time.perf_counter()
    [sb] = superbill_create(practice=practice, client_ids=[w.client.pk], date_from=w.date_from,
                            date_to=w.date_to, kind=SuperbillKind.CONSOLIDATED,
                            ctx=f.ctx_for(practice=practice))
    t1 = time.perf_counter()
    pdf = superbill_pdf(statements=[statement_for(superbill=sb)])
    t2 = time.perf_counter()
    assert sb.lines.count() == 100 and pdf.startswith(b"%PDF")
    print(f"\nsuperbill of 100 sessions: create {t1 - t0:.2f} s, PDF {t2 - t1:.2f} s "
          f"({len(pdf) // 1024} KiB)")
    assert t2 - t0 < 60
