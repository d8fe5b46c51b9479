"""The simulator's state: one SQLite file (stdlib sqlite3), one connection behind one lock.

The clock is the real UTC time plus an offset that `/_sandbox/clock` moves; every stored
timestamp is an ISO string in UTC with a fixed width, so comparing strings compares times.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS transactions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, direction TEXT NOT NULL,
    set_id TEXT NOT NULL, processed_at TEXT NOT NULL, x12 TEXT NOT NULL, meta TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS transactions_time ON transactions (processed_at, seq);
CREATE TABLE IF NOT EXISTS idempotency (
    key TEXT PRIMARY KEY, request TEXT NOT NULL, body_hash TEXT NOT NULL,
    status INTEGER NOT NULL, response TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS claims (
    id INTEGER PRIMARY KEY AUTOINCREMENT, submission_id TEXT NOT NULL, pcn TEXT NOT NULL,
    member_id TEXT NOT NULL, payer_id TEXT NOT NULL, payee_npi TEXT NOT NULL,
    dup_key TEXT NOT NULL, data TEXT NOT NULL, trigger TEXT NOT NULL, state TEXT NOT NULL,
    received_at TEXT NOT NULL, ack_due TEXT NOT NULL, remit_due TEXT, reversal_due TEXT,
    payer_claim_number TEXT NOT NULL, ack TEXT, result TEXT, remit TEXT);
CREATE TABLE IF NOT EXISTS members (member_id TEXT PRIMARY KEY, plan TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accumulators (
    key TEXT PRIMARY KEY, deductible TEXT NOT NULL, oop TEXT NOT NULL, visits INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS registered_providers (npi TEXT PRIMARY KEY, tax_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS providers (id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS enrollments (
    id TEXT PRIMARY KEY, data TEXT NOT NULL, created_at TEXT NOT NULL, submitted_at TEXT,
    outcome TEXT NOT NULL, business_days INTEGER NOT NULL, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, path TEXT NOT NULL,
    remaining INTEGER NOT NULL, seconds REAL NOT NULL);
"""

TABLES = ("meta", "transactions", "idempotency", "claims", "members", "accumulators",
          "registered_providers", "providers", "enrollments", "faults")


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


class Store:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    # -- plumbing ---------------------------------------------------------------------------
    def q(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        return self.db.execute(sql, args).fetchall()

    def one(self, sql: str, *args: Any) -> sqlite3.Row | None:
        return self.db.execute(sql, args).fetchone()

    def x(self, sql: str, *args: Any) -> int:
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
    def now(self) -> dt.datetime:
        offset = float(self.get_meta("clock_offset", "0"))
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=offset)

    def advance(self, *, days: float = 0, seconds: float = 0) -> dt.datetime:
        with self.lock:
            offset = float(self.get_meta("clock_offset", "0")) + days * 86400 + seconds
            self.set_meta("clock_offset", repr(offset))
            return self.now()

    def set_now(self, moment: dt.datetime) -> dt.datetime:
        with self.lock:
            offset = (moment - dt.datetime.now(dt.UTC)).total_seconds()
            self.set_meta("clock_offset", repr(offset))
            return self.now()

    # -- transactions (what polling lists) -------------------------------------------------
    def add_transaction(self, *, txn_id: str, direction: str, set_id: str,
                        processed_at: dt.datetime, x12: str, meta: dict) -> None:
        self.x("INSERT INTO transactions (id, direction, set_id, processed_at, x12, meta) "
               "VALUES (?, ?, ?, ?, ?, ?)", txn_id, direction, set_id, iso(processed_at), x12,
               json.dumps(meta))
