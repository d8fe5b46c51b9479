"""Claims through the transmission outbox (fake port): the sweeper takes over what a crashed
worker or a lost kick left, a claim whose file may be at the clearinghouse is resent as the
same file under the same key, what the clearinghouse says about a claim still in the outbox
applies, and the interchange's acknowledgment moves through its state machine."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from oasys.billing.services import billing_submit
from oasys.billing.tests import factories as f
from oasys.claims import actions
from oasys.claims.models import AckStatus, Claim, ClaimSubmission
from oasys.claims.services import claim_transition
from oasys.claims.status import ClaimStatus
from oasys.claims.submission import SUBMISSION_ACK
from oasys.clearinghouse.machines import EDI_FILE
from oasys.clearinghouse.models import EdiFile, FileStatus
from oasys.clearinghouse.services import edi_file_receive, edi_files_due, edi_files_sweep
from oasys.core.statemachine import MACHINES, IllegalTransition

from .test_inbound import _our_999

pytestmark = pytest.mark.django_db
S = ClaimStatus


@pytest.fixture
def ctx(practice):
    return f.ctx_for(practice=practice)


def _bill(practice, ctx, n=1):
    sessions = [f.ready_claim_session(practice) for _ in range(n)]
    billing_submit(practice=practice, appointment_ids=[s.appointment.pk for s in sessions],
                   ctx=ctx)
    return ClaimSubmission.objects.get()


def test_a_lost_kick_is_sent_by_the_sweeper_after_the_grace(practice, ctx, clearinghouse,
                                                              settings):
    submission = _bill(practice, ctx)  # the test never commits: the kick is lost
    settings.CLEARINGHOUSE_QUEUED_GRACE_SECONDS = 60
    assert not edi_files_due().exists()  # a fresh file is the kick's, not the sweeper's
    assert not edi_files_due(now=timezone.now() + dt.timedelta(seconds=30)).exists()
    assert edi_files_due(now=timezone.now() + dt.timedelta(seconds=61)).exists()
    settings.CLEARINGHOUSE_QUEUED_GRACE_SECONDS = 0
    assert edi_files_sweep() == {"submitted": 1, "retrying": 0, "refused": 0}
    submission.refresh_from_db()
    assert submission.sent_at is not None
    assert [s["idempotency_key"] for s in clearinghouse.sent] == [
        f"oasys-edi-{submission.edi_file_id}"]


def test_a_file_left_sending_by_a_dead_worker_is_sent_again_under_its_key(
        practice, ctx, clearinghouse, settings):
    submission = _bill(practice, ctx)
    edi = submission.edi_file
    # a worker claimed the file, the clearinghouse took it, and the worker died before the
    # answer was recorded
    EDI_FILE.transition(obj=edi, to=FileStatus.SENDING, ctx=ctx, source="worker",
                        updates={"sending_since": timezone.now(), "attempts": 1})
    clearinghouse.submit_interchange(x12=edi.raw, idempotency_key=edi.idempotency_key)
    settings.CLEARINGHOUSE_SENDING_STALE_SECONDS = 600
    assert edi_files_sweep()["submitted"] == 0  # maybe still being sent: left alone
    settings.CLEARINGHOUSE_SENDING_STALE_SECONDS = 0
    assert edi_files_sweep()["submitted"] == 1
    edi.refresh_from_db()
    assert edi.status == FileStatus.SUBMITTED and edi.attempts == 2
    assert len(clearinghouse.submissions) == 1  # the same key: the first answer again
    assert [(e.from_status, e.to_status) for e in edi.events.all()] == [
        ("", "queued"), ("queued", "sending"), ("sending", "sending"),
        ("sending", "submitted")]
    claim = Claim.objects.get()
    assert claim.status == S.SUBMITTED and claim.submitted_at is not None


def test_retries_wait_for_their_time_with_back_off(practice, ctx, clearinghouse, settings):
    submission = _bill(practice, ctx)
    clearinghouse.go_down("retryable")
    settings.CLEARINGHOUSE_QUEUED_GRACE_SECONDS = 0
    assert edi_files_sweep() == {"submitted": 0, "retrying": 1, "refused": 0}
    edi = EdiFile.objects.get(pk=submission.edi_file_id)
    first_wait = edi.next_attempt_at - timezone.now()
    assert dt.timedelta(seconds=20) < first_wait <= dt.timedelta(seconds=30)
    assert edi_files_sweep()["retrying"] == 0  # not due yet
    clearinghouse.come_back()
    assert edi_files_sweep(now=edi.next_attempt_at + dt.timedelta(seconds=1)) == {
        "submitted": 1, "retrying": 0, "refused": 0}


def test_resubmit_of_a_claim_whose_file_may_be_there_resends_the_same_file(
        practice, ctx, clearinghouse):
    submission = _bill(practice, ctx)
    claim = Claim.objects.get()
    # an older code path left it Submission Failed while its file waits for a retry

    claim_transition(claim=claim, to=S.SUBMISSION_FAILED, ctx=ctx, reason="timed out")
    with f.committed():
        outcome = actions.claim_resubmit(claim=claim, ctx=ctx)
    assert [c.pk for c in outcome.submitted] == [claim.pk]
    assert ClaimSubmission.objects.count() == 1  # no new interchange, so no new key
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED and claim.submission_id == submission.pk
    assert [s["idempotency_key"] for s in clearinghouse.sent] == [
        submission.edi_file.idempotency_key]


def test_resubmit_after_a_refused_file_builds_a_new_one(practice, ctx, clearinghouse):
    clearinghouse.go_down("final")
    with f.committed():
        first = _bill(practice, ctx)
    claim = Claim.objects.get()
    assert claim.status == S.SUBMISSION_FAILED
    clearinghouse.come_back()
    with f.committed():
        actions.claim_resubmit(claim=claim, ctx=ctx)
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED and claim.submission_id != first.pk
    keys = [s["idempotency_key"] for s in clearinghouse.sent]
    assert len(keys) == 2 and keys[0] != keys[1]  # the refused file never reached it


def test_what_the_clearinghouse_says_applies_while_the_file_is_still_queued(
        practice, ctx, clearinghouse):
    submission = _bill(practice, ctx)  # the worker has not even sent it yet
    raw = _our_999(control=submission.interchange_control_number, rejected=True)
    edi_file_receive(raw=raw)
    claim = Claim.objects.get()
    assert claim.status == S.REJECTED  # never "draft -> rejected not applied"


def test_acknowledgment_moves_through_its_machine(practice, ctx):
    submission = _bill(practice, ctx)
    assert submission.ack_status == AckStatus.PENDING
    raw = _our_999(control=submission.interchange_control_number, rejected=False)
    edi_file_receive(raw=raw)
    edi_file_receive(raw=raw.replace("*901*", "*902*"))  # the same verdict again: no move
    submission.refresh_from_db()
    assert submission.ack_status == AckStatus.ACCEPTED and submission.acknowledged_at
    assert [(e.from_status, e.to_status) for e in submission.events.all()] == [
        ("", ""), ("", "accepted")]
    with pytest.raises(IllegalTransition):
        SUBMISSION_ACK.transition(obj=submission, to=AckStatus.PENDING, ctx=ctx)


def test_both_machines_are_registered():
    assert MACHINES["edi_file"] is EDI_FILE
    assert MACHINES["claim_submission_ack"] is SUBMISSION_ACK
    assert not EDI_FILE.can(FileStatus.SUBMITTED, FileStatus.SENDING)  # sent is final

