"""Route by route, every screen and every API operation answers each of the four roles as
the permission table says (core/permissions.py): 403 to a role without the route's declared
permission, anything but 403 (and never a server error) to a role with it. A route that
declares no permission fails here, so none can be added without deciding."""

from __future__ import annotations

import re
import secrets

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client as HttpClient
from django.test import RequestFactory

from oasys.core.api_auth import TokenAuth
from oasys.core.models import ApiToken, Role, User
from oasys.core.permissions import (
    MARKERS,
    PERMISSIONS,
    PUBLIC,
    SIGNED_IN,
    has_permission,
    practice_required,
    role_may,
)
from oasys.core.services import user_create
from oasys.core.tests.routes import api_operations, url_routes

pytestmark = pytest.mark.django_db

ROLES = (Role.OWNER, Role.BILLER, Role.SUPERVISOR, Role.CLINICIAN)
MISSING_ID = "999999"  # no object has it: an allowed role meets 404, not a change
DECLARED = set(PERMISSIONS) | set(MARKERS)

# A screen and the API route that answer the same question hold the same permission.
SAME_QUESTION = [
    ("billing/setup/provider/", "GET", "practice/provider"),
    ("billing/setup/payers/", "GET", "practice/accepted-payers"),
    ("billing/setup/payers/search/", "GET", "practice/payers/search"),
    ("billing/setup/service-types/", "GET", "practice/service-types"),
    ("billing/setup/clinicians/", "GET", "practice/clinicians"),
    ("billing/clients/", "GET", "clients"),
    ("billing/clients/<int:pk>/", "GET", "clients/{client_id}"),
    ("billing/clients/<int:pk>/insurance/", "GET", "clients/{client_id}/policies"),
    ("billing/clients/<int:pk>/pricing/", "GET", "clients/{client_id}/pricing-rules"),
    ("billing/clients/<int:pk>/card/", "GET", "clients/{client_id}/payment-method"),
    ("billing/eligibility/clients/<int:pk>/", "GET", "clients/{client_id}/eligibility-checks"),
    ("billing/eligibility/fees/", "GET", "usage-fees"),
    ("sessions/", "GET", "appointments"),
    ("sessions/<int:pk>/", "GET", "appointments/{appointment_id}"),
    ("sessions/<int:pk>/sign-note/", "POST", "appointments/{appointment_id}/sign-note"),
    ("sessions/<int:pk>/approve/", "POST", "appointments/{appointment_id}/approve"),
    ("billing/sessions/", "GET", "billing/queue"),
    ("billing/sessions/submit/", "POST", "billing/submit"),
    ("billing/claims/", "GET", "claims"),
    ("billing/claims/<int:pk>/", "GET", "claims/{claim_id}"),
    ("billing/claims/<int:pk>/cms1500.pdf", "GET", "claims/{claim_id}/cms1500.pdf"),
    ("billing/claims/<int:pk>/replacement/", "GET", "claims/{claim_id}/replacement"),
    ("billing/claims/<int:pk>/replacement/review/", "POST", "claims/{claim_id}/replacement"),
    ("billing/invoices/", "GET", "invoices"),
    ("billing/invoices/<int:pk>/", "GET", "invoices/{invoice_id}"),
    ("billing/invoices/<int:pk>/pdf/", "GET", "invoices/{invoice_id}/pdf"),
    ("billing/remittances/", "GET", "remittances"),
    ("billing/remittances/<int:pk>/", "GET", "remittances/{remittance_id}"),
    ("billing/remittances/<int:pk>/decide/", "POST", "remittances/{remittance_id}/post-rest"),
    ("billing/remittances/<int:pk>/decide/", "POST", "remittances/{remittance_id}/reject"),
    ("billing/reports/aging/", "GET", "ledger/aging"),
    ("billing/reports/clients/<int:pk>/", "GET", "ledger/clients/{client_id}/balance"),
    ("billing/edi/", "GET", "clearinghouse/files"),
    ("billing/edi/<int:pk>/", "GET", "clearinghouse/files/{pk}"),
    ("billing/auto-billing/", "GET", "billing/runs"),
    ("billing/auto-billing/runs/<int:pk>/", "GET", "billing/runs/{run_id}"),
    ("billing/setup/auto-billing/", "POST", "billing/auto-billing"),
    ("billing/setup/payments/", "GET", "payments/account"),
    ("billing/setup/payments/onboarding/", "POST", "payments/account/onboarding-link"),
    ("billing/setup/payments/disconnect/", "POST", "payments/account/disconnect"),
    ("billing/setup/payments/sync/", "POST", "payments/account/refresh"),
    ("billing/setup/payments/payouts/<str:payout_id>/", "GET", "payments/payouts/{payout_id}"),
]


def _screen_permission(pattern, method: str) -> str | None:
    view = pattern.callback
    holder = view if hasattr(view, "permission") else getattr(view, "view_class", view)
    attr = "post_permission" if method == "POST" else "permission"
    return getattr(holder, attr, getattr(holder, "permission", None))


def _api_permission(op) -> str | None:
    return getattr(op.view_func, "permission", None)


