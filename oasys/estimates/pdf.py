"""The good-faith estimate as a PDF (ReportLab), for the download and the email attachment.

What the No Surprises Act asks an estimate to show: the provider (name, address, phone, NPI,
tax ID: an EIN in full, an individual's SSN masked to its last four), the client (name,
date of birth), the date of the estimate, the period it covers, the expected services with
their CPT codes, quantities and costs, the diagnosis codes only when the user entered them,
and the notice of the client's rights (in our own words).

Built on the look every PDF of the product shares (oasys.core.pdf)."""

from __future__ import annotations

from decimal import Decimal

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from oasys.core.formats import date_text
from oasys.core.money import dollars_text
from oasys.core.pdf import (
    INK,
    RULE,
    SHADE,
    WIDTH,
    pdf_build,
    pdf_day,
    pdf_phone,
    pdf_styles,
    pdf_text,
)
from oasys.practice.models import ProviderProfile

from .models import EstimateStatus, GoodFaithEstimate

CMS_URL = "www.cms.gov/nosurprises"
CMS_PHONE = "1-800-985-3059"

# The notice, in our own words: the right to an estimate, that it is not a contract, and
# the right to dispute a bill $400 or more above it (keep the estimate; who to ask).
NOTICE = [
    ("Your right to a good-faith estimate",
     "You are receiving this estimate because you are not using insurance for these "
     "services (you are uninsured, or you chose to pay for your care yourself). Under the "
     "No Surprises Act, health care providers must give people who are uninsured or "
     "self-pay an estimate of the expected charges for their care. You may ask for a "
     "good-faith estimate at any time: when you schedule care, or before."),
    ("This estimate is not a contract",
     "The figures above are an estimate of what we expect to charge for the services "
     "listed, over the period shown. It is not a contract and does not oblige you to "
     "receive these services. Your actual charges may differ if your care changes, for "
     "example if you attend more or fewer sessions."),
    ("If your bill is $400 or more above this estimate",
     "If you are billed at least $400 more than the total of this estimate, you have the "
     "right to dispute the bill through the federal patient-provider dispute resolution "
     "process. You must start the dispute within 120 calendar days of the date on the "
     "bill. Keep a copy of this estimate, with its date, and of the bill: you will need "
     "them."),
    ("Questions and more information",
     f"For questions about your rights, or to learn how to start a dispute, visit "
     f"{CMS_URL} or call {CMS_PHONE}."),
]


def _styles() -> dict[str, ParagraphStyle]:
    st = pdf_styles()
    body = st["body"]
    st.update({
        "line": ParagraphStyle("line", parent=body, spaceBefore=0, spaceAfter=0),
        "notice": ParagraphStyle("notice", parent=body, fontSize=9, leading=12),
        "title": ParagraphStyle("title", parent=st["title"], fontSize=17, leading=21),
        "h2": ParagraphStyle("h2", parent=body, fontName="Helvetica-Bold", fontSize=11,
                             leading=15, spaceBefore=8, spaceAfter=2),
        "h3": ParagraphStyle("h3", parent=body, fontName="Helvetica-Bold", fontSize=9.5,
                             leading=12, spaceBefore=5),
    })
    return st


_text = pdf_text
_phone = pdf_phone
_day = pdf_day


def _dollars(amount: Decimal) -> str:
    return dollars_text(amount)


def _provider(estimate: GoodFaithEstimate) -> tuple[str, list[str]]:
    """The provider as the law asks: name, address, phone, NPI, tax ID."""
    profile = ProviderProfile.objects.filter(practice_id=estimate.practice_id).first()
    name = (profile.billing_name if profile else "") or estimate.practice.name
    lines: list[str] = []
    if profile:
        street = " ".join(p for p in (profile.address1, profile.address2) if p)
        town = f"{profile.city}, {profile.state} {profile.zip_code}".strip(", ")
        lines += [x for x in (street, town) if x.strip()]
        if profile.contact_phone:
            lines.append(f"Phone {_phone(profile.contact_phone)}")
        if profile.contact_email:
            lines.append(profile.contact_email)
        if profile.npi:
            lines.append(f"NPI {profile.npi}")
        tax = profile.tax_id_printed
        if tax:
            lines.append(f"Tax ID {tax}")
    return name, lines


