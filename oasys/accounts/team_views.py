"""The Team page (owners): members with their roles, invitations, what each role may do;
and the page an invited person accepts on."""

from __future__ import annotations

from django.contrib import auth, messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from oasys.core.audit import AuditContext
from oasys.core.errors import DomainError, InvalidInput
from oasys.core.feedback import error_text
from oasys.core.models import Role, User
from oasys.core.permissions import PERMISSIONS, PUBLIC, declare, practice_required

from . import team
from .forms import AcceptForm, InviteForm
from .models import Invitation
from .selectors import (
    invitation_by_token,
    invitation_get,
    invitation_list,
    team_member_get,
    team_member_list,
)
from .two_factor import practice_requires_two_factor


def _page(request: HttpRequest, form: InviteForm, status: int = 200) -> HttpResponse:
    return render(request, "accounts/team.html", status=status, context={
        "members": team_member_list(practice=request.practice),
        "invitations": invitation_list(practice=request.practice)[:100],
        "form": form, "roles": Role.choices,
        "role_labels": [label for _, label in Role.choices],
        "role_table": [(p.what, p.name, [r in p.roles for r, _ in Role.choices])
                       for p in PERMISSIONS.values()],
        "require_two_factor": practice_requires_two_factor(practice=request.practice),
    })


@practice_required("team.manage")
@require_http_methods(["GET", "POST"])
def team_page(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sent = team.invitation_send(practice=request.practice, ctx=AuditContext.from_request(
                request), actor=request.user, email=form.cleaned_data["email"],
                role=form.cleaned_data["role"])
        except InvalidInput as exc:
            for field, message in exc.errors.items():
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, f"Invitation sent to {sent.email}.")
            return redirect("accounts:team")
    return _page(request, form, status=422 if form.errors else 200)


def _invitation(request: HttpRequest, invitation_id: int) -> Invitation:
    try:
        return invitation_get(practice=request.practice, invitation_id=invitation_id)
    except Invitation.DoesNotExist:
        raise Http404 from None


def _member(request: HttpRequest, user_id: int) -> User:
    try:
        return team_member_get(practice=request.practice, user_id=user_id)
    except User.DoesNotExist:
        raise Http404 from None


def _done(request: HttpRequest, action, text: str) -> HttpResponse:
    try:
        action()
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, text)
    return redirect("accounts:team")


@practice_required("team.manage")
@require_POST
def invitation_resend_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    inv = _invitation(request, invitation_id)
    return _done(request, lambda: team.invitation_resend(
        invitation=inv, ctx=AuditContext.from_request(request)),
        f"Invitation sent again to {inv.email}.")


@practice_required("team.manage")
@require_POST
def invitation_revoke_view(request: HttpRequest, invitation_id: int) -> HttpResponse:
    inv = _invitation(request, invitation_id)
    return _done(request, lambda: team.invitation_revoke(
        invitation=inv, ctx=AuditContext.from_request(request)),
        f"The invitation to {inv.email} is revoked.")


@practice_required("team.manage")
@require_POST
def member_role_view(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _member(request, user_id)
    return _done(request, lambda: team.member_role_change(
        member=member, role=request.POST.get("role", ""),
        ctx=AuditContext.from_request(request)), f"{member.email}'s role is changed.")


@practice_required("team.manage")
@require_POST
def member_active_view(request: HttpRequest, user_id: int) -> HttpResponse:
    member = _member(request, user_id)
    ctx = AuditContext.from_request(request)
    if request.POST.get("active") == "on":
        return _done(request, lambda: team.member_reactivate(member=member, ctx=ctx),
                     f"{member.email} can log in again.")
    return _done(request, lambda: team.member_deactivate(member=member, ctx=ctx),
                 f"{member.email} is deactivated; their API tokens are revoked.")


@require_http_methods(["GET", "POST"])
@declare(PUBLIC)
def accept_view(request: HttpRequest, token: str) -> HttpResponse:
    """The invited person chooses a password; the account is made and they are in."""
    invitation = invitation_by_token(token=token)
    if invitation is None:
        return render(request, "accounts/note.html", status=404, context={
            "title": "This invitation no longer works",
            "text": "It was accepted, revoked, or is more than a week old. Ask the practice's "
                    "owner to send it again."})
    shell = User(email=invitation.email)  # the validators compare the password with it
    form = AcceptForm(shell, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = team.invitation_accept(
                token=token, password=form.cleaned_data["new_password1"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                source_ip=request.META.get("REMOTE_ADDR"))
        except DomainError as exc:
            form.add_error(None, error_text(exc))
        else:
            auth.login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {invitation.practice.name}.")
            return redirect("core:home")
    return render(request, "accounts/password_form.html", {
        "form": form, "title": f"Join {invitation.practice.name}",
        "intro": f"As {Role(invitation.role).label.lower()}, with {invitation.email}. "
                 "Choose a password of at least 12 characters.",
        "button": "Accept and log in"})
