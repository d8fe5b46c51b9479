"""ICD-10-CM diagnosis codes: pure checks against the code set in `simple_icd_10_cm`.

Claims carry only billable codes: the leaves of the ICD-10-CM tree. A category such as F41 or
a subcategory such as F43.1 has more specific codes below it and a payer rejects it, so we
refuse it here with the specific codes to choose from. Codes are accepted with or without the
dot and stored with it (F41.1), which is how they are printed on the CMS-1500 and on screens;
the X12 builder strips the dot itself.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import re
import threading
from dataclasses import dataclass

import simple_icd_10_cm as icd

MAX_DIAGNOSES = 12  # a CMS-1500 / 837P claim has twelve diagnosis pointers (A-L)

# Letter, digit, letter-or-digit, then an optional dot and up to four more characters.
_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?$")


def _clean(code: str) -> str:
    return re.sub(r"\s+", "", code or "").upper().rstrip(".")


def _dotted(cleaned: str) -> str:
    """A valid code with its dot (F411 -> F41.1), as `icd.add_dot` would give it.

    `icd.add_dot` builds the library's list of all ~98,000 codes on first use (0.45 s per
    process) and then finds each code by a linear scan of it (~0.6 ms per new code); the
    tree's own name lookup answers the same from the dictionary the import already built."""
    if len(cleaned) > 3 and cleaned[3] != ".":
        candidate = f"{cleaned[:3]}.{cleaned[3:]}"
        if icd.is_valid_item(candidate):
            return candidate
    return cleaned


def diagnosis_normalize(code: str) -> str:
    """The code in its stored form: upper case, with the dot after the third character.

    Only meaningful for codes that `diagnosis_error` accepts; others are returned cleaned.
    """
    cleaned = _clean(code)
    if _SHAPE.match(cleaned) and icd.is_valid_item(cleaned):
        return _dotted(cleaned)
    return cleaned


def diagnosis_error(code: str) -> str | None:
    """Why `code` cannot go on a claim, or None when it is a billable ICD-10-CM code."""
    return _diagnosis_error(_clean(code))


# A pure function of the code: the readiness engine asks it for every diagnosis of every
# insured session, and a practice's clients share a few dozen codes.
@functools.lru_cache(maxsize=4096)
def _diagnosis_error(cleaned: str) -> str | None:
    if not cleaned:
        return "Enter an ICD-10-CM code, such as F41.1."
    if "-" in cleaned:
        return f"{cleaned} is a range of codes; choose one specific code."
    if not _SHAPE.match(cleaned) or not icd.is_valid_item(cleaned):
        return f"{cleaned} is not an ICD-10-CM code."
    dotted = _dotted(cleaned)
    if icd.is_leaf(dotted):
        return None
    examples = [c for c in icd.get_descendants(dotted) if icd.is_leaf(c)][:2]
    kind = "a category" if icd.is_category(dotted) else "not specific enough"
    hint = " or ".join(examples)
    return f"{dotted} is {kind}; choose a specific code such as {hint}."


def diagnosis_description(code: str) -> str:
    """The official short description, or "" for a code that is not in ICD-10-CM."""
    cleaned = _clean(code)
    if not _SHAPE.match(cleaned) or not icd.is_valid_item(cleaned):
        return ""
    return icd.get_description(cleaned)


# --- search by words or code ------------------------------------------------------------------
# Typing "anxiety" lists F41.1 Generalized anxiety disorder, F41.9 Anxiety disorder,
# unspecified...; typing "F41" lists the F41 codes. The ~75,000 billable codes are indexed once
# per process (a word -> codes map and the sorted word list for prefix lookups), so a keystroke
# is a few dictionary and bisect lookups, never a scan of the code set.

_WORD = re.compile(r"[a-z0-9]+")
_CODE_TOKEN = re.compile(r"^[a-z][0-9][0-9a-z]{0,5}$")  # F41, f411, F41.1 (dot removed)
# Chapters a therapy practice uses most come first: mental and behavioural disorders (F),
# then symptoms (R) and factors influencing health status (Z, e.g. Z63 family problems).
_CHAPTER_RANK = {"F": 0, "R": 1, "Z": 1}

