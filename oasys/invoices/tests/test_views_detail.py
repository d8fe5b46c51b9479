"""The invoice page shows everything that happened to the invoice (lines, the journal's
figures, status history, emails, card attempts, payments, refunds, journal entries, the
Stripe page); a payment's receipt PDF; the Billing panel of a client's page. Billing roles
only; another practice's invoice, payment or client is a 404."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from oasys.core.formats import date_text
from oasys.core.models import AuditEvent, Role, SentEmail
from oasys.core.services import user_create
from oasys.invoices.actions import invoice_record_payment, invoice_refund
from oasys.invoices.models import AttemptOutcome, AttemptTrigger, PaymentAttempt
from oasys.payments.models import ClientPaymentProfile

from .actions_support import ctx_of, customer_of, draft, open_invoice, stripe_account
from .pdftext import pdf_read

pytestmark = pytest.mark.django_db


def _html(resp) -> str:
    assert resp.status_code == 200, resp.status_code
    return resp.content.decode()


def _email(invoice, subject="Invoice from Serenity") -> SentEmail:
    return SentEmail.objects.create(
        practice_id=invoice.practice_id, to="avery@example.com", from_email="p@x.example",
        subject=subject, kind="invoice", object_type="Invoice", object_id=str(invoice.pk),
        client_id=invoice.client_id, text_body="t", html_body="<p>t</p>")


@pytest.fixture
def paid_and_refunded(practice, owner):
    """An Open $150 invoice paid $100 in cash then $50 by check, and $30 refunded."""
    invoice = open_invoice(practice)
    ctx = ctx_of(owner)
    today = timezone.localdate()
    invoice_record_payment(invoice=invoice, amount="100", method="cash", received_on=today,
                           reference="", token="a", ctx=ctx, actor=owner)
    check = invoice_record_payment(invoice=invoice, amount="50", method="check",
                                   received_on=today, reference="Check 1042", token="b",
                                   ctx=ctx, actor=owner)
    invoice.refresh_from_db()
    invoice_refund(invoice=invoice, amount="30", reason="Overcharged", token="r", ctx=ctx,
                   actor=owner, payment_id=check.pk)
    invoice.refresh_from_db()
    return invoice, check


def test_the_page_shows_lines_figures_history_payments_refunds_and_journal(
        owner_client, paid_and_refunded):
    invoice, check = paid_and_refunded
    _email(invoice, subject="Your invoice INV-test")
    html = _html(owner_client.get(reverse("invoices:detail", args=[invoice.pk])))
    assert "Late cancellation fee" in html
    assert 'data-testid="invoice-total">$150.00' in html
    assert 'data-testid="invoice-paid">$150.00' in html
    assert 'data-testid="invoice-refunded">$30.00' in html
    assert 'data-testid="invoice-balance">$0.00' in html  # a refund is not owed again
    # history: each status, and who moved it
    for status in ("draft", "sending", "open", "paid"):
        assert f"<td>{status}</td>" in html
    assert "Dana" in html  # the owner recorded the payment that paid it
    # payments, with their receipts; the refund names its payment and reason
    assert "Check 1042" in html and "Cash" in html
    assert reverse("invoices:receipt", args=[invoice.pk, check.pk]) in html
    assert "Overcharged" in html and "$30.00" in html
    # the journal: the charge, two payments, the refund
    for words in ("Charge", "Client payment", "Refund"):
        assert words in html
    # emails link to the outbox
    email = SentEmail.objects.get(object_id=str(invoice.pk))
    assert "Your invoice INV-test" in html
    assert reverse("outbox:detail", args=[email.pk]) in html


def test_a_draft_says_nothing_was_posted_and_offers_send_and_void(owner_client, practice):
    invoice = draft(practice)
    html = _html(owner_client.get(reverse("invoices:detail", args=[invoice.pk])))
    assert 'data-testid="invoice-balance">$0.00' in html  # a Draft owes nothing yet
    assert "Nothing posted yet" in html
    assert 'data-testid="action-send"' in html and 'data-testid="void"' in html
    for absent in ("action-resend", 'data-testid="record-payment"', 'data-testid="refund"',
                   'data-testid="mark-uncollectible"', "action-charge"):
        assert absent not in html


def test_card_attempts_show_the_decline_in_words_and_the_next_retry(owner_client, practice):
    invoice = open_invoice(practice)
    retry = timezone.now() + timezone.timedelta(days=3)
    PaymentAttempt.objects.create(
        practice=practice, invoice=invoice, number=1, trigger=AttemptTrigger.SEND,
        outcome=AttemptOutcome.DECLINED, amount=Decimal("150.00"), card_brand="visa",
        card_last4="0341", decline_code="insufficient_funds",
        reason="The card has insufficient funds.")
    type(invoice).objects.filter(pk=invoice.pk).update(
        next_charge_at=retry, declines=1, decline_reason="The card has insufficient funds.")
    html = _html(owner_client.get(reverse("invoices:detail", args=[invoice.pk])))
    assert "Visa ending 0341" in html
    assert "Declined" in html and "The card has insufficient funds." in html
    assert 'data-testid="next-retry"' in html
    assert date_text(timezone.localtime(retry)) in html


def test_an_invoice_on_stripe_links_its_hosted_page(owner_client, practice, payments):
    account = stripe_account(practice, lambda a: payments.account_state_set(a, "active"))
    invoice = draft(practice)
    customer_of(invoice, account)
    type(invoice).objects.filter(pk=invoice.pk).update(
        stripe_account_id=account.stripe_account_id, stripe_invoice_id="in_test_1",
        hosted_invoice_url="https://invoice.stripe.test/i/abc")
    html = _html(owner_client.get(reverse("invoices:detail", args=[invoice.pk])))
    assert 'href="https://invoice.stripe.test/i/abc"' in html and "in_test_1" in html


def test_the_page_is_an_audited_read(owner_client, practice):
    invoice = open_invoice(practice)
    owner_client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert AuditEvent.objects.filter(object_type="Invoice", object_id=str(invoice.pk),
                                     action="read").exists()


def test_the_receipt_pdf_says_what_was_paid(owner_client, paid_and_refunded):
    invoice, check = paid_and_refunded
    resp = owner_client.get(reverse("invoices:receipt", args=[invoice.pk, check.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    text = pdf_read(resp.content).text
    assert "RECEIPT" in text and "$50.00" in text and "Check 1042" in text
    assert invoice.number in text
    assert AuditEvent.objects.filter(object_type="InvoicePayment", object_id=str(check.pk),
                                     action="export").exists()


def test_a_receipt_of_another_invoices_payment_is_not_found(owner_client, practice,
                                                            paid_and_refunded):
    _invoice, check = paid_and_refunded
    other = open_invoice(practice)
    assert owner_client.get(reverse("invoices:receipt", args=[other.pk, check.pk])
                            ).status_code == 404


def test_pages_are_billing_only_and_scoped(client, practice, other_owner, paid_and_refunded):
    invoice, check = paid_and_refunded
    urls = [reverse("invoices:detail", args=[invoice.pk]),
            reverse("invoices:receipt", args=[invoice.pk, check.pk]),
            reverse("invoices:client_panel", args=[invoice.client_id])]
    clinician = user_create(practice=practice, email="clin@test.example",
                            password="pw-long-enough-1", role=Role.CLINICIAN)
    client.force_login(clinician)
    assert [client.get(u).status_code for u in urls] == [403, 403, 403]
    client.force_login(other_owner)
    assert [client.get(u).status_code for u in urls] == [404, 404, 404]


# --- the client page's Billing panel -----------------------------------------------------------
def test_the_client_page_loads_the_billing_panel_by_htmx(owner_client, practice):
    invoice = open_invoice(practice)
    html = _html(owner_client.get(reverse("clients:detail", args=[invoice.client_id])))
    assert f'hx-get="{reverse("invoices:client_panel", args=[invoice.client_id])}"' in html


def test_the_panel_shows_invoices_payments_balance_card_and_autopay(owner_client, practice,
                                                                    payments, owner):
    invoice = open_invoice(practice)
    second = open_invoice(practice, amount="80.00", client=invoice.client)
    invoice_record_payment(invoice=invoice, amount="150", method="cash",
                           received_on=timezone.localdate(), token="p", ctx=ctx_of(owner),
                           actor=owner)
    account = stripe_account(practice, lambda a: payments.account_state_set(a, "active"))
    ClientPaymentProfile.objects.create(
        practice=practice, client=invoice.client, account=account,
        stripe_customer_id="cus_1", card_payment_method_id="pm_1", card_brand="visa",
        card_last4="4242", card_exp_month=4, card_exp_year=2030,
        autopay_consent_at=timezone.now())
    html = _html(owner_client.get(reverse("invoices:client_panel",
                                          args=[invoice.client_id])))
    assert invoice.number in html and second.number in html
    assert 'data-testid="panel-balance">$80.00' in html  # the journal's client balance
    assert "Visa ending 4242" in html and "consent given" in html
    assert 'data-testid="panel-payments"' in html and "$150.00" in html
    assert AuditEvent.objects.filter(client_id_ref=invoice.client_id, object_type="Client",
                                     action="read").exists()


def test_the_panel_without_a_card_says_invoices_are_emailed(owner_client, practice):
    invoice = open_invoice(practice)
    html = _html(owner_client.get(reverse("invoices:client_panel",
                                          args=[invoice.client_id])))
    assert "none" in html and "no consent" in html
    assert 'data-testid="panel-payments"' not in html
