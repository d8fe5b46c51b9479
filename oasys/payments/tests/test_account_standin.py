"""The practice's Stripe account against the Stripe stand-in as a real process, through the
real adapter on the official SDK: connecting creates one Express account (also when Stripe
fails and the click is repeated), the status follows what Stripe says, and payouts list the
client payments in them, matched to invoices, invisible to another practice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oasys.core.audit import AuditContext
from oasys.core.errors import NotFound
from oasys.payments.models import PaymentAccount
from oasys.payments.refusals import StripeUnavailable
from oasys.payments.selectors import payout_detail, payout_list
from oasys.payments.services import account_connect, account_disconnect, account_sync

from .accounts import REFRESH, RETURN, connect

pytestmark = pytest.mark.django_db


def _accounts(standin) -> list:
    return standin.client().v1.accounts.list({"limit": 100}).data


def test_connect_once_then_the_status_follows_stripe(stripe_standin, practice, owner, ctx):
    url = account_connect(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                          refresh_url=REFRESH)
    account = PaymentAccount.objects.get(practice=practice)
    assert url.startswith(f"{stripe_standin.base_url}/setup/s/{account.stripe_account_id}/")
    assert account.status == "onboarding" and account.requirements
    (remote,) = _accounts(stripe_standin)
    assert remote.id == account.stripe_account_id and remote.type == "express"
    assert remote.metadata["oasys_practice"] == str(practice.pk)
    # A second click: a fresh link, no second account.
    assert account_connect(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                           refresh_url=REFRESH) != url
    assert len(_accounts(stripe_standin)) == 1

    for state, status, flags in (("restricted", "restricted", (False, False, True)),
                                 ("pending", "restricted", (False, False, True)),
                                 ("active", "active", (True, True, True))):
        stripe_standin.control(f"accounts/{account.stripe_account_id}", {"state": state})
        account = account_sync(account=account, ctx=ctx, source="test")
        assert account.status == status, state
        assert (account.charges_enabled, account.payouts_enabled,
                account.details_submitted) == flags
        if state == "restricted":
            assert [r["field"] for r in account.requirements] == ["company.tax_id"]
            assert account.disabled_reason == "requirements.past_due"
        if state == "pending":
            assert account.pending_verification == ["company.tax_id"]
    events = account.events.count()
    account_sync(account=account, ctx=ctx, source="again")
    assert account.events.count() == events


def test_stripe_down_changes_nothing_and_the_retry_makes_one_account(stripe_standin, practice,
                                                                      owner, ctx):
    # Two 500s: the first try and the SDK's one retry (STRIPE_MAX_NETWORK_RETRIES=1).
    stripe_standin.control("faults", {"kind": "500", "path": "/v1/accounts", "method": "POST",
                                      "count": 2})
    with pytest.raises(StripeUnavailable):
        account_connect(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                        refresh_url=REFRESH)
    account = PaymentAccount.objects.get(practice=practice)
    assert account.status == "not_connected" and not account.stripe_account_id
    assert _accounts(stripe_standin) == []
    connect(practice, owner, ctx)
    assert len(_accounts(stripe_standin)) == 1


def test_disconnect_keeps_the_account_at_stripe_and_reconnect_reuses_it(
        stripe_standin, practice, owner, ctx):
    account = connect(practice, owner, ctx)
    stripe_standin.control(f"accounts/{account.stripe_account_id}", {"state": "active"})
    account_sync(account=account, ctx=ctx, source="test")
    account_disconnect(practice=practice, user=owner, ctx=ctx)
    (remote,) = _accounts(stripe_standin)
    assert remote.id == account.stripe_account_id and remote.charges_enabled
    assert account_connect(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                           refresh_url=REFRESH) == RETURN
    account.refresh_from_db()
    assert account.status == "active" and len(_accounts(stripe_standin)) == 1


def _pay(standin, account_id: str, cents: int, **metadata) -> None:
    standin.client().v1.payment_intents.create(
        {"amount": cents, "currency": "usd", "payment_method": "pm_card_visa",
         "confirm": True, "metadata": metadata}, {"stripe_account": account_id})


def test_payouts_list_the_client_payments_in_them(stripe_standin, practice, owner, ctx,
                                                   other_practice):
    account = connect(practice, owner, ctx)
    stripe_standin.control(f"accounts/{account.stripe_account_id}", {"state": "active"})
    account_sync(account=account, ctx=ctx, source="test")
    _pay(stripe_standin, account.stripe_account_id, 15000, oasys_invoice_id="7",
         oasys_invoice_number="INV-0007")
    _pay(stripe_standin, account.stripe_account_id, 8000)
    stripe_standin.advance(days=3)
    (payout,) = payout_list(practice=practice).items
    detail = payout_detail(practice=practice, payout_id=payout.id)
    assert detail.payout is not None and detail.payout.id == payout.id
    assert detail.gross == Decimal("230.00")
    assert detail.net == payout.amount == detail.gross - detail.fees
    by_amount = {ln.transaction.amount: ln for ln in detail.payments}
    paid = by_amount[Decimal("150.00")]
    assert paid.invoice_id == 7 and paid.invoice_number == "INV-0007"
    assert paid.invoice_url == "/billing/invoices/7/"
    assert not by_amount[Decimal("80.00")].matched
    # Another practice sees none of it.
    assert payout_list(practice=other_practice).items == []
    with pytest.raises(NotFound):
        payout_detail(practice=other_practice, payout_id=payout.id)


def test_a_payout_of_another_connected_account_is_not_found(stripe_standin, practice, owner,
                                                            ctx, other_practice, other_owner):
    mine = connect(practice, owner, ctx)
    theirs_ctx = AuditContext(user_id=other_owner.pk, user_email=other_owner.email,
                              practice_id=other_practice.pk)
    theirs = connect(other_practice, other_owner, theirs_ctx)
    for acct in (mine, theirs):
        stripe_standin.control(f"accounts/{acct.stripe_account_id}", {"state": "active"})
    _pay(stripe_standin, theirs.stripe_account_id, 5000)
    stripe_standin.advance(days=3)
    (their_payout,) = payout_list(practice=other_practice).items
    # Stripe-Account isolation: asking on my account for their payout id is a 404.
    with pytest.raises(NotFound):
        payout_detail(practice=practice, payout_id=their_payout.id)
