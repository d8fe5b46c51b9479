"""Claims: creation from a Ready session, the status machine, the billing key, the control
number, and submission through a fake clearinghouse port."""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from decimal import Decimal

import pytest
from django.utils import timezone

from oasys.appointments.models import AppointmentStatus
from oasys.billing.readiness import billing_queue
from oasys.billing.services import billing_submit
from oasys.billing.tests import factories as f
from oasys.claims.models import Claim, ClaimEvent, ClaimLine, ClaimSubmission
from oasys.claims.services import (
    AlreadyBilled,
    ClaimDraft,
    IllegalTransition,
    claim_create_for_session,
    claim_transition,
    patient_control_number,
)
from oasys.claims.status import TRANSITIONS, ClaimStatus
from oasys.claims.submission import submission_send
from oasys.clearinghouse.models import FileStatus
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditEvent
from x12.tests.pyx12_check import pyx12_errors

pytestmark = pytest.mark.django_db

S = ClaimStatus


def draft_for(s) -> ClaimDraft:
    return ClaimDraft(appointment_id=s.appointment.pk, policy_id=s.policy.pk,
                      payer_id=s.payer.pk, cpt="90834", charge=Decimal("130.00"),
                      diagnosis_codes=("F41.1",))


@pytest.fixture
def s(practice):
    return f.ready_claim_session(practice)


@pytest.fixture
def ctx(owner):
    return f.ctx_for(owner)


# --- creation ---------------------------------------------------------------------------------


def test_a_code_the_practice_cannot_bill_is_refused_and_nothing_written(s, ctx):
    draft = ClaimDraft(appointment_id=s.appointment.pk, policy_id=s.policy.pk,
                       payer_id=s.payer.pk, cpt="99999", charge=Decimal("130.00"),
                       diagnosis_codes=("F41.1",))
    with pytest.raises(InvalidInput, match="99999 is not a CPT code Oasys knows"):
        claim_create_for_session(practice=s.practice, draft=draft, ctx=ctx)
    assert not Claim.objects.exists()


def test_claim_created_as_draft_with_one_line_event_and_audit(s, ctx, owner):
    audits = AuditEvent.objects.count()
    claim = claim_create_for_session(practice=s.practice, draft=draft_for(s), ctx=ctx,
                                     actor=owner)
    claim.refresh_from_db()
    assert claim.status == S.DRAFT
    assert claim.billing_key == f"appt:{s.appointment.pk}:P"
    assert claim.frequency == "1"
    assert claim.payer_sequence == "P"
    assert claim.total_charge == Decimal("130.00")
    assert claim.diagnosis_codes == ["F41.1"]
    assert claim.service_date == timezone.localdate() - dt.timedelta(days=3)
    assert claim.place_of_service == "11"
    assert (claim.client_id, claim.payer_id, claim.policy_id, claim.clinician_id) == (
        s.client.pk, s.payer.pk, s.policy.pk, s.clinician.pk)
    lines = list(ClaimLine.objects.filter(claim=claim))
    assert [(ln.line_number, ln.procedure_code, ln.charge, ln.diagnosis_pointers)
            for ln in lines] == [(1, "90834", Decimal("130.00"), [1])]
    assert [(e.from_status, e.to_status, e.actor_id) for e in claim.events.all()] == [
        ("", S.DRAFT, owner.pk)]
    assert AuditEvent.objects.count() == audits + 1
    last = AuditEvent.objects.order_by("-seq").first()
    assert (last.action, last.category, last.object_id, last.client_id_ref) == (
        "create", "claim", str(claim.pk), s.client.pk)


def test_patient_control_number_format():
    assert patient_control_number(1) == "OA00000001"
    assert patient_control_number(35) == "OA0000000Z"
    assert patient_control_number(36) == "OA00000010"
    assert patient_control_number(36**8 - 1) == "OAZZZZZZZZ"


def test_created_claim_carries_its_control_number(s, ctx):
    claim = claim_create_for_session(practice=s.practice, draft=draft_for(s), ctx=ctx)
    claim.refresh_from_db()
    assert claim.patient_control_number == patient_control_number(claim.pk)
    assert re.fullmatch(r"OA[0-9A-Z]{8}", claim.patient_control_number)


def test_second_claim_for_the_same_session_is_refused(s, ctx):
    claim_create_for_session(practice=s.practice, draft=draft_for(s), ctx=ctx)
    with pytest.raises(AlreadyBilled):
        claim_create_for_session(practice=s.practice, draft=draft_for(s), ctx=ctx)
    assert Claim.objects.filter(appointment=s.appointment).count() == 1
    assert ClaimLine.objects.count() == 1
    assert ClaimEvent.objects.count() == 1


