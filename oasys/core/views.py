"""Log in, log out, and the landing page."""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from .audit import AuditContext, audit_record
from .models import PRACTICE_SUSPENDED_MESSAGE, AuditAction, AuditOutcome
from .permissions import PUBLIC, SIGNED_IN, declare, practice_required
from .services import user_sessions_end


class EmailLoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()

    def confirm_login_allowed(self, user) -> None:
        # Only after the password matched: a stranger learns nothing about the practice.
        super().confirm_login_allowed(user)
        if user.practice is not None and user.practice.is_suspended:
            raise ValidationError(PRACTICE_SUSPENDED_MESSAGE, code="suspended")


@require_http_methods(["GET", "POST"])
@declare(PUBLIC)
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.practice:
        return redirect("core:home")
    form = EmailLoginForm(request, data=request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            user = form.get_user()
            auth.login(request, user)
            request.practice = user.practice
            audit_record(
                ctx=AuditContext.from_request(request),
                action=AuditAction.LOGIN,
                category="session",
            )
            next_url = request.GET.get("next", "")
            if next_url.startswith("/") and not next_url.startswith("//"):
                return redirect(next_url)
            return redirect("core:home")
        audit_record(
            ctx=AuditContext(source_ip=request.META.get("REMOTE_ADDR")),
            action=AuditAction.LOGIN_FAILED,
            category="session",
            outcome=AuditOutcome.DENIED,
        )
    return render(request, "core/login.html", {
        "form": form, "signup_open": settings.OASYS_SIGNUP == "open"})


@require_POST
@declare(PUBLIC)
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(
            ctx=AuditContext.from_request(request), action=AuditAction.LOGOUT, category="session"
        )
    auth.logout(request)  # flushes the server-side session
    return redirect("core:login")


@require_POST
@declare(SIGNED_IN)
def logout_everywhere_view(request: HttpRequest) -> HttpResponse:
    """End every session of mine (other browsers and devices too) and every API token."""
    if request.user.is_authenticated:
        user_sessions_end(user=request.user, ctx=AuditContext.from_request(request))
    auth.logout(request)
    return redirect("core:login")


# The practice's home page is drawn by oasys.home, which reads from nearly every app and so
# sits above them all; it registers its view here from its AppConfig.ready() (core imports
# nothing above it). Without one (oasys.home not installed), a practice user goes on to
# Bill Sessions.
_practice_home_view: list[Callable[[HttpRequest], HttpResponse]] = []


def practice_home_register(view: Callable[[HttpRequest], HttpResponse]) -> None:
    _practice_home_view[:] = [view]


@declare("clients.view")
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated and user.is_staff and request.practice is None:
        # The operator (staff, no practice) lands on the operator console (oasys.operator),
        # named by URL only: core imports nothing above it.
        return redirect("operator:console")
    if _practice_home_view:
        return _practice_home_view[0](request)
    return _practice_home(request)


@practice_required("clients.view")
def _practice_home(request: HttpRequest) -> HttpResponse:
    # not accounts:start: it sends a practice whose checklist is done back here
    return redirect("billing:queue")
