"""Two-factor pages: set it up (scan, confirm with a code, keep the recovery codes), give a
code after logging in, turn it off or renew the recovery codes; and the owner's switch that
requires it for the whole practice (on the Team page)."""

from __future__ import annotations

import django_otp
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import DomainError
from oasys.core.feedback import error_text
from oasys.core.models import AuditAction, AuditOutcome
from oasys.core.permissions import SIGNED_IN, declare, practice_required

from . import two_factor as tf


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
@declare(SIGNED_IN)
def two_factor_page(request: HttpRequest) -> HttpResponse:
    """Where it stands for me: on (turn off, new recovery codes) or off (set it up)."""
    user = request.user
    if not tf.two_factor_on(user=user):
        return redirect("accounts:two_factor_setup")
    return render(request, "accounts/two_factor.html", {
        "required": user.practice and tf.practice_requires_two_factor(practice=user.practice)})


@login_required
@require_http_methods(["GET", "POST"])
@declare(SIGNED_IN)
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    if tf.two_factor_on(user=user):
        return redirect("accounts:two_factor")
    device = tf.two_factor_pending_device(user=user)
    error = ""
    if request.method == "POST":
        try:
            codes = tf.two_factor_confirm(user=user, code=request.POST.get("code", ""),
                                          ctx=AuditContext.from_request(request))
        except DomainError as exc:
            error = error_text(exc)
        else:
            device.refresh_from_db()
            django_otp.login(request, device)
            return render(request, "accounts/recovery_codes.html",
                          {"codes": codes, "next": _next(request)})
    return render(request, "accounts/two_factor_setup.html", status=422 if error else 200,
                  context={"qr": tf.two_factor_qr_svg(device=device),
                           "secret": tf.two_factor_secret(device=device), "error": error,
                           "next": _next(request),
                           "required": user.practice and tf.practice_requires_two_factor(
                               practice=user.practice)})


@login_required
@require_http_methods(["GET", "POST"])
@declare(SIGNED_IN)
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the app, or one of the recovery codes."""
    if request.user.is_verified():
        return redirect(_next(request))
    error = ""
    if request.method == "POST":
        device = tf.two_factor_match(user=request.user, code=request.POST.get("code", ""))
        if device is not None:
            django_otp.login(request, device)
            audit_record(ctx=AuditContext.from_request(request), action=AuditAction.LOGIN,
                         category="two_factor", detail={"device": device.name})
            return redirect(_next(request))
        audit_record(ctx=AuditContext.from_request(request), action=AuditAction.LOGIN_FAILED,
                     category="two_factor", outcome=AuditOutcome.DENIED)
        error = "That code does not match. Use the current code from your app, or a recovery code."
    return render(request, "accounts/two_factor_verify.html", status=422 if error else 200,
                  context={"error": error, "next": _next(request)})


@login_required
@require_POST
@declare(SIGNED_IN)
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    try:
        tf.two_factor_disable(user=request.user, code=request.POST.get("code", ""),
                              ctx=AuditContext.from_request(request))
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return redirect("accounts:two_factor")
    messages.success(request, "Two-factor sign-in is off.")
    return redirect("core:home")


@login_required
@require_POST
@declare(SIGNED_IN)
def two_factor_recovery_renew(request: HttpRequest) -> HttpResponse:
    try:
        codes = tf.two_factor_recovery_codes_renew(user=request.user,
                                                   ctx=AuditContext.from_request(request))
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return redirect("accounts:two_factor")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": "/"})


@practice_required("team.manage")
@require_POST
def practice_two_factor(request: HttpRequest) -> HttpResponse:
    required = request.POST.get("required") == "on"
    tf.practice_two_factor_require(practice=request.practice, required=required,
                                   ctx=AuditContext.from_request(request))
    messages.success(request, "Two-factor sign-in is now required for everyone."
                     if required else "Two-factor sign-in is now each person's choice.")
    return redirect("accounts:team")
