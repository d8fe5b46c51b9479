"""The superbill as a PDF (ReportLab), for the download, the preview and the email
attachment. It is what an insurer asks of an out-of-network statement: the practice and the
rendering provider (name, address, phone, NPIs, tax ID, licence, taxonomy), the client (name,
date of birth, address, member ID when known), each service (date, CPT and its description,
modifiers, place of service, units, ICD-10-CM codes with descriptions, fee, paid), the
totals, the statement's number and date, and a signature line.

Built on the look every PDF of the product shares (oasys.core.pdf). A tax ID that is an
SSN is shown masked (last four digits)."""

from __future__ import annotations

from reportlab.lib.units import inch
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, Spacer, Table, TableStyle

from oasys.core.codes import phone_display, place_of_service_name
from oasys.core.pdf import INK, RULE, SHADE, WIDTH, figures_table, pdf_build, pdf_day, pdf_dollars
from oasys.core.pdf import pdf_styles as _styles
from oasys.core.pdf import pdf_text as _text
from oasys.practice.models import ProviderType
from oasys.practice.taxonomy import taxonomy_codes

from .selectors import Statement

_build, _day, _dollars, _figures_table = pdf_build, pdf_day, pdf_dollars, figures_table

NOT_A_CLAIM = ("This is a statement of services for the client to submit to their "
               "insurance company for reimbursement. It is not a claim: the provider has not "
               "billed the insurer for these services.")


def _taxonomy(code: str) -> str:
    if not code:
        return "—"
    known = taxonomy_codes().get(code)
    return f"{code} ({known.display_name})" if known else code


def _practice_block(s: Statement, st) -> list:
    p = s.profile
    name = (p.billing_name if p else "") or s.practice_name
    out = [Paragraph(_text(name), st["sender"])]
    if p:
        street = " ".join(x for x in (p.address1, p.address2) if x)
        town = f"{p.city}, {p.state} {p.zip_code}".strip(", ")
        out += [Paragraph(_text(x), st["body"]) for x in (street, town) if x.strip()]
        if p.contact_phone:
            out.append(Paragraph(_text(f"Phone {phone_display(p.contact_phone)}"), st["body"]))
        group = p.provider_type == ProviderType.ORGANIZATION
        facts = [
            (f"{'Group' if group else 'Billing'} NPI", p.npi or "—"),
            ("Tax ID", p.tax_id_printed or "—"),
        ]
        if p.taxonomy_code:
            facts.append(("Practice taxonomy", _taxonomy(p.taxonomy_code)))
        out += [Paragraph(f"<b>{_text(k)}:</b> {_text(v)}", st["body"]) for k, v in facts]
    return out


def _provider_rows(s: Statement, st) -> list:
    out = [Paragraph("RENDERING PROVIDER" + ("S" if len(s.providers) > 1 else ""),
                     st["label"])]
    for pr in s.providers:
        licence = " ".join(x for x in (pr.license_state, pr.license_number) if x)
        out.append(Paragraph(
            f"<b>{_text(pr.name)}</b>" + (f", {_text(pr.credentials)}" if pr.credentials
                                          else ""), st["body"]))
        out.append(Paragraph(
            f"Individual NPI: {_text(pr.npi or '—')} · Licence: "
            f"{_text(pr.credentials or '—')} {_text(licence or '—')} · Taxonomy: "
            f"{_text(_taxonomy(pr.taxonomy_code))}", st["small"]))
    return out


def _client_block(s: Statement, st) -> list:
    c = s.client
    street = " ".join(x for x in (c.address1, c.address2) if x)
    town = f"{c.city}, {c.state} {c.zip_code}".strip(", ")
    out = [Paragraph("CLIENT", st["label"]), Paragraph(f"<b>{_text(c.full_name)}</b>",
                                                       st["body"])]
    out.append(Paragraph(f"Date of birth: {_text(_day(c.date_of_birth))}", st["body"]))
    out += [Paragraph(_text(x), st["body"]) for x in (street, town) if x.strip()]
    if s.member_id:
        out.append(Paragraph(f"Member ID: {_text(s.member_id)}", st["body"]))
    return out


