"""What one posting and one invoice creation cost in database queries, pinned: auto-billing's
night posts hundreds of thousands of entries, so a query more per call is minutes more per
night. Each test fails if the cost grows back (the counts include the audit row and the
state-machine event, which other modules write). QUERY_REPORT=1 prints the counts."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oasys.billing.tests import factories as f
from oasys.invoices.services import SessionCharge, invoice_create_for_sessions
from oasys.ledger.domain import transfer
from oasys.ledger.models import Account, EntryType, JournalEntry
from oasys.ledger.selectors import invoice_figures, invoice_figures_one
from oasys.ledger.services import (
    journal_post,
    ledger_post_claim_charge,
    ledger_post_client_payment,
    ledger_post_invoice_charge,
)
from oasys.remittance.models import RemittanceClaim
from oasys.remittance.selectors import client_share_pending
from oasys.remittance.services import era_import, remittance_claim_invoice_create
from oasys.remittance.tests.helpers import copay_claim, era, submitted_claim

pytestmark = pytest.mark.django_db
D = Decimal


def _count(fn, *args, **kwargs) -> tuple[int, object, list[str]]:
    with CaptureQueriesContext(connection) as q:
        out = fn(*args, **kwargs)
    sqls = [x["sql"] for x in q.captured_queries]
    if os.environ.get("QUERY_REPORT"):
        print(f"\n{getattr(fn, '__name__', fn)}: {len(sqls)} queries")
        for s in sqls:
            print("   ", s[:160])
    return len(sqls), out, sqls


def _no_precheck_nor_savepoint(sqls: list[str]) -> None:
    """journal_post reads no entry before it writes, and opens no savepoint of its own (the
    ones left are the audit row's and the number's)."""
    assert not any(s.startswith("SELECT") and 'FROM "ledger_journalentry"' in s
                   for s in sqls), sqls
    savepoints = sum(s.startswith("SAVEPOINT") for s in sqls)
    audits = sum(s.startswith("INSERT INTO \"core_auditevent\"") for s in sqls)
    numbers = sum(s.startswith("UPDATE \"core_sequence\"") for s in sqls)
    outer = sum(s.startswith("INSERT INTO \"invoices_invoice\" ") for s in sqls)
    assert savepoints <= audits + 2 * numbers + outer, sqls


@pytest.fixture
def ctx(practice):
    return f.ctx_for(practice=practice)


def _draft(practice, ctx, amount="150.00"):
    appt = f.self_pay_session(practice)
    return invoice_create_for_sessions(
        practice=practice, sessions=[SessionCharge(appt.pk, D(amount), "90834")], ctx=ctx)


def _era_share(practice, ctx) -> RemittanceClaim:
    claim = submitted_claim(practice)
    era_import(practice=practice, raw=era([copay_claim(claim)]), ctx=ctx)
    return RemittanceClaim.objects.get(claim=claim)


# The audit row as core/audit.py writes it today: its savepoint, the chain-head lock, the
# INSERT, the head's UPDATE, the release.
AUDIT = 5


def test_claim_charge_posting(practice, ctx):
    claim = submitted_claim(practice)
    assert claim.practice == practice  # loaded, as a caller has it
    n, entry, sqls = _count(ledger_post_claim_charge, claim=claim, ctx=ctx)
    # INSERT entry, INSERT lines, the audit row: a charge moves no 835 money, so the
    # claim's cached figures are not refreshed
    assert n <= 2 + AUDIT, sqls
    # a replay: the INSERT that does nothing and the entry read
    n, again, sqls = _count(ledger_post_claim_charge, claim=claim, ctx=ctx)
    assert again.pk == entry.pk and n <= 2, sqls


def test_journal_post_of_a_claim_entry(practice, ctx):
    claim = submitted_claim(practice)
    n, _, sqls = _count(journal_post, practice=practice, entry_type=EntryType.WRITE_OFF,
                        source_key=f"claim:{claim.pk}:test", ctx=ctx, claim_id=claim.pk,
                        client_id=claim.client_id,
                        legs=transfer(Account.WRITE_OFFS, Account.AR_INSURANCE, D("5.00")))
    # INSERT entry (ON CONFLICT DO NOTHING), INSERT lines, the audit row: no pre-check
    # SELECT, no savepoint, and no refresh (no 835 money moved, no invoice billed)
    assert n <= 2 + AUDIT, sqls
    _no_precheck_nor_savepoint(sqls)


def test_invoice_charge_posting(practice, ctx):
    invoice = _draft(practice, ctx)
    n, _, sqls = _count(ledger_post_invoice_charge, invoice=invoice, ctx=ctx)
    # INSERT entry, INSERT lines, UPDATE the invoice's total (one statement, from the
    # journal), the audit row, the total read back onto the object
    assert n <= 4 + AUDIT, sqls
    assert invoice.total == D("150.00")


def test_invoice_charge_replay_is_cheap(practice, ctx):
    invoice = _draft(practice, ctx)
    first = ledger_post_invoice_charge(invoice=invoice, ctx=ctx)
    n, again, sqls = _count(ledger_post_invoice_charge, invoice=invoice, ctx=ctx)
    # the INSERT that does nothing, the entry read, the total read; nothing written
    assert again.pk == first.pk and n <= 3, sqls
    assert JournalEntry.objects.filter(practice=practice, invoice_id=invoice.pk).count() == 1


def test_client_payment_posting(practice, ctx):
    invoice = _draft(practice, ctx)
    ledger_post_invoice_charge(invoice=invoice, ctx=ctx)
    n, _, sqls = _count(ledger_post_client_payment, invoice=invoice, amount=D("10.00"),
                        reference="ch_1", ctx=ctx)
    # INSERT entry, INSERT lines, the audit row: a payment changes no cached figure, so
    # nothing is refreshed, and a session invoice bills no claim's share (no lookup)
    assert n <= 2 + AUDIT, sqls


def test_invoice_figures_is_one_query(practice, ctx):
    a, b = _draft(practice, ctx), _draft(practice, ctx)
    ledger_post_invoice_charge(invoice=a, ctx=ctx)
    n, figures, _ = _count(invoice_figures_one, practice=practice, invoice=a)
    assert n == 1 and figures.total == figures.balance == D("150.00")
    n, many, _ = _count(invoice_figures, practice=practice, invoice_ids=[a.pk, b.pk])
    assert n == 1 and many[b.pk].total == D("150.00") and many[b.pk].balance == 0


def test_invoice_create_for_sessions_costs(practice, ctx):
    appts = [f.self_pay_session(practice) for _ in range(3)]
    client = appts[0].client
    for a in appts[1:]:
        a.client = client
        a.save()
    sessions = [SessionCharge(a.pk, D("100.00"), "90834") for a in appts]
    _draft(practice, ctx)  # the practice's invoice sequence and audit chain exist already
    n, invoice, sqls = _count(invoice_create_for_sessions, practice=practice,
                              sessions=sessions, ctx=ctx)
    assert invoice.total == D("300.00")
    # three lines are one INSERT; the Draft's total is written without re-reading
    assert sum(s.startswith("INSERT") and "invoices_invoiceline" in s for s in sqls) == 1
    # appointments, settings, savepoint + release, the number (4, core/sequences.py),
    # INSERT invoice, its event, its lines, the audit row, the total written and read back
    assert n <= 13 + AUDIT, sqls


def test_remittance_claim_invoice_create_costs(practice, ctx):
    rc = _era_share(practice, ctx)
    n, share, _ = _count(client_share_pending, practice=practice, remittance_claim=rc)
    # the ERA, invoiced?, the claim's latest answer, the claim, a secondary?, the share
    assert share == D("20.00") and n <= 6
    rc = RemittanceClaim.objects.get(pk=rc.pk)
    n, invoice, sqls = _count(remittance_claim_invoice_create, practice=practice,
                              remittance_claim=rc, ctx=ctx)
    assert invoice.total == D("20.00")
    # client_share_pending less its invoiced? (5), invoiced?, settings, the claim's first
    # line, savepoint + release, the first number of the practice (6), INSERT invoice, event,
    # line, its audit row, then the share posted (INSERT entry, lines, the total's UPDATE,
    # the audit row) and the total read back
    assert n <= 23 + 2 * AUDIT, sqls
    _no_precheck_nor_savepoint(sqls)


