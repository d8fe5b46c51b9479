"""Role rules hold in the API as on the screens: a clinician or supervisor cannot change
billing setup, bill, act on claims, or read remittances, the ledger or raw EDI files."""

import secrets

import pytest
from django.test import Client as HttpClient

from oasys.core.models import ApiToken, Role
from oasys.core.services import user_create

pytestmark = pytest.mark.django_db

BILLING_ONLY = [
    ("put", "/api/v1/practice/provider", {}),
    ("post", "/api/v1/practice/accepted-payers", {"payer_id": 1}),
    ("post", "/api/v1/practice/service-types", {"name": "X", "rate": "0.00"}),
    ("put", "/api/v1/practice/service-types/1", {"rate": "0.00"}),
    ("post", "/api/v1/practice/clinicians", {"first_name": "A", "last_name": "B"}),
    ("put", "/api/v1/practice/clinicians/1", {}),
    ("get", "/api/v1/remittances", None),
    ("get", "/api/v1/remittances/1", None),
    ("get", "/api/v1/ledger/aging", None),
    ("get", "/api/v1/ledger/clients/1/balance", None),
    ("get", "/api/v1/clearinghouse/files", None),
    ("get", "/api/v1/clearinghouse/files/1", None),
    ("post", "/api/v1/billing/submit", {"session_ids": [1]}),
    ("post", "/api/v1/claims/1/void", {}),
]


def _client_for(practice, role):
    user = user_create(practice=practice, email=f"{role}@test.example", password="x" * 12,
                       role=role)
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    return HttpClient(headers={"Authorization": f"Bearer {key}"})


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.SUPERVISOR])
def test_non_billing_roles_are_refused(practice, role):
    http = _client_for(practice, role)
    for method, url, body in BILLING_ONLY:
        if body is None:
            resp = getattr(http, method)(url)
        else:
            resp = getattr(http, method)(url, body, content_type="application/json")
        assert resp.status_code == 403, (role, method, url, resp.status_code)


def test_billers_get_past_the_role_check(practice):
    http = _client_for(practice, Role.BILLER)
    for method, url, body in BILLING_ONLY:
        if body is None:
            resp = getattr(http, method)(url)
        else:
            resp = getattr(http, method)(url, body, content_type="application/json")
        assert resp.status_code != 403, (method, url)
