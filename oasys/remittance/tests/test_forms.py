"""The ERA upload form: what a file is comes from its content, not its name or the type the
browser sends; only text opening with an X12 header is taken, and nothing else is stored."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from oasys.clearinghouse.models import EdiFile
from oasys.remittance.forms import EraUploadForm
from oasys.remittance.models import Remittance
from oasys.remittance.services import MAX_ENCODING_WARNINGS, encoding_warnings_rows

from .helpers import copay_claim, era, submitted_claim

pytestmark = pytest.mark.django_db


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "PNG")
    return buf.getvalue()


@pytest.mark.parametrize(("data", "why"), [
    (_png(), "not text"),
    (b"<html><script>alert(1)</script></html>", "not an X12 file"),
    (b"ISA\x00" + b"*" * 100, "not an X12 file"),
    (b"name,amount\nJane,12.00\n", "not an X12 file"),
])
def test_a_file_that_is_not_x12_is_refused_whatever_its_name(data, why):
    form = EraUploadForm({}, {"file": SimpleUploadedFile("era.835", data, "text/plain")})
    assert not form.is_valid()
    assert why in form.errors["file"][0]


def test_a_cp1252_letter_in_a_name_does_not_refuse_the_file(practice):
    raw = era([copay_claim(submitted_claim(practice))]).encode()
    assert b"NM1*QC*1*" in raw
    raw = raw.replace(b"NM1*QC*1*", b"NM1*QC*1*\xc9", 1)  # cp1252/Latin-1 for an É
    form = EraUploadForm({}, {"file": SimpleUploadedFile("era.835", raw, "text/plain")})
    assert form.is_valid(), form.errors
    assert "NM1*QC*1*\u00c9" in form.cleaned_data["file"]


def test_an_x12_file_is_taken_whatever_its_name(practice):
    raw = era([copay_claim(submitted_claim(practice))]).encode()
    form = EraUploadForm({}, {"file": SimpleUploadedFile("photo.jpg", raw, "image/jpeg")})
    assert form.is_valid() and form.cleaned_data["file"].startswith("ISA")


def test_the_upload_page_shows_the_refusal_and_stores_nothing(owner_client):
    resp = owner_client.post("/billing/remittances/upload/",
                             {"file": SimpleUploadedFile("era.835", _png(), "text/plain")})
    assert resp.status_code == 200 and "not text" in resp.content.decode()
    assert not EdiFile.objects.exists()


def test_the_form_says_where_each_fallback_byte_was_and_what_it_was_read_as(practice):
    raw = era([copay_claim(submitted_claim(practice))]).encode()
    raw = raw.replace(b"NM1*QC*1*", b"NM1*QC*1*\xc9", 1)
    segments = raw.split(b"~")
    nm1 = next(i for i, s in enumerate(segments) if s.lstrip().startswith(b"NM1*QC*1*"))
    form = EraUploadForm({}, {"file": SimpleUploadedFile("era.835", raw, "text/plain")})
    assert form.is_valid(), form.errors
    (w,) = form.encoding_warnings
    assert (w["position"], w["segment_id"], w["element"]) == (nm1 + 1, "NM1", 3)
    assert (w["byte_offset"], w["found"], w["read_as"]) == (raw.index(b"\xc9"), "0xC9", "É")


def test_a_utf8_file_has_no_encoding_warnings(practice):
    raw = era([copay_claim(submitted_claim(practice))]).encode()
    form = EraUploadForm({}, {"file": SimpleUploadedFile("era.835", raw, "text/plain")})
    assert form.is_valid() and form.encoding_warnings == []


def test_the_era_page_and_api_show_the_fallback_bytes(owner_client, api_client, practice):
    raw = era([copay_claim(submitted_claim(practice))]).encode()
    raw = raw.replace(b"NM1*QC*1*", b"NM1*QC*1*\xc9", 1)
    resp = owner_client.post("/billing/remittances/upload/",
                             {"file": SimpleUploadedFile("era.835", raw, "text/plain")})
    assert resp.status_code == 302
    (r,) = Remittance.objects.filter(practice=practice)
    (w,) = r.encoding_warnings
    assert (w["segment_id"], w["element"], w["found"], w["read_as"]) == ("NM1", 3, "0xC9", "É")
    body = owner_client.get(f"/billing/remittances/{r.pk}/").content.decode()
    assert "Read with a fallback encoding" in body and "1 byte(s) were read as cp1252" in body
    assert f"<td>{w['position']} (NM1)</td><td>NM103</td>" in body
    assert "<code>0xC9</code></td><td><code>É</code>" in body
    detail = api_client.get(f"/api/v1/remittances/{r.pk}").json()
    assert detail["encoding_warnings"] == [w]


def test_a_clean_upload_shows_no_encoding_section(owner_client, practice):
    raw = era([copay_claim(submitted_claim(practice))]).encode()
    owner_client.post("/billing/remittances/upload/",
                      {"file": SimpleUploadedFile("era.835", raw, "text/plain")})
    (r,) = Remittance.objects.filter(practice=practice)
    assert r.encoding_warnings == []
    body = owner_client.get(f"/billing/remittances/{r.pk}/").content.decode()
    assert "fallback encoding" not in body


def test_stored_warnings_are_capped():
    rows = encoding_warnings_rows([{"message": f"m{i}", "byte_offset": i, "junk": 1}
                                   for i in range(MAX_ENCODING_WARNINGS + 7)])
    assert len(rows) == MAX_ENCODING_WARNINGS + 1
    assert "junk" not in rows[0] and rows[0]["byte_offset"] == 0
    assert rows[-1]["message"] == "7 more bytes were read the same way (not listed)"
