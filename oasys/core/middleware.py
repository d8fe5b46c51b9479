"""Attach the tenant to each request; the only place a request learns its practice."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .timezones import practice_zone


class PracticeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        request.practice = user.practice if user is not None and user.is_authenticated else None
        # Screens show and read times in the practice's zone (the API's token auth activates
        # it too); always reset, so a thread never carries one request's zone to the next.
        if request.practice is not None:
            timezone.activate(practice_zone(request.practice))
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        # Pages hold PHI: never let a shared cache or the back button keep them.
        if request.practice is not None:
            response.headers.setdefault("Cache-Control", "no-store, private")
        return response
