"""Provider Information: per-field messages, pre-fill, tax ID masking, completeness, audit."""

from __future__ import annotations

import pytest
from django.urls import reverse

from oasys.core.models import AuditEvent
from oasys.practice.forms import ProviderProfileForm
from oasys.practice.models import Clinician, ProviderProfile
from oasys.practice.selectors import provider_profile_completeness, provider_profile_initial
from oasys.practice.services import provider_profile_update

VALID = {
    "provider_type": "individual",
    "first_name": "Dana",
    "last_name": "Reyes",
    "npi": "1234567893",
    "tax_id_type": "ssn",
    "tax_id": "321-54-9876",
    "accept_assignment": "on",
    "taxonomy_code": "101YM0800X",
    "contact_name": "Dana Reyes",
    "contact_email": "dana@calm.test",
    "contact_phone": "512-555-0199",
    "address1": "123 Boxwood Rd",
    "address2": "Suite 4",
    "city": "Austin",
    "state": "TX",
    "zip_code": "78701-3214",
}


def _form(**changes):
    data = {**VALID, **changes}
    return ProviderProfileForm(data={k: v for k, v in data.items() if v is not None})


def test_valid_form_cleans_values():
    form = _form(zip_code="787011234", contact_phone="5125550199")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["tax_id"] == "321549876"
    assert form.cleaned_data["zip_code"] == "78701-1234"
    assert form.cleaned_data["contact_phone"] == "(512) 555-0199"


@pytest.mark.parametrize("zip_code", ["78701", " 94111 "])
def test_billing_zip_must_be_zip4_for_claims(zip_code):
    form = _form(zip_code=zip_code)
    assert not form.is_valid()
    assert form.errors["zip_code"] == ["ZIP+4 required for claims: e.g. 94111-1234"]
    assert set(form.errors) == {"zip_code"}


def test_badly_formed_zip_keeps_its_format_message():
    form = _form(zip_code="ABCDE")
    assert not form.is_valid()
    assert form.errors["zip_code"] == ["A ZIP code has 5 digits, or 9 (ZIP+4)."]


def test_each_invalid_field_gets_its_own_message():
    form = _form(
        npi="1234567890",
        tax_id="12345",
        taxonomy_code="103TP2700X",
        contact_phone="555-0199",
        contact_email="not-an-email",
        address1="P.O. Box 12",
        state="ZZ",
        zip_code="1234",
    )
    assert not form.is_valid()
    errors = {field: " ".join(msgs) for field, msgs in form.errors.items()}
    assert "check digit" in errors["npi"]
    assert "9 digits" in errors["tax_id"]
    assert "deactivated" in errors["taxonomy_code"]
    assert "10 digits" in errors["contact_phone"]
    assert "valid email" in errors["contact_email"]
    assert "PO box" in errors["address1"]
    assert "state" in errors["state"].lower()
    assert "ZIP" in errors["zip_code"]
    assert "first_name" not in errors and "city" not in errors


def test_organization_rules():
    form = _form(
        provider_type="organization", organization_name="", npi="1234567893", tax_id_type="ssn"
    )
    assert not form.is_valid()
    assert "legal name" in form.errors["organization_name"][0]
    assert "Type 2" in form.errors["npi"][0]
    assert "must use an EIN" in form.errors["tax_id"][0]
    ok = _form(
        provider_type="organization",
        organization_name="Calm Waters LLC",
        npi="2000000002",
        tax_id_type="ein",
        tax_id="12-3456789",
        first_name="",
    )
    assert ok.is_valid(), ok.errors


def test_individual_needs_names_and_type1_npi():
    form = _form(first_name="", last_name="", npi="2000000002")
    assert not form.is_valid()
    assert set(form.errors) == {"first_name", "last_name", "npi"}


def test_empty_form_says_what_to_enter_per_field():
    form = ProviderProfileForm(data={"provider_type": "individual", "tax_id_type": "ein"})
    assert not form.is_valid()
    assert form.errors["npi"] == ["Enter the 10-digit NPI."]
    assert form.errors["address1"] == ["Enter the street address."]
    assert form.errors["taxonomy_code"] == ["Enter the provider taxonomy code."]


def test_prefill_from_owner_and_clinician(pr_practice, pr_owner):
    initial = provider_profile_initial(practice=pr_practice)
    assert initial["first_name"] == "Dana"
    assert initial["contact_email"] == "dana@calm.test"
    assert initial["contact_name"] == "Dana Reyes"
    assert "npi" not in initial
    Clinician.objects.create(
        practice=pr_practice,
        user=pr_owner,
        first_name="Dana",
        last_name="Reyes",
        npi="1234567893",
        taxonomy_code="1041C0700X",
    )
    initial = provider_profile_initial(practice=pr_practice)
    assert initial["npi"] == "1234567893"
    assert initial["taxonomy_code"] == "1041C0700X"


def test_prefill_shows_in_the_page(pr_client, pr_practice, pr_owner):
    Clinician.objects.create(
        practice=pr_practice,
        user=pr_owner,
        first_name="Dana",
        last_name="Reyes",
        npi="1234567893",
        taxonomy_code="1041C0700X",
    )
    html = pr_client.get(reverse("practice:provider")).content.decode()
    assert 'id="id_npi"' in html and 'value="1234567893"' in html
    assert 'value="dana@calm.test"' in html
    assert ">Save</button>" in html


