"""Which payments processor the product talks to. `settings.PAYMENTS_ADAPTER` chooses it (the
"Outside services" section of settings.py is the one place every port is selected):

- ``stripe``: the adapter on the official SDK (`stripe_adapter.py`) with STRIPE_SECRET_KEY,
  pointed at STRIPE_API_BASE (the stand-in in `sandbox/stripe/`) or, when that is empty, at
  Stripe itself;
- ``fake``: the in-memory fake (`fake.py`), one per process. Unit tests get a fresh one for
  every test from the root conftest; integration tests point the Stripe adapter at the
  stand-in process (the `stripe_standin` fixture).

Services ask `payments_port()` for the port; none takes it as a parameter.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .fake import FakePayments
from .port import PaymentsPort
from .stripe_adapter import StripePayments

ADAPTERS = ("stripe", "fake")

_fake: FakePayments | None = None


def payments_port() -> PaymentsPort:
    """The configured adapter."""
    adapter = getattr(settings, "PAYMENTS_ADAPTER", "stripe")
    if adapter == "fake":
        return payments_fake()
    if adapter != "stripe":
        raise ImproperlyConfigured(f"PAYMENTS_ADAPTER is one of {ADAPTERS}, not {adapter!r}")
    return StripePayments(
        api_key=settings.STRIPE_SECRET_KEY, api_base=settings.STRIPE_API_BASE,
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
        max_network_retries=int(getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", 3)),
        timeout=float(getattr(settings, "STRIPE_TIMEOUT_SECONDS", 30)))


def payments_fake() -> FakePayments:
    """The process's fake (PAYMENTS_ADAPTER=fake), created on first use."""
    global _fake
    if _fake is None:
        _fake = FakePayments(webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
    return _fake


def payments_fake_install(fake: FakePayments | None = None) -> FakePayments:
    """Make `fake` (or a fresh one) the process's fake; the test fixtures' entry point."""
    global _fake
    _fake = fake if fake is not None else FakePayments(
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET)
    return _fake
