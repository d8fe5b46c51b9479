"""The operator's guard: staff without a practice, with two-factor sign-in on and verified
in this session. Anyone else is refused (403), as every route refuses a role the permission
table does not allow (core/permissions.py: the console is STAFF, which no practice role holds)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from oasys.accounts.two_factor import two_factor_on
from oasys.core.permissions import STAFF, declare


def operator_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_staff or user.practice_id is not None:
            raise PermissionDenied("The operator console is for the server's operators")
        if not user.is_verified():
            # Operators always have two-factor: set it up first, or give this session's code.
            name = "two_factor_verify" if two_factor_on(user=user) else "two_factor_setup"
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse(f'accounts:{name}')}?{query}")
        return view(request, *args, **kwargs)

    return declare(STAFF)(wrapped)
