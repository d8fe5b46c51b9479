"""Auto-billing screens: the setting (Billing → Setup → Auto-billing), the line on Bill
Sessions saying when the next run is and what it takes (an htmx partial: counting the
candidates can be slow on a big practice, and the queue must not wait for it), the history
of runs, a run's page (polling itself while the run is going), and Run now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.core.audit import AuditContext, audit_list_read
from oasys.core.errors import DomainError, InvalidInput
from oasys.core.feedback import error_text, form_add_errors
from oasys.core.money import dollars_text
from oasys.core.permissions import has_permission, practice_required
from oasys.core.timezones import practice_zone

from . import selectors, services, words
from .forms import AutoBillingSettingsForm
from .models import BillingRun, BillingRunItem, ItemKind, ItemOutcome, RunPhase

PAGE_SIZE = 25
# A group of items longer than this starts folded (a night's Billed list can be long).
FOLD_AFTER = 25
# A run's page shows its items in this order: what needs a person first.
OUTCOME_ORDER = (ItemOutcome.FAILED, ItemOutcome.SKIPPED, ItemOutcome.PENDING,
                 ItemOutcome.BILLED)
KIND_ORDER = tuple(words.KIND_NOUNS)


def _now() -> dt.datetime:
    return timezone.now()  # a seam: tests set the clock the next run is seen from


def _can_bill(request: HttpRequest) -> bool:
    return has_permission(request.user, "practice.settings")


@require_http_methods(["GET", "POST"])
@practice_required("practice.settings")
def autobilling_settings(request: HttpRequest) -> HttpResponse:
    current = selectors.autobilling_settings_get(practice=request.practice)
    form = AutoBillingSettingsForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            row = services.autobilling_settings_update(
                practice=request.practice, data=form.service_data(),
                ctx=AuditContext.from_request(request), actor=request.user)
        except InvalidInput as exc:
            form_add_errors(form, exc)
        else:
            if row.enabled:
                messages.success(request, "Auto-billing is on: Ready items are billed every "
                                          f"night at {words.hour_label(row.cutoff_hour)}.")
            else:
                messages.success(request, "Auto-billing is off. Bill Ready sessions from "
                                          "Bill Sessions when you choose.")
            return redirect("autobilling:settings")
    return render(request, "autobilling/settings.html", {
        "section": "autobilling", "can_edit": True, "form": form, "current": current,
        "zone": practice_zone(request.practice).key,
        "cutoff_label": words.hour_label(current.cutoff_hour),
    })


@require_GET
@practice_required("practice.view")
def setup_card(request: HttpRequest) -> HttpResponse:
    """The Auto-billing card of the Setup overview (loaded by htmx: practice is below us)."""
    current = selectors.autobilling_settings_get(practice=request.practice)
    return render(request, "autobilling/_setup_card.html", {
        "current": current, "cutoff_label": words.hour_label(current.cutoff_hour),
        "zone": practice_zone(request.practice).key, "can_edit": _can_bill(request)})


@require_GET
@practice_required("practice.view")
def next_run(request: HttpRequest) -> HttpResponse:
    """The line on Bill Sessions: when the next run is and what it would bill now."""
    now = _now()
    found = selectors.next_run_get(practice=request.practice, now=now)
    sentence = ""
    if found is not None:
        sentence = words.next_run_sentence(found.at, found.counts, now=now,
                                           zone=practice_zone(request.practice))
    return render(request, "autobilling/_next_run.html", {
        "next_run": found, "sentence": sentence, "can_bill": _can_bill(request)})


@require_GET
@practice_required("billing.work")
def history(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.billing_run_list(practice=request.practice).select_related(
        "created_by"), PAGE_SIZE).get_page(request.GET.get("page"))
    runs = list(page.object_list)
    totals = selectors.billing_run_totals(practice=request.practice,
                                          run_ids=[r.pk for r in runs])
    conf = selectors.autobilling_settings_get(practice=request.practice)
    return render(request, "autobilling/history.html", {
        "page": page, "rows": [_run_row(run, totals[run.pk]) for run in runs],
        "kinds": [(k, ItemKind(k).label) for k in KIND_ORDER], "enabled": conf.enabled,
        "can_bill": True,
    })


def _run_row(run: BillingRun, totals: selectors.RunTotals) -> dict:
    return {"run": run, "totals": totals, "done": run.phase == RunPhase.DONE,
            "kinds": [{"items": totals.kinds[k].items, "billed": totals.kinds[k].billed,
                       "amount": dollars_text(totals.kinds[k].amount)} for k in KIND_ORDER]}


@dataclass(frozen=True)
class ItemRow:
    item: BillingRunItem
    kind_label: str
    fix_label: str = ""
    fix_url: str = ""


def _fix_link(item: BillingRunItem) -> tuple[str, str]:
    """Where a person fixes what stopped this item: what it became if anything, else the
    session, else the client."""
    if item.invoice_id:
        return "Open the invoice", reverse("invoices:detail", args=[item.invoice_id])
    if item.claim_id:
        return "Open the claim", reverse("claims:detail", args=[item.claim_id])
    if item.appointment_id:
        return "Open the session", reverse("appointments:detail", args=[item.appointment_id])
    if item.client_id:
        return "Open the client", reverse("clients:detail", args=[item.client_id])
    return "", ""


def _run_context(request: HttpRequest, run: BillingRun) -> dict:
    items = list(selectors.billing_run_item_list(run=run))
    groups = []
    for outcome in OUTCOME_ORDER:
        rows = []
        for item in (i for i in items if i.outcome == outcome):
            needs_fix = outcome in (ItemOutcome.FAILED, ItemOutcome.SKIPPED)
            label, url = _fix_link(item) if needs_fix else ("", "")
            rows.append(ItemRow(item=item, kind_label=ItemKind(item.kind).label,
                                fix_label=label, fix_url=url))
        if rows:
            groups.append({"outcome": outcome, "label": ItemOutcome(outcome).label,
                           "rows": rows, "open": outcome != ItemOutcome.BILLED
                           or len(rows) <= FOLD_AFTER})
    if items:  # the page names clients: record whose
        audit_list_read(request, category="billing_run",
                        client_ids=[i.client_id for i in items],
                        detail={"run": run.pk})
    totals = selectors.billing_run_totals(practice=request.practice, run_ids=[run.pk])[run.pk]
    return {"run": run, "done": run.phase == RunPhase.DONE, "groups": groups,
            "row": _run_row(run, totals), "totals": totals,
            "kinds": [(k, ItemKind(k).label) for k in KIND_ORDER],
            "events": [(e, _phase(e.from_status), _phase(e.to_status))
                       for e in selectors.billing_run_event_list(run=run)]}


def _phase(code: str) -> str:
    return RunPhase(code).label if code in RunPhase.values else (code or "—")


def _run_or_404(request: HttpRequest, pk: int) -> BillingRun:
    try:
        return selectors.billing_run_get(practice=request.practice, run_id=pk)
    except BillingRun.DoesNotExist:
        raise Http404("No such run") from None


@require_GET
@practice_required("billing.work")
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run_or_404(request, pk)
    return render(request, "autobilling/run_detail.html", _run_context(request, run))


@require_GET
@practice_required("billing.work")
def run_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's body alone, which its page polls until the run is done."""
    run = _run_or_404(request, pk)
    return render(request, "autobilling/_run.html", _run_context(request, run))


@require_POST
@practice_required("billing.work")
def run_now(request: HttpRequest) -> HttpResponse:
    try:
        run = services.billing_run_start(practice=request.practice,
                                         ctx=AuditContext.from_request(request),
                                         actor=request.user)
    except DomainError as exc:
        messages.error(request, error_text(exc))
        return redirect("autobilling:history")
    messages.success(request, "Auto-billing run started.")
    return redirect("autobilling:run", pk=run.pk)
