"""EDI history: every file exchanged with the clearinghouse, for the practice's billers."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from oasys.core.audit import audit_read
from oasys.core.permissions import BILLING_ROLES, practice_required

from .models import Direction
from .selectors import edi_file_get, edi_file_list

SET_IDS = ("837", "999", "277", "835")


@practice_required(roles=BILLING_ROLES)
def files(request: HttpRequest) -> HttpResponse:
    set_id = request.GET.get("type") if request.GET.get("type") in SET_IDS else None
    direction = request.GET.get("direction") if request.GET.get("direction") in \
        Direction.values else None
    qs = edi_file_list(practice=request.practice, set_id=set_id, direction=direction)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "clearinghouse/files.html", {
        "page": page, "set_ids": SET_IDS, "set_id": set_id, "direction": direction,
        "directions": Direction.choices})


@practice_required(roles=BILLING_ROLES)
def file(request: HttpRequest, pk: int) -> HttpResponse:
    edi_file = edi_file_get(practice=request.practice, pk=pk)
    # raw EDI names patients: viewing it is a read of client data
    audit_read(request, category="edi_file", client_id=None, obj=edi_file)
    return render(request, "clearinghouse/file.html", {
        "file": edi_file,
        "raw_lines": edi_file.raw.replace("~", "~\n").strip(),
        "summary_json": json.dumps(edi_file.summary, indent=2, default=str)})
