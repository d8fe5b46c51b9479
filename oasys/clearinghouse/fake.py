"""The in-memory clearinghouse implementing the port: the one fake, for every unit test.

Tests never build it themselves: the root conftest installs a fresh one for every test
(`clearinghouse` fixture, through `connection.clearinghouse_fake_install`), and services ask
`clearinghouse_port()` for it as they would for the real adapter. It keeps what was submitted
(by idempotency key: a repeated key returns the first receipt, as Stedi and the simulator
do), every submit attempt in `sent` (x12 and key, failed attempts too), serves reports that
tests add, answers eligibility checks with `eligibility_answer`, and moves enrollments when
tests say so. Failures are queued with `fail_next`, or made permanent with `go_down`.
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
    FinalError,
    InboundReport,
    PayerInfo,
    RealtimeResult,
    ReportPage,
    RetryableError,
    SubmissionReceipt,
)

# What `go_down` raises: a clearinghouse that does not answer, or one that refuses the file.
DOWN_ERRORS: dict[str, tuple[type[ClearinghouseError], str]] = {
    "retryable": (RetryableError, "clearinghouse unavailable (503)"),
    "final": (FinalError, "interchange refused: bad ISA"),
}


@dataclass
class FakeClearinghouse(ClearinghousePort):
    submissions: dict[str, tuple[str, SubmissionReceipt]] = field(default_factory=dict)
    sent: list[dict[str, str]] = field(default_factory=list)  # every submit attempt
    reports: list[InboundReport] = field(default_factory=list)
    payers: list[PayerInfo] = field(default_factory=list)
    enrollments: dict[str, EnrollmentInfo] = field(default_factory=dict)
    enrollment_requests: dict[str, EnrollmentRequest] = field(default_factory=dict)
    failures: list[ClearinghouseError] = field(default_factory=list)
    down: ClearinghouseError | None = None
    calls: list[str] = field(default_factory=list)
    eligibility_answer: str = ""  # the 271 every 270 gets
    eligibility_sent: list[str] = field(default_factory=list)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _receipts: itertools.count = field(default_factory=lambda: itertools.count(1))

    def fail_next(self, error: ClearinghouseError) -> None:
        self.failures.append(error)

    def go_down(self, kind: str = "retryable") -> ClearinghouseError:
        """Fail every call from now on with the `kind` error of DOWN_ERRORS (None: back up)."""
        cls, message = DOWN_ERRORS[kind]
        self.down = cls(message, status=503 if kind == "retryable" else 400)
        return self.down

    def come_back(self) -> None:
        self.down = None

    def _maybe_fail(self, name: str) -> None:
        self.calls.append(name)
        if self.failures:
            raise self.failures.pop(0)
        if self.down is not None:
            raise type(self.down)(self.down.message, status=self.down.status)

    def add_report(self, x12: str, set_id: str, processed_at: dt.datetime | None = None,
                   transaction_id: str | None = None) -> InboundReport:
        report = InboundReport(transaction_id or f"report-{next(self._ids)}", set_id,
                               processed_at or dt.datetime.now(dt.UTC), x12)
        self.reports.append(report)
        return report

    def submit_interchange(self, *, x12: str, idempotency_key: str) -> SubmissionReceipt:
        self.sent.append({"x12": x12, "idempotency_key": idempotency_key})
        self._maybe_fail("submit")
        if idempotency_key in self.submissions:
            return self.submissions[idempotency_key][1]
        receipt = SubmissionReceipt(f"txn-{next(self._receipts)}", "1", "SUCCESS")
        self.submissions[idempotency_key] = (x12, receipt)
        return receipt

    def fetch_reports(self, *, since: dt.datetime | None) -> ReportPage:
        self._maybe_fail("fetch")
        found = [r for r in self.reports if since is None or r.processed_at >= since]
        cursor = max((r.processed_at for r in found), default=since)
        return ReportPage(found, cursor)

    def check_eligibility(self, *, x12: str) -> RealtimeResult:
        self._maybe_fail("eligibility")
        self.eligibility_sent.append(x12)
        return RealtimeResult(self.eligibility_answer, "elig-txn-1")

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
