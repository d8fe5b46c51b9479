"""Accepted payer page → Submit enrollment goes through the clearinghouse (the simulator as a
real process), and the periodic refresh brings it to Active."""

import pytest
from django.urls import reverse

from oasys.clearinghouse.services import enrollments_refresh
from oasys.core.identifiers import npi_with_check_digit
from oasys.practice.models import AcceptedPayer, Enrollment, Payer, ProviderProfile

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrollment(practice):
    ProviderProfile.objects.create(
        practice=practice, first_name="Dana", last_name="Reyes",
        npi=npi_with_check_digit("123456789"), tax_id="364812957", taxonomy_code="101YM0800X",
        contact_name="Dana Reyes", contact_email="dana@test.example", contact_phone="3125550142",
        address1="1 Main St", city="Chicago", state="IL", zip_code="60614-2203",
    )
    payer = Payer.objects.create(name="Aetna Health, Inc.", payer_id_claims="60054",
                                 payer_id_era="60054", supports_claims=True, supports_era=True,
                                 enrollment_required_era=True)
    accepted = AcceptedPayer.objects.create(practice=practice, payer=payer)
    return Enrollment.objects.create(practice=practice, accepted_payer=accepted,
                                     transaction_type="era")


def test_submit_button_sends_then_refresh_makes_it_active(
    owner_client, enrollment, clearinghouse_sim, settings
):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    url = reverse("clearinghouse:enrollment_submit",
                  args=[enrollment.accepted_payer_id, enrollment.pk])
    resp = owner_client.post(url)
    assert resp.status_code == 302
    enrollment.refresh_from_db()
    assert enrollment.status == "pending" and enrollment.external_id
    page = owner_client.get(reverse("practice:accepted_payer", args=[enrollment.accepted_payer_id]))
    assert b"Check enrollment status" in page.content
    clearinghouse_sim.advance(25)
    assert enrollments_refresh() == 1
    enrollment.refresh_from_db()
    assert enrollment.status == "active" and enrollment.effective_date is not None


def test_submit_refuses_get_and_other_practice(client, other_owner, enrollment):
    client.force_login(other_owner)
    url = reverse("clearinghouse:enrollment_submit",
                  args=[enrollment.accepted_payer_id, enrollment.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 404
    enrollment.refresh_from_db()
    assert enrollment.status == "not_started"


def test_clearinghouse_down_is_reported_and_changes_nothing(owner_client, enrollment, settings):
    settings.CLEARINGHOUSE_ADAPTER = "stedi"  # the real adapter, at an address where
    settings.CLEARINGHOUSE_BASE_URL = "http://127.0.0.1:9"  # nothing listens
    settings.CLEARINGHOUSE_TIMEOUT_SECONDS = 2
    url = reverse("clearinghouse:enrollment_submit",
                  args=[enrollment.accepted_payer_id, enrollment.pk])
    resp = owner_client.post(url, follow=True)
    assert b"could not take the enrollment" in resp.content
    enrollment.refresh_from_db()
    assert enrollment.status == "not_started" and not enrollment.external_id
