"""One client's month, posted through the ledger's and remittance's own services on chosen
days: an invoice charged before the period (the opening balance), then in February 2026 a
claim's charge, its ERA (payment, contractual adjustment, the client's share), a client
payment and a write-off, and a payment in March (after the period)."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from unittest import mock

from oasys.billing.tests import factories as f
from oasys.claims.models import Claim
from oasys.clients.models import Client
from oasys.core.timezones import practice_zone
from oasys.invoices.models import Invoice, InvoiceKind, InvoiceLine
from oasys.invoices.services import invoice_number_next
from oasys.ledger.models import JournalEntry
from oasys.ledger.services import (
    ledger_post_claim_charge,
    ledger_post_client_payment,
    ledger_post_client_write_off,
    ledger_post_invoice_charge,
)
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import copay_claim, era, submitted_claim

D = Decimal
FEB_1 = dt.date(2026, 2, 1)
FEB_28 = dt.date(2026, 2, 28)


@contextmanager
def posted_on(practice, day: dt.date, hour: int = 12):
    """Journal entries written inside are dated `day` (noon, the practice's time): the
    journal stamps each entry with the clock, so the test moves its default."""
    when = dt.datetime.combine(day, dt.time(hour), tzinfo=practice_zone(practice))
    field = JournalEntry._meta.get_field("posted_at")
    with mock.patch.object(field, "_get_default", lambda: when):
        yield


@dataclass
class Month:
    client: Client
    claim: Claim
    invoice: Invoice


def client_month(practice) -> Month:
    ctx = f.ctx_for(practice=practice)
    f.make_profile(practice)
    with posted_on(practice, dt.date(2026, 2, 3)):
        claim = submitted_claim(practice)
        ledger_post_claim_charge(claim=claim, ctx=ctx)  # $130, billed to insurance
    client = claim.client
    client.first_name, client.last_name = "Jordan", "Kim"
    client.address2 = "Apt 4"
    client.save()
    invoice = Invoice.objects.create(
        practice=practice, client=client, number=invoice_number_next(practice=practice),
        kind=InvoiceKind.STANDALONE, issue_date=dt.date(2026, 1, 15),
        due_date=dt.date(2026, 1, 29))
    InvoiceLine.objects.create(practice=practice, invoice=invoice, description="Intake forms",
                               service_date=dt.date(2026, 1, 15), amount=D("100.00"))
    with posted_on(practice, dt.date(2026, 1, 15)):
        ledger_post_invoice_charge(invoice=invoice, amount=D("100.00"), ctx=ctx)
    with posted_on(practice, dt.date(2026, 2, 10)):
        # $130 billed: paid $78, CO-45 $32, PR-3 $20 (the client's share)
        result = era_import(practice=practice, raw=era([copay_claim(claim)]), ctx=ctx)
        assert [o.state for o in result.outcomes] == ["posted"]
    with posted_on(practice, dt.date(2026, 2, 12)):
        ledger_post_client_payment(invoice=invoice, amount=D("60.00"), ctx=ctx,
                                   reference="ch_feb")
    with posted_on(practice, dt.date(2026, 2, 20)):
        ledger_post_client_write_off(invoice=invoice, amount=D("15.00"), reason="hardship",
                                     ctx=ctx)
    with posted_on(practice, dt.date(2026, 3, 5)):
        ledger_post_client_payment(invoice=invoice, amount=D("10.00"), ctx=ctx,
                                   reference="ch_mar")
    invoice.refresh_from_db()
    return Month(client=client, claim=claim, invoice=invoice)
