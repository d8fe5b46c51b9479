"""Claim scrubbing: the checks a clearinghouse and a payer would make, as pure functions.

Each returns human-readable errors; the readiness engine turns them into "Claim validation
errors" reasons. No Django here, so the rules are tested directly and fast.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from oasys.core import codes as core_codes  # "codes" names CPT lists below
from oasys.core.formats import date_text

# Psychotherapy time codes and the minutes each needs (CPT time rules: a code is reported
# once its midpoint is passed).
TIME_CODES: dict[str, tuple[int, int | None]] = {
    "90832": (16, 37),
    "90834": (38, 52),
    "90837": (53, None),
}
CRISIS_FIRST = "90839"  # first 30-74 minutes of psychotherapy for crisis
CRISIS_ADD_ON = "90840"  # each additional 30 minutes, only with 90839
FAMILY_CODES = {"90846", "90847"}  # 26 minutes or more
INTERACTIVE_COMPLEXITY = "90785"
# Codes one claim may carry only one of: the session's primary psychotherapy service.
PRIMARY_CODES = {"90791", "90792", *TIME_CODES, CRISIS_FIRST, *FAMILY_CODES, "90849", "90853"}
# 90785 may go only with these (never with crisis or family codes).
INTERACTIVE_OK_WITH = {
    "90791",
    "90792",
    "90832",
    "90833",
    "90834",
    "90836",
    "90837",
    "90838",
    "90853",
}
ADD_ONS = {INTERACTIVE_COMPLEXITY, CRISIS_ADD_ON, "90833", "90836", "90838"}
TELEHEALTH_POS = {"02", "10"}
TELEHEALTH_MODIFIERS = {"95", "GT", "93", "FQ", "GQ"}


def cpt_format_error(code: str) -> str | None:
    """The claim line's CPT code as stored (unlike a service type, a claim needs one)."""
    return core_codes.cpt_error(code, required=True)


def procedure_errors(codes: Sequence[str], minutes: int) -> list[str]:
    """Rules for the psychotherapy codes of one claim (one session)."""
    errors: list[str] = []
    primaries = [c for c in codes if c in PRIMARY_CODES]
    if len(primaries) > 1:
        errors.append(f"Only one psychotherapy code per claim; this has {', '.join(primaries)}.")
    if INTERACTIVE_COMPLEXITY in codes:
        if not primaries:
            errors.append("90785 (interactive complexity) is an add-on and needs a primary code.")
        elif not any(c in INTERACTIVE_OK_WITH for c in primaries):
            errors.append(f"90785 (interactive complexity) cannot be billed with {primaries[0]}.")
    if CRISIS_ADD_ON in codes and CRISIS_FIRST not in codes:
        errors.append("90840 (crisis, each additional 30 min) needs 90839 on the same claim.")
    if CRISIS_FIRST in codes:
        if minutes < 30:
            errors.append(
                f"90839 needs at least 30 minutes of crisis psychotherapy; this was {minutes}."
            )
        extra = sum(1 for c in codes if c == CRISIS_ADD_ON)
        needed = max(0, (minutes - 75) // 30 + 1) if minutes >= 75 else 0
        if extra > needed:
            errors.append(
                f"{extra}× 90840 needs at least {75 + 30 * (extra - 1)} minutes; "
                f"this was {minutes}."
            )
    for code in primaries:
        if code in TIME_CODES:
            low, high = TIME_CODES[code]
            if minutes < low or (high is not None and minutes > high):
                span = f"{low}–{high}" if high else f"{low}+"
                better = time_code_for(minutes)
                hint = f"; {minutes} minutes is {better}" if better else ""
                errors.append(f"{code} is for {span} minutes; this session was {minutes}{hint}.")
        if code in FAMILY_CODES and minutes < 26:
            errors.append(
                f"{code} (family psychotherapy) needs at least 26 minutes; this was {minutes}."
            )
    return errors


def time_code_for(minutes: int) -> str | None:
    for code, (low, high) in TIME_CODES.items():
        if minutes >= low and (high is None or minutes <= high):
            return code
    return None


@dataclass(frozen=True, slots=True)
class TelehealthRule:
    """What a payer expects on telehealth claims from a given year (None payer: default)."""

    payer_id: int | None
    effective_year: int
    place_of_service: str
    required_modifier: str  # "" means none required


def telehealth_rule_for(
    rules: Iterable[TelehealthRule], *, payer_id: int | None, pos: str, year: int
) -> TelehealthRule | None:
    """The payer's own newest rule for this POS in effect that year, else the default's."""
    candidates = [r for r in rules if r.place_of_service == pos and r.effective_year <= year]
    own = [r for r in candidates if r.payer_id == payer_id and payer_id is not None]
    pool = own or [r for r in candidates if r.payer_id is None]
    return max(pool, key=lambda r: r.effective_year, default=None)


def telehealth_errors(
    *, pos: str, modifiers: Sequence[str], rule: TelehealthRule | None, year: int
) -> list[str]:
    errors = []
    tele_mods = [m for m in modifiers if m in TELEHEALTH_MODIFIERS]
    if pos in TELEHEALTH_POS:
        if rule and rule.required_modifier and rule.required_modifier not in modifiers:
            errors.append(
                f"Telehealth (place of service {pos}) needs modifier {rule.required_modifier} "
                f"for this payer in {year}."
            )
    elif tele_mods:
        errors.append(
            f"Modifier {tele_mods[0]} marks telehealth, "
            f"but the place of service is {pos or 'empty'}."
        )
    return errors


def timely_filing(
    *, service_date: date, today: date, limit_days: int, warn_within_days: int = 14
) -> tuple[str | None, str | None]:
    """(error, warning): past the payer's filing limit, or close to it."""
    deadline = service_date + timedelta(days=limit_days)
    left = (deadline - today).days
    if left < 0:
        return (
            f"The payer's {limit_days}-day filing limit passed on {date_text(deadline)}.",
            None,
        )
    if left <= warn_within_days:
        return None, f"File by {date_text(deadline)} ({left} days left of {limit_days})."
    return None, None


def modifier_errors(modifiers: Sequence[str]) -> list[str]:
    """The claim line's modifiers as stored; a repeat has never been a scrubber error."""
    return core_codes.modifier_errors(modifiers, allow_repeats=True)
