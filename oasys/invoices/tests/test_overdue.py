"""The overdue run: Open invoices whose due date is before the practice's own today become
Overdue, by the machine (source "daily overdue run"), once however often it runs; it is on
Celery beat hourly."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from oasys.invoices.actions import OVERDUE_SOURCE, invoices_overdue_mark
from oasys.invoices.models import Invoice, InvoiceStatus
from oasys.invoices.tasks import invoices_overdue_mark_task

from .actions_support import draft, open_invoice

pytestmark = pytest.mark.django_db

S = InvoiceStatus
UTC = dt.UTC


def _due(invoice, day):
    Invoice.objects.filter(pk=invoice.pk).update(due_date=day)  # test setup: a past due date
    invoice.refresh_from_db()
    return invoice


def test_past_due_open_invoices_become_overdue_once(practice):
    now = dt.datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 11:00 in New York
    late = _due(open_invoice(practice), dt.date(2026, 3, 9))
    today = _due(open_invoice(practice), dt.date(2026, 3, 10))
    unsent = _due(draft(practice), dt.date(2026, 3, 1))
    assert invoices_overdue_mark(now=now) == 1
    assert invoices_overdue_mark(now=now) == 0
    for invoice, status in ((late, S.OVERDUE), (today, S.OPEN), (unsent, S.DRAFT)):
        invoice.refresh_from_db()
        assert invoice.status == status
    event = late.events.order_by("pk").last()
    assert (event.from_status, event.to_status, event.source, event.actor_id) == \
        (S.OPEN, S.OVERDUE, OVERDUE_SOURCE, None)
    assert "2026-03-09" in event.reason


def test_the_practices_own_today_decides(practice, other_practice):
    type(other_practice).objects.filter(pk=other_practice.pk).update(
        timezone="Pacific/Auckland")
    auckland = type(other_practice).objects.get(pk=other_practice.pk)
    ny_9 = _due(open_invoice(practice), dt.date(2026, 3, 9))
    ny_10 = _due(open_invoice(practice), dt.date(2026, 3, 10))
    auckland_10 = _due(open_invoice(auckland), dt.date(2026, 3, 10))
    # 02:00 UTC on March 10: 22:00 on the 9th in New York, 15:00 on the 10th in Auckland.
    assert invoices_overdue_mark(now=dt.datetime(2026, 3, 10, 2, 0, tzinfo=UTC)) == 0
    # 12:00 UTC: 08:00 on the 10th in New York, 01:00 on the 11th in Auckland.
    assert invoices_overdue_mark(now=dt.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)) == 2
    for invoice, status in ((ny_9, S.OVERDUE), (ny_10, S.OPEN), (auckland_10, S.OVERDUE)):
        invoice.refresh_from_db()
        assert invoice.status == status


def test_the_task_runs_the_service_and_is_on_beat_hourly(practice):
    _due(open_invoice(practice), dt.date(2000, 1, 1))
    assert invoices_overdue_mark_task() == 1
    [entry] = [e for e in settings.CELERY_BEAT_SCHEDULE.values()
               if e["task"] == "invoices.overdue_mark"]
    assert entry["schedule"] == 3600.0
