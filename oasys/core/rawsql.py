"""The few writes the ORM cannot say, in one place: an INSERT that may write no row (ON
CONFLICT DO NOTHING, or selecting from a CTE) and answers the new row's id when it does."""

from __future__ import annotations

from typing import Any

from django.db.models import Model


def row_inserted(*, connection: Any, sql: str, params: list[Any], obj: Model) -> bool:
    """Run `sql`, an INSERT … RETURNING the primary key, and mark `obj` saved under the id it
    answered. False when the statement wrote no row (`obj` is left unsaved)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding, obj._state.db = False, connection.alias
    return True
