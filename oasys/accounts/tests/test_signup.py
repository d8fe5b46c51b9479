"""Sign-up as people use it: each OASYS_SIGNUP mode, refusals that change nothing, the owner
who cannot log in before the email is confirmed, the verification link (once, for
VERIFY_HOURS), the same answer whether or not the address is taken, the per-address brake,
and the operator's sign-up link."""

from __future__ import annotations

import datetime as dt
import re
import time
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core import mail, signing
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client as WebClient
from django.urls import reverse

from oasys.accounts import signup
from oasys.accounts.models import PracticeStart, StartedVia
from oasys.core.models import AuditEvent, Practice, Role, SentEmail, User

pytestmark = pytest.mark.django_db
SIGNUP = "/account/signup/"
GOOD = "tidal pools at dawn 2026"
FORM = {"practice_name": "Harbor Light Counseling", "first_name": "Mia",
        "last_name": "Chen", "email": "mia@harborlight.test", "password1": GOOD,
        "password2": GOOD}


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.OASYS_SIGNUP = "open"
    settings.OASYS_BASE_URL = "http://testserver"
    cache.clear()  # the per-address brake lives in the cache
    yield
    cache.clear()


def _fingerprint() -> tuple[int, int, int, int]:
    return (Practice.objects.count(), User.objects.count(), PracticeStart.objects.count(),
            SentEmail.objects.count())


def _sign_up(web: WebClient, capture, **changes):
    with capture(execute=True):
        return web.post(SIGNUP, {**FORM, **changes})


def _clock_ahead(monkeypatch, by: dt.timedelta) -> None:
    """Signed links read their age from `time.time()` in django.core.signing: move that
    clock only."""
    now = time.time() + by.total_seconds()
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: now))


def _link(message) -> str:
    return re.search(r"https?://testserver(/account/verify/\S+/)", message.body).group(1)


# --- the modes ----------------------------------------------------------------------------------
def test_closed_has_no_page_and_no_link_on_the_login_page(settings, client):
    settings.OASYS_SIGNUP = "closed"
    assert client.get(SIGNUP).status_code == 404
    assert client.post(SIGNUP, FORM).status_code == 404
    assert client.get(reverse("accounts:signup_sent")).status_code == 404
    assert "Sign up your practice" not in client.get(reverse("core:login")).content.decode()
    assert not User.objects.exists()


def test_open_has_the_page_and_the_link(client):
    login = client.get(reverse("core:login")).content.decode()
    assert 'href="/account/signup/"' in login
    page = client.get(SIGNUP)
    assert page.status_code == 200 and "Practice name" in page.content.decode()


def test_invite_needs_the_operators_link(settings, client, django_capture_on_commit_callbacks):
    settings.OASYS_SIGNUP = "invite"
    assert client.get(SIGNUP).status_code == 404
    assert client.post(SIGNUP, FORM).status_code == 404
    assert "Sign up your practice" not in client.get(reverse("core:login")).content.decode()
    assert not User.objects.exists()

    out = StringIO()
    call_command("practice", "invite-signup", "--email", "Mia@HarborLight.test", stdout=out)
    link = re.search(r"https?://testserver(/account/signup/invited/\S+/)",
                     out.getvalue()).group(1)
    page = client.get(link).content.decode()
    assert "mia@harborlight.test" in page
    # the address is the link's, whatever the form says
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(link, {**FORM, "email": "someone@else.test"})
    assert resp.status_code == 302 and resp.url == reverse("accounts:signup_sent")
    owner = User.objects.get()
    assert owner.email == "mia@harborlight.test" and not owner.is_active
    assert mail.outbox[-1].to == ["mia@harborlight.test"]


def test_a_forged_or_old_invite_link_is_refused(settings, client, monkeypatch):
    settings.OASYS_SIGNUP = "invite"
    assert client.get("/account/signup/invited/forged/").status_code == 404
    token = signup.signup_invite_token(email="mia@harborlight.test")
    _clock_ahead(monkeypatch, dt.timedelta(days=signup.INVITE_DAYS, minutes=1))
    assert client.get(f"/account/signup/invited/{token}/").status_code == 404
    monkeypatch.undo()
    assert client.get(f"/account/signup/invited/{token}/").status_code == 200
    settings.OASYS_SIGNUP = "closed"  # closing sign-up kills the links too
    assert client.get(f"/account/signup/invited/{token}/").status_code == 404


