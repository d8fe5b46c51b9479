"""Bytes that are not UTF-8 are read as cp1252 (Latin-1 where cp1252 has no character),
with a warning naming the segment, element and byte offset; never a rejected file."""

from __future__ import annotations

import pytest

from x12.encoding import X12Decoder, decode_x12, single_byte_char
from x12.parse import parse_file
from x12.reader import X12Reader
from x12.tests.conftest import FIXTURES

NAME = "835_edi835parser_emedny_sample.txt"


def patient_names(data: bytes):
    result = parse_file(data)
    (remit,) = [p for _, ps in result.interchanges for p in ps]
    return [c.patient.name for c in remit.claims], result


@pytest.mark.parametrize(("raw", "letter"), [
    (b"\xc9", "\u00c9"),        # Latin-1 and cp1252 agree: É
    (b"\x8a", "\u0160"),        # cp1252 only: Š
    (b"\x81", "\x81"),          # undefined in cp1252: Latin-1
])
def test_single_byte_letter_in_patient_name(raw: bytes, letter: str) -> None:
    original = (FIXTURES / NAME).read_bytes()
    at = original.index(b"SUBMITTED LAST") + 1
    data = original[:at] + raw + original[at + 1:]  # S?BMITTED LAST
    names, result = patient_names(data)
    assert names[0] == "S" + letter + "BMITTED LAST"
    assert result.errors == []
    (w,) = result.warnings
    seg_no = data[:at].count(b"~") + 1
    assert (w.byte_offset, w.position, w.segment_id, w.element, w.read_as) == (
        at, seg_no, "NM1", 3, letter)
    assert w.describe().startswith(f"segment {seg_no} (NM1) element NM103 byte {at}: byte 0x")
    assert result.to_dict()["warnings"][0]["position"] == seg_no


def test_utf8_letter_has_no_warning_even_split_over_chunks() -> None:
    original = (FIXTURES / NAME).read_bytes()
    data = original.replace(b"SUBMITTED LAST", "SÉBMITTED LAST".encode())
    for size in (16, 17, 333, 1 << 16):
        reader = X12Reader(data, chunk_size=size)
        sets = list(reader)
        assert reader.warnings == [] and reader.errors == []
        assert any("SÉBMITTED LAST" in seg for t in sets for seg in t.segments)


def test_every_non_utf8_byte_has_its_own_warning_with_its_offset() -> None:
    original = (FIXTURES / NAME).read_bytes()
    data = original.replace(b"SUBMITTED FIRST", b"J\xc9R\xd4ME")
    for size in (16, 64, 1 << 16):
        reader = X12Reader(data, chunk_size=size)
        list(reader)
        offsets = [i for i, b in enumerate(data) if b >= 0x80]
        assert [w.byte_offset for w in reader.warnings] == offsets
        assert {w.segment_id for w in reader.warnings} == {"NM1"}
        assert {w.element for w in reader.warnings} == {4}
        assert len({w.position for w in reader.warnings}) == 3  # three claims


def test_mixed_utf8_and_cp1252_bytes() -> None:
    dec = X12Decoder()
    text = dec.decode("Zoë ".encode() + b"Ren\xe9e \x80 5", final=True)
    assert text == "Zoë Renée € 5"
    assert [(w.byte_offset, w.read_as) for w in dec.warnings] == [(8, "é"), (11, "€")]


def test_single_byte_table() -> None:
    assert [single_byte_char(b) for b in (0x80, 0x9F, 0xC9, 0x8D, 0xFF)] == [
        "€", "Ÿ", "É", "\x8d", "ÿ"]


def test_decode_x12_for_whole_uploads() -> None:
    text, warnings = decode_x12(b"\xef\xbb\xbfISA*NAME*JOS\xc9~")
    assert text == "ISA*NAME*JOSÉ~"
    assert [(w.byte_offset, w.found, w.read_as) for w in warnings] == [(15, "0xC9", "É")]


def test_warnings_are_capped_with_a_summary(monkeypatch) -> None:
    monkeypatch.setattr("x12.reader.MAX_WARNINGS", 2)
    original = (FIXTURES / NAME).read_bytes()
    data = original.replace(b"SUBMITTED FIRST", b"J\xc9R\xd4ME")  # 6 bytes in 3 claims
    reader = X12Reader(data, chunk_size=64)
    list(reader)
    assert [w.byte_offset is not None for w in reader.warnings] == [True, True, False]
    assert reader.warnings_not_listed == 4
    assert reader.warnings[-1].message.startswith("4 more bytes")
