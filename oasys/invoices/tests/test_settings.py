"""The practice's invoice settings: defaults without a row, checked updates that change
nothing when refused, audit rows, the screen, and due terms used by new invoices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from oasys.billing.tests import factories as f
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditEvent, Role, User
from oasys.invoices.models import InvoiceGrouping, InvoiceSettings
from oasys.invoices.selectors import invoice_settings_get
from oasys.invoices.services import (
    invoice_create_for_session,
    invoice_create_standalone,
    invoice_settings_update,
)

pytestmark = pytest.mark.django_db


def _update(practice, **data):
    return invoice_settings_update(practice=practice, data=data,
                                   ctx=f.ctx_for(practice=practice))


def test_defaults_without_a_row(practice):
    s = invoice_settings_get(practice=practice)
    assert s.pk is None
    assert (s.due_days, s.retry_days, s.grouping, s.email_receipts) == (
        14, [3, 5, 7], InvoiceGrouping.PER_ITEM, True)


def test_update_saves_and_audits_the_changed_fields(practice, owner):
    before = AuditEvent.objects.filter(category="invoice_settings").count()
    s = invoice_settings_update(practice=practice, data={"due_days": "30", "retry_days": "2, 4",
                                                         "email_receipts": False},
                                ctx=f.ctx_for(owner, practice), actor=owner)
    s = invoice_settings_get(practice=practice)
    assert (s.due_days, s.retry_days, s.email_receipts, s.updated_by_id) == (
        30, [2, 4], False, owner.pk)
    events = AuditEvent.objects.filter(category="invoice_settings")
    assert events.count() == before + 1
    assert events.last().detail == {"fields": ["due_days", "email_receipts", "retry_days"]}
    _update(practice, retry_days=[1, 2, 3, 4, 5], grouping=InvoiceGrouping.PER_CLIENT)
    s = invoice_settings_get(practice=practice)
    assert (s.retry_days, s.grouping, s.due_days) == ([1, 2, 3, 4, 5], "per_client", 30)


@pytest.mark.parametrize(("data", "field", "fragment"), [
    ({"due_days": "91"}, "due_days", "between 0"),
    ({"due_days": "-1"}, "due_days", "between 0"),
    ({"due_days": "two"}, "due_days", "whole number"),
    ({"due_days": 1.5}, "due_days", "whole number"),
    ({"retry_days": "5, 3"}, "retry_days", "ascending"),
    ({"retry_days": "3, 3"}, "retry_days", "ascending"),
    ({"retry_days": "0, 3"}, "retry_days", "between 1"),
    ({"retry_days": "1, 2, 3, 4, 5, 6"}, "retry_days", "At most 5"),
    ({"retry_days": "3, x"}, "retry_days", "whole numbers"),
    ({"retry_days": [2.5]}, "retry_days", "whole numbers"),
    ({"retry_days": ""}, "retry_days", "at least one"),
    ({"grouping": "weekly"}, "grouping", "Choose"),
    ({"email_receipts": "yes"}, "email_receipts", "Choose"),
    ({"colour": "red"}, "colour", "not an invoice setting"),
])
def test_bad_values_are_refused_and_change_nothing(practice, data, field, fragment):
    _update(practice, due_days=21)
    before = (list(InvoiceSettings.objects.values()), AuditEvent.objects.count())
    with pytest.raises(InvalidInput) as err:
        _update(practice, **{"due_days": "10", **data} if field != "due_days" else data)
    assert fragment in err.value.errors[field]
    assert (list(InvoiceSettings.objects.values()), AuditEvent.objects.count()) == before


def test_new_invoices_use_the_due_terms(practice):
    _update(practice, due_days=30)
    appt = f.self_pay_session(practice)
    invoice = invoice_create_for_session(practice=practice, appointment_id=appt.pk,
                                         amount=Decimal("130"), cpt="90834",
                                         ctx=f.ctx_for(practice=practice))
    today = timezone.localdate()
    assert invoice.due_date == today + dt.timedelta(days=30)
    _update(practice, due_days=0)
    other = invoice_create_standalone(
        practice=practice, client_id=appt.client_id,
        lines=[{"description": "Late cancellation", "date": today, "amount": "50"}],
        ctx=f.ctx_for(practice=practice))
    assert other.due_date == today


def test_each_practice_has_its_own(practice, other_practice):
    _update(practice, due_days=45)
    assert invoice_settings_get(practice=other_practice).due_days == 14


def test_settings_screen(owner_client, practice):
    url = reverse("invoices:settings")
    page = owner_client.get(url)
    assert page.status_code == 200 and b"Invoice settings" in page.content
    assert b'value="3, 5, 7"' in page.content
    bad = owner_client.post(url, {"due_days": "120", "retry_days": "7, 5",
                                  "grouping": "per_item"})
    assert bad.status_code == 422
    assert b"Due terms are between 0" in bad.content and b"ascending" in bad.content
    assert not InvoiceSettings.objects.exists()
    ok = owner_client.post(url, {"due_days": "21", "retry_days": "2 4 6",
                                 "grouping": "per_client", "email_receipts": "on"})
    assert ok.status_code == 302
    s = invoice_settings_get(practice=practice)
    assert (s.due_days, s.retry_days, s.grouping, s.email_receipts) == (
        21, [2, 4, 6], "per_client", True)


def test_settings_screen_is_for_owner_and_biller(client, practice):
    clinician = User.objects.create_user(email="clin@example.com", password="pw-123456789",
                                         practice=practice, role=Role.CLINICIAN)
    client.force_login(clinician)
    assert client.get(reverse("invoices:settings")).status_code == 403
    biller = User.objects.create_user(email="bill@example.com", password="pw-123456789",
                                      practice=practice, role=Role.BILLER)
    client.force_login(biller)
    assert client.get(reverse("invoices:settings")).status_code == 200
