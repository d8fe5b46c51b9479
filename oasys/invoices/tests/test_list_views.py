"""Manage Invoices: tabs with counts and totals per status equal to the journal, filters,
search, pagination that keeps them, the CSV export, audited reads, and tenancy."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.models import AuditEvent
from oasys.invoices.machine import INVOICE_MACHINE
from oasys.invoices.models import Invoice, InvoiceStatus
from oasys.invoices.selectors import invoice_list, invoice_status_totals
from oasys.invoices.services import invoice_create_for_session, invoice_create_standalone
from oasys.invoices.tests.helpers import invoice_opened
from oasys.ledger.models import Account, JournalLine
from oasys.ledger.services import ledger_post_client_payment

pytestmark = pytest.mark.django_db
LIST = reverse("invoices:list")
EXPORT = reverse("invoices:export")


def _standalone(practice, client, amount="40.00", description="Late cancellation fee"):
    return invoice_create_standalone(
        practice=practice, client_id=client.pk, ctx=f.ctx_for(practice=practice),
        lines=[{"description": description, "date": timezone.localdate(), "amount": amount}])


def _move(invoice, *statuses):
    for to in statuses:
        INVOICE_MACHINE.transition(obj=invoice, to=to, actor=None, source="test",
                                   ctx=f.ctx_for(practice=invoice.practice))


@pytest.fixture
def book(practice):
    """Invoices in four statuses, one partly paid, for two clients."""
    ann = f.make_client(practice, first_name="Ann", last_name="Quill",
                        billing_type=BillingType.SELF_PAY)
    bob = f.make_client(practice, first_name="Bob", last_name="Rook",
                        billing_type=BillingType.SELF_PAY)
    drafts = [_standalone(practice, ann, "40.00"), _standalone(practice, bob, "12.34")]
    opened = _standalone(practice, ann, "100.00")
    invoice_opened(opened)
    ledger_post_client_payment(invoice=opened, amount=Decimal("30"), reference="chk 7",
                               ctx=f.ctx_for(practice=practice))
    paid = _standalone(practice, bob, "55.55")
    invoice_opened(paid)
    ledger_post_client_payment(invoice=paid, amount=Decimal("55.55"), reference="cash",
                               ctx=f.ctx_for(practice=practice))
    _move(paid, InvoiceStatus.PAID)
    appt = f.self_pay_session(practice, first_name="Cy", last_name="Stone")
    session = invoice_create_for_session(practice=practice, appointment_id=appt.pk,
                                         amount=Decimal("130"), cpt="90834",
                                         ctx=f.ctx_for(practice=practice))
    return {"ann": ann, "bob": bob, "drafts": drafts, "open": opened, "paid": paid,
            "session": session}


def _journal_by_status(practice):
    out: dict[str, dict[str, Decimal]] = {}
    for line in JournalLine.objects.filter(practice=practice, invoice__isnull=False
                                           ).select_related("invoice"):
        bucket = out.setdefault(line.invoice.status, {"paid": Decimal(0), "owed": Decimal(0)})
        if line.account == Account.CASH:
            bucket["paid"] += line.debit - line.credit
        elif line.account == Account.AR_CLIENT:
            bucket["owed"] += line.debit - line.credit
    return out


def test_totals_per_status_equal_the_journal(practice, book):
    tabs = {t.status: t for t in invoice_status_totals(
        practice=practice, invoices=invoice_list(practice=practice))}
    journal = _journal_by_status(practice)
    for status in InvoiceStatus.values:
        t = tabs[status]
        expected = journal.get(status, {"paid": Decimal(0), "owed": Decimal(0)})
        assert (t.paid, t.balance) == (expected["paid"], expected["owed"]), status
        assert t.count == Invoice.objects.filter(practice=practice, status=status).count()
    # Drafts bill their lines' total, but nothing is owed on them until they open
    assert (tabs["draft"].count, tabs["draft"].total, tabs["draft"].balance) == (
        3, Decimal("182.34"), Decimal("0.00"))
    assert (tabs["open"].total, tabs["open"].paid, tabs["open"].balance) == (
        Decimal("100.00"), Decimal("30.00"), Decimal("70.00"))
    assert (tabs["paid"].paid, tabs["paid"].balance) == (Decimal("55.55"), Decimal("0.00"))
    assert (tabs[""].count, tabs[""].total, tabs[""].balance) == (
        5, Decimal("337.89"), Decimal("70.00"))


def test_list_shows_tabs_with_counts_and_totals(owner_client, book):
    html = owner_client.get(LIST).content.decode()
    assert 'data-testid="count-all">5<' in html
    assert 'data-testid="count-draft">3<' in html
    assert 'data-testid="count-overdue">0<' in html
    assert "$100.00 billed · $70.00 owed" in html
    opened = owner_client.get(LIST, {"status": "open"}).content.decode()
    assert book["open"].number in opened and book["paid"].number not in opened
    # the tab links keep the filters
    filtered = owner_client.get(LIST, {"client": book["ann"].pk}).content.decode()
    assert f"status=open&amp;client={book['ann'].pk}" in filtered or \
        f"client={book['ann'].pk}&amp;status=open" in filtered
    assert 'data-testid="count-all">2<' in filtered


def test_filters_and_search(owner_client, practice, book):
    def numbers(**params):
        html = owner_client.get(LIST, params).content.decode()
        return {i.number for i in Invoice.objects.all() if f'data-invoice="{i.number}"' in html}

    everyone = {i.number for i in Invoice.objects.all()}
    assert numbers() == everyone
    assert numbers(client=book["bob"].pk) == {book["drafts"][1].number, book["paid"].number}
    assert numbers(kind="session") == {book["session"].number}
    assert numbers(q="rook") == {book["drafts"][1].number, book["paid"].number}
    assert numbers(q=book["paid"].number) == {book["paid"].number}
    assert numbers(q="ann quill", status="open") == {book["open"].number}
    today = timezone.localdate()
    Invoice.objects.filter(pk=book["session"].pk).update(issue_date=today - dt.timedelta(days=40))
    assert numbers(issued_to=(today - dt.timedelta(days=30)).isoformat()) == {
        book["session"].number}
    assert book["session"].number not in numbers(issued_from=today.isoformat())
    # a date range backwards is reported and filters nothing wrongly
    resp = owner_client.get(LIST, {"issued_from": today.isoformat(),
                                   "issued_to": (today - dt.timedelta(days=1)).isoformat()})
    assert b"The end date is before the start date" in resp.content


def test_pagination_keeps_the_filters(owner_client, practice):
    ann = f.make_client(practice, first_name="Ann", last_name="Quill",
                        billing_type=BillingType.SELF_PAY)
    other = f.make_client(practice, billing_type=BillingType.SELF_PAY)
    for _ in range(52):
        _standalone(practice, ann, "1.00")
    _standalone(practice, other, "1.00")
    first = owner_client.get(LIST, {"client": ann.pk}).content.decode()
    assert "Page 1 of 2 · 52 invoices" in first
    assert f"client={ann.pk}&amp;page=2" in first
    second = owner_client.get(LIST, {"client": ann.pk, "page": 2}).content.decode()
    assert "Page 2 of 2" in second and second.count("data-invoice=") == 2


def _body(resp) -> str:
    """A streamed CSV download's text (its BOM dropped)."""
    return b"".join(resp.streaming_content).decode("utf-8-sig")


