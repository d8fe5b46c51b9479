"""837P builder: every file built here is validated by pyx12 4.0.0."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from x12.build.claim_837p import (
    Attachment,
    Claim,
    LineAdjudication,
    OtherPayer,
    Patient,
    Payer,
    Provider,
    ServiceLine,
    Subscriber,
    build_837p,
)
from x12.delimiters import Delimiters
from x12.errors import BuildError
from x12.models import Address, Adjustment
from x12.parse import parse_file
from x12.parse.era_835 import ClaimEvent, stream_835
from x12.reader import X12Reader
from x12.tests import factories as f
from x12.tests.conftest import FIXTURES
from x12.tests.pyx12_check import assert_pyx12_valid, pyx12_errors

D = Decimal


def test_simple_claim_is_valid_and_isa_fixed_width() -> None:
    text = build_837p(f.batch(), f.envelope())
    assert_pyx12_valid(text)
    assert text.index("GS*") == 106
    assert text[105] == "~"
    assert "SV1*HC:90837:95*180*UN*1***1:2~" in text
    assert "HI*ABK:F411*ABF:F331~" in text
    r = X12Reader.from_text(text)
    assert len(list(r)) == 1 and r.errors == []


def test_many_claims_hl_tree() -> None:
    claims = [f.simple_claim("A1"), f.secondary_claim("B1"), f.simple_claim("A2"),
              f.secondary_claim("B2")]
    text = build_837p(f.batch(claims), f.envelope())
    assert_pyx12_valid(text)
    hls = [s for s in text.split("~") if s.startswith("HL*")]
    # billing provider, subscriber (self) with A1 and A2, subscriber with dependent patient
    assert hls == ["HL*1**20*1", "HL*2*1*22*0", "HL*3*1*22*1", "HL*4*3*23*0"]
    summary = parse_file(text.encode()).to_dict()["interchanges"][0]["transactions"][0]
    assert [c["patient_control_number"] for c in summary["claims"]] == ["A1", "A2", "B1", "B2"]


def test_individual_billing_provider_with_ssn_pay_to_and_all_providers() -> None:
    b = f.batch([f.simple_claim(
        "P3", frequency="8", original_claim_number="ORIG1", prior_authorization="AUTH9",
        rendering=f.billing_provider(False), supervising=f.billing_provider(False),
        referring=f.billing_provider(False), service_facility=f.billing_provider(True))],
        organization=False)
    b.pay_to_address = Address("PO BOX 55", "SPRINGFIELD", "IL", "627015555")
    text = build_837p(b, f.envelope())
    assert_pyx12_valid(text)
    for piece in ("NM1*85*1*RIVERA*ANA****XX*1234567893~", "REF*SY*123456789~",
                  "NM1*87*1~", "REF*F8*ORIG1~", "REF*G1*AUTH9~", "CLM*P3*180***11:B:8*Y*A*Y*Y~",
                  "NM1*DN*1*", "NM1*82*1*", "PRV*PE*PXC*1041C0700X~", "NM1*77*2*", "NM1*DQ*1*"):
        assert piece in text


def test_secondary_claim_with_2320_2330_2430() -> None:
    text = build_837p(f.batch([f.secondary_claim()]), f.envelope())
    assert_pyx12_valid(text)
    for piece in ("SBR*S**GRP001******CI~", "SBR*P*18*GRP001******CI~", "AMT*D*80~",
                  "NM1*PR*2*BIG PRIMARY INS*****PI*BIGP1~", "SVD*BIGP1*80*HC:90834**1~",
                  "CAS*CO*45*40~", "CAS*PR*2*30~", "DTP*573*D8*20260120~", "PAT*19~"):
        assert piece in text


def test_data_containing_a_delimiter_is_refused() -> None:
    claim = f.simple_claim("PCN*1")
    with pytest.raises(BuildError) as exc:
        build_837p(f.batch([claim]), f.envelope())
    assert exc.value.segment_id == "CLM" and exc.value.element == 1
    assert "delimiter" in str(exc.value)
    sub = dataclasses.replace(f.subscriber(), last_name="O:BRIEN")
    with pytest.raises(BuildError):
        build_837p(f.batch([f.simple_claim(subscriber=sub)]), f.envelope())


def test_other_delimiters() -> None:
    env = f.envelope(delimiters=Delimiters("|", "{", ">", "~"), line_breaks=True)
    text = build_837p(f.batch(), env)
    assert "SV1|HC>90837>95|180|UN|1|||1>2~\n" in text
    assert_pyx12_valid(text)


@pytest.mark.parametrize(("change", "message"), [
    ({"frequency": "7"}, "original claim number"),
    ({"frequency": "5"}, "frequency"),
    ({"diagnoses": [f"F{i:02d}" for i in range(13)]}, "12 diagnoses"),
    ({"diagnoses": []}, "12 diagnoses"),
    ({"lines": []}, "service lines"),
])
def test_invalid_claims_raise_build_error(change: dict, message: str) -> None:
    with pytest.raises(BuildError, match=message):
        build_837p(f.batch([f.simple_claim(**change)]), f.envelope())


def test_bad_line_inputs() -> None:
    line = ServiceLine("90837", D("100"), dt.date(2026, 1, 1), modifiers=("95", "GT", "HO",
                                                                          "U1", "U2"))
    with pytest.raises(BuildError, match="modifiers"):
        build_837p(f.batch([f.simple_claim(lines=[line])]), f.envelope())
    line = ServiceLine("90837", D("100"), dt.date(2026, 1, 1), diagnosis_pointers=(3,))
    with pytest.raises(BuildError, match="pointers"):
        build_837p(f.batch([f.simple_claim(lines=[line])]), f.envelope())
    line = ServiceLine("90837", 100.0, dt.date(2026, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(BuildError, match="Decimal"):
        build_837p(f.batch([f.simple_claim(lines=[line])]), f.envelope())


def test_sender_id_too_long() -> None:
    with pytest.raises(BuildError, match="sender id"):
        build_837p(f.batch(), f.envelope(sender_id="X" * 16))


# ---- Hypothesis: random claims, all accepted by pyx12 ------------------------------------

NAMES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=12)
IDS = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789", min_size=3, max_size=12)
MONEY = st.integers(min_value=1, max_value=500_00).map(lambda c: D(c) / 100)
CPT = st.sampled_from(["90791", "90832", "90834", "90837", "90846", "90847", "90853",
                       "96127", "H0031", "H2019"])
MODS = st.lists(st.sampled_from(["95", "GT", "HO", "HN", "U1", "GQ", "59", "25"]),
                max_size=4, unique=True).map(tuple)
DX = st.sampled_from(["F41.1", "F33.1", "F43.23", "F90.0", "F32.A", "F40.10", "F84.0",
                      "F42.2", "F50.01", "F31.81", "F60.3", "F43.10", "Z63.0", "F51.01"])
DATES = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2026, 12, 31))


@st.composite
def claims(draw: st.DrawFn, pcn: str) -> Claim:
    diagnoses = draw(st.lists(DX, min_size=1, max_size=12, unique=True))
    n_lines = draw(st.integers(1, 4))
    secondary = draw(st.booleans())
    lines = []
    for _ in range(n_lines):
        charge = draw(MONEY)
        pointers = tuple(draw(st.lists(st.integers(1, len(diagnoses)), min_size=1, max_size=4,
                                       unique=True)))
        adjud = []
        if secondary and draw(st.booleans()):
            paid = (charge * D("0.6")).quantize(D("0.01"))
            adjud = [LineAdjudication("PRIM1", paid, draw(DATES),
                                      [Adjustment("CO", "45", charge - paid)])]
        lines.append(ServiceLine(draw(CPT), charge, draw(DATES),
                                 units=D(draw(st.integers(1, 4))), modifiers=draw(MODS),
                                 diagnosis_pointers=pointers, adjudications=adjud))
    sub = Subscriber(draw(IDS), draw(NAMES), draw(NAMES), birth_date=draw(DATES),
                     gender=draw(st.sampled_from("FMU")), address=f.HOME,
                     group_number=draw(st.none() | IDS))
    patient = None
    if draw(st.booleans()):
        patient = Patient(draw(NAMES), draw(NAMES), draw(DATES), draw(st.sampled_from("FM")),
                          f.HOME, draw(st.sampled_from(["01", "19", "G8", "20"])))
    freq = draw(st.sampled_from(["1", "7", "8"]))
    others = []
    if secondary:
        others = [OtherPayer(Payer("PRIMARY PLAN", "PRIM1"), sub,
                             paid=sum((a.paid for ln in lines for a in ln.adjudications),
                                      D(0)),
                             adjustments=[Adjustment("PR", "1", D("10.00"))]
                             if draw(st.booleans()) else [],
                             adjudication_date=draw(DATES))]
    return Claim(
        patient_control_number=pcn, subscriber=sub, payer=f.payer(), diagnoses=diagnoses,
        lines=lines, frequency=freq, original_claim_number="ORIG" + pcn if freq != "1" else None,
        responsibility="S" if secondary else "P", patient=patient,
        prior_authorization=draw(st.none() | IDS),
        filing_indicator=draw(st.sampled_from(["CI", "BL", "MB", "MC", "HM"])),
        rendering=f.billing_provider(False) if draw(st.booleans()) else None,
        supervising=f.billing_provider(False) if draw(st.booleans()) else None,
        referring=f.billing_provider(False) if draw(st.booleans()) else None,
        service_facility=f.billing_provider(True) if draw(st.booleans()) else None,
        other_payers=others)


@st.composite
def batches(draw: st.DrawFn):
    n = draw(st.integers(1, 3))
    return f.batch([draw(claims(f"PCN{i}")) for i in range(n)],
                   organization=draw(st.booleans()))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_generated_claims_pass_pyx12(batch) -> None:
    text = build_837p(batch, f.envelope())
    errors = pyx12_errors(text)
    assert errors == [], "\n".join(errors) + "\n" + text.replace("~", "~\n")
    parsed = parse_file(text.encode())
    assert parsed.errors == []
    claims_out = parsed.to_dict()["interchanges"][0]["transactions"][0]["claims"]
    assert sorted(c["patient_control_number"] for c in claims_out) == sorted(
        c.patient_control_number for c in batch.claims)


def test_twelve_diagnoses_four_modifiers_four_pointers() -> None:
    dx = ["F41.1", "F33.1", "F43.23", "F90.0", "F32.A", "F40.10", "F84.0", "F42.2", "F50.01",
          "F31.81", "F60.3", "Z63.0"]
    line = ServiceLine("90837", D("200.00"), dt.date(2026, 1, 5),
                       modifiers=("95", "GT", "HO", "U1"), diagnosis_pointers=(1, 5, 9, 12))
    claim = f.simple_claim(diagnoses=dx, lines=[line], supervising=f.billing_provider(False))
    text = build_837p(f.batch([claim]), f.envelope())
    assert_pyx12_valid(text)
    assert "HI*ABK:F411*ABF:F331*ABF:F4323*ABF:F900*ABF:F32A*ABF:F4010*ABF:F840*ABF:F422*" \
           "ABF:F5001*ABF:F3181*ABF:F603*ABF:Z630~" in text
    assert "SV1*HC:90837:95:GT:HO:U1*200*UN*1***1:5:9:12~" in text


def test_streaming_835_matches_full_parse() -> None:
    path = FIXTURES / "835_own_unbalanced.835"
    events = list(stream_835(path))
    claims = [e for e in events if isinstance(e, ClaimEvent)]
    assert [c.claim.patient_control_number for c in claims] == ["PCN-300", "PCN-301"]
    assert [b.level for b in claims[0].balance_errors] == ["line", "claim"]
    assert claims[1].balance_errors == []
    rem = events[-1]
    assert rem.claim_count == 2 and rem.claims == []
    assert [b.level for b in rem.balance_errors] == ["transaction"]


# ---- ZIP+4 for the billing provider and service facility; 2010BA only for the patient ----


def _segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def _loop_2010ba(text: str) -> list[str]:
    """Segments from NM1*IL (2010BA) up to the payer's NM1*PR (2010BB)."""
    segs = _segments(text)
    start = next(i for i, s in enumerate(segs) if s.startswith("NM1*IL*"))
    end = next(i for i in range(start, len(segs)) if segs[i].startswith("NM1*PR*"))
    return segs[start:end]


