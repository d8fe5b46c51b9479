"""/api/v1/payments/account… and /payouts…: the account in its documented shape, owner-only
links and disconnect (403 otherwise), Stripe's errors in the one error shape, payouts in the
page envelope, another practice's payout 404."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal

import pytest
from django.test import Client

from oasys.core.models import ApiToken, Role
from oasys.core.services import user_create
from oasys.payments.models import PaymentAccount
from oasys.payments.port import Charge, RetryableError

from .accounts import account_in

pytestmark = pytest.mark.django_db
BASE = "/api/v1/payments"


def _token_client(user) -> Client:
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:10])
    return Client(headers={"Authorization": f"Bearer {key}"})


def _post(client, path, body=None):
    return client.post(f"{BASE}{path}", data=json.dumps(body) if body is not None else "",
                       content_type="application/json")


def test_account_not_connected(api_client):
    body = api_client.get(f"{BASE}/account").json()
    assert body["status"] == "not_connected"
    assert body["charges_enabled"] is body["payouts_enabled"] is body["details_submitted"] \
        is False
    assert body["requirements"] == [] and body["disabled_reason"] == ""
    assert body["business_name"] == ""


def test_onboarding_link_connects_and_answers_a_url(api_client, practice, payments):
    response = _post(api_client, "/account/onboarding-link")
    assert response.status_code == 200, response.content
    account = PaymentAccount.objects.get(practice=practice)
    assert response.json()["url"].startswith("https://connect.fake.test/setup/"
                                             + account.stripe_account_id)
    link = next(kw for m, kw in payments.calls if m == "account_link_create")
    assert link["kind"] == "onboarding"
    body = api_client.get(f"{BASE}/account").json()
    assert body["status"] == "onboarding"
    assert {"field": "external_account", "description": "A bank account for payouts"} in \
        body["requirements"]


def test_onboarding_link_takes_the_callers_urls(api_client, payments, monkeypatch):
    seen = {}
    original = payments.account_link_create

    def spy(**kw):
        seen.update(kw)
        return original(**kw)

    monkeypatch.setattr(payments, "account_link_create", spy)
    response = _post(api_client, "/account/onboarding-link",
                     {"return_url": "https://app.example/back", "refresh_url": ""})
    assert response.status_code == 200
    assert seen["return_url"] == "https://app.example/back"
    assert seen["refresh_url"] == "http://testserver/billing/setup/payments/refresh/"
    bad = _post(api_client, "/account/onboarding-link", {"return_url": "javascript:alert(1)"})
    assert bad.status_code == 422 and "return_url" in bad.json()["errors"]


def test_onboarding_link_and_disconnect_are_owner_only(biller, practice):
    http = _token_client(biller)
    assert _post(http, "/account/onboarding-link").status_code == 403
    assert _post(http, "/account/disconnect").status_code == 403
    assert not PaymentAccount.objects.filter(practice=practice).exists()
    assert http.get(f"{BASE}/account").status_code == 200


def test_active_account_refresh_and_disconnect(api_client, practice, owner, ctx, payments):
    account = account_in("restricted", practice, owner, ctx, payments)
    body = api_client.get(f"{BASE}/account").json()
    assert body["status"] == "restricted"
    assert body["requirements"] == [{"field": "company.tax_id",
                                     "description": "Your business's tax ID (EIN)"}]
    assert body["disabled_reason"] == "requirements.past_due"
    payments.account_state_set(account.stripe_account_id, "active")
    refreshed = _post(api_client, "/account/refresh").json()
    assert refreshed["status"] == "active" and refreshed["charges_enabled"] is True
    gone = _post(api_client, "/account/disconnect")
    assert gone.status_code == 200 and gone.json()["status"] == "disconnected"
    again = _post(api_client, "/account/disconnect")
    assert again.status_code == 409 and "errors" in again.json()


def test_stripe_unreachable_is_409_and_changes_nothing(api_client, practice, payments):
    payments.fail_next("account_create", RetryableError("timeout"))
    response = _post(api_client, "/account/onboarding-link")
    assert response.status_code == 409
    assert "Stripe could not be reached" in response.json()["errors"]["__all__"]
    assert PaymentAccount.objects.get(practice=practice).stripe_account_id == ""


def _charge(i, amount, **meta):
    return Charge(id=f"ch_{i}", amount=Decimal(amount), currency="usd", status="succeeded",
                  fee=Decimal("0.59"), invoice_id=f"in_{i}", payment_intent_id=f"pi_{i}",
                  metadata=meta)


def test_payouts_page_envelope_and_detail(api_client, active_account, payments):
    made = [payments.payout_add(active_account.stripe_account_id, [_charge(i, "10.00")])
            for i in range(3)]
    page = api_client.get(f"{BASE}/payouts?page=1&page_size=2").json()
    assert page["count"] == 3 and page["page"] == 1 and page["page_size"] == 2
    assert [p["id"] for p in page["items"]] == [made[2].id, made[1].id]
    assert page["items"][0]["amount"] == "9.41" and page["items"][0]["status"] == "in_transit"
    payments.payout_add(active_account.stripe_account_id,
                        [_charge(9, "100.00", oasys_invoice_id="5", oasys_invoice_number="N5")])
    latest = api_client.get(f"{BASE}/payouts").json()["items"][0]["id"]
    detail = api_client.get(f"{BASE}/payouts/{latest}").json()
    assert detail["payout"]["id"] == latest and detail["gross"] == "100.00"
    assert detail["net"] == "99.41" and detail["fees"] == "0.59"
    (charge,) = [t for t in detail["transactions"] if t["type"] == "charge"]
    assert charge["invoice_id"] == 5 and charge["invoice_number"] == "N5"
    assert charge["stripe_invoice_id"] == "in_9" and charge["description"] == "Client payment"


def test_payouts_empty_before_connecting_and_404_elsewhere(api_client, other_owner,
                                                           active_account, payments):
    payout = payments.payout_add(active_account.stripe_account_id, [_charge(1, "10.00")])
    intruder = _token_client(other_owner)
    assert intruder.get(f"{BASE}/payouts").json()["count"] == 0
    assert intruder.get(f"{BASE}/payouts/{payout.id}").status_code == 404
    assert api_client.get(f"{BASE}/payouts/po_nosuch").status_code == 404


def test_payouts_need_a_billing_role(practice, active_account):
    clin = user_create(practice=practice, email="c@test.example", password="x y z 1",
                       role=Role.CLINICIAN)
    http = _token_client(clin)
    assert http.get(f"{BASE}/payouts").status_code == 403
    assert http.get(f"{BASE}/account").status_code == 200
