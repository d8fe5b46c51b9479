"""The statement PDF read back with poppler: `pdftotext` field by field (the practice, the
client, the dates, every row and figure, how to pay; never a diagnosis code) and page 1
rendered with `pdftoppm` to an image that is not blank."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from PIL import Image

from oasys.core.formats import date_text
from oasys.statements.pdf import statement_pdf
from oasys.statements.selectors import statement_build

from .world import FEB_1, FEB_28, client_month

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


@pytest.fixture
def february(practice):
    m = client_month(practice)
    statement = statement_build(practice=practice, client=m.client, period_start=FEB_1,
                                period_end=FEB_28)
    return m, statement, statement_pdf(statement=statement)


def test_the_statement_pdf_says_who_when_what_and_how_much(february):
    m, statement, pdf = february
    text = _text(pdf)
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    flat = "\n".join(lines)
    for expected in (
        "Dana Reyes", "100 Main St", "Chicago, IL 60601", "Phone (312) 555-0100",  # practice
        "billing@serenity.example",
        "STATEMENT", f"Statement date {date_text(statement.statement_date)}",
        "Period Feb 1, 2026 – Feb 28, 2026",
        "STATEMENT FOR", "Jordan Kim", "12 Oak St Apt 4", "Chicago, IL 60614",  # the client
        "Date Description Amount",
        "Feb 1, 2026 Previous balance $100.00",
        f"Feb 3, 2026 Charge for the session of {date_text(m.claim.service_date)}, billed to "
        "your insurance $130.00",
        "Feb 10, 2026 Insurance payment from ACME HEALTH for the session of",
        "−$78.00",
        "Feb 10, 2026 Insurance contractual adjustment for the session of",
        "−$32.00",
        "Feb 10, 2026 Your share after insurance for the session of",
        f"Feb 12, 2026 Payment on invoice {m.invoice.number}. Thank you −$60.00",
        f"Feb 20, 2026 Balance written off on invoice {m.invoice.number} −$15.00",
        "Charges $130.00", "Insurance payments −$78.00", "Your payments −$60.00",
        "Adjustments −$47.00", "Balance due $45.00",
        "How to pay", "Checks are payable to Dana Reyes",
        "Page 1 of 1",
    ):
        assert expected in flat, expected
    assert flat.count("Balance due $45.00") == 2  # in the header and under the table
    assert flat.index("Balance due $45.00") < flat.index("STATEMENT FOR")
    assert "F41.1" not in text  # the claim's diagnosis never reaches the client's paper
    assert "hardship" not in text and "ch_feb" not in text  # staff's notes and references
    assert "$10.00" not in text  # March's payment is after the period


def test_page_one_renders_to_an_image_with_ink_on_it(february, tmp_path: Path):
    _, _, pdf = february
    src = tmp_path / "statement.pdf"
    src.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(src),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    image = Image.open(pages[0]).convert("L")
    assert image.size == (425, 550)  # US Letter at 50 dpi

    def dark(img) -> int:
        return sum(img.histogram()[:128])

    assert dark(image) > 2000  # text and rules, not a white page
    # ink in the top third (the header) and in the middle (the table)
    assert dark(image.crop((0, 0, 425, 180))) > 300
    assert dark(image.crop((0, 180, 425, 400))) > 300
