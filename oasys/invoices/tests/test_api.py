"""/api/v1/invoices: list with the page envelope and filters, one invoice with lines, events,
figures and actions, creating a standalone invoice; refusals (422 with field errors, 404 for
another practice's client or invoice) change nothing."""

from __future__ import annotations

import json
import secrets
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.models import ApiToken, AuditEvent
from oasys.invoices.models import Invoice, InvoiceLine
from oasys.invoices.services import invoice_create_for_session, invoice_create_standalone
from oasys.invoices.tests.helpers import invoice_opened
from oasys.ledger.models import JournalEntry
from oasys.ledger.services import ledger_post_client_payment

pytestmark = pytest.mark.django_db
BASE = "/api/v1/invoices"


def _post(api, body):
    return api.post(BASE, json.dumps(body), content_type="application/json")


def _standalone(practice, client, amount="40.00"):
    return invoice_create_standalone(
        practice=practice, client_id=client.pk, ctx=f.ctx_for(practice=practice),
        lines=[{"description": "Late cancellation fee", "date": timezone.localdate(),
                "amount": amount}])


@pytest.fixture
def other_api(other_owner):
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=other_owner, key_hash=ApiToken.hash_key(key), prefix=key[:10])
    return HttpClient(headers={"Authorization": f"Bearer {key}"})


def test_create_then_read(api_client, practice):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    today = timezone.localdate().isoformat()
    resp = _post(api_client, {"client_id": client.pk, "lines": [
        {"description": "Late cancellation fee", "date": today, "amount": "75"},
        {"description": "Letter to school", "date": today, "amount": 20.5},
    ]})
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["kind"] == "standalone" and body["status"] == "draft"
    # a Draft bills its lines' total and is owed once it opens (sent)
    assert (body["total"], body["paid"], body["balance"]) == ("95.50", "0.00", "0.00")
    assert [(li["description"], li["amount"], li["session_id"]) for li in body["lines"]] == [
        ("Late cancellation fee", "75.00", None), ("Letter to school", "20.50", None)]
    assert body["actions"] == ["send", "void"]
    assert [e["to_status"] for e in body["events"]] == ["draft"]
    one = api_client.get(f"{BASE}/{body['id']}")
    assert one.status_code == 200 and one.json() == body


def test_list_envelope_and_filters(api_client, practice):
    a = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    b = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    first = _standalone(practice, a)
    _standalone(practice, b)
    appt = f.self_pay_session(practice)
    session = invoice_create_for_session(practice=practice, appointment_id=appt.pk,
                                         amount=Decimal("130"), cpt="90834",
                                         ctx=f.ctx_for(practice=practice))
    invoice_opened(first)
    ledger_post_client_payment(invoice=first, amount=Decimal("15"), reference="chk 12",
                               ctx=f.ctx_for(practice=practice))
    every = api_client.get(BASE).json()
    assert (every["count"], every["page"]) == (3, 1) and len(every["items"]) == 3
    mine = api_client.get(BASE, {"client": a.pk}).json()
    assert [i["number"] for i in mine["items"]] == [first.number]
    assert (mine["items"][0]["paid"], mine["items"][0]["balance"]) == ("15.00", "25.00")
    kinds = api_client.get(BASE, {"kind": "session"}).json()
    assert [i["id"] for i in kinds["items"]] == [session.pk]
    assert api_client.get(BASE, {"status": "paid"}).json()["count"] == 0
    paged = api_client.get(BASE, {"page": 2, "page_size": 2}).json()
    assert (paged["count"], paged["page"], paged["page_size"], len(paged["items"])) == (
        3, 2, 2, 1)
    for bad in ({"status": "lost"}, {"kind": "claim"}, {"client": "x"}):
        assert api_client.get(BASE, bad).status_code == 422


@pytest.mark.parametrize(("body", "key"), [
    ({"lines": [{"description": "Fee", "date": "2026-01-01", "amount": "5"}]}, "client_id"),
    ({"client_id": "CLIENT", "lines": []}, "lines"),
    ({"client_id": "CLIENT"}, "lines"),
    ({"client_id": "CLIENT", "lines": [{"date": "TODAY", "amount": "5"}]},
     "lines.0.description"),
    ({"client_id": "CLIENT", "lines": [{"description": "Fee", "amount": "5"}]}, "lines.0.date"),
    ({"client_id": "CLIENT", "lines": [{"description": "Fee", "date": "TODAY", "amount": 1.005}]},
     "lines.0.amount"),
    ({"client_id": "CLIENT", "lines": [{"description": "Fee", "date": "TODAY",
                                        "amount": "1.005"}]}, "lines.0.amount"),
    ({"client_id": "CLIENT", "lines": [{"description": "Fee", "date": "TODAY", "amount": 0}]},
     "lines.0.amount"),
    ({"client_id": "CLIENT", "lines": [{"description": "Fee", "date": "TODAY",
                                        "amount": True}]}, "lines.0.amount"),
    ({"client_id": "CLIENT", "lines": [{"description": "Fee", "date": "TODAY", "amount": "-3"}]},
     "lines.0.amount"),
    ({"client_id": "CLIENT", "lines": [{"description": "Fee", "date": "TODAY",
                                        "amount": "ten"}]}, "lines.0.amount"),
])
def test_refusals_are_422_with_field_errors_and_write_nothing(api_client, practice, body, key):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    text = json.dumps(body).replace('"CLIENT"', str(client.pk)).replace(
        "TODAY", timezone.localdate().isoformat())
    before = (Invoice.objects.count(), InvoiceLine.objects.count(),
              JournalEntry.objects.count())
    resp = api_client.post(BASE, text, content_type="application/json")
    assert resp.status_code == 422, resp.content
    assert key in resp.json()["errors"], resp.json()
    assert (Invoice.objects.count(), InvoiceLine.objects.count(),
            JournalEntry.objects.count()) == before


def test_another_practices_client_and_invoice_are_404(api_client, other_api, practice,
                                                      other_practice):
    mine = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    theirs = f.make_client(other_practice, billing_type=BillingType.SELF_PAY)
    invoice = _standalone(practice, mine)
    before = Invoice.objects.count()
    resp = _post(other_api, {"client_id": mine.pk, "lines": [
        {"description": "Fee", "date": timezone.localdate().isoformat(), "amount": "5"}]})
    assert resp.status_code == 404 and "client_id" in resp.json()["errors"]
    assert Invoice.objects.count() == before
    assert other_api.get(f"{BASE}/{invoice.pk}").status_code == 404
    assert other_api.get(BASE).json()["count"] == 0
    assert other_api.get(BASE, {"client": mine.pk}).json()["count"] == 0
    assert api_client.get(BASE, {"client": theirs.pk}).json()["count"] == 0


def test_reads_are_audited(api_client, practice):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    invoice = _standalone(practice, client)
    api_client.get(f"{BASE}/{invoice.pk}")
    assert AuditEvent.objects.filter(category="invoice", action="read", client_id_ref=client.pk,
                                     object_id=str(invoice.pk)).exists()
    api_client.get(BASE)
    listed = AuditEvent.objects.filter(category="invoice", action="read").last()
    assert listed.detail["client_ids"] == [client.pk]