def _fill_url(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", MISSING_ID, route)


def _fill_api(route: str) -> str:
    return "/api/v1/" + re.sub(r"\{\w+\}", MISSING_ID, route)


@pytest.fixture
def members(practice) -> dict[str, User]:
    return {role: user_create(practice=practice, email=f"{role}@roles.example",
                              password="x" * 16, role=role) for role in ROLES}


def _expect(role: str, permission: str, status: int, what: str, mismatches: list[str]) -> None:
    allowed = role_may(role, permission)
    if allowed and (status == 403 or status >= 500):
        mismatches.append(f"{what} as {role} ({permission}): {status}, expected allowed")
    if not allowed and status != 403:
        mismatches.append(f"{what} as {role} ({permission}): {status}, expected 403")


def test_every_route_declares_a_permission_of_the_table():
    undeclared = []
    for route, pattern in url_routes():
        for method in ("GET", "POST"):
            if _screen_permission(pattern, method) not in DECLARED:
                undeclared.append(f"{method} /{route}")
    for method, route, op in api_operations():
        if _api_permission(op) not in DECLARED:
            undeclared.append(f"{method} /api/v1/{route}")
    assert undeclared == []


def test_api_routes_check_the_permission_they_declare():
    """The declaration the walk reads is the one the token check enforces."""
    for method, route, op in api_operations():
        declared = _api_permission(op)
        checked = [getattr(a, "permission", None) for a in op.auth_callbacks]
        if declared == PUBLIC:
            assert checked == [], (method, route)
        else:
            assert checked == [declared], (method, route, checked)


def test_a_route_declaring_nothing_refuses_everyone(owner):
    """The API's default authentication fails closed."""
    auth = TokenAuth()
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=owner, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    with pytest.raises(PermissionDenied):
        auth.authenticate(RequestFactory().get("/api/v1/x"), key)


def test_unknown_permissions_fail_at_import():
    with pytest.raises(ValueError, match="Unknown permission"):
        practice_required("billing.everything")


def test_screen_and_api_answering_the_same_question_share_a_permission():
    screens = dict(url_routes())
    ops = {(m, r): op for m, r, op in api_operations()}
    for route, method, api_route in SAME_QUESTION:
        api_method = {"billing/auto-billing": "PUT"}.get(api_route, "GET" if method == "GET"
                                                          else "POST")
        assert _screen_permission(screens[route], method) == \
            _api_permission(ops[(api_method, api_route)]), (route, api_route)


def test_every_screen_answers_each_role_as_the_table_says(members, capsys):
    http = HttpClient()
    owner = members[Role.OWNER]
    checked = 0
    mismatches: list[str] = []
    for route, pattern in url_routes():
        url = _fill_url(route)
        for method in ("GET", "POST"):
            permission = _screen_permission(pattern, method)
            http.force_login(owner)
            if getattr(http, method.lower())(url).status_code == 405:
                continue  # the owner holds every permission: 405 means no such method here
            for role in ROLES:
                http.force_login(members[role])
                status = getattr(http, method.lower())(url).status_code
                _expect(role, permission, status, f"{method} {url}", mismatches)
                checked += 1
    with capsys.disabled():
        print(f"\nscreens: {checked} (route, method, role) checks, {len(mismatches)} mismatches")
    assert mismatches == []
    assert checked > 400  # the walk really walked: ~135 routes x 4 roles


def test_every_api_route_answers_each_role_as_the_table_says(members, capsys):
    clients = {}
    for role, user in members.items():
        key = "oas_" + secrets.token_urlsafe(24)
        ApiToken.objects.create(user=user, key_hash=ApiToken.hash_key(key), prefix=key[:8],
                                name=f"roles-{role}")
        clients[role] = HttpClient(headers={"Authorization": f"Bearer {key}"})
    checked = 0
    mismatches: list[str] = []
    for method, route, op in api_operations():
        permission = _api_permission(op)
        if permission == PUBLIC:
            continue  # no token: nothing a role changes
        url = _fill_api(route)
        for role in ROLES:
            resp = clients[role].generic(method, url, "{}", content_type="application/json")
            _expect(role, permission, resp.status_code, f"{method} {url}", mismatches)
            checked += 1
    with capsys.disabled():
        print(f"\napi: {checked} (operation, role) checks, {len(mismatches)} mismatches")
    assert mismatches == []
    assert checked > 300  # ~85 operations x 4 roles


def test_a_user_without_a_practice_holds_no_practice_permission(db):
    staff = User.objects.create_user(email="ops@roles.example", password="x" * 16,
                                     practice=None, role=Role.OWNER)
    assert has_permission(staff, SIGNED_IN)
    assert not any(has_permission(staff, p) for p in PERMISSIONS)


def test_the_table_gives_clinical_roles_no_money():
    for role in (Role.CLINICIAN, Role.SUPERVISOR):
        for permission in ("billing.amounts", "billing.work", "clients.billing",
                           "practice.settings", "payments.setup", "practice.fees",
                           "team.manage"):
            assert not role_may(role, permission), (role, permission)
        for permission in ("clients.view", "sessions.view", "billing.queue", "practice.view",
                           "sessions.clinical"):
            assert role_may(role, permission), (role, permission)


def test_tabs_show_only_what_the_role_may_open(members):
    http = HttpClient()
    http.force_login(members[Role.CLINICIAN])
    body = http.get("/billing/clients/").content.decode()
    for shown in ("Client Billing", "Sessions", "Bill Sessions", "Setup"):
        assert f">{shown}</a>" in body, shown
    for hidden in ("Manage Claims", "Payment Remittances", "Manage Invoices", "EDI Files",
                   "Reports", "Outbox", "Auto-billing", ">Team<", "Subscription"):
        assert hidden not in body, hidden
    http.force_login(members[Role.BILLER])
    body = http.get("/billing/clients/").content.decode()
    assert "Manage Claims" in body and "Payment Remittances" in body
    assert ">Team<" not in body


def test_the_team_page_shows_the_table(members):
    http = HttpClient()
    http.force_login(members[Role.OWNER])
    body = http.get("/account/team/").content.decode()
    table = body[body.index('data-testid="role-table"'):]
    table = table[:table.index("</table>")]
    for permission in PERMISSIONS.values():
        assert permission.name in table
    # one row per permission, one cell per role: ticks where the table allows
    ticks = sum(len(p.roles) for p in PERMISSIONS.values())
    assert table.count("✓") == ticks
