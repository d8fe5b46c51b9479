"""A chunk of claims at once: `claims_create_for_sessions` and `claims_transition_many` write
what their one-claim forms write (rows, events, audit rows, refusals), and their queries do
not grow per claim beyond the audit rows (and the ledger's posting, in `claims_submit`)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oasys.billing.tests import factories as f
from oasys.claims.models import Claim, ClaimEvent, ClaimLine
from oasys.claims.services import (
    ClaimDraft,
    IllegalTransition,
    claim_create_for_session,
    claim_transition,
    claims_create_for_sessions,
    claims_transition_many,
    patient_control_number,
)
from oasys.claims.status import ClaimStatus
from oasys.claims.submission import claims_submit
from oasys.core.audit import audit_verify
from oasys.core.errors import InvalidInput
from oasys.core.models import AuditEvent

pytestmark = pytest.mark.django_db

S = ClaimStatus
TABLE = re.compile(r'(?:INSERT INTO|UPDATE|FROM) "(\w+)"')
BALANCE = 'UPDATE "claims_claim" SET "paid_amount"'  # the ledger's projection (ledger/)


def draft_for(s, cpt: str = "90834") -> ClaimDraft:
    return ClaimDraft(appointment_id=s.appointment.pk, policy_id=s.policy.pk,
                      payer_id=s.payer.pk, cpt=cpt, charge=Decimal("130.00"),
                      diagnosis_codes=("F41.1",))


@pytest.fixture
def ctx(owner):
    return f.ctx_for(owner)


def _rows(claim: Claim) -> tuple:
    """What a claim's creation wrote, without ids."""
    claim.refresh_from_db()
    lines = [(ln.line_number, ln.procedure_code, ln.modifiers, ln.charge, ln.units,
              ln.diagnosis_pointers, ln.service_date, ln.practice_id)
             for ln in ClaimLine.objects.filter(claim=claim)]
    events = [(e.from_status, e.to_status, e.actor_id, e.source, e.reason, e.practice_id)
              for e in ClaimEvent.objects.filter(claim=claim)]
    audits = [(a.action, a.category, a.client_id_ref == claim.client_id, a.object_type,
               a.detail)
              for a in AuditEvent.objects.filter(object_type="Claim",
                                                 object_id=str(claim.pk)).order_by("seq")]
    return (claim.status, claim.frequency, claim.payer_sequence, claim.total_charge,
            claim.diagnosis_codes, claim.service_date, claim.place_of_service,
            claim.created_by_id, claim.patient_control_number == patient_control_number(claim.pk),
            lines, events, audits)


def test_a_chunk_writes_what_one_by_one_creation_writes(practice, ctx, owner):
    one = f.ready_claim_session(practice)
    two = f.ready_claim_session(practice)
    three = f.ready_claim_session(practice)
    single = claim_create_for_session(practice=practice, draft=draft_for(one), ctx=ctx,
                                      actor=owner)
    made = claims_create_for_sessions(practice=practice, drafts=[draft_for(two),
                                                                 draft_for(three)],
                                      ctx=ctx, actor=owner)
    assert made.already_billed == []
    assert [c.appointment_id for c in made.claims] == [two.appointment.pk,
                                                       three.appointment.pk]
    expected = _rows(single)
    assert expected[8] is True and len(expected[9]) == len(expected[10]) == 1
    for claim in made.claims:
        assert _rows(claim) == expected
        assert claim.billing_key == f"appt:{claim.appointment_id}:P"
    assert audit_verify() is None


