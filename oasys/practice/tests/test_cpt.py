"""The one CPT/HCPCS validator: shape, the behavioral-health codes Oasys knows, and the
practice's deliberately added extra codes (with their audit rows)."""

from __future__ import annotations

import pytest

from oasys.core.audit import AuditContext
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditEvent
from oasys.practice.cpt import KNOWN_CODES, cpt_extra_codes, cpt_validate, cpt_validate_typed
from oasys.practice.models import ExtraServiceCode
from oasys.practice.services import extra_service_code_add, extra_service_code_remove


@pytest.fixture
def ctx(pr_practice, pr_owner):
    return AuditContext(user_id=pr_owner.pk, user_email=pr_owner.email,
                        practice_id=pr_practice.pk)


@pytest.mark.parametrize("code", ["90837", "90791", "90785", "96130", "97153", "H0004",
                                  "H2019", "G0323", "0362T"])
def test_known_behavioral_health_codes_are_accepted(pr_practice, code):
    assert code in KNOWN_CODES
    assert cpt_validate(practice=pr_practice, code=code) is None


def test_99999_is_refused_with_the_way_to_add_it(pr_practice):
    message = cpt_validate(practice=pr_practice, code="99999")
    assert message.startswith("99999 is not a CPT code Oasys knows for behavioral health.")
    assert "Billing → Setup → Service codes" in message


@pytest.mark.parametrize("code", ["9083", "908370", "9O834", "0591X", "W1234", "h0004",
                                  "90 83", "ABCDE"])
def test_bad_shapes_are_refused_as_not_a_code(pr_practice, code):
    assert "is not a CPT or HCPCS code" in cpt_validate(practice=pr_practice, code=code)


def test_empty_is_fine_unless_required(pr_practice):
    assert cpt_validate(practice=pr_practice, code="") is None
    assert cpt_validate(practice=pr_practice, code="", required=True) == "No CPT code."


def test_typed_input_is_cleaned_first(pr_practice):
    assert cpt_validate_typed(practice=pr_practice, value=" h0004 ") == ("H0004", None)


def test_an_added_code_is_accepted_for_that_practice_only(pr_practice, pr_other_practice, ctx):
    extra = extra_service_code_add(practice=pr_practice, actor_ctx=ctx, code=" 0591t ",
                                   description="Health coaching")
    assert extra.code == "0591T"
    assert cpt_validate(practice=pr_practice, code="0591T") is None
    assert cpt_validate(practice=pr_practice, code="0591T", extra_codes=set()) is not None
    assert cpt_validate(practice=pr_other_practice, code="0591T") is not None
    assert cpt_extra_codes(practice=pr_practice) == {"0591T"}
    event = AuditEvent.objects.get(category="service_code", action="create")
    assert event.object_id == str(extra.pk) and event.detail == {"code": "0591T"}

    extra_service_code_remove(practice=pr_practice, actor_ctx=ctx, extra=extra)
    assert not ExtraServiceCode.objects.exists()
    assert cpt_validate(practice=pr_practice, code="0591T") is not None
    assert AuditEvent.objects.filter(category="service_code", action="delete").count() == 1


@pytest.mark.parametrize(("code", "fragment"), [
    ("9999", "not a CPT or HCPCS code"),
    ("", "No CPT code"),
    ("90837", "already knows 90837"),
])
def test_adding_a_bad_or_known_code_is_refused_and_changes_nothing(pr_practice, ctx, code,
                                                                   fragment):
    with pytest.raises(InvalidInput) as err:
        extra_service_code_add(practice=pr_practice, actor_ctx=ctx, code=code)
    assert fragment in err.value.errors["code"]
    assert not ExtraServiceCode.objects.exists()
    assert not AuditEvent.objects.filter(category="service_code").exists()


def test_adding_twice_is_refused(pr_practice, ctx):
    extra_service_code_add(practice=pr_practice, actor_ctx=ctx, code="99999")
    with pytest.raises(InvalidInput, match="already in your service codes"):
        extra_service_code_add(practice=pr_practice, actor_ctx=ctx, code="99999")
    assert ExtraServiceCode.objects.count() == 1
