"""Build 835 health care claim payment/advice (005010X221A1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from x12.build.common import address_segments, amount, cas_segments, d8, require
from x12.envelope import Envelope, Segment, serialize
from x12.models import Address, Adjustment
from x12.values import x12_number

VERSION = "005010X221A1"


@dataclass(slots=True)
class RemitLine:
    """SVC loop 2110."""

    procedure: str
    charge: Decimal
    paid: Decimal
    service_date: dt.date
    units: Decimal = Decimal(1)
    modifiers: tuple[str, ...] = ()
    allowed: Decimal | None = None  # AMT*B6
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)  # LQ*HE
    control_number: str | None = None  # REF*6R


@dataclass(slots=True)
class RemitClaim:
    """CLP loop 2100."""

    patient_control_number: str
    status_code: str  # 1 processed as primary, 2 secondary, 4 denied, 22 reversal...
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    payer_claim_number: str
    patient_last_name: str
    patient_first_name: str
    member_id: str
    filing_indicator: str = "12"  # CLP06
    place_of_service: str = "11"  # CLP08 facility code
    frequency: str = "1"  # CLP09
    adjustments: list[Adjustment] = field(default_factory=list)
    lines: list[RemitLine] = field(default_factory=list)
    rendering_npi: str | None = None


@dataclass(slots=True)
class ProviderAdjustment:
    """One PLB adjustment; a positive amount reduces the payment."""

    reason: str  # e.g. WO overpayment recovery, L6 interest, FB forwarding balance
    amount: Decimal
    reference: str | None = None


@dataclass(slots=True)
class Remittance:
    """One payment (one 835 transaction set)."""

    payer_name: str
    payer_tax_id: str  # 9 digits; TRN03 is "1" + this
    payer_address: Address
    payer_contact_phone: str
    payee_name: str
    payee_npi: str
    payee_tax_id: str
    trace_number: str  # check or EFT trace number, TRN02
    payment_date: dt.date  # BPR16
    claims: list[RemitClaim]
    method: str = "ACH"  # BPR04: ACH, CHK, NON
    provider_adjustments: list[ProviderAdjustment] = field(default_factory=list)
    payment_amount: Decimal | None = None  # BPR02; computed when None
    payee_address: Address | None = None
    payer_id: str | None = None  # REF*2U
    fiscal_period_end: dt.date | None = None  # PLB02, defaults to Dec 31 of payment year
    production_date: dt.date | None = None  # DTM*405
    payer_routing: str = "999999999"
    payer_account: str = "123456789"
    payee_routing: str = "888888888"
    payee_account: str = "987654321"

    def computed_payment(self) -> Decimal:
        return (sum((c.paid for c in self.claims), Decimal(0))
                - sum((p.amount for p in self.provider_adjustments), Decimal(0)))


def remit_835_body(r: Remittance) -> list[Segment]:
    require(r.method in ("ACH", "CHK", "NON", "FWT", "BOP"), "BPR04 payment method",
            found=r.method)
    total = r.payment_amount if r.payment_amount is not None else r.computed_payment()
    handling = "H" if r.method == "NON" else "I"
    if r.method == "ACH":
        bpr: Segment = ["BPR", handling, amount(total), "C", "ACH", "CCP", "01",
                        r.payer_routing, "DA", r.payer_account, "1" + r.payer_tax_id, None,
                        "01", r.payee_routing, "DA", r.payee_account, d8(r.payment_date)]
    else:
        bpr = ["BPR", handling, amount(total), "C", r.method] + [None] * 11 + [
            d8(r.payment_date)]
    body: list[Segment] = [bpr, ["TRN", "1", r.trace_number, "1" + r.payer_tax_id]]
    if r.production_date:
        body.append(["DTM", "405", d8(r.production_date)])
    body.append(["N1", "PR", r.payer_name])
    body += address_segments(r.payer_address)
    if r.payer_id:
        body.append(["REF", "2U", r.payer_id])
    body.append(["PER", "BL", "EDI SUPPORT", "TE", r.payer_contact_phone])
    body.append(["N1", "PE", r.payee_name, "XX", r.payee_npi])
    body += address_segments(r.payee_address)
    body.append(["REF", "TJ", r.payee_tax_id])
    if r.claims:
        body.append(["LX", "1"])
    for c in r.claims:
        body.append(["CLP", c.patient_control_number, c.status_code, amount(c.charge),
                     amount(c.paid),
                     None if c.patient_responsibility is None
                     else amount(c.patient_responsibility),
                     c.filing_indicator, c.payer_claim_number, c.place_of_service,
                     c.frequency])
        body += cas_segments(c.adjustments)
        body.append(["NM1", "QC", "1", c.patient_last_name, c.patient_first_name, None, None,
                     None, "MI", c.member_id])
        if c.rendering_npi:
            body.append(["NM1", "82", "2", r.payee_name, None, None, None, None, "XX",
                         c.rendering_npi])
        for ln in c.lines:
            body.append(["SVC", ("HC", ln.procedure, *ln.modifiers), amount(ln.charge),
                         amount(ln.paid), None, x12_number(ln.units)])
            body.append(["DTM", "472", d8(ln.service_date)])
            body += cas_segments(ln.adjustments)
            if ln.control_number:
                body.append(["REF", "6R", ln.control_number])
            if ln.allowed is not None:
                body.append(["AMT", "B6", amount(ln.allowed)])
            for code in ln.remarks:
                body.append(["LQ", "HE", code])
    plbs = r.provider_adjustments
    fiscal = r.fiscal_period_end or dt.date(r.payment_date.year, 12, 31)
    for i in range(0, len(plbs), 6):
        seg: Segment = ["PLB", r.payee_npi, d8(fiscal)]
        for p in plbs[i:i + 6]:
            seg += [(p.reason, p.reference) if p.reference else p.reason, amount(p.amount)]
        body.append(seg)
    return body


def build_835(remittances: Remittance | list[Remittance], envelope: Envelope) -> str:
    """Serialise one or more payments (one transaction set each) in one interchange."""
    items = remittances if isinstance(remittances, list) else [remittances]
    return serialize(envelope, "HP", VERSION, [remit_835_body(r) for r in items], "835",
                     st03=False)
