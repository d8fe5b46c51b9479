"""A service type's no-show fee: empty (a no-show is charged like the session), $0 (no-shows
are not billed) or an amount; checked like the rate, on the screen and in the API."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from oasys.core.models import AuditEvent
from oasys.practice.forms import ServiceTypeForm
from oasys.practice.models import ServiceType
from oasys.practice.services import service_type_create, service_type_update

pytestmark = pytest.mark.django_db

GOOD = {"name": "Individual therapy 53 min", "cpt_code": "90837", "rate": "150.00",
        "duration_minutes": "53", "place_of_service": "11", "modifiers": "", "is_active": "on"}


@pytest.mark.parametrize(("value", "expected"), [
    ("", None), ("0", Decimal("0")), ("25.5", Decimal("25.5")), ("75.00", Decimal("75")),
])
def test_accepted_values(pr_practice, value, expected):
    form = ServiceTypeForm(data={**GOOD, "no_show_fee": value}, practice=pr_practice)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["no_show_fee"] == expected


@pytest.mark.parametrize(("value", "fragment"), [
    ("-1", "cannot be negative"), ("1.005", "2 decimal places"), ("ten", "amount in dollars"),
])
def test_refused_values(pr_practice, value, fragment):
    form = ServiceTypeForm(data={**GOOD, "no_show_fee": value}, practice=pr_practice)
    assert not form.is_valid()
    assert fragment in form.errors["no_show_fee"][0]


def test_saved_updated_and_audited(pr_practice, pr_ctx):
    form = ServiceTypeForm(data={**GOOD, "no_show_fee": "0"}, practice=pr_practice)
    assert form.is_valid()
    st = service_type_create(practice=pr_practice, actor_ctx=pr_ctx, data=form.cleaned_data)
    assert ServiceType.objects.get(pk=st.pk).no_show_fee == Decimal("0.00")
    service_type_update(practice=pr_practice, actor_ctx=pr_ctx, service_type=st,
                        data={**form.cleaned_data, "no_show_fee": Decimal("40")})
    assert ServiceType.objects.get(pk=st.pk).no_show_fee == Decimal("40.00")
    event = AuditEvent.objects.filter(category="service_type").last()
    assert event.detail == {"fields": ["no_show_fee"]}


def test_screen_shows_and_saves_it(pr_client, pr_practice):
    resp = pr_client.post(reverse("practice:service_type_new"), {**GOOD, "no_show_fee": "0"})
    assert resp.status_code == 302
    st = ServiceType.objects.get(practice=pr_practice)
    assert st.no_show_fee == 0
    listing = pr_client.get(reverse("practice:service_types")).content.decode()
    assert "$0.00 <span class=\"muted small\">not billed</span>" in listing
    edit = pr_client.get(reverse("practice:service_type_edit", args=[st.pk])).content.decode()
    assert 'name="no_show_fee"' in edit and "No-show fee" in edit


def test_api_round_trip(pr_api):
    body = {"name": "Intake", "cpt_code": "90791", "rate": "200", "duration_minutes": 60,
            "place_of_service": "11", "no_show_fee": "50"}
    created = pr_api.post("/api/v1/practice/service-types", json.dumps(body),
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["no_show_fee"] == "50.00"
    st_id = created.json()["id"]
    cleared = pr_api.put(f"/api/v1/practice/service-types/{st_id}",
                         json.dumps({**body, "no_show_fee": None}),
                         content_type="application/json")
    assert cleared.status_code == 200 and cleared.json()["no_show_fee"] is None
    bad = pr_api.put(f"/api/v1/practice/service-types/{st_id}",
                     json.dumps({**body, "no_show_fee": "-2"}), content_type="application/json")
    assert bad.status_code == 422 and "no_show_fee" in bad.json()["errors"]
    assert ServiceType.objects.get(pk=st_id).no_show_fee is None
