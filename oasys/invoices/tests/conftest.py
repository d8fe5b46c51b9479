"""Fixtures of the invoices tests that run the outside world as real processes: the mail
sink (sandbox/mail, SMTP on loopback) and, with the root conftest's `stripe_standin`, the
Stripe stand-in. Both processes start once per test process (session scope) and are emptied
for each test, so a suite of integration tests pays for their start once.

- `mail_sink` (the root conftest): the SMTP sink as a process.
- `invoice_world` (integration.py `InvoiceWorld`): a practice whose Stripe account is active
  on the stand-in, a cash-pay client with an email, helpers to save a card on the stand-in's
  hosted form and to register the product's webhook endpoint on the live server.
"""

from __future__ import annotations

import pytest
from django.core.signals import request_finished

from .integration import InvoiceWorld, Requests


@pytest.fixture
def invoice_world(stripe_standin, mail_sink, practice, owner, settings) -> InvoiceWorld:
    """A practice on the stand-in (active account), a client, the sink: see InvoiceWorld."""
    return InvoiceWorld.build(standin=stripe_standin, sink=mail_sink, practice=practice,
                              owner=owner, settings=settings)


@pytest.fixture
def requests_seen():
    """Notified when the live server finishes a request (waits re-check their condition)."""
    seen = Requests()
    request_finished.connect(seen.finished, dispatch_uid="invoices-integration")
    try:
        yield seen
    finally:
        request_finished.disconnect(dispatch_uid="invoices-integration")


@pytest.fixture
def hooked_world(invoice_world, live_server, requests_seen) -> InvoiceWorld:
    """`invoice_world` with the stand-in delivering every event of the practice's account,
    signed, to the product's webhook endpoint on the live server, when the test releases
    them (`webhooks_release`; see `webhooks_hold` for why)."""
    invoice_world.webhooks_to_live_server(live_server, requests_seen)
    invoice_world.webhooks_hold()
    yield invoice_world
    invoice_world.standin.control("webhooks/faults", method="DELETE")
