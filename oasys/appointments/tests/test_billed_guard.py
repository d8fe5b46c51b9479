"""A billed session is frozen: its status and what it bills cannot change behind the bill."""

import pytest
from django.core.exceptions import ValidationError

from oasys.appointments import services as a
from oasys.billing.tests import factories as f
from oasys.invoices.services import invoice_create_for_session

pytestmark = pytest.mark.django_db


def test_invoiced_session_cannot_be_reopened_cancelled_or_moved(practice):
    appt = f.self_pay_session(practice)
    # Unsigned on purpose: invoices need no signed note, so only the billed guard applies.
    type(appt).objects.filter(pk=appt.pk).update(note_signed_at=None, note_signed_by=None)
    appt.refresh_from_db()
    ctx = f.ctx_for(practice=practice)
    invoice_create_for_session(practice=practice, appointment_id=appt.pk,
                               amount=appt.service_type.rate, cpt="90834", ctx=ctx)
    for action in (a.appointment_reopen, a.appointment_cancel):
        with pytest.raises(ValidationError, match="billed"):
            action(appointment=appt, ctx=ctx)
    other = f.make_client(practice)
    with pytest.raises(ValidationError, match="billed"):
        a.appointment_update(appointment=appt, ctx=ctx, data={"client": other.pk})
    appt.refresh_from_db()
    assert appt.status == "completed" and appt.client_id != other.pk


def test_far_future_start_is_a_field_error_not_a_crash(api_client, practice):
    c = f.make_client(practice)
    cl = f.make_clinician(practice)
    st = f.make_service_type(practice)
    resp = api_client.post("/api/v1/appointments", {
        "client_id": c.pk, "clinician_id": cl.pk, "service_type_id": st.pk,
        "start": "9999-12-31T23:30:00"}, content_type="application/json")
    assert resp.status_code == 422
    assert "year" in resp.json()["errors"]["start"]