@pytest.mark.parametrize("zip_code", ["94111", "9411112", "94111-1234", "", "94111123X"])
def test_billing_provider_zip_must_be_zip4(zip_code: str) -> None:
    b = f.batch()
    b.billing_provider = dataclasses.replace(
        b.billing_provider, address=Address("1 MARKET ST", "SAN FRANCISCO", "CA", zip_code))
    with pytest.raises(BuildError, match=r"billing provider ZIP code must have 9 digits") as exc:
        build_837p(b, f.envelope())
    assert (exc.value.segment_id, exc.value.element, exc.value.found) == ("N4", 3, zip_code)


def test_service_facility_zip_must_be_zip4() -> None:
    facility = dataclasses.replace(
        f.billing_provider(True), address=Address("1 MARKET ST", "SAN FRANCISCO", "CA", "94111"))
    with pytest.raises(BuildError, match=r"service facility ZIP code must have 9 digits"):
        build_837p(f.batch([f.simple_claim(service_facility=facility)]), f.envelope())


def test_zip4_billing_provider_and_facility_are_sent_and_valid() -> None:
    addr = Address("1 MARKET ST", "SAN FRANCISCO", "CA", "941111234")
    b = f.batch([f.simple_claim(service_facility=dataclasses.replace(
        f.billing_provider(True), address=addr))])
    b.billing_provider = dataclasses.replace(b.billing_provider, address=addr)
    text = build_837p(b, f.envelope())
    assert_pyx12_valid(text)
    assert _segments(text).count("N4*SAN FRANCISCO*CA*941111234") == 2


