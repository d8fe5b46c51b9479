"""An ERA's page: "Invoice the client share for all N claims" creates the client-
responsibility invoice of every claim of that ERA with a share not invoiced yet, once."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from oasys.billing.tests import factories as f
from oasys.invoices.models import Invoice, InvoiceKind
from oasys.remittance.models import Remittance
from oasys.remittance.services import era_import, remittance_client_invoices_create

from .helpers import Adj, C, copay_claim, era, submitted_claim

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def two_eras(practice):
    ctx = f.ctx_for(practice=practice)
    a, b, c, d = (submitted_claim(practice) for _ in range(4))
    full = C(c.patient_control_number, "130.00", "98.00", [Adj("CO", "45", "32.00")])
    era_import(practice=practice, raw=era([copay_claim(a), copay_claim(b), full], trace="E1"),
               ctx=ctx)
    era_import(practice=practice, raw=era([copay_claim(d)], trace="E2"), ctx=ctx)
    first = Remittance.objects.get(practice=practice, trace_number="E1")
    second = Remittance.objects.get(practice=practice, trace_number="E2")
    return first, second, (a, b, d)


def test_the_button_invoices_every_share_of_that_era_only_and_once(practice, owner_client,
                                                                   two_eras):
    first, second, (a, b, d) = two_eras
    page = owner_client.get(reverse("remittance:detail", args=[first.pk])).content.decode()
    assert "Invoice the client share for all 2 claims" in page

    url = reverse("remittance:invoice_client_shares", args=[first.pk])
    assert owner_client.get(url).status_code == 405
    response = owner_client.post(url)
    assert response.status_code == 302
    invoices = Invoice.objects.filter(practice=practice, kind=InvoiceKind.CLIENT_RESPONSIBILITY)
    assert sorted((i.client_id, i.total) for i in invoices) == sorted(
        [(a.client_id, D("20.00")), (b.client_id, D("20.00"))])
    assert d.client_id not in {i.client_id for i in invoices}  # the other ERA's claim

    # Pressing twice creates nothing new, and the button is gone.
    owner_client.post(url)
    assert invoices.count() == 2
    page = owner_client.get(reverse("remittance:detail", args=[first.pk])).content.decode()
    assert "Invoice the client share for all" not in page


def test_the_service_scoped_to_one_era_is_idempotent(practice, two_eras):
    first, second, (_a, _b, d) = two_eras
    ctx = f.ctx_for(practice=practice)
    assert len(remittance_client_invoices_create(practice=practice, ctx=ctx,
                                                 remittance=second)) == 1
    assert remittance_client_invoices_create(practice=practice, ctx=ctx, remittance=second) == []
    assert len(remittance_client_invoices_create(practice=practice, ctx=ctx,
                                                 remittance=first)) == 2
    assert remittance_client_invoices_create(practice=practice, ctx=ctx) == []


def test_another_practices_era_answers_404(practice, two_eras, other_owner, client):
    first, _second, _claims = two_eras
    client.force_login(other_owner)
    assert client.post(reverse("remittance:invoice_client_shares",
                               args=[first.pk])).status_code == 404
    assert not Invoice.objects.filter(kind=InvoiceKind.CLIENT_RESPONSIBILITY).exists()
