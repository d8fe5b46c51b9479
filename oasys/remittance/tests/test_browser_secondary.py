"""Headless Chromium, the item-9 report replayed: after "Bill the secondary insurer" the
primary's ERA offers no invoice for the client's share; the secondary's 835 is uploaded; the
client's ledger page then shows only what the secondary left, never a negative amount, and
the secondary's ERA offers the invoice for exactly that."""

from decimal import Decimal

import pytest

from oasys.billing.tests import factories as f
from oasys.claims.models import Claim
from oasys.clients.models import PolicyPriority
from oasys.invoices.models import Invoice
from oasys.remittance.models import RemittanceClaim
from oasys.remittance.services import era_import

from .helpers import Adj, C, era, submitted_claim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bill_secondary_holds_the_share_then_invoices_what_is_left(
        live_server, page, practice, owner, clearinghouse_sim, settings, tmp_path):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    ctx = f.ctx_for(practice=practice)
    primary = submitted_claim(practice)
    second = f.make_payer(name="CIGNA", payer_id="62308")
    f.accept_payer(practice, second)
    f.make_policy(primary.client, second, priority=PolicyPriority.SECONDARY,
                  member_id="PAIDFULL9")
    era_import(practice=practice, ctx=ctx, raw=era([C(
        primary.patient_control_number, "130.00", "49.00",
        [Adj("CO", "45", "32.00"), Adj("PR", "2", "49.00")], payer_claim_number="PRI-1")],
        trace="PRI"))
    rc = RemittanceClaim.objects.get(claim=primary)

    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", "correct horse battery")
    page.click("button:has-text('Log in')")
    page.wait_for_load_state()
    page.goto(f"{base}/billing/remittances/{rc.remittance_id}/")
    assert page.locator("button:has-text('Create invoice for $49.00')").count() == 1

    page.goto(f"{base}/billing/claims/{primary.pk}/")
    page.click("button:has-text('Bill the secondary insurer')")
    page.wait_for_load_state()
    secondary = Claim.objects.get(appointment=primary.appointment, payer_sequence="S")
    page.goto(f"{base}/billing/remittances/{rc.remittance_id}/")
    assert page.locator("button:has-text('Create invoice')").count() == 0
    assert page.locator("[data-testid=held-for-secondary]").count() == 1

    sec = tmp_path / "secondary.835"
    sec.write_text(era([C(secondary.patient_control_number, "130.00", "40.00",
                          [Adj("OA", "23", "81.00"), Adj("PR", "2", "9.00")], status="2",
                          payer_claim_number="SEC-1")], trace="SEC", payer="CIGNA"))
    page.goto(f"{base}/billing/remittances/upload/")
    page.set_input_files("input[type=file]", str(sec))
    page.click("button[type=submit]:visible >> nth=-1")
    page.wait_for_selector("text=posted 1 claim(s)")
    page.click("button:has-text('Create invoice for $9.00')")
    page.wait_for_selector("text=Draft invoice")

    page.goto(f"{base}/billing/reports/clients/{primary.client_id}/")
    assert page.locator("[data-testid=client-balance]").inner_text() == "$9.00"
    assert page.locator("[data-testid=insurance-open]").inner_text() == "$0.00"
    assert "$-" not in page.content()
    assert list(Invoice.objects.filter(practice=practice).values_list("total", flat=True)) \
        == [Decimal("9.00")]