def test_subscriber_who_is_patient_has_address_and_demographics_in_2010ba() -> None:
    text = build_837p(f.batch([f.simple_claim()]), f.envelope())
    assert_pyx12_valid(text)
    assert "SBR*P*18*GRP001******CI" in _segments(text)
    assert _loop_2010ba(text) == ["NM1*IL*1*DOE*JANE****MI*W123456789", "N3*9 ELM ST",
                                  "N4*SPRINGFIELD*IL*62702", "DMG*D8*19800517*F"]


def test_dependent_claim_has_no_subscriber_address_or_demographics() -> None:
    claim = dataclasses.replace(
        f.simple_claim("DEP1"),
        patient=Patient("DOE", "TIMMY", dt.date(2012, 3, 4), "M",
                        Address("77 OAK AVE", "SPRINGFIELD", "IL", "62704")))
    text = build_837p(f.batch([claim]), f.envelope())
    assert_pyx12_valid(text)
    segs = _segments(text)
    assert "SBR*P**GRP001******CI" in segs and "HL*3*2*23*0" in segs
    assert _loop_2010ba(text) == ["NM1*IL*1*DOE*JANE****MI*W123456789"]
    # the patient's own address and demographics are in 2010CA
    qc = segs.index("NM1*QC*1*DOE*TIMMY")
    assert segs[qc + 1:qc + 4] == ["N3*77 OAK AVE", "N4*SPRINGFIELD*IL*62704",
                                   "DMG*D8*20120304*M"]
    assert segs.count("DMG*D8*19800517*F") == 0


