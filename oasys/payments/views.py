"""Billing → Setup → Billing Setup → Payment Processing: the practice's Stripe account, its
state in words with the next step, its payouts, and the owner's connect / resume / update /
disconnect. Thin: services write, selectors read; Stripe's errors arrive as the domain's
refusals and are shown as messages (nothing changed)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.core.audit import AuditContext
from oasys.core.errors import DomainError
from oasys.core.feedback import error_text, refusals_as_messages
from oasys.core.permissions import has_permission, practice_required

from . import selectors, services
from .machine import PAYMENT_ACCOUNT_MACHINE
from .models import AccountStatus, PaymentAccount

S = AccountStatus
SECTION = "payments"
# What the page and the setup card call each state, and its badge.
STATE_LABELS = {
    S.NOT_CONNECTED: ("Not connected", ""),
    S.ONBOARDING: ("Onboarding not finished", "warn"),
    S.RESTRICTED: ("Restricted", "bad"),
    "pending": ("Pending verification", "warn"),
    S.ACTIVE: ("Active", "ok"),
    S.DISCONNECTED: ("Disconnected", ""),
}
SAVED_WORDS = {
    S.ACTIVE: "Your Stripe account is active: you can accept card payments.",
    S.RESTRICTED: "Stripe still needs a few details before you can accept payments.",
    S.ONBOARDING: "Stripe's onboarding isn't finished yet. You can resume it at any time.",
    "pending": "Stripe is verifying your details. This page updates when it is done.",
}


def _is_owner(request: HttpRequest) -> bool:
    return has_permission(request.user, "payments.setup")


def _urls(request: HttpRequest) -> tuple[str, str]:
    """Where Stripe sends the owner back (return) and where an expired link goes (refresh):
    absolute URLs of this server."""
    return (request.build_absolute_uri(reverse("payments:processing_return")),
            request.build_absolute_uri(reverse("payments:processing_refresh")))


def _state(account: PaymentAccount | None) -> str:
    """The page's state: the status, with "pending" for a restricted account whose only
    hold-up is Stripe verifying what was submitted."""
    if account is None:
        return S.NOT_CONNECTED
    if account.status == S.RESTRICTED and account.pending_verification and \
            not account.requirements:
        return "pending"
    return account.status


def _page_context(request: HttpRequest, account: PaymentAccount | None) -> dict:
    state = _state(account)
    label, badge = STATE_LABELS[state]
    allows = (PAYMENT_ACCOUNT_MACHINE.allowed_action_names(account) if account is not None
              else {"connect"})
    return {
        "section": SECTION,
        "can_edit": has_permission(request.user, "practice.settings"),
        "is_owner": _is_owner(request),
        "account": account,
        "state": state,
        "state_label": label,
        "state_badge": badge,
        "allows": allows,
        "requirements": selectors.account_requirements_words(account) if account else [],
        "pending": selectors.account_pending_words(account) if account else [],
        "disabled_words": selectors.disabled_reason_words(account.disabled_reason)
        if account else "",
        "checks": [("Accept Payments", account.charges_enabled),
                   ("Receive Payouts", account.payouts_enabled),
                   ("Account Details", account.details_submitted)] if account else [],
    }


@require_GET
@practice_required("practice.view")
def processing(request: HttpRequest) -> HttpResponse:
    account = selectors.payment_account_get(practice=request.practice)
    context = _page_context(request, account)
    label = PAYMENT_ACCOUNT_MACHINE.label
    context["events"] = [
        (e, label(e.from_status) if e.from_status else "—", label(e.to_status))
        for e in (selectors.payment_account_event_list(account=account)[:20]
                  if account is not None else [])]
    payouts, payouts_error, after = None, "", request.GET.get("after", "")[:80]
    if account is not None and account.stripe_account_id and context["can_edit"]:
        try:
            payouts = selectors.payout_list(practice=request.practice, starting_after=after)
        except DomainError as exc:
            payouts_error = error_text(exc)
    words = selectors.PAYOUT_STATUS_WORDS
    context.update(
        payout_rows=[(p, words.get(p.status, p.status)) for p in payouts.items]
        if payouts else [],
        payouts_next=payouts.items[-1].id if payouts and payouts.has_more and payouts.items
        else "",
        payouts_error=payouts_error, payouts_after=after)
    return render(request, "payments/processing.html", context)


@require_GET
@practice_required("practice.view")
def processing_summary(request: HttpRequest) -> HttpResponse:
    """The Payment Processing card of the Setup overview (loaded there by htmx: the practice
    app may not read payments)."""
    account = selectors.payment_account_get(practice=request.practice)
    return render(request, "payments/processing_summary.html", _page_context(request, account))


@require_POST
@practice_required("payments.setup")
def processing_connect(request: HttpRequest) -> HttpResponse:
    """Connect Stripe Account (and Reconnect): off to Stripe's onboarding."""
    return_url, refresh_url = _urls(request)
    with refusals_as_messages(request) as done:
        url = services.account_connect(practice=request.practice, user=request.user,
                                       ctx=AuditContext.from_request(request),
                                       return_url=return_url, refresh_url=refresh_url)
    return HttpResponseRedirect(url) if done else redirect("payments:processing")