def test_invite_signup_command_refuses_what_it_cannot_do(settings, owner):
    with pytest.raises(CommandError, match="Not an email"):
        call_command("practice", "invite-signup", "--email", "nobody", stdout=StringIO())
    with pytest.raises(CommandError, match="has an Oasys account"):
        call_command("practice", "invite-signup", "--email", owner.email, stdout=StringIO())
    settings.OASYS_SIGNUP = "closed"
    with pytest.raises(CommandError, match="closed"):
        call_command("practice", "invite-signup", "--email", "new@x.test", stdout=StringIO())


# --- the sign-up itself -----------------------------------------------------------------------
def test_sign_up_makes_a_practice_and_an_owner_who_cannot_log_in_yet(
        client, django_capture_on_commit_callbacks):
    resp = _sign_up(client, django_capture_on_commit_callbacks)
    assert resp.status_code == 302 and resp.url == reverse("accounts:signup_sent")
    owner = User.objects.get(email="mia@harborlight.test")
    assert (owner.role, owner.first_name, owner.last_name) == (Role.OWNER, "Mia", "Chen")
    assert owner.practice.name == "Harbor Light Counseling"
    assert not owner.is_active and owner.check_password(GOOD)
    start = PracticeStart.objects.get(practice=owner.practice)
    assert (start.owner, start.via, start.verified_at) == (owner, StartedVia.SIGNUP, None)
    [message] = mail.outbox
    assert message.to == [owner.email] and "Confirm" in message.subject
    assert AuditEvent.objects.filter(category="signup", object_id=str(owner.pk)).exists()

    login = WebClient().post(reverse("core:login"), {"username": owner.email,
                                                      "password": GOOD})
    assert login.status_code == 200  # the form again: not logged in
    assert "_auth_user_id" not in WebClient().session


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"practice_name": "   "}, "practice_name", ""),
    ({"email": "not-an-address"}, "email", "valid email"),
    ({"password1": "short", "password2": "short"}, "password1", "too short"),
    ({"password1": "password1234", "password2": "password1234"}, "password1", "too common"),
    ({"password1": "736205918374", "password2": "736205918374"}, "password1",
     "entirely numeric"),
    ({"password1": "harborlight.test", "password2": "harborlight.test"}, "password1",
     "too similar"),
    ({"password2": "another long passphrase"}, "password2", "differ"),
    ({"first_name": ""}, "first_name", "required"),
])
def test_a_refused_sign_up_changes_nothing(client, changes, field, words,
                                           django_capture_on_commit_callbacks):
    before = _fingerprint()
    resp = _sign_up(client, django_capture_on_commit_callbacks, **changes)
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert field in errors and words in " ".join(errors[field])
    assert _fingerprint() == before and not mail.outbox


def test_the_service_refuses_a_weak_password_and_undoes_the_practice():
    with pytest.raises(signup.InvalidInput):
        signup.signup_submit(practice_name="Harbor", first_name="M", last_name="C",
                             email="m@h.test", password="short", source_ip=None)
    assert _fingerprint() == (0, 0, 0, 0)


# --- the verification link --------------------------------------------------------------------
def test_the_link_verifies_logs_in_and_works_once(client, django_capture_on_commit_callbacks):
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _link(mail.outbox[-1])
    browser = WebClient()
    assert browser.get(link).status_code == 200  # a button: a mail scanner uses nothing up
    owner = User.objects.get(email=FORM["email"])
    assert not owner.is_active
    resp = browser.post(link)
    assert resp.status_code == 302 and resp.url == reverse("core:home")
    owner.refresh_from_db()
    assert owner.is_active and owner.last_login is not None
    assert PracticeStart.objects.get(owner=owner).verified_at is not None
    assert int(browser.session["_auth_user_id"]) == owner.pk
    assert browser.get(reverse("core:home"), follow=True).redirect_chain[-1][0] == \
        reverse("accounts:start")  # lands on the setup checklist
    # used: dead on GET and POST, for anyone
    assert WebClient().get(link).status_code == 404
    assert WebClient().post(link).status_code == 404
    # and the password now logs in
    assert WebClient().post(reverse("core:login"), {"username": owner.email,
                                                     "password": GOOD}).status_code == 302


