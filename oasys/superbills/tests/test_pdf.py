"""The superbill PDF read back with poppler's `pdftotext -layout`, field by field against
the records (practice, provider, client, each service, the journal's paid figure, totals),
and page 1 rendered with `pdftoppm` to a PNG of a sane size that is not blank."""

from __future__ import annotations

import struct
import subprocess
import zlib
from decimal import Decimal

import pytest

from oasys.billing.tests import factories as f
from oasys.clients.diagnoses import diagnosis_description
from oasys.core.formats import date_text
from oasys.core.timezones import practice_date
from oasys.practice.models import TaxIdType
from oasys.superbills.models import SuperbillKind
from oasys.superbills.pdf import NOT_A_CLAIM, superbill_pdf
from oasys.superbills.selectors import statement_for
from oasys.superbills.services import superbill_create

from .world import superbill_world

pytestmark = pytest.mark.django_db


def _made(practice):
    w = superbill_world(practice)
    f.make_policy(w.client, f.make_payer(name="Out Of Network Health"), member_id="XJ4478812")
    [sb] = superbill_create(practice=practice, client_ids=[w.client.pk],
                            date_from=w.date_from, date_to=w.date_to,
                            kind=SuperbillKind.CONSOLIDATED, ctx=f.ctx_for(practice=practice))
    return w, sb


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "sb.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         check=True, timeout=60)
    return out.stdout.decode("utf-8")


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_pdf_states_every_field_of_the_records(practice, tmp_path):
    w, sb = _made(practice)
    pdf = superbill_pdf(statements=[statement_for(superbill=sb)])
    assert pdf.startswith(b"%PDF")
    text = _text(pdf, tmp_path)
    flat = _flat(text)
    p = w.profile
    # the practice
    for value in (f"{p.first_name} {p.last_name}", p.address1, f"{p.city}, {p.state} {p.zip_code}",
                  "(312) 555-0100", f"Billing NPI: {p.npi}",
                  f"EIN {p.tax_id[:2]}-{p.tax_id[2:]}"):
        assert value in flat, value
    # the rendering provider
    c = w.clinician
    for value in ("Elena Marsh, LCPC", f"Individual NPI: {c.npi}", "LCPC IL 180.012345",
                  "101YM0800X"):
        assert value in flat, value
    # the client
    for value in ("Jordan Alvarez", "Date of birth: Jul 15, 1990", "45 Elm Ave",
                  "Evanston, IL 60201", "Member ID: XJ4478812"):
        assert value in flat, value
    # the statement
    for value in (sb.number, "SUPERBILL", f"Statement date: {date_text(sb.statement_date)}"
                  .replace("Statement date: ", "")):
        assert value in flat, value
    # each service, one line of the table per session
    for s in w.sessions:
        day = date_text(practice_date(s.start, practice))
        row = next(line for line in text.splitlines() if line.strip().startswith(day))
        assert "90837" in row and "$165.00" in row, row
        paid = "$80.00" if s == w.sessions[0] else "$0.00"
        assert row.rstrip().endswith(paid), row
        assert " 11 " in row and " 1 " in row, row  # place of service, units
    # the cells wrap, so their words are checked as the table's lines show them
    assert flat.count("90837 Psychotherapy, 60") == 3
    assert flat.count("11 Office") == 3  # place of service 11 and its name
    for code in ("F41.1", "F33.1"):
        words = " ".join(diagnosis_description(code).split()[:2])
        assert flat.count(f"{code} {words}") == 3, (code, words)
    # totals: three sessions at $165, $80 paid
    assert "Total charges $495.00" in flat
    assert "Amount paid $80.00" in flat
    assert "Balance $415.00" in flat
    assert _flat(NOT_A_CLAIM) in flat
    assert "Signature: Elena Marsh, LCPC" in flat
    # what must not be there
    assert w.insured.client.last_name not in flat


def test_an_ssn_is_masked(practice, tmp_path):
    w, sb = _made(practice)
    type(w.profile).objects.filter(pk=w.profile.pk).update(
        tax_id_type=TaxIdType.SSN)
    w.profile.refresh_from_db()
    w.profile.tax_id = "555443333"
    w.profile.save()
    flat = _flat(_text(superbill_pdf(statements=[statement_for(superbill=sb)]), tmp_path))
    assert "SSN ***-**-3333" in flat
    assert "555443333" not in flat and "55-5443333" not in flat


def test_modifiers_and_telehealth_place_of_service(practice, tmp_path):
    w = superbill_world(practice)
    type(w.sessions[2]).objects.filter(pk=w.sessions[2].pk).update(
        place_of_service="10", modifiers="95")
    [sb] = superbill_create(practice=practice, client_ids=[w.client.pk], date_from=w.date_from,
                            date_to=w.date_to, kind=SuperbillKind.INDIVIDUAL,
                            appointment_ids=[w.sessions[2].pk],
                            ctx=f.ctx_for(practice=practice))
    text = _text(superbill_pdf(statements=[statement_for(superbill=sb)]), tmp_path)
    row = next(line for line in text.splitlines() if "90837" in line and "$165.00" in line)
    assert " 95 " in row and " 10 " in row
    assert "Telehealth" in _flat(text)
    assert "Balance $165.00" in _flat(text)


def _png_size_and_ink(png: bytes) -> tuple[int, int, float]:
    """Width, height and the share of non-white pixels of an 8-bit RGB/gray PNG."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos:pos + 8])
        data = png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and color in (0, 2)
            channels = 1 if color == 0 else 3
        elif kind == b"IDAT":
            idat += data
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels + 1
    inked = total = 0
    prev = bytearray(stride - 1)
    for y in range(height):
        ftype, line = raw[y * stride], bytearray(raw[y * stride + 1:(y + 1) * stride])
        for i in range(len(line)):  # undo the PNG filters
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                line[i] = (line[i] + pred) & 255
        for x in range(0, len(line), channels):
            total += 1
            inked += min(line[x:x + channels]) < 200
        prev = line
    return width, height, inked / total


def test_page_one_renders_to_a_sane_png(practice, tmp_path):
    _, sb = _made(practice)
    path = tmp_path / "sb.pdf"
    path.write_bytes(superbill_pdf(statements=[statement_for(superbill=sb)]))
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / "page")], check=True, timeout=60)
    [png] = list(tmp_path.glob("page*.png"))
    width, height, ink = _png_size_and_ink(png.read_bytes())
    # US Letter at 60 dpi: 510 x 660
    assert (width, height) == (510, 660)
    assert 0.01 < ink < 0.5, ink


def test_a_consolidated_superbill_of_many_sessions_runs_over_pages(practice, tmp_path):
    w = superbill_world(practice)
    for d in range(1, 29):
        if d not in (6, 9, 13, 20):
            f.make_appointment(practice, client=w.client, clinician=w.clinician,
                               service_type=w.service_type, days_ago=d, minutes=55)
    [sb] = superbill_create(practice=practice, client_ids=[w.client.pk], date_from=w.date_from,
                            date_to=w.date_to, kind=SuperbillKind.CONSOLIDATED,
                            ctx=f.ctx_for(practice=practice))
    n = sb.lines.count()
    text = _text(superbill_pdf(statements=[statement_for(superbill=sb)]), tmp_path)
    pages = text.split("\f")
    assert len([p for p in pages if p.strip()]) >= 2
    # every page of the table repeats its column names
    assert all("Diagnosis (ICD-10-CM)" in p for p in pages if "90837" in p)
    assert f"Total charges ${Decimal('165.00') * n:,.2f}" in _flat(text)
