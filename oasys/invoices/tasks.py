"""Celery tasks of invoices: each is a thin wrapper over a service (the service does the
work and is what tests call). Delivery is queued on commit by `sending.invoice_send`; the
periodic ones are scheduled in settings.CELERY_BEAT_SCHEDULE."""

from __future__ import annotations
