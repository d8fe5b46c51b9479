"""A practice's own clock: dates of service and "today" are the practice's, not the server's."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime
from functools import lru_cache

from django.conf import settings
from django.utils import timezone


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def practice_zone(practice) -> zoneinfo.ZoneInfo:
    return _zone(getattr(practice, "timezone", None) or settings.TIME_ZONE)


def practice_date(moment: datetime, practice) -> date:
    """The calendar date of `moment` where the practice is."""
    return moment.astimezone(practice_zone(practice)).date()


def practice_today(practice) -> date:
    return timezone.now().astimezone(practice_zone(practice)).date()