def test_csv_export_of_the_filtered_list(owner_client, practice, book):
    resp = owner_client.get(EXPORT)
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(_body(resp))))
    assert rows[0] == ["number", "client", "kind", "status", "issue_date", "due_date", "total",
                       "paid", "balance"]
    by_number = {r[0]: r for r in rows[1:]}
    assert len(by_number) == 5
    opened = book["open"]
    assert by_number[opened.number] == [
        opened.number, "Quill, Ann", "Standalone", "Open", opened.issue_date.isoformat(),
        opened.due_date.isoformat(), "100.00", "30.00", "70.00"]
    assert by_number[book["paid"].number][6:] == ["55.55", "55.55", "0.00"]
    bob = owner_client.get(EXPORT, {"client": book["bob"].pk, "status": "draft"})
    rows = list(csv.reader(io.StringIO(_body(bob))))
    assert [r[0] for r in rows[1:]] == [book["drafts"][1].number]
    export = AuditEvent.objects.filter(category="invoice", action="export").last()
    assert export.detail["client_ids"] == [book["bob"].pk]
    assert export.detail["count"] == 1


def test_list_reads_are_audited(owner_client, book):
    owner_client.get(LIST, {"status": "draft"})
    event = AuditEvent.objects.filter(category="invoice", action="read").last()
    assert event.detail["list"] == "draft"
    assert event.detail["client_ids"] == sorted({book["ann"].pk, book["bob"].pk,
                                                 book["session"].client_id})


def test_another_practice_sees_none_of_it(client, other_owner, book):
    client.force_login(other_owner)
    html = client.get(LIST).content.decode()
    assert 'data-testid="count-all">0<' in html and "Quill" not in html
    rows = _body(client.get(EXPORT)).splitlines()
    assert len(rows) == 1
    # a client id of another practice filters to nothing rather than leaking
    assert "Quill" not in client.get(LIST, {"client": book["ann"].pk}).content.decode()
    assert client.get(reverse("invoices:detail", args=[book["open"].pk])).status_code == 404


def test_csv_cells_never_start_a_formula(owner_client, practice):
    sly = f.make_client(practice, first_name="x", last_name="=HYPERLINK(1)",
                        billing_type=BillingType.SELF_PAY)
    _standalone(practice, sly)
    rows = list(csv.reader(io.StringIO(_body(owner_client.get(EXPORT)))))
    assert rows[1][1] == "'=HYPERLINK(1), x"


def test_list_and_export_queries_do_not_grow_with_the_invoices(owner_client, practice):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY)

    def queries(url):
        with CaptureQueriesContext(connection) as q:
            resp = owner_client.get(url)
            assert resp.status_code == 200
            if resp.streaming:  # the export's rows are read while the file streams
                b"".join(resp.streaming_content)
        return len(q)

    for _ in range(3):
        _standalone(practice, client)
    few = (queries(LIST), queries(EXPORT))
    for _ in range(30):
        _standalone(practice, client)
    assert (queries(LIST), queries(EXPORT)) == few
