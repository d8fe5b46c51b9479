"""ICD-10-CM codes: the pure checks and the ordered list of a client."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from oasys.clients.diagnoses import diagnosis_description, diagnosis_error, diagnosis_normalize
from oasys.clients.errors import error_messages
from oasys.clients.models import Diagnosis
from oasys.clients.services import (
    diagnoses_replace,
    diagnosis_add,
    diagnosis_move,
    diagnosis_remove,
)

# Twelve distinct billable codes, for the "at most 12" rules.
TWELVE = [
    "F41.1",
    "F32.A",
    "F43.10",
    "F41.0",
    "F40.10",
    "F42.2",
    "F43.21",
    "F43.22",
    "F43.23",
    "F33.1",
    "F34.1",
    "F90.0",
]


@pytest.mark.parametrize("code", ["F41.1", "F411", "f41.1", " F41.1 ", "F32A", "T74.11XA"])
def test_billable_codes_pass_with_or_without_the_dot(code):
    assert diagnosis_error(code) is None


@pytest.mark.parametrize(
    ("code", "stored"),
    [("F411", "F41.1"), ("f41.1", "F41.1"), ("F32A", "F32.A"), ("F4310", "F43.10"), ("I10", "I10")],
)
def test_codes_are_stored_with_the_dot(code, stored):
    assert diagnosis_normalize(code) == stored


def test_unknown_code_is_refused():
    assert diagnosis_error("F99.99") == "F99.99 is not an ICD-10-CM code."
    assert diagnosis_error("ZZZ") == "ZZZ is not an ICD-10-CM code."
    assert diagnosis_error("5") == "5 is not an ICD-10-CM code."  # a chapter number


def test_category_header_is_refused_with_specific_examples():
    message = diagnosis_error("F41")
    assert message.startswith("F41 is a category; choose a specific code such as F41.")
    assert "F41.1" in message


def test_non_billable_subcategory_is_refused():
    message = diagnosis_error("F43.1")
    assert message.startswith("F43.1 is not specific enough") and "F43.10" in message


def test_blocks_and_blanks_are_refused():
    assert "range" in diagnosis_error("F40-F48")
    assert diagnosis_error("") == "Enter an ICD-10-CM code, such as F41.1."


def test_description():
    assert diagnosis_description("F411") == "Generalized anxiety disorder"
    assert diagnosis_description("F99.99") == ""


def codes_of(client) -> list[str]:
    return list(
        Diagnosis.objects.filter(client=client).order_by("position").values_list("code", flat=True)
    )


@pytest.mark.django_db
def test_add_stores_normalised_in_order(cl_client, cl_ctx):
    diagnosis_add(client=cl_client, ctx=cl_ctx, code="F411")
    diagnosis_add(client=cl_client, ctx=cl_ctx, code="F32.A")
    assert codes_of(cl_client) == ["F41.1", "F32.A"]
    assert list(Diagnosis.objects.filter(client=cl_client).values_list("position", flat=True)) == [
        1,
        2,
    ]


@pytest.mark.django_db
def test_duplicates_are_refused_whatever_the_spelling(cl_client, cl_ctx):
    diagnosis_add(client=cl_client, ctx=cl_ctx, code="F41.1")
    with pytest.raises(ValidationError) as info:
        diagnosis_add(client=cl_client, ctx=cl_ctx, code="f411")
    assert "already" in error_messages(info.value)["code"]


@pytest.mark.django_db
def test_category_and_unknown_codes_are_refused_by_the_service(cl_client, cl_ctx):
    for code in ("F41", "F99.99"):
        with pytest.raises(ValidationError):
            diagnosis_add(client=cl_client, ctx=cl_ctx, code=code)
    assert codes_of(cl_client) == []


@pytest.mark.django_db
def test_thirteenth_code_is_refused(cl_client, cl_ctx):
    for code in TWELVE:
        diagnosis_add(client=cl_client, ctx=cl_ctx, code=code)
    with pytest.raises(ValidationError) as info:
        diagnosis_add(client=cl_client, ctx=cl_ctx, code="F60.3")
    assert "at most 12" in error_messages(info.value)["code"]
    assert len(codes_of(cl_client)) == 12


@pytest.mark.django_db
def test_reorder_up_and_down(cl_client, cl_ctx):
    for code in ("F41.1", "F32.A", "F43.10"):
        diagnosis_add(client=cl_client, ctx=cl_ctx, code=code)
    third = Diagnosis.objects.get(client=cl_client, code="F43.10")
    diagnosis_move(diagnosis=third, ctx=cl_ctx, direction="up")
    assert codes_of(cl_client) == ["F41.1", "F43.10", "F32.A"]
    first = Diagnosis.objects.get(client=cl_client, code="F41.1")
    diagnosis_move(diagnosis=first, ctx=cl_ctx, direction="down")
    assert codes_of(cl_client) == ["F43.10", "F41.1", "F32.A"]
    top = Diagnosis.objects.get(client=cl_client, code="F43.10")
    diagnosis_move(diagnosis=top, ctx=cl_ctx, direction="up")  # already first: no change
    assert codes_of(cl_client) == ["F43.10", "F41.1", "F32.A"]


@pytest.mark.django_db
def test_remove_closes_the_gap(cl_client, cl_ctx):
    for code in ("F41.1", "F32.A", "F43.10"):
        diagnosis_add(client=cl_client, ctx=cl_ctx, code=code)
    diagnosis_remove(diagnosis=Diagnosis.objects.get(client=cl_client, code="F41.1"), ctx=cl_ctx)
    rows = list(
        Diagnosis.objects.filter(client=cl_client)
        .order_by("position")
        .values_list("position", "code")
    )
    assert rows == [(1, "F32.A"), (2, "F43.10")]


@pytest.mark.django_db
def test_replace_sets_the_whole_ordered_list(cl_client, cl_ctx):
    diagnosis_add(client=cl_client, ctx=cl_ctx, code="F41.1")
    diagnoses_replace(client=cl_client, ctx=cl_ctx, codes=["F32A", "F411"])
    assert codes_of(cl_client) == ["F32.A", "F41.1"]


@pytest.mark.django_db
def test_replace_refuses_bad_lists_and_changes_nothing(cl_client, cl_ctx):
    diagnosis_add(client=cl_client, ctx=cl_ctx, code="F41.1")
    with pytest.raises(ValidationError) as info:
        diagnoses_replace(client=cl_client, ctx=cl_ctx, codes=["F32.A", "F41", "F32A", "F99.99"])
    errors = error_messages(info.value)
    assert set(errors) == {"codes[1]", "codes[2]", "codes[3]"}
    with pytest.raises(ValidationError) as info:
        diagnoses_replace(client=cl_client, ctx=cl_ctx, codes=[*TWELVE, "F60.3"])
    assert "at most 12" in error_messages(info.value)["codes"]
    assert codes_of(cl_client) == ["F41.1"]


# --- the dot without the library's full code list -----------------------------------------------
def test_the_dot_goes_where_the_library_puts_it():
    """`_dotted` answers what `icd.add_dot` answers, for every code of the chapters therapy
    practices bill from and for the seven-character injury codes (S06.0X1A)."""
    import simple_icd_10_cm as icd  # noqa: PLC0415

    from oasys.clients.diagnoses import _dotted  # noqa: PLC0415

    # The library's two lists are parallel: what add_dot answers for a code without its dot
    # (it finds the code's position in one and reads the other).
    pairs = [(bare, dotted) for bare, dotted in zip(icd.get_all_codes(False),
                                                    icd.get_all_codes(True), strict=True)
             if bare[0] in "FRZS" and "-" not in bare]
    assert len(pairs) > 10_000
    assert [_dotted(bare) for bare, _ in pairs] == [dotted for _, dotted in pairs]
    assert [_dotted(c) for c in ("F411", "F43.10", "S060X1A", "Z631")] == [
        icd.add_dot(c) for c in ("F411", "F43.10", "S060X1A", "Z631")]


def test_checking_a_code_does_not_build_the_librarys_code_list():
    """The 0.45 s list (and its linear scans) is only for the search index; a fresh process
    that checks and normalizes codes never builds it."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    script = ("from simple_icd_10_cm import simple_icd_10_cm as icd\n"
              "from oasys.clients.diagnoses import diagnosis_error, diagnosis_normalize\n"
              "assert diagnosis_error('F411') is None\n"
              "assert diagnosis_normalize('f43.10') == 'F43.10'\n"
              "assert 'F41.1 or' in diagnosis_error('F41') or 'F41.0' in diagnosis_error('F41')\n"
              "assert icd._all_codes_list == [], len(icd._all_codes_list)\n")
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)
