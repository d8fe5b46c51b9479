"""The good-faith estimate PDF (oasys.estimates.pdf), read back with poppler's pdftotext
field by field (provider, client, dates, lines, totals, the notice) and page 1 rendered with
pdftoppm to a PNG that must not be blank."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
from PIL import Image

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.formats import date_text
from oasys.estimates.pdf import estimate_pdf
from oasys.estimates.services import estimate_issue, estimate_void
from oasys.practice.models import ProviderProfile, TaxIdType

# make test installs poppler-utils (scripts/system-deps.sh): missing, these tests fail
pytestmark = pytest.mark.django_db

LINES = [
    {"cpt_code": "90791", "description": "Intake assessment", "quantity": 1,
     "unit_cost": "200.00"},
    {"cpt_code": "90837", "description": "Individual psychotherapy, 60 min", "quantity": 52,
     "unit_cost": "150.00"},
]


def _text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()


def _estimate(practice, **kw):
    client = f.make_client(practice, billing_type=BillingType.SELF_PAY, first_name="Jordan",
                           last_name="Kim", date_of_birth=dt.date(1990, 7, 4))
    return estimate_issue(practice=practice, client=client, period_start=dt.date(2027, 1, 4),
                          period_end=dt.date(2027, 12, 31), lines=LINES,
                          ctx=f.ctx_for(practice=practice), **kw)


def test_the_pdf_carries_every_field(practice):
    f.make_profile(practice, npi="1234567893", tax_id="123456789", tax_id_type=TaxIdType.EIN)
    estimate = _estimate(practice)
    text = _text(estimate_pdf(estimate=estimate))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    joined = " ".join(" ".join(text.split()).split())

    # the provider
    for expected in ("Dana Reyes", "100 Main St", "Chicago, IL 60601", "Phone (312) 555-0100",
                     "NPI 1234567893", "Tax ID EIN 12-3456789"):
        assert expected in joined, expected
    # the estimate and the client
    assert "GOOD-FAITH ESTIMATE" in joined
    assert estimate.number in joined
    assert f"Date {date_text(estimate.issue_date)}" in joined
    assert "Period Jan 4, 2027 to Dec 31, 2027" in joined
    assert "Name Jordan Kim" in joined
    assert "Date of birth Jul 4, 1990" in joined
    # the services table, line by line, and the total
    assert any(line.startswith("CPT Service Quantity Unit cost Total") for line in lines)
    assert any(line.startswith("90791 Intake assessment 1 $200.00 $200.00") for line in lines)
    assert any(line.startswith("90837 Individual psychotherapy, 60 min 52 $150.00 $7,800.00")
               for line in lines)
    assert any(line.startswith("Estimated total $8,000.00") for line in lines)
    # no diagnosis unless entered
    assert "Diagnosis" not in joined
    # the notice
    for expected in ("right to a good-faith estimate", "not a contract",
                     "$400 more than the total of this estimate",
                     "patient-provider dispute resolution", "Keep a copy of this estimate",
                     "www.cms.gov/nosurprises", "1-800-985-3059"):
        assert expected in joined, expected
    assert "Page 1 of 1" in joined


def test_diagnosis_codes_entered_are_shown(practice):
    estimate = _estimate(practice, diagnosis_codes="F41.1, F33.1")
    assert "Diagnosis codes F41.1, F33.1" in " ".join(_text(estimate_pdf(estimate=estimate))
                                                      .split())


def test_an_ssn_is_masked_and_a_void_estimate_says_so(practice):
    f.make_profile(practice, tax_id="987654321", tax_id_type=TaxIdType.SSN)
    estimate = _estimate(practice)
    estimate_void(estimate=estimate, ctx=f.ctx_for(practice=practice))
    estimate.refresh_from_db()
    joined = " ".join(_text(estimate_pdf(estimate=estimate)).split())
    assert "Tax ID SSN ***-**-4321" in joined
    assert "987654321" not in joined and "98-7654321" not in joined
    assert "Status VOID" in joined


def test_tax_id_printed():
    assert ProviderProfile(tax_id="", tax_id_type=TaxIdType.EIN).tax_id_printed == ""
    assert ProviderProfile(tax_id="12-3456789",
                           tax_id_type=TaxIdType.EIN).tax_id_printed == "EIN 12-3456789"
    assert ProviderProfile(tax_id="123456789",
                           tax_id_type=TaxIdType.SSN).tax_id_printed == "SSN ***-**-6789"


def test_page_one_renders_and_is_not_blank(practice, tmp_path):
    f.make_profile(practice)
    pdf = estimate_pdf(estimate=_estimate(practice))
    (tmp_path / "gfe.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1",
                    str(tmp_path / "gfe.pdf"), str(tmp_path / "page")], check=True)
    [png] = list(tmp_path.glob("page*.png"))
    image = Image.open(io.BytesIO(png.read_bytes())).convert("L")
    assert image.size == (425, 550)  # US Letter at 50 dpi
    dark = sum(image.histogram()[:128])
    assert dark > 2000, dark  # text and rules, not an empty page
    # ink in the top (the header) and the bottom half (the notice)
    top = image.crop((0, 0, 425, 275)).getextrema()
    bottom = image.crop((0, 275, 425, 550)).getextrema()
    assert top[0] < 100 and bottom[0] < 100
