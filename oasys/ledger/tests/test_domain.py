"""Pure ledger rules: legs, balancing, reversal, aging buckets, the chart geometry."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasys.ledger.chart import aging_chart
from oasys.ledger.domain import (
    BUCKETS,
    Leg,
    Unbalanced,
    aging_bucket,
    aging_totals,
    check_balanced,
    reverse_legs,
    transfer,
)

D = Decimal
cents = st.integers(min_value=-10**8, max_value=10**8).map(lambda n: D(n) / 100)


def test_transfer_and_negative_amounts_swap_accounts():
    assert transfer("cash", "ar_insurance", D("78.00")) == [
        Leg("cash", debit=D("78.00")), Leg("ar_insurance", credit=D("78.00"))]
    assert transfer("cash", "ar_insurance", D("-78.00")) == [
        Leg("ar_insurance", debit=D("78.00")), Leg("cash", credit=D("78.00"))]
    assert transfer("cash", "ar_insurance", D("0")) == []


def test_unbalanced_or_malformed_legs_are_refused():
    with pytest.raises(Unbalanced):
        check_balanced([Leg("cash", debit=D("1.00")), Leg("revenue", credit=D("0.99"))])
    with pytest.raises(Unbalanced):
        check_balanced([])
    with pytest.raises(Unbalanced):
        check_balanced([Leg("cash", debit=D("1.00"), credit=D("1.00"))])
    with pytest.raises(Unbalanced):
        check_balanced([Leg("cash", debit=D("0.001")), Leg("revenue", credit=D("0.001"))])
    with pytest.raises(TypeError):
        transfer("cash", "revenue", 1.5)  # floats never carry money


@given(cents, st.sampled_from(["cash", "ar_client"]), st.sampled_from(["revenue", "refunds"]))
def test_every_transfer_balances_and_its_reversal_cancels_it(amount, a, b):
    legs = transfer(a, b, amount)
    if amount == 0:
        assert legs == []
        return
    check_balanced(legs)
    net: dict[str, Decimal] = {}
    for leg in legs + reverse_legs(legs):
        net[leg.account] = net.get(leg.account, D(0)) + leg.debit - leg.credit
    assert set(net.values()) == {D(0)}


@pytest.mark.parametrize("days,bucket", [(-3, "0-30"), (0, "0-30"), (30, "0-30"),
                                         (31, "31-60"), (60, "31-60"), (61, "61-90"),
                                         (90, "61-90"), (91, "91-120"), (120, "91-120"),
                                         (121, "120+"), (400, "120+")])
def test_aging_bucket_edges(days, bucket):
    assert aging_bucket(days) == bucket


def test_aging_totals_by_hand():
    today = dt.date(2026, 6, 30)
    items = [(dt.date(2026, 6, 30), D("10.00")), (dt.date(2026, 5, 31), D("20.00")),  # 0, 30
             (dt.date(2026, 5, 30), D("30.00")),  # 31
             (dt.date(2026, 4, 1), D("40.00")),  # 90
             (dt.date(2026, 3, 31), D("50.00")), (dt.date(2025, 1, 1), D("60.00"))]  # 91, 545
    assert aging_totals(items, today) == {"0-30": D("30.00"), "31-60": D("30.00"),
                                          "61-90": D("40.00"), "91-120": D("50.00"),
                                          "120+": D("60.00")}


def test_chart_bars_scale_to_the_largest_value():
    chart = aging_chart(BUCKETS, {"Insurance": {"0-30": D("100"), "120+": D("50")},
                                  "Client": {"31-60": D("25")}})
    assert len(chart.bars) == 10
    by = {(b.series, b.label.split()[1]): b for b in chart.bars}
    tallest = by[("Insurance", "0-30")]
    assert tallest.height == chart.baseline - 10  # full plot height
    assert by[("Insurance", "120+")].height == tallest.height // 2
    assert by[("Client", "0-30")].height == 0
    empty = aging_chart(BUCKETS, {"Insurance": {}, "Client": {}})
    assert all(b.height == 0 for b in empty.bars)
