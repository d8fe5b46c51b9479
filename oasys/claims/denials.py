"""Denials and rejections in words, with what to do about the common ones.

The codes are X12's (CARC) and the claim status codes of 277s; the advice is ours.
"""

from __future__ import annotations

# CARC -> what a therapy practice should usually do.
CARC_FIXES: dict[str, str] = {
    "16": "Information is missing: read the remark codes, add what is missing to the client "
          "or session, and send a replacement claim.",
    "18": "Duplicate: check whether the first claim was paid. If it was, nothing to do; if it "
          "was not, ask the payer for its status before resubmitting.",
    "22": "Another payer may be primary: update the client's insurance order and bill the "
          "primary first.",
    "27": "Coverage had ended: run an eligibility check, then bill the right payer or the "
          "client.",
    "29": "Past the filing limit: appeal only with proof of timely filing (the clearinghouse "
          "acceptance report), otherwise write it off.",
    "45": "Contractual adjustment: the payer's fee schedule; not billable to the client.",
    "50": "Not deemed medically necessary: appeal with the clinical note and treatment plan.",
    "96": "Not covered: bill the client if they agreed in writing, otherwise write it off.",
    "97": "Bundled with another service: check the codes billed for that day.",
    "109": "Not covered by this payer: bill the payer named in the remark (often a "
           "behavioral-health carve-out).",
    "119": "The yearly benefit maximum is reached: bill the client or write it off.",
    "167": "Diagnosis not covered: check the diagnosis codes and their order.",
    "197": "Prior authorization missing: obtain the authorization number, add it and send a "
           "replacement claim, or appeal if it was on file.",
    "204": "Service not covered by the plan: bill the client or write it off.",
    "242": "Provider not in network: bill as out-of-network or check your enrollment.",
}

# 277CA / 277 status codes (STC01-2) -> what to do.
STATUS_FIXES: dict[str, str] = {
    "33": "The payer cannot find the subscriber: check the member ID, name and date of birth "
          "against the card, then correct and resubmit.",
    "25": "The payer does not recognise the provider: finish enrollment with this payer, "
          "then resubmit.",
    "562": "The NPI is invalid: correct it in Provider Information, then resubmit.",
    "21": "Information is missing or invalid: correct what the message names, then resubmit.",
    "116": "The payer name or ID is wrong: pick the right payer for this client.",
}


def fix_for(*, carc: str | None = None, status_code: str | None = None) -> str:
    if carc and carc in CARC_FIXES:
        return CARC_FIXES[carc]
    if status_code and status_code in STATUS_FIXES:
        return STATUS_FIXES[status_code]
    return ""
