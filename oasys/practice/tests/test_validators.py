"""The identifier, address and taxonomy checks that Billing Setup relies on.

The code and phone checks are tested in oasys/core/tests/test_codes.py."""

from __future__ import annotations

import pytest

from oasys.core.addresses import address_errors, is_po_box, is_zip4
from oasys.core.identifiers import npi_error, npi_with_check_digit, tax_id_error, tax_id_masked
from oasys.practice.taxonomy import (
    behavioral_taxonomies,
    taxonomy_choices,
    taxonomy_codes,
    taxonomy_error,
)


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1679576722", "2000000002"])
def test_npi_valid(npi):
    assert npi_error(npi) is None


@pytest.mark.parametrize(
    ("npi", "fragment"),
    [
        ("1234567890", "check digit"),
        ("1234567894", "check digit"),
        ("123456789", "exactly 10 digits; this has 9"),
        ("12345678930", "exactly 10 digits; this has 11"),
        ("12345A7893", "digits only"),
        ("", "Enter the 10-digit NPI"),
        ("3234567893", "starts with 1"),
    ],
)
def test_npi_invalid(npi, fragment):
    assert fragment in (npi_error(npi) or "")


def test_npi_with_check_digit_completes_any_prefix():
    assert npi_with_check_digit("123456789") == "1234567893"
    assert npi_error(npi_with_check_digit("198765432")) is None


def test_tax_id_rules():
    assert tax_id_error("12-3456789", kind="ein", organization=True) is None
    assert tax_id_error("123-45-6789", kind="ssn", organization=False) is None
    assert "must use an EIN" in tax_id_error("123456789", kind="ssn", organization=True)
    for prefix in ("00", "07", "89", "96"):
        assert "EIN prefix" in tax_id_error(f"{prefix}3456789", kind="ein", organization=False)
    assert "not a valid SSN" in tax_id_error("000-12-3456", kind="ssn", organization=False)
    assert "not a valid SSN" in tax_id_error("666123456", kind="ssn", organization=False)
    assert "exactly 9 digits" in tax_id_error("12345678", kind="ein", organization=False)


def test_tax_id_masked_shows_last_four_only():
    assert tax_id_masked("123456789") == "•••-••-6789"
    assert "12345" not in tax_id_masked("123456789")


@pytest.mark.parametrize(
    "line",
    [
        "P.O. Box 12",
        "PO BX 5",
        "POB 7",
        "Post Office Box 9",
        "pobox 12",
        "Box 44",
        "p o box 3",
        "PO Box 123",
        "Lock Box 7",
    ],
)
def test_po_boxes_refused(line):
    assert is_po_box(line)
    errors = address_errors(line1=line, city="Austin", state="TX", zip_code="78701")
    assert "PO box" in errors.fields["address1"]


@pytest.mark.parametrize(
    "line", ["123 Boxwood Rd", "45 Post Rd", "77 Boxer St", "12 Drawbridge Ave"]
)
def test_real_streets_accepted(line):
    assert not is_po_box(line)
    assert not address_errors(line1=line, city="Austin", state="TX", zip_code="78701")


def test_address_state_and_zip():
    errors = address_errors(line1="1 Main St", city="Austin", state="XX", zip_code="7870")
    assert set(errors.fields) == {"state", "zip_code"}
    assert not address_errors(line1="1 Main St", city="Austin", state="TX", zip_code="78701-1234")
    assert not address_errors(line1="1 Main St", city="Austin", state="TX", zip_code="787011234")


def test_taxonomy_valid_unknown_deactivated():
    assert taxonomy_error("101YM0800X") is None
    assert taxonomy_error("1041c0700x") is None  # case does not matter
    assert "not in the NUCC" in taxonomy_error("101YM0801X")
    assert "deactivated" in taxonomy_error("103TP2700X")
    assert "10 characters" in taxonomy_error("101Y")
    assert "Enter" in taxonomy_error("")


def test_taxonomy_choices_focus_on_behavioral_health_but_any_active_code_is_valid():
    codes = {code for code, _ in taxonomy_choices()}
    for code in (
        "101Y00000X",
        "103T00000X",
        "104100000X",
        "1041C0700X",
        "106H00000X",
        "2084P0800X",
        "363LP0808X",
        "101YM0800X",
    ):
        assert code in codes
    assert "207K00000X" not in codes  # allergy is not behavioral health...
    assert taxonomy_error("207K00000X") is None  # ...but remains a valid code
    assert not any(t.deactivated for t in behavioral_taxonomies())
    assert taxonomy_codes() is taxonomy_codes()  # loaded once


@pytest.mark.parametrize(("value", "ok"), [
    ("94111-1234", True), ("941111234", True), (" 94111-1234 ", True), ("94111", False),
    ("94111-123", False), ("9411112345", False), ("94111 1234", False), ("", False),
])
def test_is_zip4(value, ok):
    assert is_zip4(value) is ok
