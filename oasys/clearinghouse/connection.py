"""Which clearinghouse the product talks to: the Stedi adapter, configured from settings
(CLEARINGHOUSE_BASE_URL, CLEARINGHOUSE_API_KEY). Tests pass their own port instead."""

from __future__ import annotations

from django.conf import settings

from .port import ClearinghousePort

DEFAULT_CONNECTION = "default"


def clearinghouse_port() -> ClearinghousePort:
    from .stedi import StediClearinghouse

    return StediClearinghouse(
        base_url=settings.CLEARINGHOUSE_BASE_URL, api_key=settings.CLEARINGHOUSE_API_KEY,
        timeout=float(getattr(settings, "CLEARINGHOUSE_TIMEOUT_SECONDS", 30)))
