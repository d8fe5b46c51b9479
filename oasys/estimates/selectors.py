"""Reads of good-faith estimates, always scoped to the caller's practice."""

from __future__ import annotations

from django.db.models import QuerySet

from oasys.clients.models import Client
from oasys.core.models import Practice

from .models import GoodFaithEstimate


def estimate_list(*, practice: Practice, client: Client | None = None
                  ) -> QuerySet[GoodFaithEstimate]:
    """The practice's estimates (one client's, given `client`), newest first."""
    qs = GoodFaithEstimate.objects.filter(practice=practice).select_related("client",
                                                                            "practice")
    if client is not None:
        qs = qs.filter(client=client)
    return qs.prefetch_related("lines")