# --- the status machine -----------------------------------------------------------------------


def _path_from_draft(target: str) -> list[str]:
    """Shortest list of statuses leading from Draft to `target` through TRANSITIONS."""
    prev: dict[str, str | None] = {S.DRAFT: None}
    queue = deque([S.DRAFT])
    while queue:
        cur = queue.popleft()
        for nxt in sorted(TRANSITIONS[cur]):
            if nxt not in prev:
                prev[nxt] = cur
                queue.append(nxt)
    assert target in prev, f"{target} cannot be reached from draft"
    path = []
    node: str | None = target
    while node is not None and node != S.DRAFT:
        path.append(node)
        node = prev[node]
    return list(reversed(path))


def _bare_claim(s, n: int) -> Claim:
    """A Draft claim row of the scenario's session (test data: keyed apart from billing)."""
    return Claim.objects.create(
        practice=s.practice, billing_key=f"test:{n}", appointment=s.appointment,
        client=s.client, policy=s.policy, payer=s.payer, clinician=s.clinician,
        patient_control_number=f"TEST{n:08d}", service_date=s.appointment.start.date(),
        place_of_service="11", total_charge=Decimal("130.00"), diagnosis_codes=["F41.1"],
    )


def _claim_in(s, status: str, ctx, n: int = 1) -> Claim:
    claim = _bare_claim(s, n)
    for step in _path_from_draft(status):
        claim_transition(claim=claim, to=step, ctx=ctx, source="test setup")
    claim.refresh_from_db()
    assert claim.status == status
    return claim


LEGAL_EDGES = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)


def test_every_status_has_a_row_in_the_table():
    assert set(TRANSITIONS) == set(ClaimStatus.values)
    assert TRANSITIONS[S.CLOSED] == frozenset()


@pytest.mark.parametrize(("frm", "to"), LEGAL_EDGES, ids=[f"{a}->{b}" for a, b in LEGAL_EDGES])
def test_every_legal_edge_succeeds_and_is_recorded(s, ctx, owner, frm, to):
    claim = _claim_in(s, frm, ctx)
    events = ClaimEvent.objects.filter(claim=claim).count()
    audits = AuditEvent.objects.count()
    out = claim_transition(claim=claim, to=to, ctx=ctx, actor=owner, source="835 file x.835",
                           reason="because")
    assert out.status == to
    claim.refresh_from_db()
    assert claim.status == to
    assert claim.status_changed_at is not None
    assert ClaimEvent.objects.filter(claim=claim).count() == events + 1
    ev = ClaimEvent.objects.filter(claim=claim).order_by("-pk").first()
    assert (ev.from_status, ev.to_status, ev.actor_id, ev.source, ev.reason) == (
        frm, to, owner.pk, "835 file x.835", "because")
    assert AuditEvent.objects.count() == audits + 1
    audit = AuditEvent.objects.order_by("-seq").first()
    assert (audit.category, audit.object_type, audit.object_id, audit.detail) == (
        "claim", "Claim", str(claim.pk), {"from": frm, "to": to})


ILLEGAL_EDGES = [
    (S.DRAFT, S.PAID), (S.DRAFT, S.ACKNOWLEDGED), (S.DRAFT, S.DRAFT), (S.SUBMITTED, S.DRAFT),
    (S.SUBMITTED, S.SUBMITTED), (S.ACKNOWLEDGED, S.SUBMITTED), (S.PAID, S.DRAFT),
    (S.PAID, S.SUBMITTED), (S.REJECTED, S.PAID), (S.VOIDED, S.DRAFT), (S.VOIDED, S.SUBMITTED),
    (S.CLOSED, S.DRAFT), (S.CLOSED, S.PAID), (S.CLOSED, S.CLOSED), (S.DENIED, S.SUBMITTED),
]


def test_illegal_sample_really_is_illegal():
    for frm, to in ILLEGAL_EDGES:
        assert to not in TRANSITIONS[frm]


@pytest.mark.parametrize(("frm", "to"), ILLEGAL_EDGES, ids=[f"{a}->{b}" for a, b in ILLEGAL_EDGES])
def test_illegal_edges_raise_and_write_nothing(s, ctx, frm, to):
    claim = _claim_in(s, frm, ctx)
    events = ClaimEvent.objects.count()
    audits = AuditEvent.objects.count()
    with pytest.raises(IllegalTransition):
        claim_transition(claim=claim, to=to, ctx=ctx)
    claim.refresh_from_db()
    assert claim.status == frm
    assert ClaimEvent.objects.count() == events
    assert AuditEvent.objects.count() == audits


