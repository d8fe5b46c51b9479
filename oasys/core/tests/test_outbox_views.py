"""Billing → Outbox: staff see every email clients received (newest first, paginated), each
one as the client saw it (the HTML in a sandboxed frame, the text part, the attachments);
owner and biller only; every view is an audited read; another practice's email is a 404."""

from __future__ import annotations

import html
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import Client as HttpClient
from django.urls import reverse

from oasys.core.audit import AuditContext
from oasys.core.models import AuditEvent, Role, SentEmail, SentEmailStatus
from oasys.core.outbound_mail import email_send
from oasys.core.services import user_create

pytestmark = pytest.mark.django_db


class RefusingBackend(LocmemBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPDataError(554, b"rejected")


def _send(practice, *, n: int = 1, to: str = "jamie@example.org", client_id: int = 7,
          subject: str = "Your invoice INV-000042") -> SentEmail:
    return email_send(
        practice=practice, to=to, subject=subject, template="email/notice",
        context={"heading": f"Invoice {n}", "paragraphs": ['Total due: $80.00 <b>"now"</b>'],
                 "action_url": "https://pay.example/i/42", "action_label": "Pay now"},
        ctx=AuditContext.system(practice_id=practice.pk), kind="card_request",
        object_type="Invoice", object_id=42, client_id=client_id,
        attachments=[("INV-000042.pdf", b"%PDF-1.4", "application/pdf")])


def _user(practice, role, email):
    user = user_create(practice=practice, email=email, password="pw-long-enough-1", role=role)
    http = HttpClient()
    http.force_login(user)
    return http


def test_the_outbox_lists_emails_newest_first(owner_client, practice):
    _send(practice, subject="First email")
    _send(practice, subject="Second email", to="sam@example.org")
    resp = owner_client.get(reverse("outbox:list"))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert body.index("Second email") < body.index("First email")
    assert "sam@example.org" in body and "Card request" in body and "Queued" in body
    assert 'href="/billing/outbox/' in body


def test_the_outbox_is_in_the_billing_navigation(owner_client, practice):
    body = owner_client.get(reverse("invoices:list")).content.decode()
    assert f'href="{reverse("outbox:list")}"' in body and ">Outbox<" in body


def test_the_outbox_is_paginated_and_filtered_by_status(owner_client, practice):
    for i in range(52):
        _send(practice, n=i, subject=f"Email number {i:02d}")
    first = owner_client.get(reverse("outbox:list")).content.decode()
    assert "Email number 51" in first and "Email number 01" not in first
    assert "Page 1 of 2" in first
    second = owner_client.get(reverse("outbox:list") + "?page=2").content.decode()
    assert "Email number 01" in second and "Email number 51" not in second
    failed = owner_client.get(reverse("outbox:list") + "?status=failed").content.decode()
    assert "Email number" not in failed and "No emails with this status" in failed


def test_an_email_shows_as_the_client_saw_it(owner_client, practice, owner):
    email = _send(practice)
    resp = owner_client.get(reverse("outbox:detail", args=[email.pk]))
    assert resp.status_code == 200
    body = resp.content.decode()
    # the HTML part in a frame that may run nothing, escaped into its srcdoc attribute
    assert 'sandbox=""' in body
    assert f'srcdoc="{html.escape(email.html_body, quote=True)}"' in body
    assert "<b>&quot;now&quot;</b>" not in body.split("srcdoc=")[0]
    # the text part and the attachments
    assert html.escape(email.text_body.strip().splitlines()[0]) in body
    assert "Pay now: https://pay.example/i/42" in body
    assert "INV-000042.pdf" in body
    assert 'href="/billing/invoices/42/"' in body  # what it is about


def test_viewing_the_outbox_is_an_audited_read(owner_client, practice, owner):
    email = _send(practice, client_id=9)
    owner_client.get(reverse("outbox:list"))
    listed = AuditEvent.objects.filter(category="email", action="read",
                                       user_id_ref=owner.pk).last()
    assert listed.detail["client_ids"] == [9] and listed.client_id_ref == 9
    owner_client.get(reverse("outbox:detail", args=[email.pk]))
    read = AuditEvent.objects.filter(category="email", action="read",
                                     user_id_ref=owner.pk).last()
    assert (read.object_type, read.object_id, read.client_id_ref) == (
        "SentEmail", str(email.pk), 9)


def test_a_biller_may_read_the_outbox_and_a_clinician_may_not(practice):
    email = _send(practice)
    biller = _user(practice, Role.BILLER, "biller@test.example")
    assert biller.get(reverse("outbox:list")).status_code == 200
    assert biller.get(reverse("outbox:detail", args=[email.pk])).status_code == 200
    clinician = _user(practice, Role.CLINICIAN, "clin@test.example")
    assert clinician.get(reverse("outbox:list")).status_code == 403
    assert clinician.get(reverse("outbox:detail", args=[email.pk])).status_code == 403
    assert clinician.post(reverse("outbox:retry", args=[email.pk])).status_code == 403


def test_another_practices_email_is_not_found(owner_client, other_practice):
    theirs = _send(other_practice, subject="Their secret subject", to="theirs@example.org")
    assert owner_client.get(reverse("outbox:detail", args=[theirs.pk])).status_code == 404
    assert owner_client.post(reverse("outbox:retry", args=[theirs.pk])).status_code == 404
    body = owner_client.get(reverse("outbox:list")).content.decode()
    assert "Their secret subject" not in body and "theirs@example.org" not in body
    theirs.refresh_from_db()
    assert theirs.status == SentEmailStatus.QUEUED


def test_a_failed_email_is_sent_again_from_its_page(owner_client, practice, settings,
                                                    django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        email = _send(practice)
    email.refresh_from_db()
    assert email.status == SentEmailStatus.FAILED
    page = owner_client.get(reverse("outbox:detail", args=[email.pk])).content.decode()
    assert "The mail server answered 554: rejected" in page and "Send again" in page

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        resp = owner_client.post(reverse("outbox:retry", args=[email.pk]))
    assert resp.status_code == 302
    email.refresh_from_db()
    assert email.status == SentEmailStatus.SENT and len(mail.outbox) == 1
    page = owner_client.get(reverse("outbox:detail", args=[email.pk])).content.decode()
    assert "Send again" not in page

    # sending a sent email again is refused in words, and changes nothing
    resp = owner_client.post(reverse("outbox:retry", args=[email.pk]), follow=True)
    assert "cannot go from Sent to Queued" in resp.content.decode()
    assert len(mail.outbox) == 1
