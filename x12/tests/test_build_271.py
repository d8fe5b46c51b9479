"""271 builder: structure (no pyx12 map exists for 5010 271) and round trip via parse_271."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from x12.build.benefits_271 import (
    BenefitInfo,
    EligibilityAnswer,
    Person,
    QuantityLimit,
    Rejection,
    RelatedEntity,
    build_271,
)
from x12.errors import BuildError
from x12.parse import parse_271
from x12.reader import X12Reader
from x12.tests.factories import ADDR, envelope
from x12.tests.structure_271_277 import assert_valid_271, validate_271_text

D = Decimal


def answer(**kw: object) -> EligibilityAnswer:
    base: dict = dict(
        payer_name="ACME HEALTH PLAN", payer_id="ACME1", provider_name="CALM MIND THERAPY",
        provider_npi="1234567893",
        subscriber=Person("DOE", "JANE", "W123456789", dt.date(1980, 5, 17), "F", ADDR),
        trace_number="TRACE-1", plan_begin=dt.date(2026, 1, 1), group_number="GRP001",
        benefits=[
            BenefitInfo("1", "IND", ("30", "MH"), "PR", "GOLD PPO"),
            BenefitInfo("B", "IND", ("MH", "A6"), "PR", time_period="27", amount=D("20"),
                        authorization_required="N", network="Y"),
            BenefitInfo("A", "IND", ("A6",), "PR", time_period="27", percent=D("0.2"),
                        network="Y"),
            BenefitInfo("C", "IND", ("30",), "PR", time_period="29", amount=D("250.5"),
                        network="Y"),
            BenefitInfo("G", "FAM", ("30",), "PR", time_period="23", amount=D("6000"),
                        network="Y"),
            BenefitInfo("F", "IND", ("A6",), "PR", network="Y", authorization_required="Y",
                        limits=[QuantityLimit("VS", D("20"), "23")],
                        messages=["PRIOR AUTHORIZATION REQUIRED AFTER 20 VISITS"]),
        ],
    )
    base.update(kw)
    return EligibilityAnswer(**base)


def parsed(text: str):
    return [parse_271(ts) for ts in X12Reader.from_text(text)]


def test_active_member_with_benefits_is_valid_and_round_trips():
    text = build_271(answer(), envelope())
    assert_valid_271(text)
    (res,) = parsed(text)
    member = res.members[0]
    assert member.coverage == "active"
    assert member.party.id == "W123456789"
    assert member.trace_numbers == ["TRACE-1"]
    copays = [b for b in member.benefits if b.code == "B"]
    assert [b.service_types for b in copays] == [["MH"], ["A6"]]
    copay = copays[0]
    assert copay.amount == D("20")
    assert copay.network == "Y" and copay.authorization_required == "N"
    coins = next(b for b in member.benefits if b.code == "A")
    assert coins.percent == D("0.2")
    limit = next(b for b in member.benefits if b.code == "F")
    assert limit.limits[0].quantity == D("20")


def test_inactive_coverage():
    text = build_271(answer(benefits=[BenefitInfo("6", None, ("30",))]), envelope())
    assert_valid_271(text)
    assert parsed(text)[0].members[0].coverage == "inactive"


def test_member_rejection_aaa():
    text = build_271(answer(benefits=[], member_rejections=[Rejection("75", "C")]), envelope())
    assert_valid_271(text)
    rej = parsed(text)[0].members[0].rejections[0]
    assert (rej.reason, rej.follow_up) == ("75", "C")


def test_payer_rejection_for_timeout():
    text = build_271(answer(benefits=[], payer_rejections=[Rejection("42", "R", "Y")]),
                     envelope())
    assert_valid_271(text)
    assert parsed(text)[0].rejections[0].reason == "42"


def test_carve_out_names_the_other_payer():
    carve = BenefitInfo("U", "IND", ("MH",), messages=["BEHAVIORAL HEALTH CARVED OUT"],
                        related=RelatedEntity("PR", "MINDWELL BEHAVIORAL", "MWB01",
                                              phone="8005551234"))
    text = build_271(answer(benefits=[BenefitInfo("1", "IND", ("30",)), carve]), envelope())
    assert_valid_271(text)
    eb = [b for b in parsed(text)[0].members[0].benefits if b.code == "U"][0]
    assert eb.entities[0].id == "MWB01"


def test_dependent_answer():
    dep = Person("DOE", "TIMMY", None, dt.date(2012, 3, 4), "M", relationship="19")
    text = build_271(answer(dependent=dep), envelope())
    assert_valid_271(text)
    members = parsed(text)[0].members
    assert [m.role for m in members] == ["subscriber", "dependent"]
    assert members[1].coverage == "active" and members[1].trace_numbers == ["TRACE-1"]


def test_structure_check_catches_bad_code():
    text = build_271(answer(benefits=[BenefitInfo("1", "IND", ("ZZ",))]), envelope())
    assert validate_271_text(text)


def test_subscriber_needs_member_id():
    with pytest.raises(BuildError):
        build_271(answer(subscriber=Person("DOE", "JANE")), envelope())
