"""Persistent counters handed out under a row lock."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import Sequence


def _bumped(name: str) -> int | None:
    """Add one to `name` and answer the new value (None when it does not exist yet). The
    UPDATE takes the row's lock until the caller's transaction ends, so two callers never
    get the same value. One statement on PostgreSQL (UPDATE … RETURNING), two elsewhere."""
    connection = transaction.get_connection()
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Sequence._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET last_value = last_value + 1 "  # noqa: S608
                           "WHERE name = %s RETURNING last_value", [name])
            row = cursor.fetchone()
        return row[0] if row else None
    if not Sequence.objects.filter(name=name).update(last_value=F("last_value") + 1):
        return None
    return Sequence.objects.get(name=name).last_value


def sequence_next(*, name: str, start: int = 1) -> int:
    """The next value of `name` (the first is `start`). Must be called inside a transaction
    that commits together with whatever uses the number: inside one it takes no savepoint
    of its own (a failure dooms the caller's transaction, so a number is never used without
    its bump)."""
    with transaction.atomic(savepoint=False):
        value = _bumped(name)
        if value is not None:
            return value
        try:
            with transaction.atomic():  # the first use: another process may create it too
                Sequence.objects.create(name=name, last_value=start)
            return start
        except IntegrityError:  # another process created it first
            return _bumped(name)
