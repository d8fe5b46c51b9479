"""Superbill selectors and services: which sessions are eligible, the figures they state
(fee from the invoice or the pricing, paid from the journal), individual and consolidated,
a session on one non-void superbill at most, send (PDF attached, no diagnosis in the body),
void, recreate, and the audit rows."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from oasys.billing.tests import factories as f
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditEvent, SentEmail
from oasys.superbills.models import (
    Superbill,
    SuperbillEvent,
    SuperbillKind,
    SuperbillLine,
    SuperbillStatus,
)
from oasys.superbills.selectors import eligible_sessions, session_paid_amounts
from oasys.superbills.services import (
    AlreadyOnSuperbill,
    superbill_create,
    superbill_recreate,
    superbill_send,
    superbill_void,
)

from .world import superbill_world

pytestmark = pytest.mark.django_db


def _make(w, kind=SuperbillKind.CONSOLIDATED, **kw):
    return superbill_create(practice=w.practice, client_ids=[w.client.pk],
                            date_from=w.date_from, date_to=w.date_to, kind=kind,
                            ctx=f.ctx_for(practice=w.practice), **kw)


def test_eligible_sessions_are_completed_uninsured_and_in_the_period(practice):
    w = superbill_world(practice)
    rows = eligible_sessions(practice=practice, client_ids=[w.client.pk, w.insured.client_id],
                             date_from=w.date_from, date_to=w.date_to)
    assert [r.appointment.pk for r in rows] == [s.pk for s in w.sessions]
    first, second, _ = rows
    # invoiced: the invoice line's amount; the journal's $80 payment
    assert (first.fee, first.paid, first.cpt_code) == (Decimal("165.00"), Decimal("80.00"),
                                                        "90837")
    # never invoiced: the service type's rate, nothing paid
    assert (second.fee, second.paid) == (Decimal("165.00"), Decimal("0.00"))
    assert first.diagnosis_codes == ["F41.1", "F33.1"]
    assert first.description == "Psychotherapy, 60 minutes"
    assert all(r.selectable for r in rows)


def test_pricing_rule_sets_the_fee_of_an_uninvoiced_session(practice):
    w = superbill_world(practice)
    f.make_pricing_rule(w.client, w.service_type, price=Decimal("95.00"))
    rows = eligible_sessions(practice=practice, client_ids=[w.client.pk],
                             date_from=w.date_from, date_to=w.date_to)
    assert [r.fee for r in rows] == [Decimal("165.00"), Decimal("95.00"), Decimal("95.00")]


def test_a_session_with_no_fee_is_not_stated_as_zero(practice):
    """A sliding-scale service with no rate and no price for the client: the session is
    listed but cannot be chosen (a $0.00 line reads to a payer as nothing billed)."""
    w = superbill_world(practice)
    w.service_type.rate = None
    w.service_type.save(update_fields=["rate"])
    rows = eligible_sessions(practice=practice, client_ids=[w.client.pk],
                             date_from=w.date_from, date_to=w.date_to)
    first, second, third = rows
    assert first.fee == Decimal("165.00") and first.selectable  # its invoice line says so
    assert second.fee is None and not second.selectable and third.fee is None
    with pytest.raises(InvalidInput) as exc:
        _make(w, appointment_ids=[second.appointment.pk])
    assert "has no fee" in exc.value.errors["appointment_ids"]
    assert not Superbill.objects.exists()
    made = _make(w)  # everything eligible: the unpriced ones are left out
    assert [ln.appointment_id for ln in made[0].lines.all()] == [first.appointment.pk]


def test_paid_is_spread_over_an_invoices_lines_in_order(practice):
    w = superbill_world(practice)
    paid = session_paid_amounts(practice=practice, appointment_ids=[s.pk for s in w.sessions])
    assert paid == {w.sessions[0].pk: Decimal("80.00")}


def test_consolidated_makes_one_superbill_per_client_with_every_session(practice):
    w = superbill_world(practice)
    [sb] = _make(w)
    assert sb.status == SuperbillStatus.CREATED and sb.number.startswith("SB-")
    assert (sb.period_start, sb.period_end) == (w.date_from, w.date_to)
    lines = list(sb.lines.order_by("service_date"))
    assert [ln.appointment_id for ln in lines] == [s.pk for s in w.sessions]
    assert lines[0].diagnosis_codes == "F41.1,F33.1" and lines[0].fee == Decimal("165.00")
    assert SuperbillEvent.objects.filter(superbill=sb, to_status="created").count() == 1
    audit = AuditEvent.objects.get(category="superbill", action="create", object_id=str(sb.pk))
    assert audit.client_id_ref == w.client.pk and audit.detail["sessions"] == 3


def test_individual_makes_one_per_session_and_only_the_ticked(practice):
    w = superbill_world(practice)
    made = _make(w, kind=SuperbillKind.INDIVIDUAL,
                 appointment_ids=[w.sessions[0].pk, w.sessions[2].pk])
    assert len(made) == 2
    assert [sb.lines.get().appointment_id for sb in made] == [w.sessions[0].pk,
                                                              w.sessions[2].pk]
    assert made[0].period_start == made[0].period_end == made[0].lines.get().service_date


def test_a_session_goes_on_one_non_void_superbill(practice):
    w = superbill_world(practice)
    [sb] = _make(w, appointment_ids=[w.sessions[0].pk])
    rows = eligible_sessions(practice=practice, client_ids=[w.client.pk],
                             date_from=w.date_from, date_to=w.date_to)
    assert rows[0].on_superbill == sb.number and not rows[0].selectable
    with pytest.raises(AlreadyOnSuperbill):
        _make(w, appointment_ids=[w.sessions[0].pk, w.sessions[1].pk])
    assert Superbill.objects.count() == 1
    # without a choice, what is already stated is left out
    [rest] = _make(w)
    assert sorted(rest.lines.values_list("appointment_id", flat=True)) == sorted(
        [w.sessions[1].pk, w.sessions[2].pk])
    # and the database refuses a second current line for the session
    with pytest.raises(IntegrityError), transaction.atomic():
        SuperbillLine.objects.create(practice=practice, superbill=rest,
                                     appointment=w.sessions[0], service_date=w.date_to,
                                     place_of_service="11", fee=Decimal("1.00"))


@pytest.mark.parametrize("bad, field", [
    ({"client_ids": []}, "client_ids"),
    ({"kind": "weekly"}, "kind"),
    ({"date_from": None}, "date_from"),
])
def test_bad_requests_are_refused_and_make_nothing(practice, bad, field):
    w = superbill_world(practice)
    args = dict(practice=practice, client_ids=[w.client.pk], date_from=w.date_from,
                date_to=w.date_to, kind=SuperbillKind.CONSOLIDATED,
                ctx=f.ctx_for(practice=practice)) | bad
    with pytest.raises(InvalidInput) as exc:
        superbill_create(**args)
    assert field in exc.value.errors
    assert not Superbill.objects.exists()


def test_insured_or_cancelled_sessions_are_refused_when_chosen(practice):
    w = superbill_world(practice)
    for appt in (w.insured, w.cancelled, w.outside):
        with pytest.raises(InvalidInput):
            superbill_create(practice=practice, client_ids=[appt.client_id],
                             date_from=w.date_from, date_to=w.date_to,
                             kind=SuperbillKind.CONSOLIDATED, appointment_ids=[appt.pk],
                             ctx=f.ctx_for(practice=practice))
    assert not Superbill.objects.exists()


def test_another_practices_client_is_refused(practice, other_practice):
    w = superbill_world(practice)
    stranger = f.make_client(other_practice)
    with pytest.raises(InvalidInput):
        superbill_create(practice=practice, client_ids=[stranger.pk], date_from=w.date_from,
                         date_to=w.date_to, kind=SuperbillKind.CONSOLIDATED,
                         ctx=f.ctx_for(practice=practice))


def test_send_emails_the_pdf_without_a_diagnosis_in_the_body(
        practice, django_capture_on_commit_callbacks):
    w = superbill_world(practice)
    [sb] = _make(w)
    with django_capture_on_commit_callbacks(execute=True):
        superbill_send(superbill=sb, ctx=f.ctx_for(practice=practice))
    sb.refresh_from_db()
    assert sb.status == SuperbillStatus.SENT and sb.sent_to == w.client.email
    email = SentEmail.objects.get(object_type="Superbill", object_id=str(sb.pk))
    assert email.to == w.client.email and email.attachment_names == [
        f"Superbill {sb.number}.pdf"]
    att = email.attachments.get()
    assert att.content_type == "application/pdf" and bytes(att.content).startswith(b"%PDF")
    for body in (email.text_body, email.html_body, email.subject):
        for secret in ("F41.1", "F33.1", "Anxiety", "90837"):
            assert secret not in body
    assert AuditEvent.objects.filter(category="superbill", action="export",
                                     object_id=str(sb.pk), detail__via="email").exists()
    # sending again keeps it Sent
    superbill_send(superbill=sb, ctx=f.ctx_for(practice=practice))
    assert SentEmail.objects.filter(object_type="Superbill").count() == 2


def test_send_without_an_address_is_refused(practice):
    w = superbill_world(practice)
    [sb] = _make(w)
    type(w.client).objects.filter(pk=w.client.pk).update(email="")
    sb.refresh_from_db()
    with pytest.raises(InvalidInput):
        superbill_send(superbill=sb, ctx=f.ctx_for(practice=practice))
    sb.refresh_from_db()
    assert sb.status == SuperbillStatus.CREATED and not SentEmail.objects.exists()


def test_void_frees_the_sessions_and_is_final(practice):
    w = superbill_world(practice)
    [sb] = _make(w)
    superbill_void(superbill=sb, ctx=f.ctx_for(practice=practice), reason="wrong period")
    sb.refresh_from_db()
    assert sb.status == SuperbillStatus.VOID and sb.voided_at is not None
    assert not sb.lines.filter(current=True).exists()
    assert AuditEvent.objects.filter(category="superbill", action="update",
                                     object_id=str(sb.pk), detail__to="void").exists()
    with pytest.raises(Conflict):
        superbill_void(superbill=sb, ctx=f.ctx_for(practice=practice))
    with pytest.raises(Conflict):
        superbill_send(superbill=sb, ctx=f.ctx_for(practice=practice))
    [again] = _make(w)
    assert again.lines.count() == 3


def test_recreate_voids_and_makes_the_same_sessions_again(practice):
    w = superbill_world(practice)
    [sb] = _make(w, kind=SuperbillKind.INDIVIDUAL, appointment_ids=[w.sessions[1].pk])
    f.make_diagnosis(w.client, code="F43.10", position=3)  # added since
    new = superbill_recreate(superbill=sb, ctx=f.ctx_for(practice=practice))
    sb.refresh_from_db()
    assert sb.status == SuperbillStatus.VOID and sb.replaced_by_id == new.pk
    assert new.kind == SuperbillKind.INDIVIDUAL
    assert new.lines.get().appointment_id == w.sessions[1].pk
    assert new.lines.get().diagnosis_codes == "F41.1,F33.1,F43.10"
    with pytest.raises(Conflict):
        superbill_recreate(superbill=sb, ctx=f.ctx_for(practice=practice))
