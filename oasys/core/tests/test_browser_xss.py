"""An XSS corpus typed into the free-text fields of the main forms in headless Chromium
(client, provider information, service type, clinician, session, accepted payer, invoice
settings, a standalone invoice's lines), then every page that shows them opened: no payload
runs (no dialog, no Content-Security-Policy violation from an injected script or handler),
none appears unescaped in the HTML, and the template-injection probe is shown as typed.

Every payload calls alert(): a dialog is an execution. Under the CSP an injected inline
script would be blocked rather than run, so a blocked one (a console violation) counts too,
and the HTML itself is searched for the payloads' markup."""

from __future__ import annotations

import re

import pytest

from oasys.appointments.models import Appointment
from oasys.clients.models import Client
from oasys.core.tests.browser import log_in
from oasys.demo.seed import DEMO_PASSWORD, SOLO_EMAIL, seed_demo
from oasys.invoices.models import Invoice
from oasys.practice.models import AcceptedPayer, Clinician, ServiceType

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYLOADS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg onload=alert(1)>",
    "javascript:alert(1)",
    "{{7*7}}${7*7}",
    "'-alert(1)-'",
    "</textarea><script>alert(1)</script>",
    "<a href=javascript:alert(1)>x</a>",
    "<iframe srcdoc='<script>alert(1)</script>'>",
    "<details open ontoggle=alert(1)>",
]
# What only unescaped markup would put in the HTML.
UNESCAPED = re.compile(r"<script>alert|<img src=x|<svg onload|<iframe srcdoc|<details open "
                       r"ontoggle|<a href=javascript|href=[\"']javascript:|</textarea><script>")
# Fields that are not free text (identifiers, dates, amounts, codes, contact details): the
# forms refuse a payload there, and they are left as they are.
NOT_FREE_TEXT = re.compile(r"npi|zip|tax|phone|email|date|birth|amount|cpt|code|member|group|"
                           r"ssn|url|time|hour|price|rate|fee|^q$|search|state|duration|units|"
                           r"minutes|days|number|modifier|pos|taxonomy|dob|payer_q|password|"
                           r"provider_id|ptan|copay|percent")
# the page's main form: the one with free-text fields to fill
FORM = "main form[method=post]:has(input[type=text]:visible, textarea:visible)"
TEXT_FIELDS = ("input[type=text], input:not([type]), textarea")


def _login(page, base: str) -> None:
    log_in(page, base, SOLO_EMAIL, DEMO_PASSWORD)


def _errored(page) -> set[str]:
    ids = page.locator("small.error[id$=_error]").evaluate_all("els => els.map(e => e.id)")
    return {i.removeprefix("id_").removesuffix("_error") for i in ids}


def _fill_form(page, url: str, form_sel: str, start: int, extra: dict[str, str]) -> list[str]:
    """Type payloads into the form's free-text fields and save; a field the form refuses
    gets its old value back and the form is saved again. Answers the fields that kept one."""
    page.goto(url)
    if opener := extra.pop("_open", ""):
        page.locator(opener).first.click()
    form = page.locator(form_sel).first
    for name, value in extra.items():
        field = form.locator(f"[name='{name}']")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    typed: dict[str, str] = {}
    fields = form.locator(TEXT_FIELDS)
    for i in range(fields.count()):
        field = fields.nth(i)
        name = field.get_attribute("name") or ""
        if (not name or name in extra or NOT_FREE_TEXT.search(name) or not field.is_visible()
                or not field.is_editable()):
            continue
        limit = int(field.get_attribute("maxlength") or 1000)
        fitting = [p for p in PAYLOADS if len(p) <= limit] or [PAYLOADS[3][:limit]]
        typed[name] = field.input_value()
        field.fill(fitting[(start + len(typed)) % len(fitting)])
    for _ in range(3):
        form.locator("button[type=submit]:visible, button:not([type]):visible, "
                     "input[type=submit]:visible").first.click()
        page.wait_for_load_state()
        refused = _errored(page) & set(typed)
        if not refused:
            break
        form = page.locator(form_sel).first
        for name in refused:
            form.locator(f"[name='{name}']").fill(typed.pop(name))
    return sorted(typed)


