"""Eligibility screens and API: run by hand with the cost shown first, history, the latest
summary on the client's page, the fee ledger, 422 shapes, and 404 for another practice."""

from __future__ import annotations

import pytest
from django.urls import reverse

from oasys.clients.tests.conftest import api_client_for
from oasys.core.models import Role
from oasys.core.services import user_create
from oasys.eligibility.models import EligibilityCheck, UsageFee
from oasys.eligibility.services import eligibility_check_run
from oasys.practice.models import ServiceType

pytestmark = pytest.mark.django_db


@pytest.fixture
def el_sim_settings(settings, clearinghouse_sim):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    settings.CLEARINGHOUSE_API_KEY = clearinghouse_sim.api_key
    return settings


def test_manual_check_shows_cost_first_then_summary(
        owner_client, el_client, el_policy_factory, el_provider, el_sim_settings):
    ServiceType.objects.create(practice=el_client.practice, name="Psychotherapy 60",
                               cpt_code="90837", rate="150.00")
    policy = el_policy_factory(member_id="COPAY77")
    page = owner_client.get(reverse("eligibility:client_checks", args=[el_client.pk]))
    assert page.status_code == 200 and "$0.15" in page.content.decode()
    resp = owner_client.post(reverse("eligibility:run", args=[el_client.pk]),
                             {"policy": policy.pk})
    check = EligibilityCheck.objects.get()
    assert resp.url == reverse("eligibility:detail", args=[check.pk])
    html = owner_client.get(resp.url).content.decode()
    assert "$35.00" in html and "Estimate" in html and "Not reported" in html
    detail = owner_client.get(reverse("clients:detail", args=[el_client.pk])).content.decode()
    assert 'id="eligibility-latest"' in detail and "Coverage active" in detail
    fees = owner_client.get(reverse("eligibility:fees")).content.decode()
    assert "$0.15" in fees and f"#{check.pk}" in fees


def test_api_post_and_list(api_client, el_client, el_policy_factory, el_provider,
                           el_sim_settings):
    el_policy_factory(member_id="DED55")
    url = f"/api/v1/clients/{el_client.pk}/eligibility-checks"
    resp = api_client.post(url, content_type="application/json", data={})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["outcome"] == "active" and body["charged"] and body["fee"] == "0.15"
    s = body["summary"]
    assert s["deductible"]["individual"]["in_network"]["remaining"]["value"] == "500.00"
    assert s["mental_health"]["copay"] is None  # not reported, not "0.00"
    assert s["mental_health"]["coinsurance"]["value"] == "20.00"
    listed = api_client.get(url).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == body["id"]
    fees = api_client.get("/api/v1/usage-fees").json()
    assert fees["unit_price"] == "0.15" and fees["items"][0]["amount"] == "0.15"


def test_api_422_without_provider_or_policy(api_client, el_client, el_policy):
    url = f"/api/v1/clients/{el_client.pk}/eligibility-checks"
    resp = api_client.post(url, content_type="application/json", data={})
    assert resp.status_code == 422 and "provider" in resp.json()["errors"]
    el_policy.is_active = False
    el_policy.save()
    resp = api_client.post(url, content_type="application/json", data={})
    assert resp.status_code == 422 and "policy_id" in resp.json()["errors"]


def test_other_practice_gets_404(client, other_owner, el_client, el_policy, el_provider,
                                 el_ctx, el_answering):
    check = eligibility_check_run(policy=el_policy, ctx=el_ctx)
    client.force_login(other_owner)
    for url in (reverse("eligibility:client_checks", args=[el_client.pk]),
                reverse("eligibility:detail", args=[check.pk])):
        assert client.get(url).status_code == 404
    assert client.post(reverse("eligibility:run", args=[el_client.pk]),
                       {"policy": el_policy.pk}).status_code == 404
    assert not UsageFee.objects.exclude(eligibility_check=check).exists()
    assert EligibilityCheck.objects.count() == 1


def test_other_practice_api_404(el_client, el_policy, other_owner):
    other = api_client_for(other_owner)
    url = f"/api/v1/clients/{el_client.pk}/eligibility-checks"
    assert other.get(url).status_code == 404
    assert other.post(url, content_type="application/json", data={}).status_code == 404


def test_fees_page_is_for_owners(client, practice, el_client):
    biller = user_create(practice=practice, email="b@test.example", password="x-y-z-1234",
                         role=Role.BILLER)
    client.force_login(biller)
    assert client.get(reverse("eligibility:fees")).status_code == 403
