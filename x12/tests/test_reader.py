"""Reader: delimiters, whitespace/BOM tolerance, streaming, envelope checks."""

from __future__ import annotations

import io

import pytest

from x12.delimiters import Delimiters, find_isa_delimiters
from x12.errors import (
    DelimiterError,
    EnvelopeError,
    UnsupportedVersionError,
    X12Error,
    X12SyntaxError,
)
from x12.parse import parse_file
from x12.reader import X12Reader
from x12.tests.conftest import FIXTURES

ISA = ("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*"
       "00501*000000001*0*T*:~")
BODY = ["GS*HC*S*R*20260101*1200*1*X*005010X222A1", "ST*837*0001*005010X222A1",
        "BHT*0019*00*1*20260101*1200*CH", "SE*3*0001", "GE*1*1", "IEA*1*000000001"]


def simple(body: list[str] | None = None, sep: str = "~") -> str:
    return ISA + "".join(s + sep for s in (body or BODY))


def test_delimiters_from_isa() -> None:
    d, end = find_isa_delimiters(ISA + "GS")
    assert d == Delimiters("*", "^", ":", "~")
    assert end == 106


def test_delimiters_unusual_characters() -> None:
    text = ISA.replace("*", "|").replace("^", "{").replace(":~", ">\n")
    d, _ = find_isa_delimiters(text)
    assert (d.element, d.repetition, d.component, d.segment) == ("|", "{", ">", "\n")


def test_not_an_isa_is_a_delimiter_error() -> None:
    with pytest.raises(DelimiterError) as exc:
        list(X12Reader.from_text("GS*HC*X~"))
    assert "ISA" in str(exc.value)


def test_truncated_isa() -> None:
    with pytest.raises(DelimiterError):
        list(X12Reader.from_text(ISA[:50]))


def test_bom_crlf_indent_and_bytes() -> None:
    text = "\ufeff" + ISA + "\r\n" + "".join("   " + s + "~\r\n" for s in BODY)
    for src in (io.BytesIO(text.encode("utf-8")), io.StringIO(text), text.encode("utf-8")):
        r = X12Reader(src)
        sets = list(r)
        assert [t.set_id for t in sets] == ["837"]
        assert sets[0].segments[1] == ["BHT", "0019", "00", "1", "20260101", "1200", "CH"]
        assert r.errors == []


def test_no_separator_between_segments_and_tiny_chunks() -> None:
    text = simple()
    ref = [t.segments for t in X12Reader.from_text(text)]
    for size in (16, 17, 50, 105, 106, 107):
        got = [t.segments for t in X12Reader(io.StringIO(text), chunk_size=size)]
        assert got == ref


def test_two_interchanges_with_their_own_delimiters() -> None:
    r = X12Reader(FIXTURES / "835_own_bom_crlf_two_interchanges.835", chunk_size=64)
    sets = list(r)
    assert r.errors == []
    assert [t.control_number for t in sets] == ["0001", "0002"]
    assert sets[0].delimiters.element == "*"
    assert sets[1].delimiters == Delimiters("|", "^", ">", "\r")
    assert sets[1].segments[11] == ["SVC", "HC>90837>HO", "150", "90", "", "1"]
    assert [i.control_number for i in r.interchanges] == ["000000501", "000000502"]
    assert r.interchanges[0].sender == "PAYERSIM"


def test_se_count_error_names_position_segment_element_and_expected() -> None:
    body = list(BODY)
    body[3] = "SE*4*0001"
    r = X12Reader.from_text(simple(body))
    list(r)
    assert len(r.errors) == 1
    err = r.errors[0]
    assert isinstance(err, EnvelopeError)
    assert (err.position, err.segment_id, err.element, err.expected, err.found) == (
        5, "SE", 1, "3", "4")
    assert str(err) == ("segment 5 (SE) element SE01: SE01 segment count does not match: "
                        "expected '3', found '4'")


@pytest.mark.parametrize(("index", "segment", "seg_id", "element", "expected"), [
    (3, "SE*3*0002", "SE", 2, "0001"),
    (4, "GE*2*1", "GE", 1, "1"),
    (4, "GE*1*9", "GE", 2, "1"),
    (5, "IEA*3*000000001", "IEA", 1, "1"),
    (5, "IEA*1*000000002", "IEA", 2, "000000001"),
])
def test_envelope_mismatches(index: int, segment: str, seg_id: str, element: int,
                             expected: str) -> None:
    body = list(BODY)
    body[index] = segment
    r = X12Reader.from_text(simple(body))
    list(r)
    assert [(e.segment_id, e.element, e.expected) for e in r.errors] == [
        (seg_id, element, expected)]


def test_strict_mode_raises() -> None:
    body = list(BODY)
    body[3] = "SE*9*0001"
    with pytest.raises(EnvelopeError):
        list(X12Reader.from_text(simple(body), strict=True))


def test_missing_trailers_are_reported_and_set_still_yielded() -> None:
    r = X12Reader.from_text(simple(BODY[:3]))
    sets = list(r)
    assert len(sets) == 1 and not sets[0].complete
    kinds = [e.expected for e in r.errors]
    assert kinds == ["SE", "GE", "IEA"]


