"""The invoice and the payment receipt as PDFs (ReportLab), for the download, the email
attachment and the receipt email.

What a client sees and nothing more: the practice (billing name, address, phone), the
invoice's number, dates and status, the client's name and address, the lines (date of
service, description, CPT, amount) and the journal's figures (total, paid, balance due).
Never a diagnosis code: an invoice may be forwarded, printed, left on a table.

Text uses the PDF standard fonts (Helvetica), which every viewer has and which cover the
Latin-1 letters of US names and addresses."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from oasys.core.formats import date_text
from oasys.core.pdf import (
    INK,
    RULE,
    SHADE,
    WIDTH,
    figures_table,
    pdf_build,
    pdf_day,
    pdf_dollars,
    pdf_phone,
    pdf_styles,
    pdf_text,
)
from oasys.core.timezones import practice_zone
from oasys.ledger.selectors import InvoiceFigures, invoice_figures_one
from oasys.practice.models import ProviderProfile

from .models import Invoice, InvoiceLine, InvoiceStatus

# "read it here": a caller that passes None for the practice's ProviderProfile means it has none
_READ = object()

# the shared look, under the names this module (and the superbill's) always used
_styles = pdf_styles
_text = pdf_text
_dollars = pdf_dollars
_phone = pdf_phone
_day = pdf_day
_build = pdf_build
_figures_table = figures_table


def _sender(invoice: Invoice, profile: object = _READ) -> tuple[str, list[str]]:
    """The practice as the client knows it: the billing name, address and phone of
    Provider Information when filled in, else the practice's name. `profile`: the
    practice's ProviderProfile (or None: it has none) when the caller read it already."""
    if profile is _READ:
        profile = ProviderProfile.objects.filter(practice_id=invoice.practice_id).first()
    name = (profile.billing_name if profile else "") or invoice.practice.name
    lines: list[str] = []
    if profile:
        street = " ".join(p for p in (profile.address1, profile.address2) if p)
        town = f"{profile.city}, {profile.state} {profile.zip_code}".strip(", ")
        lines += [x for x in (street, town) if x.strip()]
        if profile.contact_phone:
            lines.append(f"Phone {_phone(profile.contact_phone)}")
        if profile.contact_email:
            lines.append(profile.contact_email)
    return name, lines


def _client_lines(client) -> list[str]:
    street = " ".join(p for p in (client.address1, client.address2) if p)
    town = f"{client.city}, {client.state} {client.zip_code}".strip(", ")
    return [x for x in (client.full_name, street, town) if x.strip()]