def _head(s: Statement, st) -> list:
    facts = [("Superbill", s.number), ("Statement date", _day(s.statement_date)),
             ("Period", f"{_day(s.period_start)} – {_day(s.period_end)}")]
    fact_rows = [[Paragraph(_text(k), st["label"]), Paragraph(_text(v), st["body"])]
                 for k, v in facts]
    right = [Paragraph("SUPERBILL", st["title"]), Spacer(1, 6),
             Table(fact_rows, colWidths=[1.05 * inch, 2.2 * inch], hAlign="RIGHT",
                   style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                     ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                     ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                                     ("TOPPADDING", (0, 0), (-1, -1), 1)]))]
    top = Table([[_practice_block(s, st), right]], colWidths=[WIDTH - 3.3 * inch, 3.3 * inch],
                style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                  ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                  ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    people = Table([[_client_block(s, st), _provider_rows(s, st)]],
                   colWidths=[WIDTH * 0.42, WIDTH * 0.58],
                   style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                     ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [top, Spacer(1, 0.2 * inch), people, Spacer(1, 0.2 * inch)]


def _services(s: Statement, st) -> Table:
    rows = [["Date", "Service (CPT)", "Mod.", "POS", "Units", "Diagnosis (ICD-10-CM)",
             "Fee", "Paid"]]
    for ln in s.lines:
        service = f"<b>{_text(ln.cpt_code or '—')}</b> {_text(ln.description)}"
        pos = ln.place_of_service
        pos_name = place_of_service_name(pos)
        dx = "<br/>".join(f"<b>{_text(code)}</b> {_text(desc)}" for code, desc in ln.diagnoses)
        rows.append([_day(ln.service_date), Paragraph(service, st["cell"]),
                     ", ".join(ln.modifiers) or "—",
                     Paragraph(f"{_text(pos)}" + (f" {_text(pos_name)}" if pos_name else ""),
                               st["cell"]),
                     str(ln.units), Paragraph(dx or "—", st["cell"]), _dollars(ln.fee),
                     _dollars(ln.paid)])
    widths = [0.85, 1.55, 0.45, 0.85, 0.4, 1.6, 0.65, 0.65]
    scale = WIDTH / (sum(widths) * inch)
    table = Table(rows, colWidths=[w * inch * scale for w in widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTNAME", (0, 1), (-1, -1), "Helvetica"),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (6, 0), (7, -1), "RIGHT"),
        ("ALIGN", (4, 0), (4, -1), "CENTER"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]))
    return table


def _one(s: Statement) -> list:
    st = _styles()
    # denser than the invoice: a statement carries many more facts per page
    st["cell"].fontSize, st["cell"].leading = 8.5, 10.5
    for name in ("body", "small", "label", "cell"):
        st[name].spaceBefore = st[name].spaceAfter = 0
    st["body"].leading = 12.5
    story = _head(s, st)
    story += [_services(s, st), Spacer(1, 0.15 * inch)]
    figures = _figures_table([("Total charges", _dollars(s.total_fee), False),
                              ("Amount paid", _dollars(s.total_paid), False),
                              ("Balance", _dollars(s.balance), True)])
    signer = s.providers[0] if len(s.providers) == 1 else None
    sign_as = (f"{signer.name}" + (f", {signer.credentials}" if signer.credentials else "")
               if signer else "Rendering provider")
    closing = [figures, Spacer(1, 0.2 * inch), Paragraph(_text(NOT_A_CLAIM), st["body"]),
               Spacer(1, 0.35 * inch),
               Table([["", ""], [f"Signature: {sign_as}", "Date"]],
                     colWidths=[WIDTH * 0.6, WIDTH * 0.3], rowHeights=[24, None],
                     hAlign="LEFT",
                     style=TableStyle([("LINEABOVE", (0, 1), (0, 1), 0.75, INK),
                                       ("LINEABOVE", (1, 1), (1, 1), 0.75, INK),
                                       ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
                                       ("FONTSIZE", (0, 0), (-1, -1), 9),
                                       ("TEXTCOLOR", (0, 0), (-1, -1), INK),
                                       ("LEFTPADDING", (0, 0), (-1, -1), 0)]))]
    story.append(KeepTogether(closing))
    return story


def superbill_pdf(*, statements: list[Statement]) -> bytes:
    """One PDF of one or more statements, each starting on a new page (a preview of several
    superbills shows them all; a made superbill is one statement)."""
    if not statements:
        raise ValueError("superbill_pdf needs at least one statement")
    story: list = []
    for i, s in enumerate(statements):
        if i:
            story.append(PageBreak())
        story += _one(s)
    first = statements[0]
    name = (first.profile.billing_name if first.profile else "") or first.practice_name
    title = (f"Superbill {first.number}" if len(statements) == 1
             else f"Superbills ({len(statements)})")
    return _build(story, title=title, footer=f"{name} · {title}")
