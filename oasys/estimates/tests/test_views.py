"""The client's Good-faith estimates page and the Issue estimate form: proposed lines, issuing
(and emailing) from the form, row errors with nothing written, the refusal for a client
billed to insurance, the download audited, 404 for another practice's client."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.models import AuditAction, AuditEvent, SentEmail
from oasys.estimates.models import EstimateStatus, GoodFaithEstimate
from oasys.estimates.services import estimate_issue

pytestmark = pytest.mark.django_db


def _form(rows: list[dict[str, str]], **extra) -> dict[str, str]:
    data = {"period_start": "2027-01-01", "period_end": "2027-12-31", "rows": str(len(rows)),
            "issue": "1", **extra}
    for i, row in enumerate(rows):
        data.update({f"line-{i}-{k}": v for k, v in row.items()})
    return data


def test_the_client_page_links_to_estimates(owner_client, practice):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    page = owner_client.get(reverse("clients:detail", args=[client.pk])).content.decode()
    assert reverse("estimates:list", args=[client.pk]) in page
    assert "Good-faith estimates" in page


def test_the_form_proposes_weekly_lines_from_the_fee(owner_client, practice):
    f.make_service_type(practice, name="Individual therapy", cpt_code="90837",
                        rate=Decimal("150.00"))
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    url = reverse("estimates:new", args=[client.pk])
    page = owner_client.get(url, {"period_start": "2027-01-01", "period_end": "2027-12-31",
                                  "frequency": "weekly"}).content.decode()
    assert 'name="line-0-cpt_code" aria-label="Line 1 CPT" value="90837"' in page
    assert 'value="52"' in page and 'value="150.00"' in page
    page = owner_client.get(url, {"period_start": "2027-01-01", "period_end": "2027-12-31",
                                  "frequency": "biweekly"}).content.decode()
    assert 'value="26"' in page


def test_issue_and_email_from_the_form_then_list_and_download(owner_client, practice):
    f.make_profile(practice)
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY,
                           email="jordan@example.com")
    url = reverse("estimates:new", args=[client.pk])
    with f.committed():
        resp = owner_client.post(url, _form([
            {"cpt_code": "90837", "description": "Therapy", "quantity": "52",
             "unit_cost": "150"},
            {"cpt_code": "", "description": "", "quantity": "", "unit_cost": ""},  # ignored
        ], email="1"))
    assert resp.status_code == 302
    estimate = GoodFaithEstimate.objects.get()
    assert (estimate.client_id, estimate.total, estimate.lines.count()) == (
        client.pk, Decimal("7800.00"), 1)
    email = SentEmail.objects.get(object_type="GoodFaithEstimate")
    assert email.to == "jordan@example.com" and email.attachments.count() == 1

    page = owner_client.get(reverse("estimates:list", args=[client.pk])).content.decode()
    assert estimate.number in page and "$7,800.00" in page
    assert "Jan 1, 2027 – Dec 31, 2027" in page and "emailed" in page
    pdf_url = reverse("estimates:pdf", args=[client.pk, estimate.pk])
    assert pdf_url in page
    pdf = owner_client.get(pdf_url)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert AuditEvent.objects.filter(category="estimate", action=AuditAction.EXPORT,
                                     object_id=str(estimate.pk)).exists()


def test_a_bad_row_is_shown_and_nothing_written(owner_client, practice):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    resp = owner_client.post(reverse("estimates:new", args=[client.pk]), _form([
        {"cpt_code": "90837", "description": "Therapy", "quantity": "0", "unit_cost": "150"},
    ]))
    assert resp.status_code == 422
    assert "A quantity is from 1 to 1000." in resp.content.decode()
    assert not GoodFaithEstimate.objects.exists()


def test_a_client_billed_to_insurance_is_refused_on_screen(owner_client, practice):
    client = f.make_client(practice, billing_type=BillingType.INSURANCE)
    page = owner_client.get(reverse("estimates:list", args=[client.pk])).content.decode()
    assert "billed to insurance" in page
    assert reverse("estimates:new", args=[client.pk]) not in page
    resp = owner_client.post(reverse("estimates:new", args=[client.pk]), _form([
        {"cpt_code": "90837", "description": "Therapy", "quantity": "1", "unit_cost": "150"},
    ]))
    assert resp.status_code == 409 and "billed to insurance" in resp.content.decode()
    assert not GoodFaithEstimate.objects.exists()


def test_void_from_the_list(owner_client, practice):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    estimate = estimate_issue(practice=practice, client=client,
                              period_start=dt.date(2027, 1, 1),
                              period_end=dt.date(2027, 3, 31),
                              lines=[{"cpt_code": "90834", "quantity": 12, "unit_cost": "100"}],
                              ctx=f.ctx_for(practice=practice))
    resp = owner_client.post(reverse("estimates:void", args=[client.pk, estimate.pk]))
    assert resp.status_code == 302
    estimate.refresh_from_db()
    assert estimate.status == EstimateStatus.VOID


def test_another_practices_client_is_404(owner_client, other_practice):
    theirs = f.make_client(other_practice, billing_type=BillingType.SELF_PAY)
    for name in ("estimates:list", "estimates:new"):
        assert owner_client.get(reverse(name, args=[theirs.pk])).status_code == 404
    estimate = estimate_issue(practice=other_practice, client=theirs,
                              period_start=dt.date(2027, 1, 1),
                              period_end=dt.date(2027, 3, 31),
                              lines=[{"cpt_code": "90834", "quantity": 12, "unit_cost": "100"}],
                              ctx=f.ctx_for(practice=other_practice))
    assert owner_client.get(reverse("estimates:pdf", args=[theirs.pk, estimate.pk])
                            ).status_code == 404
    assert owner_client.post(reverse("estimates:void", args=[theirs.pk, estimate.pk])
                             ).status_code == 404


def test_the_pages_audit_the_read(owner_client, practice):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    for name in ("estimates:list", "estimates:new"):
        before = AuditEvent.objects.filter(category="estimate", action=AuditAction.READ,
                                           client_id_ref=client.pk).count()
        assert owner_client.get(reverse(name, args=[client.pk])).status_code == 200
        assert AuditEvent.objects.filter(category="estimate", action=AuditAction.READ,
                                         client_id_ref=client.pk).count() == before + 1