def test_save_through_the_page_then_masked(pr_client, pr_practice):
    response = pr_client.post(reverse("practice:provider"), VALID)
    assert response.status_code == 302
    profile = ProviderProfile.objects.get(practice=pr_practice)
    assert profile.tax_id == "321549876"
    assert profile.npi == "1234567893"
    hub = pr_client.get(reverse("practice:setup")).content.decode()
    assert "•••-••-9876" in hub and "321549876" not in hub and "321-54-9876" not in hub
    form_html = pr_client.get(reverse("practice:provider")).content.decode()
    assert "•••-••-9876" in form_html and "321549876" not in form_html


def test_unchanged_mask_keeps_stored_tax_id(pr_client, pr_practice):
    pr_client.post(reverse("practice:provider"), VALID)
    resubmit = {**VALID, "tax_id": "•••-••-9876", "city": "Round Rock"}
    assert pr_client.post(reverse("practice:provider"), resubmit).status_code == 302
    profile = ProviderProfile.objects.get(practice=pr_practice)
    assert profile.tax_id == "321549876"
    assert profile.city == "Round Rock"
    # A new value replaces it; a mangled mask is an error, not silently kept.
    pr_client.post(reverse("practice:provider"), {**VALID, "tax_id": "456-78-1234"})
    assert ProviderProfile.objects.get(practice=pr_practice).tax_id == "456781234"
    bad = pr_client.post(reverse("practice:provider"), {**VALID, "tax_id": "•••-••-432"})
    assert bad.status_code == 200
    assert "id_tax_id_error" in bad.content.decode()


def test_invalid_post_shows_message_beside_field(pr_client):
    response = pr_client.post(reverse("practice:provider"), {**VALID, "npi": "1234567890"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_npi_error"' in html
    assert "check digit is wrong" in html


def test_completeness(pr_practice, pr_ctx):
    assert "npi" in provider_profile_completeness(pr_practice)
    assert "first_name" in provider_profile_completeness(pr_practice)
    form = _form()
    assert form.is_valid()
    provider_profile_update(practice=pr_practice, actor_ctx=pr_ctx, data=form.cleaned_data)
    assert provider_profile_completeness(pr_practice) == []
    ProviderProfile.objects.filter(practice=pr_practice).update(taxonomy_code="")
    assert provider_profile_completeness(pr_practice) == ["taxonomy_code"]


def test_update_writes_audit_without_values(pr_practice, pr_ctx):
    form = _form()
    assert form.is_valid()
    profile = provider_profile_update(
        practice=pr_practice, actor_ctx=pr_ctx, data=form.cleaned_data
    )
    event = AuditEvent.objects.filter(category="provider_profile").last()
    assert event.action == "create" and event.object_id == str(profile.pk)
    assert event.practice_id_ref == pr_practice.pk
    assert "321549876" not in str(event.detail)
    changed = {**form.cleaned_data, "city": "Round Rock"}
    provider_profile_update(practice=pr_practice, actor_ctx=pr_ctx, data=changed)
    event = AuditEvent.objects.filter(category="provider_profile").last()
    assert event.action == "update" and event.detail == {"fields": ["city"]}
    # Saving the same data again writes nothing.
    count = AuditEvent.objects.count()
    provider_profile_update(practice=pr_practice, actor_ctx=pr_ctx, data=changed)
    assert AuditEvent.objects.count() == count


@pytest.mark.parametrize("url_name", ["practice:provider"])
def test_clinician_role_cannot_edit_provider(pr_clinician_client, url_name):
    assert pr_clinician_client.get(reverse(url_name)).status_code == 403


def test_biller_can_edit_provider(pr_biller_client, pr_practice):
    assert pr_biller_client.post(reverse("practice:provider"), VALID).status_code == 302
    assert ProviderProfile.objects.filter(practice=pr_practice).exists()


def test_hub_page(pr_client, pr_clinician_client, pr_owner):
    html = pr_client.get(reverse("practice:setup")).content.decode()
    for text in (
        "Provider Information",
        "Insurance Billing",
        "Start Setup",
        "Service Types",
        "Clinicians",
        "Payment Processing",
        "Incomplete",
    ):
        assert text in html
    # Everyone in the practice can look at it.
    assert pr_clinician_client.get(reverse("practice:setup")).status_code == 200


def test_anonymous_redirected_to_login(client):
    response = client.get(reverse("practice:setup"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_five_digit_billing_zip_is_refused_on_the_page_and_nothing_saved(pr_client, pr_practice):
    response = pr_client.post(reverse("practice:provider"), {**VALID, "zip_code": "78701"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_zip_code_error"' in html
    assert "ZIP+4 required for claims: e.g. 94111-1234" in html
    assert not ProviderProfile.objects.filter(practice=pr_practice).exists()


def test_setup_hub_names_a_stored_5_digit_zip(pr_client, pr_practice):
    assert pr_client.post(reverse("practice:provider"), VALID).status_code == 302
    hub = pr_client.get(reverse("practice:setup")).content.decode()
    assert 'id="zip4-needed"' not in hub
    ProviderProfile.objects.filter(practice=pr_practice).update(zip_code="78701")
    hub = pr_client.get(reverse("practice:setup")).content.decode()
    assert "Billing address: ZIP+4 required for claims: e.g. 94111-1234" in hub
