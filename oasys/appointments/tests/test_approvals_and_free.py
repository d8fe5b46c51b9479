"""Approving several supervised sessions at once (screen, API, service), and a $0 session's
page, which says there is nothing to bill instead of asking for what billing needs."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse

from oasys.appointments import services
from oasys.appointments.models import Appointment
from oasys.appointments.selectors import appointment_awaiting_approval_list
from oasys.clients.models import PricingRule
from oasys.core.models import AuditEvent

from .conftest import api_for, ctx_for, past, web_for

pytestmark = pytest.mark.django_db

APPROVALS = "/sessions/approvals/"


@pytest.fixture
def signed(ap_make, ap_ctx, ap_owner):
    """Three completed, signed sessions of Casey (supervised by Sam)."""
    out = []
    for hours in (2, 4, 6):
        appt = ap_make(start=past(hours))
        services.appointment_complete(appointment=appt, ctx=ap_ctx)
        services.appointment_note_sign(appointment=appt, actor=ap_owner, ctx=ap_ctx)
        out.append(appt)
    return out


def _approved(ids) -> set[int]:
    return set(Appointment.objects.filter(pk__in=ids, supervisor_approved_at__isnull=False)
               .values_list("pk", flat=True))


def test_the_supervisor_sees_and_approves_several_each_audited(signed, ap_supervisor_user):
    web = web_for(ap_supervisor_user)
    page = web.get(APPROVALS).content.decode()
    assert all(f'name="session" value="{a.pk}"' in page for a in signed)
    assert "Approve selected" in page
    before = AuditEvent.objects.filter(object_type="Appointment", action="update").count()

    response = web.post(APPROVALS, {"session": [signed[0].pk, signed[1].pk]})
    assert response.status_code == 302
    assert _approved([a.pk for a in signed]) == {signed[0].pk, signed[1].pk}
    updates = AuditEvent.objects.filter(object_type="Appointment", action="update")
    assert updates.count() == before + 2  # one audit row per approval
    assert updates.order_by("-pk").first().user_id_ref == ap_supervisor_user.pk
    page = web.get(APPROVALS).content.decode()
    assert f'value="{signed[0].pk}"' not in page and f'value="{signed[2].pk}"' in page


def test_a_clinician_not_supervising_them_approves_nothing(signed, ap_other_clinician_user):
    web = web_for(ap_other_clinician_user)
    assert 'name="session"' not in web.get(APPROVALS).content.decode()
    web.post(APPROVALS, {"session": [a.pk for a in signed]})
    assert _approved([a.pk for a in signed]) == set()
    assert AuditEvent.objects.filter(outcome="denied", object_type="Appointment").count() == 3


def test_the_clinician_cannot_approve_their_own(signed, ap_clinician_user):
    assert not appointment_awaiting_approval_list(practice=signed[0].practice,
                                                  user=ap_clinician_user).exists()
    web_for(ap_clinician_user).post(APPROVALS, {"session": [signed[0].pk]})
    assert _approved([signed[0].pk]) == set()


def test_a_biller_is_refused_the_screen(ap_biller):
    assert web_for(ap_biller).get(APPROVALS).status_code == 403


def test_one_refusal_does_not_stop_the_others(signed, ap_supervisor_user, ap_other_appointment):
    services.appointment_approve(appointment=signed[0], actor=ap_supervisor_user,
                                 ctx=ctx_for(ap_supervisor_user))
    result = services.appointment_approve_many(
        practice=signed[0].practice, actor=ap_supervisor_user, ctx=ctx_for(ap_supervisor_user),
        appointment_ids=[a.pk for a in signed] + [ap_other_appointment.pk])
    assert {a.pk for a in result.approved} == {signed[1].pk, signed[2].pk}
    refused = dict(result.refused)
    assert "already approved" in refused[signed[0].pk]
    assert refused[ap_other_appointment.pk] == "not found"  # another practice's session
    assert ap_other_appointment.supervisor_approved_at is None


def test_api_approves_several(signed, ap_supervisor_user):
    api = api_for(ap_supervisor_user)
    body = api.post("/api/v1/appointments/approvals",
                    json.dumps({"appointment_ids": [signed[0].pk, 999999]}),
                    content_type="application/json")
    assert body.status_code == 200, body.content
    assert body.json() == {"approved": [signed[0].pk],
                           "refused": [{"appointment_id": 999999, "reason": "not found"}]}
    empty = api.post("/api/v1/appointments/approvals", json.dumps({"appointment_ids": []}),
                     content_type="application/json")
    assert empty.status_code == 422


# --- a $0 session ---------------------------------------------------------------------------------


def test_a_free_session_says_no_charge_and_asks_for_nothing(ap_make, ap_ctx, ap_owner,
                                                             ap_client, ap_service_type):
    appt = ap_make()
    services.appointment_complete(appointment=appt, ctx=ap_ctx)
    PricingRule.objects.create(practice=appt.practice, client=ap_client,
                               service_type=ap_service_type, price=Decimal("0"))
    html = web_for(ap_owner).get(reverse("appointments:detail", args=[appt.pk])).content.decode()
    assert "No charge: nothing to bill." in html
    assert "then bill" not in html
    assert "Billing is blocked" not in html


def test_a_charged_session_still_asks_for_the_signature(ap_make, ap_ctx, ap_owner):
    appt = ap_make()
    services.appointment_complete(appointment=appt, ctx=ap_ctx)
    html = web_for(ap_owner).get(reverse("appointments:detail", args=[appt.pk])).content.decode()
    assert "No charge" not in html
    assert "Sign the note first, then bill." in html
    assert "Billing is blocked until the supervisor approves." in html
