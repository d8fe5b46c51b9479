"""An in-memory clearinghouse implementing the port, for unit tests of the services.

It keeps what was submitted (by idempotency key: a repeated key returns the first receipt),
serves reports that tests add, and moves enrollments when tests say so.  Failures are
queued with `fail_next`.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field

from .port import (
    ClearinghouseError,
    ClearinghousePort,
    EnrollmentInfo,
    EnrollmentRequest,
    InboundReport,
    PayerInfo,
    RealtimeResult,
    ReportPage,
    SubmissionReceipt,
)


@dataclass
class FakeClearinghouse(ClearinghousePort):
    submissions: dict[str, tuple[str, SubmissionReceipt]] = field(default_factory=dict)
    reports: list[InboundReport] = field(default_factory=list)
    payers: list[PayerInfo] = field(default_factory=list)
    enrollments: dict[str, EnrollmentInfo] = field(default_factory=dict)
    enrollment_requests: dict[str, EnrollmentRequest] = field(default_factory=dict)
    failures: list[ClearinghouseError] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, error: ClearinghouseError) -> None:
        self.failures.append(error)

    def _maybe_fail(self, name: str) -> None:
        self.calls.append(name)
        if self.failures:
            raise self.failures.pop(0)

    def add_report(self, x12: str, set_id: str, processed_at: dt.datetime | None = None,
                   transaction_id: str | None = None) -> InboundReport:
        report = InboundReport(transaction_id or f"txn-{next(self._ids)}", set_id,
                               processed_at or dt.datetime.now(dt.UTC), x12)
        self.reports.append(report)
        return report

    def submit_interchange(self, *, x12: str, idempotency_key: str) -> SubmissionReceipt:
        self._maybe_fail("submit")
        if idempotency_key in self.submissions:
            return self.submissions[idempotency_key][1]
        receipt = SubmissionReceipt(f"sub-{next(self._ids)}", "000000001", "SUCCESS")
        self.submissions[idempotency_key] = (x12, receipt)
        return receipt

    def fetch_reports(self, *, since: dt.datetime | None) -> ReportPage:
        self._maybe_fail("fetch")
        found = [r for r in self.reports if since is None or r.processed_at >= since]
        cursor = max((r.processed_at for r in found), default=since)
        return ReportPage(found, cursor)

    def check_eligibility(self, *, x12: str) -> RealtimeResult:
        self._maybe_fail("eligibility")
        return RealtimeResult("", "elig-1")

    def check_claim_status(self, *, x12: str) -> RealtimeResult:
        self._maybe_fail("claim_status")
        return RealtimeResult("", "status-1")

    def search_payers(self, *, query: str, limit: int = 20) -> list[PayerInfo]:
        self._maybe_fail("payers")
        q = query.lower()
        return [p for p in self.payers if q in p.name.lower() or q == p.primary_payer_id
                ][:limit]

    def create_enrollment(self, *, request: EnrollmentRequest) -> EnrollmentInfo:
        self._maybe_fail("create_enrollment")
        for ext, req in self.enrollment_requests.items():
            if req.reference == request.reference:
                return self.enrollments[ext]
        ext = f"enr-{next(self._ids)}"
        self.enrollment_requests[ext] = request
        self.enrollments[ext] = EnrollmentInfo(ext, "SUBMITTED")
        return self.enrollments[ext]

    def get_enrollment(self, *, external_id: str) -> EnrollmentInfo:
        self._maybe_fail("get_enrollment")
        return self.enrollments[external_id]

    def set_enrollment(self, external_id: str, status: str, **kw: object) -> None:
        self.enrollments[external_id] = EnrollmentInfo(external_id, status, **kw)  # type: ignore[arg-type]