def test_segment_outside_transaction_and_bad_segment_id() -> None:
    body = BODY[:1] + ["NM1*XX"] + BODY[1:3] + ["nm1*lower"] + BODY[3:]
    body[5] = "SE*4*0001"
    r = X12Reader.from_text(simple(body))
    list(r)
    msgs = [(e.segment_id, e.message) for e in r.errors]
    assert ("NM1", "segment outside a transaction set") in msgs
    assert any(isinstance(e, X12SyntaxError) and e.found == "nm1" for e in r.errors)


def test_invalid_utf8_is_read_as_cp1252_with_a_warning() -> None:
    data = simple().encode("ascii").replace(b"BHT", b"B\xffT")
    r = X12Reader(data)
    list(r)
    assert [(w.position, w.byte_offset, w.read_as) for w in r.warnings] == [
        (4, data.index(b"\xff"), "\xff")]
    assert any(e.message == "invalid segment id" and e.found == "B\xffT" for e in r.errors)


def test_missing_file_is_x12_error(tmp_path) -> None:
    with pytest.raises(X12Error):
        list(X12Reader(tmp_path / "nope.x12"))


def test_streaming_keeps_one_transaction_at_a_time() -> None:
    # a generator source: each transaction set is yielded before the next one is read
    n = 50
    sets = [f"ST*835*{i:04d}~BPR*I*0*C*NON************20260101~SE*3*{i:04d}~"
            for i in range(n)]
    text = ISA + "GS*HP*S*R*20260101*1200*1*X*005010X221A1~" + "".join(sets) + \
        f"GE*{n}*1~IEA*1*000000001~"
    stream = io.StringIO(text)
    reader = X12Reader(stream, chunk_size=64)
    it = reader.transactions()
    first = next(it)
    assert first.control_number == "0000"
    assert stream.tell() < len(text) / 4
    assert sum(1 for _ in it) == n - 1
    assert reader.errors == []


@pytest.mark.parametrize(("isa", "words"), [
    (ISA.replace("*^*", "*:*"), ("ISA11", "ISA16")),     # repetition = component
    (ISA.replace("*^*", "*~*"), ("ISA11", "terminator")),  # repetition = terminator
    (ISA.replace(":~", "*~"), ("element", "ISA16")),    # component = element separator
    (ISA.replace(":~", "::"), ("ISA16", "terminator")),  # component = terminator
])
def test_delimiter_clash_is_a_delimiter_error(isa: str, words: tuple[str, ...]) -> None:
    with pytest.raises(DelimiterError) as exc:
        list(X12Reader.from_text(isa + "".join(s + isa[-1] for s in BODY)))
    assert all(w in exc.value.message for w in words), exc.value.message
    assert exc.value.position == 1 and exc.value.segment_id == "ISA"


def test_repeated_service_types_are_split_on_isa11() -> None:
    text = ISA + "GS*HB*S*R*20260101*1200*1*X*005010X279A1~ST*271*0001*005010X279A1~" \
        "EB*1*IND*30^1^35~SE*3*0001~GE*1*1~IEA*1*000000001~"
    (ts,) = list(X12Reader.from_text(text))
    assert ts.delimiters.repetition == "^"
    assert ts.segments[1][3].split(ts.delimiters.repetition) == ["30", "1", "35"]


def x4010(isa12: bool = True, gs08: bool = True) -> str:
    isa = ISA.replace("*^*00501*", "*U*00401*") if isa12 else ISA
    body = [s.replace("005010X222A1", "004010X098A1") if gs08 else s for s in BODY]
    return simple(body) if isa is ISA else isa + "".join(s + "~" for s in body)


@pytest.mark.parametrize(("text", "seg_id", "found"), [
    (x4010(), "ISA", "00401"),
    (x4010(isa12=False), "GS", "004010X098A1"),
    (ISA + "GS*HP*S*R*20260101*1200*1*X*005010X221A1~ST*835*0001*004010X091A1~SE*2*0001~"
     "GE*1*1~IEA*1*000000001~", "ST", "004010X091A1"),
])
def test_4010_is_refused_by_name(text: str, seg_id: str, found: str) -> None:
    with pytest.raises(UnsupportedVersionError) as exc:
        list(X12Reader.from_text(text))
    assert exc.value.message.startswith("X12 4010 is not supported")
    assert (exc.value.segment_id, exc.value.found) == (seg_id, found)
    result = parse_file(text.encode())
    assert [e.message for e in result.errors] == [exc.value.message]


@pytest.mark.parametrize("prefix", [
    b"Remittance advice, please post\r\n",
    b"\xef\xbb\xbfRemittance advice, please post\r\n",
    b"\x93Remittance\x94 advice, please post\r\n",  # cp1252 quotes: not a UTF-8 complaint
])
def test_prose_before_isa(prefix: bytes) -> None:
    with pytest.raises(DelimiterError) as exc:
        list(X12Reader(prefix + simple().encode()))
    assert exc.value.message == "no ISA segment at the start"
    assert "Remittance" in exc.value.found and "UTF-8" not in str(exc.value)
    assert str(exc.value).startswith("segment 1: no ISA segment at the start: expected 'ISA'")
