"""271, 277/277CA and 999 parsers; expected values read by hand from the fixture files."""

from __future__ import annotations

from decimal import Decimal

from x12.parse import parse_file
from x12.parse.ack_999 import parse_999
from x12.parse.benefits_271 import parse_271
from x12.parse.status_277 import parse_277
from x12.reader import X12Reader
from x12.tests.conftest import FIXTURES
from x12.tests.pyx12_check import pyx12_errors

D = Decimal


def parse(name: str, fn):
    reader = X12Reader(FIXTURES / name)
    return [fn(ts) for ts in reader], reader


def test_271_lfh_subscriber() -> None:
    (res,), reader = parse("271_lfh_subscriber.271", parse_271)
    assert reader.errors == []
    assert res.payer.name == "ABC COMPANY" and res.provider.id == "2000035"
    (m,) = res.members
    assert (m.role, m.coverage, m.plan) == ("subscriber", "active", "GOLD 123 PLAN")
    assert (m.party.name, m.party.first_name, m.party.id) == ("SMITH", "JOHN", "123456789")
    assert (m.party.address.line1, m.party.address.line2, m.party.address.city,
            m.party.address.state, m.party.address.postal_code) == (
        "15197 BROADWAY AVENUE", "APT 215", "KANSAS CITY", "MO", "64108")
    assert m.birth_date.isoformat() == "1963-05-19" and m.gender == "M"
    assert m.dates == {"346": "2006-01-01"}
    assert m.trace_numbers == ["93175-012547"]
    codes = [b.code for b in m.benefits]
    assert codes == ["1", "L", "1", "B", "B"]
    assert m.benefits[1].entities[0].name == "JONES"
    assert m.benefits[2].service_types == ["1", "33", "35", "47", "86", "88", "98", "AL", "MH",
                                           "UC"]
    copay_in = m.benefits[3].to_dict()
    assert (copay_in["meaning"], copay_in["amount"], copay_in["time_period_meaning"],
            copay_in["network"], copay_in["insurance_type"]) == (
        "Co-payment", "10.00", "Visit", "in", "HM")
    assert m.benefits[4].to_dict()["network"] == "out"
    assert m.benefits[4].amount == D("30.00")


def test_271_aaa_rejection_in_words() -> None:
    (res,), reader = parse("271_lfh_subscriber_error_AAA.271", parse_271)
    # this sample's SE02 (4323) does not match its ST02 (4321)
    assert [(e.segment_id, e.element) for e in reader.errors] == [("SE", 2)]
    assert res.members == []
    (rej,) = res.rejections
    assert rej.to_dict() == {"valid_request": "Y", "reason": "50",
                             "reason_meaning": "Provider ineligible for inquiries",
                             "follow_up": "N", "follow_up_meaning": "Resubmission not allowed",
                             "loop": "provider", "position": 9}


def test_271_dependent() -> None:
    (res,), _ = parse("271_lfh_dependent.271", parse_271)
    sub, dep = res.members
    assert sub.role == "subscriber" and sub.benefits == [] and sub.coverage == "unknown"
    assert (dep.role, dep.party.first_name, dep.coverage, dep.plan) == (
        "dependent", "MARY", "active", "GOLD 123 PLAN")
    assert dep.birth_date.isoformat() == "1998-10-14" and dep.gender == "F"


