"""The screens of cards: a client's Card on file page (staff) and the login-free card link
pages a client opens (`/pay/card/<token>/…`)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client as WebClient
from django.utils import timezone

from oasys.core.formats import date_text
from oasys.core.models import AuditEvent, Role, SentEmail, SentEmailStatus
from oasys.payments.cards import card_request_create, card_saved_record
from oasys.payments.models import CardRequest, CardRequestStatus, ClientPaymentProfile

from .conftest import save_card_on_form

pytestmark = pytest.mark.django_db


def _page(client_pk):
    return f"/billing/clients/{client_pk}/card/"


@pytest.fixture
def with_card(cash_client, account, ctx, payments):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    return card_saved_record(account=account,
                             session_id=save_card_on_form(payments, account, req), ctx=ctx)


def test_the_client_header_links_to_the_card_page(owner_client, cash_client):
    body = owner_client.get(f"/billing/clients/{cash_client.pk}/").content.decode()
    assert f'href="{_page(cash_client.pk)}"' in body and "Card on file" in body


def test_the_page_shows_the_masked_card_and_the_consent(owner_client, cash_client, with_card):
    resp = owner_client.get(_page(cash_client.pk))
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "Visa •••• 4242" in body
    assert f"12/{(timezone.now().year + 3) % 100:02d}" in body  # MM/YY
    consent_on = date_text(timezone.localtime(with_card.autopay_consent_at))
    assert f"Autopay consent given on {consent_on}" in body
    assert "to keep this card on file with Stripe" in body  # the text, in the details
    assert "Remove card" in body and "data-confirm=\"Remove this card?" in body
    assert "Opened in person" in body and "Card saved" in body  # the link and its status
    read = AuditEvent.objects.filter(action="read", category="payment_method").get()
    assert read.client_id_ref == cash_client.pk


def test_no_card_and_the_two_ways_to_ask_for_one(owner_client, cash_client, account):
    body = owner_client.get(_page(cash_client.pk)).content.decode()
    assert "No card on file" in body
    assert "Email the client a link to add a card" in body
    assert "Open the card form now" in body


def test_emailing_a_link(owner_client, cash_client, account, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        resp = owner_client.post(f"{_page(cash_client.pk)}request/", {"action": "email"},
                                 follow=True)
    assert "Emailed maria@example.com a link to add a card." in resp.content.decode()
    [message] = mail.outbox
    req = CardRequest.objects.get()
    assert f"/pay/card/{req.token}/" in message.body


def test_open_the_card_form_now_goes_to_the_public_page(owner_client, cash_client, account):
    resp = owner_client.post(f"{_page(cash_client.pk)}request/", {"action": "now"})
    req = CardRequest.objects.get()
    assert resp.status_code == 302 and resp.url == f"/pay/card/{req.token}/"
    assert req.emailed_to == "" and not mail.outbox


def test_a_practice_that_cannot_take_cards_is_told_why(owner_client, cash_client):
    body = owner_client.get(_page(cash_client.pk)).content.decode()
    assert "Payment processing is Not connected" in body
    assert "Email the client a link" not in body
    resp = owner_client.post(f"{_page(cash_client.pk)}request/", {"action": "email"},
                             follow=True)
    assert "Payment processing is Not connected" in resp.content.decode()
    assert not CardRequest.objects.exists()


class BrokenMail(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("smtp down")


def test_an_email_that_could_not_be_sent_shows_on_the_page(owner_client, cash_client, account,
                                                           settings,
                                                           django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMail"
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(f"{_page(cash_client.pk)}request/", {"action": "email"})
    # recorded in the outbox, retried, then failed; the card page says so
    assert SentEmail.objects.get(kind="card_request").status == SentEmailStatus.FAILED
    body = owner_client.get(_page(cash_client.pk)).content.decode()
    assert "not sent" in body


def test_staff_cancel_a_pending_link(owner_client, cash_client, account, ctx):
    req = card_request_create(client=cash_client, ctx=ctx, send_email=False)
    assert "Cancel link" in owner_client.get(_page(cash_client.pk)).content.decode()
    resp = owner_client.post(f"{_page(cash_client.pk)}requests/{req.pk}/cancel/", follow=True)
    assert "Link cancelled" in resp.content.decode()
    req.refresh_from_db()
    assert req.status == CardRequestStatus.CANCELLED
    assert WebClient().get(f"/pay/card/{req.token}/").status_code == 410
    again = owner_client.post(f"{_page(cash_client.pk)}requests/{req.pk}/cancel/", follow=True)
    assert "not possible now" in again.content.decode()


def test_remove(owner_client, cash_client, with_card):
    resp = owner_client.post(f"{_page(cash_client.pk)}remove/", follow=True)
    assert "Card removed." in resp.content.decode()
    assert not ClientPaymentProfile.objects.get(pk=with_card.pk).has_card


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.SUPERVISOR])
def test_clinicians_neither_see_nor_change_the_card(role_client, role, cash_client,
                                                    with_card):
    """A card on file is payment data: not for clinical roles (core/permissions.py)."""
    web = role_client(role)
    assert web.get(_page(cash_client.pk)).status_code == 403
    assert web.post(f"{_page(cash_client.pk)}remove/").status_code == 403
    assert web.post(f"{_page(cash_client.pk)}request/", {"action": "now"}).status_code == 403
    assert ClientPaymentProfile.objects.get(pk=with_card.pk).has_card


def test_a_biller_can_change_it(role_client, cash_client, with_card):
    web = role_client(Role.BILLER)
    assert web.post(f"{_page(cash_client.pk)}remove/").status_code == 302
    assert not ClientPaymentProfile.objects.get(pk=with_card.pk).has_card


def test_another_practices_client_is_not_found(client, other_owner, cash_client, with_card):
    client.force_login(other_owner)
    for url in (_page(cash_client.pk), f"{_page(cash_client.pk)}remove/",
                f"{_page(cash_client.pk)}request/"):
        assert client.post(url).status_code in (404, 405)
    assert client.get(_page(cash_client.pk)).status_code == 404
    assert ClientPaymentProfile.objects.get(pk=with_card.pk).has_card


# --- the public pages -------------------------------------------------------------------------


@pytest.fixture
def link(cash_client, account, ctx):
    return card_request_create(client=cash_client, ctx=ctx, send_email=False)


def test_the_card_link_page_needs_no_login_and_shows_only_a_first_name(link):
    web = WebClient()
    resp = web.get(f"/pay/card/{link.token}/")
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "Serenity Test Counseling" in body and "Hi Maria" in body
    assert "I authorize Serenity Test Counseling to keep this card on file" in body
    assert "Continue to secure card form" in body
    for phi in ("Lopez", "maria@example.com", "1985"):
        assert phi not in body
    assert "Log out" not in body  # no staff navigation
    read = AuditEvent.objects.filter(action="read", object_type="CardRequest").get()
    assert (read.category, read.client_id_ref, read.practice_id_ref) == \
        ("demographics", link.client_id, link.practice_id)


def test_consent_is_required_before_the_card_form(link, payments):
    web = WebClient()
    resp = web.post(f"/pay/card/{link.token}/", {})
    assert resp.status_code == 422
    assert "Tick the box to authorize" in resp.content.decode()
    assert not [c for c in payments.calls if c[0] == "setup_session_create"]


def test_continue_goes_to_stripes_hosted_form(link, payments):
    web = WebClient()
    resp = web.post(f"/pay/card/{link.token}/", {"consent": "yes"})
    link.refresh_from_db()
    assert resp.status_code == 302
    assert resp.url == f"https://checkout.fake.test/c/pay/{link.checkout_session_id}"
    assert link.consent_at is not None


def test_the_return_page_records_and_shows_the_card(link, account, payments, owner_client,
                                                    cash_client):
    web = WebClient()
    web.post(f"/pay/card/{link.token}/", {"consent": "yes"})
    link.refresh_from_db()
    payments.setup_session_complete(account.stripe_account_id, link.checkout_session_id)
    resp = web.get(f"/pay/card/{link.token}/done/?session_id={link.checkout_session_id}")
    assert "Card saved: Visa •••• 4242. You can close this page." in resp.content.decode()
    link.refresh_from_db()
    assert link.status == CardRequestStatus.COMPLETED
    # Reloaded, with or without Stripe's parameter, it says the same and records nothing.
    assert "Card saved: Visa •••• 4242" in web.get(f"/pay/card/{link.token}/done/").content.decode()
    assert "Visa •••• 4242" in owner_client.get(_page(cash_client.pk)).content.decode()
    # The link is used now.
    used = web.get(f"/pay/card/{link.token}/")
    assert "already been used" in used.content.decode()


def test_the_return_page_before_the_card_is_saved(link, payments):
    web = WebClient()
    web.post(f"/pay/card/{link.token}/", {"consent": "yes"})
    link.refresh_from_db()
    resp = web.get(f"/pay/card/{link.token}/done/?session_id={link.checkout_session_id}")
    body = resp.content.decode()
    assert "not been saved yet" in body and "Back to the card form" in body


def test_the_return_page_refuses_another_links_session(link, cash_client, account, ctx,
                                                       payments):
    other = CardRequest.objects.create(practice=cash_client.practice, client=cash_client,
                                       token="o" * 43,
                                       expires_at=timezone.now() + dt.timedelta(days=1))
    session_id = save_card_on_form(payments, account, link)
    resp = WebClient().get(f"/pay/card/{other.token}/done/?session_id={session_id}")
    assert resp.status_code == 404
    assert "4242" not in resp.content.decode()


def test_expired_and_unknown_links(link):
    CardRequest.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - dt.timedelta(hours=1))
    web = WebClient()
    resp = web.get(f"/pay/card/{link.token}/")
    assert resp.status_code == 410 and "This link has expired" in resp.content.decode()
    resp = web.post(f"/pay/card/{link.token}/", {"consent": "yes"})
    assert resp.status_code == 410
    link.refresh_from_db()
    assert link.status == CardRequestStatus.EXPIRED
    assert web.get("/pay/card/nope/").status_code == 404
    assert web.get("/pay/card/nope/done/?session_id=cs_x").status_code == 404


def test_the_public_page_when_the_practice_stopped_taking_cards(link, account):
    # As if Stripe had restricted the account since the link was sent.
    type(account).objects.filter(pk=account.pk).update(status="restricted")
    resp = WebClient().post(f"/pay/card/{link.token}/", {"consent": "yes"})
    assert resp.status_code == 200
    assert "Payment processing is Restricted" in resp.content.decode()
