"""Connect: accounts (create, retrieve, update, delete), account links to the hosted
onboarding form, which makes an account active, restricted or pending."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
import stripe

RETURN = "http://127.0.0.1:9/billing/setup/payments/return"
REFRESH = "http://127.0.0.1:9/billing/setup/payments/refresh"


def link_for(sc, acct_id, type_="account_onboarding"):
    return sc.v1.account_links.create({"account": acct_id, "type": type_,
                                       "refresh_url": REFRESH, "return_url": RETURN})


def onboard(link_url: str, tax_id: str = "12-3456789") -> httpx.Response:
    form = httpx.get(link_url)
    assert form.status_code == 200 and "Tax ID" in form.text
    return httpx.post(link_url, data={"business_name": "Serenity Counseling LLC",
                                      "routing_number": "110000000",
                                      "account_number": "000123456789", "tax_id": tax_id})


def test_new_express_account_is_not_enabled_and_lists_requirements(sc):
    acct = sc.v1.accounts.create({"type": "express", "country": "US",
                                  "email": "owner@practice.example",
                                  "capabilities": {"card_payments": {"requested": True},
                                                   "transfers": {"requested": True}},
                                  "metadata": {"practice": "12"}})
    assert acct.type == "express" and acct.controller.type == "application"
    assert (acct.charges_enabled, acct.payouts_enabled, acct.details_submitted) == (
        False, False, False)
    assert "external_account" in acct.requirements.currently_due
    assert acct.requirements.disabled_reason == "requirements.past_due"
    again = sc.v1.accounts.retrieve(acct.id)
    assert again.metadata["practice"] == "12" and again.capabilities.card_payments == "inactive"
    assert sc.v1.accounts.create({"type": "standard"}).controller.type == "account"


def test_onboarding_form_activates_the_account_and_returns(standin, sc, receiver):
    we = sc.v1.webhook_endpoints.create({"url": receiver.url,
                                         "enabled_events": ["account.updated"],
                                         "connect": True})
    acct = sc.v1.accounts.create({"type": "express"})
    link = link_for(sc, acct.id)
    assert link.object == "account_link" and link.expires_at > link.created
    assert urlsplit(link.url).netloc == urlsplit(standin.base_url).netloc
    resp = onboard(link.url)
    assert resp.status_code == 303 and resp.headers["Location"] == RETURN
    done = sc.v1.accounts.retrieve(acct.id)
    assert (done.charges_enabled, done.payouts_enabled, done.details_submitted) == (
        True, True, True)
    assert done.requirements.currently_due == [] and done.requirements.disabled_reason is None
    assert done.business_profile.name == "Serenity Counseling LLC"
    assert done.external_accounts.data[0].last4 == "6789"
    assert done.capabilities.card_payments == "active"
    assert sc.v1.accounts.retrieve(acct.id, None, {"stripe_account": acct.id}).id == acct.id
    headers, body = receiver.wait_for(lambda got: got)[0]
    assert "secret" not in sc.v1.webhook_endpoints.retrieve(we.id)  # shown once, on creation
    event = stripe.Webhook.construct_event(body, headers["Stripe-Signature"], we.secret)
    assert event.type == "account.updated" and event.account == acct.id
    assert event.data.object.charges_enabled is True
    assert event.data.previous_attributes.charges_enabled is False


@pytest.mark.parametrize("tax_id,reason,due,pending", [
    ("000000000", "requirements.past_due", ["company.tax_id"], []),
    ("111111111", "requirements.pending_verification", [], ["company.tax_id"]),
])
def test_trigger_tax_ids_leave_the_account_restricted(sc, tax_id, reason, due, pending):
    acct = sc.v1.accounts.create({"type": "express"})
    assert onboard(link_for(sc, acct.id).url, tax_id).status_code == 303
    done = sc.v1.accounts.retrieve(acct.id)
    assert done.details_submitted is True
    assert done.charges_enabled is False and done.payouts_enabled is False
    assert done.requirements.disabled_reason == reason
    assert done.requirements.currently_due == due
    assert done.requirements.pending_verification == pending
    # an update link fixes it
    assert onboard(link_for(sc, acct.id, "account_update").url).status_code == 303
    assert sc.v1.accounts.retrieve(acct.id).charges_enabled is True


def test_used_or_expired_links_send_the_browser_to_refresh_url(standin, sc):
    acct = sc.v1.accounts.create({"type": "express"})
    link = link_for(sc, acct.id)
    assert onboard(link.url).status_code == 303
    again = httpx.get(link.url)
    assert again.status_code == 303 and again.headers["Location"] == REFRESH
    fresh = link_for(sc, acct.id)
    standin.advance(seconds=301)  # account links live five minutes
    late = httpx.get(fresh.url)
    assert late.status_code == 303 and late.headers["Location"] == REFRESH


def test_account_update_delete_and_deauthorized_event(standin, sc, receiver):
    we = sc.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["*"],
                                         "connect": True})
    acct = sc.v1.accounts.create({"type": "standard"})
    updated = sc.v1.accounts.update(acct.id, {"metadata": {"practice": "3"},
                                              "business_profile": {"name": "Calm Minds"}})
    assert updated.metadata["practice"] == "3" and updated.business_profile.name == "Calm Minds"
    gone = sc.v1.accounts.delete(acct.id)
    assert gone.deleted is True
    with pytest.raises(stripe.InvalidRequestError):
        sc.v1.accounts.retrieve(acct.id)
    got = receiver.wait_for(lambda r: len(r) >= 2)
    events = [stripe.Webhook.construct_event(b, h["Stripe-Signature"], we.secret)
              for h, b in got]
    assert [e.type for e in events] == ["account.updated", "account.application.deauthorized"]
    assert {e.account for e in events} == {acct.id}


def test_account_links_need_an_existing_account(sc):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.account_links.create({"account": "acct_missing", "type": "account_onboarding",
                                    "refresh_url": REFRESH, "return_url": RETURN})
    assert exc.value.param == "account"
    with pytest.raises(stripe.InvalidRequestError) as exc:
        sc.v1.account_links.create({"account": "acct_missing"})  # type: ignore[typeddict-item]
    assert exc.value.code == "parameter_missing"
