"""Build 837 Professional claims (005010X222A1) from plain dataclasses.

Entry point: :func:`build_837p` (text of a whole interchange) or :func:`claim_837p_body`
(the segments between ST and SE).  Claims are grouped under billing-provider HL (20),
subscriber HL (22) and patient HL (23) with parent ids and child codes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from x12.build.common import (
    address_segments,
    amount,
    cas_segments,
    d8,
    dtp,
    modifiers_ok,
    nm1,
    require,
)
from x12.envelope import Envelope, Segment, serialize
from x12.models import Address, Adjustment, Party
from x12.values import x12_number

VERSION = "005010X222A1"


def _now() -> dt.datetime:
    """Default creation time: now, to the minute (callers may pass their own)."""
    return dt.datetime.now().replace(second=0, microsecond=0)


@dataclass(slots=True)
class Submitter:
    """Loop 1000A: who sends the file (e.g. the practice or its clearinghouse account)."""

    name: str
    id: str
    contact_name: str
    phone: str
    organization: bool = True
    first_name: str | None = None


@dataclass(slots=True)
class Receiver:
    """Loop 1000B: who receives the file (clearinghouse or payer)."""

    name: str
    id: str


@dataclass(slots=True)
class Provider:
    """A provider: billing (2010AA), rendering, referring, supervising or facility.

    ``name`` is the last name of a person or the organisation name.  Billing providers
    need ``address`` and ``ein`` or ``ssn``.
    """

    name: str
    npi: str
    first_name: str | None = None
    middle_name: str | None = None
    organization: bool = False
    taxonomy: str | None = None
    address: Address | None = None
    ein: str | None = None
    ssn: str | None = None
    contact_name: str | None = None
    phone: str | None = None

    def party(self) -> Party:
        return Party(self.name, self.first_name, self.middle_name, None, self.organization,
                     self.npi, "XX")


@dataclass(slots=True)
class Subscriber:
    """Loop 2010BA: the insured member."""

    member_id: str
    last_name: str
    first_name: str
    middle_name: str | None = None
    birth_date: dt.date | None = None
    gender: str = "U"  # F, M, U
    address: Address | None = None
    group_number: str | None = None
    group_name: str | None = None


@dataclass(slots=True)
class Patient:
    """Loop 2010CA: the patient when not the subscriber; ``relationship`` is PAT01."""

    last_name: str
    first_name: str
    birth_date: dt.date
    gender: str
    address: Address
    relationship: str = "19"  # 01 spouse, 19 child, 20 employee, 21 unknown, G8 other
    middle_name: str | None = None


@dataclass(slots=True)
class Payer:
    """Loop 2010BB (or 2330B): the payer; ``payer_id`` is NM109 (qualifier PI)."""

    name: str
    payer_id: str
    address: Address | None = None


@dataclass(slots=True)
class LineAdjudication:
    """Loop 2430: how another payer adjudicated this service line."""

    payer_id: str
    paid: Decimal
    adjudication_date: dt.date
    adjustments: list[Adjustment] = field(default_factory=list)
    procedure: str | None = None  # defaults to the line's procedure
    modifiers: tuple[str, ...] | None = None
    units: Decimal | None = None


@dataclass(slots=True)
class ServiceLine:
    """Loop 2400: one service line (SV1)."""

    procedure: str
    charge: Decimal
    service_date: dt.date
    units: Decimal = Decimal(1)
    modifiers: tuple[str, ...] = ()
    diagnosis_pointers: tuple[int, ...] = (1,)
    place_of_service: str | None = None  # only when different from the claim's
    line_control_number: str | None = None
    adjudications: list[LineAdjudication] = field(default_factory=list)


@dataclass(slots=True)
class OtherPayer:
    """Loops 2320/2330A/2330B: another payer of this claim and its adjudication."""

    payer: Payer
    subscriber: Subscriber
    responsibility: str = "P"  # SBR01 of the other payer: P, S, T...
    relationship: str = "18"  # patient's relationship to the other subscriber
    filing_indicator: str = "CI"
    paid: Decimal | None = None  # AMT*D
    adjustments: list[Adjustment] = field(default_factory=list)  # claim-level CAS
    adjudication_date: dt.date | None = None  # 2330B DTP*573 (when no line adjudication)
    remaining_patient_liability: Decimal | None = None  # AMT*EAF


# PWK01 report type codes and PWK02 transmission codes of the 837P (005010X222A1).
ATTACHMENT_REPORT_TYPES = frozenset({
    "03", "04", "05", "06", "07", "08", "09", "10", "11", "13", "15", "21", "A3", "A4", "AM",
    "AS", "B2", "B3", "B4", "BR", "BS", "BT", "CB", "CK", "CT", "D2", "DA", "DB", "DG", "DJ",
    "DS", "EB", "HC", "HR", "I5", "IR", "LA", "M1", "MT", "NN", "OB", "OC", "OD", "OE", "OX",
    "OZ", "P4", "P5", "PE", "PN", "PO", "PQ", "PY", "PZ", "RB", "RR", "RT", "RX", "SG", "V5",
    "XP",
})
ATTACHMENT_TRANSMISSIONS = frozenset({"AA", "BM", "EL", "EM", "FT", "FX"})
NOTE_CODES = frozenset({"ADD", "CER", "DCP", "DGN", "TPO"})


@dataclass(slots=True)
class Attachment:
    """Loop 2300 PWK: paperwork that goes with the claim (the records a payer asked for).

    ``control_number`` (PWK06, qualifier AC) is what the paper or file carries so the payer
    can match it to the claim; every transmission but AA (kept at the provider's office)
    needs one."""

    report_type: str  # PWK01, e.g. 09 progress report, OZ support data for claim
    transmission: str  # PWK02: BM mail, FX fax, EL electronically, EM email, FT, AA
    control_number: str | None = None  # PWK06


@dataclass(slots=True)
class Claim:
    """Loop 2300 with its subscriber/patient/payer context and service lines."""

    patient_control_number: str
    subscriber: Subscriber
    payer: Payer
    diagnoses: list[str]
    lines: list[ServiceLine]
    place_of_service: str = "11"
    frequency: str = "1"  # 1 original, 7 replacement, 8 void
    original_claim_number: str | None = None  # REF*F8, required for 7 and 8
    responsibility: str = "P"  # SBR01: P, S, T
    filing_indicator: str = "CI"  # SBR09
    patient: Patient | None = None  # None: the subscriber is the patient
    prior_authorization: str | None = None  # REF*G1
    attachments: list[Attachment] = field(default_factory=list)  # PWK, up to 10
    note: str | None = None  # NTE02, at most 80 characters
    note_code: str = "ADD"  # NTE01: ADD additional information
    provider_signature: bool = True
    assignment: str = "A"  # CLM07: A, B, C
    benefits_assignment: str = "Y"  # CLM08: Y, N, W
    release_of_information: str = "Y"  # CLM09: I, Y
    rendering: Provider | None = None  # 2310B
    referring: Provider | None = None  # 2310A
    service_facility: Provider | None = None  # 2310C (organization, with address)
    supervising: Provider | None = None  # 2310D
    other_payers: list[OtherPayer] = field(default_factory=list)
    billing_provider: Provider | None = None  # default: the batch's billing provider

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal(0))


@dataclass(slots=True)
class Batch837P:
    """Everything in one 837P transaction set."""

    submitter: Submitter
    receiver: Receiver
    billing_provider: Provider
    claims: list[Claim]
    reference_id: str = "0001"  # BHT03
    created: dt.datetime = field(default_factory=_now)
    pay_to_address: Address | None = None  # 2010AB, when it differs from the billing address
    production: bool = False  # BHT06 is always CH; ISA15 comes from the Envelope


def _person(code: str, p: Provider) -> Segment:
    return nm1(code, p.party())


def _subscriber_name(sub: Subscriber) -> Segment:
    return ["NM1", "IL", "1", sub.last_name, sub.first_name, sub.middle_name, None, None,
            "MI", sub.member_id]


def _check_claim(c: Claim, idx: int) -> None:
    where = f"claim {idx + 1} ({c.patient_control_number})"
    require(bool(c.patient_control_number) and len(c.patient_control_number) <= 38,
            f"{where}: patient control number must be 1-38 characters")
    require(1 <= len(c.lines) <= 50, f"{where}: a claim needs 1 to 50 service lines",
            found=len(c.lines))
    require(1 <= len(c.diagnoses) <= 12, f"{where}: a claim needs 1 to 12 diagnoses",
            found=len(c.diagnoses))
    require(c.frequency in ("1", "7", "8"), f"{where}: frequency must be 1, 7 or 8",
            found=c.frequency)
    if c.frequency in ("7", "8"):
        require(bool(c.original_claim_number),
                f"{where}: frequency {c.frequency} needs the payer's original claim number")
    require(c.responsibility in ("P", "S", "T", "A", "B", "C", "D", "E", "F", "G", "H", "U"),
            f"{where}: SBR01 payer responsibility code", found=c.responsibility)
    require(len(c.attachments) <= 10, f"{where}: at most 10 attachments (PWK)",
            found=len(c.attachments))
    for att in c.attachments:
        require(att.report_type in ATTACHMENT_REPORT_TYPES,
                f"{where}: PWK01 attachment report type code", found=att.report_type)
        require(att.transmission in ATTACHMENT_TRANSMISSIONS,
                f"{where}: PWK02 attachment transmission code", found=att.transmission)
        if att.transmission != "AA" or att.control_number:
            require(bool(att.control_number) and 2 <= len(att.control_number) <= 50,
                    f"{where}: PWK06 attachment control number must be 2-50 characters",
                    found=att.control_number)
    if c.note is not None:
        require(1 <= len(c.note) <= 80, f"{where}: NTE02 claim note must be 1-80 characters",
                found=len(c.note))
        require(c.note_code in NOTE_CODES, f"{where}: NTE01 note reference code",
                found=c.note_code)
    for n, line in enumerate(c.lines, start=1):
        require(isinstance(line.charge, Decimal), f"{where} line {n}: charge must be Decimal",
                expected="Decimal", found=type(line.charge).__name__)
        require(isinstance(line.units, Decimal | int), f"{where} line {n}: units must be Decimal",
                expected="Decimal", found=type(line.units).__name__)
        require(len(line.modifiers) <= 4 and modifiers_ok(line.modifiers),
                f"{where} line {n}: up to 4 two-character modifiers", found=line.modifiers)
        require(1 <= len(line.diagnosis_pointers) <= 4
                and all(1 <= p <= len(c.diagnoses) for p in line.diagnosis_pointers),
                f"{where} line {n}: diagnosis pointers must be 1-4 indexes into the diagnoses",
                found=line.diagnosis_pointers)
        require(line.units > 0, f"{where} line {n}: units must be positive", found=line.units)
        for adj in line.adjudications:
            require(any(op.payer.payer_id == adj.payer_id for op in c.other_payers),
                    f"{where} line {n}: adjudication payer id must match an other payer",
                    found=adj.payer_id)


def _require_zip4(addr: Address, who: str) -> None:
    """The guide wants a 9-digit ZIP (ZIP+4) in N403 of 2010AA and 2310C; pyx12 accepts 5
    digits there, but clearinghouses reject the claim, so refuse it here."""
    code = addr.postal_code or ""
    require(len(code) == 9 and code.isdigit(),
            f"{who} ZIP code must have 9 digits (ZIP+4, e.g. 941111234)",
            segment_id="N4", element=3, expected="9 digits", found=code)


def _billing_loop(bp: Provider, pay_to: Address | None) -> list[Segment]:
    require(bp.address is not None, "billing provider needs an address")
    _require_zip4(bp.address, "billing provider")
    require(bool(bp.ein) != bool(bp.ssn), "billing provider needs exactly one of ein or ssn")
    segs: list[Segment] = []
    if bp.taxonomy:
        segs.append(["PRV", "BI", "PXC", bp.taxonomy])
    segs.append(_person("85", bp))
    segs += address_segments(bp.address)
    segs.append(["REF", "EI", bp.ein] if bp.ein else ["REF", "SY", bp.ssn])
    if bp.contact_name or bp.phone:
        segs.append(["PER", "IC", bp.contact_name, "TE" if bp.phone else None, bp.phone])
    if pay_to is not None and pay_to != bp.address:
        segs.append(["NM1", "87", "2" if bp.organization else "1"])
        segs += address_segments(pay_to)
    return segs


def _claim_segments(c: Claim) -> list[Segment]:
    segs: list[Segment] = [[
        "CLM", c.patient_control_number, amount(c.total_charge), None, None,
        (c.place_of_service, "B", c.frequency), "Y" if c.provider_signature else "N",
        c.assignment, c.benefits_assignment, c.release_of_information,
    ]]
    # 2300 order: CLM, DTP, PWK, CN1, AMT, REF, K3, NTE, CR1..CRC, HI.
    for att in c.attachments:
        segs.append(["PWK", att.report_type, att.transmission, None, None,
                     "AC" if att.control_number else None, att.control_number or None])
    if c.prior_authorization:
        segs.append(["REF", "G1", c.prior_authorization])
    if c.frequency in ("7", "8"):
        segs.append(["REF", "F8", c.original_claim_number])
    if c.note:
        segs.append(["NTE", c.note_code, c.note])
    codes = [d.replace(".", "").strip().upper() for d in c.diagnoses]
    segs.append(["HI"] + [("ABK" if i == 0 else "ABF", code) for i, code in enumerate(codes)])
    if c.referring:
        segs.append(_person("DN", c.referring))
    if c.rendering:
        segs.append(_person("82", c.rendering))
        if c.rendering.taxonomy:
            segs.append(["PRV", "PE", "PXC", c.rendering.taxonomy])
    if c.service_facility:
        fac = c.service_facility
        require(fac.address is not None, "service facility needs an address")
        _require_zip4(fac.address, "service facility")
        segs.append(["NM1", "77", "2", fac.name, None, None, None, None,
                     "XX" if fac.npi else None, fac.npi or None])
        segs += address_segments(fac.address)
    if c.supervising:
        segs.append(_person("DQ", c.supervising))
    for op in c.other_payers:
        sub = op.subscriber
        segs.append(["SBR", op.responsibility, op.relationship, sub.group_number,
                     None if sub.group_number else sub.group_name, None, None, None, None,
                     op.filing_indicator])
        segs += cas_segments(op.adjustments)
        if op.paid is not None:
            segs.append(["AMT", "D", amount(op.paid)])
        if op.remaining_patient_liability is not None:
            segs.append(["AMT", "EAF", amount(op.remaining_patient_liability)])
        segs.append(["OI", None, None, c.benefits_assignment, None, None,
                     c.release_of_information])
        segs.append(_subscriber_name(sub))
        segs += address_segments(sub.address)
        segs.append(["NM1", "PR", "2", op.payer.name, None, None, None, None, "PI",
                     op.payer.payer_id])
        has_lines = any(a.payer_id == op.payer.payer_id for ln in c.lines
                        for a in ln.adjudications)
        if op.adjudication_date and not has_lines:
            segs.append(dtp("573", op.adjudication_date))
    for n, line in enumerate(c.lines, start=1):
        segs.append(["LX", str(n)])
        segs.append(["SV1", ("HC", line.procedure, *line.modifiers), amount(line.charge), "UN",
                     x12_number(line.units),
                     line.place_of_service if line.place_of_service != c.place_of_service
                     else None, None, tuple(str(p) for p in line.diagnosis_pointers)])
        segs.append(dtp("472", line.service_date))
        if line.line_control_number:
            segs.append(["REF", "6R", line.line_control_number])
        for adj in line.adjudications:
            mods = line.modifiers if adj.modifiers is None else adj.modifiers
            segs.append(["SVD", adj.payer_id, amount(adj.paid),
                         ("HC", adj.procedure or line.procedure, *mods), None,
                         x12_number(adj.units if adj.units is not None else line.units)])
            segs += cas_segments(adj.adjustments)
            segs.append(dtp("573", adj.adjudication_date))
    return segs


def claim_837p_body(batch: Batch837P) -> list[Segment]:
    """Segments between ST and SE for ``batch``."""
    require(len(batch.claims) > 0, "an 837P needs at least one claim")
    for i, c in enumerate(batch.claims):
        _check_claim(c, i)
    s = batch.submitter
    body: list[Segment] = [
        ["BHT", "0019", "00", batch.reference_id, d8(batch.created.date()),
         batch.created.strftime("%H%M"), "CH"],
        ["NM1", "41", "2" if s.organization else "1", s.name,
         None if s.organization else s.first_name, None, None, None, "46", s.id],
        ["PER", "IC", s.contact_name, "TE", s.phone],
        ["NM1", "40", "2", batch.receiver.name, None, None, None, None, "46",
         batch.receiver.id],
    ]
    # group: billing provider -> (subscriber, payer, self?) -> patient
    by_bp: dict[int, tuple[Provider, dict[tuple, list[Claim]]]] = {}
    for c in batch.claims:
        bp = c.billing_provider or batch.billing_provider
        _, subs = by_bp.setdefault(id(bp), (bp, {}))
        key = (repr(c.subscriber), repr(c.payer), c.responsibility, c.filing_indicator,
               c.patient is None)
        subs.setdefault(key, []).append(c)
    hl = 0
    for bp, subs in by_bp.values():
        hl += 1
        bp_hl = hl
        body.append(["HL", str(bp_hl), None, "20", "1"])
        body += _billing_loop(bp, batch.pay_to_address)
        for claims in subs.values():
            first = claims[0]
            is_self = first.patient is None
            hl += 1
            sub_hl = hl
            body.append(["HL", str(sub_hl), str(bp_hl), "22", "0" if is_self else "1"])
            sub = first.subscriber
            body.append(["SBR", first.responsibility, "18" if is_self else None,
                         sub.group_number, None if sub.group_number else sub.group_name,
                         None, None, None, None, first.filing_indicator])
            body.append(_subscriber_name(sub))
            # 2010BA N3/N4/DMG are sent only when the subscriber is the patient; for a
            # dependent the patient's own address and demographics go in 2010CA instead.
            if is_self:
                require(sub.address is not None and sub.birth_date is not None,
                        "a subscriber who is the patient needs address and birth date")
                body += address_segments(sub.address)
                body.append(["DMG", "D8", d8(sub.birth_date), sub.gender])
            body.append(["NM1", "PR", "2", first.payer.name, None, None, None, None, "PI",
                         first.payer.payer_id])
            body += address_segments(first.payer.address)
            if is_self:
                for c in claims:
                    body += _claim_segments(c)
                continue
            by_patient: dict[str, list[Claim]] = {}
            for c in claims:
                by_patient.setdefault(repr(c.patient), []).append(c)
            for pclaims in by_patient.values():
                pat = pclaims[0].patient
                assert pat is not None
                hl += 1
                body.append(["HL", str(hl), str(sub_hl), "23", "0"])
                body.append(["PAT", pat.relationship])
                body.append(["NM1", "QC", "1", pat.last_name, pat.first_name, pat.middle_name])
                body += address_segments(pat.address)
                body.append(["DMG", "D8", d8(pat.birth_date), pat.gender])
                for c in pclaims:
                    body += _claim_segments(c)
    return body


def build_837p(batch: Batch837P, envelope: Envelope) -> str:
    """Serialise ``batch`` as a complete 837P interchange (ISA..IEA)."""
    return serialize(envelope, "HC", VERSION, [claim_837p_body(batch)], "837")
