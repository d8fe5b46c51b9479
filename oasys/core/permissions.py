"""View guards: a logged-in user of a practice, optionally with one of some roles."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .models import Role

BILLING_ROLES = (Role.OWNER, Role.BILLER)
CLINICAL_ROLES = (Role.OWNER, Role.CLINICIAN, Role.SUPERVISOR)
ALL_ROLES = tuple(Role)
OWNER_ONLY = (Role.OWNER,)

# What each role may do, in words, from the same tuples the views and API check: the Team
# page shows it (accounts/templates/accounts/team.html).
ROLE_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("See clients and their sessions", ALL_ROLES),
    ("Bill: Bill Sessions, claims, invoices, ERAs, payments, eligibility, auto-billing",
     BILLING_ROLES),
    ("Payment processing, subscription and fees, the team", OWNER_ONLY),
)


def practice_required(
    roles: Iterable[str] = ALL_ROLES,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    allowed = {str(r) for r in roles}

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.practice is None:
                raise PermissionDenied("This account does not belong to a practice")
            if request.user.role not in allowed:
                raise PermissionDenied("Your role does not allow this")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def require_roles(request: HttpRequest, roles: Iterable[str]) -> None:
    """For API routes (and services called from them): refuse a user whose role is not one
    of `roles`. The API answers PermissionDenied with 403."""
    allowed = {str(r) for r in roles}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.role not in allowed:
        raise PermissionDenied("Your role does not allow this")
