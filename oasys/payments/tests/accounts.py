"""Helpers of the account tests: connect a practice through the services, and take its
account to a state with the fake playing Stripe's side."""

from __future__ import annotations

from oasys.payments.models import PaymentAccount
from oasys.payments.services import account_connect, account_sync

RETURN = "https://oasys.test/billing/setup/payments/return/"
REFRESH = "https://oasys.test/billing/setup/payments/refresh/"


def connect(practice, owner, ctx) -> PaymentAccount:
    account_connect(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                    refresh_url=REFRESH)
    return PaymentAccount.objects.get(practice=practice)


def account_in(state: str, practice, owner, ctx, payments) -> PaymentAccount:
    """An account connected and then taken by Stripe to `state` ("onboarding", "active",
    "restricted", "pending"), synced."""
    account = connect(practice, owner, ctx)
    if state != "onboarding":
        payments.account_state_set(account.stripe_account_id, state)
    return account_sync(account=account, ctx=ctx, source="test")
