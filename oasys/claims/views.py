"""Billing → Manage Claims: every claim, the Submitted / Secondary / Denied sub-tabs, and a
claim's own page with its lines, money and history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from oasys.clearinghouse.port import ClearinghouseError
from oasys.clients.phi import picker_client_ids
from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.csv_export import csv_date, csv_money, csv_response, csv_text
from oasys.core.errors import DomainError
from oasys.core.feedback import form_add_errors, refusals_as_messages
from oasys.core.formats import payer_name_text
from oasys.core.models import AuditAction
from oasys.core.permissions import has_permission, practice_required
from oasys.core.timezones import practice_date, practice_today
from oasys.ledger.selectors import claim_figures

from . import actions, replacement
from .forms import AppealForm, ClaimFilterForm, ReplacementForm, SavedFilterForm, WriteOffForm
from .letters import appeal_letter_pdf
from .machine import CLAIM_MACHINE
from .payer_said import claim_era_files, claim_payer_said
from .secondary import claim_secondary_bill
from .selectors import (
    AGING_DAYS,
    claim_age_days,
    claim_counts,
    claim_denial_summary,
    claim_list,
    claim_notice_unmatched_count,
    claim_notice_unmatched_list,
    claim_replacement_draft_get,
    claim_status_words,
    claim_totals,
    filing_deadline,
    is_aging,
    saved_filter_list,
)
from .services import saved_filter_create, saved_filter_delete
from .status import IN_FLIGHT, MEANINGS

TABS = [("all", "All claims"), ("submitted", "Submitted"), ("secondary", "Secondary"),
        ("denied", "Denied")]


PAGE_SIZE = 50
# the "in flight over 30 days" badge opens the list filtered to exactly those claims
AGING_QUERY = "&".join([*(f"status={s}" for s in sorted(IN_FLIGHT)), f"age_min={AGING_DAYS}"])
EXPORT_CHUNK = 500


def _list_filters(request: HttpRequest) -> tuple[str, ClaimFilterForm, dict | None]:
    """The tab, the filter form and the selector's arguments (None when a filter is bad:
    the list then shows the errors and no rows, never a list that ignored the filter)."""
    tab = request.GET.get("tab", "all")
    if tab not in dict(TABS):
        tab = "all"
    form = ClaimFilterForm(request.GET, practice=request.practice)
    if not form.is_valid():
        return tab, form, None
    return tab, form, {"tab": tab, "query": request.GET.get("q", "").strip(), **form.filters()}


def filter_query(form: ClaimFilterForm, tab: str) -> str:
    """The validated filters as the list's query string (ids and dates only: what a saved
    filter keeps and what its chip links to)."""
    params = QueryDict(mutable=True)
    if tab != "all":
        params["tab"] = tab
    for name in ClaimFilterForm.FIELDS:
        value = form.cleaned_data.get(name)
        if name == "status":
            params.setlist("status", list(value or []))
        elif hasattr(value, "pk"):
            params[name] = str(value.pk)
        elif value not in (None, ""):
            params[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return params.urlencode()


@require_GET
@practice_required("billing.work")
def claims(request: HttpRequest) -> HttpResponse:
    tab, form, filters = _list_filters(request)
    qs = claim_list(practice=request.practice, **filters) if filters is not None else (
        claim_list(practice=request.practice).none())
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    claims_shown = list(page)
    words = claim_status_words(claims=claims_shown)
    rows = [{"claim": c, "age": claim_age_days(c), "aging": is_aging(c),
             "deadline": filing_deadline(c), "status_words": words[c.pk],
             "denial": claim_denial_summary(c) if tab == "denied" else None}
            for c in claims_shown]
    audit_list_read(request, category="claim",
                    client_ids=[c.client_id for c in claims_shown] + picker_client_ids(form),
                    detail={"list": tab, "total": page.paginator.count})
    query = filter_query(form, tab) if filters is not None else ""
    return render(request, "claims/list.html", {
        "tab": tab, "tabs": TABS, "rows": rows, "page": page, "form": form,
        "bad_filters": filters is None,
        "filtered": filters is not None and any(
            v for k, v in filters.items() if k not in ("tab", "query")),
        "totals": claim_totals(claims=qs) if filters is not None else None,
        "counts": claim_counts(practice=request.practice),
        "meanings": MEANINGS, "filter_query": query, "aging_query": AGING_QUERY,
        "saved_filters": saved_filter_list(practice=request.practice, user=request.user),
        "save_form": SavedFilterForm(),
        "unmatched": claim_notice_unmatched_count(practice=request.practice),
    })


CSV_HEADER = ["claim", "date_of_service", "client", "payer", "clinician", "status",
              "charge", "paid", "client_share", "submitted", "age_days", "payer_claim_number"]


@require_GET
@practice_required("billing.work")
def claims_export(request: HttpRequest) -> HttpResponse:
    """The list as filtered (tab included), every page, as a streamed CSV."""
    tab, form, filters = _list_filters(request)
    if filters is None:
        return HttpResponseBadRequest(
            "Not exported: " + "; ".join(f"{k}: {v}"
                                         for k, v in form.error_dict().items()),
            content_type="text/plain; charset=utf-8")
    qs = claim_list(practice=request.practice, **filters)
    if not qs.ordered:
        qs = qs.order_by("-created_at", "-pk")
    client_ids = sorted(set(qs.order_by().values_list("client_id", flat=True).distinct()))
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.EXPORT,
                 category="claim", client_id=client_ids[0] if len(client_ids) == 1 else None,
                 detail={"export": "csv", "list": tab, "filters": filter_query(form, tab),
                         "count": qs.count(), "client_ids": client_ids})
    today = practice_today(request.practice)
    return csv_response(filename=f"claims-{today}.csv", header=CSV_HEADER,
                        rows=_claim_csv_rows(qs))


def _claim_csv_rows(qs):
    # a chunk at a time: each chunk's status words in two queries, never a query per row
    chunk: list = []
    for claim in qs.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(claim)
        if len(chunk) == EXPORT_CHUNK:
            yield from _claim_csv_chunk(chunk)
            chunk = []
    yield from _claim_csv_chunk(chunk)


def _claim_csv_chunk(chunk: list):
    words = claim_status_words(claims=chunk)
    for c in chunk:
        age = claim_age_days(c)
        yield [csv_text(c.patient_control_number), csv_date(c.service_date),
               csv_text(f"{c.client.last_name}, {c.client.first_name}"),
               csv_text(payer_name_text(c.payer.name)), csv_text(str(c.clinician)),
               words[c.pk], csv_money(c.total_charge), csv_money(c.paid_amount),
               csv_money(c.patient_responsibility),
               csv_date(practice_date(c.submitted_at, c.practice) if c.submitted_at else None),
               "" if age is None else str(age), csv_text(c.payer_claim_number)]


@require_POST
@practice_required("billing.work")
def saved_filter_save(request: HttpRequest) -> HttpResponse:
    """Save the filters the list shows now (re-validated here: a tampered query saves
    nothing) under a name, then come back to the list with them."""
    form = ClaimFilterForm(QueryDict(request.POST.get("query", "")), practice=request.practice)
    name_form = SavedFilterForm(request.POST)
    tab = QueryDict(request.POST.get("query", "")).get("tab", "all")
    tab = tab if tab in dict(TABS) else "all"
    if not form.is_valid():
        messages.error(request, "Not saved: the filters are not valid. Fix them first.")
        return redirect("claims:list")
    query = filter_query(form, tab)
    if not name_form.is_valid():
        messages.error(request, "Not saved: " + " ".join(name_form.errors["name"]))
        return redirect(reverse("claims:list") + (f"?{query}" if query else ""))
    try:
        saved_filter_create(practice=request.practice, user=request.user,
                            name=name_form.cleaned_data["name"], query=query,
                            ctx=AuditContext.from_request(request))
    except ValidationError as exc:
        messages.error(request, "Not saved: " + " ".join(exc.messages))
    else:
        messages.success(request, f"Saved the filter \u201c{name_form.cleaned_data['name']}\u201d.")
    return redirect(reverse("claims:list") + (f"?{query}" if query else ""))


@require_POST
@practice_required("billing.work")
def saved_filter_remove(request: HttpRequest, pk: int) -> HttpResponse:
    saved = get_object_or_404(saved_filter_list(practice=request.practice, user=request.user),
                              pk=pk)
    saved_filter_delete(saved=saved, ctx=AuditContext.from_request(request))
    messages.success(request, f"Removed the saved filter \u201c{saved.name}\u201d.")
    return redirect("claims:list")


@practice_required("billing.work")
def unmatched(request: HttpRequest) -> HttpResponse:
    """Statements from 999/277 files about claims we could not match: kept, never dropped."""
    notices = claim_notice_unmatched_list(practice=request.practice)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="claim", detail={"list": "unmatched", "count": len(notices)})
    return render(request, "claims/unmatched.html", {"notices": notices})


@practice_required("billing.work")
def claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claim_list(practice=request.practice), pk=pk)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="claim", client_id=claim.client_id, object_type="Claim",
                 object_id=claim.pk)
    return render(request, "claims/detail.html", {
        "claim": claim,
        "figures": claim_figures(practice=request.practice, claim=claim),
        "lines": claim.lines.all(),
        "events": claim.events.select_related("actor"),
        "notices": claim.notices.select_related("edi_file"),
        "appeals": claim.appeals.all(),
        "corrections": claim.corrections.all(),
        "files": _claim_files(claim),
        "payer_said": claim_payer_said(claim=claim),
        "meaning": MEANINGS.get(claim.status, ""),
        "age": claim_age_days(claim),
        "aging": is_aging(claim),
        "deadline": filing_deadline(claim),
        "denial": claim_denial_summary(claim),
        "can_bill": has_permission(request.user, "billing.work"),
        # What this claim can do now, from the claim machine (one list for page and API).
        "actions": CLAIM_MACHINE.allowed_action_names(claim),
        "draft_replacement": claim_replacement_draft_get(original=claim),
        "attachments": [replacement.attachment_text(a) for a in claim.attachments or []],
        # a replacement not yet sent is reviewed and sent from its original's page
        "in_review": claim.corrects_id and claim_replacement_draft_get(
            original=claim.corrects) == claim,
        "appeal_form": AppealForm(),
        "write_off_form": WriteOffForm(),
    })


def _claim_files(claim) -> list[dict]:
    """The claim's EDI files, oldest first: its 837P, the 999/277s about it and the 835s
    that paid, denied or reversed it ({file, remittance_id}; an ERA links to its page)."""
    files = []
    if claim.submission_id:
        files.append({"file": claim.submission.edi_file, "remittance_id": None})
    files += [{"file": n.edi_file, "remittance_id": None}
              for n in claim.notices.select_related("edi_file")]
    files += [{"file": e["edi_file"], "remittance_id": e["remittance_id"]}
              for e in claim_era_files(claim=claim)]
    seen, out = set(), []
    for f in sorted(files, key=lambda f: (f["file"].received_at, f["file"].pk)):
        if f["file"].pk not in seen:
            seen.add(f["file"].pk)
            out.append(f)
    return out


ACTIONS = {
    "resubmit": (actions.claim_resubmit, "Corrected and resubmitted."),
    "void": (actions.claim_void, "Void sent to the payer."),
    "secondary": (claim_secondary_bill, "Secondary claim sent."),
}


@require_POST
@practice_required("billing.work")
def claim_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    claim = get_object_or_404(claim_list(practice=request.practice), pk=pk)
    ctx = AuditContext.from_request(request)
    if action == "inquire":
        try:
            words = actions.claim_status_inquire(claim=claim, ctx=ctx)
        except ClearinghouseError as exc:
            messages.error(request, f"The payer could not be asked: {exc.message}")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"The payer says: {words}")
        return redirect("claims:detail", pk=claim.pk)
    if action in ("replace", "send_info"):
        return redirect("claims:replacement", pk=claim.pk)  # reviewed before it goes
    if action not in ACTIONS:
        return redirect("claims:detail", pk=claim.pk)
    service, done = ACTIONS[action]
    with refusals_as_messages(request) as ran:
        outcome = service(claim=claim, ctx=ctx, actor=request.user)
    if ran:
        if outcome.error:
            messages.error(request, f"Not sent: {outcome.error}")
        else:
            messages.success(request, done)
    return redirect("claims:detail", pk=claim.pk)


@require_http_methods(["GET", "POST"])
@practice_required("billing.work")
def claim_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claim_list(practice=request.practice), pk=pk)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appeal = actions.claim_appeal(
                claim=claim, ctx=AuditContext.from_request(request), actor=request.user,
                data=actions.AppealInput(**form.cleaned_data))
        except (DomainError, ValidationError) as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, "Appeal recorded; the claim is In Review again. "
                                      "Print the letter and send it with the records.")
            return redirect("claims:appeal_letter", pk=claim.pk, appeal_pk=appeal.pk)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="claim", client_id=claim.client_id, object_type="Claim",
                 object_id=claim.pk, detail={"page": "appeal"})
    return render(request, "claims/appeal.html", {"claim": claim, "form": form,
                                                  "denial": claim_denial_summary(claim)})


@practice_required("billing.work")
def appeal_letter(request: HttpRequest, pk: int, appeal_pk: int) -> HttpResponse:
    claim = get_object_or_404(claim_list(practice=request.practice), pk=pk)
    appeal = get_object_or_404(claim.appeals.all(), pk=appeal_pk)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.EXPORT,
                 category="claim", client_id=claim.client_id, object_type="Appeal",
                 object_id=appeal.pk)
    response = HttpResponse(appeal_letter_pdf(appeal=appeal), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="appeal-{claim.patient_control_number}.pdf"')
    return response


@require_POST
@practice_required("billing.work")
def claim_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claim_list(practice=request.practice), pk=pk)
    form = WriteOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why this claim is written off.")
        return redirect("claims:detail", pk=claim.pk)
    with refusals_as_messages(request) as ran:
        amount = actions.claim_write_off(claim=claim, reason=form.cleaned_data["reason"],
                                         ctx=AuditContext.from_request(request),
                                         actor=request.user)
    if ran:
        messages.success(request, f"Wrote off ${amount}; the claim is closed.")
    return redirect("claims:detail", pk=claim.pk)


# --- replacement claims: edit, review what changed, confirm (replacement.py) ----------------
def _replacement_form(request: HttpRequest, original, draft) -> ReplacementForm:
    source = draft or original  # the edits so far, or what the payer has
    lines = list(source.lines.all())
    initial = {"diagnoses": ", ".join(source.diagnosis_codes),
               "service_date": source.service_date,
               "prior_authorization": source.prior_authorization, "note": source.note}
    for ln in lines:
        initial.update({f"line_{ln.line_number}_procedure_code": ln.procedure_code,
                        f"line_{ln.line_number}_modifiers": ", ".join(ln.modifiers),
                        f"line_{ln.line_number}_units": f"{ln.units.normalize():f}",
                        f"line_{ln.line_number}_charge": f"{ln.charge:.2f}"})
    attachments = list(source.attachments or [])
    for n, a in enumerate(attachments, start=1):
        initial.update({f"attachment_{n}_{k}": a.get(k, "") for k in
                        ("report_type", "transmission", "control_number")})
    rows = min(len(attachments) + 1, replacement.MAX_ATTACHMENTS)
    if request.method == "POST":  # as many rows as the page sent
        sent = [k for k in request.POST if k.startswith("attachment_")
                and k.endswith("_report_type")]
        rows = min(max(rows, len(sent)), replacement.MAX_ATTACHMENTS)
    return ReplacementForm(request.POST or None, initial=initial,
                           line_numbers=[ln.line_number for ln in lines], attachment_rows=rows,
                           attachment_types=replacement.ATTACHMENT_TYPES,
                           transmissions=replacement.ATTACHMENT_TRANSMISSIONS)


def _edits_from(form: ReplacementForm) -> replacement.ReplacementEdits:
    d = form.cleaned_data
    return replacement.ReplacementEdits(
        diagnoses=d["diagnoses"], service_date=d["service_date"],
        prior_authorization=d["prior_authorization"], note=d["note"],
        lines=[replacement.LineEdit(n, d[f"line_{n}_procedure_code"],
                                    d[f"line_{n}_modifiers"], d[f"line_{n}_units"],
                                    d[f"line_{n}_charge"]) for n in form.line_numbers],
        attachments=[replacement.AttachmentEdit(d[f"attachment_{n}_report_type"],
                                                d[f"attachment_{n}_transmission"],
                                                d[f"attachment_{n}_control_number"])
                     for n in form.attachment_numbers])


def _replacement_context(request: HttpRequest, original) -> dict:
    purpose = replacement.replacement_purpose(original)
    return {"claim": original, "purpose": purpose,
            "title": CLAIM_MACHINE.actions[purpose].label,
            "denial": claim_denial_summary(original), "meaning": MEANINGS.get(original.status)}


@require_http_methods(["GET", "POST"])
@practice_required("billing.work")
def claim_replacement(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the corrected claim. Saving stores the edits on the replacement (a Draft claim
    correcting this one) and shows what changed; nothing is sent from here."""
    original = get_object_or_404(claim_list(practice=request.practice), pk=pk)
    purpose = replacement.replacement_purpose(original)
    if not CLAIM_MACHINE.allows(original, purpose):
        messages.error(request, CLAIM_MACHINE.actions[purpose].refusal.format(
            status=original.get_status_display()))
        return redirect("claims:detail", pk=original.pk)
    draft = claim_replacement_draft_get(original=original)
    form = _replacement_form(request, original, draft)
    ctx = AuditContext.from_request(request)
    if request.method == "POST" and form.is_valid():
        try:
            replacement.claim_replacement_save(original=original, edits=_edits_from(form),
                                               ctx=ctx, actor=request.user)
        except (DomainError, ValidationError) as exc:
            form_add_errors(form, exc)
        else:
            return redirect("claims:replacement_review", pk=original.pk)
    audit_record(ctx=ctx, action=AuditAction.READ, category="claim",
                 client_id=original.client_id, object_type="Claim", object_id=original.pk,
                 detail={"page": "replacement"})
    return render(request, "claims/replacement.html", {
        **_replacement_context(request, original), "form": form, "draft": draft})


