"""Sign-up pages (when `OASYS_SIGNUP` allows them): the form, "check your email", the
verification link that logs the new owner in; and the setup checklist the owner's home page
shows while the practice is new."""

from __future__ import annotations

from django.contrib import auth, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.core.audit import AuditContext, client_ip
from oasys.core.errors import InvalidInput
from oasys.core.permissions import PUBLIC, declare, practice_required

from . import selectors, signup
from .forms import SignUpForm
from .services import setup_checklist_dismiss

NOTE = "accounts/note.html"
# the service's names for what is wrong, as the form's fields
_FIELD = {"name": "practice_name", "owner_email": "email", "password": "password1"}


def _closed() -> bool:
    return signup.signup_mode() == "closed"


def _form_page(request: HttpRequest, invited_email: str = "") -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("core:home")
    form = SignUpForm(request.POST or None, invited_email=invited_email)
    status = 200
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        if signup.signup_throttled(source_ip=ip):
            form.add_error(None, "Too many sign-ups from your network in the last hour. "
                                 "Try again later.")
            status = 429
        else:
            data = form.cleaned_data
            try:
                signup.signup_submit(practice_name=data["practice_name"],
                                     first_name=data["first_name"],
                                     last_name=data["last_name"], email=data["email"],
                                     password=data["password1"], source_ip=ip)
            except InvalidInput as exc:
                for key, text in exc.errors.items():
                    field = _FIELD.get(key, key)
                    form.add_error(field if field in form.fields else None, text)
            else:
                return redirect("accounts:signup_sent")
    return render(request, "accounts/signup.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@declare(PUBLIC)
def signup_view(request: HttpRequest) -> HttpResponse:
    mode = signup.signup_mode()
    if mode == "closed":
        raise Http404("Sign-up is closed")
    if mode == "invite":
        return render(request, NOTE, status=404, context={
            "title": "Sign-up is by invitation",
            "text": "To start a practice on this Oasys server, ask whoever runs it for a "
                    "sign-up link.",
            "link": reverse("core:login"), "link_label": "Log in"})
    return _form_page(request)


@require_http_methods(["GET", "POST"])
@declare(PUBLIC)
def signup_invited_view(request: HttpRequest, token: str) -> HttpResponse:
    """The operator's sign-up link (`oasys practice invite-signup`): the form, for the
    address the link was made for."""
    email = signup.signup_invite_email(token=token)
    if _closed() or email is None:
        return render(request, NOTE, status=404, context={
            "title": "This sign-up link no longer works",
            "text": f"Sign-up links work for {signup.INVITE_DAYS} days. Ask whoever runs "
                    "your Oasys server for a new one.",
            "link": reverse("core:login"), "link_label": "Log in"})
    return _form_page(request, invited_email=email)


@require_GET
@declare(PUBLIC)
def signup_sent_view(request: HttpRequest) -> HttpResponse:
    if _closed():
        raise Http404("Sign-up is closed")
    # the same words whatever happened: nobody learns here whether an address has an account
    return render(request, NOTE, context={
        "title": "Check your email",
        "text": "We sent a link to the address you gave. Open it to confirm the address and "
                f"log in; it works for {signup.VERIFY_HOURS} hours. No email? Look in the "
                "spam folder, or sign up again with the same address for a new link.",
        "link": reverse("core:login"), "link_label": "Back to log in"})


@require_http_methods(["GET", "POST"])
@declare(PUBLIC)
def verify_view(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the verification email. A GET only shows a button (mail scanners open
    links; they must not use up a single-use one); the POST verifies and logs in. Works
    whatever the sign-up setting is now: it was open when the person signed up."""
    dead = {"title": "This link no longer works",
            "text": f"Confirmation links work once, for {signup.VERIFY_HOURS} hours. If "
                    "you have confirmed already, log in; otherwise sign up again with the "
                    "same address for a new link.",
            "link": reverse("core:login"), "link_label": "Log in"}
    if request.method == "POST":
        try:
            user = signup.signup_verify(token=token, source_ip=client_ip(request))
        except InvalidInput:
            return render(request, NOTE, status=404, context=dead)
        auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your email is confirmed. Welcome to Oasys.")
        return redirect("core:home")
    if signup.verify_link_user(token=token) is None:
        return render(request, NOTE, status=404, context=dead)
    return render(request, "accounts/verify.html")


@require_GET
@practice_required("practice.view")
def start_view(request: HttpRequest) -> HttpResponse:
    """The owner of a new practice sees the setup checklist (the home page sends them here)
    until it is all done or dismissed; then, and for everyone else, the home page."""
    if not selectors.setup_checklist_shown(practice=request.practice, user=request.user):
        return redirect("core:home")
    items = selectors.setup_checklist(practice=request.practice)
    return render(request, "accounts/checklist.html", {
        "items": items, "done": sum(1 for i in items if i.done)})


@require_POST
@practice_required("practice.checklist")
def checklist_dismiss_view(request: HttpRequest) -> HttpResponse:
    setup_checklist_dismiss(practice=request.practice, ctx=AuditContext.from_request(request))
    messages.success(request, "The setup checklist is put away; Billing Setup has every step.")
    return redirect("core:home")
