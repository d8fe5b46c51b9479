"""The look every PDF of the product shares (ReportLab): ink and rule colours, the text
width of a Letter page with 3/4-inch margins, the paragraph styles, the small formatters, a
"Page n of N" footer and the document frame. The invoice, the receipt, the statement, the
superbill and the good-faith estimate are built on it so they read as one family.

Text uses the PDF standard fonts (Helvetica), which every viewer has and which cover the
Latin-1 letters of US names and addresses."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas as rl_canvas
from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

from oasys.core.formats import date_text
from oasys.core.money import dollars_text

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#6b7280")
RULE = colors.HexColor("#d6dbdf")
SHADE = colors.HexColor("#f2f4f6")
# What the frame leaves for content: the page less the margins and the frame's own 6 pt
# padding on each side (a wider table would overhang and be centred off the text's edge).
WIDTH = LETTER[0] - 1.5 * inch - 12


def pdf_styles() -> dict[str, ParagraphStyle]:
    """The shared paragraph styles (a document adds or replaces its own in the dict)."""
    base = getSampleStyleSheet()["BodyText"]
    body = ParagraphStyle("body", parent=base, fontName="Helvetica", fontSize=10, leading=13,
                          textColor=INK)
    return {
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11,
                                textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=body, fontSize=9.5, leading=12),
        "sender": ParagraphStyle("sender", parent=body, fontName="Helvetica-Bold",
                                 fontSize=14, leading=18),
        "title": ParagraphStyle("title", parent=body, fontName="Helvetica-Bold",
                                fontSize=20, leading=24, alignment=TA_RIGHT),
        "label": ParagraphStyle("label", parent=body, fontName="Helvetica-Bold",
                                fontSize=9, leading=12, textColor=MUTED),
        "h2": ParagraphStyle("h2", parent=body, fontName="Helvetica-Bold", fontSize=11,
                             leading=15, spaceBefore=6),
    }


def pdf_text(value: object) -> str:
    """Data into a Paragraph: its markup is XML, so client-typed text is escaped."""
    return escape(str(value or ""))


def pdf_dollars(amount: Decimal) -> str:
    return dollars_text(amount)


def pdf_phone(number: str) -> str:
    digits = "".join(c for c in number if c.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) == 10:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return number


def pdf_day(d: dt.date | None) -> str:
    return date_text(d)


class NumberedCanvas(rl_canvas.Canvas):
    """Writes "Page n of N" and the document's name at the foot of every page (N is known
    only once every page is laid out, so pages are kept and stamped at the end)."""

    footer_left = ""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 - ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont("Helvetica", 8)
            self.setFillColor(MUTED)
            self.drawString(0.75 * inch + 6, 0.5 * inch, self.footer_left)
            self.drawRightString(LETTER[0] - 0.75 * inch - 6, 0.5 * inch,
                                 f"Page {self._pageNumber} of {total}")
            super().showPage()
        super().save()


def canvas_for(footer: str) -> type[NumberedCanvas]:
    """A canvas class whose pages carry `footer` at the left of the foot."""
    return type("_Canvas", (NumberedCanvas,), {"footer_left": footer})


def pdf_build(story: list, *, title: str, footer: str) -> bytes:
    """Lay `story` out on Letter pages with the shared margins and footer."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=LETTER, leftMargin=0.75 * inch,
                            rightMargin=0.75 * inch, topMargin=0.75 * inch,
                            bottomMargin=0.85 * inch, title=title, author="Oasys Billing",
                            invariant=True)
    doc.build(story, canvasmaker=canvas_for(footer))
    return buf.getvalue()


def figures_table(rows: list[tuple[str, str, bool]]) -> Table:
    """Right-aligned label/amount rows; the bold ones are the figures that matter."""
    data = [[label, amount] for label, amount, _ in rows]
    style = [("ALIGN", (0, 0), (-1, -1), "RIGHT"),
             ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
             ("FONTSIZE", (0, 0), (-1, -1), 10),
             ("TEXTCOLOR", (0, 0), (-1, -1), INK),
             ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]
    for i, (_, _, strong) in enumerate(rows):
        if strong:
            style += [("FONTNAME", (0, i), (-1, i), "Helvetica-Bold"),
                      ("FONTSIZE", (0, i), (-1, i), 11.5),
                      ("LINEABOVE", (0, i), (-1, i), 0.75, INK),
                      ("TOPPADDING", (0, i), (-1, i), 5)]
    return Table(data, colWidths=[1.9 * inch, 1.2 * inch], hAlign="RIGHT",
                 style=TableStyle(style))
