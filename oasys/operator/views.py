"""The operator console: every practice with its plan, users, last activity, storage and
status, and the actions on one (suspend, reactivate, export, delete). Thin: each action is
a service; the pages show counts, never client data."""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from oasys.core.audit import AuditContext
from oasys.core.errors import DomainError
from oasys.core.feedback import error_text
from oasys.core.models import Practice

from . import services
from .permissions import operator_required
from .selectors import practice_overview, practice_table_counts, practices_overview


@operator_required
@require_GET
def console(request: HttpRequest) -> HttpResponse:
    return render(request, "operator/console.html", {"rows": practices_overview()})


@operator_required
@require_GET
def practice_page(request: HttpRequest, practice_id: int) -> HttpResponse:
    practice = get_object_or_404(Practice, pk=practice_id)
    return render(request, "operator/practice.html", {
        "row": practice_overview(practice=practice),
        "tables": practice_table_counts(practice=practice),
        "grace_days": settings.PRACTICE_DELETE_GRACE_DAYS})


def _act(request: HttpRequest, practice_id: int, done: str, action) -> HttpResponse:
    practice = get_object_or_404(Practice, pk=practice_id)
    try:
        action(practice, AuditContext.from_request(request))
    except DomainError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done.format(name=practice.name))
    return redirect("operator:practice", practice_id=practice.pk)


@operator_required
@require_POST
def suspend(request: HttpRequest, practice_id: int) -> HttpResponse:
    return _act(request, practice_id, "{name} is suspended: its users cannot log in.",
                lambda p, ctx: services.practice_suspend(practice=p, ctx=ctx))


@operator_required
@require_POST
def reactivate(request: HttpRequest, practice_id: int) -> HttpResponse:
    return _act(request, practice_id, "{name} is active again.",
                lambda p, ctx: services.practice_reactivate(practice=p, ctx=ctx))


@operator_required
@require_POST
def delete(request: HttpRequest, practice_id: int) -> HttpResponse:
    return _act(request, practice_id,
                f"{{name}} will be deleted in {settings.PRACTICE_DELETE_GRACE_DAYS} days; "
                "until then it is suspended and the deletion can be cancelled.",
                lambda p, ctx: services.practice_delete_schedule(
                    practice=p, confirm_slug=request.POST.get("confirm_slug", ""), ctx=ctx))


@operator_required
@require_POST
def delete_cancel(request: HttpRequest, practice_id: int) -> HttpResponse:
    return _act(request, practice_id,
                "The deletion of {name} is cancelled; it stays suspended until reactivated.",
                lambda p, ctx: services.practice_delete_cancel(practice=p, ctx=ctx))


@operator_required
@require_POST
def export(request: HttpRequest, practice_id: int) -> HttpResponse:
    """The practice's data as a zip, built in a temporary file (gone once sent)."""
    practice = get_object_or_404(Practice, pk=practice_id)
    out = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it, which deletes it
    services.practice_export(practice=practice, out=out, ctx=AuditContext.from_request(request))
    out.seek(0)
    name = f"oasys-{practice.slug}-{timezone.localdate():%Y%m%d}.zip"
    response = FileResponse(out, as_attachment=True, filename=name,
                            content_type="application/zip")
    response.headers["Cache-Control"] = "no-store, private"  # it holds the practice's PHI
    return response
