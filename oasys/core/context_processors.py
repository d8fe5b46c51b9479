"""The Billing area's navigation, following the product guide's tabs.

A tab appears only once its feature exists: `BILLING_TABS` lists (label, url name) for the
features built so far.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, resolve, reverse

from .permissions import has_permission, permissions_of

BILLING_TABS = [
    ("Setup", "practice:setup"),
    ("Client Billing", "clients:list"),
    ("Sessions", "appointments:list"),
    ("Calendar", "appointments:calendar"),
    ("Bill Sessions", "billing:queue"),
    ("Auto-billing", "autobilling:history"),
    ("Manage Claims", "claims:list"),
    ("Payment Remittances", "remittance:list"),
    ("Manage Invoices", "invoices:list"),
    ("Manage Superbills", "superbills:list"),
    ("EDI Files", "clearinghouse:files"),
    ("Reports", "ledger:aging"),
    ("Outbox", "outbox:list"),
]


def navigation(request: HttpRequest) -> dict:
    if not getattr(request, "practice", None):
        return {}
    tabs = []
    for label, name in BILLING_TABS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue  # feature not built yet
        match = resolve(url).func
        if not has_permission(request.user, getattr(match, "permission", "billing.work")):
            continue  # the role may not open it (core/permissions.py)
        tabs.append({"label": label, "url": url, "active": False})
    # The tab holding the page is the longest match: /sessions/calendar/ is Calendar's, not
    # also Sessions' (/sessions/).
    holders = [t for t in tabs if request.path.startswith(t["url"])]
    if holders:
        max(holders, key=lambda t: len(t["url"]))["active"] = True
    return {"billing_tabs": tabs, "practice": request.practice}


def permissions(request: HttpRequest) -> dict:
    """`can`: the permissions the user holds, for templates: `{% if "billing.amounts" in can %}`."""
    user = getattr(request, "user", None)
    return {"can": permissions_of(user) if user is not None else frozenset()}
