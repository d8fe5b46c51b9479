"""The stand-in's state: one SQLite file (stdlib sqlite3), one connection behind one lock.

Every Stripe object is one row of `objects`: its id, its kind (the `object` field), the
connected account it lives on ('' for the platform) and its JSON. Keys that start with `_`
are the stand-in's own bookkeeping and never leave the process.

The clock is the real time plus an offset that `/_stripe/clock` moves; Stripe timestamps are
integer Unix seconds on that clock.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import string
import threading
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, account TEXT NOT NULL, seq INTEGER NOT NULL,
    data TEXT NOT NULL, wake_at INTEGER, parent TEXT);
CREATE INDEX IF NOT EXISTS objects_kind ON objects (kind, account, seq);
CREATE TABLE IF NOT EXISTS idempotency (
    scope TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL, params TEXT NOT NULL,
    status INTEGER NOT NULL, response TEXT NOT NULL, created INTEGER NOT NULL,
    PRIMARY KEY (scope, key));
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, path TEXT NOT NULL,
    method TEXT NOT NULL, remaining INTEGER NOT NULL, seconds REAL NOT NULL);
CREATE TABLE IF NOT EXISTS hook_faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, mode TEXT NOT NULL, remaining INTEGER NOT NULL,
    seconds REAL NOT NULL, held TEXT NOT NULL DEFAULT '[]');
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, event_type TEXT NOT NULL,
    account TEXT NOT NULL, endpoint TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL,
    payload TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL, hold_until INTEGER, last_status INTEGER, log TEXT NOT NULL
    DEFAULT '[]');
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_at);
"""

# Created after the columns they cover, which an older file gains on open (Store.__init__).
INDEXES = """
CREATE INDEX IF NOT EXISTS objects_wake ON objects (kind, wake_at) WHERE wake_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS objects_parent ON objects (kind, account, parent, seq);
"""

TABLES = ("meta", "objects", "idempotency", "faults", "hook_faults", "deliveries")
ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))


def wake_at(obj: dict) -> int | None:
    """When Stripe's own clock next has something to do with this object (the API's `tick`
    reads only objects whose time has come), or None if nothing will happen to it by itself.
    Indexed, so that a request's tick costs what is due, not what was ever stored."""
    kind = obj.get("object")
    if obj.get("_deleted"):
        return None
    if kind == "balance_transaction":
        if obj["status"] == "pending":
            return obj["available_on"]
        if obj.get("_payout") is None and obj["type"] in ("charge", "refund"):
            return 0  # available, and waiting for the next payout whatever the clock says
        return None
    if kind == "payout":
        return obj["arrival_date"] if obj["status"] == "in_transit" else None
    if kind == "invoice":
        times = []
        if obj["status"] == "draft" and obj.get("auto_advance"):
            times.append(obj.get("automatically_finalizes_at"))
        if obj["status"] == "open":
            times.append(obj.get("next_payment_attempt"))
            if not obj.get("_overdue"):
                times.append(obj.get("due_date"))
        times = [t for t in times if t is not None]
        return min(times) if times else None
    if kind == "checkout.session":
        return obj["expires_at"] if obj["status"] == "open" else None
    return None


def parent_of(obj: dict) -> str | None:
    """The object an object belongs to, indexed for lookups by it: an invoice item's invoice
    ('' while it is pending)."""
    if obj.get("object") == "invoiceitem":
        return obj.get("invoice") or ""
    return None


