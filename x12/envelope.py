"""Building ISA/GS/ST envelopes and serialising segments.

Builders produce *bodies*: lists of segments between ST and SE, each segment a list whose
first item is the segment id and whose other items are element values — ``str``,
``None`` (empty), or a ``tuple`` of components for a composite element.  :func:`serialize`
wraps bodies into ST/SE, GS/GE and ISA/IEA, computes segment counts, pads the ISA to its
fixed width and refuses any value that contains a delimiter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from x12.delimiters import DEFAULT_DELIMITERS, ISA_LENGTH, Delimiters
from x12.errors import BuildError

Element = str | None | tuple[str | None, ...]
Segment = list[Element]


def _now() -> dt.datetime:
    """Default creation time: now, to the minute (callers may pass their own)."""
    return dt.datetime.now().replace(second=0, microsecond=0)


@dataclass(slots=True)
class Envelope:
    """Interchange and group header data supplied by the caller.

    Control numbers are the caller's: ``interchange_control_number`` (ISA13, up to 9
    digits), ``group_control_number`` (GS06) and ``transaction_control_number`` (ST02 of
    the first transaction set; following sets count up from it).
    """

    sender_id: str
    receiver_id: str
    interchange_control_number: int
    group_control_number: int
    transaction_control_number: int = 1
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    application_sender: str | None = None  # GS02, defaults to sender_id
    application_receiver: str | None = None  # GS03, defaults to receiver_id
    created: dt.datetime = field(default_factory=_now)
    usage: str = "T"  # ISA15: T test, P production
    ack_requested: str = "0"  # ISA14
    authorization_qualifier: str = "00"
    authorization: str = ""
    security_qualifier: str = "00"
    security: str = ""
    delimiters: Delimiters = DEFAULT_DELIMITERS
    line_breaks: bool = False  # write "\n" after each segment terminator


def _check_value(value: str, delims: Delimiters, seg_id: str, position: int,
                 index: int) -> None:
    for ch in delims.all():
        if ch in value:
            raise BuildError(f"value contains the delimiter {ch!r}", position=position,
                             segment_id=seg_id, element=index,
                             expected="no delimiter characters", found=value)
    if "\r" in value or "\n" in value:
        raise BuildError("value contains a line break", position=position, segment_id=seg_id,
                         element=index, found=value)


def render_segment(seg: Sequence[Element], delims: Delimiters, position: int = 0) -> str:
    """Serialise one segment (without terminator), trimming trailing empty elements.

    Raises :class:`BuildError` when a value contains a delimiter or a line break.
    """
    sep = delims.element
    comp = delims.component
    out: list[str] = []
    joins = 0
    for value in seg:
        if value is None:
            out.append("")
        elif type(value) is str:
            out.append(value)
        elif isinstance(value, tuple):
            parts = ["" if c is None else str(c) for c in value]
            while parts and parts[-1] == "":
                parts.pop()
            if len(parts) > 1:
                joins += len(parts) - 1
            out.append(comp.join(parts))
        else:
            out.append(str(value))
    while len(out) > 1 and out[-1] == "":
        out.pop()
    text = sep.join(out)
    # a delimiter inside a value shows up as one separator too many
    if (text.count(sep) != len(out) - 1 or (joins or comp in text) and text.count(comp) != joins
            or delims.segment in text or delims.repetition in text or "\r" in text
            or "\n" in text):
        _locate_bad_value(seg, delims, str(seg[0]), position)
    return text


def _locate_bad_value(seg: Sequence[Element], delims: Delimiters, seg_id: str,
                      position: int) -> None:
    for index, value in enumerate(seg[1:], start=1):
        values = value if isinstance(value, tuple) else (value,)
        for v in values:
            if v is not None:
                _check_value(str(v), delims, seg_id, position, index)


def _fixed(value: str, width: int, name: str, element: int) -> str:
    if len(value) > width:
        raise BuildError(f"{name} is longer than {width} characters", segment_id="ISA",
                         element=element, expected=f"<= {width} characters", found=value)
    return value.ljust(width)


def isa_segment(env: Envelope, control_number: int) -> list[str]:
    d = env.delimiters
    d.check()
    if not 0 <= control_number <= 999_999_999:
        raise BuildError("interchange control number out of range", segment_id="ISA",
                         element=13, expected="0..999999999", found=control_number)
    return [
        "ISA",
        _fixed(env.authorization_qualifier, 2, "ISA01", 1),
        _fixed(env.authorization, 10, "authorization", 2),
        _fixed(env.security_qualifier, 2, "ISA03", 3),
        _fixed(env.security, 10, "security", 4),
        _fixed(env.sender_qualifier, 2, "sender qualifier", 5),
        _fixed(env.sender_id, 15, "sender id", 6),
        _fixed(env.receiver_qualifier, 2, "receiver qualifier", 7),
        _fixed(env.receiver_id, 15, "receiver id", 8),
        env.created.strftime("%y%m%d"),
        env.created.strftime("%H%M"),
        d.repetition,
        "00501",
        f"{control_number:09d}",
        _fixed(env.ack_requested, 1, "ISA14", 14),
        _fixed(env.usage, 1, "usage indicator", 15),
        d.component,
    ]


def serialize(env: Envelope, functional_id: str, version: str,
              bodies: Sequence[Sequence[Segment]], set_id: str, *,
              st03: bool = True) -> str:
    """Wrap transaction-set ``bodies`` (segments between ST and SE) into one interchange."""
    d = env.delimiters
    d.check()
    term = d.segment + ("\n" if env.line_breaks else "")
    isa = isa_segment(env, env.interchange_control_number)
    # ISA: check data fields (not the delimiter fields) against delimiters
    for i, v in enumerate(isa[1:11], start=1):
        _check_value(v, d, "ISA", 1, i)
    for i in (13, 14, 15):
        _check_value(isa[i], d, "ISA", 1, i)
    isa_text = d.element.join(isa) + d.segment
    if len(isa_text) != ISA_LENGTH:  # pragma: no cover - widths are fixed above
        raise BuildError("ISA is not fixed width", segment_id="ISA", expected=ISA_LENGTH,
                         found=len(isa_text))
    parts: list[str] = [isa_text + ("\n" if env.line_breaks else "")]
    position = 1
    gs = ["GS", functional_id, env.application_sender or env.sender_id,
          env.application_receiver or env.receiver_id, env.created.strftime("%Y%m%d"),
          env.created.strftime("%H%M"), str(env.group_control_number), "X", version]
    position += 1
    parts.append(render_segment(gs, d, position) + term)
    st_number = env.transaction_control_number
    for body in bodies:
        control = f"{st_number:04d}"
        position += 1
        parts.append(render_segment(["ST", set_id, control, version if st03 else None], d,
                                    position) + term)
        for seg in body:
            position += 1
            parts.append(render_segment(seg, d, position) + term)
        position += 1
        parts.append(render_segment(["SE", str(len(body) + 2), control], d, position) + term)
        st_number += 1
    parts.append(render_segment(["GE", str(len(bodies)), str(env.group_control_number)], d)
                 + term)
    parts.append(render_segment(["IEA", "1", f"{env.interchange_control_number:09d}"], d)
                 + term)
    return "".join(parts)