# What therapists type that the official descriptions spell out (each maps to the words to
# look for, all of which must match).
SEARCH_ALIASES: dict[str, tuple[str, ...]] = {
    "ptsd": ("post", "traumatic", "stress"),
    "adhd": ("attention", "hyperactivity"),
    "add": ("attention", "deficit"),
    "ocd": ("obsessive", "compulsive"),
    "gad": ("generalized", "anxiety"),
    "mdd": ("major", "depressive"),
    "bpd": ("borderline", "personality"),
    "asd": ("autistic",),
    "autism": ("autistic",),
    "depression": ("depress",),  # "depressive", "depressed" and "depression"
    "anxious": ("anxiety",),
    "insomnia": ("insomnia",),
    "grief": ("bereavement",),
}


@dataclass(frozen=True, slots=True)
class _Index:
    codes: list[str]  # billable codes, dotted, in code order
    dotless: list[str]  # the same without the dot, for code-prefix lookups (sorted)
    descriptions: list[str]
    lowered: list[str]  # descriptions in lower case, for ranking
    base_rank: list[tuple[int, int]]  # (chapter rank, description length) of each code
    postings: dict[str, frozenset[int]]  # word -> positions in `codes`
    words: list[str]  # sorted keys of `postings`


_index: _Index | None = None
_index_lock = threading.Lock()


def _build_index() -> _Index:
    codes = [c for c in icd.get_all_codes(True) if "-" not in c and icd.is_leaf(c)]
    codes.sort(key=lambda c: c.replace(".", ""))
    descriptions = [icd.get_description(c) for c in codes]
    postings: dict[str, set[int]] = {}
    for i, text in enumerate(descriptions):
        for word in set(_WORD.findall(text.lower())):
            postings.setdefault(word, set()).add(i)
    lowered = [d.lower() for d in descriptions]
    return _Index(codes=codes, dotless=[c.replace(".", "") for c in codes],
                  descriptions=descriptions, lowered=lowered,
                  base_rank=[(_CHAPTER_RANK.get(c[0], 2), len(d))
                             for c, d in zip(codes, descriptions, strict=True)],
                  postings={w: frozenset(p) for w, p in postings.items()},
                  words=sorted(postings))


def _get_index() -> _Index:
    global _index  # noqa: PLW0603 - built once per process, on first use
    if _index is None:
        with _index_lock:
            if _index is None:
                _index = _build_index()
    return _index


def _word_matches(index: _Index, prefix: str) -> set[int]:
    """Codes with a description word starting with `prefix` ("anx" finds "anxiety")."""
    out: set[int] = set()
    start = bisect.bisect_left(index.words, prefix)
    for word in index.words[start:]:
        if not word.startswith(prefix):
            break
        out |= index.postings[word]
    return out


def _code_matches(index: _Index, prefix: str) -> set[int]:
    start = bisect.bisect_left(index.dotless, prefix)
    end = bisect.bisect_left(index.dotless, prefix + "\uffff")
    return set(range(start, end))


def diagnosis_index_warm() -> None:
    """Build the search index in the background (a page with a diagnosis picker calls this
    when it renders, so the first keystroke finds it ready)."""
    if _index is None:
        threading.Thread(target=_get_index, name="icd-index", daemon=True).start()


def _tokens(query: str) -> list[str]:
    out: list[str] = []
    for token in _WORD.findall((query or "").lower().replace(".", ""))[:8]:
        out.extend(SEARCH_ALIASES.get(token, (token,)))
    # One-letter words match thousands of descriptions and narrow nothing.
    return [t for t in out if len(t) > 1 or _CODE_TOKEN.match(t)]


def diagnosis_search(*, query: str, limit: int = 20) -> list[tuple[str, str]]:
    """Billable ICD-10-CM codes matching every word of `query`, as (code, description).

    A word shaped like a code ("F41", "f41.1") matches codes starting with it; any other word
    matches description words starting with it ("gen anx" finds Generalized anxiety
    disorder). Mental-health codes come first, then the shorter (more general) descriptions.
    """
    tokens = _tokens(query)
    if not tokens:
        return []
    index = _get_index()
    found: set[int] | None = None
    for token in tokens:
        hits = _code_matches(index, token.upper()) if _CODE_TOKEN.match(token) else set()
        if not hits:
            hits = _word_matches(index, token)
        found = hits if found is None else found & hits
        if not found:
            return []
    words = [t for t in tokens if not _CODE_TOKEN.match(t)]

    def rank(i: int) -> tuple:
        chapter, length = index.base_rank[i]
        leading = index.lowered[i].startswith(words[0])
        return (chapter, not leading, length, i)

    best = heapq.nsmallest(limit, found, key=rank) if words else sorted(found)[:limit]
    return [(index.codes[i], index.descriptions[i]) for i in best]
