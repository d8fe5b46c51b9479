"""Editing the audit table behind the app's back, as a database superuser could: the
append-only triggers are switched off (PostgreSQL) or dropped (SQLite) for the statement,
then put back."""

from __future__ import annotations

import importlib

from django.db import connection

_M0009 = importlib.import_module("oasys.core.migrations.0009_audit_keyed_chain")


def tamper(sql: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("ALTER TABLE core_auditevent DISABLE TRIGGER oasys_audit_append_only")
        else:
            for drop in _M0009.SQLITE_DROP:
                cur.execute(drop)
        try:
            cur.execute(sql, params)
        finally:
            if connection.vendor == "postgresql":
                cur.execute("ALTER TABLE core_auditevent ENABLE TRIGGER "
                            "oasys_audit_append_only")
            else:
                for create in _M0009.SQLITE_CREATE:
                    cur.execute(create)


def append_only_triggers() -> set[str]:
    """The names of the triggers guarding the audit table on this backend."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = "
                        "'core_auditevent'::regclass AND NOT tgisinternal AND tgenabled <> 'D'")
        else:
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                        "tbl_name = 'core_auditevent'")
        return {row[0] for row in cur.fetchall()}
