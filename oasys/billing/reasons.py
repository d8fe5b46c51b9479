"""Why a billable session is not Ready: stable codes, the guide's words, where to fix it.

Codes are part of the API (`GET /api/v1/billing/queue` returns them); never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message: str
    detail: str = ""  # the specific error, for claim validation errors and warnings
    fix_url: str = ""  # filled in by the queue, which knows the ids
    fix_label: str = ""
    blocked: bool = False  # shown as "Blocked" rather than "Incomplete"
    warning: bool = False  # shown but does not stop billing

    def with_link(self, url: str, label: str) -> Reason:
        return Reason(self.code, self.message, self.detail, url, label, self.blocked, self.warning)

    @property
    def text(self) -> str:
        return f"{self.message}: {self.detail}" if self.detail else self.message


# code -> (message from SPEC §6, what the user does about it)
MESSAGES: dict[str, tuple[str, str]] = {
    "insurance_setup_incomplete": (
        "Insurance setup not complete",
        "Finish your provider info in Billing → Setup → Billing Setup.",
    ),
    "missing_payer": (
        "Missing insurance payer",
        "Update the client's insurance in Client Billing.",
    ),
    "missing_diagnosis": (
        "Missing diagnosis codes",
        "Add them in the client's clinical information.",
    ),
    "missing_cpt": ("Missing CPT code", "Update the service type or edit the session."),
    # A code saved before codes were checked against the behavioral-health list, or an
    # extra code the practice has since removed: named here, never sent on a claim.
    "invalid_cpt": (
        "CPT code not valid",
        "Fix the code on the service type (or the client's pricing rule), or add it under "
        "Billing → Setup → Service codes if your payer needs it.",
    ),
    "missing_charge": ("Missing service charge amount", "Set a price on the service type."),
    "incomplete_insurance": (
        "Incomplete client insurance details",
        "Complete the client's insurance profile.",
    ),
    "missing_taxonomy": (
        "Missing provider taxonomy",
        "Add it in Billing → Setup → Provider Information.",
    ),
    "unsigned_note": ("Unsigned clinical notes", "Sign the note first, then bill."),
    "claim_validation": ("Claim validation errors", "Correct the error shown."),
    "awaiting_supervisor": (
        "Awaiting supervisor approval",
        "Blocked until the supervisor approves the session.",
    ),
    # Beyond the guide: what a real claim also needs.
    "payer_not_enrolled": (
        "Payer not enrolled for claims",
        "Finish claims (1500) enrollment for this payer in Billing Setup → Insurance Billing.",
    ),
    "timely_filing_close": (
        "Timely filing deadline close",
        "Submit soon: the payer's filing limit is near.",
    ),
    "no_show_fee_zero": (
        "No-show fee is $0",
        "Not billable: this service's no-show fee is $0. Set a fee on the service type in "
        "Setup → Service Types to bill no-shows.",
    ),
    "missing_client_email": (
        "Client has no email address",
        "Add an email address so the invoice can be delivered.",
    ),
}


def reason(code: str, detail: str = "") -> Reason:
    message, _ = MESSAGES[code]
    return Reason(
        code=code,
        message=message,
        detail=detail,
        blocked=code == "awaiting_supervisor",
        warning=code == "timely_filing_close",
    )


def help_text(code: str) -> str:
    return MESSAGES[code][1]