@require_http_methods(["GET", "POST"])
@practice_required("billing.work")
def claim_replacement_review(request: HttpRequest, pk: int) -> HttpResponse:
    """What the replacement changes against the original ("was → now"), and the one button
    that sends it."""
    original = get_object_or_404(claim_list(practice=request.practice), pk=pk)
    draft = claim_replacement_draft_get(original=original)
    if draft is None:  # nothing corrected yet (or already sent: the edit page says so)
        return redirect("claims:replacement", pk=original.pk)
    ctx = AuditContext.from_request(request)
    if request.method == "POST":
        with refusals_as_messages(request) as ran:
            outcome = replacement.claim_replacement_send(original=original, ctx=ctx,
                                                         actor=request.user)
        if ran:
            if outcome.error:
                messages.error(request, f"Not sent: {outcome.error}")
                return redirect("claims:replacement", pk=original.pk)
            sent = outcome.submitted[0]
            messages.success(request, f"Replacement {sent.patient_control_number} sent "
                                      f"(frequency 7, citing payer claim "
                                      f"{original.payer_claim_number}); this claim is "
                                      f"closed.")
            return redirect("claims:detail", pk=sent.pk)
        return redirect("claims:replacement_review", pk=original.pk)
    audit_record(ctx=ctx, action=AuditAction.READ, category="claim",
                 client_id=original.client_id, object_type="Claim", object_id=original.pk,
                 detail={"page": "replacement review", "replacement": draft.pk})
    return render(request, "claims/replacement_review.html", {
        **_replacement_context(request, original), "draft": draft,
        "changes": replacement.replacement_changes(original=original, replacement=draft),
        "nothing_changed": replacement.NOTHING_CHANGED,
        "attachments": [replacement.attachment_text(a) for a in draft.attachments or []],
    })