def _facts(rows: list[tuple[str, str]], st: dict[str, ParagraphStyle], widths: list[float]
           ) -> Table:
    data = [[Paragraph(_text(k), st["label"]), Paragraph(_text(v), st["body"])]
            for k, v in rows]
    return Table(data, colWidths=widths, hAlign="LEFT",
                 style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                                   ("TOPPADDING", (0, 0), (-1, -1), 1)]))


def _services_table(estimate: GoodFaithEstimate, st: dict[str, ParagraphStyle]) -> Table:
    rows = [["CPT", "Service", "Quantity", "Unit cost", "Total"]]
    for line in estimate.lines.order_by("position"):
        rows.append([line.cpt_code, Paragraph(_text(line.description), st["cell"]),
                     str(line.quantity), _dollars(line.unit_cost), _dollars(line.total)])
    rows.append(["", "Estimated total", "", "", _dollars(estimate.total)])
    table = Table(rows, colWidths=[0.7 * inch, WIDTH - 3.9 * inch, 0.8 * inch, 1.1 * inch,
                                   1.3 * inch], repeatRows=1)
    table.setStyle(TableStyle([
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTNAME", (0, 1), (-1, -2), "Helvetica"),
        ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
        ("FONTSIZE", (0, 0), (-1, -1), 9.5),
        ("FONTSIZE", (0, -1), (-1, -1), 11),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, INK),
        ("LINEBELOW", (0, 1), (-1, -3), 0.25, RULE),
        ("LINEABOVE", (0, -1), (-1, -1), 0.75, INK),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def estimate_pdf(*, estimate: GoodFaithEstimate) -> bytes:
    """The estimate as the client receives it."""
    st = _styles()
    name, provider_lines = _provider(estimate)
    left = [Paragraph(_text(name), st["sender"])]
    left += [Paragraph(_text(line), st["line"]) for line in provider_lines]
    facts = [("Estimate", estimate.number), ("Date", _day(estimate.issue_date)),
             ("Period", f"{_day(estimate.period_start)} to {_day(estimate.period_end)}")]
    if estimate.status == EstimateStatus.VOID:
        facts.append(("Status", "VOID"))
    right = [Paragraph("GOOD-FAITH ESTIMATE", st["title"]), Spacer(1, 6),
             Table([[Paragraph(_text(k), st["label"]), Paragraph(_text(v), st["body"])]
                    for k, v in facts], colWidths=[0.8 * inch, 2.2 * inch], hAlign="RIGHT",
                   style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                     ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                     ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                                     ("TOPPADDING", (0, 0), (-1, -1), 1)]))]
    head = Table([[left, right]], colWidths=[WIDTH - 3.1 * inch, 3.1 * inch],
                 style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
    client = estimate.client
    patient = [("Name", client.full_name),
               ("Date of birth", date_text(client.date_of_birth)
                if client.date_of_birth else "—")]
    if estimate.diagnosis_codes:
        patient.append(("Diagnosis codes", estimate.diagnosis_codes))
    story: list = [head, Spacer(1, 0.25 * inch),
                   Paragraph("PATIENT", st["label"]),
                   _facts(patient, st, [1.3 * inch, WIDTH - 1.3 * inch]),
                   Spacer(1, 0.2 * inch),
                   Paragraph("Expected services and charges", st["h2"]),
                   _services_table(estimate, st), Spacer(1, 0.1 * inch),
                   Paragraph(
                       f"This estimate covers the services above from "
                       f"{_text(_day(estimate.period_start))} to "
                       f"{_text(_day(estimate.period_end))}, at the fees in effect on "
                       f"{_text(_day(estimate.issue_date))}.", st["notice"])]
    notice: list = [Paragraph("Your rights under the No Surprises Act", st["h2"])]
    for heading, text in NOTICE:
        notice += [Paragraph(_text(heading), st["h3"]), Paragraph(_text(text), st["notice"])]
    story.append(KeepTogether(notice))
    return pdf_build(story, title=f"Good-faith estimate {estimate.number}",
                     footer=f"{name} · Good-faith estimate {estimate.number}")
