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


# The client's share (group PR): not a denial, the client owes it.
CLIENT_SHARE_FIX = ("The client owes this: it goes on the client's invoice once the claim is "
                    "posted. Nothing to send the payer.")

# CARC fixes for codes that are not denials but still raise a biller's question.
CARC_FIXES.update({
    "4": "Check the modifiers on the service line (for example 95 for telehealth), correct "
         "them and send a replacement claim.",
    "11": "Check that the diagnosis supports the service and that the pointers are right, "
          "then send a replacement claim.",
    "26": "Coverage had not started: run an eligibility check and bill the right payer or "
          "the client.",
    "31": "Check the member ID, name and date of birth against the insurance card, correct "
          "the client's policy and resubmit.",
    "59": "Reduced under the payer's same-day rules: check what else was billed that day.",
    "140": "Check the client's name and member ID against the card, correct the policy and "
           "resubmit.",
    "151": "Check the units billed against the session length, correct and resubmit.",
    "181": "Use a CPT code valid on the date of service and send a replacement claim.",
    "185": "Check the rendering clinician's credentials and enrollment with this payer.",
    "226": "Send the payer the information it asked for, then ask for the claim to be "
           "reprocessed.",
    "227": "Ask the client to answer the payer's request (often a coordination-of-benefits "
           "form), then ask the payer to reprocess.",
    "252": "Send the payer the documentation it asks for (an attachment), then ask it to "
           "reprocess.",
})

# Adjustments that are no denial at all; advice shown beside them on the claim page only (the
# denial summary skips them to find the real reason).
CARC_NOTES: dict[str, str] = {
    "23": "Another payer paid first: nothing to do unless the amounts look wrong.",
    "253": "A federal reduction required by law: write it off, the client does not owe it.",
}

# Remark codes (RARC) -> what to do.
RARC_FIXES: dict[str, str] = {
    "M51": "Check the CPT code and modifiers on the service line, correct them and send a "
           "replacement claim.",
    "M127": "Send the payer the clinical note for this session.",
    "MA01": "If you disagree, appeal from this page within the payer's appeal window.",
    "MA04": "Send the secondary claim with the primary payer's payment information.",
    "MA130": "Do not appeal: correct the claim (the other codes say what) and submit it "
             "again as a new claim.",
    "N4": "Attach the primary payer's explanation of benefits and resubmit.",
    "N30": "Run an eligibility check: the client may not be covered for this service.",
    "N54": "Check the authorization number and the authorized dates and visits.",
    "N290": "Check the rendering clinician's NPI in the clinician's settings, then resubmit.",
    "N418": "Check which payer manages this client's plan and bill that one.",
    "N479": "Attach the other insurance's explanation of benefits and resubmit.",
}

# 277 category codes (STC01-1), grouped by their letter: what the statement means for you.
CATEGORY_PLAIN: dict[str, str] = {
    "A0": "Passed on to another organisation.",
    "A1": "Received.",
    "A2": "Accepted for processing.",
    "A3": "Returned: the claim could not be processed as sent.",
    "A4": "The payer cannot find the claim.",
    "A6": "Rejected: information is missing.",
    "A7": "Rejected: some information is invalid.",
    "A8": "Rejected: two fields on the claim do not fit together.",
    "E0": "The request had an error; no status could be given.",
    "E1": "The payer's system could not answer.",
    "E2": "The payer is not answering; the status will be asked again later.",
    "F0": "Finished: the payer has decided the claim.",
    "F1": "Finished: paid.",
    "F2": "Finished: denied.",
    "F3": "Finished: the payer changed an earlier decision.",
    "F4": "Finished: no payment will come.",
    "P0": "Pending: no details yet.",
    "P1": "Pending: being processed.",
    "P2": "Pending: under review at the payer.",
    "P3": "Pending: the payer is waiting for information from you.",
    "P4": "Pending: the payer is waiting for information from the client.",
    "P5": "Pending: on hold at the payer.",
    "R0": "The payer asks for more information.",
    "R1": "The payer asks for information about someone on the claim.",
    "R3": "The payer asks for information about the claim or a line.",
    "R4": "The payer asks for documentation.",
}

# What to do for a whole family of categories when the status code has no fix of its own.
_CATEGORY_FIXES: dict[str, str] = {
    "A1": "Nothing to do: wait for the payer's decision.",
    "A2": "Nothing to do: wait for the payer's decision.",
    "A0": "Nothing to do: wait for the payer's decision.",
    "A3": "Correct what the status names, then correct and resubmit.",
    "A4": "Ask the payer for status; resubmit if the claim never arrived.",
    "A6": "Add the missing information the status names, then correct and resubmit.",
    "A7": "Correct the invalid information the status names, then correct and resubmit.",
    "A8": "Correct the fields the status names so they agree, then correct and resubmit.",
    "E": "Nothing to fix on the claim: ask for status again later.",
    "F1": "See the ERA for the amounts.",
    "F2": "See the ERA for the reasons; correct and resubmit, or appeal.",
    "F4": "See the ERA for the reasons; bill the client or write it off.",
    "P": "Nothing to do yet: the payer is still working on it.",
    "P3": "Send the payer the information it asked for.",
    "P4": "Ask the client to answer the payer.",
    "R": "Send the payer the information or documents it asks for.",
}


def category_text(category: str) -> str:
    """A 277 category code in plain words ("" when we have none)."""
    return CATEGORY_PLAIN.get(category, "")


def fix_for(*, carc: str | None = None, status_code: str | None = None,
            rarc: str | None = None, category: str | None = None,
            group: str | None = None) -> str:
    """What a biller should usually do about a code, or "" when we have no advice.

    `group` PR (patient responsibility) makes any CARC the client's share; `category` (a
    277 STC01-1) is the fallback when the status code has no advice of its own.
    """
    if carc and group == "PR" and carc not in CARC_FIXES:
        return CLIENT_SHARE_FIX
    if carc and carc in CARC_FIXES:
        return CARC_FIXES[carc]
    if carc and group and carc in CARC_NOTES:
        return CARC_NOTES[carc]
    if rarc and rarc in RARC_FIXES:
        return RARC_FIXES[rarc]
    if status_code and status_code in STATUS_FIXES:
        return STATUS_FIXES[status_code]
    if category:
        return _CATEGORY_FIXES.get(category) or _CATEGORY_FIXES.get(category[:1], "")
    return ""
