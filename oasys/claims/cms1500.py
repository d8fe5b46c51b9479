"""A claim as a CMS-1500 (02/12) paper claim form (ReportLab), for payers that take paper or
for the practice's own records: Manage Claims → a claim → Print CMS-1500, and
GET /api/v1/claims/{id}/cms1500.pdf?mode=plain|red.

What goes in the boxes is the claim as the 837P carries it: `cms1500_form` takes the very
dataclasses `oasys.claims.assembly` hands to the 837P builder (`claim_to_x12`,
`billing_provider`), so the paper and the electronic claim cannot say different things
(names upper-case ASCII, diagnoses without the dot, the same subscriber/patient split, the
same rendering NPI rule, the primary's adjudication on a secondary claim). Where the 837P
leaves a loop out the form follows the 837P's meaning: no 2310B rendering provider means the
billing provider rendered (24J), no 2310C service facility means the billing provider's
address (box 32), no related-causes code means "NO" in boxes 10a–c.

Two renderings:

* ``plain``: the whole form drawn on white paper (box outlines, numbers and labels in the
  form's red ink, shaded service-line rows) with the data on it;
* ``red``: the data only, for printing onto the pre-printed red OCR form.

The grid (both modes put the data in the same places): the standard NUCC print layout of
10 characters per inch and 6 lines per inch, 66 lines by 85 columns on a US Letter page.
Line ``n`` (1–66) is the 1/6-inch band whose top is ``(n - 1) / 6`` inch below the top
edge; column ``c`` is the 1/10-inch cell whose left edge is ``LEFT + (c - 1) / 10`` inch
from the left edge (``LEFT`` = 0.2 in). Data is Courier 12 pt (7.2 pt a character = 10 cpi)
with its baseline 2.5 pt above the bottom of its line. The main positions (line, column):

====  ==========================================================================
line  data
====  ==========================================================================
2–5   payer name and address (col 50)
8     box 1 type checks (cols 2, 9, 16, 25, 32, 40, 46), 1a insured ID (50)
10    2 patient name (2), 3 birth date MM DD YYYY (31) and sex M/F (43/47), 4 insured (50)
12    5 patient street (2), 6 relationship self/spouse/child/other (32/37/42/47), 7 (50)
14    5 city (2) state (26), 7 city (50) state (76)
16    5 ZIP (2) phone (15), 7 ZIP (50) phone (64)
18    9 other insured name (2), 11 insured group number (50)
20    9a other policy (2), 10a employment YES/NO (35/42), 11a birth date (53) sex (69/75)
22    10b auto accident YES/NO (35/42) state (46), 11b other claim ID (50)
24    10c other accident YES/NO (35/42), 11c plan name (50)
26    9d other plan name (2), 10d claim codes (30), 11d another plan YES/NO (52/58)
29    12 signature (8), 13 signature (56)
34    17 qualifier (2) referring name (5), 17b NPI (33)
37    21 ICD indicator (46)
38    21 A–D (3, 16, 29, 42), 22 resubmission code (50) original ref. no. (62)
40    21 E–H, 23 prior authorization (50)
42    21 I–L
45–56 24 service lines, one pair each: shaded line 45 + 2i (24I qualifier col 69, 24J
      taxonomy col 72), unshaded line 46 + 2i: from MM DD YY (2), to (11), POS (20),
      EMG (23), CPT (26), modifiers (33, 36, 39, 42), pointer (45), charge dollars
      right-aligned to col 57 and cents (59), units (62), EPSDT (66), NPI (72)
58    25 tax ID (2) SSN/EIN check (18/20), 26 account no. (24), 27 YES/NO (39/44),
      28 total dollars to col 57 cents (59), 29 paid dollars to col 68 cents (70)
59    33 phone (66)
60–62 31 signature (2), 32 facility (24), 33 billing provider (51)
64    31 date (14), 32a NPI (24), 33a NPI (51)
====  ==========================================================================

More than six service lines continue on further pages, each a whole form with the same
boxes 1–23 and 25–33; box 28 reads CONTINUED on all but the last page, which carries the
claim's total and box 29.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import inch
from reportlab.pdfgen import canvas as rl_canvas

from oasys.core.timezones import practice_zone
from oasys.practice.models import ProviderProfile
from x12.build import claim_837p as b
from x12.models import Address

from .assembly import billing_provider, claim_to_x12
from .models import Claim

Mode = Literal["plain", "red"]
MODES: tuple[str, ...] = ("plain", "red")

LEFT = 0.2 * inch
COL = inch / 10
LINE = inch / 6
LINES_PER_PAGE = 6
FONT, FONT_SIZE = "Courier", 12
INK = colors.HexColor("#c8102e")  # the form's red ink (drop-out red)
SHADE = colors.HexColor("#fbe3e6")
DATA = colors.black

# Box 1 (filing indicator → check box column), per the NUCC instructions.
INSURANCE_TYPE = {"MB": 2, "MC": 9, "CH": 16, "VA": 25, "FI": 40}
GROUP_HEALTH, OTHER_TYPE = 32, 46
GROUP_PLANS = {"CI", "BL", "HM", "12", "13", "14", "15", "16", "17", "WC"}
RELATIONSHIP_COLS = {"18": 32, "01": 37, "19": 42}
OTHER_RELATIONSHIP = 47


class Cms1500Error(ValueError):
    """The form cannot be drawn in the asked way (an unknown mode)."""


class NoProviderProfile(Cms1500Error):
    """The practice has no billing provider profile yet, so boxes 25 and 31–33 (and the
    837P) have nothing to say."""


@dataclass
class Page:
    """One sheet: (line, column, text) data cells; the form around them is drawn apart."""

    cells: list[tuple[int, int, str]] = field(default_factory=list)

    def put(self, line: int, col: int, text: object, width: int | None = None) -> None:
        value = "" if text is None else str(text)
        if width is not None:
            value = value[:width]
        if value.strip():
            self.cells.append((line, col, value))


def _name(last: str, first: str | None, middle: str | None = None) -> str:
    parts = [last]
    if first:
        parts.append(f", {first}")
    if middle:
        parts.append(f" {middle[:1]}")
    return "".join(parts)


def _provider_name(p: b.Provider) -> str:
    if p.organization or not p.first_name:
        return p.name
    return f"{p.first_name} {p.name}"


def _mdy(day, year_digits: int = 4) -> str:
    if day is None:
        return ""
    year = f"{day.year:04d}"[-year_digits:]
    return f"{day.month:02d} {day.day:02d} {year}"


def _phone(digits: str | None) -> str:
    digits = "".join(ch for ch in (digits or "") if ch.isdigit())
    return f"{digits[:3]} {digits[3:]}" if len(digits) == 10 else digits


def _zip(code: str) -> str:
    return f"{code[:5]}-{code[5:]}" if len(code) == 9 else code


def _money(page: Page, line: int, dollars_end: int, amount: Decimal) -> None:
    """Dollars right-aligned to column `dollars_end`, cents after the form's divider."""
    cents = int((amount * 100).quantize(Decimal(1)))
    whole = f"{cents // 100}"
    page.put(line, dollars_end - len(whole) + 1, whole)
    page.put(line, dollars_end + 2, f"{cents % 100:02d}")


