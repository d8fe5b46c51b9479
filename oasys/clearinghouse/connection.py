"""Which clearinghouse the product talks to: the Stedi adapter, configured from settings
(CLEARINGHOUSE_BASE_URL, CLEARINGHOUSE_API_KEY). Tests pass their own port instead."""

from __future__ import annotations

from django.conf import settings

from .port import ClearinghousePort
from .stedi import StediClearinghouse

DEFAULT_CONNECTION = "default"


def clearinghouse_port(*, realtime: bool = False) -> ClearinghousePort:
    """The configured adapter. `realtime=True` is for calls a person waits on in a web page
    (eligibility, claim status): a short timeout and one retry, so a payer that is down is
    reported in seconds rather than minutes. Background work keeps the patient defaults."""

    if realtime:
        timeout = float(getattr(settings, "CLEARINGHOUSE_REALTIME_TIMEOUT_SECONDS", 10))
        attempts = 2
    else:
        timeout = float(getattr(settings, "CLEARINGHOUSE_TIMEOUT_SECONDS", 30))
        attempts = 4
    return StediClearinghouse(
        base_url=settings.CLEARINGHOUSE_BASE_URL, api_key=settings.CLEARINGHOUSE_API_KEY,
        timeout=timeout, attempts=attempts)
