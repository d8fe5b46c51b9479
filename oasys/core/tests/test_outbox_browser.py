"""Headless Chromium: a new user opens Billing → Outbox, finds the invoice email a client
received and reads it as the client saw it (the HTML part, in its sandboxed frame)."""

import pytest

from oasys.core.audit import AuditContext
from oasys.core.outbound_mail import email_send
from oasys.core.tests.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_outbox_shows_what_the_client_received(live_server, page, owner):
    practice = owner.practice
    email_send(
        practice=practice, to="jordan.kim@example.org", subject="Invoice INV-000007 from you",
        template="email/notice", ctx=AuditContext.system(practice_id=practice.pk),
        kind="invoice", object_type="Invoice", object_id=7, client_id=3,
        context={"heading": "Your invoice INV-000007",
                 "paragraphs": ["Hello Jordan,", "Your invoice for $130.00 is due on "
                                "Dec 15, 2026. The PDF is attached."],
                 "action_url": "https://invoice.example/i/7", "action_label": "Pay invoice"},
        attachments=[("INV-000007.pdf", b"%PDF-1.4", "application/pdf")])

    base = live_server.url
    log_in(page, base, owner.email, "correct horse battery")
    page.click("nav[aria-label=Billing] a:has-text('Outbox')")
    page.wait_for_url(f"{base}/billing/outbox/")
    row = page.locator("tbody tr", has_text="Invoice INV-000007 from you")
    assert "jordan.kim@example.org" in row.inner_text() and "Sent" in row.inner_text()
    row.locator("a:has-text('Invoice INV-000007 from you')").click()
    page.wait_for_url(f"{base}/billing/outbox/*/")
    frame = page.frame_locator("iframe[data-testid=email-html]")
    assert frame.locator("h1").inner_text() == "Your invoice INV-000007"
    assert frame.locator("a:has-text('Pay invoice')").get_attribute("href") == \
        "https://invoice.example/i/7"
    assert "INV-000007.pdf" in page.locator("[data-testid=email-attachments]").inner_text()
    page.click("summary:has-text('Plain-text part')")
    assert "Pay invoice: https://invoice.example/i/7" in page.locator(
        "[data-testid=email-text]").inner_text()
