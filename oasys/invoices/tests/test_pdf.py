"""The invoice and receipt PDFs (oasys.invoices.pdf), the download on the invoice's page and
GET /api/v1/invoices/{id}/pdf. The PDFs are read back (tests/pdftext.py) and must carry the
invoice's number, lines and the journal's figures, never a diagnosis code, and lay out many
long lines over several pages with the column names on each."""

from __future__ import annotations

import datetime as dt
import secrets
import zoneinfo
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.formats import date_text
from oasys.core.models import ApiToken, AuditEvent, Role
from oasys.core.services import user_create
from oasys.invoices.models import Invoice, InvoiceKind, InvoiceLine
from oasys.invoices.pdf import invoice_pdf, receipt_pdf
from oasys.invoices.services import invoice_create_for_session, invoice_number_next
from oasys.invoices.tests.helpers import invoice_opened
from oasys.ledger.services import ledger_post_client_payment, ledger_post_invoice_charge

from .pdftext import pdf_read

pytestmark = pytest.mark.django_db

LONG = ("Family therapy session with the client and two family members, including a review "
        "of the treatment plan, homework assigned last week and the coordination call with "
        "the school counselor")[:200]


def _session_invoice(practice, **client):
    appt = f.self_pay_session(practice, **client)
    f.make_diagnosis(appt.client, code="F41.1")
    return invoice_opened(invoice_create_for_session(
        practice=practice, appointment_id=appt.pk, amount=Decimal("130.00"), cpt="90834",
        ctx=f.ctx_for(practice=practice)))


def _invoice_with_lines(practice, lines: list[tuple[str, Decimal]]) -> Invoice:
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY, first_name="Morgan",
                           last_name="Ellis")
    f.make_diagnosis(client, code="F33.1")
    invoice = Invoice.objects.create(
        practice=practice, client=client, number=invoice_number_next(practice=practice),
        kind=InvoiceKind.STANDALONE, issue_date=dt.date(2026, 3, 2),
        due_date=dt.date(2026, 3, 16))
    for i, (text, amount) in enumerate(lines):
        InvoiceLine.objects.create(practice=practice, invoice=invoice, description=text,
                                   service_date=dt.date(2026, 1, 1) + dt.timedelta(days=i),
                                   amount=amount)
    ledger_post_invoice_charge(invoice=invoice, amount=sum(a for _, a in lines),
                               ctx=f.ctx_for(practice=practice))
    invoice.refresh_from_db()
    return invoice


def test_the_invoice_pdf_says_who_what_and_how_much(practice):
    f.make_profile(practice)
    invoice = _session_invoice(practice, first_name="Jordan", last_name="Kim",
                               address1="12 Oak St", address2="Apt 4", city="Chicago",
                               state="IL", zip_code="60614")
    doc = pdf_read(invoice_pdf(invoice=invoice, pay_url="https://pay.example/i/abc"))
    text = doc.text
    assert len(doc.pages) == 1
    for expected in (
        # the practice
        "Dana Reyes", "100 Main St", "Chicago, IL 60601-2207", "Phone (312) 555-0100",
        "INVOICE", invoice.number, date_text(invoice.issue_date),
        date_text(invoice.due_date), "Open",
        "BILL TO", "Jordan Kim", "12 Oak St Apt 4", "Chicago, IL 60614",  # the client
        "Date of service", "Description", "CPT", "Amount",
        invoice.lines.get().description, "90834", "$130.00",
        "Total", "Paid", "$0.00", "Balance due",
        "Pay online by card at", "https://pay.example/i/abc",
        "Page 1 of 1",
    ):
        assert expected in text, expected
    assert date_text(invoice.lines.get().service_date) in text


def test_the_invoice_pdf_never_shows_a_diagnosis_code(practice):
    invoice = _session_invoice(practice)
    text = pdf_read(invoice_pdf(invoice=invoice)).text
    assert invoice.client.diagnoses.filter(code="F41.1").exists()
    assert "F41.1" not in text and "F411" not in text and "Diagnos" not in text


def test_the_figures_are_the_journals(practice):
    invoice = _session_invoice(practice)
    ledger_post_client_payment(invoice=invoice, amount=Decimal("50.00"), reference="chk-1001",
                               ctx=f.ctx_for(practice=practice))
    text = pdf_read(invoice_pdf(invoice=invoice)).text
    assert "Total\n$130.00\nPaid\n$50.00\nBalance due\n$80.00" in text


def test_without_a_pay_link_or_provider_profile_it_says_how_to_reach_the_practice(practice):
    invoice = _session_invoice(practice)
    text = pdf_read(invoice_pdf(invoice=invoice)).text
    assert "Serenity Test Counseling" in text  # no Provider Information: the practice name
    assert "Please contact Serenity Test Counseling to pay" in text
    assert "Pay online" not in text


