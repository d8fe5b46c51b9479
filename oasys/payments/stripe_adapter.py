"""The payments port on the official `stripe` SDK: the only code that sees cents, Stripe's
object shapes and its errors. Pointed at Stripe itself, or (STRIPE_API_BASE) at the stand-in
in `sandbox/stripe/`, which the SDK cannot tell apart.

(The methods are being written: see the payments issue.)"""

from __future__ import annotations

import stripe

from .port import PaymentsPort

# The API version the adapter is written against; the stand-in speaks the same one.
API_VERSION = "2026-10-28.endive"


class StripePayments(PaymentsPort):
    def __init__(self, *, api_key: str, api_base: str = "", webhook_secret: str = "",
                 max_network_retries: int = 3, timeout: float = 30.0) -> None:
        self.webhook_secret = webhook_secret
        base = {"api": api_base, "connect": api_base, "files": api_base} if api_base else {}
        self.client = stripe.StripeClient(
            api_key, stripe_version=API_VERSION, max_network_retries=max_network_retries,
            base_addresses=base)
