"""Services with the in-memory fake port (the `clearinghouse` fixture): storing, deduplicating,
failing to parse, matching to practices, transmitting with a stable key, enrollments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from oasys.clearinghouse.models import Direction, EdiFile, FileStatus, PollCursor
from oasys.clearinghouse.port import FinalError, RetryableError
from oasys.clearinghouse.selectors import edi_file_unmatched_list
from oasys.clearinghouse.services import (
    edi_file_receive,
    edi_file_submit,
    edi_file_transmit,
    enrollment_submit,
    enrollments_refresh,
    reports_poll,
)
from oasys.core.models import AuditEvent
from oasys.practice.models import AcceptedPayer, Enrollment, Payer, ProviderProfile
from sandbox.clearinghouse.samples import SampleClaim, sample_837p

pytestmark = pytest.mark.django_db

ERA = open("x12/tests/fixtures/835_own_unbalanced.835", encoding="utf-8-sig").read()
CA = open("x12/tests/fixtures/277CA_own_payer_response.x12", encoding="utf-8").read()
T0 = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


def test_poll_stores_each_report_once_and_moves_the_cursor(practice, clearinghouse):
    clearinghouse.add_report(CA, "277", T0)
    result = reports_poll()
    assert len(result.stored) == 1
    assert PollCursor.objects.get(connection="default").cursor == T0
    clearinghouse.add_report(CA, "277", T0 + dt.timedelta(hours=1), transaction_id="again")
    second = reports_poll()
    assert second.stored == [] and second.duplicates == 2  # same content: stored once
    assert EdiFile.objects.filter(direction=Direction.INBOUND).count() == 1


def test_same_file_twice_is_stored_once(practice):
    first, created = edi_file_receive(raw=CA)
    again, created_again = edi_file_receive(raw=CA)
    assert created and not created_again and first.pk == again.pk


def test_file_that_fails_to_parse_is_kept_with_its_error():
    broken = CA.replace("SE*37*0003", "SE*99*0003").replace("IEA*1*000000801", "")
    edi_file, created = edi_file_receive(raw=broken)
    assert created and edi_file.status == FileStatus.FAILED
    assert edi_file.raw == broken
    assert any("SE01" in e["message"] for e in edi_file.errors)
    garbage, _ = edi_file_receive(raw="this is not X12")
    assert garbage.status == FileStatus.FAILED and garbage.errors


def test_files_match_the_practice_by_npi_or_stay_unmatched(practice, other_practice):
    edi_file, _ = edi_file_receive(raw=CA)
    assert edi_file.practice is None
    assert list(edi_file_unmatched_list()) == [edi_file]
    ProviderProfile.objects.create(practice=practice, npi="1234567893", tax_id="371234567")
    other, _ = edi_file_receive(raw=CA.replace("000000801", "000000802"))
    assert other.practice == practice


def test_parsed_file_records_balance_errors(practice):
    edi_file, _ = edi_file_receive(raw=ERA)
    assert edi_file.status == FileStatus.PARSED
    assert edi_file.summary["balance_errors"]


def test_inbound_storage_is_audited():
    edi_file, _ = edi_file_receive(raw=CA)
    assert AuditEvent.objects.filter(category="edi_file", object_id=str(edi_file.pk)).exists()


def test_submit_stores_once_and_transmits_with_a_key_from_the_row(practice, ctx, clearinghouse):
    text = sample_837p([SampleClaim("K-1")])
    f = edi_file_submit(practice=practice, x12=text, ctx=ctx, transmit=False)
    assert edi_file_submit(practice=practice, x12=text, ctx=ctx, transmit=False).pk == f.pk
    clearinghouse.fail_next(RetryableError("timed out"))
    with pytest.raises(RetryableError):
        edi_file_transmit(edi_file_id=f.pk)
    f.refresh_from_db()
    assert f.status == FileStatus.RETRYING
    sent = edi_file_transmit(edi_file_id=f.pk)
    assert sent.status == FileStatus.SUBMITTED
    assert list(clearinghouse.submissions) == [f"oasys-edi-{f.pk}"]
    assert edi_file_transmit(edi_file_id=f.pk).status == FileStatus.SUBMITTED
    assert clearinghouse.calls.count("submit") == 2  # nothing sent once submitted


def test_submit_commits_then_enqueues(practice, ctx, django_capture_on_commit_callbacks,
                                      settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    with django_capture_on_commit_callbacks() as callbacks:
        edi_file_submit(practice=practice, x12=sample_837p([SampleClaim("Q-1")]), ctx=ctx)
    assert len(callbacks) == 1  # transmission waits for the commit


def test_final_error_marks_refused(practice, ctx, clearinghouse):
    clearinghouse.fail_next(FinalError("HTTP 400: bad", status=400))
    f = edi_file_submit(practice=practice, x12=sample_837p([SampleClaim("F-1")]), ctx=ctx,
                        transmit=False)
    assert edi_file_transmit(edi_file_id=f.pk).status == FileStatus.REFUSED


def test_another_practice_cannot_resubmit_a_file(practice, other_practice, ctx):
    text = sample_837p([SampleClaim("O-1")])
    edi_file_submit(practice=practice, x12=text, ctx=ctx, transmit=False)
    with pytest.raises(ValidationError):
        edi_file_submit(practice=other_practice, x12=text, ctx=ctx, transmit=False)


def test_enrollment_submit_and_refresh(enrollment, ctx, clearinghouse):
    sent = enrollment_submit(enrollment=enrollment, ctx=ctx)
    assert sent.status == "pending" and sent.external_id
    request = clearinghouse.enrollment_requests[sent.external_id]
    assert request.reference == f"oasys-enrollment-{enrollment.pk}"
    assert request.transactions == ("era",) and request.npi == "1234567893"
    assert enrollments_refresh() == 0  # still submitted: nothing changes
    clearinghouse.set_enrollment(sent.external_id, "LIVE", effective_date=dt.date(2026, 4, 1))
    assert enrollments_refresh() == 1
    sent.refresh_from_db()
    assert sent.status == "active" and sent.effective_date == dt.date(2026, 4, 1)
    assert AuditEvent.objects.filter(category="enrollment", object_id=str(sent.pk)).exists()


def test_enrollment_rejected_keeps_the_reason(enrollment, ctx, clearinghouse):
    sent = enrollment_submit(enrollment=enrollment, ctx=ctx)
    clearinghouse.set_enrollment(sent.external_id, "REJECTED", reason="NPI mismatch")
    enrollments_refresh()
    sent.refresh_from_db()
    assert sent.status == "rejected" and "NPI mismatch" in sent.note


def test_enrollment_needs_provider_information(practice, ctx):
    payer = Payer.objects.create(name="X", payer_id_claims="X1")
    ap = AcceptedPayer.objects.create(practice=practice, payer=payer)
    e = Enrollment.objects.create(practice=practice, accepted_payer=ap, transaction_type="claims")
    with pytest.raises(ValidationError):
        enrollment_submit(enrollment=e, ctx=ctx)


def test_refresh_skips_a_failing_enrollment(enrollment, ctx, clearinghouse):
    enrollment_submit(enrollment=enrollment, ctx=ctx)
    clearinghouse.fail_next(RetryableError("down"))
    assert enrollments_refresh() == 0
