"""What each role may see and do: one table, which every screen and every API route checks.

`PERMISSIONS` names each permission and the roles that hold it. Screens declare theirs with
`practice_required("clients.view")` (optionally another for POST), API routes with
`@api_permission("clients.view")` under the router's decorator, and a page or answer shared by
roles asks `has_permission(user, "billing.amounts")` (templates: `{% if "billing.amounts" in
can %}`, from the `can` context processor). The route-by-route test
(core/tests/test_roles_routes.py) walks every URL and API operation as each role and fails on
a route that declares nothing, so a new route cannot be added without deciding.

The decision, for a group practice (the product guide is written for a solo therapist, who is
the owner and holds everything):

- **Owner**: everything, and alone the team, payment processing (Stripe) and fees.
- **Biller**: all billing work and the billing setup, not the team, Stripe or fees.
- **Clinician** and **supervisor**: their clients and sessions (demographics, diagnoses,
  notes), the Bill Sessions queue so they can fix what blocks billing (an unsigned note, a
  missing diagnosis, an approval), and the practice setup read-only. They do **not** see
  money or payer data: no claims (amounts, payer claim numbers, statuses), no ERAs or
  remittances, no invoices, no ledger, balances or payouts, no insurance policies, pricing
  rules, eligibility checks, cards on file or EDI files, and no provider tax ID. Where a
  shared page holds amounts (the queue's charges) the screen hides them and the API answers
  them as null. Signing notes and approving sessions are clinical (the service further
  limits them to the session's clinician or supervisor and the owner); billers cannot.

Three markers are not permissions but declarations: `PUBLIC` (no login: sign-in, password
reset, invitation and pay links, webhooks), `SIGNED_IN` (any logged-in user, with or without
a practice: their own password, two-factor and API tokens) and `STAFF` (the operator's
console: server staff, no practice role at all, so every practice role gets 403).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .models import Role

ALL_ROLES: tuple[str, ...] = tuple(Role)
BILLING_ROLES: tuple[str, ...] = (Role.OWNER, Role.BILLER)
CLINICAL_ROLES: tuple[str, ...] = (Role.OWNER, Role.CLINICIAN, Role.SUPERVISOR)
OWNER_ONLY: tuple[str, ...] = (Role.OWNER,)

PUBLIC = "public"
SIGNED_IN = "signed_in"
STAFF = "staff"
MARKERS = (PUBLIC, SIGNED_IN, STAFF)


@dataclass(frozen=True)
class Permission:
    name: str
    roles: tuple[str, ...]
    what: str  # in words, for the Team page


_TABLE: tuple[Permission, ...] = (
    Permission("clients.view", ALL_ROLES,
               "See clients: demographics, diagnoses and their sessions"),
    Permission("clients.edit", ALL_ROLES, "Add and edit clients and their diagnoses"),
    Permission("sessions.view", ALL_ROLES, "See sessions"),
    Permission("sessions.edit", ALL_ROLES,
               "Schedule, edit, complete, cancel and reopen sessions"),
    Permission("sessions.clinical", CLINICAL_ROLES,
               "Sign notes and approve sessions (one's own, or as the session's supervisor)"),
    Permission("billing.queue", ALL_ROLES,
               "See Bill Sessions: what is ready and what blocks the rest (without amounts)"),
    Permission("practice.view", ALL_ROLES,
               "See the practice setup: payers, service types and rates, clinicians, "
               "payment processing and auto-billing status"),
    Permission("billing.amounts", BILLING_ROLES,
               "See money: charges, claim amounts, payer claim numbers, balances, payments"),
    Permission("billing.work", BILLING_ROLES,
               "Bill: submit sessions, claims, invoices, ERAs and remittances, EDI files, "
               "outbox, auto-billing runs, ledger and reports, payouts"),
    Permission("clients.billing", BILLING_ROLES,
               "A client's insurance, pricing rules, eligibility checks and card on file"),
    Permission("practice.settings", BILLING_ROLES,
               "Change the billing setup: provider information, payers and enrollments, "
               "service types, clinicians, invoice settings, auto-billing"),
    Permission("payments.setup", OWNER_ONLY,
               "Connect, update or disconnect the Stripe account"),
    Permission("practice.fees", OWNER_ONLY, "Subscription and usage fees"),
    Permission("practice.checklist", OWNER_ONLY, "Put away the new practice's setup checklist"),
    Permission("team.manage", OWNER_ONLY,
               "The team: invitations, roles, deactivation, requiring two-factor"),
    Permission("audit.view", OWNER_ONLY,
               "The practice's audit log: who saw or changed what, filtered, as CSV"),
)

PERMISSIONS: dict[str, Permission] = {p.name: p for p in _TABLE}

# The Team page's table: (what, role labels), in the table's order.
ROLE_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = tuple((p.what, p.roles) for p in _TABLE)


def _known(permission: str) -> Permission:
    try:
        return PERMISSIONS[permission]
    except KeyError:  # a typo must fail at import, not refuse (or allow) at run time
        raise ValueError(f"Unknown permission {permission!r}") from None


def role_may(role: str, permission: str) -> bool:
    if permission == PUBLIC:
        return True
    if permission == SIGNED_IN:
        return bool(role)
    if permission == STAFF:
        return False  # staff is not a practice role
    return str(role) in {str(r) for r in _known(permission).roles}


def has_permission(user: Any, permission: str) -> bool:
    """Whether this user holds `permission`: logged in, in a practice, and their role has it."""
    if user is None or not user.is_authenticated:
        return permission == PUBLIC
    if permission in (PUBLIC, SIGNED_IN):
        return True
    if permission == STAFF:
        return bool(user.is_staff)
    if getattr(user, "practice_id", None) is None:
        return False
    return role_may(user.role, permission)


def permissions_of(user: Any) -> frozenset[str]:
    return frozenset(p for p in PERMISSIONS if has_permission(user, p))


def require_permission(request: HttpRequest, permission: str) -> None:
    """For code inside a route (and services called from them): refuse without `permission`.
    Screens and the API answer PermissionDenied with 403."""
    if not has_permission(getattr(request, "user", None), permission):
        raise PermissionDenied("Your role does not allow this")


def declare(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view that guards itself (PUBLIC; SIGNED_IN with login_required; STAFF with the
    operator console's guard, which must answer 403 to practice users) so the route test
    knows the decision was made."""
    if permission not in MARKERS:
        _known(permission)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        view.permission = permission  # type: ignore[attr-defined]
        view.post_permission = permission  # type: ignore[attr-defined]
        return view

    return decorator


