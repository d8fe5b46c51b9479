"""Attach the tenant to each request (the only place a request learns its practice), and
catch a domain error a screen did not handle, so it never reaches a person as a 500."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import auth, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from .audit import AuditContext, audit_record
from .errors import DomainError
from .feedback import error_text
from .models import PRACTICE_SUSPENDED_MESSAGE, AuditAction, AuditOutcome
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


class DeniedAuditMiddleware:
    """Every 404 a logged-in user of a practice gets is audited as a denied read: most are
    an id of another practice's object (every lookup is scoped, so those answer 404), and
    "who tried to reach what" needs an answer. One place for screens and the API (whose
    token auth sets the user during the view, so this looks after the response).

    The row is in the asker's practice's chain and says only the route and the ids asked
    for: nothing of the other practice (not even whether the object exists), no query
    string (search terms can be names), and no string parameters (tokens are secrets)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404:
            user = getattr(request, "user", None)
            practice = getattr(request, "practice", None)
            if user is not None and user.is_authenticated and practice is not None:
                _audit_not_found(request)
        return response


def _is_id(name: str, value: object) -> bool:
    # Screens' ids are ints; the API's path parameters arrive as text.
    if isinstance(value, int):
        return True
    named = name == "pk" or name.endswith(("_pk", "_id"))
    return named and isinstance(value, str) and value.isdigit()


def _id(value: int | str) -> int | str:
    # An id beyond what a database stores (bad input) is kept short, as text.
    number = int(value)
    return number if number < 2**63 else str(number)[:24] + "..."


def _audit_not_found(request: HttpRequest) -> None:
    match = getattr(request, "resolver_match", None)
    kwargs = match.kwargs if match is not None else {}
    ids = {k: _id(v) for k, v in kwargs.items() if _is_id(k, v)}
    first = str(next(iter(ids.values()), ""))
    audit_record(
        ctx=AuditContext.from_request(request),
        action=AuditAction.READ,
        category="not_found",
        outcome=AuditOutcome.DENIED,
        object_type="",
        object_id=first,
        detail={"method": request.method, "route": match.route if match is not None else "",
                "ids": ids},
    )


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
