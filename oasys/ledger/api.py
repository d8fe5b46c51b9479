"""/api/v1/ledger: the aging report and a client's balance (amounts as strings)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router
from ninja.errors import HttpError

from oasys.clients.selectors import client_list
from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.models import AuditAction
from oasys.core.money import money_str
from oasys.core.permissions import api_permission

from .selectors import ar_aging, client_balances

router = Router(tags=["ledger"])


@router.get("/aging")
@api_permission("billing.work")
def aging(request: HttpRequest):
    report = ar_aging(practice=request.practice)
    audit_list_read(request, category="ledger", client_ids=[r.client_id for r in report.rows],
                    detail={"report": "aging"})
    return {
        "today": report.today.isoformat(),
        "buckets": list(report.buckets),
        "insurance": {b: money_str(v) for b, v in report.insurance.items()},
        "client": {b: money_str(v) for b, v in report.client.items()},
        # the grand-total row: insurance and client together, per bucket, and in all
        "total": {b: money_str(v) for b, v in report.total.items()},
        "insurance_total": money_str(report.insurance_total),
        "client_total": money_str(report.client_total),
        "grand_total": money_str(report.grand_total),
        "items": [{"kind": r.kind, "date": r.date.isoformat(), "bucket": r.bucket,
                   "amount": money_str(r.amount), "client_id": r.client_id,
                   "claim_id": r.claim_id, "invoice_id": r.invoice_id} for r in report.rows],
    }


@router.get("/clients/{client_id}/balance")
@api_permission("billing.work")
def client_balance(request: HttpRequest, client_id: int):

    if not client_list(practice=request.practice).filter(pk=client_id).exists():
        raise HttpError(404, "Not found")
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="ledger", client_id=client_id, object_type="Client",
                 object_id=client_id)
    b = client_balances(practice=request.practice, client_id=client_id)
    return {"client_id": client_id, "balance": money_str(b["ar_client"]),
            "insurance_open": money_str(b["ar_insurance"])}
