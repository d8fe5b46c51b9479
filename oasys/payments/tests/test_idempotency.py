"""`stripe_once`: an object is created on Stripe once, however often the call is retried,
by one worker or two at the same moment, and after Stripe has forgotten the key (24 hours).

The race tests use real threads, real connections and real commits (transactional tests);
on SQLite the in-memory test database is copied to a file for them, as in
oasys/claims/tests/test_concurrency.py, because shared-cache table locks fail at once
instead of waiting like the product's file database.
"""

from __future__ import annotations

import datetime as dt
import traceback

import pytest
from django.utils import timezone

from oasys.core.tests.threads import run_together
from oasys.payments.connection import payments_port
from oasys.payments.idempotency import KEY_WINDOW, idempotency_key, stripe_once
from oasys.payments.models import StripeRequest


class Calls:
    """Stand-ins for `create`, `get` and `find` that count what the ledger asked for."""

    def __init__(self, *, found: str | None = None) -> None:
        self.created: list[str] = []
        self.got: list[str] = []
        self.finds = 0
        self.found = found

    def create(self, key: str) -> str:
        self.created.append(key)
        return f"cus_made{len(self.created)}"

    def get(self, object_id: str) -> str:
        self.got.append(object_id)
        return object_id

    def find(self) -> str | None:
        self.finds += 1
        return self.found


def once(calls: Calls, key: str = "oasys-client-7-customer", practice=None,
         operation: str = "customer_create") -> str:
    return stripe_once(key=key, operation=operation, practice=practice, create=calls.create,
                       get=calls.get, find=calls.find, object_id=lambda obj: obj)


def test_keys_are_stable_for_the_same_rows_and_distinct_for_others():
    assert idempotency_key("client", 7, "customer") == "oasys-client-7-customer"
    assert idempotency_key("client", 7, "customer") != idempotency_key("client", 8, "customer")


@pytest.mark.django_db
def test_a_completed_row_reuses_the_object_without_calling_stripe(practice):
    calls = Calls()
    first = once(calls, practice=practice)
    assert (first, calls.created) == ("cus_made1", ["oasys-client-7-customer"])
    row = StripeRequest.objects.get(key="oasys-client-7-customer")
    assert (row.object_id, row.operation, row.practice) == ("cus_made1", "customer_create",
                                                            practice)
    assert row.completed_at is not None

    again = once(calls, practice=practice)
    assert again == "cus_made1"
    assert calls.created == ["oasys-client-7-customer"] and calls.got == ["cus_made1"]
    assert calls.finds == 0


@pytest.mark.django_db
def test_an_unfinished_row_inside_the_window_sends_the_same_key_again():
    calls = Calls(found="cus_found")
    StripeRequest.objects.create(key="oasys-k", operation="customer_create",
                                 created_at=timezone.now() - dt.timedelta(hours=22))
    assert once(calls, key="oasys-k") == "cus_made1"
    assert calls.created == ["oasys-k"] and calls.finds == 0  # Stripe replays within 24 h


@pytest.mark.django_db
def test_an_unfinished_row_older_than_the_window_looks_before_creating():
    assert KEY_WINDOW == dt.timedelta(hours=23)
    old = timezone.now() - dt.timedelta(hours=23, minutes=1)
    StripeRequest.objects.create(key="oasys-found", operation="customer_create",
                                 created_at=old)
    found = Calls(found="cus_found")
    assert once(found, key="oasys-found") == "cus_found"
    assert found.finds == 1 and found.created == []
    assert StripeRequest.objects.get(key="oasys-found").object_id == "cus_found"

    StripeRequest.objects.create(key="oasys-gone", operation="customer_create",
                                 created_at=old)
    gone = Calls(found=None)
    assert once(gone, key="oasys-gone") == "cus_made1"
    assert gone.finds == 1 and gone.created == ["oasys-gone"]
    assert StripeRequest.objects.get(key="oasys-gone").object_id == "cus_made1"


@pytest.mark.django_db
def test_a_key_reused_for_another_operation_is_a_bug():
    once(Calls(), key="oasys-x")
    with pytest.raises(ValueError, match="reused"):
        once(Calls(), key="oasys-x", operation="invoice_create")


@pytest.mark.django_db
def test_a_failed_call_leaves_the_row_open_for_a_retry_with_the_same_key(payments):
    acct = payments.account_create(email="o@example.com", business_name="P", metadata={},
                                   idempotency_key="oasys-acct")
    payments.account_state_set(acct.id, "active")
    boom = RuntimeError("network")

    def create(key: str):
        if not made:
            made.append(key)
            raise boom
        return payments.customer_create(account_id=acct.id, email="c@example.com",
                                        name="Pat", metadata={}, idempotency_key=key)

    made: list[str] = []
    kw = dict(key="oasys-client-1-customer", operation="customer_create", practice=None,
              create=create, get=lambda i: payments.customer_get(account_id=acct.id,
                                                                 customer_id=i))
    with pytest.raises(RuntimeError):
        stripe_once(**kw)
    assert StripeRequest.objects.get(key="oasys-client-1-customer").object_id == ""
    cus = stripe_once(**kw)
    assert StripeRequest.objects.get(key="oasys-client-1-customer").object_id == cus.id


# --- two workers at once ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_key_make_one_customer_on_stripe(
        threads_share_the_database, stripe_standin):
    """Both workers reach the ledger together: the unique key gives one of them the row,
    the other finds it unfinished and sends the same key, which Stripe (the stand-in, through
    the real adapter) answers with the first customer."""
    port = payments_port()
    acct = port.account_create(email="o@example.com", business_name="P", metadata={},
                               idempotency_key="oasys-test-acct")
    stripe_standin.control(f"accounts/{acct.id}", {"state": "active"})
    key = idempotency_key("client", 7, "customer")

    def work():
        worker_port = payments_port()
        return stripe_once(
            key=key, operation="customer_create", practice=None,
            create=lambda k: worker_port.customer_create(
                account_id=acct.id, email="c@example.com", name="Pat Doe",
                metadata={"oasys_client": "7"}, idempotency_key=k),
            get=lambda i: worker_port.customer_get(account_id=acct.id, customer_id=i))

    results, errors = run_together(work)
    assert errors == [], "\n".join("".join(traceback.format_exception(e)) for e in errors)
    assert len({c.id for c in results}) == 1 and len(results) == 2
    assert StripeRequest.objects.filter(key=key).count() == 1
    assert StripeRequest.objects.get(key=key).object_id == results[0].id
    listed = stripe_standin.client().v1.customers.list(None, {"stripe_account": acct.id})
    assert [c.id for c in listed.data] == [results[0].id]
