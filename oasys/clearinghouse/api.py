"""/api/v1/clearinghouse: the EDI history, scoped to the caller's practice."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from oasys.core.api import PageOut, page_body
from oasys.core.audit import audit_list_read
from oasys.core.permissions import api_permission

from .selectors import edi_file_client_ids, edi_file_get, edi_file_list

router = Router(tags=["clearinghouse"])


class EdiFileOut(Schema):
    id: int
    set_id: str
    label: str
    direction: str
    status: str
    received_at: dt.datetime
    interchange_control_number: str
    external_id: str


class EdiFileDetailOut(EdiFileOut):
    raw: str
    summary: dict
    errors: list


class EdiFileListOut(PageOut):
    items: list[EdiFileOut]


@router.get("/files", response=EdiFileListOut)
@api_permission("billing.work")
def files(request: HttpRequest, type: str | None = None, page: int = 1,  # noqa: A002
          page_size: int = 100):
    return page_body(edi_file_list(practice=request.practice, set_id=type), page=page,
                     page_size=page_size, max_size=500)


@router.get("/files/{pk}", response=EdiFileDetailOut)
@api_permission("billing.work")
def file(request: HttpRequest, pk: int):
    edi_file = edi_file_get(practice=request.practice, pk=pk)
    audit_list_read(request, category="edi_file", obj=edi_file,
                    client_ids=edi_file_client_ids(edi_file=edi_file))
    return edi_file
