"""What suspending and deleting a practice do: its users are refused (pages, log in, API),
its periodic work is skipped, and once the grace period is over the deletion task removes
every row and file of the practice and nothing of another."""

from __future__ import annotations

import datetime as dt
import io
import secrets
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from oasys.autobilling.models import AutoBillingSettings, BillingRun
from oasys.autobilling.schedule import cutoff_at
from oasys.autobilling.services import autobilling_settings_update, billing_runs_due_start
from oasys.billing.readiness import billing_queue
from oasys.billing.services import billing_submit
from oasys.claims.models import Claim, ClaimEvent
from oasys.claims.status import ClaimStatus
from oasys.claims.tasks import claims_needing_inquiry
from oasys.clients.models import Client
from oasys.core.audit import AuditContext, audit_verify
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import (
    PRACTICE_SUSPENDED_MESSAGE,
    ApiToken,
    AuditEvent,
    Practice,
    User,
)
from oasys.core.timezones import practice_zone
from oasys.demo.seed import seed_demo
from oasys.eligibility.models import InsuranceCard
from oasys.invoices.charging import invoices_card_retries_run
from oasys.invoices.models import Invoice, PaymentAttempt
from oasys.operator import services
from oasys.operator.tables import practice_tables
from oasys.operator.tasks import practices_purge_task

pytestmark = pytest.mark.django_db
CTX = AuditContext(user_id=None, user_email="ops@server.example")
PASSWORD = "correct horse battery"  # the owner fixture's


def test_a_suspended_practices_users_cannot_log_in(client, owner, practice):
    services.practice_suspend(practice=practice, ctx=CTX)
    resp = client.post(reverse("core:login"), {"username": owner.email, "password": PASSWORD})
    assert resp.status_code == 200 and "_auth_user_id" not in client.session
    assert "suspended" in resp.content.decode()
    assert AuditEvent.objects.filter(action="login_failed").exists()
    # a wrong password says nothing about the practice
    wrong = client.post(reverse("core:login"), {"username": owner.email, "password": "nope"})
    assert "suspended" not in wrong.content.decode()
    services.practice_reactivate(practice=practice, ctx=CTX)
    ok = client.post(reverse("core:login"), {"username": owner.email, "password": PASSWORD})
    assert ok.status_code == 302


def test_a_session_open_when_suspended_ends_with_the_reason(owner_client, practice):
    assert owner_client.get("/billing/sessions/").status_code == 200
    services.practice_suspend(practice=practice, ctx=CTX)
    resp = owner_client.get("/billing/sessions/")
    assert resp.status_code == 403 and "suspended" in resp.content.decode()
    assert "_auth_user_id" not in owner_client.session  # logged out
    assert owner_client.get("/billing/sessions/").status_code == 302  # to the login page


def test_the_api_refuses_a_suspended_practice_with_the_reason(api_client, owner, practice):
    assert api_client.get("/api/v1/clients").status_code == 200
    services.practice_suspend(practice=practice, ctx=CTX)
    resp = api_client.get("/api/v1/clients")
    assert resp.status_code == 403
    assert resp.json()["errors"]["__all__"] == PRACTICE_SUSPENDED_MESSAGE
    token = WebClient().post("/api/v1/auth/token", {"email": owner.email, "password": PASSWORD},
                             content_type="application/json")
    assert token.status_code == 401 and "suspended" in token.json()["detail"]
    assert ApiToken.objects.filter(user=owner).count() == 1  # none issued


def test_suspend_twice_or_reactivate_an_active_one_is_refused(practice):
    with pytest.raises(Conflict):
        services.practice_reactivate(practice=practice, ctx=CTX)
    services.practice_suspend(practice=practice, ctx=CTX)
    with pytest.raises(Conflict):
        services.practice_suspend(practice=practice, ctx=CTX)
    events = AuditEvent.objects.filter(category="operator", practice_id_ref=practice.pk)
    assert [e.detail for e in events] == [{"suspended": True}]