@require_POST
@practice_required("payments.setup")
def processing_onboarding(request: HttpRequest) -> HttpResponse:
    """Resume onboarding / Update details: a fresh account link each click (they expire)."""
    return _fresh_link(request)


@require_GET
@practice_required("practice.view")
def processing_refresh(request: HttpRequest) -> HttpResponse:
    """Stripe's `refresh_url`: the link expired or was used, so make a new one and go."""
    if not _is_owner(request):
        messages.error(request, services.OWNER_ONLY)
        return redirect("payments:processing")
    return _fresh_link(request)


def _fresh_link(request: HttpRequest) -> HttpResponse:
    return_url, refresh_url = _urls(request)
    with refusals_as_messages(request) as done:
        url = services.account_onboarding_link(
            practice=request.practice, user=request.user,
            ctx=AuditContext.from_request(request), return_url=return_url,
            refresh_url=refresh_url)
    return HttpResponseRedirect(url) if done else redirect("payments:processing")


@require_GET
@practice_required("practice.view")
def processing_return(request: HttpRequest) -> HttpResponse:
    """Stripe's `return_url` (the owner left onboarding, finished or not): ask Stripe for the
    account now and say where it stands."""
    return _sync(request, source="return from onboarding")


@require_POST
@practice_required("practice.settings")
def processing_sync(request: HttpRequest) -> HttpResponse:
    """Refresh status: ask Stripe now (webhooks do it by themselves)."""
    return _sync(request, source="refresh")


def _sync(request: HttpRequest, *, source: str) -> HttpResponse:
    account = selectors.payment_account_get(practice=request.practice)
    if account is None or not account.stripe_account_id:
        return redirect("payments:processing")
    with refusals_as_messages(request) as done:
        account = services.account_sync(account=account, ctx=AuditContext.from_request(request),
                                        source=source)
    if done:
        words = SAVED_WORDS.get(_state(account))
        if words:
            messages.success(request, words)
    return redirect("payments:processing")


@require_http_methods(["GET", "POST"])
@practice_required("payments.setup")
def processing_disconnect(request: HttpRequest) -> HttpResponse:
    """Disconnect, after a confirmation page."""
    account = selectors.payment_account_get(practice=request.practice)
    if account is None or not PAYMENT_ACCOUNT_MACHINE.allows(account, "disconnect"):
        messages.error(request, "There is no connected Stripe account to disconnect.")
        return redirect("payments:processing")
    if request.method == "POST":
        with refusals_as_messages(request) as done:
            services.account_disconnect(practice=request.practice, user=request.user,
                                        ctx=AuditContext.from_request(request))
        if done:
            messages.success(request, "Stripe is disconnected. Oasys no longer charges cards "
                                      "or creates anything on your Stripe account.")
        return redirect("payments:processing")
    return render(request, "payments/processing_disconnect.html",
                  _page_context(request, account))


@require_GET
@practice_required("billing.work")
def payout(request: HttpRequest, payout_id: str) -> HttpResponse:
    """One payout and the client payments in it, to match the bank deposit to invoices.
    Not this practice's (or no such payout) → 404."""
    try:
        detail = selectors.payout_detail(practice=request.practice, payout_id=payout_id)
    except DomainError as exc:
        if exc.status_code == 404:
            raise Http404("No such payout") from exc
        messages.error(request, error_text(exc))
        return redirect("payments:processing")
    status = detail.payout.status
    return render(request, "payments/processing_payout.html", {
        "section": SECTION, "can_edit": True, "detail": detail, "payout_id": payout_id,
        "status_words": selectors.PAYOUT_STATUS_WORDS.get(status, status)})
