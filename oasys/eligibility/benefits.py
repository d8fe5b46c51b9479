"""Reading a 271 into the benefit summary a therapist needs (SPEC §4).

Pure: takes the x12 library's parsed 271, returns plain dicts of strings (the API's and the
stored summary's shape). Nothing here knows about Django.

Rules, because payers differ in where they put things:
- Mental health figures come from the service types payers use for it, most specific first:
  MH, A6 (psychotherapy), A8 (outpatient), A4 (psychiatric), A7 (inpatient), then the
  general plan type 30 as a fallback. Each figure says which service type it came from.
- Deductible and out-of-pocket come from MH-type rows when the payer gives them separately,
  else from 30; split by individual/family (EB02) and in/out of network (EB12).
- What the payer did not answer is None ("not reported"), never zero. A figure computed
  from two others (used = allowed - remaining) is marked `derived`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from x12.codes import meaning
from x12.codes.eligibility import (
    AAA_FOLLOW_UP,
    AAA_REJECT_REASONS,
    COVERAGE_LEVEL,
    SERVICE_TYPES,
    TIME_PERIOD,
)
from x12.parse.benefits_271 import Benefit, EligibilityResponse, Member, Rejection, parse_271
from x12.reader import X12Reader

MH_SERVICE_TYPES = ("MH", "A6", "A8", "A4", "A7")
MH_PREFERENCE = (*MH_SERVICE_TYPES, "30")
# What the 270 asks for: the plan (30) and every mental-health type a payer may answer on.
INQUIRY_SERVICE_TYPES = ["30", "MH", "A4", "A6", "A7", "A8"]

INDIVIDUAL_LEVELS = {None, "IND", "EMP"}
FAMILY_LEVELS = {"FAM", "ESP", "ECH", "SPC", "CHD", "DEP", "SPO"}
TOTAL_PERIODS = {None, "21", "22", "23", "25", "26", "32"}
REMAINING_PERIODS = {"29", "33"}
MET_PERIODS = {"24"}
NO_ANSWER_REASONS = {"42", "80"}  # the payer (or its system) did not answer

CENT = Decimal("0.01")

# What the user can do about each rejection reason (AAA03), in words.
REJECTION_ADVICE: dict[str, str] = {
    "15": "Some required details are missing: check the member ID, name and date of birth.",
    "33": "The payer could not read the request: check the member ID, name and date of birth.",
    "35": "The payer says you are out of network for this plan.",
    "41": "The payer does not allow this inquiry: make sure you are enrolled for "
          "eligibility with this payer (Billing Setup → Accepted payers).",
    "42": "The payer's system did not answer. Nothing was charged; try again later.",
    "43": "The payer does not recognise your NPI: check it in Billing Setup → Provider "
          "Information, and your eligibility enrollment with this payer.",
    "44": "The payer does not recognise your provider name: check Provider Information.",
    "50": "The payer does not accept eligibility inquiries from you yet: check your "
          "enrollment for eligibility with this payer.",
    "51": "The payer does not have you on file: check your NPI and enrollment.",
    "56": "The date of service is not one the payer accepts for inquiries.",
    "57": "The date of service is not one the payer accepts for inquiries.",
    "58": "Check the date of birth against the insurance card.",
    "62": "The payer only answers for dates close to today.",
    "63": "The payer does not answer for future dates.",
    "64": "Check the member ID against the insurance card.",
    "65": "Check the client's first and last name exactly as on the insurance card.",
    "66": "Check the client's gender as on the insurance card.",
    "67": "The payer found no patient with these details: check the client's name, date of "
          "birth and relationship to the subscriber.",
    "71": "The date of birth does not match the payer's records: check it against the card.",
    "72": "Check the member ID against the insurance card (letters, digits, no spaces).",
    "73": "Check the subscriber's first and last name exactly as on the insurance card.",
    "74": "Check the subscriber's gender as on the insurance card.",
    "75": "The payer found no member with these details: check the member ID, the name "
          "exactly as on the card and the date of birth, and that the right payer is chosen.",
    "76": "The payer has more than one member with this ID: check the group number and name.",
    "77": "The subscriber was found but not this patient: check the client's name, date of "
          "birth and relationship to the subscriber.",
    "78": "The member is not in the group or plan named: check the group number.",
    "79": "Check the member ID against the insurance card.",
    "80": "The payer did not answer. Nothing was charged; try again later.",
    "97": "The payer needs a valid provider address: check Provider Information.",
    "T4": "The payer ID is missing or wrong: check the payer chosen for this policy.",
}


@dataclass(frozen=True, slots=True)
class Pick:
    """A value found in a benefit row, with the service type it was read from."""

    value: Any
    service_type: str
    derived: bool = False
    # The row's EB06 time period, EB12 network and EB02 coverage level: what the figure is
    # "per" (a calendar year, a visit), for which network and whom, shown in words.
    time_period: str | None = None
    network: str | None = None
    coverage_level: str | None = None


def _picked(b: Benefit, value: Any, service_type: str) -> Pick:
    return Pick(value, service_type, time_period=b.time_period, network=b.network,
                coverage_level=b.coverage_level)


def _derived(value: Any, source: Pick, *, time_period: str | None) -> Pick:
    """A figure computed from another: same service type, network and level."""
    return Pick(value, source.service_type, derived=True, time_period=time_period,
                network=source.network, coverage_level=source.coverage_level)


def _figure(pick: Pick | None, *, unit: str) -> dict[str, Any] | None:
    if pick is None or pick.value is None:
        return None
    value = pick.value
    if unit == "usd":
        text: Any = f"{Decimal(value).quantize(CENT):.2f}"
    elif unit == "percent":
        text = f"{(Decimal(value) * 100).quantize(CENT):.2f}"
    elif unit == "visits":
        text = str(int(value))
    else:
        text = value
    return {
        "value": text,
        "unit": unit,
        "service_type": pick.service_type,
        "service_type_label": meaning(SERVICE_TYPES, pick.service_type) or pick.service_type,
        "derived": pick.derived,
        "time_period": pick.time_period,
        "network": pick.network,
        "coverage_level": pick.coverage_level,
    }


def _types_rank(benefit: Benefit, preference: Iterable[str]) -> tuple[int, str] | None:
    """(rank, service type) of the most specific wanted type in the row, or None."""
    types = benefit.service_types or ["30"]  # EB03 absent: the row is about the whole plan
    for rank, code in enumerate(preference):
        if code in types:
            return rank, code
    return None


def _network_key(network: str | None, wanted: str) -> int:
    """Lower is better: explicit match, then unstated/both, then the other network."""
    if wanted == "out":
        order = {"N": 0, "W": 1, None: 2, "U": 2, "Y": 3}
    else:
        order = {"Y": 0, "W": 1, None: 2, "U": 2, "N": 3}
    return order.get(network, 2)


def _pick(
    member: Member,
    code: str,
    attr: str,
    *,
    network: str,
    preference: Iterable[str] = MH_PREFERENCE,
    where=lambda b: True,
) -> Pick | None:
    best: tuple[tuple[int, int, int, int], Pick] | None = None
    for b in member.benefits:
        if b.code != code or not where(b):
            continue
        value = getattr(b, attr)
        if value is None:
            continue
        ranked = _types_rank(b, preference)
        if ranked is None:
            continue
        level = 0 if b.coverage_level in INDIVIDUAL_LEVELS else 1
        key = (ranked[0], _network_key(b.network, network), level, b.position)
        if best is None or key < best[0]:
            best = (key, _picked(b, value, ranked[1]))
    return best[1] if best else None


def _mh_rows(member: Member) -> list[Benefit]:
    return [b for b in member.benefits if _types_rank(b, MH_SERVICE_TYPES) is not None]


def _network_status(member: Member, rejections: list[Rejection]) -> str:
    """in_network / out_of_network / unknown from EB12 on the cost rows.

    Only when every row that states a network says the same thing: a payer that lists both
    its in- and out-of-network benefits is describing the plan, not this provider.
    """
    if any(r.reason == "35" for r in rejections):
        return "out_of_network"
    stated = {
        b.network
        for b in member.benefits
        if b.code in {"A", "B", "C", "G", "F"} and b.network in {"Y", "N", "W"}
    }
    if stated == {"Y"}:
        return "in_network"
    if stated == {"N"}:
        return "out_of_network"
    return "unknown"


def _carve_out(member: Member) -> dict[str, Any] | None:
    """Mental health handled by another payer: EB U (contact this entity) or R (other
    payer) on mental-health service types, naming the entity in loop 2120."""
    for b in member.benefits:
        if b.code not in {"U", "R"} or _types_rank(b, MH_SERVICE_TYPES) is None:
            continue
        entity = b.entities[0] if b.entities else None
        return {
            "name": (entity.name if entity else None) or None,
            "payer_id": (entity.id if entity else None) or None,
            "messages": list(b.messages),
        }
    return None


def _sessions(member: Member, network: str) -> dict[str, Pick | None]:
    def is_visits(b: Benefit) -> bool:
        return b.quantity_qualifier in {"VS", "P6"}

    remaining = _pick(member, "F", "quantity", network=network,
                      where=lambda b: is_visits(b) and b.time_period in REMAINING_PERIODS)
    used = _pick(member, "F", "quantity", network=network,
                 where=lambda b: b.quantity_qualifier == "99")
    allowed = _pick(member, "F", "quantity", network=network,
                    where=lambda b: is_visits(b) and b.time_period not in REMAINING_PERIODS)
    if allowed is None:
        # HSD*VS under a limitation: "20 visits per calendar year".
        best: tuple[tuple[int, int], Pick] | None = None
        for b in member.benefits:
            if b.code != "F":
                continue
            ranked = _types_rank(b, MH_PREFERENCE)
            if ranked is None:
                continue
            for limit in b.limits:
                if limit.qualifier in {"VS", "P6"} and limit.quantity is not None:
                    key = (ranked[0], b.position)
                    if best is None or key < best[0]:
                        best = (key, Pick(limit.quantity, ranked[1],
                                          time_period=limit.time_period, network=b.network,
                                          coverage_level=b.coverage_level))
        allowed = best[1] if best else None
    if used is None and allowed is not None and remaining is not None:
        used = _derived(max(Decimal(0), Decimal(allowed.value) - Decimal(remaining.value)),
                        remaining, time_period=None)
    if remaining is None and allowed is not None and used is not None:
        remaining = _derived(max(Decimal(0), Decimal(allowed.value) - Decimal(used.value)),
                             used, time_period="29")
    return {"allowed": allowed, "used": used, "remaining": remaining}


def _prior_auth(member: Member, network: str) -> Pick | None:
    flagged = [b for b in _mh_rows(member) if b.authorization_required in {"Y", "N"}]
    for b in sorted(flagged, key=lambda b: (_types_rank(b, MH_PREFERENCE) or (99, ""))[0]):
        if b.authorization_required == "Y":
            return _picked(b, True, (_types_rank(b, MH_PREFERENCE) or (0, "30"))[1])
    if flagged:
        b = min(flagged, key=lambda b: ((_types_rank(b, MH_PREFERENCE) or (99, ""))[0],
                                        _network_key(b.network, network)))
        return _picked(b, False, (_types_rank(b, MH_PREFERENCE) or (0, "30"))[1])
    for b in _mh_rows(member):
        if any("PRIOR AUTH" in m.upper() or "PRECERT" in m.upper() for m in b.messages):
            return _picked(b, True, (_types_rank(b, MH_PREFERENCE) or (0, "30"))[1])
    return None


def _accumulator(member: Member, code: str) -> dict[str, dict[str, dict[str, Any]]]:
    """{individual|family: {in_network|out_of_network: {total, met, remaining}}} for EB C or
    G rows, mental-health rows first, the plan's (30) otherwise."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for level_name, levels in (("individual", INDIVIDUAL_LEVELS), ("family", FAMILY_LEVELS)):
        out[level_name] = {}
        for net_name, net in (("in_network", "in"), ("out_of_network", "out")):
            allowed_nets = {"Y", "W", None, "U"} if net == "in" else {"N", "W", None, "U"}

            def rows(periods: set[str | None], *, lv=levels, nets=allowed_nets,
                     wanted=net) -> Pick | None:
                return _pick(
                    member, code, "amount", network=wanted,
                    where=lambda b: b.coverage_level in lv and b.network in nets
                    and b.time_period in periods)

            total = rows(TOTAL_PERIODS)
            remaining = rows(REMAINING_PERIODS)
            met = rows(MET_PERIODS)
            if remaining is None and total is not None and met is not None:
                remaining = _derived(max(Decimal(0), Decimal(total.value) - Decimal(met.value)),
                                     total, time_period="29")
            if met is None and total is not None and remaining is not None:
                met = _derived(max(Decimal(0), Decimal(total.value) - Decimal(remaining.value)),
                               total, time_period="24")
            out[level_name][net_name] = {
                "total": _figure(total, unit="usd"),
                "met": _figure(met, unit="usd"),
                "remaining": _figure(remaining, unit="usd"),
            }
    return out


