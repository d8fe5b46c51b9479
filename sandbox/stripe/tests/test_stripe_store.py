"""The stand-in's store: what the clock must look at is indexed (`wake_at`), invoice items are
found by their invoice (`parent`), and a state file written before those columns existed gains
them, filled in, when it is opened."""

from __future__ import annotations

import json
import sqlite3

from sandbox.stripe.store import Store, parent_of, wake_at


def _invoice(inv_id: str, **fields) -> dict:
    return {"id": inv_id, "object": "invoice", "status": "open", "auto_advance": False,
            "next_payment_attempt": None, "due_date": None, **fields}


def test_only_due_objects_are_read(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    store.put(_invoice("in_due", due_date=100), "acct_1")
    store.put(_invoice("in_later", due_date=500), "acct_1")
    store.put(_invoice("in_never"), "acct_2")
    store.put(_invoice("in_overdue_already", due_date=50, _overdue=True), "acct_2")
    assert [o["id"] for _, o in store.due("invoice", 200)] == ["in_due"]
    assert [o["id"] for _, o in store.due("invoice", 600)] == ["in_later", "in_due"]
    assert store.due("invoice", 600, account="acct_2") == []


def test_wake_times_follow_what_stripe_does_next():
    pending = {"object": "balance_transaction", "status": "pending", "available_on": 7,
               "type": "charge", "_payout": None}
    assert wake_at(pending) == 7
    assert wake_at({**pending, "status": "available"}) == 0  # waits for the next payout
    assert wake_at({**pending, "status": "available", "_payout": "po_1"}) is None
    assert wake_at({"object": "payout", "status": "in_transit", "arrival_date": 9}) == 9
    assert wake_at({"object": "payout", "status": "paid", "arrival_date": 9}) is None
    assert wake_at(_invoice("in_1", next_payment_attempt=30, due_date=20)) == 20
    assert wake_at({**_invoice("in_1", status="draft"), "auto_advance": True,
                    "automatically_finalizes_at": 5}) == 5
    assert wake_at({**_invoice("in_1", due_date=20), "_deleted": True}) is None
    assert wake_at({"object": "checkout.session", "status": "open", "expires_at": 3}) == 3
    assert parent_of({"object": "invoiceitem", "invoice": None}) == ""
    assert parent_of({"object": "invoiceitem", "invoice": "in_1"}) == "in_1"
    assert parent_of({"object": "customer"}) is None


def test_items_by_their_invoice_oldest_first(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    for n, inv in enumerate(["in_a", "in_b", "in_a", None]):
        store.put({"id": f"ii_{n}", "object": "invoiceitem", "invoice": inv}, "acct_1")
    assert [o["id"] for o in store.children("invoiceitem", "in_a", "acct_1")] == \
        ["ii_0", "ii_2"]
    assert [o["id"] for o in store.children("invoiceitem", "", "acct_1")] == ["ii_3"]
    assert store.children("invoiceitem", "in_a", "acct_2") == []


def test_an_older_state_file_gains_the_columns_filled_in(tmp_path):
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE objects (id TEXT PRIMARY KEY, kind TEXT NOT NULL, account TEXT NOT NULL,
                              seq INTEGER NOT NULL, data TEXT NOT NULL);
    """)
    old.execute("INSERT INTO objects VALUES (?, ?, ?, ?, ?)",
                ("in_old", "invoice", "acct_1", 1, json.dumps(_invoice("in_old", due_date=10))))
    old.execute("INSERT INTO objects VALUES (?, ?, ?, ?, ?)",
                ("ii_old", "invoiceitem", "acct_1", 2,
                 json.dumps({"id": "ii_old", "object": "invoiceitem", "invoice": "in_old"})))
    old.commit()
    old.close()
    store = Store(path)
    assert [o["id"] for _, o in store.due("invoice", 11)] == ["in_old"]
    assert [o["id"] for o in store.children("invoiceitem", "in_old", "acct_1")] == ["ii_old"]
    Store(path)  # opening it again changes nothing
