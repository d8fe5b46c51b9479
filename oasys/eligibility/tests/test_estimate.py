"""The per-session estimate: Decimal only, never above the charge or the out-of-pocket left."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasys.eligibility.estimate import estimate_from_summary, session_estimate

D = Decimal
money = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False,
                    allow_infinity=False)
optional = st.none() | money
percent = st.none() | st.decimals(min_value=0, max_value=100, places=2, allow_nan=False,
                                  allow_infinity=False)


@given(charge=money, copay=optional, coins=percent, ded=optional, oop=optional)
def test_estimate_bounds(charge, copay, coins, ded, oop):
    est = session_estimate(charge=charge, copay=copay, coinsurance_percent=coins,
                           deductible_remaining=ded, oop_remaining=oop)
    if est.amount is None:
        assert copay is None and coins is None
        return
    assert isinstance(est.amount, Decimal) and est.amount == est.amount.quantize(D("0.01"))
    assert D(0) <= est.amount <= charge
    if oop is not None:
        assert est.amount <= oop
    assert est.explanation.startswith("Estimate")


@given(charge=money, ded=money, more=money, coins=st.decimals(
    min_value=0, max_value=100, places=0, allow_nan=False, allow_infinity=False))
def test_more_deductible_left_never_costs_less(charge, ded, more, coins):
    a = session_estimate(charge=charge, copay=None, coinsurance_percent=coins,
                         deductible_remaining=ded, oop_remaining=None)
    b = session_estimate(charge=charge, copay=None, coinsurance_percent=coins,
                         deductible_remaining=ded + more, oop_remaining=None)
    assert b.amount >= a.amount


@pytest.mark.parametrize("kw, expected, basis", [
    ({"copay": D("25")}, D("25.00"), "copay"),
    ({"copay": D("25"), "oop_remaining": D("10")}, D("10.00"), "capped"),
    ({"coinsurance_percent": D("20")}, D("30.00"), "coinsurance"),
    ({"coinsurance_percent": D("20"), "deductible_remaining": D("100")}, D("110.00"),
     "deductible"),
    ({"deductible_remaining": D("500")}, D("150.00"), "deductible"),
    ({"copay": D("0")}, D("0.00"), "copay"),
    ({}, None, "unknown"),
])
def test_examples(kw, expected, basis):
    args = {"copay": None, "coinsurance_percent": None, "deductible_remaining": None,
            "oop_remaining": None, **kw}
    est = session_estimate(charge=D("150.00"), **args)
    assert (est.amount, est.basis) == (expected, basis)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        session_estimate(charge=150.0, copay=None, coinsurance_percent=None,  # type: ignore
                         deductible_remaining=None, oop_remaining=None)


def test_from_stored_summary_uses_the_reported_network():
    fig = lambda v: {"value": v}  # noqa: E731
    summary = {"network": "out_of_network",
               "mental_health": {"copay": None, "coinsurance": fig("40.00")},
               "deductible": {"individual": {"in_network": {"remaining": fig("0.00")},
                                             "out_of_network": {"remaining": fig("50.00")}}},
               "out_of_pocket": {}}
    est = estimate_from_summary(summary, charge=D("150.00"))
    assert est.amount == D("90.00")  # 50 deductible + 40% of 100