def rejection_out(rej: Rejection) -> dict[str, Any]:
    return {
        "code": rej.reason,
        "meaning": meaning(AAA_REJECT_REASONS, rej.reason) or f"Reason {rej.reason}",
        "follow_up": meaning(AAA_FOLLOW_UP, rej.follow_up) or None,
        "advice": REJECTION_ADVICE.get(
            rej.reason, "Check the insurance details against the card and try again."),
        "loop": rej.loop,
    }


def _patient(response: EligibilityResponse) -> Member | None:
    """The member the answer is about: the dependent when the payer answered at that
    level, else the subscriber."""
    dependents = [m for m in response.members if m.role == "dependent"]
    for m in dependents:
        if m.benefits or m.rejections:
            return m
    subscribers = [m for m in response.members if m.role == "subscriber"]
    return subscribers[0] if subscribers else (dependents[0] if dependents else None)


def empty_summary() -> dict[str, Any]:
    blank = {"total": None, "met": None, "remaining": None}
    acc = {lv: {"in_network": dict(blank), "out_of_network": dict(blank)}
           for lv in ("individual", "family")}
    return {
        "coverage": None,
        "network": "unknown",
        "plan_name": None,
        "group_number": None,
        "plan_begin": None,
        "mental_health": {
            "carved_out": False, "carve_out": None, "sessions_allowed": None,
            "sessions_used": None, "sessions_remaining": None, "copay": None,
            "coinsurance": None, "prior_authorization_required": None,
        },
        "deductible": acc,
        "out_of_pocket": {k: {n: dict(b) for n, b in v.items()} for k, v in acc.items()},
        "rejections": [],
        "payer_answered": False,
        "messages": [],
    }


