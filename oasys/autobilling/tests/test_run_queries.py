"""A run's database queries grow with its items, never faster: the queries per item of a run
of 3n items of each kind are not above those of a run of n (plus a small slack), so nothing
in the run is loaded once per item per item (the scale benchmark's claim, kept by a test)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oasys.autobilling.models import BillingRunItem, ItemKind, ItemOutcome
from oasys.autobilling.runner import billing_run_execute
from oasys.autobilling.services import autobilling_settings_update, billing_run_start
from oasys.billing.tests import factories as f
from oasys.claims.status import ClaimStatus
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import copay_claim, era, submitted_claim

pytestmark = pytest.mark.django_db

N = 2
SLACK = 1.0  # queries per item
# A read of one ERA claim by its id (what a per-item .get() sends)
ONE_SHARE = re.compile(r'FROM "remittance_remittanceclaim" INNER JOIN .*WHERE \('
                       r'"remittance_remittanceclaim"\."id" = \d+ AND '
                       r'"remittance_remittanceclaim"\."practice_id" = \d+\) LIMIT')


def _items(practice, ctx, n: int) -> None:
    """n Ready items of each kind: insured sessions, cash-pay sessions, ERA client shares."""
    for _ in range(n):
        f.ready_claim_session(practice)
        f.self_pay_session(practice)
        claim = submitted_claim(practice)
        era_import(practice=practice, ctx=ctx,
                   raw=era([copay_claim(claim)], trace=f"EFT{claim.pk}"))
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PARTIAL


def _queries_per_item(practice, owner, n: int) -> float:
    ctx = f.ctx_for(owner, practice)
    _items(practice, ctx, n)
    autobilling_settings_update(practice=practice, ctx=ctx,
                                data={"enabled": True, "backfill": "all"})
    run = billing_run_start(practice=practice, ctx=ctx, actor=owner)
    with CaptureQueriesContext(connection) as queries:
        billing_run_execute(run_id=run.pk)
    items = BillingRunItem.objects.filter(run=run)
    assert sorted(items.values_list("kind", flat=True)) == sorted(
        [ItemKind.CLAIM, ItemKind.INVOICE, ItemKind.CLIENT_SHARE] * n)
    assert set(items.values_list("outcome", flat=True)) == {ItemOutcome.BILLED}
    return len(queries) / items.count()


def test_queries_per_item_do_not_grow_with_the_run(practice, owner, other_practice,
                                                   other_owner):
    small = _queries_per_item(practice, owner, N)
    large = _queries_per_item(other_practice, other_owner, 3 * N)
    assert large <= small + SLACK, (small, large)


def test_the_client_share_phase_loads_its_era_claims_once_per_chunk(practice, owner):
    ctx = f.ctx_for(owner, practice)
    for _ in range(3):
        claim = submitted_claim(practice)
        era_import(practice=practice, ctx=ctx,
                   raw=era([copay_claim(claim)], trace=f"EFT{claim.pk}"))
    autobilling_settings_update(practice=practice, ctx=ctx,
                                data={"enabled": True, "backfill": "all"})
    run = billing_run_start(practice=practice, ctx=ctx, actor=owner)
    with CaptureQueriesContext(connection) as queries:
        billing_run_execute(run_id=run.pk)
    assert BillingRunItem.objects.filter(run=run, kind=ItemKind.CLIENT_SHARE,
                                         outcome=ItemOutcome.BILLED).count() == 3
    # The runner's read of the ERA claims with their remittance (select_related): one query
    # for the chunk's ids, none per item.
    reads = [q["sql"] for q in queries.captured_queries
             if q["sql"].startswith('SELECT "remittance_remittanceclaim"."id"')
             and 'INNER JOIN "remittance_remittance"' in q["sql"]
             and '"remittance_remittanceclaim"."id" IN' in q["sql"]]
    one_by_one = [q["sql"] for q in queries.captured_queries if ONE_SHARE.search(q["sql"])]
    assert len(reads) == 1, reads
    assert one_by_one == []
