"""Bulk send and resend screens: the checkboxes and buttons on Manage Invoices, the batch page
with its progress polled by htmx until the batch is finished and the items that failed, and
another practice's batch answering 404 everywhere."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.models import AuditEvent
from oasys.core.services import user_create
from oasys.invoices.bulk import invoice_batch_run, invoice_batch_start
from oasys.invoices.models import Invoice, InvoiceBatch, InvoiceStatus
from oasys.invoices.services import invoice_create_standalone
from oasys.invoices.tests.helpers import invoice_opened

pytestmark = pytest.mark.django_db


def _draft(practice, **client):
    c = f.make_client(practice, billing_type=BillingType.SELF_PAY, **client)
    return invoice_create_standalone(
        practice=practice, client_id=c.pk, ctx=f.ctx_for(practice=practice),
        lines=[{"description": "Records copy", "date": timezone.localdate().isoformat(),
                "amount": "25.00"}])


def _batch(practice, invoices, action="send"):
    return invoice_batch_start(practice=practice, invoice_ids=[i.pk for i in invoices],
                               action=action, ctx=f.ctx_for(practice=practice))


def test_manage_invoices_has_a_checkbox_per_invoice_and_the_two_buttons(owner_client, practice):
    drafts = [_draft(practice) for _ in range(2)]
    body = owner_client.get(reverse("invoices:list")).content.decode()
    assert 'id="bulk-form"' in body and reverse("invoices:batch_start") in body
    assert 'data-testid="bulk-send"' in body and 'data-testid="bulk-resend"' in body
    boxes = re.findall(r'name="invoice" value="(\d+)" form="bulk-form"', body)
    assert sorted(map(int, boxes)) == sorted(d.pk for d in drafts)
    assert "data-bulk-all" in body


def test_send_selected_starts_a_batch_and_shows_its_page(owner_client, practice, owner):
    drafts = [_draft(practice) for _ in range(2)]
    opened = invoice_opened(_draft(practice))
    with f.committed():  # the task runs on commit (Celery eager in tests)
        resp = owner_client.post(reverse("invoices:batch_start"), {
            "action": "send", "invoice": [d.pk for d in drafts] + [opened.pk],
            "status": "draft"}, follow=True)
    batch = InvoiceBatch.objects.get()
    assert resp.redirect_chain[-1][0] == reverse("invoices:batch", args=[batch.pk])
    assert batch.created_by == owner and batch.total == 2
    body = resp.content.decode()
    assert "Sending 2 invoice(s)." in body
    assert f"Skipped 1 invoice(s): {opened.number}: " in body and "already been sent" in body
    # finished: no polling, the counts
    page = owner_client.get(reverse("invoices:batch", args=[batch.pk])).content.decode()
    assert 'data-finished="true"' in page and "hx-trigger" not in page
    assert re.search(r'data-testid="bulk-done">2<', page)
    assert set(Invoice.objects.filter(pk__in=[d.pk for d in drafts])
               .values_list("status", flat=True)) == {InvoiceStatus.OPEN}


def test_a_refused_batch_goes_back_to_the_list_as_filtered(owner_client, practice):
    opened = invoice_opened(_draft(practice))
    resp = owner_client.post(reverse("invoices:batch_start"), {
        "action": "send", "invoice": [opened.pk], "status": "open", "q": "Bennett",
        "csrfmiddlewaretoken": "ignored"})
    assert resp.status_code == 302
    assert resp["Location"] == reverse("invoices:list") + "?status=open&q=Bennett"
    resp = owner_client.get(resp["Location"])
    assert "None of these invoices can be sent now" in resp.content.decode()
    assert not InvoiceBatch.objects.exists()
    resp = owner_client.post(reverse("invoices:batch_start"), {"action": "send"})
    assert resp["Location"] == reverse("invoices:list")
    assert not InvoiceBatch.objects.exists()


def test_the_progress_panel_polls_until_finished_and_lists_failures(owner_client, practice):
    good, bad = _draft(practice), _draft(practice, email="")
    batch = _batch(practice, [good, bad])
    url = reverse("invoices:batch_progress", args=[batch.pk])
    running = owner_client.get(url).content.decode()
    assert f'hx-get="{url}"' in running and 'hx-trigger="every 1s"' in running
    assert re.search(r'data-testid="bulk-total">2<', running)
    polls_audited = AuditEvent.objects.filter(action="read").count()
    assert 'data-testid="bulk-resume"' not in running  # not stalled
    page = owner_client.get(reverse("invoices:batch", args=[batch.pk])).content.decode()
    assert f'hx-get="{url}"' in page and "<progress" in page
    assert AuditEvent.objects.filter(action="read").count() == polls_audited
    invoice_batch_run(batch_id=batch.pk)
    done = owner_client.get(url).content.decode()
    assert "hx-trigger" not in done and 'data-finished="true"' in done
    assert re.search(r'data-testid="bulk-done">1<', done)
    assert re.search(r'data-testid="bulk-failed">1<', done)
    assert f'data-invoice="{bad.number}"' in done and f'data-invoice="{good.number}"' not in done
    # the reasons may name the client: shown once finished, as an audited read
    read = AuditEvent.objects.filter(action="read", category="invoice").last()
    assert read.detail["client_ids"] == [bad.client_id]
    assert read.detail["batch"] == batch.pk


def test_a_stalled_batch_offers_resume_which_finishes_it(owner_client, practice):
    drafts = [_draft(practice) for _ in range(2)]
    batch = _batch(practice, drafts)
    InvoiceBatch.objects.filter(pk=batch.pk).update(
        updated_at=timezone.now() - dt.timedelta(minutes=5))
    page = owner_client.get(reverse("invoices:batch_progress", args=[batch.pk])).content.decode()
    assert 'data-testid="bulk-resume"' in page
    with f.committed():
        resp = owner_client.post(reverse("invoices:batch_resume", args=[batch.pk]))
    assert resp["Location"] == reverse("invoices:batch", args=[batch.pk])
    batch.refresh_from_db()
    assert (batch.done, batch.finished_at is not None) == (2, True)


def test_another_practices_batch_is_404(client, practice, other_owner):
    batch = _batch(practice, [_draft(practice)])
    client.force_login(other_owner)
    for name in ("invoices:batch", "invoices:batch_progress"):
        assert client.get(reverse(name, args=[batch.pk])).status_code == 404
    with f.committed():
        assert client.post(reverse("invoices:batch_resume", args=[batch.pk])).status_code == 404
    assert client.get(reverse("invoices:batch_start")).status_code == 405
    # their POST with our invoice ids starts nothing
    resp = client.post(reverse("invoices:batch_start"), {"action": "send",
                                                         "invoice": [batch.items.get().invoice_id]})
    assert resp.status_code == 302 and InvoiceBatch.objects.count() == 1
    assert InvoiceBatch.objects.get().done == 0


def test_only_billing_roles_start_a_batch(client, practice):
    clinician = user_create(practice=practice, email="c@test.example", password="pw long 12345",
                            role="clinician")
    client.force_login(clinician)
    draft = _draft(practice)
    resp = client.post(reverse("invoices:batch_start"), {"action": "send", "invoice": [draft.pk]})
    assert resp.status_code in (302, 403)
    assert not InvoiceBatch.objects.exists()
