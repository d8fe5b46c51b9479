"""The practice's Stripe account: connected once (owner only), status derived from the
current account object through the machine, idempotent and order-independent syncs,
disconnect and reconnect, and Stripe's errors changing nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from oasys.core.errors import Conflict, NotAllowed
from oasys.core.models import AuditEvent
from oasys.payments.idempotency import idempotency_key
from oasys.payments.models import PaymentAccount, PaymentAccountEvent, StripeRequest
from oasys.payments.port import (
    Account,
    ConfigurationError,
    FinalError,
    NotFoundError,
    Requirement,
    RetryableError,
)
from oasys.payments.refusals import StripeRefused, StripeUnavailable
from oasys.payments.services import (
    account_connect,
    account_deauthorized,
    account_disconnect,
    account_onboarding_link,
    account_sync,
    derived_status,
    payment_account_require_active,
)

from .accounts import REFRESH, RETURN, account_in, connect

pytestmark = pytest.mark.django_db


def _acct(**kw) -> Account:
    base = dict(id="acct_x", charges_enabled=False, payouts_enabled=False,
                details_submitted=False)
    return Account(**{**base, **kw})


@pytest.mark.parametrize(("details", "charges", "payouts", "status"), [
    (False, False, False, "onboarding"),
    (False, True, True, "onboarding"),  # Stripe reopened the details: back to onboarding
    (True, True, True, "active"),
    (True, True, False, "restricted"),
    (True, False, True, "restricted"),
    (True, False, False, "restricted"),
])
def test_derived_status_table(details, charges, payouts, status):
    assert derived_status(_acct(details_submitted=details, charges_enabled=charges,
                                payouts_enabled=payouts)) == status


def test_connect_creates_the_express_account_once_and_moves_to_onboarding(
        practice, owner, ctx, payments):
    url = account_connect(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                          refresh_url=REFRESH)
    account = PaymentAccount.objects.get(practice=practice)
    assert url.startswith("https://connect.fake.test/setup/" + account.stripe_account_id)
    assert account.status == "onboarding" and account.connected_by == owner
    assert payments.account_metadata[account.stripe_account_id] == {
        "oasys_practice": str(practice.pk)}
    row = StripeRequest.objects.get(key=idempotency_key("account", practice.pk))
    assert row.object_id == account.stripe_account_id
    assert [(e.from_status, e.to_status) for e in account.events.all()] == [
        ("not_connected", "onboarding")]
    # A second click (double submit) makes a fresh link, never a second account.
    again = account_connect(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                            refresh_url=REFRESH)
    assert again != url
    assert [m for m, _ in payments.calls].count("account_create") == 1
    assert len(payments.accounts) == 1
    assert AuditEvent.objects.filter(category="payment_account").exists()


def test_only_the_owner_connects_links_and_disconnects(practice, owner, biller, clinician, ctx,
                                                        payments):
    for user in (biller, clinician):
        with pytest.raises(NotAllowed):
            account_connect(practice=practice, user=user, ctx=ctx, return_url=RETURN,
                            refresh_url=REFRESH)
    assert not payments.accounts and not PaymentAccount.objects.exists()
    connect(practice, owner, ctx)
    for call in (account_onboarding_link, ):
        with pytest.raises(NotAllowed):
            call(practice=practice, user=biller, ctx=ctx, return_url=RETURN,
                 refresh_url=REFRESH)
    with pytest.raises(NotAllowed):
        account_disconnect(practice=practice, user=biller, ctx=ctx)
    assert PaymentAccount.objects.get(practice=practice).status == "onboarding"


def test_another_practices_owner_is_not_allowed(practice, other_owner, ctx):
    with pytest.raises(NotAllowed):
        account_connect(practice=practice, user=other_owner, ctx=ctx, return_url=RETURN,
                        refresh_url=REFRESH)


def test_a_creation_stripe_forgot_is_found_by_metadata_not_made_twice(practice, owner, ctx,
                                                                       payments):
    # A call that reached Stripe a day ago, then the worker died before recording the id.
    made = payments.account_create(email=owner.email, business_name=practice.name,
                                   metadata={"oasys_practice": str(practice.pk)},
                                   idempotency_key="lost")
    StripeRequest.objects.create(key=idempotency_key("account", practice.pk),
                                 operation="account_create", practice=practice,
                                 created_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    account = connect(practice, owner, ctx)
    assert account.stripe_account_id == made.id
    assert len(payments.accounts) == 1


@pytest.mark.parametrize("state,status,flags", [
    ("onboarding", "onboarding", (False, False, False)),
    ("active", "active", (True, True, True)),
    ("restricted", "restricted", (False, False, True)),
    ("pending", "restricted", (False, False, True)),
])
def test_sync_writes_the_current_account(state, status, flags, practice, owner, ctx, payments):
    account = account_in(state, practice, owner, ctx, payments)
    assert account.status == status
    assert (account.charges_enabled, account.payouts_enabled,
            account.details_submitted) == flags
    assert account.synced_at is not None
    if state == "restricted":
        assert [r["field"] for r in account.requirements] == ["company.tax_id"]
        assert "could not be verified" in account.requirements[0]["reason"]
        assert account.disabled_reason == "requirements.past_due"
    if state == "pending":
        assert account.pending_verification == ["company.tax_id"]
        assert account.requirements == []
        assert account.disabled_reason == "requirements.pending_verification"


def _snapshot(account):
    account.refresh_from_db()
    fields = ("status", "charges_enabled", "payouts_enabled", "details_submitted",
              "requirements", "pending_verification", "disabled_reason", "business_name",
              "status_changed_at", "updated_at")
    return ({f: getattr(account, f) for f in fields}, PaymentAccountEvent.objects.count(),
            AuditEvent.objects.count())


def test_sync_twice_changes_nothing_the_second_time(practice, owner, ctx, payments):
    account = account_in("restricted", practice, owner, ctx, payments)
    before = _snapshot(account)
    account_sync(account=account, ctx=ctx, source="again")
    account_sync(account=account, ctx=ctx, source="and again")
    assert _snapshot(account) == before


def test_sync_is_order_independent(practice, owner, ctx, payments):
    # Stripe went onboarding → restricted → active; the events arrive in any order, each
    # sync fetches the current object, so all end active and the extra syncs write nothing.
    account = connect(practice, owner, ctx)
    payments.account_state_set(account.stripe_account_id, "restricted")
    payments.account_state_set(account.stripe_account_id, "active")
    for _ in range(3):
        account_sync(account=account, ctx=ctx, source="late event")
    account.refresh_from_db()
    assert account.status == "active"
    assert [(e.from_status, e.to_status) for e in account.events.all()] == [
        ("not_connected", "onboarding"), ("onboarding", "active")]


def test_status_moves_only_where_stripe_says_and_back(practice, owner, ctx, payments):
    account = account_in("active", practice, owner, ctx, payments)
    payments.account_state_set(account.stripe_account_id, "restricted")
    assert account_sync(account=account, ctx=ctx, source="t").status == "restricted"
    payments.account_state_set(account.stripe_account_id, "active")
    assert account_sync(account=account, ctx=ctx, source="t").status == "active"
    audit = AuditEvent.objects.filter(category="payment_account", object_id=str(account.pk))
    assert audit.count() >= 4  # created, connect move, link, each status move


def test_requirements_keep_each_field_once_with_its_reason(practice, owner, ctx, payments):
    account = connect(practice, owner, ctx)
    remote = payments.accounts[account.stripe_account_id]
    payments.accounts[remote.id] = replace(
        remote, details_submitted=True,
        currently_due=(Requirement("company.tax_id"), Requirement("external_account")),
        past_due=(Requirement("company.tax_id", "Not valid."),))
    account = account_sync(account=account, ctx=ctx, source="t")
    assert account.requirements == [{"field": "company.tax_id", "reason": "Not valid."},
                                    {"field": "external_account", "reason": ""}]


def test_disconnect_keeps_the_stripe_account_and_sync_leaves_it_disconnected(
        active_account, practice, owner, ctx, payments):
    account = account_disconnect(practice=practice, user=owner, ctx=ctx)
    assert account.status == "disconnected" and account.disconnected_at is not None
    assert not payments.accounts[account.stripe_account_id].deleted  # not deleted at Stripe
    assert "account_delete" not in {m for m, _ in payments.calls}
    # A late account.updated (Stripe still says active) does not reconnect it.
    assert account_sync(account=account, ctx=ctx, source="late").status == "disconnected"
    with pytest.raises(Conflict):
        account_disconnect(practice=practice, user=owner, ctx=ctx)
    with pytest.raises(Conflict):
        payment_account_require_active(practice=practice)


def test_reconnect_reuses_the_stripe_account_stripe_still_has(active_account, practice, owner,
                                                              ctx, payments):
    account_disconnect(practice=practice, user=owner, ctx=ctx)
    url = account_connect(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                          refresh_url=REFRESH)
    account = PaymentAccount.objects.get(practice=practice)
    assert account.stripe_account_id == active_account.stripe_account_id
    assert account.status == "active" and account.disconnected_at is None
    assert url == RETURN  # nothing to onboard: straight back to the page
    assert [m for m, _ in payments.calls].count("account_create") == 1


def test_reconnect_makes_a_new_account_when_stripe_no_longer_has_it(active_account, practice,
                                                                    owner, ctx, payments):
    account_disconnect(practice=practice, user=owner, ctx=ctx)
    old = active_account.stripe_account_id
    payments.accounts[old] = replace(payments.accounts[old], deleted=True)
    url = account_connect(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                          refresh_url=REFRESH)
    account = PaymentAccount.objects.get(practice=practice)
    assert account.stripe_account_id != old and account.status == "onboarding"
    assert url.startswith("https://connect.fake.test/setup/" + account.stripe_account_id)
    assert StripeRequest.objects.filter(
        key=idempotency_key("account", practice.pk, "after", old)).exists()


def test_onboarding_link_kind_follows_details_submitted(practice, owner, ctx, payments):
    account = connect(practice, owner, ctx)
    account_onboarding_link(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                            refresh_url=REFRESH)
    payments.account_state_set(account.stripe_account_id, "restricted")
    account_sync(account=account, ctx=ctx, source="t")
    account_onboarding_link(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                            refresh_url=REFRESH)
    kinds = [kw["kind"] for m, kw in payments.calls if m == "account_link_create"]
    assert kinds == ["onboarding", "onboarding", "update"]


def test_every_link_is_fresh(practice, owner, ctx, payments):
    connect(practice, owner, ctx)
    urls = {account_onboarding_link(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                                    refresh_url=REFRESH) for _ in range(3)}
    assert len(urls) == 3


def test_onboarding_link_needs_a_connected_account(practice, owner, ctx):
    with pytest.raises(Conflict):
        account_onboarding_link(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                                refresh_url=REFRESH)


@pytest.mark.parametrize("error,kind", [
    (RetryableError("timed out", status=None), StripeUnavailable),
    (FinalError("nope", code="parameter_invalid", status=400), StripeRefused),
])
def test_stripe_errors_on_connect_change_nothing(error, kind, practice, owner, ctx, payments):
    payments.fail_next("account_create", error)
    with pytest.raises(kind):
        account_connect(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                        refresh_url=REFRESH)
    account = PaymentAccount.objects.get(practice=practice)
    assert account.status == "not_connected" and account.stripe_account_id == ""
    assert not account.events.exists()
    # The retry goes through with the same key and makes one account.
    connect(practice, owner, ctx)
    assert len(payments.accounts) == 1


def test_stripe_errors_on_sync_change_nothing(practice, owner, ctx, payments):
    account = connect(practice, owner, ctx)
    payments.account_state_set(account.stripe_account_id, "active")
    before = _snapshot(account)
    payments.fail_next("account_get", RetryableError("503", status=503))
    with pytest.raises(StripeUnavailable):
        account_sync(account=account, ctx=ctx, source="t")
    assert _snapshot(account) == before


def test_stripe_errors_on_links_change_nothing(practice, owner, ctx, payments):
    account = connect(practice, owner, ctx)
    before = _snapshot(account)
    payments.fail_next("account_link_create", RetryableError("reset", status=None))
    with pytest.raises(StripeUnavailable):
        account_onboarding_link(practice=practice, user=owner, ctx=ctx, return_url=RETURN,
                                refresh_url=REFRESH)
    assert _snapshot(account) == before


def test_require_active(practice, owner, ctx, payments):
    with pytest.raises(Conflict, match="connect Stripe in Billing Setup"):
        payment_account_require_active(practice=practice)
    account = account_in("restricted", practice, owner, ctx, payments)
    with pytest.raises(Conflict, match="Restricted"):
        payment_account_require_active(practice=practice)
    payments.account_state_set(account.stripe_account_id, "active")
    account_sync(account=account, ctx=ctx, source="t")
    assert payment_account_require_active(practice=practice).pk == account.pk


def test_deauthorized_disconnects_unless_the_owner_reconnected_since(active_account, ctx):
    old_event = active_account.status_changed_at - dt.timedelta(minutes=5)
    assert account_deauthorized(account=active_account, ctx=ctx, source="t",
                                happened_at=old_event).status == "active"
    account = account_deauthorized(account=active_account, ctx=ctx, source="t",
                                   happened_at=active_account.status_changed_at
                                   + dt.timedelta(seconds=1))
    assert account.status == "disconnected"
    count = PaymentAccountEvent.objects.count()
    account_deauthorized(account=account, ctx=ctx, source="again")  # replay: nothing
    assert PaymentAccountEvent.objects.count() == count


def test_an_account_stripe_answers_deleted_is_disconnected(active_account, ctx, payments,
                                                          monkeypatch):
    gone = replace(payments.accounts[active_account.stripe_account_id], deleted=True)
    monkeypatch.setattr(payments, "account_get", lambda **kw: gone)
    account = account_sync(account=active_account, ctx=ctx, source="t")
    assert account.status == "disconnected" and account.disconnected_at is not None
    assert account.events.last().reason == "The Stripe account was deleted."


@pytest.mark.parametrize("error", [
    NotFoundError("No such account", code="resource_missing", status=404),
    ConfigurationError("The provided key does not have access to account", code="account_invalid",
                       status=403),
])
def test_an_account_stripe_no_longer_lets_us_use_is_disconnected(error, active_account, ctx,
                                                                 payments):
    payments.fail_next("account_get", error)
    account = account_sync(account=active_account, ctx=ctx, source="t")
    assert account.status == "disconnected" and account.disconnected_at is not None
    assert "no longer lets Oasys use" in account.events.last().reason


def test_a_bad_api_key_is_an_error_not_a_disconnect(active_account, ctx, payments):
    payments.fail_next("account_get", ConfigurationError("Invalid API Key provided",
                                                         code="api_key_invalid", status=401))
    with pytest.raises(StripeRefused):
        account_sync(account=active_account, ctx=ctx, source="t")
    active_account.refresh_from_db()
    assert active_account.status == "active"
