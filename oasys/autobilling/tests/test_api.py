"""/api/v1/billing/auto-billing and /runs: the setting read and changed (bad input refused
with nothing changed), runs started, listed and read with their items, roles and tenancy."""

from __future__ import annotations

import json

import pytest

from oasys.autobilling.models import AutoBillingSettings, BillingRun, ItemKind, RunPhase
from oasys.autobilling.runner import billing_run_execute
from oasys.billing.tests.factories import ready_claim_session, self_pay_session
from oasys.billing.tests.test_views_api import api_for, user_with
from oasys.claims.models import Claim
from oasys.core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db
SETTINGS = "/api/v1/billing/auto-billing"
RUNS = "/api/v1/billing/runs"


def _put(http, body):
    return http.put(SETTINGS, json.dumps(body), content_type="application/json")


def test_the_setting_defaults_to_off_with_no_next_run(api_client, practice):
    body = api_client.get(SETTINGS).json()
    assert body == {"enabled": False, "cutoff_hour": 23, "backfill_from": None,
                    "time_zone": body["time_zone"], "next_run": None}
    assert body["time_zone"]  # the zone the hour is in


def test_turning_it_on_with_backfill_announces_the_next_run(api_client, practice):
    ready_claim_session(practice)
    self_pay_session(practice, email="pat@example.com")
    resp = _put(api_client, {"enabled": True, "cutoff_hour": 22, "backfill_from": None})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert (body["enabled"], body["cutoff_hour"], body["backfill_from"]) == (True, 22, None)
    assert body["next_run"]["counts"] == {"invoice": 1, "claim": 1, "client_share": 0,
                                          "secondary": 0}
    assert AuditEvent.objects.filter(category="autobilling").count() == 1


def test_leaving_backfill_out_starts_from_today_and_a_date_is_kept(api_client, practice):
    body = _put(api_client, {"enabled": True}).json()
    assert body["backfill_from"] is not None  # from the practice's today
    body = _put(api_client, {"backfill_from": "2026-01-05"}).json()
    assert body["backfill_from"] == "2026-01-05"
    assert _put(api_client, {"cutoff_hour": 21}).json()["backfill_from"] == "2026-01-05"


@pytest.mark.parametrize(("body", "field"), [
    ({"enabled": "yes"}, "enabled"),
    ({"cutoff_hour": 24}, "cutoff_hour"),
    ({"cutoff_hour": "late"}, "cutoff_hour"),
    ({"enabled": True, "backfill_from": "yesterday"}, "backfill_from"),
    ({"enabled": True, "backfill_from": "2999-01-01"}, "backfill_from"),
    ({"colour": "red"}, "__all__"),
])
def test_bad_settings_answer_422_and_change_nothing(api_client, practice, body, field):
    resp = _put(api_client, body)
    assert resp.status_code == 422, resp.content
    assert field in resp.json()["errors"]
    assert not AutoBillingSettings.objects.filter(practice=practice).exists()


def test_a_body_that_is_not_an_object_is_refused(api_client, practice):
    for raw in ("[1, 2]", "not json"):
        resp = api_client.put(SETTINGS, raw, content_type="application/json")
        assert resp.status_code == 422
    assert not AutoBillingSettings.objects.filter(practice=practice).exists()


def test_a_run_is_refused_while_off_then_started_listed_and_read(api_client, practice):
    resp = api_client.post(RUNS)
    assert resp.status_code == 409 and "Auto-billing is off" in resp.content.decode()
    assert not BillingRun.objects.exists()
    insured = ready_claim_session(practice)
    _put(api_client, {"enabled": True, "backfill_from": None})
    resp = api_client.post(RUNS)
    assert resp.status_code == 202, resp.content
    run_id = resp.json()["id"]
    assert resp.json()["done"] is False  # queued for a worker
    billing_run_execute(run_id=run_id)  # the worker
    listed = api_client.get(RUNS).json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == run_id
    detail = api_client.get(f"{RUNS}/{run_id}").json()
    assert detail["phase"] == RunPhase.DONE and detail["done"] is True
    assert detail["summary"][ItemKind.CLAIM]["billed"] == 1
    claim = Claim.objects.get(appointment=insured.appointment)
    assert detail["summary"][ItemKind.CLAIM]["total"] == f"{claim.total_charge:.2f}"
    [item] = detail["items"]
    assert (item["kind"], item["outcome"], item["session_id"]) == (
        ItemKind.CLAIM, "billed", insured.appointment.pk)
    assert item["claim_id"] == claim.pk
    assert [e["to_phase"] for e in detail["events"]][-1] == RunPhase.DONE
    assert AuditEvent.objects.filter(category="billing_run", action="read").count() == 1


def test_roles_without_billing_rights_read_the_setting_only(practice):
    clinician = api_for(user_with(practice, Role.CLINICIAN))
    assert clinician.get(SETTINGS).status_code == 200
    assert _put(clinician, {"enabled": True}).status_code == 403
    assert clinician.get(RUNS).status_code == 403
    assert clinician.post(RUNS).status_code == 403
    assert not AutoBillingSettings.objects.filter(practice=practice).exists()


def test_another_practices_run_is_not_found(api_client, other_practice, other_owner):
    theirs = api_for(other_owner)
    _put(theirs, {"enabled": True})
    run_id = theirs.post(RUNS).json()["id"]
    assert api_client.get(f"{RUNS}/{run_id}").status_code == 404
    assert api_client.get(RUNS).json()["count"] == 0
