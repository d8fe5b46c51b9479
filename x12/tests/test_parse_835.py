"""835 parser and balancing; expected values read by hand from the fixture files."""

from __future__ import annotations

from decimal import Decimal

import pytest

from x12.errors import X12Error
from x12.parse import parse_file
from x12.parse.era_835 import parse_835
from x12.reader import X12Reader
from x12.tests.conftest import FIXTURES

D = Decimal


def remittances(name: str):
    return [parse_835(ts) for ts in X12Reader(FIXTURES / name)]


def test_emedny_sample() -> None:
    (r,) = remittances("835_edi835parser_emedny_sample.txt")
    assert r.payment is not None
    assert (r.payment.amount, r.payment.method, r.payment.date.isoformat(),
            r.payment.trace_number) == (D("45.75"), "ACH", "2010-01-01", "10100000000")
    assert r.payer.name == "NYSDOH" and r.payer.address.city == "ALBANY"
    assert (r.payee.name, r.payee.id_qualifier, r.payee.id) == (
        "MAJOR MEDICAL PROVIDER", "XX", "9999999995")
    assert [(c.status_code, c.charge, c.paid, c.payer_claim_number) for c in r.claims] == [
        ("1", D("34.25"), D("34.25"), "1000210000000030"),
        ("2", D("34"), D("0"), "1000220000000020"),
        ("2", D("34.25"), D("11.5"), "1000230000000020"),
    ]
    assert r.claims[0].patient_control_number == "PATIENT ACCOUNT NUMBER"
    assert r.claims[0].patient.name == "SUBMITTED LAST"
    first = r.claims[0].lines
    assert [(ln.procedure, ln.modifiers, ln.charge, ln.paid, ln.allowed, ln.units)
            for ln in first] == [
        ("V2020", ["RB"], D("6"), D("6"), D("6"), D("1")),
        ("V2700", ["RB"], D("2.75"), D("2.75"), D("2.75"), D("1")),
        ("V2103", ["RB"], D("5.5"), D("5.5"), D("5.5"), D("1")),
        ("S0580", [], D("20"), D("20"), D("20"), D("2")),
    ]
    second = r.claims[1].lines
    assert [(a.group, a.reason, a.amount) for ln in second for a in ln.adjustments] == [
        ("CO", "29", D("12")), ("CO", "29", D("22"))]
    third = r.claims[2].lines
    assert third[1].service_start.isoformat() == "2013-09-17"
    assert third[2].remarks == ["N206"] and third[3].remarks == ["N206"]
    assert r.balance_errors == []


def test_own_two_interchanges_bom_crlf() -> None:
    parsed = parse_file(FIXTURES / "835_own_bom_crlf_two_interchanges.835").to_dict()
    assert parsed["errors"] == []
    first, second = parsed["interchanges"]
    assert (first["sender"], first["receiver"], first["control_number"]) == (
        "PAYERSIM", "OASYS", "000000501")
    t = first["transactions"][0]
    assert t["type"] == "835"
    assert t["payment"] == {"amount": "242.50", "method": "ACH", "date": "2026-02-12",
                            "trace_number": "EFT0001", "credit_debit": "C", "handling": "I",
                            "originator": "1123456789"}
    assert t["payer"]["name"] == "SUNRISE HEALTH"
    assert t["payee"]["id"] == "1234567893"
    c100, c101, c102 = t["claims"]
    assert {k: c100[k] for k in ("patient_control_number", "status_code", "charge", "paid",
                                 "patient_responsibility", "payer_claim_number")} == {
        "patient_control_number": "PCN-100", "status_code": "1", "charge": "300.00",
        "paid": "195.00", "patient_responsibility": "60.00",
        "payer_claim_number": "PAYCLM100"}
    assert c100["insured"]["first_name"] == "JOHN"
    l1, l2 = c100["lines"]
    assert (l1["procedure"], l1["modifiers"], l1["charge"], l1["paid"], l1["allowed"],
            l1["units"]) == ("90837", ["95", "GT"], "200.00", "130.00", "160.00", "1")
    assert [(a["group"], a["reason"], a["amount"], a["quantity"]) for a in l1["adjustments"]] \
        == [("CO", "45", "40.00", "1"), ("CO", "253", "5.00", None), ("PR", "3", "25.00", None)]
    assert l1["remarks"] == ["N130"]
    assert (l2["service_start"], l2["service_end"], l2["allowed"]) == (
        "2026-01-06", "2026-01-07", None)
    assert c101["adjustments"] == [
        {"group": "CO", "reason": "50", "amount": "150.00", "quantity": None}]
    assert c101["lines"] == []
    assert [a["reason"] for a in c102["lines"][0]["adjustments"]] == [
        "45", "253", "59", "97", "24", "94"]
    assert [(p["reason"], p["reference"], p["amount"]) for p in t["provider_adjustments"]] == [
        ("WO", "OLDCLM77", "20.00"), ("L6", None, "-7.50")]
    assert t["balance_errors"] == []
    t2 = second["transactions"][0]
    assert t2["payment"]["method"] == "CHK" and t2["payment"]["amount"] == "90.00"
    assert t2["claims"][0]["lines"][0]["modifiers"] == ["HO"]
    assert t2["claims"][0]["status_code"] == "2"