def test_auto_billing_skips_a_suspended_practice(practice, django_capture_on_commit_callbacks):
    ctx = AuditContext.system(practice_id=practice.pk)
    row = autobilling_settings_update(practice=practice, ctx=ctx,
                                      data={"enabled": True, "backfill": "all"})
    AutoBillingSettings.objects.filter(pk=row.pk).update(
        enabled_at=timezone.now() - dt.timedelta(days=10))
    day = timezone.localdate(timezone=practice_zone(practice)) - dt.timedelta(days=2)
    now = cutoff_at(day, row.cutoff_hour, practice_zone(practice)) + dt.timedelta(minutes=1)
    services.practice_suspend(practice=practice, ctx=CTX)
    assert billing_runs_due_start(now=now) == [] and not BillingRun.objects.exists()
    services.practice_reactivate(practice=practice, ctx=CTX)
    with django_capture_on_commit_callbacks(execute=True):
        assert len(billing_runs_due_start(now=now)) == 1


@pytest.fixture
def demo():
    """Both demo practices, Serenity's Ready sessions billed too (claims with their 837P
    file, invoices, journal entries), through the product's own path."""
    seed_demo()
    serenity = Practice.objects.get(slug="serenity")
    ready = [i.appointment.pk for i in billing_queue(practice=serenity) if i.ready]
    result = billing_submit(practice=serenity, appointment_ids=ready,
                            ctx=AuditContext.system(practice_id=serenity.pk))
    assert result.claims and result.invoices
    return serenity, Practice.objects.get(slug="harbor")


def test_claim_inquiries_and_card_retries_skip_a_suspended_practice(demo):
    serenity, _ = demo
    old = timezone.now() - dt.timedelta(days=60)
    claim = Claim.objects.filter(practice=serenity).first()
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.SUBMITTED, submitted_at=old,
                                             last_status_inquiry_at=None)
    ClaimEvent.objects.filter(claim=claim).update(created_at=old)
    invoice = Invoice.objects.filter(practice=serenity).first()
    Invoice.objects.filter(pk=invoice.pk).update(status="open", next_charge_at=old)

    services.practice_suspend(practice=serenity, ctx=CTX)
    assert claim.pk not in claims_needing_inquiry()
    assert invoices_card_retries_run() == 0
    invoice.refresh_from_db()
    assert invoice.next_charge_at == old

    services.practice_reactivate(practice=serenity, ctx=CTX)
    assert claim.pk in claims_needing_inquiry()
    invoices_card_retries_run()
    invoice.refresh_from_db()
    tried = PaymentAttempt.objects.filter(invoice=invoice).exists()
    assert tried or invoice.next_charge_at != old  # charged, or its schedule ended


def test_deletion_asks_for_the_slug_and_waits_the_grace_period(practice, settings):
    settings.PRACTICE_DELETE_GRACE_DAYS = 7
    with pytest.raises(InvalidInput):
        services.practice_delete_schedule(practice=practice, confirm_slug="", ctx=CTX)
    with pytest.raises(InvalidInput):
        services.practice_delete_schedule(practice=practice, confirm_slug="elsewhere", ctx=CTX)
    practice.refresh_from_db()
    assert practice.delete_after is None and not practice.is_suspended
    row = services.practice_delete_schedule(practice=practice, confirm_slug=practice.slug,
                                            ctx=CTX)
    assert row.is_suspended
    assert row.delete_after - timezone.now() > dt.timedelta(days=6, hours=23)
    with pytest.raises(Conflict):
        services.practice_reactivate(practice=practice, ctx=CTX)  # cancel first
    assert practices_purge_task() == 0  # not due: nothing deleted
    with pytest.raises(Conflict):
        services.practice_purge(practice=practice, ctx=CTX)
    assert services.practices_purge_due(now=timezone.now() + dt.timedelta(days=6)) == []
    services.practice_delete_cancel(practice=practice, ctx=CTX)
    assert services.practices_purge_due(now=timezone.now() + dt.timedelta(days=8)) == []
    assert Practice.objects.filter(pk=practice.pk).exists()
    with pytest.raises(Conflict):
        services.practice_delete_cancel(practice=practice, ctx=CTX)
    services.practice_reactivate(practice=practice, ctx=CTX)


