"""Two-factor at the door: a logged-in person whose account has two-factor on, and who has
not given a code in this session, is sent to give one before any page; one whose practice
requires it and who has not set it up is sent to set it up. The API is not affected here:
its tokens are issued only after the same code (core.services.api_token_issue)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from .two_factor import practice_requires_two_factor, two_factor_on

# Reachable before the code: setting it up and giving it (nothing else of two-factor: new
# recovery codes need a code first), logging out, static files, the API (bearer tokens),
# Stripe's webhooks and the public payment pages.
OPEN_PREFIXES = ("/account/two-factor/setup/", "/account/two-factor/verify/", "/logout/",
                 "/static/", "/api/", "/webhooks/", "/pay/")


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is None or not user.is_authenticated or request.path.startswith(OPEN_PREFIXES)
                or user.is_verified()):
            return self.get_response(request)
        if two_factor_on(user=user):
            target = reverse("accounts:two_factor_verify")
        elif user.practice is not None and practice_requires_two_factor(practice=user.practice):
            target = reverse("accounts:two_factor_setup")
        else:
            return self.get_response(request)
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
