"""Payment Remittances → Download CSV: the ERA list as filtered, plain decimal amounts,
ISO dates, payer names as people write them, an export audit row, billers only."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from oasys.billing.tests import factories as f
from oasys.core.models import AuditEvent, Role
from oasys.core.services import user_create
from oasys.remittance.services import era_import

from .helpers import copay_claim, era, submitted_claim

pytestmark = pytest.mark.django_db

EXPORT = reverse("remittance:export")


def _rows(resp) -> list[list[str]]:
    assert resp.status_code == 200 and resp.streaming
    return list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def eras(practice):
    ctx = f.ctx_for(practice=practice)
    for trace, day in (("EFT111", dt.date(2026, 3, 10)), ("EFT222", dt.date(2026, 4, 2))):
        claim = submitted_claim(practice)
        era_import(practice=practice, ctx=ctx,
                   raw=era([copay_claim(claim)], trace=trace, date=day, payer="ACME HEALTH"))


def test_export_lists_the_filtered_eras(owner_client, eras):
    rows = _rows(owner_client.get(EXPORT))
    assert rows[0] == ["payer", "payment_date", "payment_method", "check_eft_number", "amount",
                       "claims", "unmatched_claims", "status", "received"]
    assert [r[3] for r in rows[1:]] == ["EFT222", "EFT111"]  # newest first, as listed
    rows = _rows(owner_client.get(EXPORT, {"q": "EFT111"}))
    assert len(rows) == 2
    payer, day, _method, trace, amount, claims, unmatched, status, _received = rows[1]
    assert (payer, day, trace, amount, claims, unmatched, status) == (
        "Acme Health", "2026-03-10", "EFT111", "78.00", "1", "0", "Posted")
    assert _rows(owner_client.get(EXPORT, {"status": "quarantined"}))[1:] == []
    event = AuditEvent.objects.filter(category="remittance", action="export").last()
    assert event.detail["count"] == 0 and event.detail["list"] == "quarantined"


def test_only_billers_download_it(client, practice, eras):
    clinician = user_create(practice=practice, email="clin@test.example", password="x",
                            role=Role.CLINICIAN)
    client.force_login(clinician)
    assert client.get(EXPORT).status_code == 403


def test_another_practice_exports_nothing_of_it(client, other_owner, eras):
    client.force_login(other_owner)
    assert len(_rows(client.get(EXPORT))) == 1
