"""The client page's Statement action: the period form with the journal's figures, Download
PDF (audited), Email (recorded, the PDF attached); another practice's client 404; and the
statement settings page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from oasys.core.models import AuditEvent, SentEmail
from oasys.statements.selectors import statement_settings_get

from .world import client_month

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2026-02-01", "end": "2026-02-28"}


def test_the_client_page_links_to_the_statement(owner_client, practice):
    m = client_month(practice)
    page = owner_client.get(reverse("clients:detail", args=[m.client.pk]))
    assert reverse("statements:client", args=[m.client.pk]).encode() in page.content


def test_the_statement_page_shows_the_periods_figures(owner_client, practice):
    m = client_month(practice)
    page = owner_client.get(reverse("statements:client", args=[m.client.pk]), PERIOD)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="statement-balance">$45.00' in html
    assert "−$78.00" in html and "$130.00" in html
    assert AuditEvent.objects.filter(category="statement", action="read",
                                     client_id_ref=m.client.pk).count() == 1


def test_download_answers_the_pdf_and_audits_it(owner_client, practice):
    m = client_month(practice)
    resp = owner_client.post(reverse("statements:client", args=[m.client.pk]),
                             {**PERIOD, "action": "download"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(category="statement", action="export",
                                     client_id_ref=m.client.pk).count() == 1


def test_email_sends_it_to_the_client(owner_client, practice):
    m = client_month(practice)
    resp = owner_client.post(reverse("statements:client", args=[m.client.pk]),
                             {**PERIOD, "action": "email"})
    assert resp.status_code == 302
    email = SentEmail.objects.get()
    assert email.to == m.client.email and email.attachment_names[0].endswith(".pdf")


def test_a_backwards_period_is_refused_and_sends_nothing(owner_client, practice):
    m = client_month(practice)
    resp = owner_client.post(reverse("statements:client", args=[m.client.pk]),
                             {"start": "2026-03-01", "end": "2026-02-01", "action": "email"})
    assert resp.status_code == 422 and b"ends before it starts" in resp.content
    assert not SentEmail.objects.exists()


def test_another_practices_client_is_not_found(client, practice, other_owner):
    m = client_month(practice)
    client.force_login(other_owner)
    url = reverse("statements:client", args=[m.client.pk])
    assert client.get(url, PERIOD).status_code == 404
    assert client.post(url, {**PERIOD, "action": "download"}).status_code == 404


def test_the_settings_page_turns_the_monthly_run_on(owner_client, practice):
    url = reverse("statements:settings")
    assert owner_client.get(url).status_code == 200
    assert owner_client.post(url, {"monthly_run": "on"}).status_code == 302
    assert statement_settings_get(practice=practice).monthly_run is True