def test_an_xss_corpus_in_every_free_text_field_never_runs(live_server, page):
    seed_demo()
    base = live_server.url
    events: list[str] = []
    page.on("dialog", lambda d: (events.append(f"dialog {d.message}"), d.dismiss()))
    page.on("console", lambda m: events.append(f"csp {page.url} {m.text[:60]}")
            if "Content Security Policy" in m.text else None)
    _login(page, base)

    serenity = {"practice__slug": "serenity"}
    client = Client.objects.filter(**serenity, is_draft=False).order_by("pk").first()
    appointment = Appointment.objects.filter(**serenity).order_by("pk").first()
    service_type = ServiceType.objects.filter(**serenity).order_by("pk").first()
    clinician = Clinician.objects.filter(**serenity).order_by("pk").first()
    payer = AcceptedPayer.objects.filter(**serenity).order_by("pk").first()
    forms = [
        (f"/billing/clients/{client.pk}/edit/", FORM, {}),
        ("/billing/clients/new/", FORM,
         {"billing_type": "self_pay", "email": "xss@example.test"}),
        ("/billing/setup/provider/", FORM, {}),
        (f"/billing/setup/service-types/{service_type.pk}/", FORM, {}),
        (f"/billing/setup/clinicians/{clinician.pk}/", FORM, {}),
        (f"/billing/setup/payers/{payer.pk}/", "details form[method=post]",
         {"_open": "summary:has-text('Update status')"}),
        (f"/sessions/{appointment.pk}/edit/", FORM, {}),
        ("/billing/invoices/settings/", FORM, {}),
        ("/billing/invoices/new/", "form:has([name=client_id])",
         {"client_id": str(client.pk), "line-0-amount": "10", "line-1-amount": "20",
          "line-2-amount": "30"}),
    ]
    stored: list[str] = []
    for n, (path, form_sel, extra) in enumerate(forms):
        kept = _fill_form(page, base + path, form_sel, n, extra)
        print(f"{path}: {kept}")  # noqa: T201
        stored += [f"{path} {name}" for name in kept]
    assert len(stored) >= 15, stored  # the corpus really went in

    new_client = Client.objects.filter(**serenity).order_by("-pk").first()
    invoice = Invoice.objects.filter(**serenity).order_by("-pk").first()
    pages = [
        "/billing/clients/", f"/billing/clients/{client.pk}/",
        f"/billing/clients/{client.pk}/edit/", f"/billing/clients/{new_client.pk}/",
        f"/billing/clients/{client.pk}/insurance/", f"/billing/clients/{client.pk}/pricing/",
        "/billing/setup/", "/billing/setup/provider/", "/billing/setup/service-types/",
        "/billing/setup/clinicians/", "/billing/setup/payers/", "/sessions/",
        f"/sessions/{appointment.pk}/", "/sessions/new/", "/billing/sessions/",
        "/billing/sessions/?tab=incomplete", "/billing/invoices/",
        f"/billing/invoices/{invoice.pk}/", "/billing/invoices/settings/",
        "/billing/invoices/new/", "/billing/claims/", "/billing/reports/aging/",
        f"/billing/reports/clients/{client.pk}/", f"/billing/eligibility/clients/{client.pk}/",
        "/account/team/", "/billing/outbox/",
        f"/billing/clients/{client.pk}/insurance/wizard/",
    ]
    shown_literally = 0
    for path in pages:
        resp = page.goto(base + path)
        assert resp is not None and resp.status < 400, f"{path} -> {resp and resp.status}"
        page.wait_for_load_state("networkidle")
        html = page.request.get(base + path).text()
        assert not UNESCAPED.search(html), f"{path} shows a payload unescaped"
        assert page.evaluate("() => document.querySelectorAll("
                             "'img[src=x], svg[onload], iframe[srcdoc], details[ontoggle], "
                             "a[href^=javascript]').length") == 0, path
        shown_literally += "{{7*7}}" in page.content()
    assert events == []  # 0 executions, 0 blocked attempts
    assert shown_literally >= 2  # the template probe is shown as typed, never as 49
    print(f"\nxss: {len(PAYLOADS)} payloads, {len(stored)} fields, {len(pages)} pages, "  # noqa: T201
          f"{len(events)} executions")