def _header(invoice: Invoice, title: str, facts: list[tuple[str, str]],
            st: dict[str, ParagraphStyle], sender: tuple[str, list[str]]) -> list:
    name, address = sender
    left = [Paragraph(_text(name), st["sender"])]
    left += [Paragraph(_text(line), st["body"]) for line in address]
    fact_rows = [[Paragraph(_text(k), st["label"]), Paragraph(_text(v), st["body"])]
                 for k, v in facts]
    right = [Paragraph(_text(title), st["title"]), Spacer(1, 6),
             Table(fact_rows, colWidths=[1.1 * inch, 1.6 * inch], hAlign="RIGHT",
                   style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                     ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                     ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                                     ("TOPPADDING", (0, 0), (-1, -1), 1)]))]
    head = Table([[left, right]], colWidths=[WIDTH - 2.9 * inch, 2.9 * inch],
                 style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    bill_to = [Paragraph("BILL TO", st["label"])]
    bill_to += [Paragraph(_text(line), st["body"]) for line in _client_lines(invoice.client)]
    return [head, Spacer(1, 0.3 * inch), *bill_to, Spacer(1, 0.25 * inch)]


def _figures_to_ask(invoice: Invoice, figures: InvoiceFigures | None = None) -> InvoiceFigures:
    """The journal's figures (`figures` when the caller read them already); for an invoice
    not yet charged (a Draft, or one still being sent, whose charge posts as it opens) the
    balance it will ask for is its total."""
    if figures is None:
        figures = invoice_figures_one(practice=invoice.practice, invoice=invoice)
    if (invoice.status in (InvoiceStatus.DRAFT, InvoiceStatus.SENDING) and not figures.paid
            and not figures.balance):
        return InvoiceFigures(total=figures.total, paid=figures.paid,
                              moved_to_insurance=figures.moved_to_insurance,
                              balance=figures.total)
    return figures


def invoice_pdf(*, invoice: Invoice, pay_url: str = "",
                figures: InvoiceFigures | None = None,
                lines: Sequence[InvoiceLine] | None = None,
                provider_profile: object = _READ) -> bytes:
    """The invoice as the client receives it. `pay_url` is the hosted payment page (Stripe's
    hosted invoice page once the invoice is sent); without it the client is told how to
    reach the practice. `figures` (the journal's), `lines` (in pk order) and
    `provider_profile` (the practice's ProviderProfile, None when it has none) are what the
    caller read for the same email already; each left out is read here."""
    st = _styles()
    figures = _figures_to_ask(invoice, figures)
    sender = _sender(invoice, provider_profile)
    story = _header(invoice, "INVOICE", [
        ("Invoice", invoice.number),
        ("Issued", _day(invoice.issue_date)),
        ("Due", _day(invoice.due_date)),
        ("Status", invoice.get_status_display()),
    ], st, sender)

    rows = [["Date of service", "Description", "CPT", "Amount"]]
    for line in (invoice.lines.order_by("pk") if lines is None else lines):
        rows.append([_day(line.service_date), Paragraph(_text(line.description), st["cell"]),
                     line.cpt_code or "", _dollars(line.amount)])
    lines = Table(rows, colWidths=[1.15 * inch, WIDTH - 2.95 * inch, 0.7 * inch, 1.1 * inch],
                  repeatRows=1)  # the column names again on every page
    lines.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTNAME", (0, 1), (-1, -1), "Helvetica"),
        ("FONTSIZE", (0, 0), (-1, -1), 9.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (3, 0), (3, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    story += [lines, Spacer(1, 0.2 * inch)]

    money_rows = [("Total", _dollars(figures.total), False),
                  ("Paid", _dollars(figures.paid), False)]
    if figures.moved_to_insurance:
        money_rows.append(("Billed to your secondary insurance",
                           _dollars(figures.moved_to_insurance), False))
    if figures.balance < 0:
        money_rows.append(("Credit on this invoice", _dollars(-figures.balance), True))
    else:
        money_rows.append(("Balance due", _dollars(figures.balance), True))
    # The figures and how to pay are one block: never split, never a page of their own
    # parts.
    closing: list = [_figures_table(money_rows), Spacer(1, 0.3 * inch)]

    name, contact = sender
    closing.append(Paragraph("How to pay", st["h2"]))
    if figures.balance <= 0:
        closing.append(Paragraph("Nothing is due on this invoice. Thank you.", st["body"]))
    elif pay_url:
        closing.append(Paragraph(
            f'Pay online by card at <link href="{_text(pay_url)}" color="#1d6fb8">'
            f"{_text(pay_url)}</link>", st["body"]))
    else:
        reach = "; ".join(x for x in contact if x.startswith("Phone") or "@" in x)
        closing.append(Paragraph(
            f"Please contact {_text(name)} to pay" + (f" ({_text(reach)})." if reach else ".")
            + f" Checks are payable to {_text(name)}; write {_text(invoice.number)} on the "
            "check.", st["body"]))
    closing += [Spacer(1, 0.15 * inch),
                Paragraph(f"Questions about this invoice? Contact {_text(name)}.",
                          st["small"])]
    story.append(KeepTogether(closing))
    return _build(story, title=f"Invoice {invoice.number}",
                  footer=f"{name} · Invoice {invoice.number}")


def receipt_pdf(*, invoice: Invoice, payment_amount: Decimal, paid_at: datetime, method: str,
                reference: str, figures: InvoiceFigures | None = None) -> bytes:
    """A receipt for one payment on `invoice`: what was paid, when (the practice's clock),
    how, and what the invoice still owes afterwards (the journal's figure; `figures` when
    the caller read them already)."""
    st = _styles()
    if figures is None:
        figures = invoice_figures_one(practice=invoice.practice, invoice=invoice)
    when = paid_at.astimezone(practice_zone(invoice.practice))
    sender = _sender(invoice)
    story = _header(invoice, "RECEIPT", [
        ("For invoice", invoice.number),
        ("Paid on", date_text(when)),
    ], st, sender)
    details = [
        ["Amount paid", _dollars(payment_amount)],
        ["Payment method", method or "—"],
        ["Reference", reference or "—"],
        ["Invoice total", _dollars(figures.total)],
        ["Paid to date", _dollars(figures.paid)],
        ["Balance remaining" if figures.balance >= 0 else "Credit",
         _dollars(abs(figures.balance))],
    ]
    table = Table(details, colWidths=[2.0 * inch, 3.5 * inch], hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
        ("FONTNAME", (1, 0), (1, -1), "Helvetica"),
        ("FONTSIZE", (0, 0), (-1, -1), 10.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("FONTSIZE", (1, 0), (1, 0), 13),
        ("FONTNAME", (1, 0), (1, 0), "Helvetica-Bold"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    name, _ = sender
    story += [table, Spacer(1, 0.35 * inch),
              Paragraph(f"Thank you for your payment. Keep this receipt for your records; "
                        f"questions go to {_text(name)}.", st["body"])]
    return _build(story, title=f"Receipt for invoice {invoice.number}",
                  footer=f"{name} · Receipt for invoice {invoice.number}")
