"""The shared CSV writer: formula guard, plain decimals, ISO dates, a streamed file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasys.core.csv_export import csv_date, csv_money, csv_response, csv_text


@pytest.mark.parametrize("text,cell", [
    ("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("+1", "'+1"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("Bennett", "Bennett"), ("O'Neil", "O'Neil"), ("", ""), (None, ""),
    ("a=b", "a=b"),
])
def test_text_cells_never_start_a_formula(text, cell):
    assert csv_text(text) == cell


@given(st.text())
def test_no_text_cell_starts_a_formula(text):
    assert not csv_text(text).startswith(("=", "+", "-", "@", "\t", "\r"))
    assert csv_text(text).removeprefix("'") == text or csv_text(text) == text


def test_money_is_a_plain_decimal_and_dates_are_iso():
    assert csv_money(D("1234.5")) == "1234.50"
    assert csv_money(D("-20")) == "-20.00"  # a number, not guarded: spreadsheets sum it
    assert csv_money(D("-0.00")) == "0.00"
    assert csv_money(None) == ""
    assert csv_date(dt.date(2026, 12, 3)) == "2026-12-03"
    assert csv_date(None) == ""


def test_response_streams_a_header_and_rows():
    resp = csv_response(filename="x.csv", header=["a", "b"],
                        rows=iter([["1", "two, three"], [csv_text("=x"), "é"]]))
    assert resp.streaming and resp["Content-Disposition"] == 'attachment; filename="x.csv"'
    text = b"".join(resp.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    assert list(csv.reader(io.StringIO(text.lstrip("\ufeff")))) == [
        ["a", "b"], ["1", "two, three"], ["'=x", "é"]]