def summarize(response: EligibilityResponse) -> dict[str, Any]:
    """The benefit summary of one parsed 271."""
    summary = empty_summary()
    rejections = list(response.rejections)
    member = _patient(response)
    if member is not None:
        rejections += member.rejections
        for other in response.members:
            if other is not member:
                rejections += other.rejections
    summary["rejections"] = [rejection_out(r) for r in rejections]
    summary["payer_answered"] = not any(r.reason in NO_ANSWER_REASONS for r in rejections)
    if member is None or (not member.benefits and rejections):
        return summary

    summary["coverage"] = member.coverage
    summary["plan_name"] = member.plan
    summary["group_number"] = member.references.get("6P") or member.references.get("IG")
    plan_dates = member.dates.get("346") or member.dates.get("291") or member.dates.get("356")
    summary["plan_begin"] = plan_dates.split("/")[0] if plan_dates else None
    network = _network_status(member, rejections)
    summary["network"] = network
    prefer = "out" if network == "out_of_network" else "in"

    carve = _carve_out(member)
    mh = summary["mental_health"]
    if carve is not None:
        mh["carved_out"] = True
        mh["carve_out"] = carve
    else:
        sessions = _sessions(member, prefer)
        mh["sessions_allowed"] = _figure(sessions["allowed"], unit="visits")
        mh["sessions_used"] = _figure(sessions["used"], unit="visits")
        mh["sessions_remaining"] = _figure(sessions["remaining"], unit="visits")
        visit_or_any = {None, "27", "7", "22", "23"}
        mh["copay"] = _figure(
            _pick(member, "B", "amount", network=prefer,
                  where=lambda b: b.time_period in visit_or_any), unit="usd")
        mh["coinsurance"] = _figure(
            _pick(member, "A", "percent", network=prefer,
                  where=lambda b: b.time_period in visit_or_any), unit="percent")
        mh["prior_authorization_required"] = _figure(_prior_auth(member, prefer), unit="bool")
    summary["deductible"] = _accumulator(member, "C")
    summary["out_of_pocket"] = _accumulator(member, "G")
    summary["messages"] = sorted({m for b in member.benefits for m in b.messages})[:20]
    return summary


