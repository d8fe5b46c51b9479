"""The AR aging page's grand-total row (per bucket, insurance, client and overall) and its
CSV download of the open items."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from oasys.billing.tests import factories as f
from oasys.core.models import AuditEvent, Role
from oasys.core.services import user_create
from oasys.invoices.models import Invoice
from oasys.invoices.services import invoice_create_for_session
from oasys.ledger.services import ledger_post_claim_charge, ledger_post_invoice_charge
from oasys.remittance.tests.helpers import submitted_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def owed(practice):
    ctx = f.ctx_for(practice=practice)
    young = submitted_claim(practice, days_ago=10)  # current
    old = submitted_claim(practice, days_ago=100, charge="70.00")  # 91-120
    for claim in (young, old):
        ledger_post_claim_charge(claim=claim, ctx=ctx)
    session = f.self_pay_session(practice, days_ago=2)
    invoice = invoice_create_for_session(practice=practice, appointment_id=session.pk,
                                         amount=D("50.00"), cpt="90834", ctx=ctx)
    Invoice.objects.filter(pk=invoice.pk).update(
        issue_date=timezone.localdate() - dt.timedelta(days=130))  # over 120 days
    invoice.refresh_from_db()
    ledger_post_invoice_charge(invoice=invoice, ctx=ctx)  # a draft is charged once sent
    return {"young": young, "old": old, "invoice": invoice}


def _cells(html: str, row: str) -> list[str]:
    tr = re.search(rf'<tr data-row="{row}">(.*?)</tr>', html, re.S).group(1)
    return re.findall(r'<td class="num"[^>]*>(.*?)</td>', tr)


def _amount(cell: str) -> D:
    """A displayed amount ("$1,234.50", "−$5.00") as Decimal: money is never a float."""
    return D(cell.replace("−", "-").replace("$", "").replace(",", ""))


def test_the_page_has_a_grand_total_row_per_bucket(owner_client, owed):
    html = owner_client.get(reverse("ledger:aging")).content.decode()
    for label in ("Current (0–30)", "31–60", "61–90", "91–120", "Over 120"):
        assert label in html
    assert _cells(html, "insurance") == ["$130.00", "$0.00", "$0.00", "$70.00", "$0.00",
                                         "$200.00"]
    client_cells = _cells(html, "client")
    total_cells = _cells(html, "total")
    # the grand total is insurance plus client in every column
    ins = [_amount(c) for c in _cells(html, "insurance")]
    cli = [_amount(c) for c in client_cells]
    tot = [_amount(c) for c in total_cells]
    assert tot == [a + b for a, b in zip(ins, cli, strict=True)]
    assert client_cells == ["$0.00", "$0.00", "$0.00", "$0.00", "$50.00", "$50.00"]
    assert total_cells[-1] == "$250.00"
    assert 'data-testid="aging-grand-total">$250.00<' in html


def test_the_open_items_download_as_csv(owner_client, owed):
    resp = owner_client.get(reverse("ledger:aging_export"))
    assert resp.status_code == 200 and resp.streaming
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["owed_by", "item", "client", "date", "age_days", "bucket", "open_amount"]
    by_item = {r[1]: r for r in rows[1:]}
    old = owed["old"]
    row = by_item[f"Claim {old.patient_control_number}"]
    assert row[0] == "insurance" and row[2] == old.client.full_name
    assert row[3] == old.service_date.isoformat() and row[4] == "100"
    assert row[5:] == ["91-120", "70.00"]
    event = AuditEvent.objects.filter(category="ledger", action="export").last()
    assert old.client_id in event.detail["client_ids"]


def test_only_billers_see_aging(client, practice, owed):
    clinician = user_create(practice=practice, email="clin@test.example", password="x",
                            role=Role.CLINICIAN)
    client.force_login(clinician)
    assert client.get(reverse("ledger:aging")).status_code == 403
    assert client.get(reverse("ledger:aging_export")).status_code == 403