def public(obj: Any) -> Any:
    """The object as the API shows it: without the stand-in's `_` bookkeeping keys."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    return obj


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")  # a test double: speed over durability
        self.db.executescript(SCHEMA)
        self._upgrade()
        self.db.executescript(INDEXES)

    def _upgrade(self) -> None:
        """A file written before `wake_at` and `parent` existed gains them, filled in."""
        columns = {r["name"] for r in self.db.execute("PRAGMA table_info(objects)")}
        if {"wake_at", "parent"} <= columns:
            return
        with self.lock:
            for column in ("wake_at INTEGER", "parent TEXT"):
                if column.split()[0] not in columns:
                    self.db.execute(f"ALTER TABLE objects ADD COLUMN {column}")
            for row in self.db.execute("SELECT id, data FROM objects").fetchall():
                obj = json.loads(row["data"])
                self.db.execute("UPDATE objects SET wake_at = ?, parent = ? WHERE id = ?",
                                (wake_at(obj), parent_of(obj), row["id"]))

    # -- plumbing ---------------------------------------------------------------------------
    def q(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(sql, args).fetchall()

    def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        with self.lock:
            return self.db.execute(sql, args).fetchone()

    def x(self, sql: str, *args: Any) -> int:
        with self.lock:
            return self.db.execute(sql, args).lastrowid or 0

    def reset(self) -> None:
        with self.lock:
            for table in TABLES:
                self.db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def get_meta(self, key: str, default: str = "") -> str:
        row = self.one("SELECT value FROM meta WHERE key = ?", key)
        return row["value"] if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.x("INSERT INTO meta (key, value) VALUES (?, ?) "
               "ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)

    def next_number(self, name: str) -> int:
        with self.lock:
            value = int(self.get_meta(f"counter:{name}", "0")) + 1
            self.set_meta(f"counter:{name}", str(value))
            return value

    # -- the clock --------------------------------------------------------------------------
    def offset(self) -> float:
        return float(self.get_meta("clock_offset", "0"))

    def now(self) -> int:
        return int(time.time() + self.offset())

    def advance(self, seconds: float) -> int:
        with self.lock:
            self.set_meta("clock_offset", repr(self.offset() + seconds))
            return self.now()

    def set_now(self, timestamp: int) -> int:
        with self.lock:
            self.set_meta("clock_offset", repr(timestamp - time.time()))
            return self.now()

    # -- objects ----------------------------------------------------------------------------
    def put(self, obj: dict, account: str) -> dict:
        with self.lock:
            row = self.one("SELECT seq FROM objects WHERE id = ?", obj["id"])
            seq = row["seq"] if row else self.next_number("seq")
            self.x("INSERT OR REPLACE INTO objects (id, kind, account, seq, data, wake_at, "
                   "parent) VALUES (?, ?, ?, ?, ?, ?, ?)", obj["id"], obj["object"], account,
                   seq, json.dumps(obj), wake_at(obj), parent_of(obj))
        return obj

    def get(self, obj_id: str, account: str | None) -> dict | None:
        """The object, if it lives on `account` (None: on any account)."""
        row = self.one("SELECT account, data FROM objects WHERE id = ?", obj_id)
        if row is None or (account is not None and row["account"] != account):
            return None
        return json.loads(row["data"])

    def account_of(self, obj_id: str) -> str | None:
        row = self.one("SELECT account FROM objects WHERE id = ?", obj_id)
        return row["account"] if row else None

    def delete(self, obj_id: str) -> None:
        self.x("DELETE FROM objects WHERE id = ?", obj_id)

    def all(self, kind: str, account: str | None) -> list[dict]:
        """Objects of one kind, newest first (Stripe's list order)."""
        if account is None:
            rows = self.q("SELECT data FROM objects WHERE kind = ? ORDER BY seq DESC", kind)
        else:
            rows = self.q("SELECT data FROM objects WHERE kind = ? AND account = ? "
                          "ORDER BY seq DESC", kind, account)
        return [json.loads(r["data"]) for r in rows]

    def due(self, kind: str, now: int, account: str | None = None) -> list[tuple[str, dict]]:
        """(account, object) for objects of one kind whose `wake_at` has come, newest first."""
        if account is None:
            rows = self.q("SELECT account, data FROM objects WHERE kind = ? AND wake_at <= ? "
                          "ORDER BY seq DESC", kind, now)
        else:
            rows = self.q("SELECT account, data FROM objects WHERE kind = ? AND wake_at <= ? "
                          "AND account = ? ORDER BY seq DESC", kind, now, account)
        return [(r["account"], json.loads(r["data"])) for r in rows]

    def children(self, kind: str, parent: str, account: str) -> list[dict]:
        """Objects of one kind that belong to `parent` (see `parent_of`), oldest first."""
        rows = self.q("SELECT data FROM objects WHERE kind = ? AND account = ? AND parent = ? "
                      "ORDER BY seq", kind, account, parent)
        return [json.loads(r["data"]) for r in rows]

    def accounts_with(self, kind: str) -> list[str]:
        return [r["account"] for r in self.q("SELECT DISTINCT account FROM objects WHERE "
                                              "kind = ?", kind)]
