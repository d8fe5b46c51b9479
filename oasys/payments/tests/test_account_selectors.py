"""Requirements and disabled reasons in plain English, the account lookups, and payouts
matched to invoices; another practice's payouts are invisible."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oasys.core.errors import NotFound
from oasys.payments.models import PaymentAccount
from oasys.payments.port import Charge
from oasys.payments.selectors import (
    account_requirements_words,
    disabled_reason_words,
    payment_account_for_stripe_id,
    payment_account_get,
    payout_detail,
    payout_list,
    payout_list_all,
    requirement_words,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field,words", [
    ("company.tax_id", "Your business's tax ID (EIN)"),
    ("external_account", "A bank account for payouts"),
    ("company.address.city", "Your business's address"),
    ("individual.dob.day", "Your date of birth"),
    ("person_1AbC.first_name", "Details of a person on your account"),
    ("tos_acceptance.date", "Acceptance of Stripe's services agreement"),
    ("brand_new.some_field", "Brand new: some field"),
])
def test_requirement_words(field, words):
    assert requirement_words(field) == words


@pytest.mark.parametrize("code,words", [
    ("requirements.past_due", "Stripe needs more information before you can accept payments"),
    ("requirements.pending_verification",
     "Stripe is verifying your details (usually minutes, sometimes a few days)"),
    ("rejected.fraud", "Stripe has closed the account (suspected fraud)"),
    ("", ""),
    ("something_new", "Something new"),
])
def test_disabled_reason_words(code, words):
    assert disabled_reason_words(code) == words


def test_requirements_words_one_line_per_thing(practice):
    account = PaymentAccount(practice=practice, requirements=[
        {"field": "company.address.line1", "reason": ""},
        {"field": "company.address.city", "reason": ""},
        {"field": "company.tax_id", "reason": "Not valid."}])
    words = account_requirements_words(account)
    assert [(w.field, w.description, w.reason) for w in words] == [
        ("company.address.line1", "Your business's address", ""),
        ("company.tax_id", "Your business's tax ID (EIN)", "Not valid.")]


def test_lookups(active_account, practice, other_practice):
    assert payment_account_get(practice=practice) == active_account
    assert payment_account_get(practice=other_practice) is None
    found = payment_account_for_stripe_id(stripe_account_id=active_account.stripe_account_id)
    assert found == active_account and found.practice == practice
    assert payment_account_for_stripe_id(stripe_account_id="") is None
    assert payment_account_for_stripe_id(stripe_account_id="acct_nobody") is None


def _charge(i: int, amount: str, **meta) -> Charge:
    return Charge(id=f"ch_{i}", amount=Decimal(amount), currency="usd", status="succeeded",
                  fee=(Decimal(amount) * Decimal("0.029") + Decimal("0.30")).quantize(
                      Decimal("0.01")), payment_intent_id=f"pi_{i}",
                  invoice_id=f"in_{i}", metadata=meta)


def test_payout_detail_matches_charges_to_invoices(active_account, practice, payments):
    payout = payments.payout_add(active_account.stripe_account_id, [
        _charge(1, "150.00", oasys_invoice_id="42", oasys_invoice_number="INV-0042"),
        _charge(2, "80.00")])
    detail = payout_detail(practice=practice, payout_id=payout.id)
    assert detail.payout == payout
    (last,) = [ln for ln in detail.lines if ln.transaction.type == "payout"]
    first, second = sorted(detail.payments, key=lambda ln: ln.transaction.source_id)
    assert first.invoice_id == 42 and first.invoice_number == "INV-0042"
    assert first.invoice_url == "/billing/invoices/42/" and first.kind == "Client payment"
    assert not second.matched and second.invoice_url == ""
    assert last.kind == "Payout to your bank"
    assert detail.gross == Decimal("230.00")
    assert detail.net == payout.amount == detail.gross - detail.fees


def test_payouts_of_another_practice_are_invisible(active_account, practice, other_practice,
                                                   payments):
    payout = payments.payout_add(active_account.stripe_account_id, [_charge(1, "10.00")])
    assert payout_list(practice=other_practice).items == []
    with pytest.raises(NotFound):
        payout_detail(practice=other_practice, payout_id=payout.id)
    with pytest.raises(NotFound):
        payout_detail(practice=practice, payout_id="po_nosuch")
    with pytest.raises(NotFound):
        payout_detail(practice=practice, payout_id="42")


def test_payout_list_pages(active_account, practice, payments):
    made = [payments.payout_add(active_account.stripe_account_id, [_charge(i, "10.00")])
            for i in range(3)]
    first = payout_list(practice=practice, limit=2)
    assert [p.id for p in first.items] == [made[2].id, made[1].id] and first.has_more
    rest = payout_list(practice=practice, limit=2, starting_after=first.items[-1].id)
    assert [p.id for p in rest.items] == [made[0].id] and not rest.has_more
    assert [p.id for p in payout_list_all(practice=practice)] == [m.id for m in made[::-1]]
