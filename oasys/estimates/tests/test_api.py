"""/api/v1/clients/{id}/good-faith-estimates: issue (with lines, or proposed from the fees and
the frequency), list, the PDF; 404 for another practice's client and for an estimate of
another client; 422 with field errors and nothing written for bad input or a client billed
to insurance; the create audited as a write, the PDF as an export."""

from __future__ import annotations

import json
import secrets
import subprocess
from decimal import Decimal

import pytest
from django.test import Client as HttpClient

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.models import ApiToken, AuditAction, AuditEvent
from oasys.estimates.models import GoodFaithEstimate

pytestmark = pytest.mark.django_db

BODY = {"period_start": "2027-01-01", "period_end": "2027-12-31", "lines": [
    {"cpt_code": "90834", "description": "Psychotherapy, 45 min", "quantity": 52,
     "unit_cost": "130.00"},
    {"cpt_code": "90791", "quantity": 1, "unit_cost": 200},
]}


def _url(client_id: int, rest: str = "") -> str:
    return f"/api/v1/clients/{client_id}/good-faith-estimates{rest}"


def _post(api, client_id, body):
    return api.post(_url(client_id), json.dumps(body), content_type="application/json")


@pytest.fixture
def other_api(other_owner):
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=other_owner, key_hash=ApiToken.hash_key(key), prefix=key[:10])
    return HttpClient(headers={"Authorization": f"Bearer {key}"})


def test_issue_then_list_and_download(api_client, practice):
    f.make_profile(practice)
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    resp = _post(api_client, client.pk, {**BODY, "diagnosis_codes": ["F41.1"]})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["number"].startswith("GFE-")
    assert (body["client_id"], body["status"], body["total"]) == (client.pk, "issued",
                                                                  "6960.00")
    assert (body["period_start"], body["period_end"]) == ("2027-01-01", "2027-12-31")
    assert body["diagnosis_codes"] == ["F41.1"]
    assert [(ln["cpt_code"], ln["quantity"], ln["unit_cost"], ln["total"])
            for ln in body["lines"]] == [("90834", 52, "130.00", "6760.00"),
                                         ("90791", 1, "200.00", "200.00")]
    assert AuditEvent.objects.filter(category="estimate", action=AuditAction.CREATE,
                                     object_id=str(body["id"]), client_id_ref=client.pk).exists()

    listed = api_client.get(_url(client.pk))
    assert listed.status_code == 200
    assert [e["id"] for e in listed.json()["items"]] == [body["id"]]
    assert AuditEvent.objects.filter(category="estimate", action=AuditAction.READ,
                                     client_id_ref=client.pk).exists()

    pdf = api_client.get(_url(client.pk, f"/{body['id']}/pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == f'inline; filename="{body["number"]}.pdf"'
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True,
                          check=True).stdout.decode()
    assert body["number"] in text and "$6,960.00" in text
    assert AuditEvent.objects.filter(category="estimate", action=AuditAction.EXPORT,
                                     object_id=str(body["id"]), client_id_ref=client.pk,
                                     detail__format="pdf").exists()


def test_without_lines_they_are_proposed_from_the_fee_and_frequency(api_client, practice):
    st = f.make_service_type(practice, name="Individual therapy", cpt_code="90837",
                             rate=Decimal("150.00"))
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    resp = _post(api_client, client.pk, {"period_start": "2027-01-01",
                                         "period_end": "2027-12-31",
                                         "service_type_id": st.pk})
    assert resp.status_code == 201, resp.content
    [line] = resp.json()["lines"]
    assert (line["cpt_code"], line["description"], line["quantity"], line["unit_cost"]) == (
        "90837", "Individual therapy", 52, "150.00")
    assert resp.json()["total"] == "7800.00"
    resp = _post(api_client, client.pk, {"period_start": "2027-01-01",
                                         "period_end": "2027-12-31", "frequency": "monthly"})
    assert resp.json()["lines"][0]["quantity"] == 12


def test_no_fee_to_propose_is_422(api_client, practice):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    resp = _post(api_client, client.pk, {"period_start": "2027-01-01",
                                         "period_end": "2027-12-31"})
    assert resp.status_code == 422 and "lines" in resp.json()["errors"]
    assert not GoodFaithEstimate.objects.exists()


def test_another_practice_gets_404(api_client, other_api, practice, other_practice):
    mine = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    created = _post(api_client, mine.pk, BODY).json()
    assert _post(other_api, mine.pk, BODY).status_code == 404
    assert GoodFaithEstimate.objects.count() == 1
    assert other_api.get(_url(mine.pk)).status_code == 404
    resp = other_api.get(_url(mine.pk, f"/{created['id']}/pdf"))
    assert resp.status_code == 404 and resp.json() == {"errors": {"__all__": "Not found."}}
    # their own client with my estimate's id: still 404
    theirs = f.make_client(other_practice, billing_type=BillingType.SELF_PAY)
    assert other_api.get(_url(theirs.pk, f"/{created['id']}/pdf")).status_code == 404
    assert not AuditEvent.objects.filter(category="estimate", action=AuditAction.EXPORT).exists()


def test_an_estimate_of_another_client_is_404(api_client, practice):
    one = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    two = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    created = _post(api_client, one.pk, BODY).json()
    assert api_client.get(_url(two.pk, f"/{created['id']}/pdf")).status_code == 404
    assert api_client.get(_url(two.pk)).json()["items"] == []


def test_a_client_billed_to_insurance_is_refused(api_client, practice):
    client = f.make_client(practice, billing_type=BillingType.INSURANCE)
    resp = _post(api_client, client.pk, BODY)
    assert resp.status_code == 422
    assert "billed to insurance" in resp.json()["errors"]["client"]
    assert not GoodFaithEstimate.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"period_end": "2026-12-31"}, "period_end"),
    ({"period_end": "2028-01-01"}, "period_end"),
    ({"period_start": "soon"}, "period_start"),
    ({"lines": []}, "lines"),
    ({"lines": [{"cpt_code": "ABCDE", "quantity": 1, "unit_cost": "10"}]}, "lines.0.cpt_code"),
    ({"lines": [{"cpt_code": "90834", "quantity": -1, "unit_cost": "10"}]}, "lines.0.quantity"),
    ({"lines": [{"cpt_code": "90834", "quantity": 1, "unit_cost": 10.005}]},
     "lines.0.unit_cost"),
    ({"lines": [{"cpt_code": "90834", "unit_cost": "10"}]}, "lines.0.quantity"),
    ({"diagnosis_codes": ["XYZ"]}, "diagnosis_codes"),
    ({"frequency": "daily", "lines": None}, "frequency"),
])
def test_bad_input_is_422_and_writes_nothing(api_client, practice, change, field):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    resp = _post(api_client, client.pk, {**BODY, **change})
    assert resp.status_code == 422, resp.content
    assert field in resp.json()["errors"], resp.json()
    assert not GoodFaithEstimate.objects.exists()


def test_unknown_client_is_404(api_client):
    assert _post(api_client, 999999, BODY).status_code == 404
    assert api_client.get(_url(999999)).status_code == 404