def test_a_session_billed_meanwhile_is_reported_and_the_others_are_billed(practice, ctx):
    sessions = [f.ready_claim_session(practice) for _ in range(3)]
    claim_create_for_session(practice=practice, draft=draft_for(sessions[1]), ctx=ctx)
    made = claims_create_for_sessions(practice=practice,
                                      drafts=[draft_for(s) for s in sessions], ctx=ctx)
    assert made.already_billed == [sessions[1].appointment.pk]
    assert sorted(c.appointment_id for c in made.claims) == sorted(
        [sessions[0].appointment.pk, sessions[2].appointment.pk])
    for s in sessions:  # billed once each: one claim, one line, one created event
        assert Claim.objects.filter(appointment=s.appointment).count() == 1
    assert ClaimLine.objects.count() == ClaimEvent.objects.count() == 3
    # The rolled-back chunk left no audit row behind: one per claim, and the chain verifies.
    assert AuditEvent.objects.filter(object_type="Claim").count() == 3
    assert audit_verify() is None


def test_a_code_the_practice_cannot_bill_refuses_the_whole_chunk(practice, ctx):
    good, bad = f.ready_claim_session(practice), f.ready_claim_session(practice)
    with pytest.raises(InvalidInput, match="99999 is not a CPT code Oasys knows"):
        claims_create_for_sessions(practice=practice,
                                   drafts=[draft_for(good), draft_for(bad, cpt="99999")],
                                   ctx=ctx)
    assert not Claim.objects.exists()


def test_another_practices_session_is_not_found(practice, other_practice, ctx):
    mine, theirs = f.ready_claim_session(practice), f.ready_claim_session(other_practice)
    with pytest.raises(Claim.appointment.field.related_model.DoesNotExist):
        claims_create_for_sessions(practice=practice,
                                   drafts=[draft_for(mine), draft_for(theirs)], ctx=ctx)
    assert not Claim.objects.exists()


def _claims_queries(captured) -> int:
    """Queries that read or write the claims tables (not the ledger's balance projection,
    ledger/: it sets a claim's paid amount with each posting)."""
    return sum(1 for q in captured if (m := TABLE.search(q["sql"]))
               and m.group(1).startswith("claims_") and not q["sql"].startswith(BALANCE))


def _others(captured) -> int:
    """Queries of neither the audit trail nor the ledger, nor their savepoints."""
    return sum(1 for q in captured
               if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
               and not q["sql"].startswith(BALANCE)
               and not ((m := TABLE.search(q["sql"]))
                        and m.group(1).startswith(("core_audit", "ledger_"))))


def _create_queries(practice, ctx, n: int) -> tuple[int, int]:
    drafts = [draft_for(f.ready_claim_session(practice)) for _ in range(n)]
    with CaptureQueriesContext(connection) as captured:
        made = claims_create_for_sessions(practice=practice, drafts=drafts, ctx=ctx)
    assert len(made.claims) == n
    return len(captured), _claims_queries(captured.captured_queries)


# What one audit row costs (core/audit.py: read and move the chain head, insert the row,
# inside a savepoint); the claims themselves add nothing per claim.
AUDIT_ROW = 5


def test_creating_a_chunk_costs_a_fixed_number_of_queries_plus_its_audit_rows(
        practice, other_practice, ctx):
    small, small_claims = _create_queries(practice, ctx, 2)
    large, large_claims = _create_queries(other_practice, f.ctx_for(None, other_practice), 6)
    # one SELECT of the sessions, the claims, their control numbers, lines and events
    assert small_claims == large_claims == 4
    assert large - small <= 4 * AUDIT_ROW, (small, large)
    # the sessions, a savepoint (2), the four claim writes; a new chain's head (3)
    assert small <= 10 + 2 * AUDIT_ROW, small


def _submitted_chunk(practice, ctx, n: int) -> list[Claim]:
    drafts = [draft_for(f.ready_claim_session(practice)) for _ in range(n)]
    return claims_create_for_sessions(practice=practice, drafts=drafts, ctx=ctx).claims


