"""The claim scrubber's pure rules (no database)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasys.billing import scrub
from oasys.billing.scrub import (
    TelehealthRule,
    cpt_format_error,
    modifier_errors,
    procedure_errors,
    telehealth_errors,
    telehealth_rule_for,
    time_code_for,
    timely_filing,
)

# --- time rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "minutes", "ok"),
    [
        ("90832", 15, False), ("90832", 16, True), ("90832", 37, True), ("90832", 38, False),
        ("90834", 37, False), ("90834", 38, True), ("90834", 52, True), ("90834", 53, False),
        ("90837", 52, False), ("90837", 53, True), ("90837", 90, True), ("90837", 240, True),
    ],
)
def test_time_code_boundaries(code, minutes, ok):
    errors = procedure_errors([code], minutes)
    assert (errors == []) is ok, errors


def test_time_mismatch_message_names_the_right_code():
    assert procedure_errors(["90837"], 40) == [
        "90837 is for 53+ minutes; this session was 40; 40 minutes is 90834."
    ]
    assert procedure_errors(["90832"], 10) == ["90832 is for 16–37 minutes; this session was 10."]


@pytest.mark.parametrize(
    ("minutes", "code"),
    [(0, None), (15, None), (16, "90832"), (37, "90832"), (38, "90834"), (52, "90834"),
     (53, "90837"), (120, "90837")],
)
def test_time_code_for(minutes, code):
    assert time_code_for(minutes) == code


@given(st.integers(min_value=16, max_value=600))
def test_exactly_one_time_code_fits_any_billable_duration(minutes):
    fitting = [c for c in scrub.TIME_CODES if procedure_errors([c], minutes) == []]
    assert fitting == [time_code_for(minutes)]


@given(st.integers(min_value=0, max_value=15))
def test_no_time_code_fits_under_16_minutes(minutes):
    assert all(procedure_errors([c], minutes) for c in scrub.TIME_CODES)


# --- one primary code, add-ons -----------------------------------------------------------------


@pytest.mark.parametrize("pair", [("90834", "90837"), ("90791", "90834"), ("90846", "90847"),
                                  ("90839", "90834")])
def test_only_one_primary_psychotherapy_code(pair):
    errors = procedure_errors(list(pair), 60)
    assert any(e.startswith("Only one psychotherapy code per claim") for e in errors), errors


def test_90785_with_90834_is_allowed():
    assert procedure_errors(["90834", "90785"], 45) == []


@pytest.mark.parametrize("primary,minutes", [("90839", 60), ("90846", 50), ("90847", 50)])
def test_90785_refused_with_crisis_and_family(primary, minutes):
    assert procedure_errors([primary, "90785"], minutes) == [
        f"90785 (interactive complexity) cannot be billed with {primary}."
    ]


def test_90785_refused_with_90840():
    errors = procedure_errors(["90839", "90840", "90785"], 80)
    assert "90785 (interactive complexity) cannot be billed with 90839." in errors


def test_90785_alone_is_refused():
    assert procedure_errors(["90785"], 45) == [
        "90785 (interactive complexity) is an add-on and needs a primary code."
    ]


def test_90840_needs_90839():
    assert procedure_errors(["90840"], 80) == [
        "90840 (crisis, each additional 30 min) needs 90839 on the same claim."
    ]


@pytest.mark.parametrize(
    ("codes", "minutes", "ok"),
    [
        (["90839"], 29, False),
        (["90839"], 30, True),
        (["90839"], 74, True),
        (["90839", "90840"], 74, False),
        (["90839", "90840"], 75, True),
        (["90839", "90840", "90840"], 104, False),
        (["90839", "90840", "90840"], 105, True),
        (["90839", "90840", "90840", "90840"], 134, False),
        (["90839", "90840", "90840", "90840"], 135, True),
    ],
)
def test_crisis_add_on_minutes(codes, minutes, ok):
    errors = procedure_errors(codes, minutes)
    assert (errors == []) is ok, errors


def test_crisis_add_on_message():
    assert procedure_errors(["90839", "90840", "90840"], 104) == [
        "2× 90840 needs at least 105 minutes; this was 104."
    ]


@pytest.mark.parametrize("code", ["90846", "90847"])
@pytest.mark.parametrize(("minutes", "ok"), [(25, False), (26, True), (50, True)])
def test_family_codes_need_26_minutes(code, minutes, ok):
    errors = procedure_errors([code], minutes)
    assert (errors == []) is ok, errors
    if not ok:
        assert errors == [
            f"{code} (family psychotherapy) needs at least 26 minutes; this was {minutes}."
        ]


def test_untimed_codes_have_no_time_rule():
    assert procedure_errors(["90791"], 5) == []
    assert procedure_errors(["90853"], 200) == []


# --- formats ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["90834", "0001F", "99213"])
def test_cpt_format_ok(code):
    assert cpt_format_error(code) is None


@pytest.mark.parametrize("code", ["9083", "908345", "9O834", "W0834", "0591X", "90 83",
                                  "9083-"])
def test_cpt_format_bad(code):
    assert cpt_format_error(code) == (
        f"{code!r} is not a CPT or HCPCS code: use 5 digits (like 90837), "
        "4 digits and F, T or U (like 0591T), or a letter and 4 digits (like H0004)."
    )


def test_cpt_format_empty():
    assert cpt_format_error("") == "No CPT code."


@given(st.from_regex(r"\A[0-9]{5}\Z") | st.from_regex(r"\A[0-9]{4}[FTU]\Z")
       | st.from_regex(r"\A[A-V][0-9]{4}\Z"))
def test_cpt_format_accepts_every_well_formed_code(code):
    assert cpt_format_error(code) is None


def test_modifier_errors():
    assert modifier_errors([]) == []
    assert modifier_errors(["95", "GT", "HJ", "59"]) == []
    assert modifier_errors(["95", "GT", "HJ", "59", "25"]) == [
        "A claim line takes at most 4 modifiers; this has 5."
    ]
    bad = "Each modifier is 2 letters or digits (like 95, GT or HO); check {}."
    assert modifier_errors(["9"]) == [bad.format("9")]
    assert modifier_errors(["9-"]) == [bad.format("9-")]
    assert modifier_errors(["955"]) == [bad.format("955")]
    # Both problems at once, and every bad one named in a single message.
    assert modifier_errors(["95", "9", "GT", "9-", "HO"]) == [
        "A claim line takes at most 4 modifiers; this has 5.",
        bad.format("9, 9-"),
    ]
    # The scrubber checks the stored value: lower case passes, as it always did; a repeat
    # is not a scrubber error (appointments refuse repeats when they are entered).
    assert modifier_errors(["gt"]) == []
    assert modifier_errors(["95", "95"]) == []


# --- telehealth -------------------------------------------------------------------------------

DEFAULT_2020 = TelehealthRule(None, 2020, "10", "95")
DEFAULT_2024 = TelehealthRule(None, 2024, "10", "93")
PAYER7_2021 = TelehealthRule(7, 2021, "10", "GT")
PAYER7_2023 = TelehealthRule(7, 2023, "10", "")
PAYER7_POS02 = TelehealthRule(7, 2019, "02", "GQ")
RULES = [DEFAULT_2020, DEFAULT_2024, PAYER7_2021, PAYER7_2023, PAYER7_POS02]


def test_payer_rule_beats_default():
    assert telehealth_rule_for(RULES, payer_id=7, pos="10", year=2022) == PAYER7_2021


def test_newest_payer_rule_not_after_service_year_wins():
    assert telehealth_rule_for(RULES, payer_id=7, pos="10", year=2023) == PAYER7_2023
    assert telehealth_rule_for(RULES, payer_id=7, pos="10", year=2030) == PAYER7_2023


def test_default_used_when_payer_has_none():
    assert telehealth_rule_for(RULES, payer_id=8, pos="10", year=2022) == DEFAULT_2020
    assert telehealth_rule_for(RULES, payer_id=8, pos="10", year=2024) == DEFAULT_2024
    assert telehealth_rule_for(RULES, payer_id=None, pos="10", year=2025) == DEFAULT_2024


def test_payer_rule_not_yet_in_effect_falls_back_to_default():
    assert telehealth_rule_for(RULES, payer_id=7, pos="10", year=2020) == DEFAULT_2020


def test_no_rule_before_any_effective_year_or_other_pos():
    assert telehealth_rule_for(RULES, payer_id=8, pos="10", year=2019) is None
    assert telehealth_rule_for(RULES, payer_id=8, pos="02", year=2024) is None
    assert telehealth_rule_for(RULES, payer_id=7, pos="02", year=2024) == PAYER7_POS02


@given(st.lists(st.builds(TelehealthRule, st.sampled_from([None, 1, 2]),
                          st.integers(2015, 2030), st.sampled_from(["02", "10"]),
                          st.sampled_from(["", "95", "GT"])), max_size=8),
       st.sampled_from([1, 2, None]), st.sampled_from(["02", "10"]), st.integers(2015, 2030))
def test_rule_chosen_is_in_effect_and_newest_of_its_pool(rules, payer_id, pos, year):
    chosen = telehealth_rule_for(rules, payer_id=payer_id, pos=pos, year=year)
    own = [r for r in rules if r.payer_id == payer_id and payer_id is not None
           and r.place_of_service == pos and r.effective_year <= year]
    default = [r for r in rules if r.payer_id is None and r.place_of_service == pos
               and r.effective_year <= year]
    pool = own or default
    if not pool:
        assert chosen is None
    else:
        assert chosen in pool
        assert chosen.effective_year == max(r.effective_year for r in pool)


def test_pos_10_without_95_is_an_error():
    assert telehealth_errors(pos="10", modifiers=[], rule=DEFAULT_2020, year=2025) == [
        "Telehealth (place of service 10) needs modifier 95 for this payer in 2025."
    ]


def test_pos_10_with_95_is_fine():
    assert telehealth_errors(pos="10", modifiers=["95"], rule=DEFAULT_2020, year=2025) == []


def test_payer_rule_with_no_modifier_requires_none():
    assert telehealth_errors(pos="10", modifiers=[], rule=PAYER7_2023, year=2025) == []


def test_95_with_pos_11_is_an_error():
    assert telehealth_errors(pos="11", modifiers=["95"], rule=None, year=2025) == [
        "Modifier 95 marks telehealth, but the place of service is 11."
    ]


def test_office_visit_without_telehealth_modifier_is_fine():
    assert telehealth_errors(pos="11", modifiers=["59"], rule=None, year=2025) == []


# --- timely filing ----------------------------------------------------------------------------

SERVICE = date(2025, 1, 10)  # + 90 days = Apr 10, 2025


@pytest.mark.parametrize(
    ("today", "error", "warning"),
    [
        (date(2025, 4, 11), "The payer's 90-day filing limit passed on Apr 10, 2025.", None),
        (date(2025, 4, 10), None, "File by Apr 10, 2025 (0 days left of 90)."),
        (date(2025, 3, 27), None, "File by Apr 10, 2025 (14 days left of 90)."),
        (date(2025, 3, 26), None, None),
        (date(2025, 1, 11), None, None),
    ],
)
def test_timely_filing_boundaries(today, error, warning):
    assert timely_filing(service_date=SERVICE, today=today, limit_days=90) == (error, warning)


@given(st.integers(min_value=1, max_value=400), st.integers(min_value=-30, max_value=500))
def test_timely_filing_is_error_xor_warning_xor_nothing(limit, elapsed):
    today = SERVICE + timedelta(days=elapsed)
    error, warning = timely_filing(service_date=SERVICE, today=today, limit_days=limit)
    left = limit - elapsed
    assert (error is not None) == (left < 0)
    assert (warning is not None) == (0 <= left <= 14)
