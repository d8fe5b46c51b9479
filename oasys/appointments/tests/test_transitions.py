"""The status transition table: every legal edge, illegal edges, and the guards."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from oasys.appointments import services
from oasys.appointments.models import Appointment
from oasys.appointments.models import AppointmentStatus as S
from oasys.core.models import AuditEvent

pytestmark = pytest.mark.django_db

LEGAL = {
    (S.SCHEDULED, S.COMPLETED),
    (S.SCHEDULED, S.NO_SHOW),
    (S.SCHEDULED, S.LATE_CANCELLED),
    (S.SCHEDULED, S.CANCELLED),
    (S.COMPLETED, S.SCHEDULED),
    (S.NO_SHOW, S.SCHEDULED),
    (S.LATE_CANCELLED, S.SCHEDULED),
    (S.CANCELLED, S.SCHEDULED),
}
ALL_EDGES = set(itertools.permutations(S.values, 2)) | {(s, s) for s in S.values}


def test_the_table_is_exactly_the_documented_one():
    table = {(a, b) for a, targets in services.TRANSITIONS.items() for b in targets}
    assert table == LEGAL
    for a, b in LEGAL:  # and the docstring lists every edge
        assert a in services.__doc__ and b in services.__doc__


def at(appointment: Appointment, status: str) -> Appointment:
    # Arrange a starting state directly: the test is about the next edge, not this one.
    Appointment.objects.filter(pk=appointment.pk).update(status=status)
    appointment.refresh_from_db()
    return appointment


@pytest.mark.parametrize(("source", "target"), sorted(LEGAL))
def test_every_legal_edge_is_allowed_and_audited(ap_appointment, ap_ctx, source, target):
    appointment = at(ap_appointment, source)
    services.appointment_transition(appointment=appointment, ctx=ap_ctx, to_status=target)
    appointment.refresh_from_db()
    assert appointment.status == target
    event = AuditEvent.objects.filter(action="update", object_type="Appointment").last()
    assert event.category == "session" and event.client_id_ref == appointment.client_id
    assert event.object_id == str(appointment.pk) and event.detail == {"fields": ["status"]}


@pytest.mark.parametrize(("source", "target"), sorted(ALL_EDGES - LEGAL))
def test_every_illegal_edge_is_refused_and_changes_nothing(ap_appointment, ap_ctx, source, target):
    appointment = at(ap_appointment, source)
    with pytest.raises(services.TransitionRefused):
        services.appointment_transition(appointment=appointment, ctx=ap_ctx, to_status=target)
    appointment.refresh_from_db()
    assert appointment.status == source


def test_named_actions(ap_make, ap_ctx):
    a = ap_make()
    services.appointment_complete(appointment=a, ctx=ap_ctx)
    assert a.status == S.COMPLETED
    b = ap_make()
    services.appointment_no_show(appointment=b, ctx=ap_ctx)
    assert b.status == S.NO_SHOW
    c = ap_make()
    services.appointment_cancel(appointment=c, ctx=ap_ctx, late=True)
    assert c.status == S.LATE_CANCELLED
    d = ap_make()
    services.appointment_cancel(appointment=d, ctx=ap_ctx)
    assert d.status == S.CANCELLED
    services.appointment_reopen(appointment=d, ctx=ap_ctx)
    assert Appointment.objects.get(pk=d.pk).status == S.SCHEDULED


def test_cannot_complete_or_no_show_before_the_session_starts(ap_make, ap_ctx):
    future = ap_make(start=timezone.now() + dt.timedelta(days=1))
    for action in (services.appointment_complete, services.appointment_no_show):
        with pytest.raises(services.TransitionRefused, match="not started"):
            action(appointment=future, ctx=ap_ctx)
    services.appointment_cancel(appointment=future, ctx=ap_ctx)  # cancelling ahead is fine
    assert future.status == S.CANCELLED


def test_a_signed_session_is_never_reopened(ap_appointment, ap_ctx, ap_owner):
    services.appointment_complete(appointment=ap_appointment, ctx=ap_ctx)
    services.appointment_note_sign(appointment=ap_appointment, actor=ap_owner, ctx=ap_ctx)
    with pytest.raises(services.TransitionRefused, match="signed"):
        services.appointment_reopen(appointment=ap_appointment, ctx=ap_ctx)
    assert Appointment.objects.get(pk=ap_appointment.pk).status == S.COMPLETED
