import pytest
from django.urls import reverse

from oasys.billing.tests import factories as f
from oasys.invoices.services import invoice_create_for_session

pytestmark = pytest.mark.django_db


def test_manage_invoices_lists_and_shows_drafts(owner_client, practice):
    appt = f.self_pay_session(practice)
    invoice = invoice_create_for_session(practice=practice, appointment_id=appt.pk,
                                         amount=appt.service_type.rate, cpt="90834",
                                         ctx=f.ctx_for(practice=practice))
    page = owner_client.get(reverse("invoices:list"))
    assert page.status_code == 200 and invoice.number.encode() in page.content
    assert b"Manage Invoices" in page.content
    detail = owner_client.get(reverse("invoices:detail", args=[invoice.pk]))
    assert detail.status_code == 200 and b"$130.00" in detail.content
    drafts = owner_client.get(reverse("invoices:list") + "?status=paid")
    assert invoice.number.encode() not in drafts.content


def test_invoices_are_billing_only_and_scoped(client, other_owner, practice):
    appt = f.self_pay_session(practice)
    invoice = invoice_create_for_session(practice=practice, appointment_id=appt.pk,
                                         amount=appt.service_type.rate, cpt="90834",
                                         ctx=f.ctx_for(practice=practice))
    client.force_login(other_owner)
    assert client.get(reverse("invoices:detail", args=[invoice.pk])).status_code == 404
    assert invoice.number.encode() not in client.get(reverse("invoices:list")).content
