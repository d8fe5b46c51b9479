"""GET /api/v1/clients/{id}/statement.pdf and POST /api/v1/clients/{id}/statement/send:
the PDF of the period, audited as an export; bad or missing dates a 422 naming the field;
another practice's client 404; the email recorded with the PDF attached."""

from __future__ import annotations

import secrets
import subprocess

import pytest
from django.test import Client as HttpClient

from oasys.core.models import ApiToken, AuditEvent, SentEmail

from .world import client_month

pytestmark = pytest.mark.django_db


def _url(client_id: int) -> str:
    return f"/api/v1/clients/{client_id}/statement.pdf"


def test_the_api_answers_the_statement_pdf_and_audits_the_export(api_client, practice):
    m = client_month(practice)
    resp = api_client.get(_url(m.client.pk), {"from": "2026-02-01", "to": "2026-02-28"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert "2026-02-01" in resp["Content-Disposition"]
    assert m.client.last_name not in resp["Content-Disposition"]  # no name in file names
    text = subprocess.run(["pdftotext", "-", "-"], input=resp.content, capture_output=True,
                          check=True).stdout.decode()
    assert "Jordan Kim" in text and "$45.00" in text
    event = AuditEvent.objects.filter(category="statement", action="export").get()
    assert (event.client_id_ref, event.detail["format"], event.detail["from"]) == (
        m.client.pk, "pdf", "2026-02-01")
    schema = api_client.get("/api/v1/openapi.json").json()
    assert "application/pdf" in str(schema["paths"]["/api/v1/clients/{client_id}/statement.pdf"])


@pytest.mark.parametrize(("query", "field"), [
    ({}, "from"), ({"from": "2026-02-01"}, "to"), ({"from": "02/01/2026", "to": "2026-02-28"},
                                                   "from"),
    ({"from": "2026-03-01", "to": "2026-02-01"}, "to"),
])
def test_bad_or_missing_dates_answer_422_naming_the_field(api_client, practice, query, field):
    m = client_month(practice)
    resp = api_client.get(_url(m.client.pk), query)
    assert resp.status_code == 422
    assert field in resp.json()["errors"]
    assert not AuditEvent.objects.filter(category="statement").exists()


def test_another_practices_client_is_not_found(practice, other_owner):
    m = client_month(practice)
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=other_owner, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    http = HttpClient(headers={"Authorization": f"Bearer {key}"})
    period = {"from": "2026-02-01", "to": "2026-02-28"}
    assert http.get(_url(m.client.pk), period).status_code == 404
    resp = http.post(f"/api/v1/clients/{m.client.pk}/statement/send", period,
                     content_type="application/json")
    assert resp.status_code == 404
    assert not SentEmail.objects.exists()


def test_send_emails_the_statement_with_the_pdf(api_client, practice, mailoutbox):
    m = client_month(practice)
    resp = api_client.post(f"/api/v1/clients/{m.client.pk}/statement/send",
                           {"from": "2026-02-01", "to": "2026-02-28"},
                           content_type="application/json")
    assert resp.status_code == 202, resp.content
    email = SentEmail.objects.get(pk=resp.json()["email_id"])
    assert (email.to, email.kind, email.object_type, email.client_id) == (
        m.client.email, "statement", "Client", m.client.pk)
    assert email.attachment_names == ["Statement 2026-02-01 to 2026-02-28.pdf"]
    assert "Balance due: $45.00" in email.text_body
    assert "F41.1" not in email.text_body + email.html_body
    assert "Intake forms" not in email.text_body  # no sessions or lines in the body


def test_send_without_an_email_address_is_refused(api_client, practice):
    m = client_month(practice)
    m.client.email = ""
    m.client.save()
    resp = api_client.post(f"/api/v1/clients/{m.client.pk}/statement/send",
                           {"from": "2026-02-01", "to": "2026-02-28"},
                           content_type="application/json")
    assert resp.status_code == 422 and "email" in resp.json()["errors"]
    assert not SentEmail.objects.exists()
