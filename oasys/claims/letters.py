"""A printable appeal letter (PDF) for a denied claim."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from oasys.core.formats import date_text
from oasys.core.money import dollars_text
from oasys.practice.models import ProviderProfile

from .models import Appeal


def appeal_letter_pdf(*, appeal: Appeal) -> bytes:
    claim = appeal.claim
    profile = ProviderProfile.objects.filter(practice=claim.practice).first()
    styles = getSampleStyleSheet()
    body = styles["BodyText"]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=LETTER, leftMargin=inch, rightMargin=inch,
                            topMargin=inch, bottomMargin=inch,
                            title=f"Appeal of claim {claim.patient_control_number}")
    sender = profile.billing_name if profile else claim.practice.name
    address = ""
    if profile:
        address = f"{profile.address1} {profile.address2}".strip() + \
            f"<br/>{profile.city}, {profile.state} {profile.zip_code}"
    story = [
        Paragraph(f"<b>{sender}</b><br/>{address}", body),
        Spacer(1, 0.3 * inch),
        Paragraph(date_text(appeal.filed_on), body),
        Spacer(1, 0.2 * inch),
        Paragraph(f"{claim.payer.name}<br/>Appeals Department", body),
        Spacer(1, 0.3 * inch),
        Paragraph("<b>Re: Request for reconsideration of a denied claim</b>", body),
        Spacer(1, 0.15 * inch),
    ]
    rows = [
        ["Patient", claim.client.full_name],
        ["Member ID", claim.policy.member_id],
        ["Date of service", date_text(claim.service_date)],
        ["Payer claim number", claim.payer_claim_number or "—"],
        ["Our claim number", claim.patient_control_number],
        ["Billed amount", dollars_text(claim.total_charge)],
        ["Rendering provider", f"{claim.clinician} (NPI {claim.clinician.npi})"],
    ]
    table = Table(rows, colWidths=[1.9 * inch, 4.4 * inch])
    table.setStyle(TableStyle([("FONTNAME", (0, 0), (0, -1), "Helvetica-Bold"),
                               ("FONTSIZE", (0, 0), (-1, -1), 10),
                               ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    story += [table, Spacer(1, 0.25 * inch)]
    story.append(Paragraph(
        "We ask you to reconsider the denial of the claim above, for the following reasons:",
        body))
    story.append(Spacer(1, 0.1 * inch))
    for para in appeal.reason.split("\n"):
        if para.strip():
            story.append(Paragraph(para.strip().replace("&", "&amp;").replace("<", "&lt;"),
                                   body))
    story += [
        Spacer(1, 0.2 * inch),
        Paragraph("Please find the supporting documentation enclosed. Contact us with any "
                  "question about this appeal.", body),
        Spacer(1, 0.4 * inch),
        Paragraph(f"Sincerely,<br/><br/>{sender}"
                  + (f"<br/>{appeal.contact}" if appeal.contact else ""), body),
    ]
    doc.build(story)
    return buf.getvalue()
