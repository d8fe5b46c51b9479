"""The shared claim code checks: place of service, CPT, modifiers and US phone numbers.

Billing Setup, the client and appointment screens, the API and the claim scrubber all use
these, so the exact wording is asserted here once.
"""

from __future__ import annotations

import pytest

from oasys.core.codes import (
    cpt_clean,
    cpt_error,
    modifier_errors,
    modifiers_error,
    modifiers_parse,
    phone_digits,
    phone_display,
    phone_error,
    place_of_service_choices,
    place_of_service_codes,
    place_of_service_name,
)

# --- place of service -------------------------------------------------------------------------


def test_place_of_service_from_core_csv():
    choices = dict(place_of_service_choices())
    assert choices["11"].startswith("11 — Office")
    assert "02" in choices and "10" in choices
    assert place_of_service_name("11") == "Office"
    assert place_of_service_name("99x") == ""
    assert place_of_service_codes() is place_of_service_codes()  # read once


# --- CPT --------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["90837", "0591T", "9083T", "0001F", "0361U", "99213",
                                  "H0004", "G0323", "A0837"])
def test_cpt_accepted(code):
    assert cpt_error(code) is None
    assert cpt_error(code, required=True) is None


@pytest.mark.parametrize(
    "code",
    [
        "9083",  # too short
        "908370",  # too long
        "90837A",
        "0591X",  # Category II/III/PLA end in F, T or U only
        "W0837",  # HCPCS Level II letters run A to V
        "0591t",  # lower case: clean first (cpt_clean)
        "9O837",  # letter O for zero
        "9083-",
        "90 83",
        " 90837",  # checked as given: clean first (cpt_clean)
        "90837\n",  # a regex with $ would let this through
        "٩٠٨٣٧",  # Arabic-Indic digits: \d and str.isdigit() accept them, X12 does not
    ],
)
def test_cpt_refused(code):
    assert cpt_error(code) == (
        f"{code!r} is not a CPT or HCPCS code: use 5 digits (like 90837), "
        "4 digits and F, T or U (like 0591T), or a letter and 4 digits (like H0004)."
    )


def test_cpt_empty_is_fine_unless_required():
    assert cpt_error("") is None  # a service type may leave it for later
    assert cpt_error("", required=True) == "No CPT code."  # a claim line may not


def test_cpt_message_does_not_echo_a_flood():
    message = cpt_error("9" * 5000)
    assert message is not None and len(message) < 150
    assert message.startswith("'999999999999…' is not a CPT or HCPCS code")


def test_cpt_clean():
    assert cpt_clean(" 0591t ") == "0591T"
    assert cpt_clean(None) == ""
    assert cpt_error(cpt_clean(" 0591t ")) is None


# --- modifiers --------------------------------------------------------------------------------


def test_modifiers_parse_commas_or_spaces():
    assert modifiers_parse("95, ho") == ["95", "HO"]
    assert modifiers_parse(" 95 HO,,gt ") == ["95", "HO", "GT"]
    assert modifiers_parse("") == [] and modifiers_parse(None) == []


@pytest.mark.parametrize("value", ["", "95", "95, HO", "95,GT,HO,U1", "hO, 95", "95 gt"])
def test_modifiers_accepted(value):
    assert modifiers_error(value) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("95,GT,HO,U1,U2", "A claim line takes at most 4 modifiers; this has 5."),
        ("9,HO", "Each modifier is 2 letters or digits (like 95, GT or HO); check 9."),
        ("GTX", "Each modifier is 2 letters or digits (like 95, GT or HO); check GTX."),
        ("95;GT", "Each modifier is 2 letters or digits (like 95, GT or HO); check 95;GT."),
        ("É1", "Each modifier is 2 letters or digits (like 95, GT or HO); check É1."),
        ("95,95", "Each modifier may appear once; remove the repeated 95."),
        ("95, gt, GT", "Each modifier may appear once; remove the repeated GT."),
    ],
)
def test_modifiers_refused(value, message):
    assert modifiers_error(value) == message


def test_modifiers_repeats_allowed_when_asked():
    # Service types and the scrubber keep their old behaviour: a repeat is not an error.
    assert modifiers_error("95,95", allow_repeats=True) is None
    assert modifiers_error("9,9", allow_repeats=True) == (
        "Each modifier is 2 letters or digits (like 95, GT or HO); check 9, 9."
    )


def test_modifier_errors_lists_every_problem_most_basic_first():
    assert modifier_errors(["95", "9", "95", "GTX", "HO"]) == [
        "A claim line takes at most 4 modifiers; this has 5.",
        "Each modifier is 2 letters or digits (like 95, GT or HO); check 9, GTX.",
        "Each modifier may appear once; remove the repeated 95.",
    ]
    assert modifier_errors([]) == []


def test_modifier_message_does_not_echo_a_flood():
    message = modifiers_error("G" * 5000)
    assert message is not None and len(message) < 120


# --- phone ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone", ["(512) 555-0199", "512.555.0199", "+1 512 555 0199", "15125550199", "2125550147"]
)
def test_phone_accepted(phone):
    assert phone_error(phone) is None


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("555-0199", "A US phone number has 10 digits; this has 7."),
        ("212-555-01477", "A US phone number has 10 digits; this has 11."),
        # 11 digits not starting with 1 is not a US number with a country code
        ("22125550147", "A US phone number has 10 digits; this has 11."),
        ("", "A US phone number has 10 digits; this has 0."),
        ("012 555 0199", "A US area code cannot start with 0 or 1."),
        ("+1 112 555 0199", "A US area code cannot start with 0 or 1."),
        ("512 055 0199", "The 3 digits after the area code cannot start with 0 or 1."),
        ("(212) 155-0147", "The 3 digits after the area code cannot start with 0 or 1."),
        ("512-CALL-NOW", "A phone number has digits only (spaces, dashes and brackets are fine)."),
    ],
)
def test_phone_refused(phone, message):
    assert phone_error(phone) == message


def test_phone_digits_drops_punctuation_and_country_code():
    assert phone_digits("+1 (512) 555-0199") == "5125550199"
    assert phone_digits("512.555.0199") == "5125550199"
    assert phone_digits(None) == ""


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("5125550199", "(512) 555-0199"),  # as stored
        ("+1 512.555.0199", "(512) 555-0199"),  # as typed
        ("555-0199", "555-0199"),  # not a full number: shown as is
        ("", ""),
        (None, ""),
    ],
)
def test_phone_display(value, shown):
    assert phone_display(value) == shown
