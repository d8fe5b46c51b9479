"""/api/v1/clients: same rules as the screens, 422 {"errors": ...}, 404 across practices."""

from __future__ import annotations

import pytest

from oasys.clients.models import Client, PricingRule
from oasys.clients.services import diagnosis_add, policy_create, pricing_rule_create
from oasys.core.models import AuditEvent

from .conftest import api_client_for, subscriber_data

pytestmark = pytest.mark.django_db

BASE = "/api/v1/clients"


def client_json(**overrides) -> dict:
    data = {
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": "1985-04-12",
        "gender": "F",
        "email": "m@example.com",
        "phone": "212-555-0147",
        "address1": "123 Main St",
        "city": "Springfield",
        "state": "IL",
        "zip_code": "62701",
        "billing_type": "insurance",
    }
    data.update(overrides)
    return data


def test_requires_a_token(client):
    assert client.get(BASE).status_code == 401


def test_create_get_update_list(cl_api, cl_practice):
    resp = cl_api.post(BASE, client_json(), content_type="application/json")
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["address"]["city"] == "Springfield" and body["diagnoses"] == []
    cid = body["id"]
    resp = cl_api.put(
        f"{BASE}/{cid}", {"billing_type": "self_pay"}, content_type="application/json"
    )
    assert resp.status_code == 200 and resp.json()["billing_type"] == "self_pay"
    assert resp.json()["first_name"] == "Maria"  # fields not sent are kept
    resp = cl_api.get(BASE, {"q": "lop", "billing_type": "self_pay"})
    assert resp.status_code == 200
    assert resp.json()["count"] == 1
    assert resp.json()["items"][0] == {
        "id": cid,
        "first_name": "Maria",
        "last_name": "Lopez",
        "date_of_birth": "1985-04-12",
        "billing_type": "self_pay",
        "is_draft": False,
    }
    assert cl_api.get(BASE, {"billing_type": "insurance"}).json()["count"] == 0


def test_validation_errors_are_422_with_a_message_per_field(cl_api):
    resp = cl_api.post(
        BASE,
        client_json(
            first_name="M4ria", date_of_birth="1899-12-31", phone="12", address1="P.O. Box 7"
        ),
        content_type="application/json",
    )
    assert resp.status_code == 422
    errors = resp.json()["errors"]
    assert set(errors) == {"first_name", "date_of_birth", "phone", "address1"}
    assert all(isinstance(m, str) and m for m in errors.values())
    assert not Client.objects.exists()


def test_draft_client_via_api(cl_api):
    resp = cl_api.post(
        BASE,
        {"first_name": "Sam", "last_name": "Lee", "is_draft": True},
        content_type="application/json",
    )
    assert resp.status_code == 201 and resp.json()["is_draft"] is True


def test_detail_includes_diagnoses_policies_and_rules(
    cl_api, cl_client, cl_ctx, cl_payer, cl_service_type
):
    diagnosis_add(client=cl_client, ctx=cl_ctx, code="F411")
    policy_create(
        client=cl_client,
        ctx=cl_ctx,
        data={"payer": cl_payer, "member_id": "W1", "relationship": "self"},
    )
    pricing_rule_create(
        client=cl_client, ctx=cl_ctx, data={"service_type": cl_service_type, "price": "120"}
    )
    body = cl_api.get(f"{BASE}/{cl_client.pk}").json()
    assert body["diagnoses"] == [
        {"position": 1, "code": "F41.1", "description": "Generalized anxiety disorder"}
    ]
    assert body["policies"][0]["payer_name"] == "Aetna Test Plans"
    assert body["policies"][0]["payer_id_claims"] == "60054"
    rule = body["pricing_rules"][0]
    assert rule["price"] == "120.00" and rule["charge"] == "120.00"
    assert rule["charge_cpt_code"] == "90837"


