"""Billing → Reports: accounts-receivable aging (chart and table), and a client's ledger."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from oasys.clients.selectors import client_list
from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.models import AuditAction
from oasys.core.permissions import practice_required

from .chart import aging_chart
from .selectors import account_balances, ar_aging, client_balances, journal_entry_list


@practice_required("billing.work")
def aging(request: HttpRequest) -> HttpResponse:
    report = ar_aging(practice=request.practice)
    audit_list_read(request, category="ledger", client_ids=[r.client_id for r in report.rows],
                    detail={"report": "aging", "rows": len(report.rows)})
    chart = aging_chart(report.buckets, {"Insurance": report.insurance,
                                         "Client": report.client})
    table = [{"bucket": b, "insurance": report.insurance[b], "client": report.client[b],
              "total": report.insurance[b] + report.client[b]} for b in report.buckets]
    return render(request, "ledger/aging.html", {
        "report": report, "chart": chart, "table": table,
        "balances": account_balances(practice=request.practice),
    })


@practice_required("billing.work")
def client_ledger(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(client_list(practice=request.practice), pk=pk)
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.READ,
                 category="ledger", client_id=client.pk, object_type="Client",
                 object_id=client.pk)
    balances = client_balances(practice=request.practice, client_id=client.pk)
    return render(request, "ledger/client.html", {
        "client": client, "balances": balances,
        "entries": journal_entry_list(practice=request.practice, client_id=client.pk),
    })
