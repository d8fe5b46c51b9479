"""Session screens and /api/v1/appointments: flows, tenancy (404), permissions, audit."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from oasys.appointments.models import Appointment
from oasys.appointments.services import appointment_complete
from oasys.core.models import AuditEvent

from .conftest import api_for, past, web_for

pytestmark = pytest.mark.django_db
API = "/api/v1/appointments"
ACTIONS = ["complete", "no_show", "cancel", "reopen", "sign_note", "approve"]
API_ACTIONS = ["complete", "no-show", "cancel", "reopen", "sign-note", "approve"]


def assert_no_names_in_audit():
    for event in AuditEvent.objects.all():
        blob = json.dumps(event.detail)
        assert "Maria" not in blob and "Lopez" not in blob and "Zed" not in blob


def test_schedule_via_the_form_with_defaults(ap_owner, ap_client, ap_clinician, ap_service_type):
    web = web_for(ap_owner)
    page = web.get(reverse("appointments:new"), {"client": ap_client.pk})
    assert page.status_code == 200 and f'value="{ap_client.pk}" selected' in page.content.decode()
    resp = web.post(
        reverse("appointments:new"),
        {
            "client": ap_client.pk,
            "clinician": ap_clinician.pk,
            "service_type": ap_service_type.pk,
            "start": "2024-03-05T14:00",
        },
    )
    assert resp.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.duration_minutes == 53 and appointment.place_of_service == "10"
    assert appointment.modifiers == "95"
    detail = web.get(resp["Location"])
    assert detail.status_code == 200 and b"2:00 PM" in detail.content


def test_form_errors_beside_fields(ap_owner, ap_client, ap_clinician, ap_service_type):
    web = web_for(ap_owner)
    resp = web.post(
        reverse("appointments:new"),
        {
            "client": ap_client.pk,
            "clinician": ap_clinician.pk,
            "service_type": ap_service_type.pk,
            "start": "2024-03-05T14:00",
            "end": "2024-03-05T13:00",
            "modifiers": "TOOLONG",
        },
    )
    html = resp.content.decode()
    assert resp.status_code == 200
    assert 'id="id_end_error"' in html and 'id="id_modifiers_error"' in html
    assert not Appointment.objects.exists()


def test_list_filters_and_pagination(ap_owner, ap_make, ap_free_clinician, ap_ctx):
    for i in range(27):
        ap_make(start=past(24 * (i + 1)))
    other = ap_make(clinician=ap_free_clinician)
    appointment_complete(appointment=other, ctx=ap_ctx)
    web = web_for(ap_owner)
    resp = web.get(reverse("appointments:list"))
    assert resp.status_code == 200 and b"Page 1 of 2" in resp.content
    resp = web.get(reverse("appointments:list"), {"clinician": ap_free_clinician.pk})
    assert b"Page 1 of" not in resp.content and resp.content.count(b"Uma Licensed") >= 2
    resp = web.get(reverse("appointments:list"), {"status": "completed"})
    assert resp.content.count(b'class="badge completed"') == 1
    day = timezone.localdate() - dt.timedelta(days=3)
    resp = web.get(
        reverse("appointments:list"), {"date_from": day.isoformat(), "date_to": day.isoformat()}
    )
    assert resp.content.count(b"/sessions/") >= 1
    api = api_for(ap_owner)
    body = api.get(API, {"status": "scheduled", "page_size": 10}).json()
    assert body["count"] == 27 and len(body["items"]) == 10
    assert api.get(API, {"clinician_id": ap_free_clinician.pk}).json()["count"] == 1


def test_screen_actions_follow_the_rules(
    ap_appointment, ap_clinician_user, ap_supervisor_user, ap_biller
):
    pk = ap_appointment.pk
    clinician = web_for(ap_clinician_user)
    assert clinician.post(reverse("appointments:complete", args=[pk])).status_code == 302
    # The biller may not sign: 403, nothing changes.
    assert web_for(ap_biller).post(reverse("appointments:sign_note", args=[pk])).status_code == 403
    # Approval before signing is refused with a message.
    supervisor = web_for(ap_supervisor_user)
    resp = supervisor.post(reverse("appointments:approve", args=[pk]), follow=True)
    assert b"must be signed" in resp.content
    assert clinician.post(reverse("appointments:sign_note", args=[pk])).status_code == 302
    assert supervisor.post(reverse("appointments:approve", args=[pk])).status_code == 302
    ap_appointment.refresh_from_db()
    assert ap_appointment.note_signed_by == ap_clinician_user
    assert ap_appointment.supervisor_approved_by == ap_supervisor_user
    resp = clinician.post(reverse("appointments:reopen", args=[pk]), follow=True)
    assert b"signed" in resp.content
    assert Appointment.objects.get(pk=pk).status == "completed"


def test_cancel_with_late_flag(ap_make, ap_owner):
    web = web_for(ap_owner)
    a, b = ap_make(), ap_make()
    web.post(reverse("appointments:cancel", args=[a.pk]), {"late": "1"})
    web.post(reverse("appointments:cancel", args=[b.pk]))
    assert Appointment.objects.get(pk=a.pk).status == "late_cancelled"
    assert Appointment.objects.get(pk=b.pk).status == "cancelled"
    api = api_for(ap_owner)
    c = ap_make()
    resp = api.post(f"{API}/{c.pk}/cancel", {"late": True}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["status"] == "late_cancelled"


def test_edit_screen(ap_appointment, ap_owner):
    web = web_for(ap_owner)
    url = reverse("appointments:edit", args=[ap_appointment.pk])
    assert web.get(url).status_code == 200
    resp = web.post(
        url,
        {
            "client": ap_appointment.client_id,
            "clinician": ap_appointment.clinician_id,
            "service_type": ap_appointment.service_type_id,
            "start": timezone.localtime(ap_appointment.start).strftime("%Y-%m-%dT%H:%M"),
            "place_of_service": "11",
            "modifiers": "",
        },
    )
    assert resp.status_code == 302
    ap_appointment.refresh_from_db()
    assert ap_appointment.place_of_service == "11" and ap_appointment.modifiers == ""


def test_every_screen_and_api_route_is_404_for_another_practices_session(
    ap_owner, ap_other_appointment
):
    web, api = web_for(ap_owner), api_for(ap_owner)
    pk = ap_other_appointment.pk
    assert web.get(reverse("appointments:detail", args=[pk])).status_code == 404
    assert web.get(reverse("appointments:edit", args=[pk])).status_code == 404
    assert web.post(reverse("appointments:edit", args=[pk]), {}).status_code == 404
    for action in ACTIONS:
        assert web.post(reverse(f"appointments:{action}", args=[pk])).status_code == 404, action
    assert api.get(f"{API}/{pk}").status_code == 404
    for action in API_ACTIONS:
        assert api.post(f"{API}/{pk}/{action}").status_code == 404, action
    assert api.get(API).json()["count"] == 0
    assert (
        web.get(
            reverse("appointments:list"), {"client": ap_other_appointment.client_id}
        ).status_code
        == 200
    )  # an unknown client filter is just ignored/invalid
    ap_other_appointment.refresh_from_db()
    assert ap_other_appointment.status == "scheduled"


def test_api_create_get_and_actions(
    ap_owner, ap_client, ap_clinician, ap_service_type, ap_clinician_user, ap_biller
):
    api = api_for(ap_owner)
    start = past().isoformat()
    resp = api.post(
        API,
        {
            "client_id": ap_client.pk,
            "clinician_id": ap_clinician.pk,
            "service_type_id": ap_service_type.pk,
            "start": start,
            "modifiers": ["95", "ho"],
        },
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["modifiers"] == ["95", "HO"] and body["needs_supervisor_approval"] is True
    pk = body["id"]
    assert api.get(f"{API}/{pk}").json()["status"] == "scheduled"
    # Sign before completing: a state conflict.
    resp = api.post(f"{API}/{pk}/sign-note")
    assert resp.status_code == 409 and "status" in resp.json()["errors"]
    assert api.post(f"{API}/{pk}/complete").json()["status"] == "completed"
    assert api.post(f"{API}/{pk}/no-show").status_code == 409
    assert api_for(ap_biller).post(f"{API}/{pk}/sign-note").status_code == 403
    signed = api_for(ap_clinician_user).post(f"{API}/{pk}/sign-note").json()
    assert signed["note_signed_by_id"] == ap_clinician_user.pk
    assert api_for(ap_clinician_user).post(f"{API}/{pk}/approve").status_code == 403
    approved = api.post(f"{API}/{pk}/approve").json()
    assert approved["supervisor_approved_by_id"] == ap_owner.pk


def test_api_validation_errors_are_422(ap_owner, ap_client, ap_clinician):
    api = api_for(ap_owner)
    resp = api.post(
        API,
        {
            "client_id": ap_client.pk,
            "clinician_id": ap_clinician.pk,
            "service_type_id": 999999,
            "start": "yesterday",
        },
        content_type="application/json",
    )
    assert resp.status_code == 422
    assert {"service_type_id", "start"} <= set(resp.json()["errors"])


def test_reads_and_writes_are_audited(ap_owner, ap_appointment, ap_client):
    web, api = web_for(ap_owner), api_for(ap_owner)
    AuditEvent.objects.count()
    web.get(reverse("appointments:detail", args=[ap_appointment.pk]))
    api.get(f"{API}/{ap_appointment.pk}")
    reads = AuditEvent.objects.filter(action="read", category="session", client_id_ref=ap_client.pk)
    assert reads.count() == 2
    web.get(reverse("appointments:list"))
    listed = AuditEvent.objects.filter(action="read", category="session", client_id_ref=None)
    # the page's row names the client of its one session and those its client filter lists
    assert listed.count() == 1
    assert listed.get().detail == {"count": 1, "client_ids": [ap_client.pk]}
    web.post(reverse("appointments:complete", args=[ap_appointment.pk]))
    write = AuditEvent.objects.filter(action="update", category="session").last()
    assert write.client_id_ref == ap_client.pk and write.user_id_ref == ap_owner.pk
    created = AuditEvent.objects.get(action="create", category="session")
    assert created.object_id == str(ap_appointment.pk)
    assert_no_names_in_audit()
