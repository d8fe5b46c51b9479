"""The home page after login (`/` for practice users; core's landing view hands over here).

Owners and billers see what needs attention across the practice, money this month and the
next auto-billing run; clinicians and supervisors see only the sessions they render or
supervise that cannot be billed yet (no money, no payer data: core/permissions.py). The page
shows counts and amounts only, never a client's name, so it writes no read audit row.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from oasys.accounts.selectors import setup_checklist_shown
from oasys.core.permissions import has_permission, practice_required
from oasys.core.timezones import practice_today

from .chart import month_chart
from .selectors import home_billing_attention, home_money_summary, home_sessions_attention


@require_GET
@practice_required("clients.view")
def home(request: HttpRequest) -> HttpResponse:
    practice, user = request.practice, request.user
    # A new practice's owner starts on the setup checklist until it is done or put away:
    # there is nothing to count yet, and the checklist is what to do first.
    if setup_checklist_shown(practice=practice, user=user):
        return redirect("accounts:start")
    now = timezone.now()
    context = {
        "today": practice_today(practice),
        "sessions": home_sessions_attention(practice=practice, user=user),
        "sees_money": has_permission(user, "billing.amounts"),
        "can_set_autobilling": has_permission(user, "practice.settings"),
    }
    if context["sees_money"]:
        summary = home_money_summary(practice=practice, now=now)
        attention = home_billing_attention(practice=practice, now=now)
        context.update({
            "attention": attention,
            "attention_total": sum(line.count for line in attention),
            "money": summary,
            "chart": month_chart(summary.months),
        })
    return render(request, "home/home.html", context)