def test_submitting_a_chunk_locks_and_moves_it_in_a_fixed_number_of_claim_queries(
        practice, other_practice, ctx):
    counts = []
    for p, n in ((practice, 2), (other_practice, 6)):
        c = f.ctx_for(None, p)
        claims = _submitted_chunk(p, c, n)
        with CaptureQueriesContext(connection) as captured:
            outcome = claims_submit(practice=p, claims=claims, ctx=c)
        assert len(outcome.submitted) == n and not outcome.failed
        assert set(Claim.objects.filter(practice=p).values_list("status", flat=True)) == {
            S.SUBMITTED}
        per_table = [m.group(1) for q in captured.captured_queries
                     if (m := TABLE.search(q["sql"]))]
        # the practice is handed to the ledger, never read per claim
        assert per_table.count("core_practice") == 0
        counts.append((len(captured), _claims_queries(captured.captured_queries),
                       _others(captured.captured_queries)))
    (small, small_claims, small_rest), (large, large_claims, large_rest) = counts
    # read the chunk (+ lines), tie it to its submission, lock it, move it, its events,
    # and the submission row and its event
    assert small_claims == large_claims <= 9, counts
    # nothing else per claim either (profile, sequence, outbox file: once per chunk) ...
    assert small_rest == large_rest, counts
    # ... but its audit row and its ledger charge (ledger/: posting, balance, audit row)
    assert large - small <= 4 * (AUDIT_ROW + 12), counts
    assert audit_verify() is None


# --- claims_transition_many ---------------------------------------------------------------------


def test_a_batch_move_writes_what_one_by_one_moves_write(practice, ctx, owner):
    one, *rest = _submitted_chunk(practice, ctx, 3)
    claim_transition(claim=one, to=S.SUBMITTED, ctx=ctx, actor=owner, source="sub 1",
                     reason="why")
    moved = claims_transition_many(claims=rest, to=S.SUBMITTED, ctx=ctx, actor=owner,
                                   source="sub 1", reason="why")
    assert moved == rest and all(c.status == S.SUBMITTED for c in rest)
    expected = _rows(one)
    for claim in rest:
        got = _rows(claim)
        assert got == expected
        assert claim.status_changed_at == Claim.objects.get(pk=claim.pk).status_changed_at
    assert audit_verify() is None


def test_one_illegal_move_refuses_the_batch_and_writes_nothing(practice, ctx):
    claims = _submitted_chunk(practice, ctx, 3)
    claim_transition(claim=claims[1], to=S.SUBMITTED, ctx=ctx)
    claim_transition(claim=claims[1], to=S.ACKNOWLEDGED, ctx=ctx)
    events, audits = ClaimEvent.objects.count(), AuditEvent.objects.count()
    with pytest.raises(IllegalTransition):
        claims_transition_many(claims=claims, to=S.VALIDATION_FAILED, ctx=ctx)
    assert list(Claim.objects.order_by("pk").values_list("status", flat=True)) == [
        S.DRAFT, S.ACKNOWLEDGED, S.DRAFT]
    assert (ClaimEvent.objects.count(), AuditEvent.objects.count()) == (events, audits)


def test_claims_already_there_are_left_alone_when_allowed(practice, ctx):
    claims = _submitted_chunk(practice, ctx, 2)
    claim_transition(claim=claims[0], to=S.SUBMITTED, ctx=ctx)
    events = ClaimEvent.objects.filter(claim=claims[0]).count()
    moved = claims_transition_many(claims=claims, to=S.SUBMITTED, ctx=ctx, allow_same=True)
    assert [c.pk for c in moved] == [claims[1].pk]
    assert ClaimEvent.objects.filter(claim=claims[0]).count() == events
    with pytest.raises(IllegalTransition):
        claims_transition_many(claims=claims, to=S.SUBMITTED, ctx=ctx)


def test_the_batch_reads_the_stored_status_not_a_stale_object(practice, ctx):
    (claim,) = _submitted_chunk(practice, ctx, 1)
    stale = Claim.objects.get(pk=claim.pk)
    claim_transition(claim=claim, to=S.SUBMITTED, ctx=ctx)
    claim_transition(claim=claim, to=S.ACKNOWLEDGED, ctx=ctx)
    with pytest.raises(IllegalTransition):
        claims_transition_many(claims=[stale], to=S.SUBMITTED, ctx=ctx)
