"""Every public real-world file in fixtures/realworld/ (sources and licences in its README):
the library reads each without crashing, each rejection is the one we expect and can
justify, and values of ten files are checked against their raw segments.

A new file goes into EXPECTED with what the library must say of it and why; a file that
matches no rule fails the test, so nothing is read unexamined."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from x12.errors import X12Error
from x12.parse import parse_file
from x12.tests.conftest import FIXTURES

REALWORLD = FIXTURES / "realworld"
FILES = sorted(p for p in REALWORLD.iterdir() if not p.name.endswith((".LICENSE", ".md")))

CLEAN = "clean"

# (file-name pattern, what the library must report: CLEAN or a substring of an error, why)
EXPECTED: list[tuple[str, str, str]] = [
    (r"^lfh__834_|^pyx12__834_deident", "unsupported transaction set",
     "834 enrolment is not a transaction a therapy practice receives"),
    (r"^lfh__835_.*cob-contractural|^lfh__835_.*secondary-payment", "SVC01 needs qualifier",
     "SVC01 uses '>' while ISA16 declares ':' (the sample's own defect): that claim is "
     "flagged as damaged, the rest of the transaction is read"),
    (r"^lfh__835_.*tertiary-payment", "SVC01 needs qualifier",
     "SVC01 is a bare 'HC' with no procedure code: that claim is flagged as damaged"),
    (r"^lfh__835_.*managed-care", "not a valid date",
     "BPR16 is 20002316: month 23 does not exist"),
    (r"^edi835parser__blue_cross_nc", "no ISA segment at the start",
     "the sample is a bare ST..SE transaction with no interchange envelope"),
    (r"^imsweb__837_5010__x12_no_isa_line", "no ISA segment at the start",
     "the file starts at GS: its ISA was removed on purpose"),
    (r"^imsweb__837_5010__x12_bad_segment_identifier", "invalid segment id",
     "segments with an empty and a lower-case id, made as a negative sample"),
    (r"^imsweb__837_5010__x12_999_accepted", "IEA02 does not match ISA13",
     "IEA02 000000001 against ISA13 000000286"),
    (r"^imsweb__837_5010__x12_999_rejected", CLEAN, "a well-formed 999"),
    (r"^imsweb__837_5010__", "SE01 segment count does not match",
     "the project's 837 samples all carry SE*25 whatever their length"),
    (r"^imsweb__277_5010__x12_277_x212", "IEA02 does not match ISA13",
     "IEA02 842928883 against ISA13 000000001"),
    (r"^imsweb__x270_271__|^lfh__837_004010|^stupidedi__004010|^tigershark__",
     "X12 4010 is not supported",
     "ISA12 00401 or GS08 004010X09xA1: the 4010 version, replaced by 5010 in 2012"),
    (r"^affect835__.*exhaustive_sample", "no ISA segment at the start",
     "a bare ST..SE transaction (every value masked as X or 0) with no interchange envelope"),
    (r"^affect835__.*nevada_medicaid", "IEA02 does not match ISA13",
     "IEA02 100000301 against ISA13 100000300"),
    (r"^affect835__.*sample_835", "SE01 segment count does not match",
     "SE*46 closes 55 segments and SE*96 closes 106 (the counts were not updated when the "
     "sample was edited); its PLB also puts the amount in the PLB03 composite, leaving PLB04 "
     "empty"),
    (r"^chs835__", "SE01 segment count does not match",
     "SE*17 closes 16 segments; the claim's CAS*PR*2*499.50 also repeats its two lines' "
     "adjustments, so the claim does not balance"),
    (r"^nodex12__", "file ends inside a functional group",
     "the sample stops after SE: it has no GE or IEA"),
    (r"^stupidedi__005010X212_277__pass-1", "IEA02 does not match ISA13",
     "IEA02 267365555 against ISA13 269895334"),
    (r"^stupidedi__005010X221_835__case", "no ISA segment at the start",
     "each file starts with the guide's prose ('Business Scenario 1 - Dollars and data...') "
     "before its ISA"),
    (r"^lfh__271_.*subscriber-health-benefit-check-error", "SE02 does not match ST02",
     "SE02 4323 against ST02 4321"),
    (r".", CLEAN, "a well-formed file"),
]


def _rule(name: str) -> tuple[str, str]:
    for pattern, expected, why in EXPECTED:
        if re.search(pattern, name):
            return expected, why
    raise AssertionError(f"{name}: no rule")  # pragma: no cover


SOURCES = {"lfh", "imsweb", "edi835parser", "pyx12", "stupidedi", "tigershark", "affect835",
           "chs835", "nodex12", "staedi", "x12edi"}
# The transactions an ERA, eligibility, claim-status and acknowledgment reader must survive.
RECEIVED = {"835", "271", "277", "999"}


def _raw(path) -> str:
    return path.read_bytes().decode("latin-1")


def _raw_set_ids(path) -> set[str]:
    """ST01 of every transaction in the file, read from the raw text (not by the library), so
    files the library refuses are counted by what they hold."""
    return set(re.findall(r"(?<![A-Za-z0-9 ])ST[^A-Za-z0-9 ](\d{3})[^A-Za-z0-9]", _raw(path)))


def _raw_segments(path) -> list[str]:
    text = _raw(path)
    isa = text.find("ISA")
    terminator = text[isa + 105]
    element = text[isa + 3]
    return [s.strip().replace(element, "*") for s in text[isa:].split(terminator) if s.strip()]


def test_there_are_enough_real_world_files() -> None:
    assert len(FILES) >= 50
    kinds = {p.name.split("__")[0] for p in FILES}
    assert kinds == SOURCES
    received = [p.name for p in FILES if _raw_set_ids(p) & RECEIVED]
    assert len(received) >= 50, received


def test_raw_set_ids_reads_st01() -> None:
    assert _raw_set_ids(REALWORLD / "staedi__x12__simple999.edi") == {"999"}
    assert _raw_set_ids(REALWORLD / "stupidedi__005010X221_835__case-1.edi") == {"835"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_real_world_file_reads_as_expected(path) -> None:
    expected, why = _rule(path.name)
    result = parse_file(path)  # must never raise: problems come back as X12Errors
    problems = [e.describe() for e in result.errors]
    problems += [b.message for b in result.balance_errors()]
    problems += [d.message for _, ts in result.interchanges for t in ts
                 for c in getattr(t, "claims", []) for d in getattr(c, "damage", [])]
    assert all(isinstance(e, X12Error) for e in result.errors)
    if expected == CLEAN:
        assert problems == [], f"{path.name}: {problems}"
        # as many transactions, and in an 835 as many claims, as the raw file has ST and CLP
        segments = _raw_segments(path)
        transactions = [t for _, ts in result.interchanges for t in ts]
        assert len(transactions) == sum(s.startswith("ST*") for s in segments)
        if "835" in _raw_set_ids(path):
            claims = sum(len(t.claims) for t in transactions)
            assert claims == sum(s.startswith("CLP*") for s in segments)
    else:
        assert any(expected in p for p in problems), f"{path.name} ({why}): {problems}"


def _only(name: str):
    result = parse_file(REALWORLD / name)
    assert result.errors == []
    (_, transactions), *_ = result.interchanges
    return transactions[0]


# Ten files checked against their raw segments (read by eye from the file, copied here).

def test_emedny_835_against_raw_segments() -> None:
    era = _only("edi835parser__emedny_sample.txt")
    # BPR*I*45.75*C*ACH*CCP*...*20100101 / TRN*1*10100000000*1000000000
    assert era.payment.amount == Decimal("45.75") and era.payment.method == "ACH"
    assert era.payment.trace_number == "10100000000"
    assert str(era.payment.date) == "2010-01-01"
    # CLP*PATIENT ACCOUNT NUMBER*1*34.25*34.25**MC*1000210000000030*11
    first = era.claims[0]
    assert (first.patient_control_number, first.status_code) == ("PATIENT ACCOUNT NUMBER", "1")
    assert (first.charge, first.paid) == (Decimal("34.25"), Decimal("34.25"))
    assert first.payer_claim_number == "1000210000000030"
    # CLP*PATIENT ACCOUNT NUMBER*2*34*0**MC*1000220000000020*11
    assert (era.claims[1].status_code, era.claims[1].paid) == ("2", Decimal("0"))


def test_united_healthcare_835_against_raw_segments() -> None:
    era = _only("edi835parser__united_healthcare_legacy_sample.txt")
    assert era.payment.amount == Decimal("349.99")
    assert era.payment.trace_number == "1234567890"
    # CLP*001-18573-358*1*341.28*88.92*105.26*16*ATL2819897200*12*1
    c = era.claims[0]
    assert c.patient_control_number == "001-18573-358"
    assert (c.charge, c.paid, c.patient_responsibility) == (
        Decimal("341.28"), Decimal("88.92"), Decimal("105.26"))
    assert (c.filing_indicator, c.payer_claim_number) == ("16", "ATL2819897200")
    assert era.claims[1].patient_control_number == "001-18604-358"


def test_medicare_part_a_835_against_raw_segments() -> None:
    era = _only("lfh__835_005010X221A1__medicare-part-a.835")
    # BPR*C*150000.00*C*ACH*CTX*...*20020913
    assert era.payment.amount == Decimal("150000.00") and era.payment.handling == "C"
    assert str(era.payment.date) == "2002-09-13"
    # CLP*666123*1*211366.97*138018.40**MA*1999999444444*11*1
    c = era.claims[0]
    assert (c.patient_control_number, c.charge, c.paid) == (
        "666123", Decimal("211366.97"), Decimal("138018.40"))
    assert c.filing_indicator == "MA"
    # CLP*777777*1*15000.00*11980.33**MB*1999999444445*13*1
    assert (era.claims[1].patient_control_number, era.claims[1].paid) == (
        "777777", Decimal("11980.33"))


def test_pyx12_mult_loops_835_against_raw_segments() -> None:
    era = _only("pyx12__835_mult_loops.txt")
    # BPR*H*0*C*NON************20041028 / CLP*2005555A*4*915.39*0**MC*4276512332
    assert (era.payment.handling, era.payment.amount, era.payment.method) == (
        "H", Decimal("0"), "NON")
    c = era.claims[0]
    assert (c.patient_control_number, c.status_code, c.charge, c.paid) == (
        "2005555A", "4", Decimal("915.39"), Decimal("0"))


def test_lfh_271_against_raw_segments() -> None:
    doc = _only("lfh__271_005010X279A1__subscriber-health-benefit-check.271").to_dict()
    # NM1*PR*2*ABC COMPANY*****PI*841610001 / EB*1**30**GOLD 123 PLAN
    assert (doc["payer"]["name"], doc["payer"]["id"]) == ("ABC COMPANY", "841610001")
    member = doc["members"][0]
    assert (member["coverage"], member["plan"]) == ("active", "GOLD 123 PLAN")
    assert member["name"]["name"] == "SMITH"  # NM1*IL*1*SMITH*JOHN****MI*123456789


def test_lfh_277_against_raw_segments() -> None:
    doc = _only("lfh__277_005010X212__claim-level-status.277").to_dict()
    assert doc["variant"] == "277" and doc["payer"]["name"] == "ABC INSURANCE"
    # TRN*2*ABCXYZ1 / STC*P3:317*20050913**8513.88
    first = doc["claims"][0]
    assert first["patient_control_number"] == "SM123456"
    status = first["statuses"][0]
    assert (status["category"], status["code"]) == ("P3", "317")


def test_imsweb_277ca_rejected_against_raw_segments() -> None:
    doc = _only("imsweb__277_5010__x12_277CA_rejected.txt").to_dict()
    # ST*277*000001120*005010X214 / NM1*PR*2*NYSDOH*****FI*141797357
    assert (doc["variant"], doc["control_number"]) == ("277CA", "000001120")
    assert (doc["payer"]["name"], doc["payer"]["id"]) == ("NYSDOH", "141797357")
    assert doc["batch_statuses"][0]["category"] == "A1"  # STC*A1|20*20110311*WQ*199.14


def test_imsweb_999_rejected_against_raw_segments() -> None:
    doc = _only("imsweb__837_5010__x12_999_rejected.txt").to_dict()
    # AK1*HC*28*005010X223A2 / AK2*837*0028 / IK3*NM*17**1 / IK5*R*5 / AK9*R
    assert (doc["functional_id"], doc["group_control_number"]) == ("HC", "28")
    assert doc["status"] == "R" and doc["accepted"] == 0
    ts = doc["transactions"][0]
    assert (ts["set_id"], ts["control_number"], ts["status"]) == ("837", "0028", "R")
    assert ts["segments"][0]["segment_id"] == "NM"


def test_pyx12_999_accepted_against_raw_segments() -> None:
    doc = _only("pyx12__834_ls_le_ls_5010.999.txt").to_dict()
    # AK1*BE*146*005010X220A1 / AK2*834*146001*005010X220A1 / IK5*A / AK9*A*1*1*1
    assert (doc["functional_id"], doc["group_control_number"]) == ("BE", "146")
    assert (doc["status"], doc["included"], doc["received"], doc["accepted"]) == ("A", 1, 1, 1)
    assert doc["transactions"][0]["control_number"] == "146001"


def test_lfh_276_summary_against_raw_segments() -> None:
    result = parse_file(REALWORLD / "lfh__276_005010X212__claim-level-status.276")
    assert result.errors == []
    raw = (REALWORLD / "lfh__276_005010X212__claim-level-status.276").read_text()
    st = next(s for s in raw.replace("\n", "").split("~") if s.startswith("ST*"))
    (_, transactions), *_ = result.interchanges
    assert transactions[0].to_dict()["control_number"] == st.split("*")[2]


def test_stupidedi_multiple_claims_single_check_835_against_raw_segments() -> None:
    era = _only("stupidedi__005010X221A1_835__pass-multiple-claims-single-check.edi")
    # BPR*I*810.8*C*CHK************20140331 / TRN*1*12345*1512345678
    assert (era.payment.amount, era.payment.method) == (Decimal("810.8"), "CHK")
    assert era.payment.trace_number == "12345"
    # nine CLP*7722337*1*... whose CLP04 add up to the check
    assert len(era.claims) == 9
    assert [c.paid for c in era.claims][:3] == [Decimal("132"), Decimal("74"), Decimal("108")]
    assert sum(c.paid for c in era.claims) == era.payment.amount
    # CLP*7722337*1*1145*14*902*12*119932404007801
    fourth = era.claims[3]
    assert (fourth.charge, fourth.paid, fourth.patient_responsibility) == (
        Decimal("1145"), Decimal("14"), Decimal("902"))


def test_x12edi_271_rejected_subscriber_against_raw_segments() -> None:
    doc = _only("x12edi__fixtures__271_rejected_subscriber.x12").to_dict()
    # NM1*PR*2*DC MEDICAID*****PI*DCMEDICAID / NM1*IL*1*DOE*REJECTED****MI*000123452
    assert (doc["payer"]["name"], doc["payer"]["id"]) == ("DC MEDICAID", "DCMEDICAID")
    member = doc["members"][0]
    assert member["name"]["id"] == "000123452" and member["benefits"] == []
    # AAA*N**72*C
    (aaa,) = member["rejections"]
    assert (aaa["valid_request"], aaa["reason"], aaa["follow_up"]) == ("N", "72", "C")


def test_staedi_999_partial_against_raw_segments() -> None:
    doc = _only("staedi__x12__simple999.edi").to_dict()
    # AK1*HC*17456*005010X222 / AK2*837*0001 / IK5*A / AK2*837*0002 / IK3*CLM*22**8
    assert (doc["functional_id"], doc["group_control_number"]) == ("HC", "17456")
    first, second, _third = doc["transactions"]
    assert (first["control_number"], first["status"]) == ("0001", "A")
    assert second["segments"][0]["segment_id"] == "CLM"
    assert second["segments"][0]["elements"][0]["data_element"] == "782"  # IK4*2*782*1


def test_gainwell_271_batch_reads_every_transaction() -> None:
    path = REALWORLD / "x12edi__fixtures__gainwell_271_redacted.edi"
    result = parse_file(path)
    assert result.errors == []
    (_, transactions), *_ = result.interchanges
    raw_st = [s for s in _raw_segments(path) if s.startswith("ST*271*")]
    assert len(transactions) == len(raw_st) == 153
    assert [t.to_dict()["control_number"] for t in transactions] == [
        s.split("*")[2] for s in raw_st]
