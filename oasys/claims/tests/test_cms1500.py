"""The CMS-1500 (02/12) form of a claim: the boxes read back from the PDF with poppler's
pdftotext (each box cropped out of the page by the NUCC grid: 10 characters and 6 lines to
the inch, column 1 at 0.2 in) hold the claim's own records, in both the plain-paper and the
red-form rendering; more than six lines continue on another page; page 1 renders to a
non-blank image; the claim page, the screen download and the API answer it, scoped to the
practice and audited as an export."""

from __future__ import annotations

import datetime as dt
import secrets
import subprocess
from decimal import Decimal

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from oasys.billing.tests import factories as f
from oasys.claims.cms1500 import Cms1500Error, NoProviderProfile, cms1500_pdf
from oasys.claims.models import Claim, ClaimLine
from oasys.claims.services import ClaimDraft, claim_create_for_session
from oasys.clients.models import PolicyPriority, Relationship
from oasys.core.models import ApiToken, AuditEvent
from oasys.practice.models import ProviderProfile

pytestmark = pytest.mark.django_db

MODES = ("plain", "red")


def _pdf_file(tmp_path, data: bytes, name: str = "form.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def box(path, *, line: int, col: int, width: int, page: int = 1, lines: int = 1) -> str:
    """The text pdftotext finds in the grid cells (line, col) .. (line + lines - 1,
    col + width - 1) of `page` (72 dpi: a column is 7.2 pt, a line 12 pt)."""
    x, y = round(14.4 + (col - 1) * 7.2), round((line - 1) * 12)
    out = subprocess.run(
        ["pdftotext", "-layout", "-r", "72", "-f", str(page), "-l", str(page),
         "-x", str(x), "-y", str(y), "-W", str(round(width * 7.2)), "-H", str(12 * lines),
         str(path), "-"], check=True, capture_output=True, text=True).stdout
    return " ".join(out.split())


def page_text(path, page: int | None = None) -> str:
    args = ["pdftotext", "-layout"]
    if page:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run([*args, str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def page_count(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True,
                          text=True).stdout
    return int(next(ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages:")))


def make_claim(practice, owner, *, extra_lines: int = 0) -> Claim:
    s = f.ready_claim_session(practice)
    claim = claim_create_for_session(
        practice=practice, ctx=f.ctx_for(owner), actor=owner,
        draft=ClaimDraft(appointment_id=s.appointment.pk, policy_id=s.policy.pk,
                         payer_id=s.payer.pk, cpt="90834", charge=Decimal("130.00"),
                         diagnosis_codes=("F41.1", "F33.1")))
    ClaimLine.objects.filter(claim=claim).update(modifiers=["HO", "95"],
                                                 diagnosis_pointers=[1, 2])
    for n in range(extra_lines):
        ClaimLine.objects.create(practice=practice, claim=claim, line_number=2 + n,
                                 procedure_code="90837", modifiers=[], units=Decimal("1"),
                                 charge=Decimal("160.00") + n, diagnosis_pointers=[2],
                                 service_date=claim.service_date - dt.timedelta(days=7 * (n + 1)))
    total = sum((ln.charge for ln in claim.lines.all()), Decimal(0))
    Claim.objects.filter(pk=claim.pk).update(total_charge=total)
    return Claim.objects.get(pk=claim.pk)


def on_form(amount: Decimal) -> str:
    """Dollars, the form's divider, cents: 1250.5 reads "1250 50"."""
    return f"{int(amount)} {int(amount * 100) % 100:02d}"


def mdy(day: dt.date, digits: int = 4) -> str:
    return f"{day:%m %d} {str(day.year)[-digits:]}"


@pytest.fixture
def claim(practice, owner):
    return make_claim(practice, owner)


@pytest.mark.parametrize("mode", MODES)
def test_every_box_holds_the_claims_records(claim, mode, tmp_path):
    path = _pdf_file(tmp_path, cms1500_pdf(claim=claim, mode=mode))
    client, policy = claim.client, claim.policy
    profile = ProviderProfile.objects.get(practice=claim.practice)
    line = claim.lines.get()
    last, first = client.last_name.upper(), client.first_name.upper()
    assert box(path, line=2, col=50, width=30) == claim.payer.name.upper()
    assert box(path, line=8, col=32, width=1) == "X"  # group health plan (commercial)
    assert box(path, line=8, col=2, width=30) == "X"  # only that one of box 1
    assert box(path, line=8, col=50, width=29) == policy.member_id  # 1a
    assert box(path, line=10, col=2, width=28) == f"{last}, {first}"  # 2
    assert box(path, line=10, col=31, width=10) == mdy(client.date_of_birth)  # 3
    assert box(path, line=10, col=47, width=1) == "X"  # 3 sex F
    assert box(path, line=10, col=43, width=1) == ""
    assert box(path, line=10, col=50, width=29) == f"{last}, {first}"  # 4 (self)
    assert box(path, line=12, col=2, width=28) == client.address1.upper()  # 5
    assert box(path, line=14, col=2, width=23) == client.city.upper()
    assert box(path, line=14, col=26, width=3) == client.state
    assert box(path, line=16, col=2, width=10) == client.zip_code
    assert box(path, line=12, col=32, width=1) == "X"  # 6 self
    assert box(path, line=12, col=50, width=29) == client.address1.upper()  # 7
    assert box(path, line=18, col=2, width=28) == ""  # 9: no other insured
    assert box(path, line=20, col=42, width=1) == "X"  # 10a NO
    assert box(path, line=22, col=42, width=1) == "X"  # 10b NO
    assert box(path, line=24, col=42, width=1) == "X"  # 10c NO
    assert box(path, line=18, col=50, width=29) == policy.group_number  # 11
    assert box(path, line=20, col=53, width=10) == mdy(client.date_of_birth)  # 11a
    assert box(path, line=20, col=75, width=1) == "X"
    assert box(path, line=24, col=50, width=29) == claim.payer.name.upper()  # 11c
    assert box(path, line=26, col=58, width=1) == "X"  # 11d NO
    assert box(path, line=29, col=8, width=20) == "SIGNATURE ON FILE"  # 12
    assert box(path, line=29, col=56, width=20) == "SIGNATURE ON FILE"  # 13
    assert box(path, line=34, col=2, width=40) == ""  # 17: no referring provider
    assert box(path, line=37, col=46, width=1) == "0"  # 21 ICD-10
    assert box(path, line=38, col=3, width=8) == "F411"  # 21A
    assert box(path, line=38, col=16, width=8) == "F331"  # 21B
    assert box(path, line=38, col=50, width=30) == ""  # 22: an original claim
    # 24, first row (unshaded line 46; taxonomy on the shaded line 45)
    assert box(path, line=46, col=2, width=8) == mdy(line.service_date, 2)
    assert box(path, line=46, col=11, width=8) == mdy(line.service_date, 2)
    assert box(path, line=46, col=20, width=2) == claim.place_of_service
    assert box(path, line=46, col=26, width=5) == "90834"
    assert box(path, line=46, col=33, width=2) == "HO"
    assert box(path, line=46, col=36, width=2) == "95"
    assert box(path, line=46, col=45, width=4) == "AB"
    assert box(path, line=46, col=50, width=11) == "130 00"
    assert box(path, line=46, col=62, width=3) == "1"
    assert box(path, line=45, col=69, width=2) == "ZZ"
    assert box(path, line=45, col=72, width=10) == claim.clinician.taxonomy_code
    assert box(path, line=46, col=72, width=10) == claim.clinician.npi  # 24J
    assert box(path, line=48, col=2, width=80) == ""  # row 2 is empty
    assert box(path, line=58, col=2, width=15) == profile.tax_id  # 25
    assert box(path, line=58, col=20, width=1) == "X"  # EIN
    assert box(path, line=58, col=24, width=14) == claim.patient_control_number  # 26
    assert box(path, line=58, col=39, width=1) == "X"  # 27 YES
    assert box(path, line=58, col=50, width=11) == "130 00"  # 28
    assert box(path, line=58, col=62, width=10) == "0 00"  # 29
    assert box(path, line=59, col=66, width=14) == "312 5550100"  # 33 phone
    assert box(path, line=61, col=2, width=21) == "SIGNATURE ON FILE"  # 31
    assert box(path, line=62, col=2, width=21) == (
        f"{claim.clinician.first_name} {claim.clinician.last_name}".upper())
    assert box(path, line=60, col=24, width=26) == "DANA REYES"  # 32
    assert box(path, line=61, col=24, width=26) == "100 MAIN ST"
    assert box(path, line=62, col=24, width=26) == "CHICAGO IL 60601-2207"
    assert box(path, line=64, col=24, width=10) == profile.npi  # 32a
    assert box(path, line=60, col=51, width=29) == "DANA REYES"  # 33
    assert box(path, line=64, col=51, width=10) == profile.npi  # 33a
    text = page_text(path)
    assert ("HEALTH INSURANCE CLAIM FORM" in text) == (mode == "plain")
    assert ("PATIENT'S NAME" in text) == (mode == "plain")
    assert page_count(path) == 1


def test_a_dependent_on_a_secondary_claim_fills_boxes_4_to_11_and_9(practice, owner,
                                                                     tmp_path):
    claim = make_claim(practice, owner)
    primary = claim.policy
    primary.relationship = Relationship.CHILD
    primary.subscriber_first_name, primary.subscriber_last_name = "Jordan", "Bennett"
    primary.subscriber_date_of_birth, primary.subscriber_gender = dt.date(1960, 1, 2), "M"
    primary.subscriber_address1, primary.subscriber_city = "9 Elm Ave", "Evanston"
    primary.subscriber_state, primary.subscriber_zip_code = "IL", "60201"
    primary.save()
    medicare = f.make_payer(name="Medicare Part B", payer_id="MCR01")
    secondary = f.make_policy(claim.client, medicare, priority=PolicyPriority.SECONDARY,
                              member_id="1EG4TE5MK73", group_number="")
    Claim.objects.filter(pk=claim.pk).update(
        payer=medicare, policy=secondary, payer_sequence="S", frequency="7",
        corrects=None, payer_claim_number="",
        cob={"payer_name": primary.payer.name, "payer_id": primary.payer.payer_id_claims,
             "paid": "80.00", "adjudication_date": "2026-01-05",
             "claim_adjustments": [["PR", "2", "50.00"]]})
    claim = Claim.objects.get(pk=claim.pk)
    path = _pdf_file(tmp_path, cms1500_pdf(claim=claim, mode="red"))
    assert box(path, line=2, col=50, width=30) == "MEDICARE PART B"
    assert box(path, line=8, col=2, width=1) == "X"  # Medicare
    assert box(path, line=8, col=50, width=29) == "1EG4TE5MK73"
    assert box(path, line=12, col=32, width=1) == "X"  # self on the Medicare policy
    assert box(path, line=18, col=2, width=28) == "BENNETT, JORDAN"  # 9: the primary's
    assert box(path, line=20, col=2, width=28) == primary.member_id  # 9a
    assert box(path, line=26, col=2, width=28) == primary.payer.name.upper()  # 9d
    assert box(path, line=26, col=52, width=1) == "X"  # 11d YES
    assert box(path, line=58, col=62, width=10) == "80 00"  # 29: what the primary paid


def test_a_replacement_carries_box_22(practice, owner, tmp_path):
    original = make_claim(practice, owner)
    Claim.objects.filter(pk=original.pk).update(payer_claim_number="PCN-778899")
    claim = make_claim(practice, owner)
    Claim.objects.filter(pk=claim.pk).update(frequency="7", corrects=original)
    claim = Claim.objects.get(pk=claim.pk)
    path = _pdf_file(tmp_path, cms1500_pdf(claim=claim, mode="red"))
    assert box(path, line=38, col=50, width=2) == "7"
    assert box(path, line=38, col=62, width=18) == "PCN-778899"


def test_more_than_six_lines_continue_on_a_second_page(practice, owner, tmp_path):
    claim = make_claim(practice, owner, extra_lines=7)  # 8 lines
    lines = list(claim.lines.order_by("line_number"))
    for mode in MODES:
        path = _pdf_file(tmp_path, cms1500_pdf(claim=claim, mode=mode), f"{mode}.pdf")
        assert page_count(path) == 2
        for index, line in enumerate(lines):
            page, row = 1 + index // 6, index % 6
            assert box(path, page=page, line=46 + 2 * row, col=26, width=5) == (
                line.procedure_code)
            assert box(path, page=page, line=46 + 2 * row, col=50, width=11) == (
                on_form(line.charge))
        assert box(path, page=2, line=50, col=2, width=80) == ""  # row 3 of page 2 empty
        assert box(path, page=1, line=58, col=50, width=11) == "CONTINUED"
        assert claim.total_charge == Decimal("130.00") + sum(
            Decimal("160.00") + n for n in range(7))
        assert box(path, page=2, line=58, col=50, width=11) == on_form(claim.total_charge)
        # every page is a whole form for the same claim and patient
        for page in (1, 2):
            assert box(path, page=page, line=10, col=2, width=28).startswith(
                claim.client.last_name.upper())
            assert box(path, page=page, line=58, col=24, width=14) == (
                claim.patient_control_number)
            assert f"PAGE {page} OF 2" in page_text(path, page)


@pytest.mark.parametrize("mode", MODES)
def test_page_one_renders_to_a_non_blank_image(claim, mode, tmp_path):
    path = _pdf_file(tmp_path, cms1500_pdf(claim=claim, mode=mode))
    subprocess.run(["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(path),
                    str(tmp_path / mode)], check=True)
    [png] = list(tmp_path.glob(f"{mode}*.png"))
    from PIL import Image  # noqa: PLC0415

    image = Image.open(png).convert("RGB")
    assert image.size == (425, 550)  # US Letter at 50 dpi
    raw = image.tobytes()
    pixels = [tuple(raw[i:i + 3]) for i in range(0, len(raw), 3)]
    dark = sum(1 for r, g, b in pixels if r + g + b < 300)
    reddish = sum(1 for r, g, b in pixels if r > 150 and g < 120 and b < 120)
    assert dark > 200  # the data
    assert (reddish > 2000) == (mode == "plain")  # the form's red ink, on plain paper only


def test_an_unknown_mode_is_refused(claim):
    with pytest.raises(Cms1500Error, match="plain or red"):
        cms1500_pdf(claim=claim, mode="blue")


def test_without_a_provider_profile_the_form_says_what_to_do(owner_client, api_client,
                                                             claim):
    ProviderProfile.objects.filter(practice=claim.practice).delete()
    with pytest.raises(NoProviderProfile, match="provider profile"):
        cms1500_pdf(claim=claim, mode="plain")
    url = reverse("claims:cms1500", args=[claim.pk])
    resp = owner_client.get(url, {"mode": "red"})
    assert resp.status_code == 409 and "provider profile" in resp.content.decode()
    resp = api_client.get(f"/api/v1/claims/{claim.pk}/cms1500.pdf")
    assert resp.status_code == 409 and "provider profile" in resp.content.decode()
    assert not AuditEvent.objects.filter(category="claim", action="export").exists()


def test_the_claim_page_offers_both_forms_and_downloads_them(owner_client, claim, owner,
                                                              other_owner, client):
    page = owner_client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    url = reverse("claims:cms1500", args=[claim.pk])
    assert "Print CMS-1500" in page
    assert f'href="{url}?mode=plain"' in page and f'href="{url}?mode=red"' in page
    for mode in MODES:
        resp = owner_client.get(url, {"mode": mode})
        assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
        assert resp["Content-Disposition"] == (
            f'inline; filename="CMS1500-{claim.patient_control_number}.pdf"')
        assert claim.client.last_name not in resp["Content-Disposition"]
        event = AuditEvent.objects.filter(category="claim", action="export").last()
        assert (event.object_id, event.client_id_ref, event.user_id_ref) == (
            str(claim.pk), claim.client_id, owner.pk)
        assert event.detail == {"format": "cms1500", "mode": mode}
    exports = AuditEvent.objects.filter(category="claim", action="export").count()
    assert owner_client.get(url, {"mode": "blue"}).status_code == 400
    assert AuditEvent.objects.filter(category="claim", action="export").count() == exports
    client.force_login(other_owner)
    assert client.get(url, {"mode": "plain"}).status_code == 404


def test_the_api_answers_the_form_scoped_and_checked(api_client, claim, other_owner,
                                                     tmp_path):
    url = f"/api/v1/claims/{claim.pk}/cms1500.pdf"
    for mode in MODES:
        resp = api_client.get(url, {"mode": mode})
        assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
        assert resp["Content-Disposition"] == (
            f'inline; filename="CMS1500-{claim.patient_control_number}.pdf"')
        path = _pdf_file(tmp_path, resp.content, f"{mode}.pdf")
        assert box(path, line=8, col=50, width=29) == claim.policy.member_id
        assert box(path, line=46, col=26, width=5) == "90834"
    assert api_client.get(url).status_code == 200  # plain by default
    exports = AuditEvent.objects.filter(category="claim", action="export").count()
    bad = api_client.get(url, {"mode": "blue"})
    assert bad.status_code == 422 and "plain or red" in bad.content.decode()
    assert AuditEvent.objects.filter(category="claim", action="export").count() == exports
    assert api_client.get("/api/v1/claims/999999/cms1500.pdf").status_code == 404
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=other_owner, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    other = HttpClient(headers={"Authorization": f"Bearer {key}"})
    assert other.get(url, {"mode": "plain"}).status_code == 404
    schema = api_client.get("/api/v1/openapi.json").json()
    assert "application/pdf" in str(schema["paths"]["/api/v1/claims/{claim_id}/cms1500.pdf"])