def test_a_paid_invoice_says_nothing_is_due(practice):
    invoice = _session_invoice(practice)
    ledger_post_client_payment(invoice=invoice, amount=Decimal("130.00"), reference="ch_1",
                               ctx=f.ctx_for(practice=practice))
    text = pdf_read(invoice_pdf(invoice=invoice, pay_url="https://pay.example/i/x")).text
    assert "Nothing is due on this invoice" in text and "Pay online" not in text


def test_many_long_lines_flow_over_pages_with_the_column_names_on_each(practice):
    lines = [(f"{i + 1:02d} {LONG}", Decimal("25.50")) for i in range(60)]
    invoice = _invoice_with_lines(practice, lines)
    doc = pdf_read(invoice_pdf(invoice=invoice))
    assert len(doc.pages) >= 3
    for n, page in enumerate(doc.pages, start=1):
        if "$25.50" in page:  # a page of lines starts with the column names
            assert "Date of service\nDescription\nCPT\nAmount" in page
        assert f"Page {n} of {len(doc.pages)}" in page
    # the figures and how to pay stay together, after the last line
    assert "Balance due" in doc.pages[-1] and "Please contact" in doc.pages[-1]
    # every line is there, once, whole (wrapped, not cut), in order
    flat = " ".join(doc.text.split())
    positions = [flat.index(f"{i + 1:02d} {LONG}") for i in range(60)]
    assert positions == sorted(positions)
    assert flat.count("$25.50") == 60
    assert "$1,530.00" in doc.pages[-1] and "Balance due" in doc.pages[-1]
    assert "F33.1" not in doc.text


def test_text_typed_by_people_is_printed_as_typed(practice):
    invoice = _invoice_with_lines(practice, [('Late cancel <b>fee</b> & "notes"',
                                              Decimal("40.00"))])
    text = pdf_read(invoice_pdf(invoice=invoice)).text
    assert 'Late cancel <b>fee</b> & "notes"' in text


def test_the_receipt_says_what_was_paid_when_and_how(practice):
    f.make_profile(practice)
    invoice = _session_invoice(practice)
    ledger_post_client_payment(invoice=invoice, amount=Decimal("100.00"), reference="ch_3Ab",
                               ctx=f.ctx_for(practice=practice))
    # 02:30 UTC on Mar 3 is still Mar 2 in the practice's New York
    paid_at = dt.datetime(2026, 3, 3, 2, 30, tzinfo=zoneinfo.ZoneInfo("UTC"))
    doc = pdf_read(receipt_pdf(invoice=invoice, payment_amount=Decimal("100.00"),
                               paid_at=paid_at, method="Visa ending 4242", reference="ch_3Ab"))
    text = doc.text
    for expected in ("RECEIPT", "Dana Reyes", invoice.number, "Mar 2, 2026", "Amount paid",
                     "$100.00", "Visa ending 4242", "ch_3Ab", "Invoice total", "$130.00",
                     "Balance remaining", "$30.00", "Thank you for your payment"):
        assert expected in text, expected
    assert "F41.1" not in text and len(doc.pages) == 1


def test_the_invoice_page_downloads_its_pdf(owner_client, practice, owner):
    invoice = _session_invoice(practice)
    page = owner_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    url = reverse("invoices:pdf", args=[invoice.pk])
    assert f'href="{url}"' in page and "Download PDF" in page
    resp = owner_client.get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp["Content-Disposition"] == f'inline; filename="{invoice.number}.pdf"'
    assert invoice.number in pdf_read(resp.content).text
    event = AuditEvent.objects.filter(category="invoice", action="export").last()
    assert (event.object_id, event.client_id_ref, event.user_id_ref) == (
        str(invoice.pk), invoice.client_id, owner.pk)


def test_the_pdf_download_is_billing_only_and_scoped(client, practice, other_owner):
    invoice = _session_invoice(practice)
    url = reverse("invoices:pdf", args=[invoice.pk])
    clinician = user_create(practice=practice, email="clin@test.example",
                            password="pw-long-enough-1", role=Role.CLINICIAN)
    client.force_login(clinician)
    assert client.get(url).status_code == 403
    client.force_login(other_owner)
    assert client.get(url).status_code == 404


def test_the_api_answers_the_pdf(api_client, practice):
    invoice = _session_invoice(practice)
    resp = api_client.get(f"/api/v1/invoices/{invoice.pk}/pdf")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert "$130.00" in pdf_read(resp.content).text
    assert api_client.get("/api/v1/invoices/999999/pdf").status_code == 404
    schema = api_client.get("/api/v1/openapi.json").json()
    assert "application/pdf" in str(schema["paths"]["/api/v1/invoices/{invoice_id}/pdf"])


def test_the_api_pdf_of_another_practices_invoice_is_not_found(practice, other_owner):
    invoice = _session_invoice(practice)
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=other_owner, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    http = HttpClient(headers={"Authorization": f"Bearer {key}"})
    assert http.get(f"/api/v1/invoices/{invoice.pk}/pdf").status_code == 404
