"""Which CPT/HCPCS codes a practice may bill: one validator for every screen, API and service.

A code must have a valid five-character shape (`oasys.core.codes.cpt_error`: CPT 90837,
Category II/III/PLA 0591T, HCPCS Level II H0004) AND be one Oasys knows for behavioral health
(`KNOWN_CODES`, below) or one the practice added deliberately under Billing → Setup →
Service codes (`ExtraServiceCode`). A well-formed code outside both, like 99999, is refused:
a typo that passes the shape check would otherwise go on a claim and come back denied weeks
later.

Callers: service types (form, API, services), client pricing rules, appointments, estimates,
the readiness engine (an old session with a code no longer known is named, not crashed on)
and replacement-claim editing. Use `cpt_validate`; pass `extra_codes` when checking many
codes for one practice so the practice's list is read once (`cpt_extra_codes`).
"""

from __future__ import annotations

from collections.abc import Collection

from oasys.core.codes import cpt_clean, cpt_error
from oasys.core.models import Practice

from .models import ExtraServiceCode

SETUP_HINT = "If your payer needs it, add it under Billing → Setup → Service codes."

# Our own short wording (not the AMA's descriptors), grouped as the setup screen shows them.
KNOWN_CODE_GROUPS: dict[str, dict[str, str]] = {
    "Diagnostic evaluation": {
        "90791": "Psychiatric diagnostic evaluation",
        "90792": "Psychiatric diagnostic evaluation with medical services",
    },
    "Psychotherapy": {
        "90832": "Psychotherapy, 30 minutes",
        "90833": "Psychotherapy, 30 minutes, with an E/M visit (add-on)",
        "90834": "Psychotherapy, 45 minutes",
        "90836": "Psychotherapy, 45 minutes, with an E/M visit (add-on)",
        "90837": "Psychotherapy, 60 minutes",
        "90838": "Psychotherapy, 60 minutes, with an E/M visit (add-on)",
        "90839": "Psychotherapy for crisis, first 60 minutes",
        "90840": "Psychotherapy for crisis, each additional 30 minutes (add-on)",
        "90845": "Psychoanalysis",
        "90846": "Family psychotherapy without the patient",
        "90847": "Family psychotherapy with the patient",
        "90849": "Multiple-family group psychotherapy",
        "90853": "Group psychotherapy",
        "90875": "Psychophysiological therapy with biofeedback, 30 minutes",
        "90876": "Psychophysiological therapy with biofeedback, 45 minutes",
        "90880": "Hypnotherapy",
        "90899": "Unlisted psychiatric service",
    },
    "Add-ons": {
        "90785": "Interactive complexity (add-on)",
        "90863": "Pharmacologic management with psychotherapy (add-on)",
    },
    "Other psychiatric services": {
        "90865": "Narcosynthesis",
        "90867": "Transcranial magnetic stimulation, initial",
        "90868": "Transcranial magnetic stimulation, subsequent",
        "90869": "Transcranial magnetic stimulation, re-determination",
        "90870": "Electroconvulsive therapy",
        "90882": "Environmental intervention",
        "90885": "Evaluation of records and reports",
        "90887": "Explaining results to family or others",
        "90889": "Preparation of a report",
    },
    "Assessment and testing": {
        "96112": "Developmental test administration, first hour",
        "96113": "Developmental test administration, each additional 30 minutes (add-on)",
        "96116": "Neurobehavioral status exam, first hour",
        "96121": "Neurobehavioral status exam, each additional hour (add-on)",
        "96127": "Brief emotional or behavioral assessment",
        "96130": "Psychological testing evaluation, first hour",
        "96131": "Psychological testing evaluation, each additional hour (add-on)",
        "96132": "Neuropsychological testing evaluation, first hour",
        "96133": "Neuropsychological testing evaluation, each additional hour (add-on)",
        "96136": "Test administration by a professional, first 30 minutes",
        "96137": "Test administration by a professional, each additional 30 minutes (add-on)",
        "96138": "Test administration by a technician, first 30 minutes",
        "96139": "Test administration by a technician, each additional 30 minutes (add-on)",
        "96146": "Automated test administration",
    },
    "Health behavior": {
        "96156": "Health behavior assessment",
        "96158": "Health behavior intervention, first 30 minutes",
        "96159": "Health behavior intervention, each additional 15 minutes (add-on)",
        "96164": "Health behavior group intervention, first 30 minutes",
        "96165": "Health behavior group intervention, each additional 15 minutes (add-on)",
        "96167": "Health behavior family intervention, first 30 minutes",
        "96168": "Health behavior family intervention, each additional 15 minutes (add-on)",
        "96170": "Health behavior family intervention without the patient, first 30 minutes",
        "96171": "Health behavior family intervention without the patient, each additional "
                 "15 minutes (add-on)",
    },
    "Applied behavior analysis": {
        "97151": "Behavior identification assessment",
        "97152": "Behavior identification supporting assessment",
        "97153": "Adaptive behavior treatment by protocol",
        "97154": "Group adaptive behavior treatment by protocol",
        "97155": "Adaptive behavior treatment with protocol modification",
        "97156": "Family adaptive behavior treatment guidance",
        "97157": "Multiple-family group adaptive behavior treatment guidance",
        "97158": "Group adaptive behavior treatment with protocol modification",
        "0362T": "Behavior identification supporting assessment (Category III)",
        "0373T": "Adaptive behavior treatment with protocol modification (Category III)",
    },
    "Office visits (prescribers)": {
        "99202": "New patient office visit, straightforward",
        "99203": "New patient office visit, low complexity",
        "99204": "New patient office visit, moderate complexity",
        "99205": "New patient office visit, high complexity",
        "99212": "Established patient office visit, straightforward",
        "99213": "Established patient office visit, low complexity",
        "99214": "Established patient office visit, moderate complexity",
        "99215": "Established patient office visit, high complexity",
    },
    "Care management and screening": {
        "99484": "Behavioral health care management",
        "99492": "Psychiatric collaborative care, first month",
        "99493": "Psychiatric collaborative care, later month",
        "99494": "Psychiatric collaborative care, each additional 30 minutes (add-on)",
        "99408": "Alcohol or substance use screening and brief intervention, 15–30 minutes",
        "99409": "Alcohol or substance use screening and brief intervention, over 30 minutes",
        "98966": "Telephone assessment by a non-physician, 5–10 minutes",
        "98967": "Telephone assessment by a non-physician, 11–20 minutes",
        "98968": "Telephone assessment by a non-physician, 21–30 minutes",
        "G0323": "Behavioral health care management by a psychologist or social worker",
        "G2214": "Psychiatric collaborative care, each additional 30 minutes",
        "G0444": "Annual depression screening",
        "G0442": "Annual alcohol misuse screening",
        "G0443": "Alcohol misuse counseling, 15 minutes",
        "G0017": "Psychotherapy for crisis outside a facility, first 60 minutes",
        "G0018": "Psychotherapy for crisis outside a facility, each additional 30 minutes",
        "G0136": "Social determinants of health risk assessment",
    },
    "HCPCS behavioral health (Medicaid and state plans)": {
        "H0001": "Alcohol and/or drug assessment",
        "H0002": "Behavioral health screening",
        "H0004": "Behavioral health counseling and therapy, per 15 minutes",
        "H0005": "Alcohol and/or drug group counseling",
        "H0006": "Alcohol and/or drug case management",
        "H0015": "Alcohol and/or drug intensive outpatient",
        "H0023": "Behavioral health outreach",
        "H0025": "Behavioral health prevention education",
        "H0031": "Mental health assessment by a non-physician",
        "H0032": "Mental health service plan development by a non-physician",
        "H0035": "Mental health partial hospitalization, under 24 hours",
        "H0036": "Community psychiatric supportive treatment, per 15 minutes",
        "H0038": "Self-help or peer services, per 15 minutes",
        "H0039": "Assertive community treatment, per 15 minutes",
        "H0046": "Mental health services, not otherwise specified",
        "H0047": "Alcohol and/or other drug abuse services, not otherwise specified",
        "H0050": "Alcohol and/or drug services, brief intervention, per 15 minutes",
        "H2000": "Comprehensive multidisciplinary evaluation",
        "H2010": "Comprehensive medication services, per 15 minutes",
        "H2011": "Crisis intervention service, per 15 minutes",
        "H2012": "Behavioral health day treatment, per hour",
        "H2014": "Skills training and development, per 15 minutes",
        "H2015": "Comprehensive community support services, per 15 minutes",
        "H2017": "Psychosocial rehabilitation services, per 15 minutes",
        "H2019": "Therapeutic behavioral services, per 15 minutes",
        "H2027": "Psychoeducational service, per 15 minutes",
        "H2033": "Multisystemic therapy for juveniles, per 15 minutes",
        "H2036": "Alcohol and/or other drug treatment program, per diem",
        "S9480": "Intensive outpatient psychiatric services, per diem",
        "S9484": "Crisis intervention mental health services, per hour",
        "T1017": "Targeted case management, each 15 minutes",
    },
}

