"""Light summaries of provider-side transactions (837P, 270, 276) for `python -m x12 parse`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from x12.models import Party
from x12.parse.common import add_n3, add_n4, dec, el, opt_dec, party_from_nm1
from x12.reader import TransactionSet
from x12.values import fmt_amount


@dataclass(slots=True)
class Summary:
    """A JSON-able summary; ``data`` already holds plain types."""

    set_id: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.set_id, **self.data}


def _party_dict(party: Party | None) -> dict[str, Any] | None:
    return party.to_dict() if party is not None else None


def summarize_837(ts: TransactionSet) -> Summary:
    """Claims with their billing provider, subscriber, patient and service facility, each
    with its address (N3/N4 of 2010AA, 2010BA, 2010CA and 2310C) when the file has one."""
    comp = ts.delimiters.component
    claims: list[dict[str, Any]] = []
    parties: list[tuple[dict[str, Any], dict[str, Party | None]]] = []
    claim: dict[str, Any] | None = None
    line: dict[str, Any] | None = None
    billing: Party | None = None
    subscriber: Party | None = None
    patient: Party | None = None
    current: Party | None = None  # the party the next N3/N4 belong to
    in_2320 = False
    pos = ts.start_position
    for els in ts.segments:
        sid = els[0]
        if sid == "HL":
            claim = line = current = None
            in_2320 = False
            if el(els, 3) == "22":
                patient = None
        elif sid == "NM1":
            code = el(els, 1)
            current = None
            if in_2320:
                pass  # 2330A-G: other payer's subscriber and providers
            elif claim is None and code in ("85", "IL", "QC"):
                current = party_from_nm1(els)
                if code == "85":
                    billing = current
                elif code == "IL":
                    subscriber = current
                else:
                    patient = current
            elif claim is not None and code == "77":
                current = party_from_nm1(els)
                parties[-1][1]["service_facility"] = current
        elif sid == "N3":
            add_n3(current, els)
        elif sid == "N4":
            add_n4(current, els)
        elif sid == "CLM":
            parts = el(els, 5).split(comp)
            claim = {"patient_control_number": el(els, 1),
                     "charge": fmt_amount(dec(els, 2, pos)),
                     "place_of_service": parts[0],
                     "frequency": parts[2] if len(parts) > 2 else None,
                     "diagnoses": [], "billing_provider": None, "subscriber": None,
                     "patient": None, "service_facility": None, "references": {},
                     "lines": []}
            claims.append(claim)
            parties.append((claim, {"billing_provider": billing, "subscriber": subscriber,
                                    "patient": patient or subscriber,
                                    "service_facility": None}))
            line = current = None
            in_2320 = False
        elif claim is None:
            pass
        elif sid == "SBR":
            in_2320 = True
            current = None
        elif sid == "HI":
            for item in els[1:]:
                q, _, code = item.partition(comp)
                if q in ("ABK", "ABF", "BK", "BF"):
                    claim["diagnoses"].append(code.split(comp)[0])
        elif sid == "REF" and line is None and not in_2320:
            claim["references"][el(els, 1)] = el(els, 2)
        elif sid == "SV1":
            parts = el(els, 1).split(comp)
            line = {"procedure": parts[1] if len(parts) > 1 else "",
                    "modifiers": [m for m in parts[2:6] if m],
                    "charge": fmt_amount(dec(els, 2, pos)),
                    "units": str(opt_dec(els, 4, pos) or ""),
                    "date": None}
            claim["lines"].append(line)
            current = None
        elif sid == "DTP" and line is not None and el(els, 1) == "472":
            line["date"] = el(els, 3)
        pos += 1
    # Parties become plain dicts only now: a 2310C address follows its claim's CLM.
    for out, named in parties:
        out.update({key: _party_dict(party) for key, party in named.items()})
    return Summary("837", {"control_number": ts.control_number,
                           "implementation": ts.implementation, "claims": claims})


def summarize_270(ts: TransactionSet) -> Summary:
    out: dict[str, Any] = {"control_number": ts.control_number, "payer": None,
                           "provider": None, "subscriber": None, "dependent": None,
                           "service_types": [], "date": None}
    level = ""
    for els in ts.segments:
        sid = els[0]
        if sid == "HL":
            level = el(els, 3)
        elif sid == "NM1":
            key = {"20": "payer", "21": "provider", "22": "subscriber",
                   "23": "dependent"}.get(level)
            if key:
                out[key] = party_from_nm1(els).to_dict()
        elif sid == "EQ":
            out["service_types"] += [c for c in el(els, 1).split(ts.delimiters.repetition)
                                     if c]
        elif sid == "DTP" and el(els, 1) == "291":
            out["date"] = el(els, 3)
    return Summary("270", out)


def summarize_276(ts: TransactionSet) -> Summary:
    claims: list[dict[str, Any]] = []
    claim: dict[str, Any] | None = None
    payer = None
    pos = ts.start_position
    for els in ts.segments:
        sid = els[0]
        if sid == "NM1" and el(els, 1) == "PR":
            payer = party_from_nm1(els).to_dict()
        elif sid == "TRN":
            claim = {"trace_number": el(els, 2), "payer_claim_number": None,
                     "patient_control_number": None, "charge": None, "dates": None}
            claims.append(claim)
        elif claim is not None and sid == "REF":
            if el(els, 1) == "1K":
                claim["payer_claim_number"] = el(els, 2)
            elif el(els, 1) == "EJ":
                claim["patient_control_number"] = el(els, 2)
        elif claim is not None and sid == "AMT" and el(els, 1) == "T1":
            claim["charge"] = fmt_amount(dec(els, 2, pos))
        elif claim is not None and sid == "DTP" and el(els, 1) == "472":
            claim["dates"] = el(els, 3)
        pos += 1
    return Summary("276", {"control_number": ts.control_number, "payer": payer,
                           "claims": claims})
