"""Plain-words descriptions of the CPT codes therapy practices bill, for the superbill's
service lines (our own short wording, not the AMA's descriptors). A code not listed is
described by the session's service type."""

from __future__ import annotations

CPT_DESCRIPTIONS: dict[str, str] = {
    "90791": "Psychiatric diagnostic evaluation",
    "90792": "Psychiatric diagnostic evaluation with medical services",
    "90832": "Psychotherapy, 30 minutes",
    "90834": "Psychotherapy, 45 minutes",
    "90837": "Psychotherapy, 60 minutes",
    "90839": "Psychotherapy for crisis, first 60 minutes",
    "90840": "Psychotherapy for crisis, each additional 30 minutes",
    "90846": "Family psychotherapy without the patient",
    "90847": "Family psychotherapy with the patient",
    "90853": "Group psychotherapy",
}


def cpt_description(code: str, *, fallback: str = "") -> str:
    return CPT_DESCRIPTIONS.get(code, fallback)