def test_837_summary_has_addresses() -> None:
    facility = Provider("CALM MIND ANNEX", "1234567893", organization=True,
                        address=Address("500 PINE ST", "SAN FRANCISCO", "CA", "941082222",
                                        "FLOOR 2"))
    dependent = dataclasses.replace(
        f.simple_claim("DEP2", service_facility=facility),
        patient=Patient("DOE", "TIMMY", dt.date(2012, 3, 4), "M",
                        Address("77 OAK AVE", "SPRINGFIELD", "IL", "62704")))
    text = build_837p(f.batch([f.simple_claim("SELF1"), dependent]), f.envelope())
    assert_pyx12_valid(text)
    tx = parse_file(text.encode()).to_dict()["interchanges"][0]["transactions"][0]
    own, dep = tx["claims"]
    office = Address("123 MAIN ST", "SPRINGFIELD", "IL", "627011234", "SUITE 4").to_dict()
    home = Address("9 ELM ST", "SPRINGFIELD", "IL", "62702").to_dict()
    assert own["billing_provider"]["address"] == office
    assert own["subscriber"]["address"] == home
    assert own["patient"]["address"] == home
    assert own["service_facility"] is None
    assert dep["billing_provider"]["address"] == office
    assert dep["subscriber"]["address"] is None  # 2010BA has no N3/N4 for a dependent
    assert dep["patient"]["address"] == Address(
        "77 OAK AVE", "SPRINGFIELD", "IL", "62704").to_dict()
    assert dep["service_facility"]["name"] == "CALM MIND ANNEX"
    assert dep["service_facility"]["address"] == Address(
        "500 PINE ST", "SAN FRANCISCO", "CA", "941082222", "FLOOR 2").to_dict()
    # payer and pay-to addresses are not taken for anyone's
    assert "PO BOX 100" not in str(tx)


