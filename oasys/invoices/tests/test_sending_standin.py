"""Sending against the Stripe stand-in as a real process, through the real adapter (the
official SDK): the invoice is created and finalized on the practice's connected account,
and the hosted page the email links to is served by the stand-in."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from django.utils import timezone

from oasys.billing.tests.factories import committed
from oasys.core.audit import AuditContext
from oasys.core.models import SentEmail
from oasys.invoices.models import InvoiceStatus
from oasys.invoices.sending import invoice_send
from oasys.invoices.services import invoice_create_standalone

from .charging_world import account_active, cash_client

pytestmark = pytest.mark.django_db


def test_a_sent_invoice_links_to_a_hosted_page_the_standin_serves(stripe_standin, practice,
                                                                  owner):
    ctx = AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)
    account = account_active(practice, lambda acct: stripe_standin.control(
        f"accounts/{acct}", {"state": "active"}))
    client = cash_client(practice)
    invoice = invoice_create_standalone(
        practice=practice, client_id=client.pk, ctx=ctx,
        lines=[{"description": "Late cancellation fee", "date": timezone.localdate(),
                "amount": "45.00"}])
    with committed():
        invoice_send(invoice=invoice, ctx=ctx)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.stripe_account_id == account.stripe_account_id
    assert invoice.hosted_invoice_url.startswith(stripe_standin.base_url)

    remote = stripe_standin.client().v1.invoices.retrieve(
        invoice.stripe_invoice_id, options={"stripe_account": account.stripe_account_id})
    assert (remote.status, remote.total) == ("open", 4500)
    assert remote.metadata.to_dict() == {"oasys_invoice_id": str(invoice.pk),
                                         "oasys_invoice_number": invoice.number}

    page = httpx.get(invoice.hosted_invoice_url, timeout=10)
    assert page.status_code == 200
    assert "Late cancellation fee" in page.text and "$45.00" in page.text

    email = SentEmail.objects.get(kind="invoice", object_id=str(invoice.pk))
    assert invoice.hosted_invoice_url in email.text_body
    assert Decimal("45.00") == invoice.total
