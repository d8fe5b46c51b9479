"""Standalone invoices: a Draft with lines and no session, charged through the journal like
a session invoice; every refusal changes nothing; the amount parser over many inputs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.errors import InvalidInput, NotFound
from oasys.core.models import AuditEvent
from oasys.invoices.amounts import AmountError, amount_parse
from oasys.invoices.models import Invoice, InvoiceEvent, InvoiceKind, InvoiceLine, InvoiceStatus
from oasys.invoices.services import invoice_create_standalone
from oasys.invoices.tests.helpers import invoice_opened
from oasys.ledger.models import JournalEntry, JournalLine
from oasys.ledger.selectors import client_balance, invoice_figures_one

pytestmark = pytest.mark.django_db


def _create(practice, client_id, lines, actor=None):
    return invoice_create_standalone(practice=practice, client_id=client_id, lines=lines,
                                     ctx=f.ctx_for(practice=practice), actor=actor)


def _line(**over):
    return {"description": "Late cancellation fee", "date": timezone.localdate().isoformat(),
            "amount": "50.00", **over}


def _state():
    return (Invoice.objects.count(), InvoiceLine.objects.count(), InvoiceEvent.objects.count(),
            JournalEntry.objects.count(), JournalLine.objects.count(),
            AuditEvent.objects.count())


def test_standalone_is_a_draft_charged_through_the_journal_when_it_opens(practice, owner):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    day = timezone.localdate() - dt.timedelta(days=3)
    invoice = _create(practice, client.pk, [
        _line(date=day.isoformat()),
        {"description": "  Records   copy ", "date": day, "amount": "$1,012.5"},
    ], actor=owner)
    invoice.refresh_from_db()
    assert (invoice.kind, invoice.status, invoice.client_id) == (
        InvoiceKind.STANDALONE, InvoiceStatus.DRAFT, client.pk)
    assert invoice.total == Decimal("1062.50")
    lines = list(invoice.lines.values_list("description", "service_date", "amount",
                                           "appointment_id", "cpt_code"))
    assert lines == [("Late cancellation fee", day, Decimal("50.00"), None, ""),
                     ("Records copy", day, Decimal("1012.50"), None, "")]
    figures = invoice_figures_one(practice=practice, invoice=invoice)
    assert (figures.total, figures.paid, figures.balance) == (
        Decimal("1062.50"), Decimal("0.00"), Decimal("0.00"))
    assert client_balance(practice=practice, client_id=client.pk) == Decimal("0.00")
    assert [e.to_status for e in invoice.events.all()] == [InvoiceStatus.DRAFT]
    invoice_opened(invoice)
    figures = invoice_figures_one(practice=practice, invoice=invoice)
    assert (figures.total, figures.balance) == (Decimal("1062.50"), Decimal("1062.50"))
    assert client_balance(practice=practice, client_id=client.pk) == Decimal("1062.50")
    assert AuditEvent.objects.filter(category="invoice", object_id=str(invoice.pk),
                                     action="create").exists()
    # insured clients may be invoiced too (a fee insurance does not cover)
    insured = f.make_client(practice)
    assert _create(practice, insured.pk, [_line()]).kind == InvoiceKind.STANDALONE


@pytest.mark.parametrize(("lines", "key", "fragment"), [
    ([], "lines", "at least one line"),
    ("not a list", "lines", "at least one line"),
    ([_line(description="  ")], "lines.0.description", "Describe the charge"),
    ([_line(description="x" * 201)], "lines.0.description", "200 characters"),
    ([_line(date="")], "lines.0.date", "Enter the date"),
    ([_line(date="31/12/2026")], "lines.0.date", "YYYY-MM-DD"),
    ([_line(date="1926-01-01")], "lines.0.date", "more than 3 years ago"),
    ([_line(date="2099-01-01")], "lines.0.date", "more than a year ahead"),
    ([_line(amount="0")], "lines.0.amount", "more than $0"),
    ([_line(amount="-5")], "lines.0.amount", "negative"),
    ([_line(amount="abc")], "lines.0.amount", "amount in dollars"),
    ([_line(amount="1.005")], "lines.0.amount", "2 decimal places"),
    ([_line(amount="")], "lines.0.amount", "Enter an amount"),
    ([_line(), _line(amount="NaN")], "lines.1.amount", "amount in dollars"),
    ([_line()] * 51, "lines", "at most 50"),
])
def test_bad_lines_are_refused_and_change_nothing(practice, lines, key, fragment):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    before = _state()
    with pytest.raises(InvalidInput) as err:
        _create(practice, client.pk, lines)
    assert fragment in err.value.errors[key]
    assert _state() == before


def test_every_bad_field_is_reported_at_once(practice):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    with pytest.raises(InvalidInput) as err:
        _create(practice, client.pk, [_line(description=""), _line(amount="0", date="")])
    assert set(err.value.errors) == {"lines.0.description", "lines.1.amount", "lines.1.date"}


def test_client_must_be_of_this_practice_and_billed(practice, other_practice):
    before = _state()
    stranger = f.make_client(other_practice, billing_type=BillingType.SELF_PAY)
    with pytest.raises(NotFound):
        _create(practice, stranger.pk, [_line()])
    with pytest.raises(InvalidInput) as err:
        _create(practice, "", [_line()])
    assert "Choose the client" in err.value.errors["client_id"]
    pro_bono = f.make_client(practice, billing_type=BillingType.NOT_BILLED)
    before = _state()
    with pytest.raises(InvalidInput) as err:
        _create(practice, pro_bono.pk, [_line()])
    assert "Not billed" in err.value.errors["client_id"]
    assert _state() == before


# --- the amount parser ---------------------------------------------------------------------
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2))
def test_any_positive_amount_in_cents_is_read_exactly(amount):
    assert amount_parse(str(amount)) == amount
    assert amount_parse(f"${amount:,}") == amount
    assert amount_parse(amount) == amount


@given(st.decimals(allow_nan=False, allow_infinity=False, places=3,
                   min_value=Decimal("-1000"), max_value=Decimal("1000")))
def test_three_decimals_or_not_positive_is_refused(amount):
    if amount == amount.quantize(Decimal("0.01")) and amount > 0:
        assert amount_parse(str(amount)) == amount
    else:
        with pytest.raises(AmountError):
            amount_parse(str(amount))


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_floats_are_read_only_when_exactly_cents(x):
    try:
        got = amount_parse(x)
    except AmountError:
        return
    # accepted: positive, and the float's shortest text has at most two decimals
    assert got > 0 and got == Decimal(repr(x)) and got == got.quantize(Decimal("0.01"))


@given(st.text(max_size=12))
def test_any_text_is_an_amount_or_a_clear_refusal(text):
    try:
        got = amount_parse(text)
    except AmountError as exc:
        assert str(exc)
    else:
        assert got > 0 and got == got.quantize(Decimal("0.01"))


# --- the screen ------------------------------------------------------------------------------
def test_create_standalone_screen(owner_client, practice):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    hidden = f.make_client(practice, billing_type=BillingType.NOT_BILLED)
    url = reverse("invoices:standalone_new")
    form = owner_client.get(url)
    assert form.status_code == 200
    assert client.last_name.encode() in form.content
    assert hidden.last_name.encode() not in form.content  # not billed: not offered
    assert b'name="line-2-amount"' in form.content and b'name="line-3-amount"' not in form.content
    today = timezone.localdate().isoformat()
    more = owner_client.post(url, {"client_id": client.pk, "rows": "3", "add_line": "1",
                                   "line-0-description": "Fee", "line-0-date": today})
    assert b'name="line-3-amount"' in more.content and b'value="Fee"' in more.content
    assert Invoice.objects.count() == 0
    bad = owner_client.post(url, {"client_id": client.pk, "rows": "3",
                                  "line-0-description": "Fee", "line-0-date": today,
                                  "line-0-amount": "1.005",
                                  "line-2-description": "", "line-2-date": today,
                                  "line-2-amount": "20"})
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "Use at most 2 decimal places" in html and "Describe the charge" in html
    assert Invoice.objects.count() == 0
    empty = owner_client.post(url, {"client_id": client.pk, "rows": "3"})
    assert empty.status_code == 422 and b"Add at least one line" in empty.content
    ok = owner_client.post(url, {"client_id": client.pk, "rows": "3",
                                 "line-0-description": "Late cancellation fee",
                                 "line-0-date": today, "line-0-amount": "75",
                                 "line-1-date": today})
    invoice = Invoice.objects.get()
    assert ok.status_code == 302 and ok["Location"] == reverse("invoices:detail",
                                                               args=[invoice.pk])
    assert invoice.total == Decimal("75.00") and invoice.lines.count() == 1
    page = owner_client.get(ok["Location"])
    assert b"Late cancellation fee" in page.content and b"Standalone" in page.content


def test_screen_refuses_another_practices_client(owner_client, other_practice):
    stranger = f.make_client(other_practice, billing_type=BillingType.SELF_PAY)
    today = timezone.localdate().isoformat()
    resp = owner_client.post(reverse("invoices:standalone_new"), {
        "client_id": stranger.pk, "rows": "1", "line-0-description": "Fee",
        "line-0-date": today, "line-0-amount": "10"})
    assert resp.status_code == 422 and b"No such client" in resp.content
    assert Invoice.objects.count() == 0
