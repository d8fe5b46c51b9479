"""What the codes on an ERA mean, in plain words.

CARC and RARC lists belong to ASC X12 (RARCs are maintained by CMS); their official texts
are not redistributed. We ship the code lists (code and status only, `data/*_codes.txt`) and
our own plain-language explanation for the codes a therapy practice commonly sees. A code
without our own wording shows as "CARC 123" with a note that no explanation is available.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from x12.codes.remittance import ADJUSTMENT_GROUP, CLAIM_STATUS_835

DATA = Path(__file__).parent / "data"

# Our own wording (not X12's text) for common claim adjustment reason codes.
CARC_PLAIN: dict[str, str] = {
    "1": "Applied to the client's deductible: the client owes this part.",
    "2": "The client's coinsurance: their percentage share of the allowed amount.",
    "3": "The client's copay for the visit.",
    "4": "The procedure code does not fit the modifier used, or a needed modifier is missing.",
    "5": "The procedure code or type of bill does not fit the place of service.",
    "11": "The diagnosis does not support the procedure billed.",
    "16": "The claim is missing information or has a billing error. Correct it and submit "
          "again; the remark codes say what is missing.",
    "18": "The payer already received this exact claim or service (a duplicate).",
    "22": "Another insurance may be primary for this care (coordination of benefits). Bill "
          "the primary payer first.",
    "23": "Reduced by what an earlier payer already paid or allowed.",
    "24": "Covered by a capitation or managed care agreement: no separate payment.",
    "26": "The service happened before the client's coverage started.",
    "27": "The service happened after the client's coverage ended.",
    "29": "The claim reached the payer after its filing deadline (timely filing).",
    "31": "The payer cannot identify the client as its member. Check the member ID and name.",
    "35": "The client has reached the plan's lifetime benefit maximum.",
    "45": "Above the payer's allowed or contracted amount. Under your contract this "
          "difference is written off; the client does not owe it.",
    "50": "The payer does not consider the service medically necessary.",
    "59": "Reduced under the payer's rules for multiple or same-day procedures.",
    "94": "Processed for more than the charge.",
    "96": "Not covered by the client's plan. The remark codes give the details.",
    "97": "Paid as part of another service already processed; no separate payment.",
    "109": "This payer does not cover this claim. Send it to the right payer (for example a "
           "behavioral health plan that manages mental health benefits).",
    "119": "The client has used the plan's maximum for this period (for example visits per "
           "year).",
    "140": "The client's name and member ID do not match the payer's records.",
    "151": "The information sent does not support this many services or units.",
    "181": "The procedure code was not valid on the date of service.",
    "182": "A modifier was not valid on the date of service.",
    "185": "The rendering provider is not eligible to perform this service.",
    "197": "Prior authorization was required and none was on file. Add the authorization "
           "number to the claim, or appeal.",
    "204": "The client's current plan does not cover this service.",
    "226": "The payer asked you for information and did not receive it.",
    "227": "The payer asked the client for information and did not receive it.",
    "242": "Provided outside the client's network or without the required referral.",
    "252": "The payer needs an attachment or other documentation to process the claim.",
    "253": "Sequestration: a reduction of federal (Medicare) payments required by law.",
}

# Our own wording for remittance advice remark codes common in behavioral health.
RARC_PLAIN: dict[str, str] = {
    "M15": "Services billed separately were combined into one procedure; no separate pay.",
    "M51": "A procedure code is missing, incomplete or invalid.",
    "M80": "Not covered on the same day or session as another service already processed.",
    "M86": "Denied because the same or a similar service was already paid recently.",
    "M127": "The payer needs the client's medical record for this service.",
    "MA01": "You can appeal this decision if you disagree with it.",
    "MA04": "Secondary payment needs the primary payer's payment information.",
    "MA130": "The claim could not be processed as sent and cannot be appealed: correct it and "
             "submit it as a new claim.",
    "N4": "The prior insurance's explanation of benefits is missing or invalid.",
    "N20": "Not payable together with another service on the same date.",
    "N30": "The client is not eligible for this service.",
    "N54": "The claim does not match the services that were authorized.",
    "N95": "This provider type or specialty may not bill this service.",
    "N130": "See the plan's benefit documents for limits on this service.",
    "N179": "The payer asked the client for more information; the claim will be looked at "
            "again once it arrives.",
    "N290": "The rendering provider's identifier (NPI) is missing or invalid.",
    "N362": "More days or units than the payer accepts.",
    "N418": "Sent to the wrong payer: see the payer's instructions on where to submit.",
    "N432": "Adjusted after a recovery audit.",
    "N479": "The other insurance's explanation of benefits is missing.",
    "N522": "A duplicate of a claim already processed as a crossover claim.",
    "N657": "Bill this with the code that fits the service.",
}

# Provider-level (PLB) adjustment reasons, our wording.
PLB_PLAIN: dict[str, str] = {
    "L6": "Interest the payer owes you on a late payment (adds to the payment).",
    "WO": "Overpayment recovery: money taken back for an earlier overpaid claim.",
    "FB": "Forwarding balance: an amount carried between payments.",
    "CS": "Adjustment; the reference explains it.",
    "72": "Authorized return: money returned by the provider.",
    "J1": "Not reimbursable.",
    "50": "Late filing charge.",
    "L3": "Penalty.",
    "IR": "Internal Revenue Service withholding.",
    "WU": "Recovery of an unspecified amount.",
    "90": "Early payment allowance.",
}


@lru_cache(maxsize=2)
def _codes(name: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, _, status = line.partition("\t")
            out[code.strip()] = status.strip()
    return out


def carc_codes() -> dict[str, str]:
    return _codes("carc_codes.txt")


def rarc_codes() -> dict[str, str]:
    return _codes("rarc_codes.txt")


NO_WORDING = "No plain-language explanation yet; look the code up in the payer's remittance."


def carc_text(code: str) -> str:
    return CARC_PLAIN.get(code) or f"CARC {code}"


def rarc_text(code: str) -> str:
    return RARC_PLAIN.get(code) or f"RARC {code}"


def carc_explained(code: str) -> dict[str, object]:
    """{code, text, known, status}: `known` False means the text is only "CARC 123"."""
    return {"code": code, "text": carc_text(code), "known": code in CARC_PLAIN,
            "status": carc_codes().get(code, "unknown")}


def rarc_explained(code: str) -> dict[str, object]:
    return {"code": code, "text": rarc_text(code), "known": code in RARC_PLAIN,
            "status": rarc_codes().get(code, "unknown")}


def group_text(group: str) -> str:
    return ADJUSTMENT_GROUP.get(group, group)


def plb_text(reason: str) -> str:
    return PLB_PLAIN.get(reason) or f"PLB {reason}"


def claim_status_text(code: str) -> str:
    return CLAIM_STATUS_835.get(code, f"Status {code}")
