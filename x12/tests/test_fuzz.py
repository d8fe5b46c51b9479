"""Fuzzing: random byte and segment mutations of valid files raise only X12Error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from x12.errors import X12Error
from x12.parse import parse_transaction
from x12.reader import X12Reader
from x12.tests.conftest import FIXTURES
from x12.validate_270 import validate_270
from x12.validate_276 import validate_276

SEEDS = [
    (FIXTURES / name).read_bytes() for name in (
        "835_own_bom_crlf_two_interchanges.835", "835_edi835parser_emedny_sample.txt",
        "271_own_mental_health.271", "271_lfh_dependent.271", "999_own_partial.x12",
        "277CA_own_payer_response.x12", "277_own_X212_status.x12",
        "837P_lfh_cob3B_X222A1_pyx12OK.x12", "270_lfh_dependent.270")
]
NOISE = st.sampled_from([b"*", b"~", b":", b"^", b"|", b"\n", b"\r\n", b"\xef\xbb\xbf",
                         b"\xff", b"ISA", b"SE*", b"-", b".", b"9", b"", b"*X*", b"\x00",
                         b"E", b"1e5", b"NaN", b"Infinity", b"99999999999999999999"])


def consume(data: bytes, chunk: int) -> None:
    try:
        for ts in X12Reader(data, chunk_size=chunk):
            try:
                parse_transaction(ts).to_dict()
            except X12Error:
                pass
    except X12Error:
        pass


@st.composite
def byte_mutations(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.integers(0, 2))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == 0:
            data[pos:pos + 1] = draw(NOISE)
        elif op == 1:
            del data[pos:pos + draw(st.integers(1, 30))]
        else:
            data[pos:pos] = draw(st.binary(max_size=5)) if draw(st.booleans()) else draw(NOISE)
    return bytes(data)


@st.composite
def segment_mutations(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(SEEDS)).decode("utf-8-sig")
    term = "~" if "~" in text else "\n"
    segs = text.split(term)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(segs) - 1))
        op = draw(st.integers(0, 4))
        if op == 0:
            del segs[i]
        elif op == 1:
            segs.insert(i, segs[draw(st.integers(0, len(segs) - 1))])
        elif op == 2:
            j = draw(st.integers(0, len(segs) - 1))
            segs[i], segs[j] = segs[j], segs[i]
        elif op == 3:
            els = segs[i].split("*")
            k = draw(st.integers(0, len(els) - 1))
            els[k] = draw(st.sampled_from(["", "X", "-1", "1.2.3", "20261399", "HC", "A:B:C",
                                            "0", "9" * 30, "1E+9999"]))
            segs[i] = "*".join(els)
        else:
            segs[i] = segs[i][: draw(st.integers(0, len(segs[i])))]
    return term.join(segs).encode("utf-8")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(byte_mutations(), st.sampled_from([64, 1000, 1 << 16]))
def test_byte_mutations_raise_only_x12_errors(data: bytes, chunk: int) -> None:
    consume(data, chunk)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(segment_mutations())
def test_segment_mutations_raise_only_x12_errors(data: bytes) -> None:
    consume(data, 1 << 16)
    try:
        validate_270(data)
        validate_276(data)
    except X12Error:
        pass


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    consume(b"ISA" + data, 32)
    consume(data, 32)