def _counts(practice_id: int) -> dict[str, int]:
    stub = Practice(pk=practice_id)
    return {t.label: t.rows(stub).count() for t in practice_tables()}


def test_the_deletion_task_deletes_every_row_and_file_of_the_practice_only(
        demo, django_capture_on_commit_callbacks):
    serenity, harbor = demo
    owner = User.objects.filter(practice=serenity).first()
    TOTPDevice.objects.create(user=owner, name="app", confirmed=True)
    static = StaticDevice.objects.create(user=owner, name="codes", confirmed=True)
    StaticToken.objects.create(device=static, token="abc12345")
    card = InsuranceCard(practice=serenity, side="front", content_type="image/png", size=4,
                         client=Client.objects.filter(practice=serenity).first())
    card.image.save("front.png", ContentFile(b"\x89PNG"), save=True)
    assert default_storage.exists(card.image.name)
    before_serenity, before_harbor = _counts(serenity.pk), _counts(harbor.pk)
    assert before_serenity["ledger.JournalEntry"] > 0 and before_serenity[
        "clearinghouse.EdiFile"] > 0 and before_serenity["otp_static.StaticToken"] == 1

    services.practice_delete_schedule(practice=serenity, confirm_slug="serenity", ctx=CTX)
    Practice.objects.filter(pk=serenity.pk).update(
        delete_after=timezone.now() - dt.timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert practices_purge_task() == 1

    assert not Practice.objects.filter(pk=serenity.pk).exists()
    assert all(n == 0 for n in _counts(serenity.pk).values()), _counts(serenity.pk)
    assert _counts(harbor.pk) == before_harbor
    assert not default_storage.exists(card.image.name)
    assert not User.objects.filter(pk=owner.pk).exists()
    assert Practice.objects.get(pk=harbor.pk).suspended_at is None
    # the audit log keeps the practice's rows and records the deletion, chain intact
    event = AuditEvent.objects.filter(category="operator", action="delete").get()
    assert event.practice_id_ref == serenity.pk and event.detail["slug"] == "serenity"
    assert event.detail["rows"]["clients.Client"] == before_serenity["clients.Client"]
    assert AuditEvent.objects.filter(practice_id_ref=serenity.pk).count() > 1
    assert audit_verify() is None


def test_practice_tables_cover_every_model_of_practice_data():
    labels = {t.label for t in practice_tables()}
    # direct (PracticeScoped and others), through a user, through an email, two hops
    assert {"clients.Client", "ledger.JournalLine", "clearinghouse.EdiFile", "core.User",
            "core.ApiToken", "core.SentEmailAttachment", "otp_static.StaticToken",
            "accounts.Invitation"} <= labels
    assert not labels & {"core.AuditEvent", "core.Practice", "practice.Payer", "sessions.Session"}


def test_the_export_has_every_table_and_edi_file_and_no_secret(demo):
    serenity, _ = demo
    owner = User.objects.filter(practice=serenity).first()
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=owner, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    TOTPDevice.objects.create(user=owner, name="app", confirmed=True)
    buf = io.BytesIO()
    counts = services.practice_export(practice=serenity, out=buf, ctx=CTX)
    with zipfile.ZipFile(buf) as zf:
        names = zf.namelist()
        users = zf.read("tables/core.User.csv").decode()
        tokens = zf.read("tables/core.ApiToken.csv").decode()
        edi = [n for n in names if n.startswith("edi/")]
        assert len(edi) == counts["clearinghouse.EdiFile"] > 0
        assert zf.read(edi[0]).startswith(b"ISA")
    assert "password" not in users.splitlines()[0] and owner.password not in users
    assert ApiToken.hash_key(key) not in tokens and "key_hash" not in tokens
    assert not any("otp_" in n for n in names)
    assert counts["clients.Client"] == Client.objects.filter(practice=serenity).count()
