"""Settings → Audit log: owners only, filtered by client, user and dates, a CSV of the
filtered rows, never another practice's events, and reading it is itself audited."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from oasys.core.audit import AuditContext, audit_record
from oasys.core.models import AuditAction, AuditEvent, Role
from oasys.core.services import user_create

pytestmark = pytest.mark.django_db


def _ctx(user):
    return AuditContext(user_id=user.pk, user_email=user.email, practice_id=user.practice_id)


@pytest.fixture
def events(owner, other_owner):
    """Reads by the owner and a biller of clients 7 and 8 (one as a list page), and one
    of another practice naming client 7 too."""
    biller = user_create(practice=owner.practice, email="biller@test.example",
                         password="correct horse battery", role=Role.BILLER)
    audit_record(ctx=_ctx(owner), action=AuditAction.READ, category="claim", client_id=7)
    audit_record(ctx=_ctx(biller), action=AuditAction.READ, category="claim",
                 detail={"count": 2, "client_ids": [8, 17]})
    audit_record(ctx=_ctx(biller), action=AuditAction.READ, category="claim",
                 detail={"count": 3, "client_ids": [1, 7, 70]})
    audit_record(ctx=_ctx(other_owner), action=AuditAction.READ, category="elsewhere-only",
                 client_id=7)
    return biller


def _csv(resp) -> list[dict]:
    return list(csv.DictReader(io.StringIO(resp.content.decode())))


def test_the_owner_sees_the_practices_events_newest_first(owner_client, events):
    resp = owner_client.get(reverse("audit_log:list"))
    assert resp.status_code == 200
    body = resp.content.decode()
    assert body.count("<tr>") == 1 + 3  # header + the practice's own three (+ none else)
    assert "biller@test.example" in body and "elsewhere-only" not in body
    assert body.index("3 clients") < body.index("2 clients")  # newest first


@pytest.mark.parametrize("role", [Role.BILLER, Role.CLINICIAN, Role.SUPERVISOR])
def test_other_roles_are_refused(client, practice, role):
    user = user_create(practice=practice, email=f"{role}@test.example",
                       password="correct horse battery", role=role)
    client.force_login(user)
    assert client.get(reverse("audit_log:list")).status_code == 403
    assert client.get(reverse("audit_log:export")).status_code == 403


def test_the_client_filter_finds_rows_naming_them_directly_or_in_a_list(owner_client, events):
    rows = _csv(owner_client.get(reverse("audit_log:export"), {"client": 7}))
    assert [(r["client_id"], r["client_ids"]) for r in rows] == [("", "1 7 70"), ("7", "")]
    # 70 and 17 are not 7; 8 is only in a list
    assert [r["client_ids"] for r in _csv(owner_client.get(
        reverse("audit_log:export"), {"client": 8}))] == ["8 17"]


def test_the_user_and_date_filters(owner_client, owner, events):
    rows = _csv(owner_client.get(reverse("audit_log:export"), {"user": events.pk}))
    assert {r["user_email"] for r in rows} == {"biller@test.example"} and len(rows) == 2
    today = timezone.localdate()
    assert len(_csv(owner_client.get(reverse("audit_log:export"), {
        "date_from": today.isoformat(), "date_to": today.isoformat()}))) >= 3
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    # the owner's own reading of the log is written today, so a future range is empty
    assert _csv(owner_client.get(reverse("audit_log:export"), {"date_from": tomorrow})) == []


def test_bad_filters_say_so_and_show_nothing(owner_client, events):
    resp = owner_client.get(reverse("audit_log:list"), {"client": "abc", "date_from":
                                                        "2026-05-02", "date_to": "2026-05-01"})
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "Enter a whole number" in body and "before the start date" in body
    assert "biller@test.example</td>" not in body


def test_the_csv_has_the_filtered_rows_and_never_another_practice(owner_client, events):
    rows = _csv(owner_client.get(reverse("audit_log:export")))
    assert {r["category"] for r in rows} >= {"claim"} and "elsewhere-only" not in {
        r["category"] for r in rows}
    assert len([r for r in rows if r["category"] == "claim"]) == 3


def test_reading_and_exporting_the_log_are_audited(owner_client, owner, events):
    owner_client.get(reverse("audit_log:list"), {"client": 7})
    owner_client.get(reverse("audit_log:export"))
    read, export = AuditEvent.objects.filter(category="audit_log").order_by("pk")
    assert (read.action, read.user_id_ref, read.client_id_ref) == ("read", owner.pk, 7)
    assert read.detail == {"client_id": 7, "count": 2}
    assert export.action == "export" and export.practice_id_ref == owner.practice_id


def test_the_audit_log_is_in_the_owners_navigation(owner_client):
    body = owner_client.get(reverse("core:home"), follow=True).content.decode()
    assert f'href="{reverse("audit_log:list")}"' in body
