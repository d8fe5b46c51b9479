"""Sessions → Download CSV: the list's filters applied, formula-safe names, ISO moments in
the practice's zone, no money (clinicians read sessions), an export audit row."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from oasys.billing.tests import factories as f
from oasys.core.models import AuditEvent, Role
from oasys.core.services import user_create
from oasys.core.timezones import practice_zone

pytestmark = pytest.mark.django_db

EXPORT = reverse("appointments:export")


def _rows(resp) -> list[list[str]]:
    assert resp.status_code == 200 and resp.streaming
    return list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def two(practice):
    st = f.make_service_type(practice)
    one = f.make_appointment(practice, client=f.make_client(practice, last_name="-Dash"),
                             clinician=f.make_clinician(practice), service_type=st, days_ago=3)
    two = f.make_appointment(practice, client=f.make_client(practice),
                             clinician=f.make_clinician(practice), service_type=st, days_ago=9,
                             signed=False)
    return one, two


def test_export_applies_the_filters(owner_client, practice, two):
    one, other = two
    rows = _rows(owner_client.get(EXPORT))
    assert rows[0] == ["start", "end", "client", "clinician", "service", "cpt",
                       "place_of_service", "status", "note_signed", "supervisor_approved"]
    assert len(rows) == 3
    rows = _rows(owner_client.get(EXPORT, {"clinician": one.clinician_id}))
    assert len(rows) == 2
    row = rows[1]
    zone = practice_zone(practice)
    assert row[0] == one.start.astimezone(zone).replace(microsecond=0).isoformat()
    assert row[2] == f"'-Dash, {one.client.first_name}"  # a leading "-" is not a formula
    assert row[5:8] == ["90834", "11", "Completed"]
    assert row[8] and row[9] == ""
    rows = _rows(owner_client.get(EXPORT, {"client": other.client_id}))
    assert [r[8] for r in rows[1:]] == [""]  # unsigned
    event = AuditEvent.objects.filter(category="session", action="export").last()
    assert event.detail["client_ids"] == [other.client_id] and event.detail["count"] == 1


def test_bad_filter_is_refused(owner_client, two):
    resp = owner_client.get(EXPORT, {"date_from": "yesterday"})
    assert resp.status_code == 400 and "date_from" in resp.content.decode()


def test_a_clinician_downloads_it_without_money(client, practice, two):
    clinician = user_create(practice=practice, email="clin@test.example", password="x",
                            role=Role.CLINICIAN)
    client.force_login(clinician)
    rows = _rows(client.get(EXPORT))
    assert not {"charge", "rate", "paid", "balance"} & set(rows[0])
    assert len(rows) == 3


def test_another_practice_exports_nothing_of_it(client, other_owner, two):
    client.force_login(other_owner)
    assert len(_rows(client.get(EXPORT))) == 1
