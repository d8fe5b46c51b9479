"""Sessions are entered and shown in the practice's own time zone, whatever the server's."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from oasys.core.models import Practice


def practice_zone(practice: Practice | None) -> zoneinfo.ZoneInfo | None:
    if practice is None:
        return None
    try:
        return zoneinfo.ZoneInfo(practice.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def in_practice_timezone(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run a view (form parsing and template rendering) in the practice's time zone."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        zone = practice_zone(getattr(request, "practice", None))
        if zone is None:
            return view(request, *args, **kwargs)
        with timezone.override(zone):
            return view(request, *args, **kwargs)

    return wrapped