# --- loop 2300 PWK (attachments), NTE (claim note), REF*G1 and a replacement's REF*F8 --------
def _replacement(**kw: object) -> Claim:
    base: dict = dict(
        frequency="7", original_claim_number="PAYER-777", prior_authorization="AUTH5521",
        attachments=[Attachment("09", "FX", "OA0000001A1"), Attachment("OZ", "EL", "ATT-2"),
                     Attachment("03", "AA")],
        note="PROGRESS NOTES FAXED, CONTROL OA0000001A1")
    base.update(kw)
    return f.simple_claim("OA0000001A", **base)


def test_replacement_with_attachments_note_and_authorization_passes_pyx12() -> None:
    text = build_837p(f.batch([_replacement()]), f.envelope())
    assert_pyx12_valid(text)
    segments = text.split("~")
    clm = next(i for i, s in enumerate(segments) if s.startswith("CLM*"))
    assert segments[clm].split("*")[5] == "11:B:7"
    assert segments[clm + 1:clm + 8] == [
        "PWK*09*FX***AC*OA0000001A1", "PWK*OZ*EL***AC*ATT-2", "PWK*03*AA",
        "REF*G1*AUTH5521", "REF*F8*PAYER-777", "NTE*ADD*PROGRESS NOTES FAXED, CONTROL OA0000001A1",
        "HI*ABK:F411*ABF:F331"]


def test_every_attachment_code_we_offer_passes_pyx12() -> None:
    for report in ("03", "06", "08", "09", "10", "B4", "CK", "CT", "EB", "M1", "OZ", "PY"):
        for how in ("BM", "EL", "EM", "FT", "FX"):
            text = build_837p(f.batch([_replacement(
                attachments=[Attachment(report, how, "CTRL01")], note=None)]), f.envelope())
            assert pyx12_errors(text) == [], (report, how)


@pytest.mark.parametrize(("change", "message"), [
    ({"attachments": "bad-type"}, "PWK01"),
    ({"attachments": "bad-how"}, "PWK02"),
    ({"attachments": "no-number"}, "PWK06"),
    ({"note": ""}, "NTE02"),
    ({"note": "X" * 81}, "NTE02"),
])
def test_bad_attachments_and_notes_are_refused(change: dict, message: str) -> None:
    bad = {"bad-type": [Attachment("ZZ", "FX", "CTRL01")],
           "bad-how": [Attachment("09", "XX", "CTRL01")],
           "no-number": [Attachment("09", "FX")]}
    if "attachments" in change:
        change = {"attachments": bad[change["attachments"]]}
    with pytest.raises(BuildError, match=message):
        build_837p(f.batch([_replacement(**change)]), f.envelope())