def test_replace_diagnoses(cl_api, cl_client):
    url = f"{BASE}/{cl_client.pk}/diagnoses"
    resp = cl_api.put(url, {"codes": ["F411", "F32.A"]}, content_type="application/json")
    assert resp.status_code == 200
    assert [d["code"] for d in resp.json()] == ["F41.1", "F32.A"]
    resp = cl_api.put(url, {"codes": ["F41", "F99.99"]}, content_type="application/json")
    assert resp.status_code == 422
    assert resp.json()["errors"]["codes[0]"].startswith("F41 is a category")
    assert resp.json()["errors"]["codes[1]"] == "F99.99 is not an ICD-10-CM code."


def test_policies_create_and_list(cl_api, cl_client, cl_payer):
    url = f"{BASE}/{cl_client.pk}/policies"
    resp = cl_api.post(
        url,
        {"payer_id": cl_payer.pk, "member_id": "W1", "relationship": "spouse"},
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert "subscriber_first_name" in resp.json()["errors"]
    data = {
        "payer_id": cl_payer.pk,
        "member_id": "W1",
        **{k: str(v) for k, v in subscriber_data().items()},
    }
    resp = cl_api.post(url, data, content_type="application/json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["subscriber_address"]["zip_code"] == "62701"
    resp = cl_api.post(url, {"payer_id": 99999, "member_id": "W1"}, content_type="application/json")
    assert resp.status_code == 422 and "payer_id" in resp.json()["errors"]
    listed = cl_api.get(url).json()["items"]
    assert len(listed) == 1 and listed[0]["relationship"] == "spouse"


def test_pricing_rules_create_and_list(cl_api, cl_client, cl_service_type, cl_other_service_type):
    url = f"{BASE}/{cl_client.pk}/pricing-rules"
    resp = cl_api.post(
        url, {"service_type_id": cl_service_type.pk, "price": "0"}, content_type="application/json"
    )
    assert resp.status_code == 201 and resp.json()["price"] == "0.00"
    resp = cl_api.post(
        url, {"service_type_id": cl_service_type.pk, "price": "10"}, content_type="application/json"
    )
    assert resp.status_code == 422 and "service_type_id" in resp.json()["errors"]
    resp = cl_api.post(
        url,
        {"service_type_id": cl_other_service_type.pk, "price": "10"},
        content_type="application/json",
    )
    assert resp.status_code == 422
    resp = cl_api.post(
        url,
        {"service_type_id": cl_service_type.pk, "cpt_code": "99"},
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert cl_api.get(url).json()["items"][0]["charge"] == "0.00"


def test_another_practices_client_is_404_on_every_route(
    cl_api, cl_other_client, cl_payer, cl_other_service_type
):
    cid = cl_other_client.pk
    j = "application/json"
    assert cl_api.get(f"{BASE}/{cid}").status_code == 404
    assert cl_api.put(f"{BASE}/{cid}", {"first_name": "X"}, content_type=j).status_code == 404
    assert cl_api.put(f"{BASE}/{cid}/diagnoses", {"codes": []}, content_type=j).status_code == 404
    assert cl_api.get(f"{BASE}/{cid}/policies").status_code == 404
    assert (
        cl_api.post(
            f"{BASE}/{cid}/policies", {"payer_id": cl_payer.pk, "member_id": "A1"}, content_type=j
        ).status_code
        == 404
    )
    assert cl_api.get(f"{BASE}/{cid}/pricing-rules").status_code == 404
    assert (
        cl_api.post(
            f"{BASE}/{cid}/pricing-rules",
            {"service_type_id": cl_other_service_type.pk, "price": "1"},
            content_type=j,
        ).status_code
        == 404
    )
    assert not PricingRule.objects.exists()
    assert cl_api.get(BASE).json()["count"] == 0


def test_clinician_token_cannot_read_insurance(cl_clinician_user, cl_client):
    api = api_client_for(cl_clinician_user)
    body = api.get(f"{BASE}/{cl_client.pk}").json()
    assert body["policies"] is None and body["pricing_rules"] is None
    assert api.get(f"{BASE}/{cl_client.pk}/policies").status_code == 403
    categories = set(
        AuditEvent.objects.filter(action="read", client_id_ref=cl_client.pk).values_list(
            "category", flat=True
        )
    )
    assert categories == {"demographics", "diagnosis"}
