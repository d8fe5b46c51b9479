"""The Billing area's navigation, following the product guide's tabs.

A tab appears only once its feature exists: `BILLING_TABS` lists (label, url name) for the
features built so far.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

BILLING_TABS = [
    ("Setup", "practice:setup"),
    ("Client Billing", "clients:list"),
    ("Sessions", "appointments:list"),
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
        tabs.append({"label": label, "url": url, "active": request.path.startswith(url)})
    return {"billing_tabs": tabs, "practice": request.practice}
