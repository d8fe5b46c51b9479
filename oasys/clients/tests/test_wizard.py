"""The insurance wizard: each step's validation, resume, the subscriber step only when
needed, card photos, completion writing client and policies and running the check, the
same through the API, and another practice's client answering 404."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from oasys.clients.models import Client, InsurancePolicy
from oasys.clients.services import client_create
from oasys.core.audit import AuditContext
from oasys.core.models import AuditEvent
from oasys.eligibility import wizard
from oasys.eligibility.models import EligibilityCheck, InsuranceCard, InsuranceWizardDraft
from oasys.eligibility.tests.conftest import fixture_text
from oasys.practice.models import AcceptedPayer, Payer, ProviderProfile

from .conftest import api_client_for

pytestmark = pytest.mark.django_db

INSURANCE = {"payer": None, "member_id": "W123456789", "group_number": "GRP1",
             "relationship": "self", "has_secondary": False}
PERSON = {"first_name": "Jane", "last_name": "Doe", "gender": "F",
          "date_of_birth": "1980-05-17"}
ADDRESS = {"address1": "9 Elm St", "address2": "", "city": "Springfield", "state": "IL",
           "zip_code": "62702", "referring_provider_npi": ""}
SUBSCRIBER = {"subscriber_first_name": "John", "subscriber_last_name": "Doe",
              "subscriber_date_of_birth": "1975-01-02", "subscriber_gender": "M",
              "subscriber_address1": "9 Elm St", "subscriber_address2": "",
              "subscriber_city": "Springfield", "subscriber_state": "IL",
              "subscriber_zip_code": "62702"}


def png_bytes(fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 25), (200, 220, 240)).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def wz_media(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private")}}}


@pytest.fixture
def wz_payer(practice):
    payer = Payer.objects.create(name="Sunrise Health", payer_id_claims="SUN01",
                                 supports_eligibility=True)
    AcceptedPayer.objects.create(practice=practice, payer=payer)
    return payer


@pytest.fixture
def wz_provider(practice):
    return ProviderProfile.objects.create(practice=practice, provider_type="individual",
                                          first_name="Dana", last_name="Reyes",
                                          npi="1234567893")


@pytest.fixture
def wz_ctx(practice, owner):
    return AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)


@pytest.fixture
def wz_client(practice, wz_ctx):
    # a draft client: has not signed up yet, so nothing but a name is known
    return client_create(practice=practice, ctx=wz_ctx, data={
        "first_name": "Jane", "last_name": "Doe", "is_draft": True,
        "billing_type": "self_pay"})


def _clean(step, data, accepted, insurance=None):
    return wizard.step_clean(step, data, accepted_payer_ids=accepted, insurance=insurance)


# --- step rules ---------------------------------------------------------------------------


def test_insurance_step_rules(wz_payer):
    ok = {**INSURANCE, "payer": wz_payer.pk}
    assert _clean("insurance", ok, {wz_payer.pk})[1] == {}
    other = Payer.objects.create(name="Not Accepted", payer_id_claims="NA1")
    errors = _clean("insurance", {**ok, "payer": other.pk, "member_id": "W 12",
                                  "relationship": "cousin"}, {wz_payer.pk})[1]
    assert "accepted payers" in errors["payer"]
    assert "no spaces" in errors["member_id"] and "relationship" in errors
    errors = _clean("insurance", {**ok, "has_secondary": True, "secondary_payer": wz_payer.pk,
                                  "secondary_member_id": "w123456789"}, {wz_payer.pk})[1]
    assert "repeats the primary" in errors["secondary_member_id"]
    errors = _clean("insurance", {**ok, "has_secondary": True}, {wz_payer.pk})[1]
    assert {"secondary_payer", "secondary_member_id"} <= set(errors)


def test_client_step_rules():
    assert _clean("client", PERSON, set())[1] == {}
    errors = _clean("client", {"first_name": "J4ne", "last_name": "", "gender": "",
                               "date_of_birth": "2999-01-01"}, set())[1]
    assert "exactly as on the insurance card" in errors["first_name"]
    assert "last_name" in errors and "verify" in errors["gender"]
    assert "future" in errors["date_of_birth"]
    assert "YYYY-MM-DD" in _clean("client", {**PERSON, "date_of_birth": "05/17/1980"},
                                  set())[1]["date_of_birth"]


def test_subscriber_step_rules_only_when_needed():
    values, errors = _clean("subscriber", {}, set(), insurance={"relationship": "self"})
    assert errors == {} and values["subscriber_first_name"] == ""
    errors = _clean("subscriber", {**SUBSCRIBER, "subscriber_address1": "PO Box 12"}, set(),
                    insurance={"relationship": "spouse"})[1]
    assert "PO box" in errors["subscriber_address1"]
    assert _clean("subscriber", SUBSCRIBER, set(), insurance={"relationship": "child"})[1] == {}
    errors = _clean("subscriber", SUBSCRIBER, set(), insurance={
        "relationship": "child", "has_secondary": True, "secondary_relationship": "spouse"})[1]
    assert "secondary_subscriber_first_name" in errors


def test_address_step_rules():
    assert _clean("address", ADDRESS, set())[1] == {}
    errors = _clean("address", {**ADDRESS, "address1": "P.O. Box 77", "state": "XX",
                                "zip_code": "1234", "referring_provider_npi": "1234567890"},
                    set())[1]
    assert "PO box" in errors["address1"] and "state" in errors and "zip_code" in errors
    assert "check digit" in errors["referring_provider_npi"]
    assert _clean("address", {**ADDRESS, "referring_provider_npi": "1234567893"}, set())[1] == {}


def test_applicable_steps_skip_subscriber_for_self():
    assert "subscriber" not in wizard.applicable_steps({"insurance": {"relationship": "self"}})
    assert "subscriber" in wizard.applicable_steps({"insurance": {"relationship": "child"}})


# --- services -----------------------------------------------------------------------------


def test_steps_in_order_resume_and_complete(wz_client, wz_payer, wz_provider, wz_ctx, owner,
                                            clearinghouse):
    draft = wizard.insurance_wizard_start(client=wz_client, ctx=wz_ctx, actor=owner)
    with pytest.raises(ValidationError) as exc:
        wizard.insurance_wizard_step_save(draft=draft, ctx=wz_ctx, actor=owner, step="client",
                                          data=PERSON)
    assert "first" in exc.value.message_dict["step"][0]
    with pytest.raises(ValidationError):
        wizard.insurance_wizard_step_save(draft=draft, ctx=wz_ctx, actor=owner,
                                          step="insurance", data={**INSURANCE, "payer": None})
    assert InsuranceWizardDraft.objects.get().data["done"] == []  # refused: nothing kept
    draft = wizard.insurance_wizard_step_save(draft=draft, ctx=wz_ctx, actor=owner,
                                              step="insurance",
                                              data={**INSURANCE, "payer": wz_payer.pk})
    assert draft.step == "client"
    # leave and come back: the same draft, at the same step
    again = wizard.insurance_wizard_start(client=wz_client, ctx=wz_ctx, actor=owner)
    assert again.pk == draft.pk and again.step == "client"
    wizard.insurance_wizard_step_save(draft=again, ctx=wz_ctx, actor=owner, step="client",
                                      data=PERSON)
    draft = wizard.insurance_wizard_step_save(draft=again, ctx=wz_ctx, actor=owner,
                                              step="address", data=ADDRESS)
    assert draft.step == "review"
    clearinghouse.eligibility_answer = fixture_text("271_own_mental_health.271")
    result = wizard.insurance_wizard_complete(draft=draft, ctx=wz_ctx, actor=owner)
    client = Client.objects.get(pk=wz_client.pk)
    assert client.is_draft and client.gender == "F" and client.date_of_birth == dt.date(
        1980, 5, 17)
    assert client.billing_type == "insurance" and client.address1 == "9 Elm St"
    assert result.policy.member_id == "W123456789" and result.policy.payer == wz_payer
    assert result.check.outcome == "active" and result.check.source == "wizard"
    assert not InsuranceWizardDraft.objects.exists()
    blob = str(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert "W123456789" not in blob and "Jane" not in blob and "Elm" not in blob


def test_editing_later_reuses_the_wizard_and_updates(wz_client, wz_payer, wz_provider, wz_ctx,
                                                     owner, clearinghouse):
    draft = wizard.insurance_wizard_start(client=wz_client, ctx=wz_ctx, actor=owner)
    for step, data in (("insurance", {**INSURANCE, "payer": wz_payer.pk,
                                      "relationship": "child"}),
                       ("client", PERSON), ("subscriber", SUBSCRIBER), ("address", ADDRESS)):
        draft = wizard.insurance_wizard_step_save(draft=draft, ctx=wz_ctx, actor=owner,
                                                  step=step, data=data)
    clearinghouse.eligibility_answer = fixture_text("271_lfh_dependent.271")
    first = wizard.insurance_wizard_complete(draft=draft, ctx=wz_ctx, actor=owner)
    assert first.policy.subscriber_first_name == "John"
    draft = wizard.insurance_wizard_start(client=wz_client, ctx=wz_ctx, actor=owner)
    assert draft.data["insurance"]["member_id"] == "W123456789"
    assert draft.data["subscriber"]["subscriber_date_of_birth"] == "1975-01-02"
    draft.data["done"] = ["insurance", "client", "subscriber", "address"]
    draft.save()
    draft = wizard.insurance_wizard_step_save(
        draft=draft, ctx=wz_ctx, actor=owner, step="insurance",
        data={**INSURANCE, "payer": wz_payer.pk, "member_id": "NEW555"})
    # relationship went child -> self: the subscriber step drops out
    assert "subscriber" not in wizard.applicable_steps(draft.data)
    second = wizard.insurance_wizard_complete(draft=draft, ctx=wz_ctx, actor=owner)
    assert second.policy.pk == first.policy.pk and second.policy.member_id == "NEW555"
    assert second.policy.subscriber_first_name == ""
    assert InsurancePolicy.objects.filter(client=wz_client).count() == 1
    assert EligibilityCheck.objects.count() == 2


def test_complete_refuses_incomplete_draft(wz_client, wz_payer, wz_ctx, owner):
    draft = wizard.insurance_wizard_start(client=wz_client, ctx=wz_ctx, actor=owner)
    with pytest.raises(ValidationError) as exc:
        wizard.insurance_wizard_complete(draft=draft, ctx=wz_ctx, actor=owner)
    assert wizard.step_of(next(iter(exc.value.message_dict))) in wizard.STEP_NAMES
    assert not InsurancePolicy.objects.exists()


def test_card_photos_validated_stored_privately_and_served_to_the_practice_only(
        wz_client, wz_payer, wz_ctx, owner, owner_client, other_owner, client, settings,
        django_capture_on_commit_callbacks):
    draft = wizard.insurance_wizard_start(client=wz_client, ctx=wz_ctx, actor=owner)
    fake = SimpleUploadedFile("card.png", b"GIF89a not really an image", "image/png")
    with pytest.raises(ValidationError) as exc:
        wizard.insurance_wizard_step_save(draft=draft, ctx=wz_ctx, actor=owner,
                                          step="insurance",
                                          data={**INSURANCE, "payer": wz_payer.pk},
                                          files={"card_front": fake})
    assert "not an image" in exc.value.message_dict["card_front"][0]
    big = SimpleUploadedFile("big.jpg", b"0" * (5 * 1024 * 1024 + 1), "image/jpeg")
    assert "5 MB" in wizard.card_image_check(big)[1]
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    assert "JPEG, PNG or WebP" in wizard.card_image_check(
        SimpleUploadedFile("c.gif", gif.getvalue()))[1]
    front = SimpleUploadedFile("Jane Doe card.png", png_bytes(), "image/png")
    wizard.insurance_wizard_step_save(draft=draft, ctx=wz_ctx, actor=owner, step="insurance",
                                      data={**INSURANCE, "payer": wz_payer.pk},
                                      files={"card_front": front})
    card = InsuranceCard.objects.get()
    assert "Jane" not in card.image.name and card.image.name.startswith("insurance-cards/")
    assert card.image.path.startswith(settings.STORAGES["default"]["OPTIONS"]["location"])
    url = reverse("wizard:card", args=[wz_client.pk, card.pk])
    resp = owner_client.get(url)
    assert resp.status_code == 200 and resp["Content-Type"] == "image/png"
    assert b"".join(resp.streaming_content) == png_bytes()
    client.force_login(other_owner)
    assert client.get(url).status_code == 404
    # a replacement removes the old photo's file once committed
    old_path = card.image.path
    with django_capture_on_commit_callbacks(execute=True):
        wizard.insurance_card_upload(draft=draft, ctx=wz_ctx, actor=owner, side="front",
                                     upload=SimpleUploadedFile("x.jpg", png_bytes("JPEG")))
    assert InsuranceCard.objects.get().content_type == "image/jpeg"
    assert not os.path.exists(old_path)


# --- screens ------------------------------------------------------------------------------


def test_web_wizard_flow_with_errors_then_review(owner_client, wz_client, wz_payer,
                                                 wz_provider, settings, clearinghouse_sim):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    start = owner_client.get(reverse("wizard:start", args=[wz_client.pk]))
    assert start.url == reverse("wizard:step", args=[wz_client.pk, "insurance"])
    url = start.url
    bad = owner_client.post(url, {"payer": "", "member_id": "", "relationship": "self"})
    html = bad.content.decode()
    assert bad.status_code == 200 and "accepted payers" in html and "member ID" in html
    # later steps are closed until this one is done
    step2 = reverse("wizard:step", args=[wz_client.pk, "client"])
    assert owner_client.get(step2).url == url
    resp = owner_client.post(url, {"payer": wz_payer.pk, "member_id": "COPAY9",
                                   "relationship": "self"})
    assert resp.url == step2
    resp = owner_client.post(step2, {**PERSON, "leave": "1"})
    assert resp.url == reverse("clients:detail", args=[wz_client.pk])  # left, to resume
    resumed = owner_client.get(reverse("wizard:start", args=[wz_client.pk]))
    assert resumed.url == reverse("wizard:step", args=[wz_client.pk, "address"])
    owner_client.post(resumed.url, ADDRESS)
    review = owner_client.get(reverse("wizard:step", args=[wz_client.pk, "review"]))
    html = review.content.decode()
    assert "COPAY9" in html and "Sunrise Health" in html and "$0.15" in html
    done = owner_client.post(reverse("wizard:complete", args=[wz_client.pk]))
    check = EligibilityCheck.objects.get()
    assert done.url == reverse("eligibility:detail", args=[check.pk])
    assert "$35.00" in owner_client.get(done.url).content.decode()


def test_wizard_urls_404_for_another_practice(client, other_owner, wz_client):
    client.force_login(other_owner)
    for name, args in (("wizard:start", [wz_client.pk]),
                       ("wizard:step", [wz_client.pk, "insurance"])):
        assert client.get(reverse(name, args=args)).status_code == 404
    for name in ("wizard:complete", "wizard:discard"):
        assert client.post(reverse(name, args=[wz_client.pk])).status_code == 404
    assert not InsuranceWizardDraft.objects.exists()


# --- API ----------------------------------------------------------------------------------


def test_api_wizard(api_client, wz_client, wz_payer, wz_provider, settings, clearinghouse_sim):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    url = f"/api/v1/clients/{wz_client.pk}/insurance-wizard"
    got = api_client.get(url).json()
    assert got["started"] is False and got["steps"][0] == "insurance"
    assert not InsuranceWizardDraft.objects.exists()  # a GET writes nothing
    bad = api_client.put(url, content_type="application/json",
                         data={"step": "insurance", "data": {"payer_id": 999999}})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) >= {"payer_id", "member_id"}
    ok = api_client.put(url, content_type="application/json", data={
        "step": "insurance", "data": {**INSURANCE, "payer_id": wz_payer.pk,
                                      "member_id": "DED123"}})
    assert ok.status_code == 200 and ok.json()["step"] == "client"
    assert ok.json()["data"]["insurance"]["payer_id"] == wz_payer.pk
    card = api_client.post(f"{url}/cards/back",
                           {"file": SimpleUploadedFile("b.png", png_bytes())})
    assert card.status_code == 201 and card.json()["side"] == "back"
    early = api_client.post(f"{url}/complete")
    assert early.status_code == 422 and "date_of_birth" in early.json()["errors"]
    for step, data in (("client", PERSON), ("address", ADDRESS)):
        assert api_client.put(url, content_type="application/json",
                              data={"step": step, "data": data}).status_code == 200
    done = api_client.post(f"{url}/complete")
    assert done.status_code == 200, done.content
    body = done.json()
    check = body["eligibility_check"]
    assert check["outcome"] == "active" and check["fee"] == "0.15"
    ded = check["summary"]["deductible"]["individual"]["in_network"]
    assert ded["total"]["value"] == "500.00"
    assert InsuranceCard.objects.get().policy_id == body["policy_id"]


def test_api_wizard_other_practice_404(wz_client, other_owner):
    other = api_client_for(other_owner)
    url = f"/api/v1/clients/{wz_client.pk}/insurance-wizard"
    assert other.get(url).status_code == 404
    assert other.put(url, content_type="application/json",
                     data={"step": "insurance", "data": {}}).status_code == 404
    assert other.delete(url).status_code == 404