def test_an_expired_link_is_refused(client, django_capture_on_commit_callbacks, monkeypatch):
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _link(mail.outbox[-1])
    _clock_ahead(monkeypatch, dt.timedelta(hours=signup.VERIFY_HOURS, minutes=1))
    assert WebClient().get(link).status_code == 404
    assert WebClient().post(link).status_code == 404
    assert not User.objects.get(email=FORM["email"]).is_active
    monkeypatch.undo()
    assert WebClient().post(link).status_code == 302  # the same link, within its hours


def test_a_forged_link_is_refused(client):
    assert client.get("/account/verify/forged/").status_code == 404
    assert client.post("/account/verify/forged/").status_code == 404


def test_a_deactivated_member_cannot_be_revived_by_a_verification_link(
        client, django_capture_on_commit_callbacks):
    _sign_up(client, django_capture_on_commit_callbacks)
    link = _link(mail.outbox[-1])
    WebClient().post(link)
    owner = User.objects.get(email=FORM["email"])
    User.objects.filter(pk=owner.pk).update(is_active=False)  # e.g. deactivated later
    assert WebClient().post(link).status_code == 404
    owner.refresh_from_db()
    assert not owner.is_active


# --- no account enumeration ------------------------------------------------------------------
def test_a_taken_address_gets_the_same_answer_and_its_owner_an_email(
        client, owner, django_capture_on_commit_callbacks):
    fresh = _sign_up(WebClient(), django_capture_on_commit_callbacks,
                     email="new@harborlight.test")
    before = _fingerprint()
    taken = _sign_up(client, django_capture_on_commit_callbacks, email=owner.email.upper())
    assert (taken.status_code, taken.url) == (fresh.status_code, fresh.url)
    assert _fingerprint()[:3] == before[:3]  # no practice, no user, no start
    message = mail.outbox[-1]
    assert message.to == [owner.email] and "already have an Oasys account" in message.subject
    assert "/account/verify/" not in message.body
    owner.refresh_from_db()
    assert owner.check_password("correct horse battery")  # their password is untouched
    def main(resp) -> str:  # the page's words (the CSRF token in the header differs)
        return re.search(r"<main.*</main>", resp.content.decode(), re.S).group(0)

    assert main(WebClient().get(fresh.url)) == main(WebClient().get(taken.url))


def test_signing_up_again_while_unverified_sends_a_fresh_link(
        client, django_capture_on_commit_callbacks):
    _sign_up(client, django_capture_on_commit_callbacks)
    before = _fingerprint()[:3]
    resp = _sign_up(WebClient(), django_capture_on_commit_callbacks,
                    practice_name="Another Name")
    assert resp.url == reverse("accounts:signup_sent")
    assert _fingerprint()[:3] == before and len(mail.outbox) == 2
    assert "/account/verify/" in mail.outbox[-1].body
    assert WebClient().post(_link(mail.outbox[-1])).status_code == 302


def test_the_outcomes_the_service_tells_the_caller(owner, django_capture_on_commit_callbacks):
    args = {"practice_name": "H", "first_name": "M", "last_name": "C", "password": GOOD,
            "source_ip": "203.0.113.9"}
    with django_capture_on_commit_callbacks(execute=True):
        assert signup.signup_submit(email="x@h.test", **args) == signup.SignUpOutcome.CREATED
        assert signup.signup_submit(email="X@h.test", **args) == signup.SignUpOutcome.RESENT
        assert signup.signup_submit(email=owner.email, **args) == \
            signup.SignUpOutcome.EXISTING


# --- the brake per address -------------------------------------------------------------------
def test_sign_ups_per_address_are_limited(settings, django_capture_on_commit_callbacks):
    settings.OASYS_SIGNUP_PER_IP_HOUR = 2
    web = WebClient(REMOTE_ADDR="198.51.100.7")
    for n in range(2):
        assert _sign_up(web, django_capture_on_commit_callbacks,
                        email=f"p{n}@x.test").status_code == 302
    before = _fingerprint()
    third = _sign_up(web, django_capture_on_commit_callbacks, email="p3@x.test")
    assert third.status_code == 429 and "Too many sign-ups" in third.content.decode()
    assert _fingerprint() == before
    other = WebClient(REMOTE_ADDR="198.51.100.8")  # another address is not held back
    assert _sign_up(other, django_capture_on_commit_callbacks,
                    email="p4@x.test").status_code == 302


def test_a_logged_in_person_is_sent_home(owner_client):
    assert owner_client.get(SIGNUP).url == reverse("core:home")
