"""Bill Sessions: "What is missing" and fix-it links keep the filters, and "Select all N
matching" bills every Ready session of the filters across pages (recomputed on the server)."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from oasys.billing import views as billing_views
from oasys.billing.selectors import QueueFilters
from oasys.billing.services import billing_submit_matching
from oasys.core.models import AuditEvent
from oasys.invoices.models import InvoiceLine

from . import factories as f

pytestmark = pytest.mark.django_db

QUEUE = "/billing/sessions/"
SUBMIT = "/billing/sessions/submit/"


def _hrefs(html: str) -> list[str]:
    return [htmllib.unescape(h) for h in re.findall(r'href="([^"]*)"', html)]


# --- links keep the client filter ---------------------------------------------------------------


def test_what_is_missing_and_fix_links_keep_the_client_filter(practice, owner_client):
    mine = f.ready_claim_session(practice)
    mine.diagnosis.delete()
    other = f.ready_claim_session(practice, profile=mine.profile)
    other.diagnosis.delete()
    query = {"tab": "incomplete", "client": str(mine.client.pk)}
    html = owner_client.get(QUEUE, query).content.decode()
    assert f'data-session="{mine.appointment.pk}"' in html
    assert f'data-session="{other.appointment.pk}"' not in html
    assert 'data-testid="client-filter"' in html

    # The summary's reason link narrows within the same client.
    summary = [h for h in _hrefs(html) if "reason=missing_diagnosis" in h]
    assert summary, "no What is missing link"
    assert parse_qs(urlsplit(summary[0]).query)["client"] == [str(mine.client.pk)]

    # The fix-it link carries the filtered list back.
    fix = next(h for h in _hrefs(html) if h.startswith(f"/billing/clients/{mine.client.pk}/"
                                                       "diagnoses/"))
    back = parse_qs(urlsplit(fix).query)["next"][0]
    assert urlsplit(back).path == QUEUE
    assert parse_qs(urlsplit(back).query) == {"tab": ["incomplete"],
                                              "client": [str(mine.client.pk)]}

    # Fixing it there comes back to the filtered list.
    response = owner_client.post(fix, {"action": "add", "code": "F41.1"})
    assert response.status_code == 302 and response["Location"] == back


def test_a_next_to_another_site_is_ignored(practice, owner_client):
    s = f.ready_claim_session(practice)
    url = f"/billing/clients/{s.client.pk}/diagnoses/?next=//evil.example/x"
    response = owner_client.post(url, {"action": "add", "code": "F32.1"})
    assert response.status_code == 302
    assert response["Location"] == f"/billing/clients/{s.client.pk}/diagnoses/"


# --- select all across pages ---------------------------------------------------------------------


@pytest.fixture
def three_ready(practice, monkeypatch):
    monkeypatch.setattr(billing_views, "PAGE_SIZE", 2)
    clinician = f.make_clinician(practice)
    service_type = f.make_service_type(practice)
    sessions = [f.self_pay_session(practice, clinician=clinician, service_type=service_type,
                                   days_ago=d) for d in (2, 3, 4)]
    other = f.self_pay_session(practice, service_type=service_type)  # another clinician
    return clinician, sessions, other


def test_the_banner_offers_every_ready_match_with_the_filters(practice, owner_client,
                                                              three_ready):
    clinician, _sessions, _other = three_ready
    html = owner_client.get(QUEUE, {"clinician": clinician.pk}).content.decode()
    assert 'data-testid="select-all-banner"' in html
    assert "Select all 3 Ready sessions matching these filters" in html
    assert f'name="clinician" value="{clinician.pk}"' in html
    assert 'name="expected" value="3"' in html


def test_no_banner_when_everything_is_on_the_page(practice, owner_client):
    f.self_pay_session(practice)
    html = owner_client.get(QUEUE).content.decode()
    assert 'data-testid="select-all-banner"' not in html


def test_select_all_matching_bills_every_page_and_only_the_filters(practice, owner_client,
                                                                   three_ready):
    clinician, sessions, other = three_ready
    response = owner_client.post(SUBMIT, {"all_matching": "1", "clinician": clinician.pk,
                                          "expected": "3"})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?clinician={clinician.pk}"
    billed = set(InvoiceLine.objects.values_list("appointment_id", flat=True))
    assert billed == {s.pk for s in sessions}
    assert other.pk not in billed
    event = AuditEvent.objects.get(category="billing_submit")
    assert event.detail["matching"] == 3 and event.detail["expected"] == 3

    # Pressing again bills nothing twice.
    owner_client.post(SUBMIT, {"all_matching": "1", "clinician": clinician.pk})
    assert InvoiceLine.objects.count() == 3


def test_a_session_that_stopped_being_ready_is_skipped_with_its_reason(practice, three_ready):
    clinician, sessions, _other = three_ready
    gone = sessions[0]
    gone.client.email = ""  # no longer Ready: an invoice could not be delivered
    gone.client.save()
    result = billing_submit_matching(
        practice=practice, filters=QueueFilters(clinician_id=clinician.pk),
        also_ids=[gone.pk], ctx=f.ctx_for(practice=practice), expected=3)
    assert result.matching == 2
    assert [i for i, _ in result.skipped] == [gone.pk]
    assert "no email address" in result.skipped[0][1].lower()
    assert set(InvoiceLine.objects.values_list("appointment_id", flat=True)) == {
        s.pk for s in sessions[1:]}


def test_a_client_sent_list_is_not_trusted(practice, owner_client, three_ready):
    clinician, _sessions, other = three_ready
    # An id outside the filters, slipped into the form, is billed only if it is Ready on its
    # own terms (it is reported, never billed blindly as part of "all matching").
    incomplete = f.self_pay_session(practice, clinician=clinician, email="")
    owner_client.post(SUBMIT, {"all_matching": "1", "clinician": clinician.pk,
                               "session": [incomplete.pk]})
    billed = set(InvoiceLine.objects.values_list("appointment_id", flat=True))
    assert incomplete.pk not in billed and other.pk not in billed


def test_bad_filters_bill_nothing(practice, owner_client, three_ready):
    response = owner_client.post(SUBMIT, {"all_matching": "1", "date_from": "not a date"})
    assert response.status_code == 302
    assert not InvoiceLine.objects.exists()