def _units(units: Decimal) -> str:
    return f"{units.normalize():f}"


def _address_lines(page: Page, line: int, col: int, width: int, address: Address | None,
                   state_col: int | None = None) -> None:
    """Street on `line`; city (and state at `state_col`, or after the city) two lines down;
    ZIP two lines further (boxes 5 and 7)."""
    if address is None:
        return
    street = address.line1 + (f" {address.line2}" if address.line2 else "")
    page.put(line, col, street, width)
    page.put(line + 2, col, address.city, (state_col - col - 1) if state_col else width)
    if state_col:
        page.put(line + 2, state_col, address.state, 3)
    page.put(line + 4, col, _zip(address.postal_code), 10)


def _block(page: Page, line: int, col: int, width: int, name: str,
           address: Address | None) -> None:
    """Boxes 32 and 33: name, street, "CITY ST ZIP" on three lines."""
    page.put(line, col, name, width)
    if address is not None:
        street = address.line1 + (f" {address.line2}" if address.line2 else "")
        page.put(line + 1, col, street, width)
        page.put(line + 2, col,
                 f"{address.city} {address.state} {_zip(address.postal_code)}", width)


@dataclass
class Cms1500:
    """What the form says, page by page (`pages`), and the claim it came from."""

    claim: Claim
    pages: list[Page]


