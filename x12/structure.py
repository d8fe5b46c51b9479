"""A small engine for structural checks of HL-based transaction sets.

Used by :mod:`x12.validate_270` and :mod:`x12.validate_276`.  A transaction set is split
into its header (segments before the first HL) and its HL loops; each HL loop is checked
against a :class:`LoopSpec`: which segments may appear, in which order, how often, and with
which qualifiers; repeating sub-loops (EQ in 270, TRN in 276) are checked the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from x12.errors import ValidationError
from x12.reader import TransactionSet, element

Check = Callable[[list[str], int, list[ValidationError]], None]


@dataclass(frozen=True, slots=True)
class SegSpec:
    seg_id: str
    min: int = 0
    max: int = 1
    codes: dict[int, tuple[str, ...]] = field(default_factory=dict)  # element -> allowed
    required: tuple[int, ...] = ()  # element indexes that must not be empty
    check: Check | None = None


@dataclass(frozen=True, slots=True)
class LoopSpec:
    name: str
    segments: tuple[SegSpec, ...]
    sub_loop: LoopSpec | None = None  # repeating loop starting at sub_loop.segments[0]
    sub_min: int = 0


def check_segment(spec: SegSpec, els: list[str], pos: int, errors: list[ValidationError],
                  loop: str) -> None:
    for i in spec.required:
        if element(els, i) == "":
            errors.append(ValidationError(f"loop {loop}: required element missing",
                                          position=pos, segment_id=els[0], element=i,
                                          expected="a value"))
    for i, allowed in spec.codes.items():
        value = element(els, i)
        if value not in allowed:
            errors.append(ValidationError(f"loop {loop}: code not allowed", position=pos,
                                          segment_id=els[0], element=i,
                                          expected=" or ".join(a or "(empty)" for a in allowed),
                                          found=value))
    if spec.check is not None:
        spec.check(els, pos, errors)


def check_sequence(segs: list[tuple[int, list[str]]], loop: LoopSpec,
                   errors: list[ValidationError]) -> None:
    """Check one loop's segments (first one included) against ``loop``."""
    specs = loop.segments
    sub = loop.sub_loop
    counts = [0] * len(specs)
    j = 0
    k = 0
    subs: list[list[tuple[int, list[str]]]] = []
    while k < len(segs):
        pos, els = segs[k]
        sid = els[0]
        if sub is not None and sid == sub.segments[0].seg_id and (
                j > 0 or specs[0].seg_id != sid):
            current = [(pos, els)]
            k += 1
            while k < len(segs) and segs[k][1][0] != sub.segments[0].seg_id and any(
                    s.seg_id == segs[k][1][0] for s in sub.segments[1:]):
                current.append(segs[k])
                k += 1
            subs.append(current)
            j = len(specs)  # nothing of the parent loop may follow its sub-loops
            continue
        m = j
        while m < len(specs) and specs[m].seg_id != sid:
            m += 1
        if m == len(specs):
            errors.append(ValidationError(f"loop {loop.name}: unexpected or out-of-order "
                                          "segment", position=pos, segment_id=sid,
                                          expected=" ".join(s.seg_id for s in specs[j:])
                                          or "end of loop"))
            k += 1
            continue
        # a segment id may be listed several times (different qualifiers): pick a spec
        # whose qualifier matches when possible
        cand = m
        for n in range(m, len(specs)):
            if specs[n].seg_id == sid and specs[n].codes.get(1) and \
                    element(els, 1) in specs[n].codes[1]:
                cand = n
                break
        j = cand
        counts[j] += 1
        if counts[j] > specs[j].max:
            errors.append(ValidationError(f"loop {loop.name}: segment repeats too often",
                                          position=pos, segment_id=sid,
                                          expected=f"at most {specs[j].max}",
                                          found=counts[j]))
        check_segment(specs[j], els, pos, errors, loop.name)
        k += 1
    first_pos = segs[0][0] if segs else 0
    for spec, count in zip(specs, counts, strict=True):
        if count < spec.min:
            errors.append(ValidationError(f"loop {loop.name}: required segment missing",
                                          position=first_pos, segment_id=spec.seg_id,
                                          expected=f"at least {spec.min}", found=count))
    if sub is not None:
        if len(subs) < loop.sub_min:
            errors.append(ValidationError(f"loop {loop.name}: required loop {sub.name} "
                                          "missing", position=first_pos,
                                          segment_id=sub.segments[0].seg_id,
                                          expected=f"at least {loop.sub_min}",
                                          found=len(subs)))
        for s in subs:
            check_sequence(s, sub, errors)


