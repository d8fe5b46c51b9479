"""The client statement as a PDF (ReportLab), on the look every PDF of the product shares
(oasys.core.pdf): the practice (billing name, address, phone), the statement's date and period,
the client's name and address, the period's rows from the journal, the balance due and how
to pay. Never a diagnosis code: a statement is mailed, printed, left on a table."""

from __future__ import annotations

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from oasys.core.formats import date_text
from oasys.core.models import Practice
from oasys.core.pdf import (
    INK,
    RULE,
    SHADE,
    WIDTH,
    pdf_build,
    pdf_day,
    pdf_dollars,
    pdf_phone,
    pdf_styles,
    pdf_text,
)
from oasys.practice.models import ProviderProfile

from .selectors import SECTION_TITLES, SECTIONS, Statement

_styles = pdf_styles
_text = pdf_text
dollars = pdf_dollars
_phone = pdf_phone
_day = pdf_day


def practice_contact(practice: Practice) -> dict[str, str]:
    """The practice as the client knows it: Provider Information's billing name, address,
    phone and email when filled in, else the practice's name."""
    profile = ProviderProfile.objects.filter(practice_id=practice.pk).first()
    name = (profile.billing_name if profile else "") or practice.name
    street = town = phone = email = ""
    if profile:
        street = " ".join(p for p in (profile.address1, profile.address2) if p)
        town = f"{profile.city}, {profile.state} {profile.zip_code}".strip(", ").strip()
        phone = _phone(profile.contact_phone) if profile.contact_phone else ""
        email = profile.contact_email or ""
    return {"name": name, "street": street, "town": town, "phone": phone, "email": email}


def _client_lines(client) -> list[str]:
    street = " ".join(p for p in (client.address1, client.address2) if p)
    town = f"{client.city}, {client.state} {client.zip_code}".strip(", ")
    return [x for x in (client.full_name, street, town) if x.strip()]


def _header(statement: Statement, contact: dict[str, str],
            st: dict[str, ParagraphStyle]) -> list:
    left = [Paragraph(_text(contact["name"]), st["sender"])]
    for line in (contact["street"], contact["town"],
                 f"Phone {contact['phone']}" if contact["phone"] else "", contact["email"]):
        if line:
            left.append(Paragraph(_text(line), st["body"]))
    facts = [("Statement date", _day(statement.statement_date)),
             ("Period", f"{_day(statement.period_start)} – {_day(statement.period_end)}"),
             ("Balance due", dollars(statement.balance_due))]
    fact_rows = [[Paragraph(_text(k), st["label"]), Paragraph(_text(v), st["body"])]
                 for k, v in facts]
    right = [Paragraph("STATEMENT", st["title"]), Spacer(1, 6),
             Table(fact_rows, colWidths=[1.1 * inch, 1.9 * inch], hAlign="RIGHT",
                   style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                     ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                     ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                                     ("TOPPADDING", (0, 0), (-1, -1), 1)]))]
    head = Table([[left, right]], colWidths=[WIDTH - 3.0 * inch, 3.0 * inch],
                 style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    to = [Paragraph("STATEMENT FOR", st["label"])]
    to += [Paragraph(_text(line), st["body"]) for line in _client_lines(statement.client)]
    return [head, Spacer(1, 0.3 * inch), *to, Spacer(1, 0.25 * inch)]


def _activity(statement: Statement, st: dict[str, ParagraphStyle]) -> Table:
    rows = [["Date", "Description", "Amount"],
            [_day(statement.period_start), "Previous balance", dollars(statement.opening)]]
    for r in statement.rows:
        rows.append([_day(r.date), Paragraph(_text(r.description), st["cell"]),
                     "" if r.amount is None else dollars(r.amount)])
    if not statement.rows:
        rows.append(["", Paragraph("No activity in this period.", st["cell"]), ""])
    table = Table(rows, colWidths=[1.15 * inch, WIDTH - 2.35 * inch, 1.2 * inch],
                  repeatRows=1)  # the column names again on every page
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTNAME", (0, 1), (-1, -1), "Helvetica"),
        ("FONTNAME", (1, 1), (-1, 1), "Helvetica-Oblique"),
        ("FONTSIZE", (0, 0), (-1, -1), 9.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (2, 0), (2, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _summary(statement: Statement) -> Table:
    totals = statement.totals
    rows: list[tuple[str, str, bool]] = [("Previous balance", dollars(statement.opening), False)]
    for section in SECTIONS:
        rows.append((SECTION_TITLES[section], dollars(totals[section]), False))
    if statement.insurance_owes:
        rows.append(("Account total", dollars(statement.closing), False))
        rows.append(("Awaiting insurance", dollars(statement.insurance_owes), False))
    if statement.balance_due < 0:
        rows.append(("Credit in your favour", dollars(-statement.balance_due), True))
    else:
        rows.append(("Balance due", dollars(statement.balance_due), True))
    style = [("ALIGN", (0, 0), (-1, -1), "RIGHT"),
             ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
             ("FONTSIZE", (0, 0), (-1, -1), 10),
             ("TEXTCOLOR", (0, 0), (-1, -1), INK),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    last = len(rows) - 1
    style += [("FONTNAME", (0, last), (-1, last), "Helvetica-Bold"),
              ("FONTSIZE", (0, last), (-1, last), 11.5),
              ("LINEABOVE", (0, last), (-1, last), 0.75, INK),
              ("TOPPADDING", (0, last), (-1, last), 5)]
    return Table([[a, b] for a, b, _ in rows], colWidths=[1.9 * inch, 1.2 * inch],
                 hAlign="RIGHT", style=TableStyle(style))


def statement_pdf(*, statement: Statement) -> bytes:
    """The statement as the client receives it (the download and the email attachment)."""
    st = _styles()
    practice = statement.client.practice
    contact = practice_contact(practice)
    story = _header(statement, contact, st)
    story += [_activity(statement, st), Spacer(1, 0.2 * inch)]
    closing: list = [_summary(statement), Spacer(1, 0.3 * inch),
                     Paragraph("How to pay", st["h2"])]
    name = contact["name"]
    if statement.balance_due <= 0:
        closing.append(Paragraph("Nothing is due. Thank you.", st["body"]))
    else:
        reach = "; ".join(x for x in (f"Phone {contact['phone']}" if contact["phone"] else "",
                                      contact["email"]) if x)
        closing.append(Paragraph(
            "Pay any open invoice online with the payment link in its email, or contact "
            f"{_text(name)}" + (f" ({_text(reach)})" if reach else "") + " to pay by card. "
            f"Checks are payable to {_text(name)}; write your name and the statement date "
            "on the check.", st["body"]))
    closing += [Spacer(1, 0.15 * inch),
                Paragraph(f"Questions about this statement? Contact {_text(name)}.",
                          st["small"])]
    story.append(KeepTogether(closing))
    footer = f"{name} · Statement {date_text(statement.statement_date)}"
    return pdf_build(story, title="Statement", footer=footer)


def statement_filename(statement: Statement) -> str:
    # no name in the file name: it travels in URLs' and mail clients' logs
    return f"Statement {statement.period_start:%Y-%m-%d} to {statement.period_end:%Y-%m-%d}.pdf"
