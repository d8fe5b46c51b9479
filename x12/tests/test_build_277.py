"""277 (X212) builder: structure (pyx12's X212 map is broken) and round trip via parse_277."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from x12.build.status_277 import (
    ClaimStatusAnswer,
    LineStatusAnswer,
    StatusDetail,
    StatusResponse,
    StatusSubscriber,
    build_277,
)
from x12.errors import BuildError
from x12.parse import parse_277
from x12.reader import X12Reader
from x12.tests.factories import envelope
from x12.tests.structure_271_277 import assert_valid_277, validate_277_text

D = Decimal
DAY = dt.date(2026, 2, 1)


def response(claims: list[ClaimStatusAnswer], dependent: bool = False) -> StatusResponse:
    sub = StatusSubscriber("W123", "DOE", "JANE")
    if dependent:
        sub.dependent_last_name, sub.dependent_first_name = "DOE", "TIMMY"
    return StatusResponse("ACME HEALTH PLAN", "ACME1", "CALM MIND THERAPY", "SUB12345",
                          "CALM MIND THERAPY", "1234567893", [(sub, claims)])


def test_paid_claim_with_line_round_trips():
    paid = StatusDetail("F1", "65", DAY, D("180"), D("130"), adjudication_date=DAY,
                        payment_method="ACH", check_date=DAY, check_number="EFT0001")
    claim = ClaimStatusAnswer(
        "T1", [paid], dt.date(2026, 1, 5), patient_control_number="PCN-1",
        payer_claim_number="PAY1",
        lines=[LineStatusAnswer("90837", D("180"), D("130"), dt.date(2026, 1, 5),
                                [StatusDetail("F1", "65", DAY)], control_number="L1")])
    text = build_277(response([claim]), envelope())
    assert_valid_277(text)
    (res,) = [parse_277(ts) for ts in X12Reader.from_text(text)]
    c = res.claims[0]
    assert (c.patient_control_number, c.payer_claim_number) == ("PCN-1", "PAY1")
    assert c.statuses[0].category == "F1" and c.paid == D("130")
    assert c.lines[0].procedure == "90837" and c.lines[0].control_number == "L1"


def test_pending_request_for_information_for_a_dependent():
    pend = StatusDetail("P3", "21", DAY, D("95"), entity="85", more=[("R3", "21", None)])
    text = build_277(response([ClaimStatusAnswer("T2", [pend], dt.date(2026, 1, 9),
                                                 patient_control_number="PCN-2")],
                              dependent=True), envelope())
    assert_valid_277(text)
    (res,) = [parse_277(ts) for ts in X12Reader.from_text(text)]
    assert [s.category for s in res.claims[0].statuses] == ["P3", "R3"]


def test_structure_check_catches_unknown_category():
    text = build_277(response([ClaimStatusAnswer("T3", [StatusDetail("Q9", "1", DAY)],
                                                 DAY)]), envelope())
    assert validate_277_text(text)


def test_claim_needs_a_status():
    with pytest.raises(BuildError):
        build_277(response([ClaimStatusAnswer("T4", [], DAY)]), envelope())
