"""A 404 a logged-in user gets (another practice's object, or nothing there) is audited as
a denied read in the asker's practice's chain, holding ids only."""

from __future__ import annotations

import secrets

import pytest
from django.test import Client as HttpClient

from oasys.clients.models import Client
from oasys.core.models import ApiToken, AuditEvent, AuditOutcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim(practice):
    return Client.objects.create(practice=practice, first_name="Avery", last_name="Bennett")


def _denied():
    return list(AuditEvent.objects.filter(outcome=AuditOutcome.DENIED))


def test_another_practices_client_page_is_a_denied_read_naming_ids_only(
        client, other_owner, victim):
    client.force_login(other_owner)
    resp = client.get(f"/billing/clients/{victim.pk}/?q=Bennett")
    assert resp.status_code == 404
    [row] = _denied()
    assert (row.practice_id_ref, row.user_id_ref, row.category, row.action) == (
        other_owner.practice_id, other_owner.pk, "not_found", "read")
    assert row.client_id_ref is None  # the victim is never named, not even by id
    assert row.object_id == str(victim.pk)
    assert row.detail == {"method": "GET", "route": "billing/clients/<int:pk>/",
                          "ids": {"pk": victim.pk}}
    assert "Bennett" not in str(row.detail) and "Avery" not in str(row.detail)
    assert "Bennett" not in resp.content.decode()


def test_an_api_404_is_audited_too(other_owner, victim):
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=other_owner, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    http = HttpClient(headers={"Authorization": f"Bearer {key}"})
    assert http.get(f"/api/v1/clients/{victim.pk}").status_code == 404
    [row] = _denied()
    assert row.practice_id_ref == other_owner.practice_id
    assert row.detail["ids"] == {"client_id": victim.pk}


def test_an_unknown_url_is_audited_without_a_route(owner_client, owner):
    assert owner_client.get("/no/such/page/").status_code == 404
    [row] = _denied()
    assert row.user_id_ref == owner.pk and row.detail["route"] == ""


def test_string_parameters_stay_out_and_huge_ids_are_cut(owner_client):
    owner_client.get("/pay/card/some-secret-token/")
    assert owner_client.get(f"/billing/clients/{2**300}/").status_code == 404
    rows = _denied()
    text = str([(r.object_id, r.detail) for r in rows])
    assert "some-secret-token" not in text
    assert str(2**300) not in text and str(2**300)[:24] in text
    assert all(len(r.object_id) <= 60 for r in rows)


def test_nobody_logged_in_writes_nothing(client, victim):
    assert client.get("/no/such/page/").status_code == 404
    assert _denied() == []


def test_a_page_that_exists_writes_no_denial(owner_client, victim):
    assert owner_client.get(f"/billing/clients/{victim.pk}/").status_code == 200
    assert _denied() == []
