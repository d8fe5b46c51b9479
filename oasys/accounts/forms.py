"""Forms of accounts: Django's password forms with our email for the reset link, the
invitation form and the form that accepts one, and the sign-up form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from oasys.core.audit import AuditContext
from oasys.core.models import Role, User
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


class SignUpForm(forms.Form):
    """A new practice and its owner. The password goes through Django's validators (at least
    12 characters, not common, not all digits, not like the name or email) here, so the
    person sees why beside the field; the service checks it again."""

    practice_name = forms.CharField(label="Practice name", max_length=200)
    first_name = forms.CharField(label="Your first name", max_length=100)
    last_name = forms.CharField(label="Your last name", max_length=100)
    email = forms.EmailField(label="Email", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(label="Password", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text="At least 12 characters; not a common password, not all "
                                          "digits, not like your name or email.")
    password2 = forms.CharField(label="Password again", strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args: Any, invited_email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invited_email = invited_email
        if invited_email:  # the operator's link is for this address only
            self.fields["email"].initial = invited_email
            self.fields["email"].disabled = True

    def clean_practice_name(self) -> str:
        name = " ".join(self.cleaned_data["practice_name"].split())
        if not name:
            raise ValidationError("Give the practice a name.")
        return name

    def clean_email(self) -> str:
        return (self.invited_email or self.cleaned_data["email"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", "The two passwords differ.")
        elif one:
            someone = User(email=data.get("email") or "", first_name=data.get("first_name", ""),
                           last_name=data.get("last_name", ""))
            try:
                validate_password(one, user=someone)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data