def _header(page: Page, x: b.Claim, bp: b.Provider, today, other: b.OtherPayer | None,
            ) -> None:
    """Boxes 1–23 and 25–27, 31–33: the same on every page of the claim."""
    sub, pat = x.subscriber, x.patient
    # Top: the payer the form goes to.
    page.put(2, 50, x.payer.name, 30)
    if x.payer.address is not None:
        a = x.payer.address
        page.put(3, 50, a.line1 + (f" {a.line2}" if a.line2 else ""), 30)
        page.put(4, 50, f"{a.city} {a.state} {_zip(a.postal_code)}", 30)
    # 1 / 1a
    indicator = x.filing_indicator
    col = INSURANCE_TYPE.get(indicator, GROUP_HEALTH if indicator in GROUP_PLANS else
                             OTHER_TYPE)
    page.put(8, col, "X")
    page.put(8, 50, sub.member_id, 29)
    # 2 / 3 / 4: the patient is the subscriber unless the 837P carries a 2010CA patient.
    patient_last = pat.last_name if pat else sub.last_name
    patient_first = pat.first_name if pat else sub.first_name
    patient_middle = pat.middle_name if pat else sub.middle_name
    page.put(10, 2, _name(patient_last, patient_first, patient_middle), 28)
    page.put(10, 31, _mdy(pat.birth_date if pat else sub.birth_date))
    sex = pat.gender if pat else sub.gender
    if sex in ("M", "F"):
        page.put(10, 43 if sex == "M" else 47, "X")
    page.put(10, 50, _name(sub.last_name, sub.first_name, sub.middle_name), 29)
    # 5 / 6 / 7
    _address_lines(page, 12, 2, 28, pat.address if pat else sub.address, state_col=26)
    relationship = pat.relationship if pat else "18"
    page.put(12, RELATIONSHIP_COLS.get(relationship, OTHER_RELATIONSHIP), "X")
    _address_lines(page, 12, 50, 29, sub.address, state_col=76)
    # 9 / 9a / 9d: the other insured (the primary, on a secondary claim).
    if other is not None:
        o = other.subscriber
        page.put(18, 2, _name(o.last_name, o.first_name, o.middle_name), 28)
        page.put(20, 2, o.member_id, 28)
        page.put(26, 2, other.payer.name, 28)
    # 10a–c: the 837P carries no related-causes code (CLM11), so none is related.
    for line in (20, 22, 24):
        page.put(line, 42, "X")
    # 11 / 11a / 11c / 11d
    page.put(18, 50, sub.group_number or "", 29)
    page.put(20, 53, _mdy(sub.birth_date))
    if sub.gender in ("M", "F"):
        page.put(20, 69 if sub.gender == "M" else 75, "X")
    page.put(24, 50, x.payer.name, 29)
    page.put(26, 52 if x.other_payers else 58, "X")
    # 12 / 13
    if x.release_of_information == "Y":
        page.put(29, 8, "SIGNATURE ON FILE")
    if x.benefits_assignment == "Y":
        page.put(29, 56, "SIGNATURE ON FILE")
    # 17 / 17b
    if x.referring is not None:
        page.put(34, 2, "DN")
        page.put(34, 5, _name(x.referring.name, x.referring.first_name), 24)
        page.put(34, 33, x.referring.npi, 10)
    # 21: ICD-10 (indicator 0), A–L, four to a line.
    page.put(37, 46, "0")
    for index, code in enumerate(x.diagnoses[:12]):
        page.put(38 + 2 * (index // 4), 3 + 13 * (index % 4), code, 8)
    # 22 / 23
    if x.frequency in ("7", "8"):
        page.put(38, 50, x.frequency)
        page.put(38, 62, x.original_claim_number or "", 18)
    page.put(40, 50, x.prior_authorization or "", 29)
    # 25 / 26 / 27
    page.put(58, 2, bp.ein or bp.ssn or "", 15)
    page.put(58, 20 if bp.ein else 18, "X")
    page.put(58, 24, x.patient_control_number, 14)
    page.put(58, 39 if x.assignment in ("A", "B") else 44, "X")
    # 31: signed on file by the rendering clinician (or the billing provider), dated today.
    if x.provider_signature:
        signer = x.rendering or bp
        page.put(61, 2, "SIGNATURE ON FILE", 21)
        page.put(62, 2, _provider_name(signer), 21)
        page.put(64, 14, _mdy(today, 2))
    # 32 / 32a: where the services were (the billing provider when the 837P names none).
    facility = x.service_facility or bp
    _block(page, 60, 24, 26, _provider_name(facility), facility.address)
    page.put(64, 24, facility.npi, 10)
    # 33 / 33a
    page.put(59, 66, _phone(bp.phone), 14)
    _block(page, 60, 51, 29, _provider_name(bp), bp.address)
    page.put(64, 51, bp.npi, 10)


def _service_line(page: Page, row: int, line: b.ServiceLine, x: b.Claim,
                  rendering: b.Provider) -> None:
    shaded, plain = 45 + 2 * row, 46 + 2 * row
    page.put(plain, 2, _mdy(line.service_date, 2))
    page.put(plain, 11, _mdy(line.service_date, 2))
    page.put(plain, 20, line.place_of_service or x.place_of_service, 2)
    page.put(plain, 26, line.procedure, 5)
    for index, modifier in enumerate(line.modifiers[:4]):
        page.put(plain, 33 + 3 * index, modifier, 2)
    page.put(plain, 45, "".join("ABCDEFGHIJKL"[p - 1] for p in line.diagnosis_pointers[:4]
                                if 1 <= p <= 12))
    _money(page, plain, 57, line.charge)
    page.put(plain, 62, _units(line.units), 3)
    if rendering.taxonomy:
        page.put(shaded, 69, "ZZ")
        page.put(shaded, 72, rendering.taxonomy, 10)
    page.put(plain, 72, rendering.npi, 10)


def cms1500_form(*, claim: Claim) -> Cms1500:
    """The claim's boxes, from the data the 837P is built from (oasys.claims.assembly)."""
    profile = ProviderProfile.objects.filter(practice_id=claim.practice_id).first()
    if profile is None:
        raise NoProviderProfile("The practice has no provider profile: fill in Billing setup"
                                " → Provider before printing a claim form.")
    bp = billing_provider(profile)
    x = claim_to_x12(claim, profile)
    if x.billing_provider is not None:
        bp = x.billing_provider
    other = x.other_payers[0] if x.other_payers else None
    rendering = x.rendering or bp
    today = timezone.localtime(timezone.now(), practice_zone(claim.practice)).date()
    chunks = [x.lines[i:i + LINES_PER_PAGE]
              for i in range(0, len(x.lines), LINES_PER_PAGE)] or [[]]
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        page = Page()
        _header(page, x, bp, today, other)
        if len(chunks) > 1:
            page.put(1, 2, f"PAGE {number} OF {len(chunks)}")
        for row, line in enumerate(chunk):
            _service_line(page, row, line, x, rendering)
        if number == len(chunks):
            _money(page, 58, 57, x.total_charge)
            paid = sum((o.paid or Decimal(0) for o in x.other_payers), Decimal(0))
            _money(page, 58, 68, paid)
        else:
            page.put(58, 51, "CONTINUED")
        pages.append(page)
    return Cms1500(claim=claim, pages=pages)


# --- drawing -----------------------------------------------------------------------------

def _x(col: float) -> float:
    return LEFT + (col - 1) * COL


def _top(line: float) -> float:
    """The y (from the bottom, as PDF counts) of the top of `line`."""
    return LETTER[1] - (line - 1) * LINE


# The form's boxes: (first line, last line, first column, column after, label).
BOXES: list[tuple[int, int, int, int, str]] = [
    (7, 8, 1, 50, "1."),
    (7, 8, 50, 82, "1a. INSURED'S I.D. NUMBER                 (For Program in Item 1)"),
    (9, 10, 1, 30, "2. PATIENT'S NAME (Last Name, First Name, Middle Initial)"),
    (9, 10, 30, 50, "3. PATIENT'S BIRTH DATE   MM  DD  YY        SEX"),
    (9, 10, 50, 82, "4. INSURED'S NAME (Last Name, First Name, Middle Initial)"),
    (11, 12, 1, 30, "5. PATIENT'S ADDRESS (No., Street)"),
    (11, 12, 30, 50, "6. PATIENT RELATIONSHIP TO INSURED"),
    (11, 12, 50, 82, "7. INSURED'S ADDRESS (No., Street)"),
    (13, 14, 1, 25, "CITY"), (13, 14, 25, 30, "STATE"),
    (13, 16, 30, 50, "8. RESERVED FOR NUCC USE"),
    (13, 14, 50, 75, "CITY"), (13, 14, 75, 82, "STATE"),
    (15, 16, 1, 14, "ZIP CODE"), (15, 16, 14, 30, "TELEPHONE (Include Area Code)"),
    (15, 16, 50, 63, "ZIP CODE"), (15, 16, 63, 82, "TELEPHONE (Include Area Code)"),
    (17, 18, 1, 30, "9. OTHER INSURED'S NAME (Last Name, First Name, Middle Initial)"),
    (17, 18, 30, 50, "10. IS PATIENT'S CONDITION RELATED TO:"),
    (17, 18, 50, 82, "11. INSURED'S POLICY GROUP OR FECA NUMBER"),
    (19, 20, 1, 30, "a. OTHER INSURED'S POLICY OR GROUP NUMBER"),
    (19, 20, 30, 50, "a. EMPLOYMENT? (Current or Previous)"),
    (19, 20, 50, 82, "a. INSURED'S DATE OF BIRTH                               SEX"),
    (21, 22, 1, 30, "b. RESERVED FOR NUCC USE"),
    (21, 22, 30, 50, "b. AUTO ACCIDENT?"),
    (21, 22, 50, 82, "b. OTHER CLAIM ID (Designated by NUCC)"),
    (23, 24, 1, 30, "c. RESERVED FOR NUCC USE"),
    (23, 24, 30, 50, "c. OTHER ACCIDENT?"),
    (23, 24, 50, 82, "c. INSURANCE PLAN NAME OR PROGRAM NAME"),
    (25, 26, 1, 30, "d. INSURANCE PLAN NAME OR PROGRAM NAME"),
    (25, 26, 30, 50, "10d. CLAIM CODES (Designated by NUCC)"),
    (25, 26, 50, 82, "d. IS THERE ANOTHER HEALTH BENEFIT PLAN?"),
    (27, 30, 1, 50, "READ BACK OF FORM BEFORE COMPLETING & SIGNING THIS FORM.  12. PATIENT'S OR"
                    " AUTHORIZED PERSON'S SIGNATURE  I authorize the release of information."),
    (27, 30, 50, 82, "13. INSURED'S OR AUTHORIZED PERSON'S SIGNATURE  I authorize payment of"
                     " benefits."),
    (31, 32, 1, 30, "14. DATE OF CURRENT ILLNESS, INJURY, or PREGNANCY (LMP)"),
    (31, 32, 30, 50, "15. OTHER DATE"),
    (31, 32, 50, 82, "16. DATES PATIENT UNABLE TO WORK IN CURRENT OCCUPATION"),
    (33, 34, 1, 30, "17. NAME OF REFERRING PROVIDER OR OTHER SOURCE"),
    (33, 34, 30, 50, "17a.                       17b. NPI"),
    (33, 34, 50, 82, "18. HOSPITALIZATION DATES RELATED TO CURRENT SERVICES"),
    (35, 36, 1, 50, "19. ADDITIONAL CLAIM INFORMATION (Designated by NUCC)"),
    (35, 36, 50, 82, "20. OUTSIDE LAB?                                    $ CHARGES"),
    (37, 42, 1, 50, "21. DIAGNOSIS OR NATURE OF ILLNESS OR INJURY  Relate A-L to service line"
                    " below (24E)     ICD Ind."),
    (37, 38, 50, 82, "22. RESUBMISSION CODE              ORIGINAL REF. NO."),
    (39, 42, 50, 82, "23. PRIOR AUTHORIZATION NUMBER"),
    (43, 44, 1, 19, "24. A.  DATE(S) OF SERVICE   From      To"),
    (43, 44, 19, 22, "B. POS"), (43, 44, 22, 25, "C. EMG"),
    (43, 44, 25, 44, "D. PROCEDURES, SERVICES, OR SUPPLIES  CPT/HCPCS   MODIFIER"),
    (43, 44, 44, 49, "E. DIAG. POINTER"), (43, 44, 49, 61, "F. $ CHARGES"),
    (43, 44, 61, 65, "G. UNITS"), (43, 44, 65, 68, "H. EPSDT"), (43, 44, 68, 71, "I. QUAL."),
    (43, 44, 71, 82, "J. RENDERING PROVIDER ID. #"),
    (57, 58, 1, 23, "25. FEDERAL TAX I.D. NUMBER"),
    (57, 58, 23, 37, "26. PATIENT'S ACCOUNT NO."),
    (57, 58, 37, 50, "27. ACCEPT ASSIGNMENT?"),
    (57, 58, 50, 62, "28. TOTAL CHARGE"), (57, 58, 62, 72, "29. AMOUNT PAID"),
    (57, 58, 72, 82, "30. Rsvd for NUCC Use"),
    (59, 64, 1, 23, "31. SIGNATURE OF PHYSICIAN OR SUPPLIER INCLUDING DEGREES OR CREDENTIALS"),
    (59, 64, 23, 50, "32. SERVICE FACILITY LOCATION INFORMATION"),
    (59, 64, 50, 82, "33. BILLING PROVIDER INFO & PH #"),
]
# Check boxes drawn as small squares just left of where their X goes (line, column).
CHECKS = ([(8, c) for c in (2, 9, 16, 25, 32, 40, 46)] + [(10, 43), (10, 47)]
          + [(12, c) for c in (32, 37, 42, 47)]
          + [(ln, c) for ln in (20, 22, 24) for c in (35, 42)] + [(20, 69), (20, 75)]
          + [(26, 52), (26, 58), (36, 53), (36, 58), (58, 18), (58, 20), (58, 39), (58, 44)])
# The check boxes' captions, in the label line above each box (line, column, caption).
CAPTIONS = ([(7, c, t) for c, t in ((2, "MEDICARE"), (9, "MEDICAID"), (16, "TRICARE"),
                                     (25, "CHAMPVA"), (32, "GROUP HEALTH PLAN"),
                                     (40, "FECA BLK LUNG"), (46, "OTHER"))]
            + [(9, 43, "M"), (9, 47, "F"), (19, 69, "M"), (19, 75, "F")]
            + [(11, c, t) for c, t in ((32, "Self"), (37, "Spouse"), (42, "Child"),
                                       (47, "Other"))]
            + [(ln, c, t) for ln in (20, 22, 24) for c, t in ((35, "YES"), (42, "NO"))]
            + [(21, 46, "PLACE (State)")]
            + [(25, 52, "YES"), (25, 58, "NO"), (35, 53, "YES"), (35, 58, "NO"),
               (57, 18, "SSN"), (57, 20, "EIN"), (57, 39, "YES"), (57, 44, "NO")])


def _draw_label(c: rl_canvas.Canvas, text: str, x: float, y: float, width: float) -> None:
    """A box's label in small type at the top of its box, cut to the box's width."""
    c.setFont("Helvetica", 5)
    while text and c.stringWidth(text, "Helvetica", 5) > width - 3:
        text = text[:-1]
    c.drawString(x + 1.5, y - 5.5, text)


def _draw_form(c: rl_canvas.Canvas) -> None:
    """The printed form: title, boxes, labels, shaded rows, in the form's red ink."""
    c.saveState()
    c.setStrokeColor(INK)
    c.setFillColor(INK)
    c.setFont("Helvetica-Bold", 13)
    c.drawString(_x(1), _top(5) - 10, "HEALTH INSURANCE CLAIM FORM")
    c.setFont("Helvetica", 5.5)
    c.drawString(_x(1), _top(6) - 7, "APPROVED BY NATIONAL UNIFORM CLAIM COMMITTEE (NUCC) 02/12")
    c.setFont("Helvetica-Bold", 9)
    c.drawString(_x(2), _top(1) - 8, "1500")
    c.setFont("Helvetica", 5)
    c.drawRightString(_x(82), _top(6) - 7, "PICA")
    c.drawString(_x(40), _top(2) - 7, "CARRIER")
    # shaded halves of the six service-line rows
    c.setFillColor(SHADE)
    for row in range(LINES_PER_PAGE):
        c.rect(_x(1) - 2, _top(46 + 2 * row), _x(82) - _x(1), LINE, stroke=0, fill=1)
    c.setFillColor(INK)
    c.setLineWidth(0.6)
    for first, last, c0, c1, label in BOXES:
        # edges 2 pt left of their column, so data never touches a rule
        x0, x1 = _x(c0) - 2, _x(c1) - 2
        y0, y1 = _top(last + 1), _top(first)
        c.rect(x0, y0, x1 - x0, y1 - y0, stroke=1, fill=0)
        _draw_label(c, label, x0, y1, x1 - x0)
    # service-line grid: the row rules and the column dividers
    c.setLineWidth(0.4)
    for row in range(LINES_PER_PAGE):
        y = _top(47 + 2 * row)
        c.line(_x(1) - 2, y, _x(82) - 2, y)
        c.setFont("Helvetica-Bold", 7)
        c.drawString(_x(82) + 2, _top(46 + 2 * row) - 8, str(row + 1))
    for col in (10, 19, 22, 25, 32, 35, 38, 41, 44, 49, 58, 61, 65, 68, 71):
        c.line(_x(col) - 2, _top(57), _x(col) - 2, _top(46))
    c.rect(_x(1) - 2, _top(57), _x(82) - _x(1), _top(45) - _top(57), stroke=1, fill=0)
    # diagnosis letters of box 21
    c.setFont("Helvetica", 6)
    for index, letter in enumerate("ABCDEFGHIJKL"):
        c.drawString(_x(2 + 13 * (index % 4)) - 3, _top(38 + 2 * (index // 4)) - 9,
                     f"{letter}.")
    c.setFont("Helvetica", 5)
    for line, col, caption in CAPTIONS:
        # YES/NO of 10a-c sit beside their boxes (the label line above holds the question)
        if line in (20, 22, 24) and col in (35, 42):
            c.drawRightString(_x(col) - 2, _top(line) - 9, caption)
        else:
            c.drawString(_x(col) - 1, _top(line) - 11, caption)
    for line, col in CHECKS:
        c.rect(_x(col) - 1, _top(line) - 10.5, COL + 2, LINE - 2, stroke=1, fill=0)
    c.setFont("Helvetica", 5.5)
    c.drawString(_x(1), _top(29) - 9, "SIGNED")
    c.drawString(_x(30), _top(29) - 9, "DATE")
    c.drawString(_x(51), _top(29) - 9, "SIGNED")
    c.drawString(_x(1), _top(64) - 9, "SIGNED")
    c.drawString(_x(10), _top(64) - 9, "DATE")
    c.drawString(_x(23) + 1, _top(64) - 9, "a.")
    c.drawString(_x(35) + 1, _top(64) - 9, "b.")
    c.drawString(_x(50) + 1, _top(64) - 9, "a.")
    c.drawString(_x(62) + 1, _top(64) - 9, "b.")
    c.drawString(_x(1), _top(65) - 8, "NUCC Instruction Manual available at: www.nucc.org")
    c.drawString(_x(30), _top(65) - 8, "PLEASE PRINT OR TYPE")
    c.drawRightString(_x(82), _top(65) - 8, "APPROVED OMB-0938-1197 FORM 1500 (02-12)")
    c.restoreState()


def cms1500_pdf(*, claim: Claim, mode: str = "plain") -> bytes:
    """The claim as a CMS-1500 PDF: `plain` draws the form with the data, `red` prints the
    data only, for the pre-printed red form."""
    if mode not in MODES:
        raise Cms1500Error("Unknown mode: use plain or red.")
    form = cms1500_form(claim=claim)
    buffer = io.BytesIO()
    c = rl_canvas.Canvas(buffer, pagesize=LETTER, pageCompression=1)
    # No PHI in the document's metadata (a file browser shows the title).
    c.setTitle(f"CMS-1500 claim {claim.patient_control_number}")
    c.setAuthor("Oasys Billing")
    for page in form.pages:
        if mode == "plain":
            _draw_form(c)
        c.setFillColor(DATA)
        c.setFont(FONT, FONT_SIZE)
        for line, col, text in page.cells:
            c.drawString(_x(col), _top(line + 1) + 2.5, text)
        c.showPage()
    c.save()
    return buffer.getvalue()
