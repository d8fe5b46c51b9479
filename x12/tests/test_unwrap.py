"""Files wrapped at a fixed width (60/80/132 columns, CRLF or LF, the ISA included) read
exactly like the unwrapped file; a line break that is left inside a value is an error."""

from __future__ import annotations

import pytest

from x12.cli import main
from x12.errors import X12SyntaxError
from x12.parse import parse_file
from x12.reader import X12Reader
from x12.tests.conftest import FIXTURES

# valid files whose segment terminator is not a line break
SOURCES = ["835_own_bom_crlf_two_interchanges.835", "835_edi835parser_emedny_sample.txt",
           "835_lfh_secondary_payment.835",
           "835_own_unbalanced.835", "271_own_mental_health.271",
           "277CA_own_payer_response.x12", "837P_lfh_cob3B_X222A1_pyx12OK.x12"]


def source(name: str) -> bytes:
    data = (FIXTURES / name).read_bytes()
    if name == "835_own_bom_crlf_two_interchanges.835":
        # its second interchange ends segments with CR (no wrapping possible): keep the first
        data = data[:data.index(b"ISA", 10)]
    return data


def wrap(data: bytes, width: int, newline: bytes) -> bytes:
    """What a payer's mainframe sends: all segments on one line, cut every ``width``."""
    flat = data.replace(b"\r", b"").replace(b"\n", b"")
    return newline.join(flat[i:i + width] for i in range(0, len(flat), width)) + newline


def parsed(data: bytes):
    result = parse_file(data)
    return ([p for _, ps in result.interchanges for p in ps],
            [e.to_dict() for e in result.errors])


@pytest.mark.parametrize("name", SOURCES)
@pytest.mark.parametrize("width", [60, 80, 132])
@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
def test_wrapped_file_parses_exactly_like_the_original(name: str, width: int,
                                                        newline: bytes) -> None:
    original = source(name)
    wrapped = wrap(original, width, newline)
    assert wrapped[:106].count(newline) == 106 // width  # the ISA itself is cut
    ref_sets, ref_errors = parsed(original)
    sets, errors = parsed(wrapped)
    assert ref_sets or ref_errors  # (the lfh 835 has a parse error of its own)
    assert sets == ref_sets  # the parsed dataclasses, field by field
    assert errors == ref_errors
    reader = X12Reader(wrapped)
    list(reader)
    assert reader.unwrapped_segments > 0


@pytest.mark.parametrize("chunk_size", [16, 61, 105, 106, 107, 1 << 16])
def test_wrapped_file_streams_in_any_chunk_size(chunk_size: int) -> None:
    original = (FIXTURES / "835_lfh_secondary_payment.835").read_bytes()
    ref = [t.segments for t in X12Reader(original)]
    for width in (60, 80, 132):
        wrapped = wrap(original, width, b"\r\n")
        assert [t.segments for t in X12Reader(wrapped, chunk_size=chunk_size)] == ref


def test_segment_lines_plus_wrapping_inside_segments() -> None:
    # one segment a line, and one long segment broken in the middle of a value
    original = (FIXTURES / "835_lfh_secondary_payment.835").read_bytes()
    mangled = original.replace(b"TOWNSEND", b"TOWN\r\nSEND").replace(b"\n", b"\r\n")
    assert parsed(mangled) == parsed(original)


def test_isa_wrapped_just_before_its_terminator() -> None:
    original = (FIXTURES / "835_lfh_secondary_payment.835").read_bytes()
    mangled = original[:105] + b"\r\n" + original[105:]  # "...*:\r\n~GS*..."
    assert parsed(mangled) == parsed(original)


def test_patient_control_number_is_joined_not_kept_with_a_line_break() -> None:
    original = source("835_own_bom_crlf_two_interchanges.835")
    clp = original.index(b"CLP*") + 4
    pcn = original[clp:original.index(b"*", clp)]
    mangled = original[:clp + 2] + b"\r\n" + original[clp + 2:]
    (remit,), errors = parsed(mangled)
    assert errors == [] and b"\r\n" in mangled[clp:clp + 6]
    assert remit.claims[0].patient_control_number == pcn.decode()


ISA_LF = ("ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *260101*1200*^*"
          "00501*000000001*0*T*:\n")
BODY_LF = ["GS*HC*S*R*20260101*1200*1*X*005010X222A1", "ST*837*0001*005010X222A1",
           "BHT*0019*00*772\r2337*20260101*1200*CH", "SE*3*0001", "GE*1*1", "IEA*1*000000001"]


def test_line_break_left_inside_a_value_is_an_error_naming_segment_and_element() -> None:
    # the terminator is LF, so the CR inside BHT03 cannot be wrapping: it is an error
    text = ISA_LF + "".join(s + "\n" for s in BODY_LF)
    reader = X12Reader.from_text(text)
    (ts,) = list(reader)
    (err,) = reader.errors
    assert isinstance(err, X12SyntaxError)
    assert (err.position, err.segment_id, err.element) == (4, "BHT", 3)
    assert str(err).startswith("segment 4 (BHT) element BHT03: line break inside a value")
    assert ts.segments[1][3] == "7722337"  # never handed on with the line break
    with pytest.raises(X12SyntaxError):
        list(X12Reader.from_text(text, strict=True))


def test_check_never_passes_a_value_with_a_line_break(tmp_path, capsys) -> None:
    path = tmp_path / "crlf_in_value.x12"
    path.write_bytes((ISA_LF + "".join(s + "\n" for s in BODY_LF)).encode())
    assert main(["check", str(path)]) == 1
    assert "line break inside a value" in capsys.readouterr().out


def test_crlf_between_segments_with_lf_terminator_is_not_an_error() -> None:
    body = [s.replace("\r", "") for s in BODY_LF]
    reader = X12Reader.from_text(ISA_LF.replace(":\n", ":\r\n") + "".join(
        s + "\r\n" for s in body))
    assert [t.set_id for t in reader] == ["837"]
    assert reader.errors == [] and reader.unwrapped_segments == 0
