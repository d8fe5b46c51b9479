"""An ERA with a damaged claim (an element x12 could not read inside one claim) posts nothing
until a biller decides: "Post the rest" posts every other claim (the journal balances) and
leaves the damaged one listed as not posted; "Reject the file" posts nothing. Both audited,
tenant-scoped, shown on the ERA page and in the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from oasys.billing.tests import factories as f
from oasys.claims.models import Claim
from oasys.claims.status import ClaimStatus
from oasys.clients.tests.conftest import api_client_for
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditEvent
from oasys.ledger.models import JournalEntry
from oasys.ledger.selectors import claim_balances, journal_entry_unbalanced_ids
from oasys.remittance.models import (
    ProviderAdjustment,
    Remittance,
    RemittanceClaim,
    RemittanceEvent,
    RemittanceStatus,
)
from oasys.remittance.services import era_import, remittance_post_rest, remittance_reject

from .helpers import copay_claim, era, submitted_claim

pytestmark = pytest.mark.django_db
D = Decimal
S = RemittanceStatus
BAD_DATE = "20140231"  # February 31st


@pytest.fixture
def ctx(practice):
    return f.ctx_for(practice=practice)


@pytest.fixture
def three(practice):
    return [submitted_claim(practice) for _ in range(3)]


def _raw(claims: list[Claim], *, damage: str = "date", plb=(("L6", "-2.50"),)) -> str:
    cs = [copay_claim(c, service_date=dt.date(2026, 3, n + 2)) for n, c in enumerate(claims)]
    raw = era(cs, plb=list(plb))
    if damage == "date":  # the second claim's service date is impossible
        assert raw.count("DTM*472*20260303~") == 1
        raw = raw.replace("DTM*472*20260303~", f"DTM*472*{BAD_DATE}~")
    elif damage == "amount":  # the third claim's allowed amount is not a number
        parts = raw.split("CLP*")
        assert parts[3].count("AMT*B6*98~") == 1
        parts[3] = parts[3].replace("AMT*B6*98~", "AMT*B6*N/A~")
        raw = "CLP*".join(parts)
    return raw


def _held(practice, ctx, claims, **kw) -> Remittance:
    result = era_import(practice=practice, raw=_raw(claims, **kw), ctx=ctx)
    (outcome,) = result.outcomes
    assert outcome.state == S.DAMAGED and result.refused and not result.posted_any
    return outcome.remittance


def _nothing_posted(practice) -> None:
    assert RemittanceClaim.objects.filter(practice=practice).count() == 0
    assert ProviderAdjustment.objects.filter(practice=practice).count() == 0
    assert JournalEntry.objects.filter(practice=practice).count() == 0


def test_a_damaged_claim_holds_the_whole_era_and_says_which_and_why(practice, ctx, three):
    r = _held(practice, ctx, three)
    _nothing_posted(practice)
    assert r.status == S.DAMAGED and r.dedupe_key is None and r.claim_count == 3
    (d,) = r.damage
    assert (d["claim_index"], d["patient_control_number"], d["segment_id"], d["element"],
            d["expected"], d["found"], d["paid"]) == (
        2, three[1].patient_control_number, "DTM", "DTM02", "CCYYMMDD", BAD_DATE, "78.00")
    assert d["position"] > 0
    assert three[1].patient_control_number in r.reason and BAD_DATE in r.reason
    assert r.amount == D("236.50")  # the payment is read although a claim is damaged
    for c in three:
        c.refresh_from_db()
        assert c.status == ClaimStatus.SUBMITTED
    assert [e.to_status for e in RemittanceEvent.objects.filter(remittance=r)] == [
        "received", "damaged"]
    # importing it again changes nothing
    again = era_import(practice=practice, raw=r.edi_file.raw, ctx=ctx).outcomes[0]
    assert again.remittance.pk == r.pk and again.state == S.DAMAGED
    _nothing_posted(practice)


def test_post_the_rest_posts_the_others_and_the_journal_balances(practice, ctx, three):
    r = _held(practice, ctx, three, damage="amount")
    assert r.damage[0]["patient_control_number"] == three[2].patient_control_number
    assert (r.damage[0]["segment_id"], r.damage[0]["found"]) == ("AMT", "N/A")
    damaged_entries = JournalEntry.objects.filter(practice=practice, claim=three[2]).count()
    outcome = remittance_post_rest(remittance=r, ctx=ctx)
    r.refresh_from_db()
    assert r.status == S.PARTIALLY_POSTED and r.dedupe_key and r.posted_at
    assert "posted 2 claim(s)" in outcome.message
    assert "1 damaged claim(s) not posted" in outcome.message
    posted = RemittanceClaim.objects.filter(remittance=r)
    assert sorted(rc.patient_control_number for rc in posted) == sorted(
        c.patient_control_number for c in three[:2])
    assert [p.amount for p in ProviderAdjustment.objects.filter(remittance=r)] == [D("-2.50")]
    assert journal_entry_unbalanced_ids(practice=practice) == []
    for c in three[:2]:
        c.refresh_from_db()
        assert c.status != ClaimStatus.SUBMITTED
        assert claim_balances(practice=practice, claim_id=c.pk)["ar_insurance"] == D("0.00")
    three[2].refresh_from_db()
    assert three[2].status == ClaimStatus.SUBMITTED  # the damaged claim: not touched
    assert JournalEntry.objects.filter(practice=practice,
                                       claim=three[2]).count() == damaged_entries
    assert [e.to_status for e in RemittanceEvent.objects.filter(remittance=r)] == [
        "received", "damaged", "partially_posted"]
    assert AuditEvent.objects.filter(object_type="Remittance", object_id=str(r.pk),
                                     detail__to="partially_posted").exists()
    with pytest.raises(Conflict):  # a double click posts nothing twice
        remittance_post_rest(remittance=r, ctx=ctx)
    assert RemittanceClaim.objects.filter(remittance=r).count() == 2


def test_reject_the_file_posts_nothing_and_keeps_the_reason(practice, ctx, three):
    r = _held(practice, ctx, three)
    with pytest.raises(InvalidInput):
        remittance_reject(remittance=r, reason="  ", ctx=ctx)
    r.refresh_from_db()
    assert r.status == S.DAMAGED
    remittance_reject(remittance=r, reason="Payer asked to resend a corrected 835", ctx=ctx)
    r.refresh_from_db()
    assert r.status == S.REJECTED and "corrected 835" in r.reason
    _nothing_posted(practice)
    assert AuditEvent.objects.filter(object_type="Remittance", object_id=str(r.pk),
                                     detail__to="rejected").exists()
    with pytest.raises(Conflict):
        remittance_post_rest(remittance=r, ctx=ctx)
    _nothing_posted(practice)


def test_an_undamaged_era_still_posts_at_once(practice, ctx, three):
    (outcome,) = era_import(practice=practice, raw=_raw(three, damage=""), ctx=ctx).outcomes
    assert outcome.state == S.POSTED and outcome.remittance.damage == []


def test_the_era_page_shows_the_damage_and_the_two_actions(owner_client, practice, ctx,
                                                           three, other_owner):
    r = _held(practice, ctx, three)
    body = owner_client.get(f"/billing/remittances/{r.pk}/").content.decode()
    assert "Held: nothing of this ERA is posted." in body
    assert three[1].patient_control_number in body and BAD_DATE in body
    assert "DTM02" in body and "CCYYMMDD" in body
    assert "Post the rest" in body and "Reject the file" in body
    # another practice cannot see it nor decide on it
    owner_client.force_login(other_owner)
    assert owner_client.get(f"/billing/remittances/{r.pk}/").status_code == 404
    resp = owner_client.post(f"/billing/remittances/{r.pk}/decide/", {"action": "post_rest"})
    assert resp.status_code == 404
    r.refresh_from_db()
    assert r.status == S.DAMAGED
    _nothing_posted(practice)


def test_page_actions_post_the_rest_then_show_the_damaged_claim_not_posted(owner_client,
                                                                            practice, ctx,
                                                                            three):
    r = _held(practice, ctx, three)
    resp = owner_client.post(f"/billing/remittances/{r.pk}/decide/", {"action": "post_rest"})
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.status == S.PARTIALLY_POSTED
    body = owner_client.get(f"/billing/remittances/{r.pk}/").content.decode()
    assert "were <strong>not posted</strong>" in body and "Post the rest" not in body
    assert three[1].patient_control_number in body and BAD_DATE in body
    assert journal_entry_unbalanced_ids(practice=practice) == []


def test_page_reject_needs_a_reason(owner_client, practice, ctx, three):
    r = _held(practice, ctx, three)
    owner_client.post(f"/billing/remittances/{r.pk}/decide/", {"action": "reject"})
    r.refresh_from_db()
    assert r.status == S.DAMAGED
    owner_client.post(f"/billing/remittances/{r.pk}/decide/",
                      {"action": "reject", "reason": "wrong payer file"})
    r.refresh_from_db()
    assert r.status == S.REJECTED
    body = owner_client.get(f"/billing/remittances/{r.pk}/").content.decode()
    assert "wrong payer file" in body
    _nothing_posted(practice)


def test_api_exposes_the_damage(api_client, practice, ctx, three):
    r = _held(practice, ctx, three)
    detail = api_client.get(f"/api/v1/remittances/{r.pk}").json()
    assert detail["status"] == "damaged" and detail["damaged_claim_count"] == 1
    (d,) = detail["damage"]
    assert (d["patient_control_number"], d["element"], d["found"]) == (
        three[1].patient_control_number, "DTM02", BAD_DATE)
    assert detail["claims"] == []


def test_damage_together_with_an_imbalance_is_quarantined_with_both(practice, ctx, three):
    raw = _raw(three).replace("BPR*I*236.5*", "BPR*I*236*")
    (outcome,) = era_import(practice=practice, raw=raw, ctx=ctx).outcomes
    assert outcome.state == S.QUARANTINED
    assert "BPR02" in outcome.remittance.reason and BAD_DATE in outcome.remittance.reason
    _nothing_posted(practice)


def test_every_claim_damaged_is_quarantined(practice, ctx, three):
    raw = _raw(three[:1], damage="").replace("DTM*472*20260302~", f"DTM*472*{BAD_DATE}~")
    (outcome,) = era_import(practice=practice, raw=raw, ctx=ctx).outcomes
    assert outcome.state == S.QUARANTINED and BAD_DATE in outcome.remittance.reason
    _nothing_posted(practice)


# --- the same two decisions over the API ------------------------------------------------------
def test_api_post_rest_posts_the_others_as_the_screen_does(api_client, practice, ctx, three):
    r = _held(practice, ctx, three)
    resp = api_client.post(f"/api/v1/remittances/{r.pk}/post-rest")
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["status"] == "partially_posted" and body["damaged_claim_count"] == 1
    assert sorted(c["patient_control_number"] for c in body["claims"]) == sorted(
        [three[0].patient_control_number, three[2].patient_control_number])
    assert [d["found"] for d in body["damage"]] == [BAD_DATE]
    assert journal_entry_unbalanced_ids(practice=practice) == []
    event = RemittanceEvent.objects.filter(remittance=r).order_by("-pk").first()
    assert (event.to_status, event.source) == (S.PARTIALLY_POSTED, "biller: post the rest")
    # not held any more: a second post is refused in the documented shape, nothing changes
    entries = JournalEntry.objects.filter(practice=practice).count()
    again = api_client.post(f"/api/v1/remittances/{r.pk}/post-rest")
    assert again.status_code == 409
    assert "only an ERA held for a damaged claim" in again.json()["errors"]["__all__"]
    assert JournalEntry.objects.filter(practice=practice).count() == entries


def test_api_reject_needs_a_reason_and_posts_nothing(api_client, practice, ctx, three):
    r = _held(practice, ctx, three)
    resp = api_client.post(f"/api/v1/remittances/{r.pk}/reject", {"reason": "  "},
                           content_type="application/json")
    assert resp.status_code == 422
    assert resp.json() == {"errors": {"reason": "Say why the file is rejected."}}
    r.refresh_from_db()
    assert r.status == S.DAMAGED
    resp = api_client.post(f"/api/v1/remittances/{r.pk}/reject",
                           {"reason": "payer sends a corrected file"},
                           content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["status"] == "rejected"
    assert "payer sends a corrected file" in resp.json()["reason"]
    _nothing_posted(practice)
    # rejected is final: neither decision moves it again
    assert api_client.post(f"/api/v1/remittances/{r.pk}/post-rest").status_code == 409
    again = api_client.post(f"/api/v1/remittances/{r.pk}/reject", {"reason": "again"},
                            content_type="application/json")
    assert again.status_code == 409 and "errors" in again.json()
    _nothing_posted(practice)


def test_api_decisions_on_a_posted_era_are_conflicts(api_client, practice, ctx, three):
    (outcome,) = era_import(practice=practice, raw=_raw(three, damage=""), ctx=ctx).outcomes
    pk = outcome.remittance.pk
    assert api_client.post(f"/api/v1/remittances/{pk}/post-rest").status_code == 409
    resp = api_client.post(f"/api/v1/remittances/{pk}/reject", {"reason": "x"},
                           content_type="application/json")
    assert resp.status_code == 409
    outcome.remittance.refresh_from_db()
    assert outcome.remittance.status == S.POSTED


def test_api_decisions_are_tenant_scoped_and_audited(api_client, practice, ctx, three,
                                                    other_owner, owner):
    r = _held(practice, ctx, three)
    since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    intruder = api_client_for(other_owner)
    assert intruder.post(f"/api/v1/remittances/{r.pk}/post-rest").status_code == 404
    assert intruder.post(f"/api/v1/remittances/{r.pk}/reject", {"reason": "x"},
                         content_type="application/json").status_code == 404
    r.refresh_from_db()
    assert r.status == S.DAMAGED
    _nothing_posted(practice)
    assert api_client.post(f"/api/v1/remittances/{r.pk}/reject", {"reason": "bad file"},
                           content_type="application/json").status_code == 200
    rows = AuditEvent.objects.filter(pk__gt=since, object_type="Remittance",
                                     object_id=str(r.pk))
    (move,) = rows.filter(action="update")
    assert (move.category, move.outcome, move.user_id_ref) == ("remittance", "success",
                                                               owner.pk)
    assert move.detail == {"from": "damaged", "to": "rejected",
                           "source": "biller: reject the file", "damaged_claims": 1}
    # the intruder's two refusals were audited in its own practice, naming nothing
    denied = AuditEvent.objects.filter(pk__gt=since, outcome="denied",
                                       user_id_ref=other_owner.pk)
    assert denied.count() == 2
