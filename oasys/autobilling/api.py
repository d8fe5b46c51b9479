"""/api/v1/billing/auto-billing and /api/v1/billing/runs: the practice's auto-billing
setting, and its runs with their items, through the same services and selectors as the
Billing tab. Reading the setting is open to every role; changing it, starting a run and
reading runs (they name clients) are for the roles that bill."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from oasys.core.api import PageOut, paginate
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import InvalidInput, NotFound
from oasys.core.models import AuditAction
from oasys.core.money import money_str
from oasys.core.permissions import api_permission
from oasys.core.timezones import practice_zone

from .models import BillingRun
from .selectors import (
    autobilling_settings_get,
    billing_run_get,
    billing_run_item_list,
    billing_run_list,
    billing_run_summary,
    next_run_get,
)
from .services import autobilling_settings_update, billing_run_start

router = Router(tags=["auto-billing"])


class NextRunOut(Schema):
    at: dt.datetime
    counts: dict[str, int]


class SettingsOut(Schema):
    enabled: bool
    cutoff_hour: int
    backfill_from: dt.date | None
    time_zone: str
    next_run: NextRunOut | None


def _settings_out(request: HttpRequest) -> dict[str, Any]:
    conf = autobilling_settings_get(practice=request.practice)
    nxt = next_run_get(practice=request.practice)
    return {"enabled": conf.enabled, "cutoff_hour": conf.cutoff_hour,
            "backfill_from": conf.bill_from, "time_zone": str(practice_zone(request.practice)),
            "next_run": {"at": nxt.at, "counts": nxt.counts} if nxt else None}


def _json_object(request: HttpRequest) -> dict[str, Any]:
    """The body as a JSON object. Read by hand, not through a schema, because an absent
    `backfill_from` (keep it) and `"backfill_from": null` (backfill everything) differ."""
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise InvalidInput({"__all__": "The body must be a JSON object."}) from None
    if not isinstance(body, dict):
        raise InvalidInput({"__all__": "The body must be a JSON object."})
    return body


@router.get("/auto-billing", response=SettingsOut)
@api_permission("practice.view")
def autobilling_settings(request: HttpRequest):
    """The setting, the practice's time zone its cutoff hour is in, and the next run with
    how many items of each kind it would bill now (null while off)."""
    return _settings_out(request)


@router.put("/auto-billing", response=SettingsOut)
@api_permission("practice.settings")
def autobilling_settings_put(request: HttpRequest):
    """`{"enabled": bool, "cutoff_hour": 0..23, "backfill_from": "YYYY-MM-DD" | null}`;
    any key may be left out (kept). On turning it on, `backfill_from` null takes every
    unbilled Ready item, a date those since it, and leaving it out starts from today
    (`"backfill": "all" | "since" | "none"` says the same in words)."""
    autobilling_settings_update(practice=request.practice, data=_json_object(request),
                                ctx=AuditContext.from_request(request), actor=request.user)
    return _settings_out(request)


class KindSummaryOut(Schema):
    billed: int
    failed: int
    skipped: int
    pending: int
    total: str


class RunOut(Schema):
    id: int
    trigger: str
    local_date: dt.date
    as_of: dt.datetime
    phase: str
    done: bool
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    attempts: int
    last_error: str
    summary: dict[str, KindSummaryOut]


class RunListOut(PageOut):
    items: list[RunOut]


class RunItemOut(Schema):
    id: int
    kind: str
    subject: str
    outcome: str
    reason: str
    amount: str
    session_id: int | None
    client_id: int | None
    claim_id: int | None
    invoice_id: int | None


class RunEventOut(Schema):
    at: dt.datetime
    from_phase: str
    to_phase: str


class RunDetailOut(RunOut):
    items: list[RunItemOut]
    events: list[RunEventOut]


def _run_out(run: BillingRun) -> dict[str, Any]:
    return {"id": run.pk, "trigger": run.trigger, "local_date": run.local_date,
            "as_of": run.as_of, "phase": run.phase, "done": run.finished_at is not None,
            "started_at": run.started_at, "finished_at": run.finished_at,
            "attempts": run.attempts, "last_error": run.last_error,
            "summary": billing_run_summary(run=run)}


@router.get("/runs", response=RunListOut)
@api_permission("billing.work")
def billing_runs(request: HttpRequest, page: int = 1, page_size: int = 50):
    """The practice's runs, newest first, each with its counts and dollars per kind."""
    rows, meta = paginate(billing_run_list(practice=request.practice), page=page,
                          page_size=page_size, max_size=200)
    return {**meta, "items": [_run_out(r) for r in rows]}


@router.post("/runs", response={202: RunOut})
@api_permission("billing.work")
def billing_run_create(request: HttpRequest):
    """Run the practice's auto-billing now (409 while auto-billing is off). Answers the run,
    queued for a worker; poll `GET /runs/{id}` until `done`."""
    run = billing_run_start(practice=request.practice, ctx=AuditContext.from_request(request),
                            actor=request.user)
    run.refresh_from_db()  # a worker may have taken it already (eager in tests)
    return 202, _run_out(run)


@router.get("/runs/{run_id}", response=RunDetailOut)
@api_permission("billing.work")
def billing_run(request: HttpRequest, run_id: int):
    """One run with every item (its outcome, the reason of a failure or skip, what it
    became) and its phase changes."""
    try:
        run = billing_run_get(practice=request.practice, run_id=run_id)
    except BillingRun.DoesNotExist:
        raise NotFound("No such run.") from None
    items = list(billing_run_item_list(run=run))
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="billing_run", object_type="BillingRun", object_id=run.pk,
                 detail={"items": len(items)})
    return {**_run_out(run), "items": [
        {"id": i.pk, "kind": i.kind, "subject": i.subject, "outcome": i.outcome,
         "reason": i.reason, "amount": money_str(i.amount), "session_id": i.appointment_id,
         "client_id": i.client_id, "claim_id": i.claim_id, "invoice_id": i.invoice_id}
        for i in items],
        "events": [{"at": e.created_at, "from_phase": e.from_status, "to_phase": e.to_status}
                   for e in run.events.order_by("pk")]}
