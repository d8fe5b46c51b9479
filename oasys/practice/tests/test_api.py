"""REST API /api/v1/practice: same rules as the screens, 422 with per-field errors, 404 across
practices, Decimal amounts as strings."""

from __future__ import annotations

import json

from oasys.core.models import AuditEvent
from oasys.practice.models import AcceptedPayer, Clinician, ProviderProfile, ServiceType

from .conftest import make_payer

BASE = "/api/v1/practice"

PROVIDER = {
    "provider_type": "individual",
    "first_name": "Dana",
    "last_name": "Reyes",
    "npi": "1234567893",
    "tax_id_type": "ein",
    "tax_id": "45-1230987",
    "accept_assignment": True,
    "taxonomy_code": "101YM0800X",
    "contact_name": "Dana Reyes",
    "contact_email": "dana@calm.test",
    "contact_phone": "5125550199",
    "address1": "45 Post Rd",
    "city": "Austin",
    "state": "TX",
    "zip_code": "78701-3214",
}


def _send(client, method, path, body):
    return getattr(client, method)(
        f"{BASE}{path}", data=json.dumps(body), content_type="application/json"
    )


def test_needs_a_token(client, db):
    assert client.get(f"{BASE}/provider").status_code == 401


def test_provider_get_put(pr_api, pr_practice, pr_owner):
    got = pr_api.get(f"{BASE}/provider").json()
    assert got["first_name"] == "Dana" and got["complete"] is False and "npi" in got["missing"]
    response = _send(pr_api, "put", "/provider", PROVIDER)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["complete"] is True and body["tax_id_masked"] == "•••-••-0987"
    assert (
        "451230987" not in response.content.decode() and 'tax_id"' not in response.content.decode()
    )
    # Omitting the tax ID keeps it.
    again = _send(pr_api, "put", "/provider", {k: v for k, v in PROVIDER.items() if k != "tax_id"})
    assert again.status_code == 200 and again.json()["tax_id_masked"] == "•••-••-0987"
    assert AuditEvent.objects.filter(category="provider_profile").exists()


def test_provider_422_per_field(pr_api):
    bad = {
        **PROVIDER,
        "npi": "1234567890",
        "address1": "PO Box 9",
        "tax_id_type": "ssn",
        "provider_type": "organization",
        "organization_name": "Calm LLC",
    }
    response = _send(pr_api, "put", "/provider", bad)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert "check digit" in errors["npi"]
    assert "PO box" in errors["address1"]
    assert "EIN" in errors["tax_id"]


def test_payer_search_and_accepted_payers(pr_api, pr_other_api, pr_practice):
    payer = make_payer("BCBS Texas (HCSC)", "84980", enrollment_required_claims=True)
    found = pr_api.get(f"{BASE}/payers/search", {"q": "blue cross texas"}).json()["items"]
    assert [p["name"] for p in found] == ["BCBS Texas (HCSC)"]
    created = _send(pr_api, "post", "/accepted-payers", {"payer_id": payer.pk})
    assert created.status_code == 201
    body = created.json()
    statuses = {e["transaction_type"]: e["status"] for e in body["enrollments"]}
    assert statuses == {"claims": "not_started", "era": "not_started", "eligibility": "active"}
    labels = {e["transaction_label"] for e in body["enrollments"]}
    assert labels == {"1500 (Claims)", "ERA", "Eligibility"}
    dup = _send(pr_api, "post", "/accepted-payers", {"payer_id": payer.pk})
    assert dup.status_code == 422 and "already" in dup.json()["errors"]["payer_id"]
    missing = _send(pr_api, "post", "/accepted-payers", {"payer_id": 999999})
    assert missing.status_code == 422
    listed = pr_api.get(f"{BASE}/accepted-payers").json()["items"]
    assert [a["payer"]["payer_id_claims"] for a in listed] == ["84980"]
    ap_id = body["id"]
    assert pr_api.get(f"{BASE}/accepted-payers/{ap_id}").status_code == 200
    assert pr_other_api.get(f"{BASE}/accepted-payers/{ap_id}").status_code == 404
    assert pr_other_api.get(f"{BASE}/accepted-payers").json()["items"] == []
    assert AcceptedPayer.objects.count() == 1


def test_service_types_api(pr_api, pr_other_api, pr_practice):
    body = {
        "name": "Intake",
        "cpt_code": "90791",
        "rate": "200.5",
        "duration_minutes": 60,
        "place_of_service": "02",
        "modifiers": ["95"],
    }
    created = _send(pr_api, "post", "/service-types", body)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["rate"] == "200.50" and data["modifiers"] == ["95"]
    st_id = data["id"]
    updated = _send(pr_api, "put", f"/service-types/{st_id}", {**body, "rate": 0})
    assert updated.status_code == 200 and updated.json()["rate"] == "0.00"
    bad = _send(
        pr_api,
        "post",
        "/service-types",
        {**body, "name": "Other", "cpt_code": "9079", "rate": "-5"},
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"cpt_code", "rate"}
    dup = _send(pr_api, "post", "/service-types", body)
    assert dup.status_code == 422 and "name" in dup.json()["errors"]
    assert pr_other_api.get(f"{BASE}/service-types/{st_id}").status_code == 404
    put_other = _send(pr_other_api, "put", f"/service-types/{st_id}", {**body, "rate": "1"})
    assert put_other.status_code == 404
    assert ServiceType.objects.get(pk=st_id).rate == 0
    assert [s["id"] for s in pr_api.get(f"{BASE}/service-types").json()["items"]] == [st_id]


def test_clinicians_api(pr_api, pr_other_api, pr_practice, pr_other_practice):
    sup = _send(
        pr_api,
        "post",
        "/clinicians",
        {"first_name": "Ana", "last_name": "Sup", "npi": "1234567893"},
    )
    assert sup.status_code == 201, sup.content
    sup_id = sup.json()["id"]
    sam = _send(
        pr_api,
        "post",
        "/clinicians",
        {"first_name": "Sam", "last_name": "Lee", "supervisor_id": sup_id},
    )
    assert sam.status_code == 201 and sam.json()["supervisor_id"] == sup_id
    loop = _send(
        pr_api,
        "put",
        f"/clinicians/{sup_id}",
        {"first_name": "Ana", "last_name": "Sup", "supervisor_id": sam.json()["id"]},
    )
    assert loop.status_code == 422 and "supervisor_id" in loop.json()["errors"]
    bad = _send(pr_api, "post", "/clinicians", {"first_name": "", "last_name": "X", "npi": "123"})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"first_name", "npi"}
    outsider = Clinician.objects.create(practice=pr_other_practice, first_name="O", last_name="P")
    cross = _send(
        pr_api,
        "post",
        "/clinicians",
        {"first_name": "Q", "last_name": "R", "supervisor_id": outsider.pk},
    )
    assert cross.status_code == 422
    assert pr_api.get(f"{BASE}/clinicians/{outsider.pk}").status_code == 404
    assert pr_other_api.get(f"{BASE}/clinicians/{sup_id}").status_code == 404
    assert len(pr_api.get(f"{BASE}/clinicians").json()["items"]) == 2


def test_provider_put_refuses_5_digit_zip(pr_api, pr_practice):
    response = _send(pr_api, "put", "/provider", {**PROVIDER, "zip_code": "78701"})
    assert response.status_code == 422
    assert response.json()["errors"]["zip_code"] == "ZIP+4 required for claims: e.g. 94111-1234"
    assert not ProviderProfile.objects.filter(practice=pr_practice).exists()
