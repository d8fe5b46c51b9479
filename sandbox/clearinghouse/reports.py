"""Claims through the simulated payer: intake (999 at once), acknowledgment (277CA a day
later), adjudication (835 some days later, grouped per payer and payee into payments).

`tick` turns whatever has come due on the simulated clock into inbound transactions; the
server calls it before answering any request, so reports appear exactly when the clock
passes their time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from decimal import Decimal
from typing import Any

from sandbox.clearinghouse import payers
from sandbox.clearinghouse.adjudicate import Accumulators, adjudicate, corrected, service_date
from sandbox.clearinghouse.intake import Intake, build_ack, envelope_for, npi_valid
from sandbox.clearinghouse.plans import claim_plan, claim_trigger
from sandbox.clearinghouse.store import Store, iso, parse_iso
from x12.build.claim_ack_277ca import ClaimAcknowledgment, ClaimStatus, build_277ca
from x12.build.remit_835 import ProviderAdjustment, RemitClaim, RemitLine, Remittance, build_835
from x12.models import Address, Adjustment

D = Decimal
ACK_DELAY = dt.timedelta(days=1)
REMIT_DELAY = dt.timedelta(days=7)
SLOW_DELAY = dt.timedelta(days=45)
REVERSAL_DELAY = dt.timedelta(days=14)

# trigger -> (category, status, entity) of a 277CA rejection
ACK_REJECTIONS = {"REJMEMBER": ("A7", "33", "IL"), "REJPROV": ("A7", "25", "85")}


def transaction_meta(text: str, set_id: str) -> dict[str, Any]:
    """The `x12.metadata` Stedi reports for a transaction, read from the envelope."""
    seg = text.split("~")
    isa = seg[0].split("*")
    gs = seg[1].strip().split("*")
    st = seg[2].strip().split("*")
    return {"metadata": {
        "interchange": {"acknowledgmentRequestedCode": isa[14].strip(),
                        "controlNumber": int(isa[13])},
        "functionalGroup": {"controlNumber": int(gs[6]), "release": gs[8],
                            "date": f"{gs[4][:4]}-{gs[4][4:6]}-{gs[4][6:8]}",
                            "time": f"{gs[5][:2]}:{gs[5][2:4]}",
                            "functionalIdentifierCode": gs[1]},
        "transaction": {"controlNumber": st[2], "transactionSetIdentifier": set_id},
        "sender": {"applicationCode": gs[2], "isa": {"qualifier": isa[5],
                                                     "id": isa[6].strip()}},
        "receiver": {"applicationCode": gs[3], "isa": {"qualifier": isa[7],
                                                       "id": isa[8].strip()}},
    }}


def add_report(store: Store, text: str, set_id: str, when: dt.datetime,
               direction: str = "INBOUND") -> str:
    txn_id = str(uuid.uuid4())
    store.add_transaction(txn_id=txn_id, direction=direction, set_id=set_id,
                          processed_at=when, x12=text, meta=transaction_meta(text, set_id))
    return txn_id


def _dup_key(claim: dict[str, Any]) -> str:
    lines = claim["lines"]
    parts = [(claim.get("subscriber") or {}).get("id") or "",
             json.dumps(claim.get("patient") or {}, sort_keys=True),
             claim["charge"], *(f"{ln['procedure']}@{ln.get('date')}" for ln in lines)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def accept_submission(store: Store, text: str, intake: Intake, now: dt.datetime
                      ) -> dict[str, Any]:
    """Record the 837 (OUTBOUND) and its 999 (INBOUND, at once); queue its claims."""
    submission_id = add_report(store, text, "837", now, direction="OUTBOUND")
    add_report(store, build_ack(store, intake, now), "999", now)
    for claim in intake.claims:
        member = (claim.get("subscriber") or {}).get("id") or ""
        trigger = claim_trigger(claim["patient_control_number"], member)
        delay = SLOW_DELAY if trigger == "SLOW" else REMIT_DELAY
        number = store.next_number("payer_claim")
        store.x(
            "INSERT INTO claims (submission_id, pcn, member_id, payer_id, payee_npi, dup_key,"
            " data, trigger, state, received_at, ack_due, remit_due, reversal_due,"
            " payer_claim_number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, ?, ?, ?, ?)",
            submission_id, claim["patient_control_number"], member.upper(),
            claim.get("payer_id") or "", (claim.get("billing_provider") or {}).get("id") or "",
            _dup_key(claim), json.dumps(claim), trigger, iso(now), iso(now + ACK_DELAY),
            iso(now + ACK_DELAY + delay),
            iso(now + ACK_DELAY + delay + REVERSAL_DELAY) if trigger == "REVERSE" else None,
            f"SBX{now:%y%m%d}{number:06d}")
    return {"transactionId": submission_id}


def tick(store: Store, now: dt.datetime) -> None:
    with store.lock:
        _acknowledge(store, now)
        _remit(store, now)
        _reverse(store, now)


# -- 277CA ---------------------------------------------------------------------------------
def _ack_status(store: Store, row: Any, claim: dict[str, Any]) -> tuple[str, str, str | None]:
    rejection = ACK_REJECTIONS.get(row["trigger"])
    if rejection:
        return rejection
    if not npi_valid(row["payee_npi"]):
        return ("A7", "562", "85")
    reg = store.one("SELECT tax_id FROM registered_providers WHERE npi = ?", row["payee_npi"])
    if reg is not None and claim.get("billing_tax_id") and reg["tax_id"] != claim[
            "billing_tax_id"]:
        return ("A7", "25", "85")  # billing provider not approved under that tax id
    return ("A2", "20", None)


def _acknowledge(store: Store, now: dt.datetime) -> None:
    rows = store.q("SELECT * FROM claims WHERE state = 'received' AND ack_due <= ? "
                   "ORDER BY ack_due, id", iso(now))
    batches: dict[tuple[str, str, str], list[Any]] = {}
    for row in rows:
        batches.setdefault((row["submission_id"], row["payer_id"], row["ack_due"]),
                           []).append(row)
    for (_, payer_id, due), claim_rows in batches.items():
        when = parse_iso(due)
        statuses: list[ClaimStatus] = []
        first = json.loads(claim_rows[0]["data"])
        for row in claim_rows:
            claim = json.loads(row["data"])
            category, code, entity = _ack_status(store, row, claim)
            accepted = category in ("A1", "A2")
            patient = claim.get("patient") or claim.get("subscriber") or {}
            bp = claim.get("billing_provider") or {}
            dates = [service_date(ln) for ln in claim["lines"]]
            statuses.append(ClaimStatus(
                row["pcn"], category, code, D(claim["charge"]), patient.get("name") or "",
                patient.get("first_name") or "", row["member_id"], min(dates), max(dates),
                entity=entity,
                payer_claim_number=row["payer_claim_number"] if accepted else None,
                billing_provider_name=bp.get("name") or "PROVIDER",
                billing_provider_npi=row["payee_npi"]))
            state = "accepted" if accepted else "rejected"
            if accepted and row["trigger"] == "RFI":
                state = "pending_info"
            store.x("UPDATE claims SET state = ?, ack = ? WHERE id = ?", state,
                    json.dumps([category, code, entity, due]), row["id"])
        bp = first.get("billing_provider") or {}
        ack = ClaimAcknowledgment(
            payers.payer_name(payer_id, first.get("payer_name", "")), payer_id or "UNKNOWN",
            first.get("submitter_id") or first.get("interchange_sender") or "SUBMITTER",
            first.get("submitter_id") or first.get("interchange_sender") or "SUBMITTER",
            bp.get("name") or "PROVIDER", bp.get("id") or "", statuses,
            received_date=(when - ACK_DELAY).date(), processed_date=when.date(),
            trace_number=str(store.next_number("ack_trace")), created=when.replace(tzinfo=None))
        receiver = first.get("interchange_sender") or ""
        text = build_277ca(ack, envelope_for(store, receiver, when))
        add_report(store, text, "277", when)


# -- 835 -----------------------------------------------------------------------------------
def _tax_id(payer_id: str) -> str:
    return str(int(hashlib.sha256(payer_id.encode()).hexdigest(), 16) % 10**9).zfill(9)


def _remit_claim(row: Any, claim: dict[str, Any], result: dict[str, Any], *,
                 sign: int = 1, status: str | None = None) -> RemitClaim:
    patient = claim.get("patient") or claim.get("subscriber") or {}
    lines = []
    for ln in result["lines"]:
        lines.append(RemitLine(
            ln["procedure"], sign * D(ln["charge"]), sign * D(ln["paid"]),
            dt.date.fromisoformat(ln["date"]), D(ln["units"]), tuple(ln["modifiers"]),
            None if ln["allowed"] is None else sign * D(ln["allowed"]),
            [Adjustment(a[0], a[1], sign * D(a[2])) for a in ln["adjustments"]],
            list(ln["remarks"])))
    return RemitClaim(
        row["pcn"], status or result["status"], sign * D(claim["charge"]),
        sign * D(result["paid"]), sign * D(result["patient_responsibility"]),
        row["payer_claim_number"], patient.get("name") or "", patient.get("first_name") or "",
        row["member_id"], place_of_service=claim.get("place_of_service") or "11",
        frequency=claim.get("frequency") or "1", lines=lines)


def _payment(store: Store, payer_id: str, first: dict[str, Any], row: Any,
             claims: list[RemitClaim], when: dt.datetime, plb: bool) -> str:
    bp = first.get("billing_provider") or {}
    method = "CHK" if sum(map(ord, payer_id or "X")) % 3 == 0 else "ACH"
    trace = f"{'CHK' if method == 'CHK' else 'EFT'}{store.next_number('trace'):08d}"
    adjustments = [ProviderAdjustment("L6", D("-2.50"), row["payer_claim_number"])] if plb \
        else []
    remit = Remittance(
        payers.payer_name(payer_id, first.get("payer_name", "")), _tax_id(payer_id),
        Address("PO BOX 1000", "CLAIMSVILLE", "TN", "37201"), "8005550199",
        bp.get("name") or "PROVIDER", row["payee_npi"],
        first.get("billing_tax_id") or "000000000", trace, when.date(), claims,
        method=method, provider_adjustments=adjustments, payer_id=payer_id or None,
        production_date=when.date())
    text = build_835(remit, envelope_for(store, first.get("interchange_sender") or "", when,
                                         sender=(payer_id or "SANDBOXPAYER")))
    add_report(store, text, "835", when)
    return trace


def _remit(store: Store, now: dt.datetime) -> None:
    rows = store.q("SELECT * FROM claims WHERE state = 'accepted' AND remit_due <= ? "
                   "ORDER BY remit_due, id", iso(now))
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for row in rows:
        day = row["remit_due"][:10]
        groups.setdefault((row["payer_id"], row["payee_npi"], day), []).append(row)
    accumulators = Accumulators(store)
    for (payer_id, _, _), group in groups.items():
        when = max(parse_iso(r["remit_due"]) for r in group)
        remit_claims = []
        plb_row = None
        for row in group:
            claim = json.loads(row["data"])
            earlier = store.one(
                "SELECT id FROM claims WHERE dup_key = ? AND id < ? AND state IN "
                "('paid', 'denied', 'accepted', 'reversed') LIMIT 1", row["dup_key"], row["id"])
            result = adjudicate(
                claim, trigger=row["trigger"],
                plan=claim_plan(store, row["member_id"], row["trigger"]),
                received=parse_iso(row["received_at"]).date(), accumulators=accumulators,
                duplicate=earlier is not None and claim.get("frequency") in (None, "1"))
            remit_claims.append(_remit_claim(row, claim, result))
            if row["trigger"] == "PLB":
                plb_row = row
            store.x("UPDATE claims SET state = ?, result = ? WHERE id = ?",
                    "denied" if result["status"] == "4" else "paid", json.dumps(result),
                    row["id"])
        first = json.loads(group[0]["data"])
        trace = _payment(store, payer_id, first, plb_row or group[0], remit_claims, when,
                         plb_row is not None)
        for row in group:
            store.x("UPDATE claims SET remit = ? WHERE id = ?",
                    json.dumps({"trace": trace, "date": when.date().isoformat(),
                                "method": "CHK" if trace.startswith("CHK") else "ACH"}),
                    row["id"])


def _reverse(store: Store, now: dt.datetime) -> None:
    """A reversal (CLP02 22, amounts negated) and the corrected claim, in a later 835."""
    rows = store.q("SELECT * FROM claims WHERE state = 'paid' AND reversal_due IS NOT NULL "
                   "AND reversal_due <= ? ORDER BY reversal_due, id", iso(now))
    for row in rows:
        claim = json.loads(row["data"])
        result = json.loads(row["result"])
        fixed = corrected(result, claim, claim_plan(store, row["member_id"], row["trigger"]))
        when = parse_iso(row["reversal_due"])
        remit_claims = [_remit_claim(row, claim, result, sign=-1, status="22"),
                        _remit_claim(row, claim, fixed)]
        trace = _payment(store, row["payer_id"], claim, row, remit_claims, when, False)
        store.x("UPDATE claims SET result = ?, reversal_due = NULL, remit = ? WHERE id = ?",
                json.dumps(fixed), json.dumps({"trace": trace, "date": when.date().isoformat(),
                                               "method": "ACH"}), row["id"])
