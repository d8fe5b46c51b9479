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
    data TEXT NOT NULL);
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

TABLES = ("meta", "objects", "idempotency", "faults", "hook_faults", "deliveries")
ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(ALPHABET) for _ in range(length))


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
            self.x("INSERT OR REPLACE INTO objects (id, kind, account, seq, data) VALUES "
                   "(?, ?, ?, ?, ?)", obj["id"], obj["object"], account, seq, json.dumps(obj))
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

    def accounts_with(self, kind: str) -> list[str]:
        return [r["account"] for r in self.q("SELECT DISTINCT account FROM objects WHERE "
                                              "kind = ?", kind)]
