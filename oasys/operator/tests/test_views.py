"""The operator console: only a staff user with two-factor reaches it; every action works
from its page and is audited; the export downloads a zip of CSVs."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from oasys.billing.tests.factories import make_client
from oasys.core.models import AuditEvent, Practice, User

from .conftest import operator_login, totp_code

pytestmark = pytest.mark.django_db


def _urls(practice_id: int) -> list[tuple[str, str]]:
    """Every operator URL with the method it answers."""
    return [("get", reverse("operator:console")),
            ("get", reverse("operator:practice", args=[practice_id]))] + [
        ("post", reverse(f"operator:{name}", args=[practice_id]))
        for name in ("suspend", "reactivate", "export", "delete", "delete_cancel")]


def test_every_operator_url_is_403_to_a_practice_user(owner_client, owner, practice):
    owner.is_staff = True  # staff of a practice is still a practice user, not the operator
    owner.save()
    for method, url in _urls(practice.pk):
        assert getattr(owner_client, method)(url).status_code == 403, url
    assert not AuditEvent.objects.filter(category="operator").exists()


def test_every_operator_url_is_403_to_a_non_staff_user_without_practice(client, db, practice):
    nobody = User.objects.create_user(email="nobody@x.example", password="p" * 12)
    client.force_login(nobody)
    for method, url in _urls(practice.pk):
        assert getattr(client, method)(url).status_code == 403, url


def test_anonymous_is_sent_to_log_in(client, practice):
    for method, url in _urls(practice.pk):
        resp = getattr(client, method)(url)
        assert resp.status_code == 302 and resp.url.startswith(reverse("core:login")), url
    assert Practice.objects.get(pk=practice.pk).suspended_at is None


def test_staff_without_two_factor_must_set_it_up_first(operator_user, practice):
    web = operator_login(operator_user)
    for method, url in _urls(practice.pk):
        resp = getattr(web, method)(url)
        assert resp.status_code == 302, url
        assert resp.url.startswith(reverse("accounts:two_factor_setup")), resp.url
    assert Practice.objects.get(pk=practice.pk).suspended_at is None
    # setting it up (the accounts pages) opens the console
    assert web.get(reverse("accounts:two_factor_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=operator_user)
    done = web.post(reverse("accounts:two_factor_setup"),
                    {"code": f"{totp(device.bin_key):06d}",
                     "next": reverse("operator:console")})
    assert done.status_code == 200
    assert web.get(reverse("operator:console")).status_code == 200


def test_operator_must_give_a_code_at_each_login(operator_2fa, practice):
    web = operator_login(operator_2fa)
    home = web.get("/")
    assert home.status_code == 302  # the landing page wants the code first too
    resp = web.get(reverse("operator:console"))
    assert resp.status_code == 302 and resp.url.startswith(reverse("accounts:two_factor_verify"))
    assert web.post(reverse("accounts:two_factor_verify"),
                    {"code": "000000"}).status_code == 422
    assert web.get(reverse("operator:console")).status_code == 302
    ok = web.post(reverse("accounts:two_factor_verify"),
                  {"code": totp_code(operator_2fa), "next": reverse("operator:console")})
    assert ok.status_code == 302 and ok.url == reverse("operator:console")
    assert web.get(reverse("operator:console")).status_code == 200
    assert web.get("/").url == reverse("operator:console")  # the operator's home
    # a new login asks again
    again = operator_login(operator_2fa)
    assert again.get(reverse("operator:console")).url.startswith(
        reverse("accounts:two_factor_verify"))


def test_console_lists_practices_with_counts_and_no_client_names(operator_client, practice,
                                                                 owner, other_practice):
    client = make_client(practice, first_name="Zelda", last_name="Quintero-Marsh")
    page = operator_client.get(reverse("operator:console"))
    body = page.content.decode()
    assert page.status_code == 200
    assert practice.name in body and other_practice.name in body
    assert "Active" in body and "Pay per use" in body
    detail = operator_client.get(reverse("operator:practice", args=[practice.pk]))
    text = detail.content.decode()
    assert detail.status_code == 200 and owner.email in text
    assert "clients.Client" in text  # rows per table
    assert client.last_name not in body + text and client.first_name not in body + text


def test_missing_practice_is_404(operator_client):
    assert operator_client.get(reverse("operator:practice", args=[999999])).status_code == 404
    assert operator_client.post(reverse("operator:suspend", args=[999999])).status_code == 404


def _events(practice, **detail):
    return [e for e in AuditEvent.objects.filter(category="operator", practice_id_ref=practice.pk)
            if all(e.detail.get(k) == v for k, v in detail.items())]


def test_suspend_and_reactivate_from_the_page_are_audited(operator_client, operator_2fa,
                                                          practice):
    resp = operator_client.post(reverse("operator:suspend", args=[practice.pk]))
    assert resp.status_code == 302
    practice.refresh_from_db()
    assert practice.is_suspended
    [event] = _events(practice, suspended=True)
    assert event.user_id_ref == operator_2fa.pk and event.object_id == str(practice.pk)
    page = operator_client.get(reverse("operator:console")).content.decode()
    assert "Suspended" in page
    # twice: a clear refusal, nothing changes
    operator_client.post(reverse("operator:suspend", args=[practice.pk]))
    assert len(_events(practice, suspended=True)) == 1
    operator_client.post(reverse("operator:reactivate", args=[practice.pk]))
    practice.refresh_from_db()
    assert not practice.is_suspended and len(_events(practice, suspended=False)) == 1


def test_delete_needs_the_slug_and_can_be_cancelled(operator_client, practice, settings):
    settings.PRACTICE_DELETE_GRACE_DAYS = 30
    url = reverse("operator:delete", args=[practice.pk])
    operator_client.post(url, {"confirm_slug": "not-the-slug"})
    practice.refresh_from_db()
    assert practice.delete_after is None and not practice.is_suspended
    operator_client.post(url, {"confirm_slug": practice.slug})
    practice.refresh_from_db()
    assert practice.delete_after is not None and practice.is_suspended
    assert 29 <= (practice.delete_after - practice.suspended_at).days <= 30
    page = operator_client.get(reverse("operator:practice", args=[practice.pk]))
    assert "Cancel the deletion" in page.content.decode()
    operator_client.post(reverse("operator:delete_cancel", args=[practice.pk]))
    practice.refresh_from_db()
    assert practice.delete_after is None and practice.is_suspended
    assert len(_events(practice, delete_cancelled=True)) == 1
    assert any("delete_after" in e.detail for e in _events(practice))


def test_export_downloads_a_zip_of_csvs(operator_client, practice, other_practice):
    mine = make_client(practice, first_name="Ana", last_name="Mine")
    make_client(other_practice, first_name="Bo", last_name="Theirs")
    resp = operator_client.post(reverse("operator:export", args=[practice.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == "application/zip"
    assert "attachment" in resp["Content-Disposition"] and practice.slug in resp[
        "Content-Disposition"]
    assert "no-store" in resp["Cache-Control"]
    data = b"".join(resp.streaming_content)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("tables/clients.Client.csv").decode())))
        assert [r["id"] for r in rows] == [str(mine.pk)]
        assert rows[0]["last_name"] == "Mine"
        assert "manifest.json" in zf.namelist()
    assert operator_client.get(reverse("operator:export", args=[practice.pk])).status_code == 405
    [event] = AuditEvent.objects.filter(action="export", category="operator")
    assert event.practice_id_ref == practice.pk and event.detail["rows"] >= 1
