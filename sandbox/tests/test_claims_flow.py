"""The simulator as a real process: 999 at once, 277CA a day later, 835 days later; every
output valid for pyx12 and balanced; every claim trigger produces its outcome."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sandbox.clearinghouse.samples import SampleClaim, sample_837p
from sandbox.tests.helpers import assert_valid, one, reports, submit

D = Decimal


def test_999_at_once_277ca_after_a_day_835_after_a_week(clearinghouse_sim):
    resp = submit(clearinghouse_sim, sample_837p([SampleClaim("FLOW-1")]), key="k-flow")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "SUCCESS" and body["controlNumber"] == "000000001"
    assert body["transactionId"]
    (ack,) = reports(clearinghouse_sim)
    assert ack[0]["x12"]["metadata"]["transaction"]["transactionSetIdentifier"] == "999"
    assert_valid(ack[1])
    assert one(ack[1]).status == "A"
    clearinghouse_sim.advance(1.01)
    (_, ca), = reports(clearinghouse_sim, "277")
    assert_valid(ca)
    claim = one(ca).claims[0]
    assert claim.statuses[0].category == "A2" and claim.patient_control_number == "FLOW-1"
    assert reports(clearinghouse_sim, "835") == []
    clearinghouse_sim.advance(7)
    (item, era), = reports(clearinghouse_sim, "835")
    assert_valid(era)
    rem = one(era)
    clp = rem.claims[0]
    # default plan: in network, $20 copay; fee schedule allows 138.00 for 90837
    assert (clp.charge, clp.paid, clp.patient_responsibility) == (D("180"), D("118"), D("20"))
    reasons = {(a.group, a.reason, a.amount) for a in clp.lines[0].adjustments}
    assert reasons == {("CO", "45", D("42")), ("PR", "3", D("20"))}
    assert rem.payment.trace_number and rem.payment.amount == D("118")
    assert item["processedAt"] > ack[0]["processedAt"]


def test_malformed_file_gets_a_rejecting_999_with_its_errors(clearinghouse_sim):
    text = sample_837p([SampleClaim("BAD-1")])
    text = text.replace("SE*", "SE*9", 1)  # wrong segment count
    text = text.replace("XX*1234567893", "XX*1234567890")  # NPI check digit wrong
    assert submit(clearinghouse_sim, text).status_code == 200
    (_, ack), = reports(clearinghouse_sim, "999")
    assert_valid(ack)
    parsed = one(ack)
    assert parsed.status == "R"
    tx = parsed.transactions[0]
    assert tx.status == "R" and "4" in tx.error_codes
    assert [s.segment_id for s in tx.segments] == ["NM1"]
    clearinghouse_sim.advance(30)
    assert reports(clearinghouse_sim, "277") == []  # a rejected file goes no further


def test_not_x12_is_refused_with_400(clearinghouse_sim):
    resp = submit(clearinghouse_sim, "hello")
    assert resp.status_code == 400 and "message" in resp.json()


def test_idempotency_key_same_body_replays_different_body_is_422(clearinghouse_sim):
    text = sample_837p([SampleClaim("IDEM-1")])
    first = submit(clearinghouse_sim, text, key="same-key")
    again = submit(clearinghouse_sim, text, key="same-key")
    assert again.json() == first.json()
    assert len(clearinghouse_sim.claims()) == 1
    other = submit(clearinghouse_sim, sample_837p([SampleClaim("IDEM-2")]), key="same-key")
    assert other.status_code == 422


def test_api_key_required(clearinghouse_sim):
    resp = clearinghouse_sim.http.get("/core/2023-08-01/polling/transactions")
    assert resp.status_code == 401


# Each trigger, one claim each, in one file: (pcn, member, expected CLP02 or 277CA category,
# expected adjustment (group, reason) or None)
TRIGGERS = [
    ("PAIDFULL-1", "M1", "1", None),
    ("DED-1", "M2", "1", ("PR", "1")),
    ("COINS-1", "M3", "1", ("PR", "2")),
    ("COPAY-1", "M4", "1", ("PR", "3")),
    ("DENYAUTH-1", "M5", "4", ("CO", "197")),
    ("DENYTIMELY-1", "M6", "4", ("CO", "29")),
    ("DENYNC-1", "M7", "4", ("CO", "96")),
    ("DENYINFO-1", "M8", "4", ("CO", "16")),
    ("DUP-1", "M9", "4", ("OA", "18")),
    ("PRIMARY-1", "M10", "19", ("PR", "2")),
    ("C-OON", "OON123", "1", ("PR", "1")),
    ("C-INACT", "INACTIVE9", "4", ("CO", "27")),
    ("C-CARVE", "CARVE1", "4", ("CO", "109")),
    ("C-AUTH", "AUTHREQ5", "4", ("CO", "197")),
    ("REJMEMBER-1", "M11", "A7", None),
    ("REJPROV-1", "M12", "A7", None),
    ("RFI-1", "M13", "A2", None),
]


@pytest.fixture
def triggered(clearinghouse_sim):
    claims = [SampleClaim(pcn, member) for pcn, member, _, _ in TRIGGERS]
    claims.append(SampleClaim("PLB-1", "M14"))
    claims.append(SampleClaim("REVERSE-1", "M15"))
    claims.append(SampleClaim("SLOW-1", "M16"))
    assert submit(clearinghouse_sim, sample_837p(claims)).status_code == 200
    clearinghouse_sim.advance(9)
    return clearinghouse_sim


def _eras(sim) -> dict[str, list]:
    out: dict[str, list] = {}
    for _, raw in reports(sim, "835"):
        assert_valid(raw)
        rem = one(raw)
        for clp in rem.claims:
            out.setdefault(clp.patient_control_number, []).append((rem, clp))
    return out


def test_every_trigger_produces_its_outcome(triggered):
    (_, ca), = reports(triggered, "277")
    assert_valid(ca)
    acks = {c.patient_control_number: c.statuses[0] for c in one(ca).claims}
    eras = _eras(triggered)
    for pcn, _, expected, adjustment in TRIGGERS:
        if expected.startswith("A"):
            assert acks[pcn].category == expected, pcn
            assert pcn not in eras, pcn
            continue
        (_, clp), = eras[pcn]
        assert clp.status_code == expected, pcn
        found = {(a.group, a.reason) for ln in clp.lines for a in ln.adjustments}
        if adjustment:
            assert adjustment in found, (pcn, found)
        if pcn == "PAIDFULL-1":
            assert {g for g, _ in found} == {"CO"} and clp.patient_responsibility == 0
    assert acks["REJMEMBER-1"].code == "33" and acks["REJPROV-1"].entity == "85"
    denied = eras["DENYINFO-1"][0][1]
    assert set(denied.lines[0].remarks) == {"MA130", "M51"}
    rem = eras["PLB-1"][0][0]
    assert rem.provider_adjustments and rem.provider_adjustments[0].reason == "L6"
    assert "SLOW-1" not in eras


def test_slow_payer_and_reversal_arrive_later(triggered):
    triggered.advance(14)
    eras = _eras(triggered)
    reversal = eras["REVERSE-1"]
    assert [clp.status_code for _, clp in reversal] == ["1", "22", "1"]
    first, reversed_, corrected = (clp for _, clp in reversal)
    assert reversed_.paid == -first.paid and corrected.paid > first.paid
    assert "SLOW-1" not in eras
    triggered.advance(30)
    assert "SLOW-1" in _eras(triggered)


def test_deductible_accumulates_across_claims(clearinghouse_sim):
    sim = clearinghouse_sim
    sim.control("members", {"ACC1": {"copay": "0", "coinsurance": "0.2",
                                     "deductible_individual": "200",
                                     "deductible_family": "400"}})
    submit(sim, sample_837p([SampleClaim("A-1", "ACC1"),
                             SampleClaim("A-2", "ACC1", procedure="90834",
                                         charge=D("150.00"))]))
    sim.advance(9)
    eras = _eras(sim)
    first = {a.reason: a.amount for a in eras["A-1"][0][1].lines[0].adjustments
             if a.group == "PR"}
    second = {a.reason: a.amount for a in eras["A-2"][0][1].lines[0].adjustments
              if a.group == "PR"}
    assert first == {"1": D("138")}  # the whole allowed amount goes to the deductible
    assert second == {"1": D("62"), "2": D("7.2")}  # the rest of it, then 20% of 98 - 62


def test_same_services_twice_is_a_duplicate(clearinghouse_sim):
    sim = clearinghouse_sim
    submit(sim, sample_837p([SampleClaim("D-1", "SAME1")], control_number=1))
    submit(sim, sample_837p([SampleClaim("D-2", "SAME1")], control_number=2))
    sim.advance(9)
    eras = _eras(sim)
    assert eras["D-1"][0][1].status_code == "1"
    assert eras["D-2"][0][1].status_code == "4"
    assert eras["D-2"][0][1].lines[0].adjustments[0].reason == "18"


def test_payers_grouped_into_one_payment_per_payer(clearinghouse_sim):
    sim = clearinghouse_sim
    submit(sim, sample_837p([SampleClaim("G-1")], payer_id="62308", control_number=1))
    submit(sim, sample_837p([SampleClaim("G-2")], payer_id="62308", control_number=2))
    submit(sim, sample_837p([SampleClaim("G-3")], payer_id="61101", control_number=3))
    sim.advance(9)
    payments = [one(raw) for _, raw in reports(sim, "835")]
    assert sorted(len(p.claims) for p in payments) == [1, 2]
    assert len({p.payment.trace_number for p in payments}) == 2
