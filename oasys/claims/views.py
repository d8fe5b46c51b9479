"""Billing → Manage Claims: every claim, the Submitted / Secondary / Denied sub-tabs, and a
claim's own page with its lines, money and history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from oasys.clearinghouse.port import ClearinghouseError
from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.errors import DomainError
from oasys.core.feedback import form_add_errors, refusals_as_messages
from oasys.core.models import AuditAction
from oasys.core.permissions import has_permission, practice_required
from oasys.ledger.selectors import claim_figures

from . import actions, replacement
from .forms import AppealForm, ReplacementForm, WriteOffForm
from .letters import appeal_letter_pdf
from .machine import CLAIM_MACHINE
from .payer_said import claim_era_files, claim_payer_said
from .secondary import claim_secondary_bill
from .selectors import (
    claim_age_days,
    claim_counts,
    claim_denial_summary,
    claim_list,
    claim_notice_unmatched_count,
    claim_notice_unmatched_list,
    claim_replacement_draft_get,
    filing_deadline,
    is_aging,
)
from .status import MEANINGS, ClaimStatus

TABS = [("all", "All claims"), ("submitted", "Submitted"), ("secondary", "Secondary"),
        ("denied", "Denied")]


@practice_required("billing.work")
def claims(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab", "all")
    if tab not in dict(TABS):
        tab = "all"
    status = request.GET.get("status", "")
    if status not in ClaimStatus.values:
        status = ""
    qs = claim_list(practice=request.practice, tab=tab, status=status,
                    query=request.GET.get("q", "").strip())
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    rows = [{"claim": c, "age": claim_age_days(c), "aging": is_aging(c),
             "deadline": filing_deadline(c),
             "denial": claim_denial_summary(c) if tab == "denied" else None} for c in page]
    audit_list_read(request, category="claim", client_ids=[c.client_id for c in page],
                    detail={"list": tab, "total": page.paginator.count})
    return render(request, "claims/list.html", {
        "tab": tab, "tabs": TABS, "rows": rows, "page": page, "status": status,
        "statuses": ClaimStatus.choices, "counts": claim_counts(practice=request.practice),
        "meanings": MEANINGS,
        "unmatched": claim_notice_unmatched_count(practice=request.practice),
    })


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
