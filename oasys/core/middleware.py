"""Attach the tenant to each request (the only place a request learns its practice), and
catch a domain error a screen did not handle, so it never reaches a person as a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from .errors import DomainError
from .feedback import error_text
from .models import PRACTICE_SUSPENDED_MESSAGE
from .timezones import practice_zone


class PracticeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        request.practice = user.practice if user is not None and user.is_authenticated else None
        if request.practice is not None and request.practice.is_suspended:
            return _suspended(request)
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


def _suspended(request: HttpRequest) -> HttpResponse:
    """A session of a practice the operator suspended ends here, with the reason."""
    auth.logout(request)
    request.practice = None
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": {"__all__": PRACTICE_SUSPENDED_MESSAGE}}, status=403)
    return render(request, "core/suspended.html", {"message": PRACTICE_SUSPENDED_MESSAGE},
                  status=403)


class DomainErrorMiddleware:
    """The safety net under `refusals_as_messages`: a DomainError that escapes a view becomes
    a message on the page the person came from (or the home page), never a 500. The API
    answers its own errors (oasys/api.py) before this sees them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not isinstance(exc, DomainError):
            return None
        messages.error(request, error_text(exc))
        back = request.headers.get("referer", "")
        safe = bool(back) and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        # A GET that fails would fail again if sent back to itself.
        loops = request.method == "GET" and back == request.build_absolute_uri()
        if not safe or loops:
            back = resolve_url("core:home")
        return HttpResponseRedirect(back)
