"""Headless Chromium, a biller's day on the demo practice (issue 17's done-when): the home
page → an Incomplete session fixed (a diagnosis found by words) and billed → a denied claim
corrected with a reviewed replacement → an ERA posted → the secondary insurer billed → the
client invoiced exactly what the secondary left → the claims list downloaded as CSV and read.

Yesterday's work is done through the services before the browser opens, against the
clearinghouse simulator (a real process): the Serenity demo's oldest insured sessions were
billed and the payers answered (the simulator's 835s: one claim denied for authorization,
one paid in part with a secondary insurer owed the rest)."""

from __future__ import annotations

import csv
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oasys.appointments.models import Appointment
from oasys.billing.readiness import Route, billing_queue
from oasys.billing.services import billing_submit
from oasys.claims.models import Claim
from oasys.claims.status import ClaimStatus
from oasys.clearinghouse.services import edi_file_transmit, reports_poll
from oasys.clients.models import Diagnosis, InsurancePolicy, PolicyPriority
from oasys.core.audit import AuditContext
from oasys.core.models import Practice, Role, User
from oasys.core.tests.browser import log_in
from oasys.demo.seed import DEMO_PASSWORD, seed_demo
from oasys.invoices.models import Invoice
from oasys.practice.models import ProviderProfile
from oasys.remittance.models import RemittanceClaim
from oasys.remittance.tests.helpers import Adj, C, era

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BILLER = "lee@demo.test"
PAYER_DAYS = 9  # the simulator's 835 comes 8 days after the claim (sandbox/README.md)


