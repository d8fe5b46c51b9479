"""Stripe's errors as the domain's refusals, so screens show them as messages and the API
answers them in its one error shape (oasys/core/errors.py), never as a 500.

A RetryableError (network, 5xx, 429) means Stripe may not have seen the request: nothing of
ours was changed, and the same click later is safe (the idempotency keys make it so). A
FinalError is Stripe refusing; repeating will not help, so its own words are shown."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from oasys.core.errors import Conflict, DomainError, NotFound

from .port import FinalError, NotFoundError, PaymentsError, RetryableError


class StripeUnavailable(Conflict):
    """Stripe could not be reached or answered with a server error: try again later. (A
    Conflict, 409, like every refusal that depends on the moment: one of the four kinds.)"""

    @classmethod
    def default_message(cls) -> str:
        return ("Stripe could not be reached just now, so nothing was changed. "
                "Please try again in a minute.")


class StripeRefused(Conflict):
    """Stripe refused the request (4xx): repeating it will not help."""


def payments_refusal(exc: PaymentsError) -> DomainError:
    """The domain error to raise for a port error."""
    if isinstance(exc, RetryableError):
        return StripeUnavailable()
    if isinstance(exc, NotFoundError):
        return NotFound("Stripe has no such object on this practice's account.")
    if isinstance(exc, FinalError):
        return StripeRefused(f"Stripe refused the request, so nothing was changed: "
                             f"{exc.message}")
    return StripeUnavailable()


@contextmanager
def stripe_refusals() -> Iterator[None]:
    """Run port calls; a port error leaves as the matching domain error."""
    try:
        yield
    except PaymentsError as exc:
        raise payments_refusal(exc) from exc
