"""Replacement claims are reviewed before they go (replacement.py): the biller edits the
corrected claim, sees "was → now" against the original, and confirms; an unchanged
replacement and bad input are refused and change nothing; the 837P is a frequency-7 claim
citing the payer's number (REF*F8) with the changed values and the PWK attachments, and pyx12
accepts it. A Pending Info claim answers the payer through the same flow."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from oasys.billing.services import billing_submit
from oasys.billing.tests.factories import ctx_for, ready_claim_session
from oasys.claims import actions
from oasys.claims.machine import CLAIM_MACHINE
from oasys.claims.models import Claim, ClaimLine
from oasys.claims.replacement import (
    NOTHING_CHANGED,
    AttachmentEdit,
    LineEdit,
    ReplacementEdits,
    claim_replacement_open,
    claim_replacement_save,
    claim_replacement_send,
    replacement_changes,
)
from oasys.claims.selectors import claim_replacement_draft_get
from oasys.claims.services import claim_transition
from oasys.claims.status import ClaimStatus
from oasys.core.models import AuditAction, AuditEvent
from oasys.core.timezones import practice_today
from x12.tests.pyx12_check import pyx12_errors

pytestmark = pytest.mark.django_db

S = ClaimStatus


@pytest.fixture
def ctx(owner):
    return ctx_for(owner)


def _billed(practice, status=S.DENIED, number="PAYER-777") -> Claim:
    """A session billed (in the outbox, not sent: nothing commits here), then answered."""
    sc = ready_claim_session(practice)
    [claim] = billing_submit(practice=practice, appointment_ids=[sc.appointment.pk],
                             ctx=ctx_for(practice=practice)).claims
    Claim.objects.filter(pk=claim.pk).update(payer_claim_number=number)
    claim.refresh_from_db()
    claim_transition(claim=claim, to=status, ctx=ctx_for(practice=practice), reason="CO-197")
    claim.refresh_from_db()
    return claim


@pytest.fixture
def denied(practice) -> Claim:
    return _billed(practice)


def _edits(claim: Claim, **kw) -> ReplacementEdits:
    """The claim as it is, with `kw` changed (cpt, modifiers, units, charge on line 1)."""
    [line] = claim.lines.all()
    base = {"diagnoses": ", ".join(claim.diagnosis_codes), "service_date": claim.service_date,
            "prior_authorization": claim.prior_authorization, "note": claim.note,
            "attachments": ()}
    line_kw = {k: kw.pop(k) for k in ("procedure_code", "modifiers", "units", "charge")
               if k in kw}
    base.update(kw)
    return ReplacementEdits(lines=[LineEdit(
        line.line_number, line_kw.get("procedure_code", line.procedure_code),
        line_kw.get("modifiers", ", ".join(line.modifiers)),
        line_kw.get("units", str(line.units)), line_kw.get("charge", str(line.charge)))],
        **base)


def _snapshot(claim: Claim) -> tuple:
    claim.refresh_from_db()
    return (claim.status, claim.diagnosis_codes, claim.total_charge, claim.service_date,
            [(ln.procedure_code, ln.modifiers, ln.units, ln.charge)
             for ln in claim.lines.all()])


# --- opening ---------------------------------------------------------------------------------
def test_open_makes_one_draft_copy_of_the_original(denied, ctx):
    draft = claim_replacement_open(original=denied, ctx=ctx)
    assert (draft.status, draft.frequency, draft.corrects_id) == (S.DRAFT, "7", denied.pk)
    assert draft.payer_claim_number == "PAYER-777"
    assert replacement_changes(original=denied, replacement=draft) == []
    assert claim_replacement_open(original=denied, ctx=ctx).pk == draft.pk  # found again
    assert Claim.objects.filter(corrects=denied).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="Claim",
                                     object_id=str(draft.pk)).exists()
    # the draft goes out only from its original's review: no plain resubmit
    assert "resubmit" not in CLAIM_MACHINE.allowed_action_names(draft)
    with pytest.raises(ValidationError):
        actions.claim_resubmit(claim=draft, ctx=ctx)


def test_a_claim_in_flight_is_not_replaced(practice, ctx):
    claim = _billed(practice, status=S.ACKNOWLEDGED)
    with pytest.raises(ValidationError, match="Only denied, paid or partly paid"):
        claim_replacement_open(original=claim, ctx=ctx)
    assert not Claim.objects.filter(corrects=claim).exists()


def test_without_the_payer_claim_number_nothing_is_opened(practice, ctx):
    claim = _billed(practice, number="")
    with pytest.raises(ValidationError, match="payer has not given this claim a number"):
        claim_replacement_save(original=claim, edits=_edits(claim, units="2"), ctx=ctx)
    assert not Claim.objects.filter(corrects=claim).exists()


# --- saving: the diff, the refusals ------------------------------------------------------------
def test_save_stores_the_edits_on_the_replacement_and_answers_the_diff(denied, ctx):
    before = _snapshot(denied)
    review = claim_replacement_save(original=denied, ctx=ctx, edits=_edits(
        denied, procedure_code="90837", units="2", charge="180.00", modifiers="95",
        prior_authorization="auth-5521", note="Corrected CPT and units"))
    assert _snapshot(denied) == before  # the original keeps what the payer has
    rep = review.replacement
    [line] = rep.lines.all()
    assert (line.procedure_code, line.units, line.charge, line.modifiers) == (
        "90837", Decimal("2"), Decimal("180.00"), ["95"])
    assert rep.total_charge == Decimal("180.00") and rep.prior_authorization == "AUTH-5521"
    assert [(c.label, c.was, c.now) for c in review.changes] == [
        ("Line 1 CPT", "90834", "90837"),
        ("Line 1 modifiers", "—", "95"),
        ("Line 1 units", "1", "2"),
        ("Line 1 charge", "$130.00", "$180.00"),
        ("Total charge", "$130.00", "$180.00"),
        ("Prior authorization", "—", "AUTH-5521"),
        ("Note to the payer", "—", "Corrected CPT and units"),
    ]
    audit = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="Claim",
                                      object_id=str(rep.pk)).get()
    assert audit.detail["replacement_of"] == denied.pk
    assert "line_1_procedure_code" in audit.detail["changed"]


def test_diagnoses_and_date_of_service_changes_show_and_move_the_lines(denied, ctx):
    day = denied.service_date - dt.timedelta(days=1)
    review = claim_replacement_save(original=denied, ctx=ctx, edits=_edits(
        denied, diagnoses="f43.10, F41.1", service_date=day))
    labels = {c.label: (c.was, c.now) for c in review.changes}
    assert labels["Diagnoses"] == (", ".join(denied.diagnosis_codes), "F43.10, F41.1")
    assert labels["Date of service"][1] == f"{day:%b} {day.day}, {day.year}"
    [line] = review.replacement.lines.all()
    assert line.service_date == day and line.diagnosis_pointers == [1, 2]


def test_an_unchanged_replacement_is_refused_and_writes_nothing(denied, ctx):
    audits = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as err:
        claim_replacement_save(original=denied, ctx=ctx, edits=_edits(denied))
    assert "Nothing was changed: a replacement must correct something" in str(err.value)
    assert "ask the payer for its status" in str(err.value)
    assert not Claim.objects.filter(corrects=denied).exists()  # the draft rolled back too
    assert AuditEvent.objects.count() == audits


def test_sending_an_unchanged_draft_is_refused(denied, ctx):
    draft = claim_replacement_open(original=denied, ctx=ctx)
    with pytest.raises(ValidationError, match="Nothing was changed"):
        claim_replacement_send(original=denied, ctx=ctx)
    draft.refresh_from_db()
    denied.refresh_from_db()
    assert draft.status == S.DRAFT and draft.submission_id is None
    assert denied.status == S.DENIED


BAD = [
    ({"procedure_code": "9083"}, "line_1_procedure_code", "is not a CPT or HCPCS code"),
    ({"procedure_code": "99999"}, "line_1_procedure_code",
     "99999 is not a CPT code Oasys knows for behavioral health"),
    ({"procedure_code": ""}, "line_1_procedure_code", "No CPT code"),
    ({"units": "0"}, "line_1_units", "more than 0"),
    ({"units": "-2"}, "line_1_units", "more than 0"),
    ({"units": "two"}, "line_1_units", "not a number"),
    ({"charge": "-5.00"}, "line_1_charge", "cannot be negative"),
    ({"charge": "0"}, "line_1_charge", "more than $0.00"),
    ({"charge": "12.345"}, "line_1_charge", "dollars and cents"),
    ({"modifiers": "95, XYZ"}, "line_1_modifiers", "2 letters or digits"),
    ({"diagnoses": "F41"}, "diagnoses", "category"),
    ({"diagnoses": "ZZZ"}, "diagnoses", "not an ICD-10-CM code"),
    ({"diagnoses": ""}, "diagnoses", "at least one diagnosis"),
    ({"diagnoses": "F41.1, F41.1"}, "diagnoses", "repeated"),
    ({"service_date": "future"}, "service_date", "cannot be in the future"),
    ({"service_date": None}, "service_date", "Enter the date of service"),
    ({"prior_authorization": "AB*12"}, "prior_authorization", "letters, digits or dashes"),
    ({"note": "x" * 81}, "note", "at most 80 characters"),
    ({"note": "see ~ attached"}, "note", "cannot contain"),
    ({"attachments": [AttachmentEdit("ZZ", "FX")]}, "attachment_1_report_type", "Choose"),
    ({"attachments": [AttachmentEdit("09", "")]}, "attachment_1_transmission", "Choose"),
    ({"attachments": [AttachmentEdit("09", "FX", "A*B")]}, "attachment_1_control_number",
     "2 to 50"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD,
                         ids=[f"{f}-{i}" for i, (_c, f, _m) in enumerate(BAD)])
def test_bad_input_is_refused_by_field_and_changes_nothing(denied, ctx, change, field,
                                                           message):
    if change.get("service_date") == "future":
        change = {"service_date": practice_today(denied.practice) + dt.timedelta(days=1)}
    draft = claim_replacement_open(original=denied, ctx=ctx)
    before, audits = _snapshot(draft), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as err:
        claim_replacement_save(original=denied, ctx=ctx,
                               edits=_edits(denied, **{"units": "3", **change}))
    assert message in err.value.errors[field]
    assert _snapshot(draft) == before
    assert AuditEvent.objects.count() == audits


def test_lines_are_not_added_or_removed(denied, ctx):
    edits = _edits(denied, units="2")
    extra = ReplacementEdits(**{**edits.__dict__,
                                "lines": [*edits.lines, LineEdit(2, "90785", "", "1", "20")]})
    with pytest.raises(ValidationError, match="not added or removed"):
        claim_replacement_save(original=denied, ctx=ctx, edits=extra)


# --- sending: the 837P -----------------------------------------------------------------------
def _segments(raw: str, pcn: str) -> list[str]:
    """The 2300/2400 segments of the claim `pcn` in the interchange."""
    segs = raw.split("~")
    start = next(i for i, s in enumerate(segs) if s.startswith(f"CLM*{pcn}*"))
    end = next((i for i, s in enumerate(segs[start + 1:], start + 1)
                if s.startswith(("CLM*", "SE*", "HL*"))), len(segs))
    return segs[start:end]


def test_confirmed_replacement_is_a_frequency_7_837p_with_the_changes_and_pwk(denied, ctx):
    claim_replacement_save(original=denied, ctx=ctx, edits=_edits(
        denied, procedure_code="90837", units="2", charge="180.00",
        prior_authorization="AUTH5521", note="Corrected CPT; notes faxed",
        attachments=[AttachmentEdit("09", "FX", ""), AttachmentEdit("OZ", "EL", "ATT-22")]))
    outcome = claim_replacement_send(original=denied, ctx=ctx)
    assert not outcome.error
    [rep] = outcome.submitted
    rep.refresh_from_db()
    denied.refresh_from_db()
    assert rep.status == S.SUBMITTED and rep.frequency == "7" and rep.corrects_id == denied.pk
    assert denied.status == S.CLOSED
    assert denied.events.last().reason == f"replaced by {rep.patient_control_number}"
    raw = rep.submission.edi_file.raw
    assert pyx12_errors(raw) == []
    segs = _segments(raw, rep.patient_control_number)
    assert segs[0].startswith(f"CLM*{rep.patient_control_number}*180***11:B:7*")
    assert segs[1:6] == [
        f"PWK*09*FX***AC*{rep.patient_control_number}-1", "PWK*OZ*EL***AC*ATT-22",
        "REF*G1*AUTH5521", "REF*F8*PAYER-777", "NTE*ADD*CORRECTED CPT; NOTES FAXED"]
    assert any(re.fullmatch(r"SV1\*HC:90837\*180\*UN\*2\*\*\*1(:\d)*", s) for s in segs)
    # the original's lines are as they were
    assert list(ClaimLine.objects.filter(claim=denied).values_list(
        "procedure_code", "units")) == [("90834", Decimal("1.00"))]
    with pytest.raises(ValidationError):  # a closed claim is not replaced again
        claim_replacement_send(original=denied, ctx=ctx)


def test_pending_info_sends_the_requested_information(practice, ctx):
    claim = _billed(practice, status=S.PENDING_INFO, number="PAYER-PI1")
    assert "send_info" in CLAIM_MACHINE.allowed_action_names(claim)
    assert "replace" not in CLAIM_MACHINE.allowed_action_names(claim)
    review = claim_replacement_save(original=claim, ctx=ctx, edits=_edits(
        claim, attachments=[AttachmentEdit("09", "FX", "PN-2026-1")]))
    [change] = review.changes
    assert change.label == "Attachments (PWK)" and change.was == "—"
    assert change.now == "Progress report (09), by fax, control number PN-2026-1"
    outcome = claim_replacement_send(original=claim, ctx=ctx)
    [rep] = outcome.submitted
    raw = rep.submission.edi_file.raw
    assert "PWK*09*FX***AC*PN-2026-1~" in raw and "REF*F8*PAYER-PI1~" in raw
    assert pyx12_errors(raw) == []
    claim.refresh_from_db()
    assert claim.status == S.CLOSED
    assert claim.events.last().reason.startswith("requested information sent")


# --- the screens -------------------------------------------------------------------------------
def _form(claim: Claim, **kw) -> dict:
    [line] = claim.lines.all()
    data = {"diagnoses": ", ".join(claim.diagnosis_codes),
            "service_date": claim.service_date.isoformat(), "prior_authorization": "",
            "note": "", "line_1_procedure_code": line.procedure_code,
            "line_1_modifiers": ", ".join(line.modifiers), "line_1_units": "1",
            "line_1_charge": f"{line.charge:.2f}", "attachment_1_report_type": "",
            "attachment_1_transmission": "", "attachment_1_control_number": ""}
    data.update(kw)
    return data


def test_screens_edit_review_and_confirm(denied, owner_client):
    url = reverse("claims:replacement", args=[denied.pk])
    page = owner_client.get(url).content.decode()
    assert "Send a corrected claim (replacement)" in page and 'value="90834"' in page
    assert not Claim.objects.filter(corrects=denied).exists()  # looking writes nothing

    resp = owner_client.post(url, _form(denied))
    assert resp.status_code == 200 and "Nothing was changed" in resp.content.decode()
    resp = owner_client.post(url, _form(denied, line_1_units="0"))
    assert "Units must be more than 0." in resp.content.decode()
    assert not Claim.objects.filter(corrects=denied).exists()

    resp = owner_client.post(url, _form(denied, line_1_procedure_code="90837",
                                        line_1_units="2"))
    assert resp.status_code == 302
    review = owner_client.get(resp["Location"]).content.decode()
    assert "Line 1 CPT:</strong> <del>90834</del>" in review and "<ins>90837</ins>" in review
    assert "citing the payer's claim number <strong>PAYER-777</strong>" in review

    resp = owner_client.post(reverse("claims:replacement_review", args=[denied.pk]))
    rep = Claim.objects.get(corrects=denied)
    assert resp.status_code == 302 and resp["Location"] == reverse("claims:detail",
                                                                   args=[rep.pk])
    assert rep.status == S.SUBMITTED
    denied.refresh_from_db()
    assert denied.status == S.CLOSED


def test_claim_page_offers_the_review_not_an_immediate_send(denied, owner_client, ctx):
    page = owner_client.get(reverse("claims:detail", args=[denied.pk])).content.decode()
    assert f'href="{reverse("claims:replacement", args=[denied.pk])}"' in page
    # the old POST goes to the edit page and sends nothing
    resp = owner_client.post(reverse("claims:action", args=[denied.pk, "replace"]))
    assert resp["Location"] == reverse("claims:replacement", args=[denied.pk])
    assert not Claim.objects.filter(corrects=denied).exists()
    draft = claim_replacement_open(original=denied, ctx=ctx)
    page = owner_client.get(reverse("claims:detail", args=[draft.pk])).content.decode()
    assert "has not been sent" in page and "Correct and resubmit" not in page


def test_pending_info_claim_page_offers_send_the_requested_information(practice,
                                                                        owner_client):
    claim = _billed(practice, status=S.PENDING_INFO)
    page = owner_client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert "Send the requested information" in page
    page = owner_client.get(reverse("claims:replacement", args=[claim.pk])).content.decode()
    assert "The information the payer asked for" in page


# --- the API ---------------------------------------------------------------------------------
def _post(api_client, claim, body):
    return api_client.post(f"/api/v1/claims/{claim.pk}/replacement", body,
                           content_type="application/json")


def test_api_answers_the_diff_then_sends_on_confirm(denied, api_client):
    resp = _post(api_client, denied, {"lines": [{"line_number": 1, "procedure_code": "90837",
                                                 "units": "2"}]})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["sent"] is False and body["replacement"]["status"] == "draft"
    assert [(c["label"], c["was"], c["now"]) for c in body["changes"]] == [
        ("Line 1 CPT", "90834", "90837"), ("Line 1 units", "1", "2")]
    assert api_client.get(f"/api/v1/claims/{denied.pk}/replacement").json()["changes"] == (
        body["changes"])
    resp = _post(api_client, denied, {"confirm": True})
    body = resp.json()
    assert resp.status_code == 200 and body["sent"] is True, body
    assert body["claim"]["status"] == "closed"
    assert body["replacement"]["status"] == "submitted"
    assert body["replacement"]["frequency"] == "7"
    assert body["replacement"]["corrects_id"] == denied.pk


def test_api_refuses_unchanged_and_bad_input_with_422(denied, api_client):
    resp = _post(api_client, denied, {"confirm": True})
    assert resp.status_code == 422
    assert resp.json()["errors"]["__all__"] == NOTHING_CHANGED
    resp = _post(api_client, denied, {"lines": [{"line_number": 1, "units": "0",
                                                 "charge": "-1"}], "confirm": True})
    assert resp.status_code == 422
    errors = resp.json()["errors"]
    assert set(errors) == {"line_1_units", "line_1_charge"}
    resp = _post(api_client, denied, {"lines": [{"line_number": 1, "units": "2"}],
                                      "service_date": "2999-01-01"})
    assert resp.status_code == 422 and "future" in resp.json()["errors"]["service_date"]
    assert not Claim.objects.filter(corrects=denied).exists()
    denied.refresh_from_db()
    assert denied.status == S.DENIED
    # the old one-step action no longer sends
    resp = api_client.post(f"/api/v1/claims/{denied.pk}/replace", {},
                           content_type="application/json")
    assert resp.status_code == 422 and "/replacement" in resp.content.decode()
    assert not Claim.objects.filter(corrects=denied).exists()


def test_api_replacement_of_a_claim_that_cannot_be_replaced(practice, api_client):
    claim = _billed(practice, status=S.ACKNOWLEDGED)
    resp = _post(api_client, claim, {"lines": [{"line_number": 1, "units": "2"}]})
    assert resp.status_code == 422 and "Only denied" in resp.content.decode()
    assert api_client.get(f"/api/v1/claims/{claim.pk}/replacement").status_code == 404


def test_draft_replacement_is_found_by_the_selector_only_until_sent(denied, ctx):
    claim_replacement_save(original=denied, ctx=ctx, edits=_edits(denied, units="2"))
    assert claim_replacement_draft_get(original=denied) is not None
    claim_replacement_send(original=denied, ctx=ctx)
    assert claim_replacement_draft_get(original=denied) is None