def _shots(page, name: str) -> None:
    """With OASYS_SHOTS set, the page at desktop and phone widths, for a person to look at."""
    if not os.environ.get("OASYS_SHOTS"):
        return
    folder = Path(os.environ.get("OASYS_SHOTS_DIR") or "/work/shots")
    folder.mkdir(parents=True, exist_ok=True)
    for label, width in (("desktop", 1280), ("phone", 390)):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(folder / f"day-{name}-{label}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _policy_client(practice: Practice, prefix: str) -> int:
    """The client whose primary member ID carries the simulator's trigger (encrypted: read
    in Python, not filtered in SQL)."""
    return next(p.client_id for p in InsurancePolicy.objects.filter(
        client__practice=practice, priority=PolicyPriority.PRIMARY).order_by("pk")
        if p.member_id.startswith(prefix))


def _yesterday(practice: Practice, clearinghouse_sim) -> tuple[Claim, Claim]:
    """Bill the DENYAUTH and PRIMARY clients' first Ready claim and let the payers answer."""
    ctx = AuditContext.system(practice_id=practice.pk, source="tests")
    wanted = [_policy_client(practice, "DENYAUTH"), _policy_client(practice, "PRIMARY")]
    items = [i for i in billing_queue(practice=practice) if i.ready and i.route == Route.CLAIM]
    chosen = [next(i for i in items if i.appointment.client_id == cid).appointment.pk
              for cid in wanted]
    result = billing_submit(practice=practice, appointment_ids=chosen, ctx=ctx)
    for file_id in sorted({c.submission.edi_file_id for c in result.claims}):
        edi_file_transmit(edi_file_id=file_id)
    clearinghouse_sim.advance(PAYER_DAYS)
    reports_poll()
    denied = Claim.objects.get(appointment_id=chosen[0], payer_sequence="P")
    primary = Claim.objects.get(appointment_id=chosen[1], payer_sequence="P")
    assert denied.status == ClaimStatus.DENIED, denied.status
    assert RemittanceClaim.objects.filter(claim=primary).exists()
    return denied, primary


def test_a_billers_day(live_server, page, clearinghouse_sim, settings, tmp_path):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    page.set_default_timeout(45_000)  # a loaded 2-core machine runs both suites at once
    seed_demo()
    practice = Practice.objects.get(slug="serenity")
    User.objects.create_user(email=BILLER, password=DEMO_PASSWORD, practice=practice,
                             role=Role.BILLER, first_name="Lee", last_name="Carver")
    denied, primary = _yesterday(practice, clearinghouse_sim)
    base = live_server.url

    # 1. The home page says what needs attention, each count a link.
    log_in(page, base, BILLER, DEMO_PASSWORD)
    expect(page.locator("h1")).to_have_text("Today")
    expect(page.locator("[data-testid=claims-denied] .count")).to_have_text("1")
    _shots(page, "home")

    # 2. An Incomplete session: the client has no diagnosis. Fix it, found by words.
    page.click("[data-testid=reason-missing_diagnosis] a")
    page.wait_for_url(f"{base}/billing/sessions/?tab=incomplete&reason=missing_diagnosis")
    row = page.locator("tr[data-session]", has=page.locator("li[data-reason=missing_diagnosis]"))
    session_pk = int(row.first.get_attribute("data-session"))
    client_pk = Appointment.objects.get(pk=session_pk).client_id
    page.goto(f"{base}/billing/clients/{client_pk}/diagnoses/")
    page.locator("#id_code").press_sequentially("generalized anxiety", delay=30)
    page.locator("#diagnosis-options [data-diagnosis-pick='F41.1']").click()
    page.click("button:has-text('Add code')")
    expect(page.locator("table")).to_contain_text("Generalized anxiety disorder")
    assert Diagnosis.objects.filter(client_id=client_pk, code="F41.1").exists()

    # 3. Bill it: the session is Ready now and goes out as a claim.
    page.goto(f"{base}/billing/sessions/?tab=ready")
    page.check(f"input[name=session][value='{session_pk}']")
    page.click("button:has-text('Bill selected sessions')")
    expect(page.get_by_text("Submitted 1 claim(s) to the clearinghouse")).to_be_visible()
    fixed = Claim.objects.get(appointment_id=session_pk)
    assert fixed.status == ClaimStatus.SUBMITTED

    # 4. The denied claim: what the payer said, in words; a replacement, reviewed, sent.
    page.goto(f"{base}/")
    page.click("[data-testid=claims-denied] a")
    page.click(f"a:has-text('{denied.patient_control_number}')")
    page.wait_for_url(f"{base}/billing/claims/{denied.pk}/")
    expect(page.get_by_text("What the payer said")).to_be_visible()
    page.get_by_role("button", name="Send a corrected claim (replacement)").click()
    page.wait_for_url(f"{base}/billing/claims/{denied.pk}/replacement/")
    page.get_by_label("Prior authorization number").fill("AUTH77120")
    page.get_by_role("button", name="Review the changes").click()
    page.wait_for_url(f"{base}/billing/claims/{denied.pk}/replacement/review/")
    expect(page.get_by_test_id("replacement-diff")).to_contain_text("AUTH77120")
    page.get_by_role("button", name="Send the replacement").click()
    replacement = Claim.objects.get(corrects=denied)
    page.wait_for_url(f"{base}/billing/claims/{replacement.pk}/")
    expect(page.locator(".badge.submitted").first).to_be_visible()
    assert replacement.frequency == "7"
    assert "REF*G1*AUTH77120" in replacement.submission.edi_file.raw

    # 5. An ERA for the claim billed this morning, uploaded and posted.
    npi = ProviderProfile.objects.get(practice=practice).npi
    fixed.refresh_from_db()
    era_file = tmp_path / "morning.835"
    era_file.write_text(era([C(fixed.patient_control_number, str(fixed.total_charge),
                               str(fixed.total_charge - Decimal("20.00") - Decimal("30.00")),
                               [Adj("CO", "45", "30.00"), Adj("PR", "3", "20.00")],
                               payer_claim_number="MORNING-1")],
                            trace="MORNING", payee_npi=npi))
    page.goto(f"{base}/billing/remittances/upload/")
    page.set_input_files("input[type=file]", str(era_file))
    page.click("button[type=submit]:visible >> nth=-1")
    expect(page.get_by_text("posted 1 claim(s)")).to_be_visible()

    # 6. The primary paid part; bill the secondary insurer for the rest.
    page.goto(f"{base}/billing/claims/{primary.pk}/")
    page.click("button:has-text('Bill the secondary insurer')")
    page.wait_for_load_state()
    secondary = Claim.objects.get(appointment=primary.appointment, payer_sequence="S")
    assert secondary.status == ClaimStatus.SUBMITTED

    # 7. The secondary's ERA leaves $9.00 to the client: invoice exactly that, once.
    primary_share = RemittanceClaim.objects.get(claim=primary).client_share
    sec_paid = primary_share - Decimal("9.00")
    sec_file = tmp_path / "secondary.835"
    sec_file.write_text(era([C(secondary.patient_control_number, str(secondary.total_charge),
                               str(sec_paid),
                               [Adj("OA", "23", str(secondary.total_charge - primary_share)),
                                Adj("PR", "2", "9.00")],
                               status="2", payer_claim_number="SEC-1")],
                            trace="SECOND", payee_npi=npi, payer="CIGNA"))
    page.goto(f"{base}/billing/remittances/upload/")
    page.set_input_files("input[type=file]", str(sec_file))
    page.click("button[type=submit]:visible >> nth=-1")
    expect(page.get_by_text("posted 1 claim(s)")).to_be_visible()
    page.click("button:has-text('Create invoice for $9.00')")
    expect(page.get_by_text("Draft invoice")).to_be_visible()
    client_invoices = Invoice.objects.filter(client=primary.client)
    assert [i.total for i in client_invoices] == [Decimal("9.00")]
    page.goto(f"{base}/billing/reports/clients/{primary.client_id}/")
    expect(page.locator("[data-testid=client-balance]")).to_have_text("$9.00")

    # 8. The claims list as CSV, with the filter applied, downloaded and read.
    page.goto(f"{base}/sessions/calendar/?view=week")
    expect(page.locator("h1")).to_contain_text("Calendar")
    _shots(page, "calendar")
    page.goto(f"{base}/billing/claims/")
    _shots(page, "claims")
    page.goto(f"{base}/billing/claims/?status=submitted")
    with page.expect_download() as download:
        page.click("a:has-text('Download CSV')")
    text = download.value.path().read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    submitted = set(Claim.objects.filter(practice=practice, status=ClaimStatus.SUBMITTED)
                    .values_list("patient_control_number", flat=True))
    assert {r["claim"] for r in rows} == submitted
    assert replacement.patient_control_number in submitted
    # paid by the ERAs posted today, so filtered out
    assert not {fixed.patient_control_number, secondary.patient_control_number} & submitted
    by_claim = {r["claim"]: r for r in rows}
    assert Decimal(by_claim[replacement.patient_control_number]["charge"]) == \
        replacement.total_charge  # plain numbers, not "$1,234.00"