def parse_271_text(text: str) -> EligibilityResponse | None:
    """The first 271 of `text`, or None when there is none (a 999, an empty answer).

    Raises x12.errors.X12Error when the text is not X12 at all.
    """

    for ts in X12Reader.from_text(text):
        if ts.set_id == "271":
            return parse_271(ts)
    return None


def period_label(code: str | None) -> str | None:
    return meaning(TIME_PERIOD, code)


# --- figures in words ------------------------------------------------------------------------
# "$500.00 deductible, calendar year, in network, individual (whole plan)" rather than the
# 271's "$500.00 from 30": every code of the benefit row (EB03 service type, EB06 time
# period, EB12 network, EB02 coverage level) said in words. Summaries stored before these
# fields existed simply say less.

# Our wording for the service types a therapy practice sees; others use X12's name.
SERVICE_TYPE_PLAIN: dict[str, str] = {
    "30": "whole plan",
    "MH": "mental health",
    "A4": "psychiatric",
    "A6": "psychotherapy",
    "A7": "inpatient psychiatric",
    "A8": "outpatient psychiatric",
    "98": "office visit",
    "CF": "inpatient mental health provider",
    "CG": "outpatient mental health provider",
}

PERIOD_PLAIN: dict[str, str] = {
    "6": "per hour",
    "7": "per day",
    "13": "per 24 hours",
    "21": "per year",
    "22": "service year",
    "23": "calendar year",
    "24": "year to date",
    "25": "per contract",
    "26": "per episode",
    "27": "per visit",
    "29": "remaining",
    "30": "exceeded",
    "31": "not exceeded",
    "32": "lifetime",
    "33": "lifetime remaining",
    "34": "per month",
    "35": "per week",
    "36": "per admission",
}

