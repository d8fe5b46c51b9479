"""Persistent counters handed out under a row lock."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F

from .models import Sequence


def sequence_next(*, name: str, start: int = 1) -> int:
    """The next value of `name` (the first is `start`). Must be called inside a transaction
    that commits together with whatever uses the number."""
    with transaction.atomic():
        updated = Sequence.objects.filter(name=name).update(last_value=F("last_value") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    Sequence.objects.create(name=name, last_value=start)
                return start
            except IntegrityError:  # another process created it first
                Sequence.objects.filter(name=name).update(last_value=F("last_value") + 1)
        return Sequence.objects.get(name=name).last_value
