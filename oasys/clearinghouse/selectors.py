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


# The clients a file names, through what it became: an 837's claims, a 999/277's notices about
# claims, an 835's remittance claims. Lookups by relation name: this app sits below claims and
# remittance and imports neither.
_FILE_CLIENT_PATHS = ("claim_submission__claims__client_id", "claim_notices__claim__client_id",
                      "remittances__claims__client_id")


def edi_file_client_ids(*, edi_file: EdiFile) -> list[int]:
    """Ids of the clients whose claims or payments `edi_file` carries (its raw text names
    them), for the read row of a page that shows it."""
    rows = EdiFile.objects.filter(pk=edi_file.pk)
    ids: set[int] = set()
    for path in _FILE_CLIENT_PATHS:
        ids.update(i for i in rows.values_list(path, flat=True) if i is not None)
    return sorted(ids)
