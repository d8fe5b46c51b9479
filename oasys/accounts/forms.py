"""Forms of accounts: Django's password forms with our email for the reset link, the
invitation form and the form that accepts one."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.urls import reverse

from oasys.core.audit import AuditContext
from oasys.core.models import Role
from oasys.core.outbound_mail import email_send


class ResetByEmailForm(PasswordResetForm):
    """Django's reset form (the same answer whether or not the address has an account;
    tokens from Django's generator, valid PASSWORD_RESET_TIMEOUT), sending its email
    through the product's email port like every other email, so it is recorded, retried
    and lands in the SMTP sink in the demo."""

    def send_mail(self, subject_template_name: str, email_template_name: str,
                  context: dict[str, Any], from_email: str | None, to_email: str,
                  html_email_template_name: str | None = None) -> None:
        user = context["user"]
        if user.practice is None:
            return  # an operator account without a practice: Django admin handles those
        path = reverse("accounts:reset_confirm", args=[context["uid"], context["token"]])
        email_send(
            practice=user.practice, to=to_email, subject="Reset your Oasys password",
            template="email/notice", kind="password_reset", object_type="User",
            object_id=user.pk, ctx=AuditContext.system(practice_id=user.practice_id,
                                                       source="password-reset"),
            context={
                "heading": "Reset your password",
                "paragraphs": [
                    "Someone asked to reset the password of your Oasys account. If it was "
                    "you, choose a new one with the link below; it works once, for an hour.",
                    "If it was not you, ignore this email: your password stays as it is."],
                # our own base URL, not the request's Host header (a forged Host must not
                # become the link a person clicks)
                "action_url": f"{settings.OASYS_BASE_URL}{path}",
                "action_label": "Choose a new password"})


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)
    # the owner role last: most invitations are for staff
    role = forms.ChoiceField(label="Role", choices=[
        *[c for c in Role.choices if c[0] != Role.OWNER], (Role.OWNER.value, Role.OWNER.label)])


class AcceptForm(SetPasswordForm):
    """Django's set-password form (two entries, the validators) with the person's name."""

    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    field_order = ["first_name", "last_name", "new_password1", "new_password2"]
