"""The mail sink as a real process: what smtplib and Django's SMTP backend send is kept whole
(text, HTML alternatives, attachments, many messages) and read back through its JSON API."""

from __future__ import annotations

import json
import smtplib
from email.message import EmailMessage

import httpx
import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives, get_connection

from sandbox.mail.testing import sink_process


@pytest.fixture(scope="module")
def sink(tmp_path_factory):
    with sink_process(tmp_path_factory.mktemp("mail")) as running:
        yield running


@pytest.fixture
def empty_sink(sink):
    sink.clear()
    return sink


def _smtp(sink) -> smtplib.SMTP:
    return smtplib.SMTP(sink.smtp_host, sink.smtp_port, timeout=10)


def test_listens_on_loopback_and_reports_its_ports(sink):
    assert sink.smtp_host == "127.0.0.1"
    assert sink.base_url.startswith("http://127.0.0.1:")
    health = sink.http.get("/health").json()
    assert health["ok"] is True and health["smtp_port"] == sink.smtp_port


def test_smtplib_message_is_kept_raw_and_indexed(empty_sink):
    msg = EmailMessage()
    msg["From"] = "Serenity Counseling <billing@serenity.test>"
    msg["To"] = "avery@example.com"
    msg["Subject"] = "Your invoice INV-0001"
    msg["Date"] = "Tue, 01 Dec 2026 15:30:00 -0600"
    msg.set_content("Amount due: $130.00\nPay at https://pay.example/abc\n")
    with _smtp(empty_sink) as smtp:
        refused = smtp.send_message(msg, to_addrs=["avery@example.com", "bcc@example.com"])
    assert refused == {}
    [item] = empty_sink.messages()
    assert item["from"] == "Serenity Counseling <billing@serenity.test>"
    assert item["to"] == ["avery@example.com"]
    assert item["envelope_to"] == ["avery@example.com", "bcc@example.com"]
    assert item["subject"] == "Your invoice INV-0001"
    assert item["date"] == "2026-12-01T21:30:00Z"
    assert item["has_attachments"] is False
    full = empty_sink.message(item["id"])
    assert "Amount due: $130.00" in full["text"] and full["html"] == ""
    raw = empty_sink.raw(item["id"])
    assert b"Subject: Your invoice INV-0001" in raw
    # on disk as well: one .eml per message and the JSON index
    eml = empty_sink.directory / f"{item['id']:06d}.eml"
    assert eml.read_bytes() == raw
    index = json.loads((empty_sink.directory / "index.json").read_text())
    assert [m["subject"] for m in index] == ["Your invoice INV-0001"]


def test_django_smtp_backend_html_alternative_and_attachments(empty_sink):
    conn = get_connection("django.core.mail.backends.smtp.EmailBackend",
                          host=empty_sink.smtp_host, port=empty_sink.smtp_port, timeout=10)
    message = EmailMultiAlternatives(
        subject="Add a card for Serenity Counseling",
        body="Open https://billing.test/card/tok123 to add a card.",
        from_email="billing@oasys.invalid",
        to=["jordan@example.com"],
        cc=["guardian@example.com"],
        connection=conn,
    )
    message.attach_alternative("<p>Open <a href='https://billing.test/card/tok123'>this "
                               "link</a> — café</p>", "text/html")
    message.attach("superbill.pdf", b"%PDF-1.4 tiny", "application/pdf")
    message.attach("notes.txt", "plain words", "text/plain")
    assert message.send() == 1
    [item] = empty_sink.messages()
    assert item["to"] == ["jordan@example.com"] and item["cc"] == ["guardian@example.com"]
    assert item["has_attachments"] is True
    assert item["attachments"] == ["superbill.pdf", "notes.txt"]
    full = empty_sink.message(item["id"])
    assert "https://billing.test/card/tok123" in full["text"]
    assert "café" in full["html"] and "<a href" in full["html"]
    pdf = empty_sink.http.get(f"/messages/{item['id']}/attachments/0")
    assert pdf.status_code == 200 and pdf.content == b"%PDF-1.4 tiny"
    assert pdf.headers["content-type"] == "application/pdf"
    html = empty_sink.http.get(f"/messages/{item['id']}/html")
    assert "café" in html.text and "sandbox" in html.headers["content-security-policy"]
    view = empty_sink.http.get(f"/messages/{item['id']}/view")
    assert 'href="https://billing.test/card/tok123"' in view.text  # links are clickable


def test_django_settings_route_send_mail_to_the_sink(empty_sink, settings):
    for key, value in empty_sink.django_settings().items():
        setattr(settings, key, value)
    assert mail.send_mail("Receipt", "Thank you", "billing@oasys.invalid",
                          ["riley@example.com"]) == 1
    assert [m["subject"] for m in empty_sink.messages(to="riley@example.com")] == ["Receipt"]


def test_many_messages_newest_first_and_filters(empty_sink):
    with _smtp(empty_sink) as smtp:
        for n in range(30):
            msg = EmailMessage()
            msg["From"] = "billing@oasys.invalid"
            msg["To"] = f"client{n % 3}@example.com"
            msg["Subject"] = f"Statement {n:02d}"
            msg.set_content(f"statement {n}")
            smtp.send_message(msg)
    items = empty_sink.messages()
    assert len(items) == 30
    assert [m["subject"] for m in items[:2]] == ["Statement 29", "Statement 28"]
    assert len({m["id"] for m in items}) == 30
    assert len(empty_sink.messages(to="client1@example.com")) == 10
    assert [m["subject"] for m in empty_sink.messages(subject="statement 07")] == \
        ["Statement 07"]
    page = empty_sink.http.get("/")
    assert page.status_code == 200 and "Statement 29" in page.text


def test_unknown_message_is_404_and_clear_empties(empty_sink):
    assert empty_sink.http.get("/messages/999999").status_code == 404
    assert empty_sink.http.get("/nothing").status_code == 404
    with _smtp(empty_sink) as smtp:
        smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: x\r\n\r\nbody\r\n")
    assert len(empty_sink.messages()) == 1
    assert empty_sink.http.delete("/messages").json() == {"deleted": 1}
    assert empty_sink.messages() == []
    assert empty_sink.http.post("/messages").status_code == 501  # read-only otherwise


def test_mailbox_survives_a_restart(tmp_path):
    with sink_process(tmp_path) as first:
        with _smtp(first) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: kept\r\n\r\nhi\r\n")
    with sink_process(tmp_path) as second:
        assert [m["subject"] for m in second.messages()] == ["kept"]
        with _smtp(second) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"Subject: next\r\n\r\nhi\r\n")
        assert [m["id"] for m in second.messages()] == [2, 1]


def test_a_message_without_headers_is_still_kept(empty_sink):
    with _smtp(empty_sink) as smtp:
        smtp.sendmail("x@example.com", ["y@example.com"], b"just a body\r\n")
    [item] = empty_sink.messages()
    assert item["from"] == "x@example.com" and item["to"] == ["y@example.com"]
    assert item["subject"] == ""
    assert httpx.get(f"{empty_sink.base_url}/messages/{item['id']}/text").text.strip() == \
        "just a body"