def test_271_own_mental_health_benefits() -> None:
    (full, inactive, rejected), reader = parse("271_own_mental_health.271", parse_271)
    assert reader.errors == []
    (m,) = full.members
    assert (m.coverage, m.plan, m.party.middle_name) == ("active", "SILVER PPO 2000", "Q")
    b = [x.to_dict() for x in m.benefits]
    assert [x["code"] for x in b] == ["1", "B", "B", "A", "C", "C", "G", "F"]
    assert [s["code"] for s in b[0]["service_types"]] == ["30", "MH"]
    assert b[0]["service_types"][1]["meaning"] == "Mental health"
    assert (b[1]["amount"], b[1]["network"], b[1]["authorization_required"],
            b[1]["coverage_level_meaning"]) == ("25.00", "in", False, "Individual")
    assert [s["meaning"] for s in b[1]["service_types"]] == ["Mental health", "Psychotherapy"]
    assert (b[2]["amount"], b[2]["network"]) == ("60.00", "out")
    assert (b[3]["meaning"], b[3]["percent"], b[3]["amount"]) == ("Co-insurance", "0.2", None)
    assert (b[4]["meaning"], b[4]["amount"], b[4]["time_period_meaning"]) == (
        "Deductible", "1500.00", "Calendar year")
    assert (b[5]["amount"], b[5]["time_period_meaning"], b[5]["dates"]) == (
        "1100.50", "Remaining", {"292": "2026-01-01/2026-12-31"})
    assert (b[6]["meaning"], b[6]["coverage_level"], b[6]["network"]) == (
        "Out of pocket (stop loss)", "FAM", "both")
    lim = b[7]
    assert (lim["meaning"], lim["authorization_required"]) == ("Limitations", True)
    assert lim["limits"][0]["qualifier_meaning"] == "Visits"
    assert (lim["limits"][0]["quantity"], lim["limits"][0]["time_period_meaning"]) == (
        "20", "Calendar year")
    assert lim["messages"] == ["PRIOR AUTHORIZATION REQUIRED AFTER 20 VISITS"]
    assert lim["entities"][0]["name"] == "SUNRISE BEHAVIORAL"
    (m2,) = inactive.members
    assert (m2.coverage, m2.benefits[0].messages) == (
        "inactive", ["COVERAGE TERMINATED 20251231"])
    (m3,) = rejected.members
    assert m3.coverage == "unknown"
    assert m3.rejections[0].to_dict()["reason_meaning"] == "Invalid/missing subscriber/insured ID"
    assert m3.rejections[0].to_dict()["follow_up_meaning"] == "Please correct and resubmit"


def test_999_pyx12_sample_accepted() -> None:
    (ack,), _ = parse("999_pyx12_834_ls_le_ls_5010.999.txt", parse_999)
    assert (ack.functional_id, ack.group_control_number, ack.status, ack.outcome) == (
        "BE", "146", "A", "accepted")
    assert [(t.set_id, t.control_number, t.outcome) for t in ack.transactions] == [
        ("834", "146001", "accepted")]


def test_999_own_partial() -> None:
    (ack,), _ = parse("999_own_partial.x12", parse_999)
    d = ack.to_dict()
    assert (d["outcome"], d["status_meaning"], d["included"], d["received"], d["accepted"]) == (
        "partially_accepted", "Partially accepted, at least one transaction set was rejected",
        3, 3, 2)
    t1, t2, t3 = d["transactions"]
    assert t1["outcome"] == "accepted" and t1["segments"] == []
    assert t2["outcome"] == "rejected"
    assert t2["errors"] == [{"code": "5", "meaning": "One or more segments in error"}]
    nm1, dtp = t2["segments"]
    assert (nm1["segment_id"], nm1["position"], nm1["loop_id"], nm1["meaning"],
            nm1["context"]) == ("NM1", "8", "2010", "Segment has data element errors",
                                ["CLM01:PCN-200"])
    assert nm1["elements"][0]["meaning"] == "Required data element missing"
    assert (dtp["elements"][0]["bad_value"], dtp["elements"][0]["meaning"]) == (
        "20261303", "Invalid date")
    assert (t3["outcome"], t3["status_meaning"]) == (
        "accepted_with_errors", "Accepted but errors were noted")
    assert t3["segments"][0]["elements"][0]["meaning"] == "Invalid code value"


