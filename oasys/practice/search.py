"""Forgiving payer-name search: one normalisation shared by the loader and the query side.

The loader stores, for each payer, a `search_text` like

    " bcbs texas hcsc | blue cross blue shield texas hcsc | 84980 "

that is: the name lower-cased with punctuation and filler words dropped, then the same name
with every abbreviation expanded, then the payer IDs. Every word is preceded by a space, so a
query token matches as a *word prefix* with a plain `icontains(" " + token)`; that needs no
database-specific full-text features and behaves the same on SQLite and PostgreSQL.

A query is split the same way; each token becomes a set of alternatives (itself and its
expansion, e.g. "bcbs" -> "bcbs" | "blue cross blue shield"); tokens are AND-ed, so word order
does not matter.
"""

from __future__ import annotations

import re
from functools import cache

from oasys.core.addresses import us_states

# Abbreviation -> words, as payer names and users write them. The expansion is matched as a
# phrase against the expanded half of search_text.
ABBREVIATIONS: dict[str, str] = {
    "bcbs": "blue cross blue shield",
    "bcbsa": "blue cross blue shield association",
    "bc": "blue cross",
    "bs": "blue shield",
    "bluecross": "blue cross",
    "blueshield": "blue shield",
    "uhc": "unitedhealthcare",
    "unitedhealthcare": "united healthcare",
    "healthcare": "health care",
    "hc": "healthcare",
    "ubh": "united behavioral health",
    "bh": "behavioral health",
    "mh": "mental health",
    "ins": "insurance",
    "insur": "insurance",
    "hlth": "health",
    "hp": "health plan",
    "hmo": "health maintenance organization",
    "ppo": "preferred provider organization",
    "mgmt": "management",
    "mgt": "management",
    "admin": "administrators",
    "adm": "administrators",
    "svc": "services",
    "svcs": "services",
    "assn": "association",
    "assoc": "association",
    "natl": "national",
    "ntl": "national",
    "mut": "mutual",
    "grp": "group",
    "ctr": "center",
    "cntr": "center",
    "dept": "department",
    "govt": "government",
    "med": "medical",
    "ma": "medicare advantage",
    "mcd": "medicaid",
    "mcr": "medicare",
    "fep": "federal employee program",
    "tpa": "third party administrator",
    "co": "company",
    "corp": "corporation",
    "intl": "international",
    "comm": "community",
    "fl": "florida",
}

# Words that carry no meaning in a payer name ("Blue Cross *and* Blue Shield *of* Texas").
STOPWORDS = frozenset({"of", "the", "and", "for", "a", "an", "at", "in", "by"})

_APOSTROPHES = re.compile(r"['’`]")
_NON_WORD = re.compile(r"[^a-z0-9]+")


def tokens(text: str) -> list[str]:
    """Lower-case words, punctuation removed ("Children's" -> "childrens"), fillers dropped."""
    lowered = _APOSTROPHES.sub("", (text or "").lower().replace("&", " and "))
    return [t for t in _NON_WORD.sub(" ", lowered).split() if t not in STOPWORDS]


@cache
def _state_names() -> dict[str, str]:
    return {code.lower(): " ".join(tokens(name)) for code, name in us_states().items()}


def expansion(token: str) -> str | None:
    """The words an abbreviation stands for (a state code expands to the state's name)."""
    return ABBREVIATIONS.get(token) or _state_names().get(token)


def _expanded(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        out.extend((expansion(word) or word).split())
    return out


def build_search_text(name: str, *payer_ids: str) -> str:
    """The normalised text stored on a payer; see the module docstring for its shape."""
    raw = tokens(name)
    expanded = _expanded(raw)
    # A second pass expands words the first pass produced ("uhc" -> "unitedhealthcare" ->
    # "united healthcare" -> "health care"), so every spelling of a name is findable.
    twice = _expanded(expanded)
    # Hyphenated or slashed words are also kept joined: "Tri-Care" is found by "tricare".
    joined = [
        re.sub(r"[^a-z0-9]", "", part)
        for part in re.split(r"\s+", _APOSTROPHES.sub("", (name or "").lower()))
        if re.search(r"[a-z0-9][-/.][a-z0-9]", part)
    ]
    # Adjacent words run together: "United Healthcare" is also found as "unitedhealthcare"
    # (and so by "UHC"), "Blue Cross" as "bluecross".
    pairs = [a + b for a, b in zip(raw, raw[1:], strict=False)]
    ids = [i.lower() for i in payer_ids if i]
    parts = [raw, expanded, twice if twice != expanded else [], joined + pairs, ids]
    return " " + " | ".join(" ".join(p) for p in parts if p) + " "


def query_terms(query: str) -> list[list[str]]:
    """For each query word, the alternatives to look for (each starts with a space)."""
    terms: list[list[str]] = []
    for token in tokens(query):
        alternatives = [" " + token]
        expanded = expansion(token)
        if expanded:
            alternatives.append(" " + expanded)
        terms.append(alternatives)
    return terms


def normalized_phrase(query: str) -> str:
    return " ".join(tokens(query))
