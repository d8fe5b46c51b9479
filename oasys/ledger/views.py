"""Billing → Reports: accounts-receivable aging (chart and table), and a client's ledger."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from oasys.clients.selectors import client_list
from oasys.core.audit import AuditContext, audit_list_read, audit_record
from oasys.core.csv_export import csv_date, csv_money, csv_response, csv_text
from oasys.core.models import AuditAction
from oasys.core.permissions import practice_required

from .chart import aging_chart
from .domain import BUCKET_LABELS
from .selectors import account_balances, ar_aging, client_balances, journal_entry_list


@practice_required("billing.work")
def aging(request: HttpRequest) -> HttpResponse:
    report = ar_aging(practice=request.practice)
    audit_list_read(request, category="ledger", client_ids=[r.client_id for r in report.rows],
                    detail={"report": "aging", "rows": len(report.rows)})
    chart = aging_chart(report.buckets, {"Insurance": report.insurance,
                                         "Client": report.client})
    # one row per payer kind and the grand-total row, one column per bucket
    total = report.total
    table = [
        {"label": "Insurance", "key": "insurance", "total": report.insurance_total,
         "cells": [report.insurance[b] for b in report.buckets]},
        {"label": "Client", "key": "client", "total": report.client_total,
         "cells": [report.client[b] for b in report.buckets]},
    ]
    return render(request, "ledger/aging.html", {
        "report": report, "chart": chart, "table": table,
        "labels": [BUCKET_LABELS[b] for b in report.buckets],
        "grand": {"cells": [total[b] for b in report.buckets], "total": report.grand_total},
        "balances": account_balances(practice=request.practice),
    })


CSV_HEADER = ["owed_by", "item", "client", "date", "age_days", "bucket", "open_amount"]


@require_GET
@practice_required("billing.work")
def aging_export(request: HttpRequest) -> HttpResponse:
    """The aging report's open items as a CSV (the totals are the screen's): who owes, what,
    since when, in which bucket. Credits (overpaid) carry a negative amount."""
    report = ar_aging(practice=request.practice)
    client_ids = sorted({r.client_id for r in report.rows if r.client_id is not None})
    audit_record(ctx=AuditContext.from_request(request), action=AuditAction.EXPORT,
                 category="ledger", client_id=client_ids[0] if len(client_ids) == 1 else None,
                 detail={"export": "csv", "report": "aging", "count": len(report.rows),
                         "client_ids": client_ids})
    rows = ([r.kind, csv_text(r.label), csv_text(r.client_name), csv_date(r.date),
             str((report.today - r.date).days), "" if r.is_credit else r.bucket,
             csv_money(r.amount)] for r in report.rows)
    return csv_response(filename=f"ar-aging-{report.today}.csv", header=CSV_HEADER, rows=rows)


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
