"""Settings → Audit log: the practice's audit events for its owner, newest first, filtered by
client, user and dates, with a CSV of the filtered rows. Rows hold ids, never PHI, so the
page shows client ids (the client's page links here filtered to them). Reading the log is
itself audited."""

from __future__ import annotations

import csv
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .audit import AuditContext, audit_record
from .models import AuditAction, AuditEvent, User
from .permissions import practice_required
from .selectors import audit_event_list

PAGE_SIZE = 50
CSV_COLUMNS = ("occurred_at", "user_email", "action", "category", "outcome", "client_id",
               "client_ids", "object_type", "object_id", "source_ip", "chain", "seq")


class AuditFilterForm(forms.Form):
    client = forms.IntegerField(label="Client id", required=False, min_value=1,
                                max_value=2**63 - 1)
    user = forms.TypedChoiceField(label="User", required=False, coerce=int, empty_value=None)
    date_from = forms.DateField(label="From", required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, users: list[User], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "Anyone")] + [(u.pk, u.email) for u in users]

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


def _filtered(request: HttpRequest) -> tuple[AuditFilterForm, Any, dict]:
    """The form, the filtered rows (none when the filters are invalid) and the filters in
    ids and dates (what the read row records)."""
    users = list(User.objects.filter(practice=request.practice).order_by("email"))
    form = AuditFilterForm(request.GET or None, users=users)
    if request.GET and not form.is_valid():
        return form, AuditEvent.objects.none(), {"invalid": True}
    data = form.cleaned_data if request.GET else {}
    filters = {"client_id": data.get("client"), "user_id": data.get("user"),
               "date_from": data.get("date_from"), "date_to": data.get("date_to")}
    rows = audit_event_list(practice=request.practice, **filters)
    recorded = {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                for k, v in filters.items() if v is not None}
    return form, rows, recorded


def _audit_log_read(request: HttpRequest, *, action: str, filters: dict, count: int) -> None:
    audit_record(ctx=AuditContext.from_request(request), action=action, category="audit_log",
                 client_id=filters.get("client_id"), detail={**filters, "count": count})


@practice_required("audit.view")
def audit_log(request: HttpRequest) -> HttpResponse:
    form, rows, filters = _filtered(request)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    _audit_log_read(request, action=AuditAction.READ, filters=filters, count=len(page))
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "core/audit_log.html", {
        "form": form, "page": page, "querystring": params.urlencode(),
    })


@practice_required("audit.view")
def audit_log_export(request: HttpRequest) -> HttpResponse:
    _form, rows, filters = _filtered(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for e in rows.iterator(2000):
        ids = (e.detail or {}).get("client_ids") or []
        writer.writerow([e.occurred_at.isoformat(), e.user_email, e.action, e.category,
                         e.outcome, e.client_id_ref or "", " ".join(str(i) for i in ids),
                         e.object_type, e.object_id, e.source_ip or "", e.chain, e.seq])
        count += 1
    _audit_log_read(request, action=AuditAction.EXPORT, filters=filters, count=count)
    return response
