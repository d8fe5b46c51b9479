"""journal_post's one-statement idempotency (INSERT ... ON CONFLICT DO NOTHING): a replay
answers the entry already posted and writes nothing, a race of workers ends with one entry,
and an entry whose transaction fails leaves nothing behind (no half-written entry)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from oasys.billing.tests import factories as f
from oasys.core.models import AuditEvent
from oasys.core.tests.threads import run_together
from oasys.ledger.domain import transfer
from oasys.ledger.models import Account, EntryType, JournalEntry, JournalLine
from oasys.ledger.services import journal_post

D = Decimal
A = Account


def _post(practice, ctx, key="test:1", amount="10.00"):
    return journal_post(practice=practice, entry_type=EntryType.CHARGE, source_key=key,
                        legs=transfer(A.AR_CLIENT, A.REVENUE, D(amount)), ctx=ctx)


@pytest.mark.django_db
def test_a_replay_answers_the_entry_posted_and_writes_nothing(practice):
    ctx = f.ctx_for(practice=practice)
    first = _post(practice, ctx)
    audits = AuditEvent.objects.count()
    again = _post(practice, ctx, amount="99.00")  # the key decides, not the amounts
    assert again.pk == first.pk and again.source_key == "test:1"
    assert JournalEntry.objects.filter(practice=practice).count() == 1
    assert JournalLine.objects.filter(entry=first).count() == 2
    assert AuditEvent.objects.count() == audits
    assert first.posted_at == again.posted_at and not first._state.adding


@pytest.mark.django_db
def test_a_failure_after_the_insert_leaves_no_entry(practice, monkeypatch):
    """The entry is written before its lines, the cache and the audit row: if any of them
    fails, the enclosing transaction cannot commit the entry alone."""
    ctx = f.ctx_for(practice=practice)

    def broken(**_kw):
        raise RuntimeError("audit down")

    monkeypatch.setattr("oasys.ledger.services.audit_record", broken)
    with pytest.raises(RuntimeError), transaction.atomic():
        _post(practice, ctx)
    assert not JournalEntry.objects.filter(practice=practice).exists()
    # inside a caller's savepoint the caller's transaction goes on, without the entry
    with transaction.atomic():
        try:
            with transaction.atomic():
                _post(practice, ctx)
        except RuntimeError:
            pass
        assert not JournalEntry.objects.filter(practice=practice).exists()
    monkeypatch.undo()
    entry = _post(practice, ctx)  # the key was never taken: it posts now
    assert JournalLine.objects.filter(entry=entry).count() == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("threads_share_the_database")
def test_workers_posting_the_same_key_at_once_make_one_entry(practice):
    ctx = f.ctx_for(practice=practice)
    results, errors = run_together(n=4, fn=lambda: _post(practice, ctx, key="race:1").pk)
    assert errors == [] and len(results) == 4 and len(set(results)) == 1
    assert JournalEntry.objects.filter(practice=practice, source_key="race:1").count() == 1
    assert JournalLine.objects.filter(entry_id=results[0]).count() == 2
