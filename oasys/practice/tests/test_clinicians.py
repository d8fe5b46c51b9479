"""Clinicians: NPI/taxonomy/license checks, supervision without loops, linked users."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from oasys.core.models import AuditEvent, Role, User
from oasys.practice.forms import ClinicianForm
from oasys.practice.models import Clinician
from oasys.practice.services import clinician_create, clinician_update

BASE = {
    "first_name": "Sam",
    "last_name": "Lee",
    "credentials": "LPC",
    "npi": "1234567893",
    "taxonomy_code": "101YM0800X",
    "license_number": "LPC-1234",
    "license_state": "TX",
    "is_active": "on",
}


def _make(practice, first, supervisor=None):
    return Clinician.objects.create(
        practice=practice, first_name=first, last_name="X", supervisor=supervisor
    )


def test_form_field_checks(pr_practice):
    form = ClinicianForm(
        data={**BASE, "npi": "1234567890", "taxonomy_code": "103TP2700X", "license_state": ""},
        practice=pr_practice,
    )
    assert not form.is_valid()
    assert "check digit" in form.errors["npi"][0]
    assert "deactivated" in form.errors["taxonomy_code"][0]
    assert "state that issued" in form.errors["license_state"][0]
    org_npi = ClinicianForm(data={**BASE, "npi": "2000000002"}, practice=pr_practice)
    assert not org_npi.is_valid() and "Type 1" in org_npi.errors["npi"][0]
    assert ClinicianForm(data=BASE, practice=pr_practice).is_valid()


def test_supervisor_choices_exclude_self_descendants_and_other_practices(
    pr_practice, pr_other_practice
):
    top = _make(pr_practice, "Top")
    mid = _make(pr_practice, "Mid", supervisor=top)
    low = _make(pr_practice, "Low", supervisor=mid)
    outsider = _make(pr_other_practice, "Out")
    choices = set(
        ClinicianForm(practice=pr_practice, clinician=top)
        .fields["supervisor"]
        .queryset.values_list("pk", flat=True)
    )
    assert choices == set()  # top supervises everyone else
    for bad in (top.pk, mid.pk, low.pk, outsider.pk):
        form = ClinicianForm(data={**BASE, "supervisor": bad}, practice=pr_practice, clinician=top)
        assert not form.is_valid() and "supervisor" in form.errors
    ok = ClinicianForm(data={**BASE, "supervisor": top.pk}, practice=pr_practice, clinician=low)
    assert ok.is_valid(), ok.errors


def test_service_refuses_cycles_even_without_the_form(pr_practice, pr_ctx):
    top = _make(pr_practice, "Top")
    mid = _make(pr_practice, "Mid", supervisor=top)
    low = _make(pr_practice, "Low", supervisor=mid)
    with pytest.raises(ValidationError) as exc:
        clinician_update(
            practice=pr_practice, actor_ctx=pr_ctx, clinician=top, data={"supervisor": low}
        )
    assert "circle" in exc.value.message_dict["supervisor"][0]
    with pytest.raises(ValidationError, match="themselves"):
        clinician_update(
            practice=pr_practice, actor_ctx=pr_ctx, clinician=top, data={"supervisor": top}
        )
    top.refresh_from_db()
    assert top.supervisor_id is None


def test_service_refuses_other_practice_links(
    pr_practice, pr_other_practice, pr_ctx, pr_other_owner
):
    outsider = _make(pr_other_practice, "Out")
    with pytest.raises(ValidationError) as exc:
        clinician_create(
            practice=pr_practice,
            actor_ctx=pr_ctx,
            data={
                "first_name": "A",
                "last_name": "B",
                "supervisor": outsider,
                "user": pr_other_owner,
            },
        )
    assert set(exc.value.message_dict) == {"supervisor", "user"}


def test_user_linked_once(pr_practice, pr_ctx, pr_owner):
    clinician_create(
        practice=pr_practice,
        actor_ctx=pr_ctx,
        data={"first_name": "Dana", "last_name": "R", "user": pr_owner},
    )
    form = ClinicianForm(data={**BASE, "user": pr_owner.pk}, practice=pr_practice)
    assert not form.is_valid() and "user" in form.errors
    with pytest.raises(ValidationError, match="already linked"):
        clinician_create(
            practice=pr_practice,
            actor_ctx=pr_ctx,
            data={"first_name": "X", "last_name": "Y", "user": pr_owner},
        )


def test_create_update_audit(pr_practice, pr_ctx):
    form = ClinicianForm(data=BASE, practice=pr_practice)
    assert form.is_valid()
    c = clinician_create(practice=pr_practice, actor_ctx=pr_ctx, data=form.cleaned_data)
    assert AuditEvent.objects.filter(
        category="clinician", action="create", object_id=str(c.pk)
    ).exists()
    clinician_update(
        practice=pr_practice,
        actor_ctx=pr_ctx,
        clinician=c,
        data={**form.cleaned_data, "credentials": "LCSW"},
    )
    event = AuditEvent.objects.filter(category="clinician", action="update").last()
    assert event.detail == {"fields": ["credentials"]}


def test_screens_and_tenancy(pr_client, pr_practice, pr_other_practice):
    supervisor = _make(pr_practice, "Sup")
    response = pr_client.post(
        reverse("practice:clinician_new"), {**BASE, "supervisor": supervisor.pk}
    )
    assert response.status_code == 302
    sam = Clinician.objects.get(practice=pr_practice, first_name="Sam")
    assert sam.supervisor == supervisor
    listing = pr_client.get(reverse("practice:clinicians")).content.decode()
    assert "Sam Lee, LPC" in listing and "Sup X" in listing
    # Closing the loop through the screen shows the error beside the field.
    edit_sup = reverse("practice:clinician_edit", args=[supervisor.pk])
    bad = pr_client.post(edit_sup, {**BASE, "first_name": "Sup", "supervisor": sam.pk})
    assert bad.status_code == 200 and 'id="id_supervisor_error"' in bad.content.decode()
    other = _make(pr_other_practice, "Theirs")
    assert pr_client.get(reverse("practice:clinician_edit", args=[other.pk])).status_code == 404


def test_user_choices_are_this_practice_only(pr_practice, pr_other_owner, pr_clinician_user):
    form = ClinicianForm(practice=pr_practice)
    users = set(form.fields["user"].queryset)
    assert pr_clinician_user in users and pr_other_owner not in users
    assert User.objects.filter(role=Role.OWNER).count() == 1
