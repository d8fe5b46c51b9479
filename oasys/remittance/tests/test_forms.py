"""The ERA upload form: what a file is comes from its content, not its name or the type the
browser sends; only text opening with an X12 header is taken, and nothing else is stored."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from oasys.clearinghouse.models import EdiFile
from oasys.remittance.forms import EraUploadForm

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
