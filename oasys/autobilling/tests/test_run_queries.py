"""A run's database queries grow with its items, never faster: the queries per item of a run
of 3n items of each kind are not above those of a run of n (plus a small slack), so nothing
in the run is loaded once per item per item (the scale benchmark's claim, kept by a test)."""

from __future__ import annotations

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
