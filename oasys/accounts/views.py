"""Password screens: set a first password from the operator's link, reset a forgotten one
by email (Django's views and tokens), change one's own. Each change writes an audit row."""

from __future__ import annotations

from typing import Any

from django.contrib import auth, messages
from django.contrib.auth import views as dj
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction
from oasys.core.permissions import PUBLIC, SIGNED_IN, declare

from .forms import ResetByEmailForm
from .links import set_password_user
from .services import password_set

FORM = "accounts/password_form.html"
NOTE = "accounts/note.html"


@require_http_methods(["GET", "POST"])
@declare(PUBLIC)
def set_password_view(request: HttpRequest, token: str) -> HttpResponse:
    """The operator's one-time link: choose a password, then in."""
    user = set_password_user(token=token)
    if user is None:
        return render(request, NOTE, status=404, context={
            "title": "This link no longer works",
            "text": "It was used already or is more than a week old. Ask whoever runs your "
                    "Oasys server for a new one, or reset your password from the login page.",
            "link": reverse_lazy("accounts:reset"), "link_label": "Reset your password"})
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        password_set(user=user, password=form.cleaned_data["new_password1"],
                     ctx=AuditContext(user_id=user.pk, user_email=user.email,
                                      practice_id=user.practice_id,
                                      source_ip=request.META.get("REMOTE_ADDR")))
        auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your password is set. Welcome to Oasys.")
        return redirect("core:home")
    return render(request, FORM, {"form": form, "title": "Choose your password",
                                  "intro": f"For {user.email}. At least 12 characters.",
                                  "button": "Set password"})


class ResetView(dj.PasswordResetView):
    permission = PUBLIC  # core/permissions.py: Django's view guards itself
    form_class = ResetByEmailForm
    template_name = FORM
    success_url = reverse_lazy("accounts:reset_sent")
    extra_context = {"title": "Reset your password", "button": "Email me a link",
                     "intro": "Give the email you log in with; we send a link to choose a "
                              "new password."}


class ResetSentView(dj.PasswordResetDoneView):
    permission = PUBLIC  # core/permissions.py: Django's view guards itself
    template_name = NOTE
    extra_context = {"title": "Check your email",
                     "text": "If an account uses that address, an email with a link to "
                             "choose a new password is on its way. The link works for an hour.",
                     "link": reverse_lazy("core:login"), "link_label": "Back to log in"}


class ResetConfirmView(dj.PasswordResetConfirmView):
    permission = PUBLIC  # core/permissions.py: Django's view guards itself
    template_name = FORM
    success_url = reverse_lazy("accounts:reset_done")
    extra_context = {"title": "Choose a new password", "button": "Set password",
                     "intro": "At least 12 characters."}

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        if not context.get("validlink"):
            return render(self.request, NOTE, status=404, context={
                "title": "This link no longer works",
                "text": "Reset links work once, for an hour. Ask for a new one.",
                "link": reverse_lazy("accounts:reset"), "link_label": "Reset your password"})
        return super().render_to_response(context, **kwargs)

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        audit_record(ctx=AuditContext(user_id=user.pk, user_email=user.email,
                                      practice_id=user.practice_id,
                                      source_ip=self.request.META.get("REMOTE_ADDR")),
                     action=AuditAction.UPDATE, category="password", object_type="User",
                     object_id=user.pk, detail={"via": "reset"})
        return response


class ResetDoneView(dj.PasswordResetCompleteView):
    permission = PUBLIC  # core/permissions.py: Django's view guards itself
    template_name = NOTE
    extra_context = {"title": "Password changed", "text": "Log in with your new password.",
                     "link": reverse_lazy("core:login"), "link_label": "Log in"}


class ChangeView(dj.PasswordChangeView):
    permission = SIGNED_IN  # core/permissions.py: Django's view guards itself
    template_name = FORM
    success_url = reverse_lazy("accounts:change_done")
    extra_context = {"title": "Change your password", "button": "Change password",
                     "intro": "At least 12 characters. Other devices stay logged in until "
                              "they log out.", "everywhere": True}

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(ctx=AuditContext.from_request(self.request), action=AuditAction.UPDATE,
                     category="password", object_type="User", object_id=self.request.user.pk,
                     detail={"via": "change"})
        return response


class ChangeDoneView(dj.PasswordChangeDoneView):
    permission = SIGNED_IN  # core/permissions.py: Django's view guards itself
    template_name = NOTE
    extra_context = {"title": "Password changed", "text": "Your new password is in use.",
                     "link": reverse_lazy("core:home"), "link_label": "Back to billing"}
