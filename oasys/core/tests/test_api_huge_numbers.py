"""Numbers beyond 64 bits in ids and query parameters are bad input (422), never a 500: every
API route is walked with such an id, and the list routes with such a filter."""

from __future__ import annotations

import re

import pytest

from oasys.core.tests.routes import api_routes

# Committing tests: each request runs in autocommit as in production, so a refused query
# rolls back only its own request (inside one test-wide transaction, PostgreSQL's first
# "bigint out of range" would break every later request of the walk).
pytestmark = pytest.mark.django_db(transaction=True)
HUGE = str(2**70)


def test_a_huge_id_in_any_route_is_refused_not_a_500(api_client):
    tried = 0
    for method, route in api_routes():
        if "{" not in route or "auth/token" in route:
            continue
        url = "/api/v1/" + re.sub(r"\{\w+\}", HUGE, route)
        resp = api_client.generic(method, url, "{}", content_type="application/json")
        assert resp.status_code in (404, 422), f"{method} {url} -> {resp.status_code}"
        tried += 1
    assert tried > 20


@pytest.mark.parametrize("param", ["client_id", "clinician_id", "payer_id", "client",
                                   "page", "page_size", "offset"])
def test_a_huge_number_in_a_list_filter_is_refused_not_a_500(api_client, param):
    for method, route in api_routes():
        if method != "GET" or "{" in route:
            continue
        resp = api_client.get(f"/api/v1/{route}", {param: HUGE})
        assert resp.status_code in (200, 404, 422), f"GET {route}?{param}= -> {resp.status_code}"


def test_a_huge_id_in_a_body_is_refused(api_client):
    resp = api_client.post("/api/v1/billing/submit", {"session_ids": [int(HUGE)]},
                           content_type="application/json")
    assert resp.status_code == 422, resp.content


def test_multipart_without_a_boundary_is_a_400(api_client):
    resp = api_client.generic("POST", "/api/v1/invoices", "x",
                              content_type="multipart/form-data")
    assert resp.status_code in (400, 422), resp.status_code


@pytest.mark.parametrize("body", ["1", "1.5e277", '"x"', "[]", "true"])
def test_an_optional_body_that_is_not_an_object_is_refused(api_client, body):
    resp = api_client.post("/api/v1/payments/account/onboarding-link", body,
                           content_type="application/json")
    assert resp.status_code == 422, resp.content
    assert "JSON object" in resp.json()["errors"]["__all__"]


def test_a_404_has_the_usual_error_shape(api_client):
    resp = api_client.get(f"/api/v1/clients/{2**40}")
    assert resp.status_code == 404 and resp.json() == {"errors": {"__all__": "Not found."}}
