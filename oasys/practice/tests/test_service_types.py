"""Service types: validation, create/update through services and screens, tenancy, audit."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from oasys.core.models import AuditEvent
from oasys.practice.forms import ServiceTypeForm
from oasys.practice.models import ServiceType
from oasys.practice.services import (
    extra_service_code_add,
    service_type_create,
    service_type_update,
)

GOOD = {
    "name": "Individual therapy 53 min",
    "cpt_code": "90837",
    "rate": "150.00",
    "duration_minutes": "53",
    "place_of_service": "11",
    "modifiers": "",
    "is_active": "on",
}


def _form(practice, **changes):
    return ServiceTypeForm(data={**GOOD, **changes}, practice=practice)


def test_valid_and_normalised(pr_practice):
    form = _form(pr_practice, cpt_code="h0004", modifiers="95, gt", rate="0")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["cpt_code"] == "H0004"
    assert form.cleaned_data["modifiers"] == "95,GT"
    assert form.cleaned_data["rate"] == Decimal("0")  # $0 allowed: never billed


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("cpt_code", "9083", "not a CPT or HCPCS code"),
        ("cpt_code", "0591X", "not a CPT or HCPCS code"),
        ("cpt_code", "99999", "not a CPT code Oasys knows"),
        ("rate", "-1", "negative"),
        ("rate", "12.345", "2 decimal places"),
        ("rate", "abc", "amount in dollars"),
        ("duration_minutes", "0", "at least 1"),
        ("place_of_service", "99x", "valid choice"),
        ("modifiers", "95,GT,HO,HN,59", "at most 4"),
        ("modifiers", "9", "2 letters or digits"),
        ("name", "", "Name this service"),
    ],
)
def test_each_bad_field_has_a_message(pr_practice, field, value, fragment):
    form = _form(pr_practice, **{field: value})
    assert not form.is_valid()
    assert fragment in " ".join(form.errors[field])
    assert set(form.errors) == {field}


def test_create_update_and_audit(pr_practice, pr_ctx):
    form = _form(pr_practice)
    assert form.is_valid()
    st = service_type_create(practice=pr_practice, actor_ctx=pr_ctx, data=form.cleaned_data)
    assert st.rate == Decimal("150.00") and st.practice == pr_practice
    assert AuditEvent.objects.filter(
        category="service_type", action="create", object_id=str(st.pk)
    ).exists()
    data = {**form.cleaned_data, "rate": Decimal("160.00")}
    service_type_update(practice=pr_practice, actor_ctx=pr_ctx, service_type=st, data=data)
    st.refresh_from_db()
    assert st.rate == Decimal("160.00")
    event = AuditEvent.objects.filter(category="service_type", action="update").last()
    assert event.detail == {"fields": ["rate"]}


def test_duplicate_name_refused_case_insensitively(pr_practice, pr_other_practice, pr_ctx):
    form = _form(pr_practice)
    assert form.is_valid()
    service_type_create(practice=pr_practice, actor_ctx=pr_ctx, data=form.cleaned_data)
    with pytest.raises(ValidationError) as exc:
        service_type_create(
            practice=pr_practice,
            actor_ctx=pr_ctx,
            data={**form.cleaned_data, "name": "INDIVIDUAL THERAPY 53 MIN"},
        )
    assert "name" in exc.value.message_dict
    # Another practice may use the same name.
    service_type_create(practice=pr_other_practice, actor_ctx=pr_ctx, data=form.cleaned_data)


def test_screens(pr_client, pr_practice):
    assert pr_client.get(reverse("practice:service_type_new")).status_code == 200
    response = pr_client.post(reverse("practice:service_type_new"), GOOD)
    assert response.status_code == 302
    st = ServiceType.objects.get(practice=pr_practice)
    listing = pr_client.get(reverse("practice:service_types")).content.decode()
    assert "Individual therapy 53 min" in listing and "90837" in listing
    edit = reverse("practice:service_type_edit", args=[st.pk])
    assert 'value="90837"' in pr_client.get(edit).content.decode()
    bad = pr_client.post(edit, {**GOOD, "cpt_code": "12"})
    assert bad.status_code == 200 and 'id="id_cpt_code_error"' in bad.content.decode()
    dup = pr_client.post(reverse("practice:service_type_new"), GOOD)
    assert dup.status_code == 200 and "already have a service type" in dup.content.decode()


def test_other_practice_service_type_is_404(pr_client, pr_other_practice):
    other = ServiceType.objects.create(practice=pr_other_practice, name="Theirs")
    url = reverse("practice:service_type_edit", args=[other.pk])
    assert pr_client.get(url).status_code == 404
    assert pr_client.post(url, GOOD).status_code == 404
    other.refresh_from_db()
    assert other.name == "Theirs"


def test_clinician_role_views_but_cannot_edit(pr_clinician_client):
    assert pr_clinician_client.get(reverse("practice:service_types")).status_code == 200
    assert pr_clinician_client.post(reverse("practice:service_type_new"), GOOD).status_code == 403
    assert not ServiceType.objects.exists()


def test_repeated_modifier_is_refused_like_on_sessions(pr_client):
    resp = pr_client.post(reverse("practice:service_type_new"), {
        "name": "Video 45", "cpt_code": "90834", "rate": "130.00", "duration_minutes": "45",
        "place_of_service": "10", "modifiers": "95,95", "is_active": "on"})
    assert resp.status_code == 200
    assert b"appear once" in resp.content


def test_an_added_extra_code_is_accepted_and_the_service_refuses_an_unknown_one(pr_practice,
                                                                                pr_ctx):
    assert not _form(pr_practice, cpt_code="0591t").is_valid()
    extra_service_code_add(practice=pr_practice, actor_ctx=pr_ctx, code="0591T")
    form = _form(pr_practice, cpt_code="0591t")
    assert form.is_valid(), form.errors
    st = service_type_create(practice=pr_practice, actor_ctx=pr_ctx, data=form.cleaned_data)
    # The service checks too (a caller that skips the form), and changes nothing.
    with pytest.raises(ValidationError) as exc:
        service_type_update(practice=pr_practice, actor_ctx=pr_ctx, service_type=st,
                            data={"cpt_code": "99999"})
    assert "99999 is not a CPT code Oasys knows" in exc.value.message_dict["cpt_code"][0]
    st.refresh_from_db()
    assert st.cpt_code == "0591T"
    with pytest.raises(ValidationError):
        service_type_create(practice=pr_practice, actor_ctx=pr_ctx,
                            data={**form.cleaned_data, "name": "Other", "cpt_code": "99999"})
    assert ServiceType.objects.count() == 1


def test_api_refuses_99999_with_the_setup_hint(pr_practice, pr_api):
    response = pr_api.post("/api/v1/practice/service-types", json.dumps(
        {**GOOD, "cpt_code": "99999", "is_active": True}), content_type="application/json")
    assert response.status_code == 422
    assert "Billing → Setup → Service codes" in response.json()["errors"]["cpt_code"]
    assert not ServiceType.objects.exists()
