"""The statement's figures, all from the journal: the opening balance from before the
period, each entry of the period in its section, and the balance due agreeing with the
client's balance the ledger page shows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from oasys.core.errors import InvalidInput
from oasys.core.formats import date_text
from oasys.core.timezones import practice_today
from oasys.ledger.selectors import client_balance, client_balances
from oasys.statements.selectors import (
    ADJUSTMENTS,
    CHARGES,
    CLIENT_PAYMENTS,
    INSURANCE_PAYMENTS,
    TRANSFERS,
    previous_month,
    statement_build,
    statement_period_parse,
)

from .world import FEB_1, FEB_28, client_month

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_february_statement_is_the_journal_of_february(practice):
    m = client_month(practice)
    s = statement_build(practice=practice, client=m.client, period_start=FEB_1,
                        period_end=FEB_28)
    assert (s.opening, s.opening_client) == (D("100.00"), D("100.00"))  # January's invoice
    got = [(r.date, r.section, r.amount, r.to_client) for r in s.rows]
    assert got == [
        (dt.date(2026, 2, 3), CHARGES, D("130.00"), D("0.00")),
        (dt.date(2026, 2, 10), INSURANCE_PAYMENTS, D("-78.00"), D("0.00")),
        (dt.date(2026, 2, 10), ADJUSTMENTS, D("-32.00"), D("0.00")),
        (dt.date(2026, 2, 10), TRANSFERS, None, D("20.00")),
        (dt.date(2026, 2, 12), CLIENT_PAYMENTS, D("-60.00"), D("-60.00")),
        (dt.date(2026, 2, 20), ADJUSTMENTS, D("-15.00"), D("-15.00")),
    ]
    assert s.totals == {CHARGES: D("130.00"), INSURANCE_PAYMENTS: D("-78.00"),
                        CLIENT_PAYMENTS: D("-60.00"), ADJUSTMENTS: D("-47.00")}
    # 100 owed + 20 share after insurance - 60 paid - 15 written off; March's $10 is later
    assert (s.balance_due, s.insurance_owes, s.closing) == (D("45.00"), D("0.00"),
                                                             D("45.00"))
    descriptions = [r.description for r in s.rows]
    assert descriptions[0] == (f"Charge for the session of {date_text(m.claim.service_date)}, "
                               "billed to your insurance")
    assert descriptions[1].startswith("Insurance payment from ACME HEALTH")
    assert descriptions[4] == f"Payment on invoice {m.invoice.number}. Thank you"
    assert "hardship" not in " ".join(descriptions)  # staff's reasons stay in the ledger


def test_the_balance_due_to_today_is_the_ledger_pages_client_balance(practice):
    m = client_month(practice)
    today = practice_today(practice)
    s = statement_build(practice=practice, client=m.client, period_start=FEB_1,
                        period_end=today)
    assert s.balance_due == client_balance(practice=practice, client_id=m.client.pk) \
        == D("35.00")
    b = client_balances(practice=practice, client_id=m.client.pk)
    assert s.insurance_owes == b["ar_insurance"]
    assert s.closing == s.balance_due + s.insurance_owes


def test_a_period_before_any_activity_is_empty_and_owes_nothing(practice):
    m = client_month(practice)
    s = statement_build(practice=practice, client=m.client, period_start=dt.date(2025, 1, 1),
                        period_end=dt.date(2025, 12, 31))
    assert (s.rows, s.opening, s.balance_due) == ([], D("0.00"), D("0.00"))


def test_another_practices_client_is_refused(practice, other_practice):
    m = client_month(practice)
    with pytest.raises(InvalidInput):
        statement_build(practice=other_practice, client=m.client, period_start=FEB_1,
                        period_end=FEB_28)


@pytest.mark.parametrize(("start", "end", "field"), [
    ("", "2026-02-28", "from"), ("2026-02-01", None, "to"), ("2026-02-31", "2026-03-01", "from"),
    ("yesterday", "2026-03-01", "from"), ("2026-03-01", "2026-02-01", "to"),
    ("2020-01-01", "2026-01-01", "to"),
])
def test_bad_periods_are_refused_naming_the_field(start, end, field):
    with pytest.raises(InvalidInput) as exc:
        statement_period_parse(start=start, end=end)
    assert field in exc.value.errors


def test_a_good_period_parses():
    assert statement_period_parse(start=" 2026-02-01", end="2026-02-28") == (FEB_1, FEB_28)


def test_previous_month():
    assert previous_month(dt.date(2026, 3, 1)) == (FEB_1, FEB_28)
    assert previous_month(dt.date(2026, 1, 31)) == (dt.date(2025, 12, 1),
                                                    dt.date(2025, 12, 31))
