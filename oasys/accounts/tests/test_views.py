"""The password screens as a person uses them: the operator's link, a reset by email (the
same answer for an unknown address), changing one's password; each change audited."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client as WebClient
from django.urls import reverse

from oasys.accounts.links import set_password_url
from oasys.core.models import AuditEvent, User

pytestmark = pytest.mark.django_db
GOOD = "quiet river stones 42"


@pytest.fixture
def newcomer(practice):
    return User.objects.create_user(email="ana@example.com", password=None, practice=practice)


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_the_operators_link_sets_a_password_and_logs_in_once(newcomer):
    web = WebClient()
    path = _path(set_password_url(user=newcomer))
    page = web.get(path)
    assert page.status_code == 200 and "ana@example.com" in page.content.decode()
    weak = web.post(path, {"new_password1": "short", "new_password2": "short"})
    assert weak.status_code == 200 and "at least 12 characters" in weak.content.decode()
    done = web.post(path, {"new_password1": GOOD, "new_password2": GOOD})
    assert done.status_code == 302 and done.url == reverse("core:home")
    newcomer.refresh_from_db()
    assert newcomer.check_password(GOOD)
    assert web.get(reverse("billing:queue")).status_code == 200  # logged in
    assert WebClient().get(path).status_code == 404  # used: dead
    assert AuditEvent.objects.filter(category="password").count() == 1


def _reset_email_link(django_capture_on_commit_callbacks, web, email):
    with django_capture_on_commit_callbacks(execute=True):
        resp = web.post(reverse("accounts:reset"), {"email": email})
    assert resp.status_code == 302 and resp.url == reverse("accounts:reset_sent")
    return resp


def test_a_reset_by_email_end_to_end(owner, django_capture_on_commit_callbacks):
    web = WebClient()
    _reset_email_link(django_capture_on_commit_callbacks, web, owner.email.upper())
    [message] = mail.outbox
    assert message.to == [owner.email] and "Reset your Oasys password" in message.subject
    link = re.search(r"https?://\S+/account/password/reset/\S+/\S+/", message.body).group(0)
    confirm = web.get(_path(link), follow=True)
    assert confirm.status_code == 200 and "Choose a new password" in confirm.content.decode()
    done = web.post(confirm.redirect_chain[-1][0],
                    {"new_password1": GOOD, "new_password2": GOOD})
    assert done.status_code == 302 and done.url == reverse("accounts:reset_done")
    owner.refresh_from_db()
    assert owner.check_password(GOOD)
    assert AuditEvent.objects.filter(category="password", detail__via="reset").exists()
    assert WebClient().get(_path(link)).status_code == 404  # a reset link works once


def test_an_unknown_address_gets_the_same_answer_and_no_email(
        practice, django_capture_on_commit_callbacks):
    resp = _reset_email_link(django_capture_on_commit_callbacks, WebClient(),
                             "nobody@example.com")
    assert resp.url == reverse("accounts:reset_sent")
    assert mail.outbox == []


def test_a_forged_reset_link_is_a_404():
    assert WebClient().get("/account/password/reset/MQ/abc-def/").status_code == 404


def test_change_password_needs_the_old_one(owner_client, owner):
    url = reverse("accounts:change")
    wrong = owner_client.post(url, {"old_password": "nope", "new_password1": GOOD,
                                    "new_password2": GOOD})
    assert wrong.status_code == 200 and "incorrect" in wrong.content.decode()
    ok = owner_client.post(url, {"old_password": "correct horse battery", "new_password1": GOOD,
                                 "new_password2": GOOD})
    assert ok.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(GOOD)
    assert owner_client.get(reverse("billing:queue")).status_code == 200  # still logged in
    assert AuditEvent.objects.filter(category="password", detail__via="change").exists()


def test_the_login_page_links_to_the_reset():
    assert reverse("accounts:reset") in WebClient().get(reverse("core:login")).content.decode()
