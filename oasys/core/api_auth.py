"""Bearer-token authentication for the REST API; sets request.practice like the middleware."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from .services import api_token_user
from .timezones import practice_zone


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = api_token_user(key=token)
        if user is None:
            return None
        request.user = user
        request.practice = user.practice
        timezone.activate(practice_zone(user.practice))  # reset by PracticeMiddleware
        return user
