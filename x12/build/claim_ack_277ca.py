"""Build 277CA claim acknowledgments (005010X214)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from x12.build.common import amount, d8, dtp, require
from x12.envelope import Envelope, Segment, serialize

VERSION = "005010X214"


def _now() -> dt.datetime:
    """Default creation time: now, to the minute (callers may pass their own)."""
    return dt.datetime.now().replace(second=0, microsecond=0)


@dataclass(slots=True)
class ClaimStatus:
    """One claim's acknowledgment (loop 2200D)."""

    patient_control_number: str  # TRN02
    category: str  # STC01-1, e.g. A1, A2 (accepted), A3 (returned), A7 (rejected)
    status: str  # STC01-2, e.g. 20 accepted for processing, 21 missing/invalid info
    charge: Decimal  # STC04
    patient_last_name: str
    patient_first_name: str
    member_id: str
    service_from: dt.date
    service_to: dt.date | None = None
    entity: str | None = None  # STC01-3
    payer_claim_number: str | None = None  # REF*1K
    status_date: dt.date | None = None  # STC02; defaults to the batch's processed date
    billing_provider_name: str | None = None  # grouping key; default: the batch's
    billing_provider_npi: str | None = None


@dataclass(slots=True)
class ClaimAcknowledgment:
    payer_name: str
    payer_id: str
    receiver_name: str  # 2100B information receiver (submitter)
    receiver_id: str
    billing_provider_name: str
    billing_provider_npi: str
    claims: list[ClaimStatus]
    received_date: dt.date
    processed_date: dt.date
    trace_number: str = "1"  # 2200A TRN02 / 2200B TRN02
    reference_id: str = "0001"
    created: dt.datetime = field(default_factory=_now)


def _accepted(c: ClaimStatus) -> bool:
    return c.category in ("A1", "A2")


def claim_ack_277ca_body(ack: ClaimAcknowledgment) -> list[Segment]:
    require(len(ack.claims) > 0, "a 277CA needs at least one claim")
    accepted = [c for c in ack.claims if _accepted(c)]
    rejected = [c for c in ack.claims if not _accepted(c)]
    body: list[Segment] = [
        ["BHT", "0085", "08", ack.reference_id, d8(ack.created.date()),
         ack.created.strftime("%H%M"), "TH"],
        ["HL", "1", None, "20", "1"],
        ["NM1", "PR", "2", ack.payer_name, None, None, None, None, "PI", ack.payer_id],
        ["TRN", "1", ack.trace_number],
        ["DTP", "050", "D8", d8(ack.received_date)],
        ["DTP", "009", "D8", d8(ack.processed_date)],
        ["HL", "2", "1", "21", "1"],
        ["NM1", "41", "2", ack.receiver_name, None, None, None, None, "46", ack.receiver_id],
        ["TRN", "2", ack.trace_number],
        ["STC", ("A1", "19", "PR"), d8(ack.processed_date), "WQ",
         amount(sum((c.charge for c in ack.claims), Decimal(0)))],
        ["QTY", "90", str(len(accepted))] if accepted else None,
        ["QTY", "AA", str(len(rejected))] if rejected else None,
        ["AMT", "YU", amount(sum((c.charge for c in accepted), Decimal(0)))]
        if accepted else None,
        ["AMT", "YY", amount(sum((c.charge for c in rejected), Decimal(0)))]
        if rejected else None,
    ]
    body = [s for s in body if s is not None]
    groups: dict[tuple[str, str], list[ClaimStatus]] = {}
    for c in ack.claims:
        key = (c.billing_provider_name or ack.billing_provider_name,
               c.billing_provider_npi or ack.billing_provider_npi)
        groups.setdefault(key, []).append(c)
    hl = 2
    for (name, npi), claims in groups.items():
        hl += 1
        prov_hl = hl
        body += [["HL", str(prov_hl), "2", "19", "1"],
                 ["NM1", "85", "2", name, None, None, None, None, "XX", npi],
                 ["TRN", "1", ack.trace_number]]
        acc = [c for c in claims if _accepted(c)]
        rej = [c for c in claims if not _accepted(c)]
        body.append(["STC", ("A1", "19", "PR"), None, "WQ",
                     amount(sum((c.charge for c in claims), Decimal(0)))])
        if acc:
            body.append(["QTY", "QA", str(len(acc))])
        if rej:
            body.append(["QTY", "QC", str(len(rej))])
        if acc:
            body.append(["AMT", "YU", amount(sum((c.charge for c in acc), Decimal(0)))])
        if rej:
            body.append(["AMT", "YY", amount(sum((c.charge for c in rej), Decimal(0)))])
        for c in claims:
            hl += 1
            body += [
                ["HL", str(hl), str(prov_hl), "PT"],
                ["NM1", "QC", "1", c.patient_last_name, c.patient_first_name, None, None,
                 None, "MI", c.member_id],
                ["TRN", "2", c.patient_control_number],
                ["STC", (c.category, c.status, c.entity),
                 d8(c.status_date or ack.processed_date),
                 "WQ" if _accepted(c) else "U", amount(c.charge)],
            ]
            if c.payer_claim_number:
                body.append(["REF", "1K", c.payer_claim_number])
            body.append(dtp("472", c.service_from, c.service_to))
    return body


def build_277ca(ack: ClaimAcknowledgment, envelope: Envelope) -> str:
    return serialize(envelope, "HN", VERSION, [claim_ack_277ca_body(ack)], "277")
