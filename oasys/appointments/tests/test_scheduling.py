"""Scheduling and editing sessions: defaults from the service type, and the checks."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from oasys.appointments import services
from oasys.clients.errors import error_messages
from oasys.practice.models import ServiceType

from .conftest import past

pytestmark = pytest.mark.django_db


def refused(practice, ctx, data) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        services.appointment_create(practice=practice, ctx=ctx, data=data)
    return error_messages(info.value)


def test_defaults_come_from_the_service_type(ap_make, ap_service_type):
    start = past()
    appointment = ap_make(start=start)
    assert appointment.end - appointment.start == dt.timedelta(minutes=53)
    assert appointment.place_of_service == "10" and appointment.modifiers == "95"
    assert appointment.status == "scheduled"


def test_explicit_end_pos_and_modifiers(ap_make):
    start = past()
    appointment = ap_make(
        start=start, end=start + dt.timedelta(minutes=30), place_of_service="11", modifiers="hO, 95"
    )
    assert appointment.duration_minutes == 30
    assert appointment.place_of_service == "11" and appointment.modifiers == "HO,95"


def test_naive_and_iso_times_are_practice_local(ap_make, ap_practice):
    appointment = ap_make(start="2024-03-05T14:00", end="2024-03-05T14:45")
    local = appointment.start.astimezone(zoneinfo.ZoneInfo(ap_practice.timezone))
    assert (local.hour, local.minute) == (14, 0)
    utc = ap_make(start="2024-03-05T19:00:00Z")
    assert utc.start == dt.datetime(2024, 3, 5, 19, 0, tzinfo=dt.UTC)


def test_checks(ap_practice, ap_ctx, ap_client, ap_clinician, ap_service_type):
    base = {"client": ap_client, "clinician": ap_clinician, "service_type": ap_service_type}
    start = past()
    errors = refused(ap_practice, ap_ctx, {**base, "start": start, "end": start})
    assert errors == {"end": "The session must end after it starts."}
    errors = refused(
        ap_practice, ap_ctx, {**base, "start": start, "end": start + dt.timedelta(hours=13)}
    )
    assert set(errors) == {"end"}
    errors = refused(ap_practice, ap_ctx, {**base, "start": "next tuesday"})
    assert set(errors) == {"start"}
    errors = refused(ap_practice, ap_ctx, {**base, "start": start, "place_of_service": "77"})
    assert set(errors) == {"place_of_service"}
    errors = refused(ap_practice, ap_ctx, {**base, "start": start, "modifiers": "95,GT,HO,U1,U2"})
    assert set(errors) == {"modifiers"}
    errors = refused(ap_practice, ap_ctx, {"start": start})
    assert set(errors) == {"client", "clinician", "service_type"}


def test_objects_of_another_practice_or_inactive_are_refused(
    ap_practice, ap_ctx, ap_client, ap_clinician, ap_service_type, ap_other_appointment
):
    other = ap_other_appointment
    errors = refused(
        ap_practice,
        ap_ctx,
        {
            "client": other.client_id,
            "clinician": other.clinician_id,
            "service_type": other.service_type_id,
            "start": past(),
        },
    )
    assert {"client", "clinician", "service_type"} <= set(errors)
    ap_clinician.is_active = False
    ap_clinician.save()
    retired = ServiceType.objects.create(practice=ap_practice, name="Old", is_active=False)
    errors = refused(
        ap_practice,
        ap_ctx,
        {"client": ap_client, "clinician": ap_clinician, "service_type": retired, "start": past()},
    )
    assert {"clinician", "service_type"} <= set(errors)


def test_update_before_and_after_signing(ap_appointment, ap_ctx, ap_owner, ap_free_clinician):
    services.appointment_update(
        appointment=ap_appointment,
        ctx=ap_ctx,
        data={"clinician": ap_free_clinician, "modifiers": ""},
    )
    ap_appointment.refresh_from_db()
    assert ap_appointment.clinician == ap_free_clinician and ap_appointment.modifiers == ""
    services.appointment_complete(appointment=ap_appointment, ctx=ap_ctx)
    services.appointment_note_sign(appointment=ap_appointment, actor=ap_owner, ctx=ap_ctx)
    services.appointment_update(
        appointment=ap_appointment, ctx=ap_ctx, data={"modifiers": "95", "place_of_service": "02"}
    )
    with pytest.raises(ValidationError) as info:
        services.appointment_update(appointment=ap_appointment, ctx=ap_ctx, data={"start": past(5)})
    assert "signed" in error_messages(info.value)["start"]
    ap_appointment.refresh_from_db()
    assert ap_appointment.modifiers == "95" and ap_appointment.place_of_service == "02"


def test_a_session_on_the_fall_back_night_lasts_its_real_duration(ap_make):
    """The default end is start + the service's minutes of real time, not of wall clock
    (1:30 EDT + 53 minutes is 1:23 EST on Nov 1, 2026, not 2:23)."""
    ny = zoneinfo.ZoneInfo("America/New_York")
    night = ap_make(start=dt.datetime(2026, 11, 1, 1, 30, tzinfo=ny))
    night.refresh_from_db()
    assert night.end - night.start == dt.timedelta(minutes=53)
    assert night.end.astimezone(ny).strftime("%H:%M %Z") == "01:23 EST"