def test_unbalanced_file_reports_every_imbalance() -> None:
    (r,) = remittances("835_own_unbalanced.835")
    got = [(b.level, b.position, b.patient_control_number, b.line_number, str(b.expected),
            str(b.actual)) for b in r.balance_errors]
    assert got == [
        ("line", 14, "PCN-300", 1, "160", "150"),
        ("claim", 12, "PCN-300", None, "160", "150"),
        ("transaction", 4, None, None, "230", "100"),
    ]
    # never silently fixed
    assert r.claims[0].paid == D("150") and r.payment.amount == D("100")


def test_secondary_payment_with_wrong_component_separator_damages_its_claim() -> None:
    # the LinuxForHealth sample writes SVC01 with '>' while its ISA16 is ':': the claim is
    # flagged, the payment is still read
    (rem,) = remittances("835_lfh_secondary_payment.835")
    assert rem.payment is not None
    damaged = rem.damaged_claims
    assert damaged and all(d.segment_id == "SVC" and d.element == 1
                           for c in damaged for d in c.damage)


@pytest.mark.parametrize(("old", "new", "segment_id"), [
    ("CLP*PCN-300*1*200*150", "CLP*PCN-300*1*2O0*150", "CLP"),
    ("CAS*CO*45*40~", "CAS*CO*45*4.0.0~", "CAS"),
    ("CAS*CO*45*40~", "CAS**45*40~", "CAS"),
    ("SVC*HC:90837*200", "SVC*90837*200", "SVC"),
    ("SVC*HC:90837*200", "SVC*HC:90837*" + "9" * 30, "SVC"),  # found by fuzzing
])
def test_malformed_claim_values_damage_that_claim(old: str, new: str, segment_id: str) -> None:
    text = (FIXTURES / "835_own_unbalanced.835").read_text()
    assert old in text
    (rem,) = [parse_835(ts) for ts in X12Reader.from_text(text.replace(old, new))]
    assert rem.payment is not None
    (claim,) = rem.damaged_claims
    assert claim.patient_control_number == "PCN-300"
    assert claim.damage[0].segment_id == segment_id and claim.damage[0].position > 0


def test_malformed_value_outside_a_claim_stays_fatal() -> None:
    text = (FIXTURES / "835_own_unbalanced.835").read_text().replace(
        "BPR*I*100*C*CHK************20260301", "BPR*I*100*C*CHK************20260231")
    with pytest.raises(X12Error) as exc:
        for ts in X12Reader.from_text(text):
            parse_835(ts)
    assert exc.value.segment_id == "BPR"
    assert exc.value.position is not None
