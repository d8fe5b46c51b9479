"""Outgoing email, recorded (oasys.core.outbound_mail): the row is written in the caller's
transaction, delivery happens on commit through Django's email framework, temporary
failures are retried, permanent ones are failed with the reason, and nothing about the
message reaches the logs.

The failing transports below are fakes of the email port (Django's backend interface),
chosen through EMAIL_BACKEND like the real one."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.utils import timezone

from oasys.core import tasks
from oasys.core.audit import AuditContext
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditEvent, SentEmail, SentEmailStatus
from oasys.core.outbound_mail import (
    CLAIM_LEASE,
    EMAIL_MAX_ATTEMPTS,
    SENT_EMAIL_MACHINE,
    email_kicks_held,
    email_send,
    sent_email_deliver,
    sent_email_retry,
    sent_emails_deliver,
    sent_emails_sweep,
)
from oasys.core.selectors import sent_email_list

pytestmark = pytest.mark.django_db

ADDRESS = "jamie.client@example.org"


class FlakyBackend(LocmemBackend):
    """Fails the first `failures` sends with `error`, then delivers to mail.outbox."""

    failures = 0
    error: Exception = smtplib.SMTPServerDisconnected("connection closed")
    calls = 0

    def send_messages(self, messages):
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise type(self).error
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.calls = 0
    FlakyBackend.failures = 0
    FlakyBackend.error = smtplib.SMTPServerDisconnected("connection closed")
    return FlakyBackend


def _send(practice, owner=None, **kw):
    ctx = AuditContext(user_id=owner.pk if owner else None, practice_id=practice.pk)
    args = {
        "practice": practice, "to": ADDRESS, "subject": "Your invoice INV-000042",
        "template": "email/notice", "ctx": ctx, "kind": "invoice",
        "context": {"heading": "Invoice INV-000042", "paragraphs": ["O'Brien & Sons owe $12.50."],
                    "action_url": "https://pay.example/i/42", "action_label": "Pay now"},
        "object_type": "Invoice", "object_id": 42, "client_id": 7,
        "attachments": [("INV-000042.pdf", b"%PDF-1.4 fake", "application/pdf")],
    }
    args.update(kw)
    return email_send(**args)


def test_the_email_is_recorded_queued_and_delivered_on_commit(
        practice, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = _send(practice, owner)
        # recorded in the caller's transaction, nothing sent before it commits
        assert SentEmail.objects.get(pk=email.pk).status == SentEmailStatus.QUEUED
        assert mail.outbox == []
    assert len(callbacks) == 1
    email.refresh_from_db()
    assert email.status == SentEmailStatus.SENT and email.sent_at is not None
    assert email.attempts == 1 and email.error == ""
    assert [(e.from_status, e.to_status) for e in email.events.all()] == [
        ("", "queued"), ("queued", "sent")]
    assert email.events.first().actor_id == owner.pk and email.created_by_id == owner.pk

    [message] = mail.outbox
    assert message.to == [ADDRESS]
    assert message.subject == "Your invoice INV-000042"
    assert message.from_email == "Serenity Test Counseling <billing@oasys.invalid>"
    assert message.extra_headers["Message-ID"] == email.message_id
    assert email.message_id.startswith("<") and email.message_id.endswith("@oasys.invalid>")
    # a plain-text part and an HTML part, with the same content
    assert "Invoice INV-000042" in message.body and "Pay now: https://pay.example/i/42" in \
        message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and 'href="https://pay.example/i/42"' in html
    assert message.attachments == [("INV-000042.pdf", b"%PDF-1.4 fake", "application/pdf")]
    # the row keeps exactly what went out
    assert email.text_body == message.body and email.html_body == html
    assert email.attachment_names == ["INV-000042.pdf"]
    assert (email.object_type, email.object_id, email.client_id, email.kind) == (
        "Invoice", "42", 7, "invoice")


def test_the_text_part_is_not_html_escaped_and_the_html_part_is(practice):
    email = _send(practice)
    assert "O'Brien & Sons owe $12.50." in email.text_body
    assert "O&#x27;Brien &amp; Sons owe $12.50." in email.html_body
    assert "Serenity Test Counseling" in email.text_body  # the practice signs both parts
    assert "Serenity Test Counseling" in email.html_body
    # template comments stay in the template: the client gets only the message
    assert email.html_body.lstrip().startswith("<!doctype html>")
    assert "{#" not in email.html_body + email.text_body and "{%" not in email.html_body


def test_an_audit_row_names_the_email_and_the_client_but_no_address(practice, owner):
    email = _send(practice, owner)
    event = AuditEvent.objects.get(category="email", object_type="SentEmail",
                                   object_id=str(email.pk), action="create")
    assert event.client_id_ref == 7 and event.user_id_ref == owner.pk
    assert event.detail == {"kind": "invoice", "about": "Invoice:42", "attachments": 1}
    assert ADDRESS not in str(event.detail) and "INV-000042" not in str(event.detail)


def test_a_rolled_back_caller_sends_nothing_and_keeps_nothing(
        practice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            _send(practice)
            raise RuntimeError("the caller's work failed")
    assert SentEmail.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.parametrize("field,kw", [
    ("to", {"to": "not an address"}),
    ("to", {"to": ""}),
    ("to", {"to": "a@b.example\nBcc: evil@example.org"}),
    ("subject", {"subject": "  \n "}),
    ("kind", {"kind": ""}),
    ("kind", {"kind": "x" * 31}),
    ("reply_to", {"reply_to": "nope"}),
    ("attachments", {"attachments": [("", b"x", "application/pdf")]}),
    ("attachments", {"attachments": [("a.pdf", "not bytes", "application/pdf")]}),
])
def test_bad_input_is_refused_and_writes_nothing(practice, field, kw):
    with pytest.raises(InvalidInput) as refused:
        _send(practice, **kw)
    assert field in refused.value.errors
    assert SentEmail.objects.count() == 0


def test_a_subject_with_line_breaks_becomes_one_line(practice):
    email = _send(practice, subject="Your invoice\r\nBcc: someone@example.org")
    assert email.subject == "Your invoice Bcc: someone@example.org"


def test_both_parts_are_required(practice, tmp_path, settings):
    (tmp_path / "email").mkdir()
    (tmp_path / "email" / "only_text.txt").write_text("hello")
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    with pytest.raises(TemplateDoesNotExist):
        _send(practice, template="email/only_text")
    assert SentEmail.objects.count() == 0


def test_a_temporary_failure_is_retried_until_the_server_takes_it(
        practice, flaky, django_capture_on_commit_callbacks):
    flaky.failures = 2
    with django_capture_on_commit_callbacks(execute=True):
        email = _send(practice)
    email.refresh_from_db()
    assert email.status == SentEmailStatus.SENT
    assert email.attempts == 3 and flaky.calls == 3
    assert len(mail.outbox) == 1  # delivered once


def test_a_4xx_answer_is_temporary_too(practice, flaky, django_capture_on_commit_callbacks):
    flaky.failures = 1
    flaky.error = smtplib.SMTPDataError(451, b"try again later")
    with django_capture_on_commit_callbacks(execute=True):
        email = _send(practice)
    email.refresh_from_db()
    assert email.status == SentEmailStatus.SENT and email.attempts == 2


def test_temporary_failures_that_never_end_fail_the_email_after_the_last_attempt(
        practice, flaky, django_capture_on_commit_callbacks):
    flaky.failures = 100
    with django_capture_on_commit_callbacks(execute=True):
        email = _send(practice)
    email.refresh_from_db()
    assert email.status == SentEmailStatus.FAILED
    assert email.attempts == EMAIL_MAX_ATTEMPTS == flaky.calls
    assert "Could not reach the mail server" in email.error
    assert mail.outbox == []


def test_a_refused_address_fails_at_once_with_the_reason_and_logs_no_phi(
        practice, flaky, django_capture_on_commit_callbacks, caplog):
    flaky.failures = 1
    flaky.error = smtplib.SMTPRecipientsRefused({ADDRESS: (550, b"no such user here")})
    with caplog.at_level(logging.DEBUG), django_capture_on_commit_callbacks(execute=True):
        email = _send(practice)
    email.refresh_from_db()
    assert email.status == SentEmailStatus.FAILED and email.attempts == 1
    assert email.error == "The mail server refused the address."
    assert email.events.last().reason == email.error
    assert f"email {email.pk}" in caplog.text  # the log says which row…
    for phi in (ADDRESS, "INV-000042", "O'Brien", "jamie"):  # …and nothing of the message
        assert phi not in caplog.text


def test_a_5xx_answer_is_final(practice, flaky, django_capture_on_commit_callbacks):
    flaky.failures = 1
    flaky.error = smtplib.SMTPDataError(554, b"message rejected")
    with django_capture_on_commit_callbacks(execute=True):
        email = _send(practice)
    email.refresh_from_db()
    assert email.status == SentEmailStatus.FAILED
    assert email.error == "The mail server answered 554: message rejected"


def test_delivering_again_never_sends_twice(practice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = _send(practice)
    # a duplicate task (at-least-once queue) finds the email sent and leaves it
    assert sent_email_deliver(sent_email_id=email.pk) == SentEmailStatus.SENT
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert email.attempts == 1


def test_an_email_another_worker_is_sending_is_left_to_it_until_its_lease_ends(practice):
    email = _send(practice)  # no commit in this test: nothing was delivered
    SentEmail.objects.filter(pk=email.pk).update(claimed_at=timezone.now())
    assert sent_email_deliver(sent_email_id=email.pk) == SentEmailStatus.QUEUED
    assert mail.outbox == []
    SentEmail.objects.filter(pk=email.pk).update(
        claimed_at=timezone.now() - CLAIM_LEASE - timedelta(seconds=1))
    assert sent_email_deliver(sent_email_id=email.pk) == SentEmailStatus.SENT
    assert len(mail.outbox) == 1


def test_the_sweeper_delivers_an_email_whose_kick_was_lost(
        practice, django_capture_on_commit_callbacks):
    email = _send(practice)  # its on-commit kick never ran: a lost kick
    assert sent_emails_sweep() == 0  # too fresh: its kick may still be on the way
    later = timezone.now() + timedelta(minutes=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert sent_emails_sweep(now=later) == 1
    email.refresh_from_db()
    assert email.status == SentEmailStatus.SENT and len(mail.outbox) == 1
    assert sent_emails_sweep(now=later) == 0  # sent: nothing left to kick


def test_a_failed_email_can_be_sent_again(practice, owner, flaky,
                                          django_capture_on_commit_callbacks):
    flaky.failures = 1
    flaky.error = smtplib.SMTPDataError(554, b"rejected")
    with django_capture_on_commit_callbacks(execute=True):
        email = _send(practice)
    email.refresh_from_db()
    assert email.status == SentEmailStatus.FAILED
    ctx = AuditContext(user_id=owner.pk, practice_id=practice.pk)
    with django_capture_on_commit_callbacks(execute=True):
        sent_email_retry(sent_email=email, ctx=ctx)
    email.refresh_from_db()
    assert email.status == SentEmailStatus.SENT and email.error == ""
    assert [e.to_status for e in email.events.all()] == ["queued", "failed", "queued", "sent"]
    with pytest.raises(Conflict):
        sent_email_retry(sent_email=email, ctx=ctx)  # a sent email is not sent again


def test_the_machine_allows_only_its_table():
    assert SENT_EMAIL_MACHINE.can("queued", "sent")
    assert not SENT_EMAIL_MACHINE.can("sent", "queued")
    assert not SENT_EMAIL_MACHINE.can("sent", "failed")


def test_the_selector_finds_an_objects_emails_in_its_practice_only(practice, other_practice):
    mine = _send(practice)
    _send(practice, object_id=43, client_id=8, kind="reminder")
    theirs = _send(other_practice)
    found = sent_email_list(practice=practice, object_type="Invoice", object_id=42)
    assert list(found) == [mine]
    assert [e.object_id for e in sent_email_list(practice=practice)] == ["43", "42"]
    assert list(sent_email_list(practice=practice, client_id=8).values_list(
        "kind", flat=True)) == ["reminder"]
    assert list(sent_email_list(practice=practice, kind="reminder")) != [mine]
    assert theirs not in sent_email_list(practice=practice)


class CountingBackend(LocmemBackend):
    """Counts the connections opened (one per batch is the point)."""

    opened = 0

    def open(self):
        type(self).opened += 1
        return super().open()


def test_the_emails_of_one_transaction_go_in_one_task_over_one_connection(
        practice, settings, django_capture_on_commit_callbacks, monkeypatch):
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.opened = 0
    batches, singles = [], []
    monkeypatch.setattr(tasks.sent_emails_deliver_task, "delay",
                        lambda ids: batches.append(ids) or tasks.sent_emails_deliver(
                            sent_email_ids=ids))
    monkeypatch.setattr(tasks.sent_email_deliver_task, "delay", singles.append)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            emails = [_send(practice, object_id=n) for n in range(3)]
    # one batch; ids left on the connection by an earlier transaction that rolled back
    # (their rows are gone) ride along and are skipped by the task
    [batch] = batches
    assert [pk for pk in batch if SentEmail.objects.filter(pk=pk).exists()] == [
        e.pk for e in emails] and singles == []
    assert CountingBackend.opened == 1
    assert {e.status for e in SentEmail.objects.filter(practice=practice)} == {
        SentEmailStatus.SENT}
    assert len(mail.outbox) == 3


def test_an_email_in_a_rolled_back_savepoint_does_not_take_the_others_kick(
        practice, django_capture_on_commit_callbacks, monkeypatch):
    queued: list = []
    monkeypatch.setattr(tasks.sent_emails_deliver_task, "delay", queued.append)
    monkeypatch.setattr(tasks.sent_email_deliver_task, "delay", lambda pk: queued.append([pk]))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        try:
            with transaction.atomic():
                _send(practice, object_id=1)  # registers the first callback, then undone
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        kept = _send(practice, object_id=2)
    assert [kept.pk] in queued or any(kept.pk in batch for batch in queued)
    assert SentEmail.objects.count() == 1
    # the batch task skips an id whose row was rolled back
    assert tasks.sent_emails_deliver(sent_email_ids=[kept.pk + 1000, kept.pk]) == {
        kept.pk + 1000: "", kept.pk: SentEmailStatus.SENT}


@pytest.mark.django_db(transaction=True)
def test_held_kicks_of_emails_committed_one_by_one_go_in_one_batch(practice, monkeypatch):
    queued: list = []
    monkeypatch.setattr(tasks.sent_emails_deliver_task, "delay", queued.append)
    monkeypatch.setattr(tasks.sent_email_deliver_task, "delay", lambda pk: queued.append([pk]))
    with email_kicks_held():
        emails = []
        for n in range(3):  # each in a transaction of its own, as a deliver phase sends
            with transaction.atomic():
                emails.append(_send(practice, object_id=n))
            assert queued == []  # committed, its kick held
    assert queued == [[e.pk for e in emails]]
    assert _send(practice, object_id=9) and len(queued) == 2  # not held any more


@pytest.mark.django_db(transaction=True)
def test_held_kicks_still_go_when_the_block_fails(practice, monkeypatch):
    queued: list = []
    monkeypatch.setattr(tasks.sent_emails_deliver_task, "delay", queued.append)
    monkeypatch.setattr(tasks.sent_email_deliver_task, "delay", lambda pk: queued.append([pk]))
    with pytest.raises(RuntimeError), email_kicks_held():
        sent = _send(practice, object_id=1)
        raise RuntimeError("the next delivery crashed")
    assert queued == [[sent.pk]]


def test_a_temporary_failure_in_a_batch_retries_that_email_alone(
        practice, flaky, django_capture_on_commit_callbacks, monkeypatch):
    with django_capture_on_commit_callbacks(execute=False):
        with transaction.atomic():
            first, second = _send(practice, object_id=1), _send(practice, object_id=2)
    retried: list = []
    monkeypatch.setattr(tasks.sent_email_deliver_task, "apply_async",
                        lambda args, countdown: retried.append((args, countdown)))
    flaky.failures = 1  # the first send of the batch meets a dropped connection
    assert sent_emails_deliver(sent_email_ids=[first.pk, second.pk]) == {
        first.pk: "retry", second.pk: SentEmailStatus.SENT}
    assert retried == [((first.pk,), 30)]
    first.refresh_from_db()
    assert first.status == SentEmailStatus.QUEUED and first.claimed_at is None
    assert len(mail.outbox) == 1


def test_inside_a_transaction_an_email_takes_no_savepoint_and_a_refusal_leaves_it_usable(
        practice):
    from django.db import connection  # noqa: PLC0415
    from django.test.utils import CaptureQueriesContext  # noqa: PLC0415

    _send(practice, object_id=5)  # the audit chain's head exists and is known
    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            _send(practice, object_id=1)
        assert not any("SAVEPOINT" in q["sql"] for q in queries.captured_queries), \
            [q["sql"][:60] for q in queries.captured_queries]
        with pytest.raises(InvalidInput):
            _send(practice, object_id=2, to="not an address")
        assert not transaction.get_rollback()
        _send(practice, object_id=3)  # the caller goes on
    assert sorted(SentEmail.objects.filter(practice=practice)
                  .values_list("object_id", flat=True)) == ["1", "3", "5"]
