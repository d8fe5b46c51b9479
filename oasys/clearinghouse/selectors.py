"""Reads: the EDI history of a practice; unmatched files for operators."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from oasys.core.models import Practice

from .models import EdiFile


def edi_file_list(*, practice: Practice, set_id: str | None = None,
                  direction: str | None = None) -> QuerySet[EdiFile]:
    qs = EdiFile.objects.filter(practice=practice).defer("raw", "summary")
    if set_id:
        qs = qs.filter(set_id=set_id)
    if direction:
        qs = qs.filter(direction=direction)
    return qs.order_by("-received_at", "-id")


def edi_file_get(*, practice: Practice, pk: int) -> EdiFile:
    """404 for a file of another practice or one matched to none."""
    return get_object_or_404(EdiFile, pk=pk, practice=practice)


def edi_file_unmatched_list() -> QuerySet[EdiFile]:
    return EdiFile.objects.filter(practice__isnull=True).defer("raw").order_by("received_at")
