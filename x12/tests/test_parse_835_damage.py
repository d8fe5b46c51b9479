"""Damage inside one claim: mutations of a valid multi-claim 835 flag that claim (with where
and why) while the other claims, the BPR payment and the PLB are still read."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from x12.errors import X12Error
from x12.parse.era_835 import parse_835, stream_835
from x12.reader import X12Reader
from x12.tests.conftest import FIXTURES

D = Decimal
# first interchange: claims PCN-100 (two lines), PCN-101 (denied), PCN-102; a PLB
VALID = (FIXTURES / "835_own_bom_crlf_two_interchanges.835").read_text(encoding="utf-8-sig")


def _first(text: str):
    return parse_835(next(iter(X12Reader.from_text(text))))


def _mutate(old: str, new: str) -> str:
    assert VALID.count(old) == 1, old
    return VALID.replace(old, new)


def test_valid_fixture_has_no_damage() -> None:
    rem = _first(VALID)
    assert [c.patient_control_number for c in rem.claims] == ["PCN-100", "PCN-101", "PCN-102"]
    assert rem.damaged_claims == [] and rem.balance_errors == []
    assert "damage" not in rem.to_dict()["claims"][0]


def _segment_position(text: str, segment: str) -> int:
    # ISA is segment 1; count terminators before the mutated segment
    body = text.split("~")
    return next(i for i, s in enumerate(body, start=1) if s.strip() == segment)


def test_impossible_service_date_damages_only_its_claim() -> None:
    text = _mutate("DTM*472*20260108~", "DTM*472*20140231~")
    rem = _first(text)
    assert rem.payment is not None and rem.payment.amount == D("242.5")
    assert [c.patient_control_number for c in rem.claims] == ["PCN-100", "PCN-101", "PCN-102"]
    (claim,) = rem.damaged_claims
    assert claim.patient_control_number == "PCN-102"
    (d,) = claim.damage
    assert (d.segment_id, d.element, d.expected, d.found) == ("DTM", 2, "CCYYMMDD", "20140231")
    assert d.position == _segment_position(text, "DTM*472*20140231")
    assert "20140231" in d.message
    # the undamaged claims and the PLB are read in full
    good = rem.claims[0]
    assert good.damage == [] and good.paid == D("195") and len(good.lines) == 2
    assert good.lines[0].allowed == D("160")
    assert [p.amount for p in rem.provider_adjustments] == [D("20"), D("-7.5")]
    assert rem.balance_errors == []
    assert rem.to_dict()["claims"][2]["damage"][0]["found"] == "20140231"


def test_allowed_amount_not_a_number_damages_only_its_claim() -> None:
    text = _mutate("AMT*B6*160~", "AMT*B6*N/A~")
    rem = _first(text)
    (claim,) = rem.damaged_claims
    assert claim.patient_control_number == "PCN-100"
    (d,) = claim.damage
    assert (d.segment_id, d.element, d.expected, d.found) == ("AMT", 2, "decimal number", "N/A")
    assert d.position == _segment_position(text, "AMT*B6*N/A")
    # the line after the damaged segment is still read into the damaged claim
    assert len(claim.lines) == 2 and claim.lines[1].procedure == "90834"
    assert [c.damage for c in rem.claims[1:]] == [[], []]
    assert rem.payment.trace_number == "EFT0001"


def test_two_damaged_claims_each_carry_their_own_damage() -> None:
    text = _mutate("AMT*B6*160~", "AMT*B6*N/A~").replace("DTM*472*20260108~",
                                                          "DTM*472*20140231~")
    rem = _first(text)
    assert [(c.patient_control_number, [d.segment_id for d in c.damage])
            for c in rem.damaged_claims] == [("PCN-100", ["AMT"]), ("PCN-102", ["DTM"])]


def test_unreadable_claim_amount_damages_the_claim_and_fails_the_transaction_rule() -> None:
    # CLP04 cannot be read: the claim is flagged and, as its payment is unknown, the
    # transaction no longer balances; never silently fixed
    rem = _first(_mutate("CLP*PCN-101*4*150*0*", "CLP*PCN-101*4*150*X*"))
    (claim,) = rem.damaged_claims
    assert claim.patient_control_number == "PCN-101"
    assert (claim.damage[0].segment_id, claim.damage[0].element) == ("CLP", 4)
    assert [c.patient_control_number for c in rem.claims] == ["PCN-100", "PCN-101", "PCN-102"]
    # PCN-101 paid 0 anyway, so the transaction still balances
    assert rem.balance_errors == []


def test_bad_service_line_amount_flags_claim_without_spurious_claim_imbalance() -> None:
    rem = _first(_mutate("SVC*HC:90834*100*65**1~", "SVC*HC:90834*100*6,5**1~"))
    (claim,) = rem.damaged_claims
    assert claim.damage[0].segment_id == "SVC" and claim.damage[0].element == 3
    assert len(claim.lines) == 1
    # its CAS went nowhere else: the first line keeps only its own adjustments
    assert sum(len(ln.adjustments) for ln in claim.lines) == 3
    assert rem.balance_errors == []


@pytest.mark.parametrize(("old", "new", "segment_id"), [
    ("BPR*I*242.5*", "BPR*I*24x.5*", "BPR"),
    ("DTM*405*20260210~", "DTM*405*20260231~", "DTM"),
    ("PLB*1234567893*20261231*WO:OLDCLM77*20*", "PLB*1234567893*20261231*WO:OLDCLM77*2O*",
     "PLB"),
])
def test_damage_outside_any_claim_stays_fatal(old: str, new: str, segment_id: str) -> None:
    with pytest.raises(X12Error) as exc:
        _first(_mutate(old, new))
    assert exc.value.segment_id == segment_id and exc.value.position is not None


def test_streaming_reports_the_damaged_claim_too() -> None:
    events = list(stream_835(_mutate("DTM*472*20260108~", "DTM*472*20140231~").encode()))
    claims = [e.claim for e in events if hasattr(e, "claim")]
    assert [c.patient_control_number for c in claims if c.damage] == ["PCN-102"]
    header = next(e for e in events if not hasattr(e, "claim"))
    assert header.payment.amount == D("242.5") and header.balance_errors == []


CLAIM_SEGMENT_LINES = [i for i, s in enumerate(VALID.split("~"))
                       if s.strip()[:3] in ("SVC", "DTM", "AMT", "CAS", "LQ*") and
                       not s.strip().startswith("DTM*405")][:12]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(CLAIM_SEGMENT_LINES), st.integers(1, 6),
       st.text(alphabet="0123456789.-/NAX:", max_size=10))
def test_any_bad_element_inside_a_claim_keeps_the_payment(line: int, element: int,
                                                          value: str) -> None:
    segs = VALID.split("~")
    els = segs[line].split("*")
    if element >= len(els):
        return
    els[element] = value
    segs[line] = "*".join(els)
    # nothing raises: the damage is the claim's; the payment and every claim are read and a
    # damaged claim says where
    rem = _first("~".join(segs))
    assert rem.payment is not None and rem.payment.amount == D("242.5")
    assert len(rem.claims) == 3
    for claim in rem.damaged_claims:
        assert all(d.position > 0 and d.segment_id for d in claim.damage)
