"""A session is billed once even when two people press "Bill" at the same moment.

Real threads, real connections, real commits (transactional tests). Each thread closes its
own connection. On PostgreSQL each thread has its own session. On SQLite, Django's in-memory
test database is a shared-cache URI whose table locks fail at once ("database table is
locked") instead of waiting like the file database the product runs on (WAL, busy timeout,
IMMEDIATE transactions); so for these tests the in-memory database is copied to a file, the
threads work on the file, and the in-memory one is put back afterwards.
"""

from __future__ import annotations

import traceback
from collections import Counter
from decimal import Decimal

import pytest

from oasys.billing.services import billing_submit
from oasys.billing.tests import factories as f
from oasys.claims.models import Claim, ClaimSubmission
from oasys.claims.services import AlreadyBilled, ClaimDraft, claim_create_for_session
from oasys.clearinghouse.models import EdiFile, FileStatus
from oasys.clearinghouse.services import edi_files_sweep
from oasys.core.tests.threads import run_together
from oasys.invoices.models import Invoice, InvoiceLine

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True),
              pytest.mark.usefixtures("threads_share_the_database")]

THREADS = 2



def tracebacks(errors) -> str:
    return "\n".join("".join(traceback.format_exception(e)) for e in errors)



def test_two_threads_billing_the_same_claims_make_exactly_one_claim_each(practice,
                                                                         clearinghouse):
    a = f.ready_claim_session(practice)
    b = f.ready_claim_session(practice, payer=a.payer)
    ids = [a.appointment.pk, b.appointment.pk]
    ctx = f.ctx_for(practice=practice)

    results, errors = run_together(n=THREADS, fn=
        lambda: billing_submit(practice=practice, appointment_ids=ids, ctx=ctx))

    assert errors == [], tracebacks(errors)
    assert sorted(c.appointment_id for r in results for c in r.claims) == sorted(ids)
    assert Claim.objects.filter(appointment_id=a.appointment.pk).count() == 1
    assert Claim.objects.filter(appointment_id=b.appointment.pk).count() == 1
    skipped = sorted(s for r in results for s, _ in r.skipped)
    assert len(skipped) == len(ids) * (THREADS - 1)
    sent = [c["idempotency_key"] for c in clearinghouse.sent]
    assert len(sent) == len(set(sent)) == ClaimSubmission.objects.count()
    assert sum(s.claim_count for s in ClaimSubmission.objects.all()) == 2


def test_two_threads_creating_the_same_claim_make_one(practice):
    s = f.ready_claim_session(practice)
    draft = ClaimDraft(appointment_id=s.appointment.pk, policy_id=s.policy.pk,
                       payer_id=s.payer.pk, cpt="90834", charge=Decimal("130.00"),
                       diagnosis_codes=("F41.1",))
    ctx = f.ctx_for(practice=practice)

    results, errors = run_together(n=THREADS, fn=
        lambda: claim_create_for_session(practice=practice, draft=draft, ctx=ctx))

    assert len(results) == 1
    assert [type(e) for e in errors] == [AlreadyBilled]
    assert Claim.objects.filter(appointment=s.appointment).count() == 1


def test_two_threads_invoicing_the_same_sessions_make_one_invoice_each(practice):
    cash = [f.self_pay_session(practice) for _ in range(3)]
    ids = [a.pk for a in cash]
    ctx = f.ctx_for(practice=practice)

    results, errors = run_together(n=THREADS, fn=
        lambda: billing_submit(practice=practice, appointment_ids=ids, ctx=ctx))

    assert errors == [], tracebacks(errors)
    assert sorted(i.lines.get().appointment_id for r in results for i in r.invoices) == ids
    assert InvoiceLine.objects.filter(appointment_id__in=ids).count() == 3
    assert Invoice.objects.filter(practice=practice).count() == 3
    numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == ["INV-000001", "INV-000002", "INV-000003"]


def test_two_sweepers_at_once_send_each_file_once(practice, clearinghouse, settings):
    ctx = f.ctx_for(practice=practice)
    settings.CLEARINGHOUSE_RETRY_BASE_SECONDS = 0  # retries due at once, on the real clock
    clearinghouse.go_down("retryable")  # each commit's kick fails: four files retrying
    for _ in range(4):
        s = f.ready_claim_session(practice)
        billing_submit(practice=practice, appointment_ids=[s.appointment.pk], ctx=ctx)
    assert EdiFile.objects.filter(status=FileStatus.RETRYING).count() == 4
    clearinghouse.come_back()
    results, errors = run_together(n=THREADS, fn=edi_files_sweep)
    assert errors == [], tracebacks(errors)
    assert sum(r["submitted"] for r in results) == 4
    sends = Counter(s["idempotency_key"] for s in clearinghouse.sent)
    # the failed kick and one sweep each: rows are claimed, never sent by both sweepers
    assert len(sends) == 4 and set(sends.values()) == {2}
    assert not EdiFile.objects.exclude(status=FileStatus.SUBMITTED).filter(
        direction="outbound").exists()
