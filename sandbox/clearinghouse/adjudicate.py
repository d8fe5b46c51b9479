"""Adjudicating a claim like a commercial payer: fee schedule, deductible, copay or
coinsurance, out-of-pocket maximum, visit limits, prior authorization, and the denial
triggers; accumulators carry across claims of the same member and year."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sandbox.clearinghouse.plans import Plan, allowed_amount, is_mental_health

D = Decimal
ZERO = D("0.00")
TIMELY_FILING_DAYS = 180

# trigger -> (group, CARC, RARCs): the whole claim is denied with this adjustment
DENIALS: dict[str, tuple[str, str, list[str]]] = {
    "DENYAUTH": ("CO", "197", ["N54"]),
    "DENYTIMELY": ("CO", "29", []),
    "DENYNC": ("CO", "96", ["N130"]),
    "DENYINFO": ("CO", "16", ["MA130", "M51"]),
    "DUP": ("OA", "18", []),
}


def money(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def service_date(line: dict[str, Any]) -> dt.date:
    text = (line.get("date") or "").split("-")[0]
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except (ValueError, IndexError):
        return dt.date.today()


class Accumulators:
    """Deductible, out-of-pocket and visits met, per member (individual) and per family."""

    def __init__(self, store) -> None:
        self.store = store

    def get(self, key: str) -> tuple[Decimal, Decimal, int]:
        row = self.store.one("SELECT deductible, oop, visits FROM accumulators WHERE key = ?",
                             key)
        if row is None:
            return ZERO, ZERO, 0
        return D(row["deductible"]), D(row["oop"]), int(row["visits"])

    def add(self, key: str, deductible: Decimal, oop: Decimal, visits: int) -> None:
        ded, out, vis = self.get(key)
        self.store.x(
            "INSERT INTO accumulators (key, deductible, oop, visits) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET deductible = excluded.deductible, "
            "oop = excluded.oop, visits = excluded.visits",
            key, str(ded + deductible), str(out + oop), vis + visits)


def accumulator_keys(claim: dict[str, Any], year: int) -> tuple[str, str]:
    member = (claim.get("subscriber") or {}).get("id") or ""
    patient = claim.get("patient") or claim.get("subscriber") or {}
    person = f"{patient.get('name', '')}|{patient.get('first_name') or ''}".upper()
    return f"{member.upper()}|{person}|{year}", f"{member.upper()}|FAMILY|{year}"


def _denied_line(line: dict[str, Any], group: str, reason: str,
                 remarks: list[str]) -> dict[str, Any]:
    charge = D(line["charge"])
    return {**_line_base(line), "paid": "0", "allowed": None,
            "adjustments": [[group, reason, str(charge)]], "remarks": remarks}


def _line_base(line: dict[str, Any]) -> dict[str, Any]:
    return {"procedure": line["procedure"], "modifiers": line.get("modifiers") or [],
            "charge": line["charge"], "units": line.get("units") or "1",
            "date": service_date(line).isoformat()}


def adjudicate(claim: dict[str, Any], *, trigger: str, plan: Plan, received: dt.date,
               accumulators: Accumulators, duplicate: bool) -> dict[str, Any]:
    """The 835 outcome of one claim as a JSON-able dict (amounts as strings)."""
    lines = claim["lines"]
    first_date = min(service_date(ln) for ln in lines)
    denial: tuple[str, str, list[str]] | None = None
    if duplicate or trigger == "DUP":
        denial = DENIALS["DUP"]
    elif trigger in DENIALS:
        denial = DENIALS[trigger]
    elif (received - first_date).days > TIMELY_FILING_DAYS:
        denial = DENIALS["DENYTIMELY"]
    elif not plan.active:
        denial = ("CO", "27", [])  # expenses incurred after coverage terminated
    elif plan.prior_auth and not (claim.get("references") or {}).get("G1"):
        denial = DENIALS["DENYAUTH"]
    elif plan.carve_out_name and all(is_mental_health(ln["procedure"]) for ln in lines):
        denial = ("CO", "109", ["N418"])  # not covered by this payer: send to the carve-out
    if denial is not None:
        out_lines = [_denied_line(ln, *denial) for ln in lines]
        return {"status": "4", "lines": out_lines, "paid": "0",
                "patient_responsibility": "0", "denial": denial[1]}
    ind_key, fam_key = accumulator_keys(claim, first_date.year)
    ind_ded, ind_oop, visits = accumulators.get(ind_key)
    fam_ded, fam_oop, _ = accumulators.get(fam_key)
    out_lines: list[dict[str, Any]] = []
    total_paid = total_pr = ZERO
    claim_ded = claim_oop = ZERO
    visit_count = 0
    for ln in lines:
        charge = D(ln["charge"])
        units = D(ln.get("units") or "1")
        if is_mental_health(ln["procedure"]) and visits + visit_count >= plan.visits_per_year:
            out_lines.append(_denied_line(ln, "CO", "119", ["N640"]))  # benefit maximum
            continue
        visit_count += 1 if is_mental_health(ln["procedure"]) else 0
        allowed = allowed_amount(ln["procedure"], charge, units, plan)
        if trigger == "REVERSE":
            allowed = money(allowed * D("0.9"))  # priced wrong at first; corrected later
        adjustments: list[list[str]] = []
        if charge > allowed:
            adjustments.append(["CO", "45", str(charge - allowed)])
        remaining = allowed
        ded_left = max(ZERO, min(plan.deductible_individual - ind_ded - claim_ded,
                                 plan.deductible_family - fam_ded - claim_ded))
        deductible = min(remaining, ded_left)
        remaining -= deductible
        copay = min(remaining, plan.copay)
        remaining -= copay
        coinsurance = money(remaining * plan.coinsurance)
        oop_left = max(ZERO, min(plan.oop_max_individual - ind_oop - claim_oop,
                                 plan.oop_max_family - fam_oop - claim_oop))
        # the out-of-pocket maximum caps what the patient owes; the payer pays the rest
        over = deductible + copay + coinsurance - oop_left
        if over > 0:
            cut = min(over, coinsurance)
            coinsurance, over = coinsurance - cut, over - cut
            cut = min(over, copay)
            copay, over = copay - cut, over - cut
            deductible -= min(over, deductible)
        for reason, value in (("1", deductible), ("2", coinsurance), ("3", copay)):
            if value > 0:
                adjustments.append(["PR", reason, str(value)])
        patient = deductible + copay + coinsurance
        paid = allowed - patient
        claim_ded += deductible
        claim_oop += patient
        total_paid += paid
        total_pr += patient
        out_lines.append({**_line_base(ln), "paid": str(paid), "allowed": str(allowed),
                          "adjustments": adjustments, "remarks": []})
    accumulators.add(ind_key, claim_ded, claim_oop, visit_count)
    accumulators.add(fam_key, claim_ded, claim_oop, 0)
    all_denied = all(ln["paid"] == "0" and ln["allowed"] is None for ln in out_lines)
    status = "4" if all_denied else ("19" if trigger == "PRIMARY" else "1")
    return {"status": status, "lines": out_lines, "paid": str(total_paid),
            "patient_responsibility": str(total_pr),
            "denial": "119" if all_denied else None}


def corrected(result: dict[str, Any], claim: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """The correction after a reversal: the same lines priced at the full schedule."""
    lines = []
    paid_total = ZERO
    for old, ln in zip(result["lines"], claim["lines"], strict=True):
        if old["allowed"] is None:
            lines.append(old)
            continue
        charge = D(ln["charge"])
        allowed = allowed_amount(ln["procedure"], charge, D(ln.get("units") or "1"), plan)
        patient = [a for a in old["adjustments"] if a[0] == "PR"]
        owed = sum((D(a[2]) for a in patient), ZERO)
        adjustments = ([["CO", "45", str(charge - allowed)]] if charge > allowed else [])
        paid = allowed - owed
        paid_total += paid
        lines.append({**old, "allowed": str(allowed), "paid": str(paid),
                      "adjustments": adjustments + patient})
    return {**result, "lines": lines, "paid": str(paid_total)}
