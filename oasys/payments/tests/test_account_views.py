"""Payment Processing screens: every state in words with its next step, owner-only actions,
the return and refresh URLs of Stripe's account links, the disconnect confirmation, payouts,
and Stripe's errors shown as messages with nothing changed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from oasys.payments.models import PaymentAccount
from oasys.payments.port import Charge, RetryableError

from .accounts import account_in, connect

pytestmark = pytest.mark.django_db

PAGE = reverse("payments:processing")


def _html(client, url=PAGE):
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _login(client, user):
    client.force_login(user)
    return client


def test_not_connected_owner_sees_connect_and_the_subscription_warning(owner_client):
    html = _html(owner_client)
    assert "Not connected" in html and "Connect Stripe Account" in html
    assert "This is not the same as your Oasys subscription" in html
    assert "Settings → Subscription &amp; Fees" in html
    assert 'aria-current="page">Payment processing' in html


def test_not_connected_others_are_told_to_ask_the_owner(client, biller, clinician):
    for user in (biller, clinician):
        html = _html(_login(client, user))
        assert "Ask the practice owner to connect Stripe" in html
        assert 'id="connect"' not in html


def test_connect_sends_the_owner_to_stripe(owner_client, practice, payments):
    response = owner_client.post(reverse("payments:processing_connect"))
    account = PaymentAccount.objects.get(practice=practice)
    assert response.status_code == 302
    assert response["Location"].startswith("https://connect.fake.test/setup/"
                                           + account.stripe_account_id)
    link = next(kw for m, kw in payments.calls if m == "account_link_create")
    assert link["kind"] == "onboarding"


def test_only_the_owner_may_post_the_actions(client, biller, practice):
    _login(client, biller)
    for name in ("processing_connect", "processing_onboarding", "processing_disconnect"):
        assert client.post(reverse(f"payments:{name}")).status_code == 403
    assert not PaymentAccount.objects.filter(practice=practice).exists()


def test_onboarding_unfinished_offers_resume(owner_client, practice, owner, ctx, payments):
    account_in("onboarding", practice, owner, ctx, payments)
    html = _html(owner_client)
    assert "Onboarding not finished" in html and "Resume onboarding" in html
    assert "A bank account for payouts" in html  # what Stripe still needs, in words
    response = owner_client.post(reverse("payments:processing_onboarding"))
    assert response.status_code == 302 and "connect.fake.test" in response["Location"]


def test_restricted_shows_requirements_and_reason_in_words(owner_client, practice, owner, ctx,
                                                           payments):
    account = account_in("restricted", practice, owner, ctx, payments)
    html = _html(owner_client)
    assert "Restricted" in html and "Update details" in html
    assert "Your business&#x27;s tax ID (EIN)" in html
    reason = account.requirements[0]["reason"]
    assert reason and reason.replace("'", "&#x27;") in html  # Stripe's reason, as it gave it
    assert "Stripe needs more information before you can accept payments" in html
    response = owner_client.post(reverse("payments:processing_onboarding"))
    assert response.status_code == 302
    assert [kw["kind"] for m, kw in payments.calls if m == "account_link_create"][-1] == "update"


def test_pending_verification(owner_client, practice, owner, ctx, payments):
    account_in("pending", practice, owner, ctx, payments)
    html = _html(owner_client)
    assert "Pending verification" in html
    assert "Stripe is verifying your details (usually minutes, sometimes a few days)" in html
    assert 'id="update"' not in html and 'id="resume"' not in html


def test_active_shows_three_checkmarks(owner_client, active_account):
    html = _html(owner_client)
    assert 'id="account-status">Active<' in html
    for label in ("Accept Payments", "Receive Payouts", "Account Details"):
        assert f'<li class="ok"><span aria-hidden="true">✓</span> {label}' in html
    assert "Disconnect" in html


def test_active_biller_sees_state_without_owner_buttons(client, biller, active_account):
    html = _html(_login(client, biller))
    assert "Active" in html and 'id="disconnect"' not in html and 'id="refresh"' in html


def test_disconnect_needs_the_confirmation_then_reconnect(owner_client, active_account,
                                                          practice):
    url = reverse("payments:processing_disconnect")
    confirm = _html(owner_client, url)
    assert "not deleted" in confirm and "Disconnect Stripe" in confirm
    assert PaymentAccount.objects.get(practice=practice).status == "active"
    response = owner_client.post(url)
    assert response.status_code == 302
    html = _html(owner_client)
    assert "Disconnected" in html and "Reconnect" in html
    response = owner_client.post(reverse("payments:processing_connect"))
    assert response.status_code == 302
    assert PaymentAccount.objects.get(practice=practice).status == "active"


def test_disconnect_page_without_an_account_goes_back(owner_client):
    response = owner_client.get(reverse("payments:processing_disconnect"))
    assert response.status_code == 302 and response["Location"] == PAGE


def test_return_url_syncs_and_says_so(owner_client, practice, owner, ctx, payments):
    account = connect(practice, owner, ctx)
    payments.account_state_set(account.stripe_account_id, "active")
    response = owner_client.get(reverse("payments:processing_return"), follow=True)
    assert "Your Stripe account is active" in response.content.decode()
    account.refresh_from_db()
    assert account.status == "active"


def test_refresh_url_makes_a_fresh_link(owner_client, practice, owner, ctx, payments):
    connect(practice, owner, ctx)
    first = owner_client.get(reverse("payments:processing_refresh"))
    second = owner_client.get(reverse("payments:processing_refresh"))
    assert first.status_code == second.status_code == 302
    assert "connect.fake.test" in first["Location"]
    assert first["Location"] != second["Location"]


def test_refresh_url_for_others_explains(client, biller, practice, owner, ctx):
    connect(practice, owner, ctx)
    response = _login(client, biller).get(reverse("payments:processing_refresh"), follow=True)
    assert "Only the practice owner" in response.content.decode()


def test_stripe_errors_are_messages_and_change_nothing(owner_client, practice, payments):
    payments.fail_next("account_create", RetryableError("timeout"))
    response = owner_client.post(reverse("payments:processing_connect"), follow=True)
    assert "Stripe could not be reached just now" in response.content.decode()
    assert PaymentAccount.objects.get(practice=practice).status == "not_connected"


def test_sync_error_is_a_message(owner_client, active_account, payments):
    payments.fail_next("account_get", RetryableError("timeout"))
    response = owner_client.post(reverse("payments:processing_sync"), follow=True)
    assert "Stripe could not be reached just now" in response.content.decode()


def _charge(i, amount, **meta):
    return Charge(id=f"ch_{i}", amount=Decimal(amount), currency="usd", status="succeeded",
                  fee=Decimal("1.00"), invoice_id=f"in_{i}", metadata=meta)


def test_payouts_list_and_detail(owner_client, active_account, payments):
    payout = payments.payout_add(active_account.stripe_account_id, [
        _charge(1, "150.00", oasys_invoice_id="7", oasys_invoice_number="INV-0007"),
        _charge(2, "20.00")])
    html = _html(owner_client)
    assert f"${payout.amount}" in html and "On its way" in html
    detail = _html(owner_client, reverse("payments:payout", args=[payout.id]))
    assert "$150.00" in detail and "$149.00" in detail
    assert 'href="/billing/invoices/7/">Invoice INV-0007' in detail
    assert "Not from an Oasys invoice" in detail
    assert "$170.00 gross" in detail


def test_payout_of_another_practice_is_404(client, other_owner, active_account, payments):
    payout = payments.payout_add(active_account.stripe_account_id, [_charge(1, "10.00")])
    response = _login(client, other_owner).get(reverse("payments:payout", args=[payout.id]))
    assert response.status_code == 404


def test_payouts_error_is_shown_in_the_section(owner_client, active_account, payments):
    payments.fail_next("payout_list", RetryableError("timeout"))
    html = _html(owner_client)
    assert "Stripe could not be reached just now" in html and "Active" in html


def test_clinicians_do_not_see_payouts(client, clinician, active_account, payments):
    payout = payments.payout_add(active_account.stripe_account_id, [_charge(1, "10.00")])
    _login(client, clinician)
    assert 'id="payouts"' not in _html(client)
    assert client.get(reverse("payments:payout", args=[payout.id])).status_code == 403


def test_status_history_lists_the_machine_events(owner_client, active_account):
    html = _html(owner_client)
    assert "Status history" in html and "Not connected → <strong>Onboarding started" in html


def test_setup_overview_card(owner_client, active_account):
    overview = _html(owner_client, reverse("practice:setup"))
    assert 'hx-get="/billing/setup/payments/summary/"' in overview
    card = _html(owner_client, reverse("payments:processing_summary"))
    assert "Payment Processing" in card and "Active" in card and "✓" in card
