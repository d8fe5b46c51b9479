"""Who may sign a note and approve a supervised session, and when."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from oasys.appointments import services
from oasys.appointments.models import Appointment
from oasys.core.models import AuditEvent
from oasys.practice.models import Clinician

from .conftest import ctx_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(ap_appointment, ap_ctx):
    services.appointment_complete(appointment=ap_appointment, ctx=ap_ctx)
    return ap_appointment


def test_the_sessions_clinician_signs(done, ap_clinician_user):
    services.appointment_note_sign(
        appointment=done, actor=ap_clinician_user, ctx=ctx_for(ap_clinician_user)
    )
    done.refresh_from_db()
    assert done.note_signed_at is not None and done.note_signed_by == ap_clinician_user
    event = AuditEvent.objects.filter(action="update", object_type="Appointment").last()
    assert event.detail == {"fields": ["note_signed_at", "note_signed_by"]}
    assert event.user_id_ref == ap_clinician_user.pk


def test_the_owner_signs(done, ap_owner):
    services.appointment_note_sign(appointment=done, actor=ap_owner, ctx=ctx_for(ap_owner))
    assert Appointment.objects.get(pk=done.pk).note_signed_by == ap_owner


@pytest.mark.parametrize("who", ["ap_biller", "ap_supervisor_user", "ap_other_clinician_user"])
def test_others_cannot_sign(done, request, who):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.appointment_note_sign(appointment=done, actor=user, ctx=ctx_for(user))
    assert Appointment.objects.get(pk=done.pk).note_signed_at is None
    assert AuditEvent.objects.filter(outcome="denied", object_type="Appointment").exists()


def test_sign_needs_a_completed_or_no_show_session_and_happens_once(ap_make, ap_owner, ap_ctx):
    scheduled = ap_make()
    with pytest.raises(services.TransitionRefused, match="before signing"):
        services.appointment_note_sign(appointment=scheduled, actor=ap_owner, ctx=ap_ctx)
    no_show = ap_make()
    services.appointment_no_show(appointment=no_show, ctx=ap_ctx)
    services.appointment_note_sign(appointment=no_show, actor=ap_owner, ctx=ap_ctx)
    with pytest.raises(services.TransitionRefused, match="already signed"):
        services.appointment_note_sign(appointment=no_show, actor=ap_owner, ctx=ap_ctx)


def test_supervisor_approves_after_signing(done, ap_clinician_user, ap_supervisor_user):
    with pytest.raises(services.TransitionRefused, match="signed before"):
        services.appointment_approve(
            appointment=done, actor=ap_supervisor_user, ctx=ctx_for(ap_supervisor_user)
        )
    services.appointment_note_sign(
        appointment=done, actor=ap_clinician_user, ctx=ctx_for(ap_clinician_user)
    )
    services.appointment_approve(
        appointment=done, actor=ap_supervisor_user, ctx=ctx_for(ap_supervisor_user)
    )
    done.refresh_from_db()
    assert done.supervisor_approved_by == ap_supervisor_user and done.supervisor_approved_at
    with pytest.raises(services.TransitionRefused, match="already approved"):
        services.appointment_approve(
            appointment=done, actor=ap_supervisor_user, ctx=ctx_for(ap_supervisor_user)
        )


def test_owner_may_approve(done, ap_owner):
    services.appointment_note_sign(appointment=done, actor=ap_owner, ctx=ctx_for(ap_owner))
    services.appointment_approve(appointment=done, actor=ap_owner, ctx=ctx_for(ap_owner))
    assert Appointment.objects.get(pk=done.pk).supervisor_approved_by == ap_owner


@pytest.mark.parametrize("who", ["ap_clinician_user", "ap_biller", "ap_other_clinician_user"])
def test_others_cannot_approve_not_even_the_clinician_herself(done, ap_owner, request, who):
    services.appointment_note_sign(appointment=done, actor=ap_owner, ctx=ctx_for(ap_owner))
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.appointment_approve(appointment=done, actor=user, ctx=ctx_for(user))
    assert Appointment.objects.get(pk=done.pk).supervisor_approved_at is None


def test_unsupervised_clinician_needs_no_approval(ap_make, ap_free_clinician, ap_owner, ap_ctx):
    appointment = ap_make(clinician=ap_free_clinician)
    services.appointment_complete(appointment=appointment, ctx=ap_ctx)
    services.appointment_note_sign(appointment=appointment, actor=ap_owner, ctx=ap_ctx)
    with pytest.raises(services.TransitionRefused, match="no supervisor"):
        services.appointment_approve(appointment=appointment, actor=ap_owner, ctx=ap_ctx)


def test_owner_who_is_the_supervised_clinician_cannot_approve_own_session(
    ap_make, ap_practice, ap_owner, ap_supervisor, ap_ctx
):
    me = Clinician.objects.create(
        practice=ap_practice,
        user=ap_owner,
        first_name="Own",
        last_name="Er",
        supervisor=ap_supervisor,
    )
    appointment = ap_make(clinician=me)
    services.appointment_complete(appointment=appointment, ctx=ap_ctx)
    services.appointment_note_sign(appointment=appointment, actor=ap_owner, ctx=ap_ctx)
    with pytest.raises(PermissionDenied):
        services.appointment_approve(appointment=appointment, actor=ap_owner, ctx=ap_ctx)
