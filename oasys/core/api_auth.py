"""Bearer-token authentication for the REST API; sets request.practice like the middleware."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja.security import HttpBearer

from .errors import NotAllowed
from .models import PRACTICE_SUSPENDED_MESSAGE
from .permissions import has_permission
from .services import api_token_user
from .timezones import practice_zone


class TokenAuth(HttpBearer):
    """The bearer token, then the operation's permission (core/permissions.py): checked here
    so a refused role gets 403 before the request is read. An operation that declares no
    permission (`permission=None`, the API's default) refuses everyone: fail closed."""

    def __init__(self, permission: str | None = None) -> None:
        super().__init__()
        self.permission = permission

    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_user(key=token)
        if user is None:
            return None
        if user.practice.is_suspended:
            raise NotAllowed(PRACTICE_SUSPENDED_MESSAGE)  # 403 with the reason, not a 401
        request.user = user
        request.practice = user.practice
        timezone.activate(practice_zone(user.practice))  # reset by PracticeMiddleware
        if self.permission is None:
            raise PermissionDenied("This route declares no permission")
        if not has_permission(user, self.permission):
            raise PermissionDenied("Your role does not allow this")
        return user


def docs_guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The API's docs and OpenAPI document: public while developing, and in production only
    for a logged-in user or a valid bearer token (API_DOCS_PUBLIC)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if settings.API_DOCS_PUBLIC or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and api_token_user(key=header[7:].strip()):
            return view(request, *args, **kwargs)
        if "text/html" in request.headers.get("Accept", ""):
            return redirect_to_login(request.get_full_path())
        return JsonResponse({"detail": "Log in or send a bearer token to read the API docs."},
                            status=401)

    return wrapped