def practice_required(
    permission: str, *, post: str | None = None,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A logged-in user of a practice whose role holds `permission` (or `post` for a POST,
    when a page is read by more roles than may change it)."""
    _known(permission)
    if post is not None:
        _known(post)
    post_permission = post or permission

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.practice is None:
                raise PermissionDenied("This account does not belong to a practice")
            needed = post_permission if request.method == "POST" else permission
            if not role_may(request.user.role, needed):
                raise PermissionDenied("Your role does not allow this")
            return view(request, *args, **kwargs)

        wrapped.permission = permission  # type: ignore[attr-defined]
        wrapped.post_permission = post_permission  # type: ignore[attr-defined]
        return wrapped

    return decorator


def api_permission(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """An API operation's permission, checked with the bearer token, before the request is
    read (so a refused role gets 403, never a validation error). Put it under the router's
    decorator: `@router.get(...)` then `@api_permission("clients.view")`."""
    from ninja.utils import contribute_operation_callback  # noqa: PLC0415 - ninja at use only

    from .api_auth import TokenAuth  # noqa: PLC0415 - api_auth imports this module

    if permission != SIGNED_IN:
        _known(permission)

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        func.permission = permission  # type: ignore[attr-defined]

        def contribute(operation: Any) -> None:
            auth = [TokenAuth(permission=permission)]
            operation.auth_param = auth
            operation._set_auth(auth)  # noqa: SLF001 - ninja's own way to set an op's auth

        contribute_operation_callback(func, contribute)
        return func

    return decorator


def api_public(func: Callable[..., Any]) -> Callable[..., Any]:
    """An API operation without a token (its router decorator says auth=None)."""
    func.permission = PUBLIC  # type: ignore[attr-defined]
    return func