def test_same_status_is_a_no_op_only_when_allowed(s, ctx):
    claim = _claim_in(s, S.PAID, ctx)
    events = ClaimEvent.objects.count()
    out = claim_transition(claim=claim, to=S.PAID, ctx=ctx, allow_same=True)
    assert out.status == S.PAID
    assert ClaimEvent.objects.count() == events


def test_transition_uses_the_stored_status_not_a_stale_object(s, ctx):
    claim = _claim_in(s, S.SUBMITTED, ctx)
    stale = Claim.objects.get(pk=claim.pk)
    claim_transition(claim=claim, to=S.PAID, ctx=ctx)
    stale_status = stale.status
    assert stale_status == S.SUBMITTED
    with pytest.raises(IllegalTransition):  # paid -> acknowledged, whatever `stale` says
        claim_transition(claim=stale, to=S.ACKNOWLEDGED, ctx=ctx)


# --- nothing else assigns a claim status: the static check covers every machine now, in
# oasys/core/tests/test_state_machines.py (claims/services.py and the mechanism write it).


# --- submission through the port --------------------------------------------------------------


def test_billing_submit_sends_one_valid_837p_and_claims_end_submitted(
        s, ctx, owner, clearinghouse, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        result = billing_submit(practice=s.practice, appointment_ids=[s.appointment.pk],
                                ctx=ctx, actor=owner)
    assert len(queued) == 1  # the transmission waits for the commit
    assert result.skipped == [] and result.invoices == [] and result.claims_failed == []
    assert [c.appointment_id for c in result.claims] == [s.appointment.pk]
    claim = Claim.objects.get(appointment=s.appointment)
    assert claim.status == S.SUBMITTED
    assert claim.submitted_at is not None
    submission = ClaimSubmission.objects.get()
    assert claim.submission_id == submission.pk
    assert submission.claim_count == 1
    assert submission.transaction_id == "txn-1"
    assert submission.sent_at is not None
    x12, key = f.stored_x12(submission), f.stored_key(submission)
    assert key
    assert clearinghouse.sent == [{"x12": x12, "idempotency_key": key}]
    assert pyx12_errors(x12) == []
    assert f"CLM*{claim.patient_control_number}*130" in x12
    assert [(e.from_status, e.to_status) for e in claim.events.all()] == [
        ("", S.DRAFT), (S.DRAFT, S.SUBMITTED)]
    assert billing_queue(practice=s.practice) == []


def test_billing_makes_no_outside_call_and_leaves_claims_being_sent(s, ctx, clearinghouse):
    result = billing_submit(practice=s.practice, appointment_ids=[s.appointment.pk], ctx=ctx)
    assert clearinghouse.sent == []  # nothing is sent before the commit
    claim = Claim.objects.get(appointment=s.appointment)
    assert [c.pk for c in result.claims] == [claim.pk]
    # Submitted from the start: whatever the clearinghouse says about it later applies
    assert claim.status == S.SUBMITTED and claim.submitted_at is None
    edi = ClaimSubmission.objects.get().edi_file
    assert edi.status == FileStatus.QUEUED
    assert edi.idempotency_key == f"oasys-edi-{edi.pk}"


def test_two_sessions_go_in_one_interchange(practice, ctx, clearinghouse,
                                            django_capture_on_commit_callbacks):
    a = f.ready_claim_session(practice)
    b = f.ready_claim_session(practice, payer=a.payer)
    with django_capture_on_commit_callbacks(execute=True):
        result = billing_submit(practice=practice, appointment_ids=[a.appointment.pk,
                                                                     b.appointment.pk],
                                ctx=ctx)
    assert len(result.claims) == 2
    assert len(clearinghouse.sent) == 1
    submission = ClaimSubmission.objects.get()
    assert submission.claim_count == 2
    assert f.stored_x12(submission).count("~CLM*") == 2
    assert pyx12_errors(f.stored_x12(submission)) == []


def test_refused_file_leaves_claims_submission_failed(s, ctx, clearinghouse,
                                                      django_capture_on_commit_callbacks):
    error = clearinghouse.go_down("final")
    with django_capture_on_commit_callbacks(execute=True):
        billing_submit(practice=s.practice, appointment_ids=[s.appointment.pk], ctx=ctx)
    assert len(clearinghouse.sent) == 1
    claim = Claim.objects.get(appointment=s.appointment)
    assert claim.status == S.SUBMISSION_FAILED
    assert claim.submitted_at is None
    submission = ClaimSubmission.objects.get()
    assert error.message in submission.error
    assert submission.sent_at is None
    assert submission.edi_file.status == FileStatus.REFUSED
    ev = claim.events.order_by("-pk").first()
    assert (ev.from_status, ev.to_status, ev.reason) == (
        S.SUBMITTED, S.SUBMISSION_FAILED, submission.error)


def test_clearinghouse_down_leaves_claims_being_sent_and_the_file_retrying(
        s, ctx, clearinghouse, django_capture_on_commit_callbacks):
    error = clearinghouse.go_down("retryable")
    with django_capture_on_commit_callbacks(execute=True):
        billing_submit(practice=s.practice, appointment_ids=[s.appointment.pk], ctx=ctx)
    assert len(clearinghouse.sent) == 1
    claim = Claim.objects.get(appointment=s.appointment)
    assert claim.status == S.SUBMITTED and claim.submitted_at is None
    submission = ClaimSubmission.objects.get()
    assert error.message in submission.error and submission.sent_at is None
    edi = submission.edi_file
    assert edi.status == FileStatus.RETRYING and edi.next_attempt_at > timezone.now()


def test_resend_reuses_the_idempotency_key(s, ctx, clearinghouse):
    clearinghouse.go_down("retryable")
    billing_submit(practice=s.practice, appointment_ids=[s.appointment.pk], ctx=ctx)
    submission = ClaimSubmission.objects.get()
    submission_send(submission=submission, ctx=ctx)
    submission_send(submission=submission, ctx=ctx)
    clearinghouse.come_back()
    outcome = submission_send(submission=submission, ctx=ctx)
    assert [c.pk for c in outcome.submitted] == [Claim.objects.get().pk]
    key = f.stored_key(submission)
    assert [c["idempotency_key"] for c in clearinghouse.sent] == [key, key, key]
    assert list(clearinghouse.submissions) == [key]
    assert ClaimSubmission.objects.count() == 1
    claim = Claim.objects.get()
    assert claim.status == S.SUBMITTED and claim.submitted_at is not None
    statuses = [e.to_status for e in claim.events.all()]
    assert statuses == [S.DRAFT, S.SUBMITTED]


def test_billing_submit_skips_incomplete_and_billed_sessions(
        s, ctx, clearinghouse, django_capture_on_commit_callbacks):
    broken = f.ready_claim_session(s.practice)
    broken.appointment.note_signed_at = None
    broken.appointment.save()
    first = billing_submit(practice=s.practice, appointment_ids=[broken.appointment.pk], ctx=ctx)
    assert first.skipped == [(broken.appointment.pk, "Unsigned clinical notes")]
    assert Claim.objects.count() == 0 and clearinghouse.sent == []
    with django_capture_on_commit_callbacks(execute=True):
        billing_submit(practice=s.practice, appointment_ids=[s.appointment.pk], ctx=ctx)
    with django_capture_on_commit_callbacks(execute=True):
        again = billing_submit(practice=s.practice, appointment_ids=[s.appointment.pk],
                               ctx=ctx)
    assert again.skipped == [(s.appointment.pk, "already billed, or not billable")]
    assert Claim.objects.count() == 1
    assert len(clearinghouse.sent) == 1


def test_billing_submit_ignores_another_practices_sessions(s, ctx, other_practice,
                                                           clearinghouse):
    other = f.ready_claim_session(other_practice)
    result = billing_submit(practice=s.practice, appointment_ids=[other.appointment.pk],
                            ctx=ctx)
    assert result.skipped == [(other.appointment.pk, "already billed, or not billable")]
    assert Claim.objects.count() == 0 and clearinghouse.sent == []


def test_billing_submit_routes_mixed_selection(s, ctx):
    cash = f.self_pay_session(s.practice)
    no_show = f.ready_claim_session(s.practice, payer=s.payer)
    no_show.appointment.status = AppointmentStatus.NO_SHOW
    no_show.appointment.save()
    result = billing_submit(
        practice=s.practice, ctx=ctx,
        appointment_ids=[s.appointment.pk, cash.pk, no_show.appointment.pk])
    assert [c.appointment_id for c in result.claims] == [s.appointment.pk]
    assert sorted(i.lines.get().appointment_id for i in result.invoices) == sorted(
        [cash.pk, no_show.appointment.pk])
    assert not Claim.objects.filter(appointment=no_show.appointment).exists()
