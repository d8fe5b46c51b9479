"""The Stedi adapter against the simulator running as a real process, through the services:
submission, 999 / 277CA / 835 with the clock, real-time checks, payers, enrollment, and each
fault (500, 429, timeout, dropped response) without losing or duplicating a claim."""

from __future__ import annotations

from decimal import Decimal

import pytest

from oasys.clearinghouse.models import Direction, EdiFile, FileStatus
from oasys.clearinghouse.port import FinalError, RetryableError
from oasys.clearinghouse.services import (
    edi_file_submit,
    edi_file_transmit,
    enrollment_submit,
    enrollments_refresh,
    reports_poll,
)
from sandbox.clearinghouse.samples import SampleClaim, sample_270, sample_276, sample_837p
from x12.parse import parse_271, parse_277
from x12.reader import X12Reader

pytestmark = pytest.mark.django_db
SUBMIT_PATH = "professionalclaims/v3/raw-x12-submission"


def _submit(practice, ctx, stedi, pcn="P-1", **kw):
    f = edi_file_submit(practice=practice, x12=sample_837p([SampleClaim(pcn)], **kw), ctx=ctx,
                        transmit=False)
    return edi_file_transmit(edi_file_id=f.pk)


def test_submission_then_999_277ca_835_land_in_the_practice_history(
        practice, provider_profile, ctx, stedi, clearinghouse_sim):
    sent = _submit(practice, ctx, stedi)
    assert sent.status == FileStatus.SUBMITTED and sent.external_id
    assert sent.idempotency_key == f"oasys-edi-{sent.pk}"
    first = reports_poll()
    assert len(first.stored) == 1
    ack = EdiFile.objects.get(pk=first.stored[0])
    assert (ack.set_id, ack.practice_id, ack.status) == ("999", practice.pk, FileStatus.PARSED)
    clearinghouse_sim.advance(1.01)
    (ca_id,) = reports_poll().stored
    ca = EdiFile.objects.get(pk=ca_id)
    assert (ca.label, ca.practice_id) == ("277CA", practice.pk)
    clearinghouse_sim.advance(7)
    result = reports_poll()
    (era,) = EdiFile.objects.filter(pk__in=result.stored)
    assert era.set_id == "835" and era.practice_id == practice.pk
    clp = era.summary["interchanges"][0]["transactions"][0]["claims"][0]
    assert clp["paid"] == "118.00" and "balance_errors" not in era.summary
    again = reports_poll()
    assert again.stored == [] and again.failed == []
    assert EdiFile.objects.filter(direction=Direction.INBOUND).count() == 3


@pytest.mark.parametrize("fault", [
    {"kind": "500"},
    {"kind": "429"},
    {"kind": "timeout", "seconds": 2.5},
    {"kind": "drop"},
])
def test_faults_neither_lose_nor_duplicate_the_claim(practice, ctx, stedi, clearinghouse_sim,
                                                     fault):
    clearinghouse_sim.control("faults", {**fault, "path": SUBMIT_PATH, "count": 1})
    sent = _submit(practice, ctx, stedi, pcn="FAULT-1")
    assert sent.status == FileStatus.SUBMITTED
    claims = clearinghouse_sim.claims()
    assert [c["pcn"] for c in claims] == ["FAULT-1"]


def test_exhausted_retries_leave_the_file_to_retry_with_the_same_key(
        practice, ctx, stedi, clearinghouse_sim):
    clearinghouse_sim.control("faults", {"kind": "drop", "path": SUBMIT_PATH, "count": 3})
    f = edi_file_submit(practice=practice, x12=sample_837p([SampleClaim("R-1")]), ctx=ctx,
                        transmit=False)
    with pytest.raises(RetryableError):
        edi_file_transmit(edi_file_id=f.pk)
    f.refresh_from_db()
    assert f.status == FileStatus.RETRYING and f.last_error
    # the first dropped attempt was stored by the clearinghouse; the retry gets its result
    sent = edi_file_transmit(edi_file_id=f.pk)
    assert sent.status == FileStatus.SUBMITTED
    assert [c["pcn"] for c in clearinghouse_sim.claims()] == ["R-1"]


def test_refused_file_is_final_with_the_clearinghouse_message(practice, ctx, stedi):
    f = edi_file_submit(practice=practice, x12="NOT X12 AT ALL", ctx=ctx, transmit=False)
    done = edi_file_transmit(edi_file_id=f.pk)
    assert done.status == FileStatus.REFUSED and "could not be parsed" in done.last_error


def test_final_error_raised_for_4xx(stedi):
    with pytest.raises(FinalError) as exc:
        stedi.check_eligibility(x12="garbage")
    assert exc.value.status == 400


def test_eligibility_and_claim_status(practice, ctx, stedi, clearinghouse_sim):
    res = stedi.check_eligibility(x12=sample_270("DED9"))
    (ts,) = list(X12Reader.from_text(res.x12))
    assert parse_271(ts).members[0].coverage == "active"
    _submit(practice, ctx, stedi, pcn="CS-1")
    clearinghouse_sim.advance(9)
    res = stedi.check_claim_status(x12=sample_276("W123456789", "CS-1"))
    (ts,) = list(X12Reader.from_text(res.x12))
    claim = parse_277(ts).claims[0]
    assert claim.statuses[0].category == "F1" and claim.paid == Decimal("118")


def test_payer_search(stedi):
    found = stedi.search_payers(query="cigna", limit=5)
    assert found and all("cigna" in p.name.lower() for p in found)
    assert found[0].support


def test_enrollment_goes_live(practice, enrollment, ctx, stedi, clearinghouse_sim):
    sent = enrollment_submit(enrollment=enrollment, ctx=ctx)
    assert sent.status == "pending" and sent.external_id and sent.submitted_at
    again = enrollment_submit(enrollment=sent, ctx=ctx)  # idempotent
    assert again.external_id == sent.external_id
    clearinghouse_sim.advance(25)
    assert enrollments_refresh() == 1
    sent.refresh_from_db()
    assert sent.status == "active" and sent.effective_date is not None


def test_enrollment_rejected_when_npi_and_tax_id_do_not_match(
        practice, enrollment, ctx, stedi, clearinghouse_sim):
    clearinghouse_sim.control("providers", {"npi": "1234567893", "taxId": "999000111"})
    sent = enrollment_submit(enrollment=enrollment, ctx=ctx)
    clearinghouse_sim.advance(5)
    enrollments_refresh(practice=practice)
    sent.refresh_from_db()
    assert sent.status == "rejected" and "tax ID" in sent.note
