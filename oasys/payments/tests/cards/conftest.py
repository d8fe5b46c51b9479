"""Fixtures of the cards tests (prefixed cd_ where a shared name could collide): a practice
whose Stripe account is active on the fake, a cash-pay client with an email, and helpers that
play the client's part on the hosted card form."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.test import Client as WebClient

from oasys.clients.models import Client
from oasys.core.audit import AuditContext
from oasys.core.models import ApiToken, Role
from oasys.core.services import user_create
from oasys.payments.cards import card_request_open
from oasys.payments.models import AccountStatus, PaymentAccount


def account_active(practice, payments) -> PaymentAccount:
    """A connected account that can take cards: made on the fake, and its row (tests may
    create the row in a status directly; the product's rows come from the account services)."""
    acct = payments.account_create(email=f"owner@{practice.slug}.example",
                                   business_name=practice.name,
                                   metadata={"oasys_practice_id": str(practice.pk)},
                                   idempotency_key=f"test-account-{practice.pk}")
    payments.account_state_set(acct.id, "active")
    return PaymentAccount.objects.create(
        practice=practice, stripe_account_id=acct.id, status=AccountStatus.ACTIVE,
        charges_enabled=True, payouts_enabled=True, details_submitted=True,
        business_name=practice.name)


@pytest.fixture
def account(practice, payments):
    return account_active(practice, payments)


@pytest.fixture
def other_account(other_practice, payments):
    return account_active(other_practice, payments)


@pytest.fixture
def cash_client(practice):
    return Client.objects.create(practice=practice, first_name="Maria", last_name="Lopez",
                                 email="maria@example.com", billing_type="cash",
                                 date_of_birth=dt.date(1985, 4, 12))


@pytest.fixture
def other_client(other_practice):
    return Client.objects.create(practice=other_practice, first_name="Ruth", last_name="Hale",
                                 email="ruth@example.com", billing_type="cash")


@pytest.fixture
def ctx(owner):
    return AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=owner.practice_id)


@pytest.fixture
def role_client(practice):
    """A logged-in web client for a user of `role` in the practice."""

    def make(role: str) -> WebClient:
        user = user_create(practice=practice, email=f"{role}@test.example",
                           password="x" * 12, role=role)
        web = WebClient()
        web.force_login(user)
        return web

    return make


@pytest.fixture
def role_api(practice):
    """An API client with a bearer token of a user of `role` in the practice."""

    def make(role: str = Role.OWNER, *, of=None) -> WebClient:
        user = user_create(practice=of or practice, email=f"api-{role}-{secrets.token_hex(3)}"
                                                          f"@test.example",
                           password="x" * 12, role=role)
        key = "oas_" + secrets.token_urlsafe(24)
        ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:8])
        return WebClient(headers={"Authorization": f"Bearer {key}"})

    return make


def save_card_on_form(payments, account, card_request, *, card: str = "visa"):
    """What the client does: open the link (ticking consent) and save `card` on the hosted
    form. Answers the completed session's id."""
    session = card_request_open(token=card_request.token, consent=True)
    payments.setup_session_complete(account.stripe_account_id, session.id, card=card)
    return session.id
