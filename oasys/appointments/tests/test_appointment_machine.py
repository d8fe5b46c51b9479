"""Sessions on the state machine: an AppointmentEvent for the scheduling and every move, the
actions a session offers (page and API) from the machine, and the freezes (signed, billed)
reflected in them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from oasys.appointments import services
from oasys.appointments.models import AppointmentEvent
from oasys.appointments.models import AppointmentStatus as S
from oasys.core.statemachine import MACHINES
from oasys.invoices.services import invoice_create_for_session

from .conftest import api_for, web_for

pytestmark = pytest.mark.django_db

API = "/api/v1/appointments"


def test_registered_with_the_documented_table():
    assert MACHINES["appointment"] is services.APPOINTMENT_MACHINE
    assert services.APPOINTMENT_MACHINE.transitions is services.TRANSITIONS


def test_scheduling_and_each_move_are_events(ap_make, ap_ctx, ap_owner):
    a = ap_make()
    services.appointment_complete(appointment=a, ctx=ap_ctx)
    services.appointment_reopen(appointment=a, ctx=ap_ctx)
    assert [(e.from_status, e.to_status, e.actor_id, e.practice_id)
            for e in a.events.all()] == [
        ("", S.SCHEDULED, ap_owner.pk, a.practice_id),
        (S.SCHEDULED, S.COMPLETED, ap_owner.pk, a.practice_id),
        (S.COMPLETED, S.SCHEDULED, ap_owner.pk, a.practice_id),
    ]


def test_a_refused_move_leaves_no_event(ap_make, ap_ctx):
    future = ap_make(start=timezone.now() + dt.timedelta(days=1))
    with pytest.raises(services.TransitionRefused, match="not started"):
        services.appointment_complete(appointment=future, ctx=ap_ctx)
    assert AppointmentEvent.objects.filter(appointment=future).count() == 1  # scheduling


@pytest.mark.parametrize(("status", "offered"), [
    (S.SCHEDULED, ["complete", "no_show", "cancel", "late_cancel"]),
    (S.COMPLETED, ["reopen"]),
    (S.NO_SHOW, ["reopen"]),
    (S.CANCELLED, ["reopen"]),
    (S.LATE_CANCELLED, ["reopen"]),
])
def test_actions_per_status(ap_make, ap_ctx, status, offered):
    a = ap_make()
    if status != S.SCHEDULED:
        services.appointment_transition(appointment=a, ctx=ap_ctx, to_status=status)
    assert services.appointment_allowed_actions(appointment=a) == offered


def test_a_signed_session_offers_no_status_action(ap_make, ap_ctx, ap_owner):
    a = ap_make()
    services.appointment_complete(appointment=a, ctx=ap_ctx)
    services.appointment_note_sign(appointment=a, actor=ap_owner, ctx=ap_ctx)
    a.refresh_from_db()
    assert services.appointment_allowed_actions(appointment=a) == []


def test_a_billed_session_offers_no_status_action_and_cannot_be_reopened(ap_make, ap_ctx,
                                                                         ap_owner):
    a = ap_make()
    services.appointment_complete(appointment=a, ctx=ap_ctx)
    invoice_create_for_session(practice=a.practice, appointment_id=a.pk,
                               amount=Decimal("100.00"), cpt="90834", ctx=ap_ctx)
    assert services.appointment_allowed_actions(appointment=a) == []
    with pytest.raises(services.TransitionRefused, match="billed"):
        services.appointment_reopen(appointment=a, ctx=ap_ctx)
    resp = api_for(ap_owner).post(f"{API}/{a.pk}/reopen")
    assert resp.status_code == 409 and "billed" in resp.json()["errors"]["status"]
    assert a.events.count() == 2


def test_api_detail_and_action_answers_list_the_actions(ap_make, ap_owner):
    a = ap_make()
    api = api_for(ap_owner)
    assert api.get(f"{API}/{a.pk}").json()["actions"] == [
        "complete", "no_show", "cancel", "late_cancel"]
    done = api.post(f"{API}/{a.pk}/complete").json()
    assert done["status"] == "completed" and done["actions"] == ["reopen"]
    assert "actions" not in api.get(API).json()["items"][0]


def test_detail_page_buttons_and_history(ap_make, ap_ctx, ap_owner):
    a = ap_make()
    services.appointment_cancel(appointment=a, ctx=ap_ctx, late=True)
    html = web_for(ap_owner).get(reverse("appointments:detail", args=[a.pk])).content.decode()
    assert "Reopen" in html and ">Complete<" not in html and "Late cancel" not in html
    assert "<h2>History</h2>" in html and "<td>late_cancelled</td>" in html