def test_277ca_own() -> None:
    (res,), _ = parse("277CA_own_payer_response.x12", parse_277)
    assert res.is_acknowledgment
    assert res.payer.name == "SUNRISE HEALTH" and res.receiver.id == "SUB12345"
    assert [(s.category, s.code, s.entity) for s in res.batch_statuses] == [
        ("A1", "19", "PR"), ("A1", "19", "PR")]
    got = [(c.patient_control_number, c.payer_claim_number, c.statuses[0].category,
            c.statuses[0].code, c.charge, c.patient.name) for c in res.claims]
    assert got == [("PCN-100", "PAYCLM100", "A2", "20", D("200.5"), "DOE"),
                   ("PCN-200", None, "A7", "562", D("65"), "ROE"),
                   ("PCN-300", "PAYCLM300", "A2", "20", D("100"), "POE")]
    rejected = res.claims[1].to_dict()
    assert rejected["statuses"][0]["entity_meaning"] == "Billing provider"
    assert rejected["statuses"][0]["code_meaning"] == \
        "Entity's National Provider Identifier (NPI)"
    assert [(s["category"], s["code"]) for s in rejected["statuses"]] == [
        ("A7", "562"), ("A7", "187")]
    assert (rejected["service_start"], rejected["service_end"]) == ("2026-02-10", "2026-02-11")
    assert res.claims[0].provider.id == "1234567893"


def test_277_x212_status() -> None:
    (res,), _ = parse("277_own_X212_status.x12", parse_277)
    assert not res.is_acknowledgment
    c1, c2 = res.claims
    assert (c1.trace_number, c1.patient_control_number, c1.payer_claim_number) == (
        "T1", "PCN-100", "PAYCLM100")
    assert (c1.charge, c1.paid, c1.statuses[0].category, c1.statuses[0].code) == (
        D("180"), D("130"), "F1", "65")
    assert c1.statuses[0].to_dict()["category_meaning"] == \
        "Finalized/Payment - claim/line has been paid"
    assert (c1.service_start.isoformat(), c1.service_end.isoformat()) == (
        "2026-01-05", "2026-01-06")
    (line,) = c1.lines
    assert (line.procedure, line.charge, line.paid, line.control_number) == (
        "90837", D("180"), D("130"), "LINE1")
    assert (c2.patient_control_number, c2.statuses[0].category, c2.charge) == (
        "PCN-101", "P1", D("95"))
    assert c2.patient.first_name == "JANE"


def test_837_summary_of_reference_claim() -> None:
    d = parse_file(FIXTURES / "837P_lfh_ex2_dependent_X222A1_pyx12OK.x12").to_dict()
    (claim,) = d["interchanges"][0]["transactions"][0]["claims"]
    assert (claim["patient_control_number"], claim["charge"], claim["place_of_service"],
            claim["frequency"]) == ("26462967", "100.00", "11", "1")
    assert claim["diagnoses"] == ["0340", "V7389"]
    assert [(ln["procedure"], ln["charge"]) for ln in claim["lines"]] == [
        ("99213", "40.00"), ("87072", "15.00"), ("99214", "35.00"), ("86663", "10.00")]
    assert claim["subscriber"]["name"] == "SMITH"


def test_837_cob_reference_summary_and_pyx12_helper_sanity() -> None:
    good = FIXTURES / "837P_lfh_cob3B_X222A1_pyx12OK.x12"
    assert pyx12_errors(good.read_text()) == []
    # the helper does report problems: the NEG file has four known errors
    assert len(pyx12_errors((FIXTURES / "837P_NEG_4errors_derived.x12").read_text())) >= 4
    d = parse_file(good).to_dict()
    (claim,) = d["interchanges"][0]["transactions"][0]["claims"]
    assert (claim["patient_control_number"], claim["charge"]) == ("26407789", "79.04")
    assert claim["diagnoses"] == ["4779", "2724", "2780", "53081"]
    assert claim["patient"]["first_name"] == "TED"
    assert claim["billing_provider"]["name"] == "KILDARE"
