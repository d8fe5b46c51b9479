"""Which clearinghouse the product talks to. `settings.CLEARINGHOUSE_ADAPTER` chooses it (the
"Outside services" section of settings.py is the one place every port is selected):

- ``stedi``: the Stedi HTTP adapter at CLEARINGHOUSE_BASE_URL with CLEARINGHOUSE_API_KEY (the
  real clearinghouse, or the simulator in `sandbox/`, which speaks the same API);
- ``fake``: the in-memory fake (`fake.py`), one per process. Unit tests get a fresh one for
  every test from the root conftest; integration tests point the Stedi adapter at the
  simulator process (the `clearinghouse_sim` fixture).

Services ask `clearinghouse_port()` for the port; none takes it as a parameter.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .fake import FakeClearinghouse
from .port import ClearinghousePort
from .stedi import StediClearinghouse

DEFAULT_CONNECTION = "default"
ADAPTERS = ("stedi", "fake")

_fake: FakeClearinghouse | None = None


def clearinghouse_port(*, realtime: bool = False) -> ClearinghousePort:
    """The configured adapter. `realtime=True` is for calls a person waits on in a web page
    (eligibility, claim status): a short timeout and one retry, so a payer that is down is
    reported in seconds rather than minutes. Background work (the transmission outbox,
    polling) keeps the patient defaults."""
    adapter = getattr(settings, "CLEARINGHOUSE_ADAPTER", "stedi")
    if adapter == "fake":
        return clearinghouse_fake()
    if adapter != "stedi":
        raise ImproperlyConfigured(f"CLEARINGHOUSE_ADAPTER is one of {ADAPTERS}, not {adapter!r}")
    if realtime:
        timeout = float(getattr(settings, "CLEARINGHOUSE_REALTIME_TIMEOUT_SECONDS", 10))
        attempts = int(getattr(settings, "CLEARINGHOUSE_REALTIME_ATTEMPTS", 2))
    else:
        timeout = float(getattr(settings, "CLEARINGHOUSE_TIMEOUT_SECONDS", 30))
        attempts = int(getattr(settings, "CLEARINGHOUSE_ATTEMPTS", 4))
    return StediClearinghouse(
        base_url=settings.CLEARINGHOUSE_BASE_URL, api_key=settings.CLEARINGHOUSE_API_KEY,
        timeout=timeout, attempts=attempts,
        backoff=float(getattr(settings, "CLEARINGHOUSE_BACKOFF_SECONDS", 0.5)))


def clearinghouse_fake() -> FakeClearinghouse:
    """The process's fake clearinghouse (CLEARINGHOUSE_ADAPTER=fake), created on first use."""
    global _fake
    if _fake is None:
        _fake = FakeClearinghouse()
    return _fake


def clearinghouse_fake_install(fake: FakeClearinghouse | None = None) -> FakeClearinghouse:
    """Make `fake` (or a fresh one) the process's fake; the test fixtures' entry point."""
    global _fake
    _fake = fake if fake is not None else FakeClearinghouse()
    return _fake