@dataclass(slots=True)
class HLNode:
    pos: int
    id: str
    parent: str
    level: str
    child_code: str
    segments: list[tuple[int, list[str]]]


def split_hl(ts: TransactionSet) -> tuple[list[tuple[int, list[str]]], list[HLNode]]:
    """(header segments without ST, HL nodes with their segments; SE left out)."""
    header: list[tuple[int, list[str]]] = []
    nodes: list[HLNode] = []
    body = ts.segments[1:-1] if ts.complete else ts.segments[1:]
    for i, els in enumerate(body, start=1):
        pos = ts.start_position + i
        if els[0] == "HL":
            nodes.append(HLNode(pos, element(els, 1), element(els, 2), element(els, 3),
                                element(els, 4), [(pos, els)]))
        elif nodes:
            nodes[-1].segments.append((pos, els))
        else:
            header.append((pos, els))
    return header, nodes


def check_hl_tree(nodes: list[HLNode], parents: dict[str, tuple[str, ...]],
                  errors: list[ValidationError]) -> None:
    """HL01 counts up from 1, HL02 names an earlier HL of an allowed level, HL04 is right."""
    seen: dict[str, HLNode] = {}
    for n, node in enumerate(nodes, start=1):
        if node.id != str(n):
            errors.append(ValidationError("HL01 must count up from 1", position=node.pos,
                                          segment_id="HL", element=1, expected=str(n),
                                          found=node.id))
        allowed = parents.get(node.level)
        if allowed is None:
            errors.append(ValidationError("HL level code not allowed here", position=node.pos,
                                          segment_id="HL", element=3,
                                          expected=" or ".join(parents), found=node.level))
        elif allowed == ():
            if node.parent:
                errors.append(ValidationError("top HL must not have a parent",
                                              position=node.pos, segment_id="HL", element=2,
                                              expected="(empty)", found=node.parent))
        else:
            parent = seen.get(node.parent)
            if parent is None or parent.level not in allowed:
                errors.append(ValidationError("HL02 must name the parent HL", position=node.pos,
                                              segment_id="HL", element=2,
                                              expected=f"id of an HL with level "
                                                       f"{' or '.join(allowed)}",
                                              found=node.parent))
        seen[node.id] = node
    for node in nodes:
        has_child = any(m.parent == node.id for m in nodes)
        if node.child_code and node.child_code != ("1" if has_child else "0"):
            errors.append(ValidationError("HL04 child code does not match the HL tree",
                                          position=node.pos, segment_id="HL", element=4,
                                          expected="1" if has_child else "0",
                                          found=node.child_code))


def check_envelope_ids(ts: TransactionSet, set_id: str, version: str,
                       errors: list[ValidationError]) -> None:
    st = ts.segments[0]
    if element(st, 1) != set_id:
        errors.append(ValidationError("wrong transaction set", position=ts.start_position,
                                      segment_id="ST", element=1, expected=set_id,
                                      found=element(st, 1)))
    if element(st, 3) != version:
        errors.append(ValidationError("wrong implementation guide", position=ts.start_position,
                                      segment_id="ST", element=3, expected=version,
                                      found=element(st, 3)))
    if ts.group is not None and ts.group.version != version:
        errors.append(ValidationError("GS08 does not name the implementation guide",
                                      position=ts.group.position, segment_id="GS", element=8,
                                      expected=version, found=ts.group.version))
    errors.extend(ValidationError(e.message, position=e.position, segment_id=e.segment_id,
                                  element=e.element, expected=e.expected, found=e.found)
                  for e in ts.errors)
