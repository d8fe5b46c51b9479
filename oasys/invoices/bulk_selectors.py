"""Reads for bulk send and resend (bulk.py writes): a practice's batch, its progress and the
items that failed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from oasys.core.models import Practice

from .models import InvoiceBatch, InvoiceBatchItem


def invoice_batch_get(*, practice: Practice, batch_id: int) -> InvoiceBatch:
    """The practice's batch (InvoiceBatch.DoesNotExist for another practice's: a 404)."""
    return InvoiceBatch.objects.select_related("created_by").get(practice=practice,
                                                                  pk=batch_id)


@dataclass(frozen=True)
class BatchProgress:
    total: int
    done: int
    failed: int
    finished: bool
    stalled: bool  # unfinished and nothing counted for a while: the worker may have died

    @property
    def processed(self) -> int:
        return self.done + self.failed

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.processed * 100 // self.total)


STALLED_AFTER = dt.timedelta(minutes=2)


def invoice_batch_progress(*, batch: InvoiceBatch) -> BatchProgress:
    """Done and failed as the worker counts them (the page polls this while it runs)."""
    finished = batch.finished_at is not None
    return BatchProgress(total=batch.total, done=batch.done, failed=batch.failed,
                         finished=finished,
                         stalled=not finished and batch.updated_at < timezone.now() -
                         STALLED_AFTER)


def invoice_batch_failures(*, batch: InvoiceBatch) -> QuerySet[InvoiceBatchItem]:
    """The batch's items that failed, with their invoice and client, in batch order."""
    return (InvoiceBatchItem.objects.filter(practice_id=batch.practice_id, batch=batch,
                                            done_at__isnull=False)
            .exclude(error="").select_related("invoice", "invoice__client").order_by("pk"))


def invoice_batch_recent(*, practice: Practice, limit: int = 5) -> list[InvoiceBatch]:
    """The practice's latest batches (Manage Invoices links to those still running)."""
    return list(InvoiceBatch.objects.filter(practice=practice).order_by("-created_at", "-pk")
                [:limit])
