"""Billing → Setup → Service codes: the screen and the API that add and remove a practice's
extra CPT/HCPCS codes (format-checked, audited), and what they then allow elsewhere."""

from __future__ import annotations

import json

from django.urls import reverse

from oasys.core.models import AuditEvent
from oasys.practice.forms import ServiceTypeForm
from oasys.practice.models import ExtraServiceCode

BASE = "/api/v1/practice/service-codes"
TYPE = {"name": "Coaching", "cpt_code": "0591T", "rate": "90.00", "duration_minutes": "30",
        "place_of_service": "11", "modifiers": "", "is_active": "on"}


def test_screen_lists_known_codes_and_adds_and_removes_an_extra_one(pr_client, pr_practice):
    url = reverse("practice:service_codes")
    page = pr_client.get(url).content.decode()
    assert "Codes Oasys knows" in page and "90837" in page and "H2019" in page
    assert "None yet" in page

    response = pr_client.post(url, {"code": " 0591t ", "description": "Health coaching"})
    assert response.status_code == 302
    extra = ExtraServiceCode.objects.get(practice=pr_practice)
    assert extra.code == "0591T"
    page = pr_client.get(url).content.decode()
    assert "0591T" in page and "Health coaching" in page and "added" in page
    assert ServiceTypeForm(data=TYPE, practice=pr_practice).is_valid()

    remove = reverse("practice:service_code_remove", args=[extra.pk])
    assert pr_client.get(remove).status_code == 405  # a GET never removes
    assert pr_client.post(remove).status_code == 302
    assert not ExtraServiceCode.objects.exists()
    assert not ServiceTypeForm(data=TYPE, practice=pr_practice).is_valid()
    actions = list(AuditEvent.objects.filter(category="service_code")
                   .order_by("pk").values_list("action", flat=True))
    assert actions == ["create", "delete"]


def test_screen_refuses_a_bad_code_beside_the_field(pr_client):
    response = pr_client.post(reverse("practice:service_codes"), {"code": "9999X"})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_code_error"' in body and "not a CPT or HCPCS code" in body
    assert not ExtraServiceCode.objects.exists()


def test_a_clinician_sees_the_list_but_cannot_add(pr_clinician_client):
    url = reverse("practice:service_codes")
    page = pr_clinician_client.get(url)
    assert page.status_code == 200 and "Add a code" not in page.content.decode()
    assert pr_clinician_client.post(url, {"code": "0591T"}).status_code == 403
    assert not ExtraServiceCode.objects.exists()


def test_another_practices_code_cannot_be_removed(pr_client, pr_other_practice):
    theirs = ExtraServiceCode.objects.create(practice=pr_other_practice, code="0591T")
    response = pr_client.post(reverse("practice:service_code_remove", args=[theirs.pk]))
    assert response.status_code == 404
    assert ExtraServiceCode.objects.filter(pk=theirs.pk).exists()


def test_api_adds_lists_and_removes(pr_api, pr_other_api, pr_practice):
    created = pr_api.post(BASE, json.dumps({"code": "h0020", "description": "Methadone"}),
                          content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["code"] == "H0020"
    listing = pr_api.get(BASE).json()
    assert [i["code"] for i in listing["items"]] == ["H0020"]
    assert pr_other_api.get(BASE).json()["items"] == []
    assert pr_other_api.delete(f"{BASE}/{body['id']}").status_code == 404
    known = pr_api.get(f"{BASE}/known").json()["items"]
    assert {"code": "90837", "description": "Psychotherapy, 60 minutes",
            "group": "Psychotherapy"} in known

    refused = pr_api.post(BASE, json.dumps({"code": "90837"}), content_type="application/json")
    assert refused.status_code == 422 and "already knows" in refused.json()["errors"]["code"]
    assert pr_api.delete(f"{BASE}/{body['id']}").status_code == 204
    assert not ExtraServiceCode.objects.exists()