KNOWN_CODES: dict[str, str] = {
    code: text for group in KNOWN_CODE_GROUPS.values() for code, text in group.items()
}


def cpt_known(code: str) -> bool:
    """One of the behavioral-health codes Oasys knows (whatever the practice added)."""
    return code in KNOWN_CODES


def cpt_extra_codes(*, practice: Practice) -> frozenset[str]:
    """The codes this practice added deliberately (Billing → Setup → Service codes)."""
    return frozenset(
        ExtraServiceCode.objects.filter(practice=practice).values_list("code", flat=True)
    )


def cpt_validate(
    *,
    practice: Practice,
    code: str,
    required: bool = False,
    extra_codes: Collection[str] | None = None,
) -> str | None:
    """Why `code` cannot be billed by `practice`, in words a person can act on; None if it can.

    `code` is checked as given (clean a typed value with `cpt_clean` first; the scrubber
    checks the stored value). Empty is fine unless `required` (a claim line needs a code; a
    service type may leave it for later). `extra_codes`: the practice's added codes when
    the caller already has them (`cpt_extra_codes`), to save a query per code.
    """
    if error := cpt_error(code, required=required):
        return error
    if not code or code in KNOWN_CODES:
        return None
    extra = cpt_extra_codes(practice=practice) if extra_codes is None else extra_codes
    if code in extra:
        return None
    return (
        f"{code} is not a CPT code Oasys knows for behavioral health. Check the code "
        f"(a therapy session is usually 90832, 90834 or 90837). {SETUP_HINT}"
    )


def cpt_validate_typed(
    *, practice: Practice, value: str | None, required: bool = False
) -> tuple[str, str | None]:
    """(cleaned code, error or None) for a code as a person typed it (" h0004" → "H0004")."""
    code = cpt_clean(value)
    return code, cpt_validate(practice=practice, code=code, required=required)


def cpt_description(code: str) -> str:
    """Our short description of a known code, else "" (an extra code carries its own)."""
    return KNOWN_CODES.get(code, "")
