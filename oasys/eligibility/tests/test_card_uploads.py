"""Card photo uploads: an image too large in pixels is refused from its header (a 12 KB PNG
declaring 10,000 x 10,000 pixels), the stored name is ours with the extension of the type the
content really is, and content that is not an allowed image is refused, whatever its name or
the type the browser claims. Through the service, the screen and the API."""

from __future__ import annotations

import io
from pathlib import PurePosixPath

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from oasys.eligibility import wizard
from oasys.eligibility.models import InsuranceCard

pytestmark = pytest.mark.django_db

INSURANCE = {"member_id": "W123456789", "group_number": "GRP1", "relationship": "self"}


def image_bytes(size: tuple[int, int] = (40, 25), fmt: str = "PNG", mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    """10,000 x 10,000 pixels of one colour: 100 megapixels in about 12 KB of PNG."""
    return image_bytes((10_000, 10_000), mode="1")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private")}}}


@pytest.fixture
def draft(el_client, el_payer, el_ctx, owner):
    return wizard.insurance_wizard_start(client=el_client, ctx=el_ctx, actor=owner)


def test_the_bomb_is_small_on_disk_and_huge_in_pixels(bomb):
    assert len(bomb) < 20_000
    with pytest.warns(Image.DecompressionBombWarning), Image.open(io.BytesIO(bomb)) as img:
        assert img.size == (10_000, 10_000)


def test_an_image_above_the_pixel_limit_is_refused_before_decoding(bomb, settings):
    content_type, problem = wizard.card_image_check(SimpleUploadedFile("card.png", bomb))
    assert content_type is None
    assert "too large in pixels" in problem and "40 megapixels" in problem
    settings.MAX_IMAGE_PIXELS = 1000  # the setting decides
    assert "too large in pixels" in wizard.card_image_check(
        SimpleUploadedFile("c.png", image_bytes((40, 30))))[1]
    assert wizard.card_image_check(SimpleUploadedFile("c.png", image_bytes((40, 25)))) == (
        "image/png", None)


def test_beyond_pillows_own_bomb_limit_is_the_same_clear_refusal(settings):
    # 20,000 x 10,000 is past twice Pillow's MAX_IMAGE_PIXELS: Image.open itself raises.
    settings.MAX_IMAGE_PIXELS = 10**12
    data = image_bytes((20_000, 10_000), mode="1")
    assert "too large in pixels" in wizard.card_image_check(SimpleUploadedFile("c.png", data))[1]


def test_the_screen_shows_the_pixel_refusal_and_stores_nothing(owner_client, draft, el_payer,
                                                               bomb):
    url = reverse("wizard:step", args=[draft.client_id, "insurance"])
    resp = owner_client.post(url, {**INSURANCE, "payer": el_payer.pk,
                                   "card_front": SimpleUploadedFile("card.png", bomb,
                                                                    "image/png")})
    assert resp.status_code == 200  # the form again, with its error
    assert "too large in pixels" in resp.content.decode()
    assert not InsuranceCard.objects.exists()


def test_the_api_refuses_the_bomb_with_the_usual_error_shape(api_client, draft, el_payer, el_ctx,
                                                             owner, bomb):
    wizard.insurance_wizard_step_save(draft=draft, ctx=el_ctx, actor=owner, step="insurance",
                                      data={**INSURANCE, "payer": el_payer.pk})
    resp = api_client.post(f"/api/v1/clients/{draft.client_id}/insurance-wizard/cards/front",
                           {"file": SimpleUploadedFile("card.png", bomb, "image/png")})
    assert resp.status_code == 422
    assert "too large in pixels" in resp.json()["errors"]["file"]
    assert not InsuranceCard.objects.exists()


@pytest.mark.parametrize(("fmt", "ext", "content_type"), [
    ("JPEG", ".jpg", "image/jpeg"), ("PNG", ".png", "image/png"), ("WEBP", ".webp", "image/webp"),
])
def test_the_stored_name_is_ours_with_the_extension_of_the_real_type(
        draft, el_ctx, owner, fmt, ext, content_type):
    # named and typed as something else by the uploader: an .exe "of" type text/html
    upload = SimpleUploadedFile("Jane Doe card.exe", image_bytes(fmt=fmt), "text/html")
    card = wizard.insurance_card_upload(draft=draft, ctx=el_ctx, actor=owner, side="front",
                                        upload=upload)
    name = PurePosixPath(card.image.name)
    assert name.suffix == ext and card.content_type == content_type
    assert str(name.parent) == f"insurance-cards/{draft.practice_id}"
    assert len(name.stem) == 32 and "Jane" not in card.image.name
    with card.image.open("rb") as stored:
        assert Image.open(stored).format == fmt


@pytest.mark.parametrize(("name", "data", "why"), [
    ("card.png", b"<html><script>alert(1)</script></html>", "not an image"),
    ("card.jpg", b"%PDF-1.7\n1 0 obj<<>>endobj\n", "not an image"),
    ("card.png", image_bytes(fmt="GIF"), "JPEG, PNG or WebP"),
    ("card.png", image_bytes(fmt="BMP"), "JPEG, PNG or WebP"),
    ("card.png", image_bytes(fmt="TIFF"), "JPEG, PNG or WebP"),
    ("card.png", image_bytes()[:60], "not an image"),  # a PNG cut short
])
def test_content_that_is_not_an_allowed_image_is_refused(draft, el_ctx, owner, name, data, why):
    with pytest.raises(ValidationError) as exc:
        wizard.insurance_card_upload(draft=draft, ctx=el_ctx, actor=owner, side="back",
                                     upload=SimpleUploadedFile(name, data, "image/png"))
    assert why in exc.value.message_dict["file"][0]
    assert not InsuranceCard.objects.exists()
