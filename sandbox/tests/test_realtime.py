"""Real-time 270/271 and 276/277, payer search and enrollment on the running simulator."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.clearinghouse.samples import SampleClaim, sample_270, sample_276, sample_837p
from sandbox.tests.helpers import HC, submit
from x12.parse import parse_271, parse_277
from x12.reader import X12Reader
from x12.tests.structure_271_277 import assert_valid_271, assert_valid_277

D = Decimal
ENR = "/enrollments/2024-09-01"


def eligibility(sim, member_id: str, **kw):
    resp = sim.api("POST", HC + "/eligibility/v3/raw-x12", json={"x12": sample_270(member_id,
                                                                                   **kw)})
    assert resp.status_code == 200, resp.text
    text = resp.json()["x12"]
    assert_valid_271(text)
    (ts,) = list(X12Reader.from_text(text))
    return parse_271(ts)


def benefit(member, code, level=None, period=None, stc=None):
    for b in member.benefits:
        if b.code == code and (level is None or b.coverage_level == level) and (
                period is None or b.time_period == period) and (
                stc is None or stc in b.service_types):
            return b
    raise AssertionError(f"no EB {code} {level} {period} {stc}")


def test_default_plan_is_active_in_network_20_copay_no_deductible(clearinghouse_sim):
    res = eligibility(clearinghouse_sim, "W123")
    m = res.members[0]
    assert m.coverage == "active" and m.trace_numbers == ["TRACE-1"]
    assert {s for b in m.benefits if b.code == "1" for s in b.service_types} == {
        "30", "MH", "A4", "A6", "A7", "A8"}
    copay = benefit(m, "B", stc="MH")
    assert copay.amount == D("20") and copay.network == "Y"
    assert copay.authorization_required == "N"
    assert benefit(m, "C", "IND", "23").amount == 0
    assert benefit(m, "G", "IND", "29").amount == D("3000")
    assert benefit(m, "F", stc="MH").quantity == 30


def test_deductible_remaining_follows_claims(clearinghouse_sim):
    sim = clearinghouse_sim
    before = eligibility(sim, "DED55").members[0]
    assert benefit(before, "C", "IND", "29").amount == D("500")
    assert benefit(before, "A", stc="MH").percent == D("0.2")
    submit(sim, sample_837p([SampleClaim("E-1", "DED55")]))
    sim.advance(9)
    after = eligibility(sim, "DED55").members[0]
    assert benefit(after, "C", "IND", "29").amount == D("362")  # 500 - 138 allowed
    assert benefit(after, "F", stc="MH").quantity == 29


@pytest.mark.parametrize("member, check", [
    ("INACTIVE1", lambda r: r.members[0].coverage == "inactive"),
    ("UNKNOWN1", lambda r: r.members[0].rejections[0].reason == "75"),
    ("ELIGTIMEOUT1", lambda r: r.rejections[0].reason == "42"),
    ("AUTHREQ1", lambda r: benefit(r.members[0], "B", stc="MH").authorization_required
     == "Y"),
    ("OON1", lambda r: benefit(r.members[0], "A", stc="MH").network == "N"),
    ("CARVE1", lambda r: benefit(r.members[0], "U", stc="MH").entities[0].id == "MWBH1"),
])
def test_eligibility_triggers(clearinghouse_sim, member, check):
    assert check(eligibility(clearinghouse_sim, member))


def test_dependent_inquiry_answers_at_dependent_level(clearinghouse_sim):
    res = eligibility(clearinghouse_sim, "W777", dependent=True)
    assert [m.role for m in res.members] == ["subscriber", "dependent"]
    assert res.members[1].coverage == "active"


def test_270_parse_error_is_400_in_stedi_shape(clearinghouse_sim):
    resp = clearinghouse_sim.api("POST", HC + "/eligibility/v3/raw-x12",
                                 json={"x12": sample_837p([SampleClaim("X")])})
    assert resp.status_code == 400 and resp.json()["status"] == "ERROR"


def status(sim, member, pcn):
    resp = sim.api("POST", HC + "/claimstatus/v2/raw-x12", json={"x12": sample_276(member,
                                                                                   pcn)})
    assert resp.status_code == 200, resp.text
    text = resp.json()["x12"]
    assert_valid_277(text)
    (ts,) = list(X12Reader.from_text(text))
    return parse_277(ts).claims[0]


def test_claim_status_follows_the_claim(clearinghouse_sim):
    sim = clearinghouse_sim
    submit(sim, sample_837p([SampleClaim("S-1", "W1"), SampleClaim("REJMEMBER-2", "W2"),
                             SampleClaim("RFI-2", "W3")]))
    assert status(sim, "W9", "NOPE").statuses[0].category == "A4"
    assert status(sim, "W1", "S-1").statuses[0].category == "A1"
    sim.advance(1.01)
    assert status(sim, "W1", "S-1").statuses[0].category == "P1"
    assert status(sim, "W2", "REJMEMBER-2").statuses[0].category == "A7"
    rfi = status(sim, "W3", "RFI-2")
    assert [s.category for s in rfi.statuses] == ["P3", "R3"]
    sim.advance(7)
    paid = status(sim, "W1", "S-1")
    assert paid.statuses[0].category == "F1" and paid.paid == D("118")
    assert paid.payer_claim_number and paid.lines[0].procedure == "90837"


def test_payer_search_in_stedi_shape(clearinghouse_sim):
    body = clearinghouse_sim.api("GET", "/healthcare/2024-04-01/payers/search",
                                 params={"query": "cigna"}).json()
    assert body["stats"]["total"] >= 1
    payer = body["items"][0]["payer"]
    assert {"stediId", "displayName", "primaryPayerId", "aliases", "names",
            "transactionSupport"} <= set(payer)
    assert "cigna" in payer["displayName"].lower()
    assert payer["transactionSupport"]["professionalClaimSubmission"] in (
        "SUPPORTED", "ENROLLMENT_REQUIRED", "NOT_SUPPORTED")
    by_id = clearinghouse_sim.api("GET", "/healthcare/2024-04-01/payers/search",
                                  params={"query": "62308"}).json()
    assert by_id["items"][0]["payer"]["primaryPayerId"] == "62308"


def _enroll(sim, npi: str, tin: str) -> str:
    provider = sim.api("POST", ENR + "/providers", json={"name": "Calm Mind", "npi": npi,
                                                         "taxId": tin}).json()
    body = sim.api("POST", ENR + "/enrollments", json={
        "provider": {"id": provider["id"]}, "payer": {"idOrAlias": "62308"},
        "transactions": {"professionalClaimSubmission": {"enroll": True}},
        "primaryContact": {"firstName": "Ana", "lastName": "Rivera"},
        "userEmail": "ana@example.com", "status": "SUBMITTED"}).json()
    assert body["status"] == "SUBMITTED"
    return body["id"]


def _status(sim, enrollment_id):
    return sim.api("GET", ENR + f"/enrollments/{enrollment_id}").json()["status"]


def test_enrollment_goes_live_within_15_business_days(clearinghouse_sim):
    sim = clearinghouse_sim
    eid = _enroll(sim, "1234567893", "371234567")
    sim.advance(1.5)
    assert _status(sim, eid) in ("SUBMITTED", "PROVISIONING")
    sim.advance(4)
    assert _status(sim, eid) == "PROVISIONING"
    sim.advance(20)
    assert _status(sim, eid) == "LIVE"


def test_enrollment_rejected_when_tax_id_does_not_match(clearinghouse_sim):
    sim = clearinghouse_sim
    sim.control("providers", {"npi": "1234567893", "taxId": "371234567"})
    eid = _enroll(sim, "1234567893", "111111111")
    sim.advance(5)
    body = sim.api("GET", ENR + f"/enrollments/{eid}").json()
    assert body["status"] == "REJECTED" and "tax ID" in body["reason"]
