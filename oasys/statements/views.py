"""A client's page → Statement: choose the period, then download the PDF or email it to the
client. And Billing → Statement settings (the monthly statement run)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from oasys.clients.selectors import client_list
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import DomainError
from oasys.core.feedback import error_text
from oasys.core.models import AuditAction
from oasys.core.permissions import practice_required
from oasys.core.timezones import practice_today

from .pdf_views import statement_pdf_response
from .selectors import previous_month, statement_build, statement_settings_get
from .services import statement_send, statement_settings_update


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict:
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] > data["end"]:
            self.add_error("end", "The period ends before it starts.")
        return data


@practice_required("billing.work")
def client_statement(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the period form (last month by default) with the statement's figures for it;
    POST action=download answers the PDF, action=email emails it to the client."""
    client = get_object_or_404(client_list(practice=request.practice)
                               .select_related("practice"), pk=pk)
    start, end = previous_month(practice_today(request.practice))
    form = PeriodForm(request.POST or request.GET or None,
                      initial={"start": start, "end": end})
    if form.is_bound and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    status = 422 if form.is_bound and form.errors else 200
    if request.method == "POST" and not form.errors:
        ctx = AuditContext.from_request(request)
        if request.POST.get("action") == "download":
            return statement_pdf_response(practice=request.practice, client=client,
                                          period_start=start, period_end=end, ctx=ctx)
        try:
            email = statement_send(practice=request.practice, client=client,
                                   period_start=start, period_end=end, ctx=ctx,
                                   actor=request.user)
        except DomainError as exc:
            messages.error(request, error_text(exc))
            status = 422
        else:
            messages.success(request, f"Statement emailed to {email.to}.")
            return redirect("statements:client", pk=client.pk)
    # the page shows the client and their figures: a read of their data
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="statement", client_id=client.pk, object_type="Client",
                 object_id=client.pk)
    statement = statement_build(practice=request.practice, client=client,
                                period_start=start,
                                period_end=end)
    return render(request, "statements/client.html", {
        "client": client, "form": form, "statement": statement,
    }, status=status)


class SettingsForm(forms.Form):
    monthly_run = forms.BooleanField(
        required=False, label="Email monthly statements",
        help_text="In the first days of each month, every client with a balance due is "
                  "emailed a statement of the previous month (once per client per month).")


@practice_required("billing.work")
def statement_settings(request: HttpRequest) -> HttpResponse:
    current = statement_settings_get(practice=request.practice)
    form = SettingsForm(request.POST or None, initial={"monthly_run": current.monthly_run})
    if request.method == "POST" and form.is_valid():
        try:
            statement_settings_update(practice=request.practice, data=form.cleaned_data,
                                      ctx=AuditContext.from_request(request),
                                      actor=request.user)
        except DomainError as exc:
            messages.error(request, error_text(exc))
        else:
            messages.success(request, "Statement settings saved.")
            return redirect("statements:settings")
    return render(request, "statements/settings.html", {"form": form, "current": current})
