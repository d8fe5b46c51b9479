"""The Payment Remittances screens, the API and `oasys era import`: what they show, 404 for
another practice, and the command's messages."""

from __future__ import annotations

import secrets
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client

from oasys.billing.tests import factories as f
from oasys.core.era_codes import carc_codes, carc_text, rarc_codes, rarc_text
from oasys.core.models import ApiToken
from oasys.invoices.models import Invoice
from oasys.remittance.models import Remittance, RemittanceClaim
from oasys.remittance.services import era_import

from .helpers import Adj, C, copay_claim, era, submitted_claim

pytestmark = pytest.mark.django_db


@pytest.fixture
def posted(practice):
    claim = submitted_claim(practice)
    stranger = C("ZZ-NOT-OURS", "200.00", "150.00", [Adj("CO", "45", "50.00")],
                 payer_claim_number="THEIRS-1")
    odd = submitted_claim(practice)
    denied = C(odd.patient_control_number, "130.00", "0.00", [Adj("CO", "16", "130.00"),
                                                              Adj("CO", "999", "0.00")],
               status="4", payer_claim_number="PAYER-DENIED")
    era_import(practice=practice, raw=era([copay_claim(claim), stranger, denied],
                                          plb=[("L6", "-2.50")]),
               ctx=f.ctx_for(practice=practice))
    return Remittance.objects.get(practice=practice)


def test_list_and_detail_show_the_breakdown(owner_client, posted):
    body = owner_client.get("/billing/remittances/").content.decode()
    # the payer's name as people write it (the payer_name format), not the file's capitals
    assert "Acme Health" in body and "EFT0001" in body and "$230.50" in body
    assert "1 unmatched" in body
    body = owner_client.get(f"/billing/remittances/{posted.pk}/").content.decode()
    assert "$98.00" in body and "$78.00" in body and "$20.00" in body  # allowed, paid, share
    assert "CO-45" in body and "written off" in body  # our own wording for CARC 45
    assert "The client&#x27;s copay" in body
    assert "Unmatched: no claim of ours" in body
    assert "CARC 999" in body and "no plain-language explanation yet" in body
    assert "Interest the payer owes you" in body
    assert "Create invoice for $20.00" in body


def test_create_invoice_button_and_another_practice_gets_404(owner_client, posted,
                                                             other_owner):
    rc = posted.claims.get(client_share__gt=0)
    resp = owner_client.post(f"/billing/remittances/claims/{rc.pk}/invoice/")
    assert resp.status_code == 302
    invoice = Invoice.objects.get()
    assert invoice.total == Decimal("20.00") and invoice.kind == "client_responsibility"
    owner_client.post(f"/billing/remittances/claims/{rc.pk}/invoice/")  # a double click
    assert Invoice.objects.count() == 1
    body = owner_client.get(f"/billing/remittances/{posted.pk}/").content.decode()
    assert f"Client invoice <strong>{invoice.number}</strong>" in body
    owner_client.force_login(other_owner)
    assert owner_client.get(f"/billing/remittances/{posted.pk}/").status_code == 404
    assert owner_client.post(f"/billing/remittances/claims/{rc.pk}/invoice/").status_code == 404
    assert "ACME HEALTH" not in owner_client.get("/billing/remittances/").content.decode()


def test_upload_page_posts_and_reports(owner_client, practice):
    claim = submitted_claim(practice)
    raw = era([copay_claim(claim)]).encode()
    assert owner_client.get("/billing/remittances/upload/").status_code == 200
    resp = owner_client.post("/billing/remittances/upload/",
                             {"file": SimpleUploadedFile("era.835", raw)}, follow=True)
    assert "posted 1 claim(s)" in resp.content.decode()
    resp = owner_client.post("/billing/remittances/upload/",
                             {"file": SimpleUploadedFile("era.835", raw)}, follow=True)
    assert "nothing posted again" in resp.content.decode()
    assert RemittanceClaim.objects.count() == 1
    bad = era([copay_claim(claim)], amount="1.00", trace="X9").encode()
    resp = owner_client.post("/billing/remittances/upload/",
                             {"file": SimpleUploadedFile("bad.835", bad)}, follow=True)
    assert "quarantined" in resp.content.decode().lower()


def test_api_list_and_detail(api_client, posted, other_owner):
    rows = api_client.get("/api/v1/remittances").json()["items"]
    assert rows[0]["total_payment"] == "230.50" and rows[0]["claim_count"] == 3
    detail = api_client.get(f"/api/v1/remittances/{posted.pk}").json()
    first = detail["claims"][0]
    assert (first["billed"], first["allowed"], first["paid"], first["client_responsibility"]) \
        == ("130.00", "98.00", "78.00", "20.00")
    assert first["adjustments"][0]["reason"] == "45" and first["matched"] is True
    assert first["client_share_to_invoice"] == "20.00"
    assert detail["claims"][1]["matched"] is False
    plb = detail["provider_adjustments"]
    assert [(p["reason"], p["amount"]) for p in plb] == [("L6", "-2.50")]
    assert plb[0]["reason_text"].startswith("Interest")
    assert api_client.get("/api/v1/remittances?status=nope").status_code == 422


def test_api_404_for_another_practice(posted, other_owner):
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=other_owner, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    http = Client(headers={"Authorization": f"Bearer {key}"})
    assert http.get(f"/api/v1/remittances/{posted.pk}").status_code == 404
    assert http.get("/api/v1/remittances").json()["items"] == []


def test_command_messages(practice, tmp_path, capsys):
    claim = submitted_claim(practice)
    good = tmp_path / "good.835"
    good.write_text(era([copay_claim(claim)]))
    call_command("era", "import", str(good), "--practice", practice.slug)
    out = capsys.readouterr().out
    assert "stored" in out and "posted 1 claim(s)" in out
    call_command("era", "import", str(good), "--practice", practice.slug)
    assert "nothing posted again" in capsys.readouterr().out
    bad = tmp_path / "bad.835"
    bad.write_text(era([copay_claim(claim)], amount="5.00", trace="OTHER"))
    with pytest.raises(CommandError, match="nothing was posted"):
        call_command("era", "import", str(bad), "--practice", practice.slug)
    assert "quarantined" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no practice"):
        call_command("era", "import", str(good), "--practice", "nope")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("era", "import", str(tmp_path / "missing"), "--practice", practice.slug)


def test_code_tables_ship_codes_and_our_own_wording():
    assert len(carc_codes()) > 300 and carc_codes()["45"] == "current"
    assert len(rarc_codes()) > 1000 and "N54" in rarc_codes()
    for code in ("1", "2", "3", "16", "18", "22", "23", "29", "45", "50", "96", "97", "109",
                 "119", "197", "204", "242", "253"):
        assert not carc_text(code).startswith("CARC"), code
    assert carc_text("12345") == "CARC 12345"
    assert rarc_text("N54").startswith("The claim does not match")
