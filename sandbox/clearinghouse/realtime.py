"""Real-time transactions: a 270 answered by a 271 from the member's plan, a 276 answered
by a 277 with the claim's current state."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from sandbox.clearinghouse import payers
from sandbox.clearinghouse.adjudicate import Accumulators, accumulator_keys
from sandbox.clearinghouse.intake import envelope_for
from sandbox.clearinghouse.plans import Plan, eligibility_trigger, plan_for
from sandbox.clearinghouse.store import Store
from x12.build.benefits_271 import (
    BenefitInfo,
    EligibilityAnswer,
    Person,
    QuantityLimit,
    Rejection,
    RelatedEntity,
    build_271,
)
from x12.build.status_276 import StatusSubscriber
from x12.build.status_277 import (
    ClaimStatusAnswer,
    LineStatusAnswer,
    StatusDetail,
    StatusResponse,
    build_277,
)
from x12.errors import X12Error
from x12.reader import X12Reader, element

D = Decimal
MH_TYPES = ("MH", "A4", "A6", "A7", "A8")
OUTPATIENT_MH = ("MH", "A6", "A8")


class RequestError(X12Error):
    """The request cannot be answered at all (not X12, wrong transaction set)."""


def _first_ts(text: str, set_id: str):
    reader = X12Reader.from_text(text)
    for ts in reader:
        if ts.set_id != set_id:
            raise RequestError(f"expected a {set_id} transaction set", found=ts.set_id)
        return ts
    raise RequestError(f"no {set_id} transaction set in the request")


def _benefits(plan: Plan, member_id: str, patient: dict[str, Any], year: int,
              store: Store) -> list[BenefitInfo]:
    net = "Y" if plan.in_network else "N"
    auth = "Y" if plan.prior_auth else "N"
    ind_key, fam_key = accumulator_keys({"subscriber": {"id": member_id},
                                         "patient": patient}, year)
    acc = Accumulators(store)
    ind_ded, ind_oop, visits = acc.get(ind_key)
    fam_ded, fam_oop, _ = acc.get(fam_key)
    out = [BenefitInfo("1", "IND", ("30", *MH_TYPES), "PR", plan.plan_name)]
    if plan.copay > 0:
        out.append(BenefitInfo("B", "IND", OUTPATIENT_MH, "PR", time_period="27",
                               amount=plan.copay, authorization_required=auth, network=net))
    out.append(BenefitInfo("A", "IND", OUTPATIENT_MH, "PR", time_period="27",
                           percent=plan.coinsurance, authorization_required=auth, network=net))
    for level, total, met in (("IND", plan.deductible_individual, ind_ded),
                              ("FAM", plan.deductible_family, fam_ded)):
        out.append(BenefitInfo("C", level, ("30",), "PR", time_period="23", amount=total,
                               network=net))
        out.append(BenefitInfo("C", level, ("30",), "PR", time_period="29",
                               amount=max(D(0), total - met), network=net))
    for level, total, met in (("IND", plan.oop_max_individual, ind_oop),
                              ("FAM", plan.oop_max_family, fam_oop)):
        out.append(BenefitInfo("G", level, ("30",), "PR", time_period="23", amount=total,
                               network=net))
        out.append(BenefitInfo("G", level, ("30",), "PR", time_period="29",
                               amount=max(D(0), total - met), network=net))
    left = max(0, plan.visits_per_year - visits)
    out.append(BenefitInfo(
        "F", "IND", ("MH",), "PR", time_period="29", quantity_qualifier="VS",
        quantity=D(left), authorization_required=auth, network=net,
        limits=[QuantityLimit("VS", D(plan.visits_per_year), "23")],
        messages=["PRIOR AUTHORIZATION REQUIRED"] if plan.prior_auth else []))
    return out


def answer_270(store: Store, text: str, now: dt.datetime) -> tuple[str, dict[str, Any]]:
    """(271 text, summary) for the first 270 in ``text``."""
    ts = _first_ts(text, "270")
    level = ""
    found: dict[str, Any] = {"trace": "", "originator": "9SANDBOX", "payer": {},
                             "provider": {}, "subscriber": {}, "dependent": None,
                             "reference": "0001"}
    for els in ts.segments:
        sid = els[0]
        if sid == "BHT":
            found["reference"] = element(els, 3) or "0001"
        elif sid == "HL":
            level = element(els, 3)
        elif sid == "TRN":
            found["trace"], found["originator"] = element(els, 2), element(els, 3) or "9SANDBOX"
        elif sid == "NM1":
            who = {"20": "payer", "21": "provider", "22": "subscriber",
                   "23": "dependent"}.get(level)
            if who:
                found[who] = {"name": element(els, 3), "first": element(els, 4),
                              "id": element(els, 9)}
        elif sid == "DMG" and level in ("22", "23"):
            key = "subscriber" if level == "22" else "dependent"
            (found[key] or {})["dmg"] = (element(els, 2), element(els, 3))
    sub, dep = found["subscriber"], found["dependent"]
    member_id = sub.get("id", "")
    payer_id = found["payer"].get("id", "")

    def person(p: dict[str, Any], member: str | None) -> Person:
        birth = None
        dmg = p.get("dmg")
        if dmg and len(dmg[0]) == 8 and dmg[0].isdigit():
            birth = dt.date(int(dmg[0][:4]), int(dmg[0][4:6]), int(dmg[0][6:]))
        return Person(p.get("name") or "UNKNOWN", p.get("first") or None, member, birth,
                      (dmg[1] or None) if dmg else None, relationship="19" if not member
                      else None)

    ans = EligibilityAnswer(
        payers.payer_name(payer_id, found["payer"].get("name", "")), payer_id or "UNKNOWN",
        found["provider"].get("name") or "PROVIDER", found["provider"].get("id") or "",
        person(sub, member_id or "UNKNOWN"), found["trace"] or "NOTRACE", found["originator"],
        dependent=person(dep, None) if dep else None, reference_id=found["reference"][:50],
        created=now.replace(tzinfo=None))
    plan = plan_for(store, member_id)
    trigger = eligibility_trigger(member_id)
    status = "active"
    if trigger == "ELIGTIMEOUT":
        ans.payer_rejections = [Rejection("42", "R", "Y")]
        status = "payer_unavailable"
    elif trigger == "UNKNOWN" or not member_id:
        ans.member_rejections = [Rejection("75", "C")]
        status = "not_found"
    elif not plan.active:
        ans.benefits = [BenefitInfo("6", "IND", ("30",), messages=["COVERAGE TERMINATED"])]
        status = "inactive"
    else:
        ans.plan_begin = dt.date(now.year, 1, 1)
        ans.group_number = plan.group_number
        patient = {"name": (dep or sub).get("name"), "first_name": (dep or sub).get("first")}
        ans.benefits = _benefits(plan, member_id, patient, now.year, store)
        if plan.carve_out_name:
            ans.benefits = [b for b in ans.benefits if b.code == "1"]
            ans.benefits[0].service_types = ("30",)
            ans.benefits.append(BenefitInfo(
                "U", "IND", MH_TYPES, messages=["MENTAL HEALTH BENEFITS ARE CARVED OUT"],
                related=RelatedEntity("PR", plan.carve_out_name, plan.carve_out_payer_id,
                                      phone="8005550123")))
    env = envelope_for(store, ts.interchange.sender, now, sender=payer_id or "SANDBOXPAYER")
    return build_271(ans, env), {"status": status, "payer_id": payer_id,
                                 "member_id": member_id}


# -- 276 -> 277 ----------------------------------------------------------------------------
def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text[:10])


def _claim_answer(store: Store, row: Any, trace: str, now: dt.datetime) -> ClaimStatusAnswer:
    claim = json.loads(row["data"])
    charge = D(claim["charge"])
    today = now.date()
    dates = sorted(ln.get("date") or "" for ln in claim["lines"])
    start = dt.date(int(dates[0][:4]), int(dates[0][4:6]), int(dates[0][6:8]))
    end = dt.date(int(dates[-1][:4]), int(dates[-1][4:6]), int(dates[-1][6:8]))
    state = row["state"]
    lines: list[LineStatusAnswer] = []
    if state == "received":
        statuses = [StatusDetail("A1", "19", today, charge)]
    elif state == "rejected":
        cat, code, entity, when = json.loads(row["ack"])
        statuses = [StatusDetail(cat, code, _d(when), charge, entity=entity)]
    elif state == "pending_info":
        when = json.loads(row["ack"])[3]
        statuses = [StatusDetail("P3", "21", _d(when), charge, entity="1P",
                                 more=[("R3", "21", None)])]
    elif state == "accepted":
        statuses = [StatusDetail("P1", "20", today, charge)]
    else:
        result = json.loads(row["result"])
        remit = json.loads(row["remit"])
        paid = D(result["paid"])
        when = _d(remit["date"])
        category, code = ("F2", "1") if state == "denied" else (
            ("F1", "65") if paid > 0 else ("F4", "6"))
        statuses = [StatusDetail(category, code, when, charge, paid, adjudication_date=when,
                                 payment_method=remit["method"] if paid > 0 else None,
                                 check_date=when if paid > 0 else None,
                                 check_number=remit["trace"] if paid > 0 else None)]
        for ln in result["lines"]:
            lp = D(ln["paid"])
            lines.append(LineStatusAnswer(
                ln["procedure"], D(ln["charge"]), lp, _d(ln["date"]),
                [StatusDetail(category if lp > 0 or state == "denied" else "F4",
                              code if lp > 0 or state == "denied" else "6", when)],
                tuple(ln["modifiers"]), D(ln["units"])))
    return ClaimStatusAnswer(trace, statuses, start, end, row["pcn"],
                             row["payer_claim_number"] if state not in ("received", "rejected")
                             else None, lines)


def answer_276(store: Store, text: str, now: dt.datetime) -> tuple[str, dict[str, Any]]:
    ts = _first_ts(text, "276")
    payer: dict[str, str] = {}
    receiver: dict[str, str] = {}
    provider: dict[str, str] = {}
    subs: list[tuple[StatusSubscriber, list[dict[str, str]]]] = []
    current: list[dict[str, str]] | None = None
    reference = "0001"
    for els in ts.segments:
        sid, code = els[0], element(els, 1)
        if sid == "BHT":
            reference = element(els, 3) or "0001"
        elif sid == "NM1" and code in ("PR", "41", "1P"):
            target = {"PR": payer, "41": receiver, "1P": provider}[code]
            target.update(name=element(els, 3), id=element(els, 9))
        elif sid == "NM1" and code == "IL":
            current = []
            subs.append((StatusSubscriber(element(els, 9), element(els, 3),
                                          element(els, 4)), current))
        elif sid == "NM1" and code == "QC" and subs:
            subs[-1][0].dependent_last_name = element(els, 3)
            subs[-1][0].dependent_first_name = element(els, 4)
        elif sid == "TRN" and current is not None:
            current.append({"trace": element(els, 2)})
        elif sid == "REF" and current:
            current[-1][code] = element(els, 2)
        elif sid == "DTP" and current and code == "472":
            current[-1]["dates"] = element(els, 3)
        elif sid == "AMT" and current and code == "T1":
            current[-1]["charge"] = element(els, 2)
    if not subs:
        raise RequestError("the 276 names no subscriber")
    answered: list[tuple[StatusSubscriber, list[ClaimStatusAnswer]]] = []
    summary: list[dict[str, Any]] = []
    for sub, asks in subs:
        answers = []
        for ask in asks:
            row = None
            if ask.get("1K"):
                row = store.one("SELECT * FROM claims WHERE payer_claim_number = ?", ask["1K"])
            if row is None and ask.get("EJ"):
                row = store.one("SELECT * FROM claims WHERE pcn = ? AND member_id = ? "
                                "ORDER BY id DESC LIMIT 1", ask["EJ"], sub.member_id.upper())
            if row is None:
                dates = ask.get("dates") or f"{now:%Y%m%d}"
                start = dt.date(int(dates[:4]), int(dates[4:6]), int(dates[6:8]))
                answers.append(ClaimStatusAnswer(
                    ask["trace"], [StatusDetail("A4", "0", now.date(),
                                                D(ask.get("charge") or "0"))],
                    start, patient_control_number=ask.get("EJ")))
                summary.append({"trace": ask["trace"], "state": "not_found"})
            else:
                answers.append(_claim_answer(store, row, ask["trace"], now))
                summary.append({"trace": ask["trace"], "state": row["state"]})
        if answers:
            answered.append((sub, answers))
    resp = StatusResponse(
        payers.payer_name(payer.get("id", ""), payer.get("name", "")),
        payer.get("id") or "UNKNOWN", receiver.get("name") or "RECEIVER",
        receiver.get("id") or "RECEIVER", provider.get("name") or "PROVIDER",
        provider.get("id") or "", answered, reference_id=reference[:50],
        created=now.replace(tzinfo=None))
    env = envelope_for(store, ts.interchange.sender, now,
                       sender=payer.get("id") or "SANDBOXPAYER")
    return build_277(resp, env), {"claims": summary, "payer_id": payer.get("id", "")}