NETWORK_PLAIN: dict[str, str] = {
    "Y": "in network",
    "N": "out of network",
    "W": "in and out of network",
}


def service_type_text(code: str | None) -> str:
    if not code:
        return ""
    return SERVICE_TYPE_PLAIN.get(code) or (meaning(SERVICE_TYPES, code) or
                                            f"service type {code}").lower()


def period_text(code: str | None) -> str:
    if not code:
        return ""
    return PERIOD_PLAIN.get(code) or (meaning(TIME_PERIOD, code) or "").lower()


def network_text(code: str | None) -> str:
    """EB12 in words; "" when the payer did not say (or said "unknown")."""
    return NETWORK_PLAIN.get(code or "", "")


def coverage_level_text(code: str | None) -> str:
    if not code:
        return ""
    return (meaning(COVERAGE_LEVEL, code) or code).lower()


def figure_value_text(fig: dict[str, Any] | None) -> str:
    """The figure's value with its unit: "$500.00", "20%", "20 visits", "Yes"."""
    if not fig:
        return "Not reported"
    value, unit = fig.get("value"), fig.get("unit")
    if unit == "usd":
        return f"${Decimal(value):,.2f}"
    if unit == "percent":
        return f"{Decimal(value).normalize():f}%"
    if unit == "visits":
        return f"{value} visit{'' if str(value) == '1' else 's'}"
    if unit == "bool":
        return "Yes" if value else "No"
    return str(value)


def figure_details(fig: dict[str, Any] | None, *, what: str = "",
                   compact: bool = False) -> str:
    """What a figure is, in words: "deductible, calendar year, in network, individual (whole
    plan)". `what` names the figure ("deductible", "copay"); the rest comes from its row.
    `compact` leaves out the network and coverage level, for a table whose rows say them."""
    if not fig:
        return ""
    # A yes/no (prior authorization) is not "per" anything: its row's period says nothing.
    period = "" if fig.get("unit") == "bool" else period_text(fig.get("time_period"))
    who = ("", "") if compact else (network_text(fig.get("network")),
                                     coverage_level_text(fig.get("coverage_level")))
    parts = [p for p in (what, period, *who) if p]
    text = ", ".join(parts)
    source = service_type_text(fig.get("service_type"))
    if source:
        text = f"{text} ({source})" if text else source
    if fig.get("derived"):
        text += ", calculated from the other figures"
    return text


def figure_text(fig: dict[str, Any] | None, *, what: str = "") -> str:
    """ "$500.00 deductible, calendar year, in network, individual (whole plan)"."""
    if not fig:
        return "Not reported"
    details = figure_details(fig, what=what)
    return f"{figure_value_text(fig)} {details}".strip()
