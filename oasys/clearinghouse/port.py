"""The clearinghouse port: what the product needs from a clearinghouse, in our own terms.

Adapters (`stedi.py` for Stedi's API and the local simulator, `fake.py` for unit tests)
implement :class:`ClearinghousePort`; services receive a port and never see HTTP.
Errors crossing the port are ours: :class:`RetryableError` (try again later, with the same
idempotency key) or :class:`FinalError` (the clearinghouse refused; its message is kept).
"""

from __future__ import annotations

import abc
import datetime as dt
from dataclasses import dataclass, field


class ClearinghouseError(Exception):
    """Base of every error an adapter raises."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RetryableError(ClearinghouseError):
    """Timeouts, dropped connections, 5xx and 429: the call may succeed if repeated."""


class FinalError(ClearinghouseError):
    """4xx: the clearinghouse refused the request; repeating it will not help."""


@dataclass(frozen=True, slots=True)
class SubmissionReceipt:
    transaction_id: str
    control_number: str
    status: str
    payer_id: str = ""
    raw: dict = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class InboundReport:
    """One inbound transaction (999, 277 or 835) with its raw X12."""

    transaction_id: str
    set_id: str  # 999, 277, 835 ...
    processed_at: dt.datetime
    x12: str


@dataclass(frozen=True, slots=True)
class ReportPage:
    reports: list[InboundReport]
    cursor: dt.datetime | None  # the latest processedAt seen; pass it back next time


@dataclass(frozen=True, slots=True)
class RealtimeResult:
    """A real-time answer: the raw X12 response (271 or 277) and the clearinghouse's id."""

    x12: str
    transaction_id: str = ""
    control_number: str = ""


@dataclass(frozen=True, slots=True)
class PayerInfo:
    stedi_id: str
    name: str
    primary_payer_id: str
    aliases: tuple[str, ...] = ()
    support: dict = field(default_factory=dict, compare=False)  # transaction -> support


@dataclass(frozen=True, slots=True)
class EnrollmentRequest:
    """What a payer enrollment needs; ``reference`` is our idempotency anchor (row id)."""

    reference: str
    payer_id: str
    transactions: tuple[str, ...]  # our TransactionType values: claims, era, eligibility
    provider_name: str
    npi: str
    tax_id: str
    tax_id_type: str  # EIN or SSN
    contact_name: str
    contact_email: str
    contact_phone: str
    address1: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""


@dataclass(frozen=True, slots=True)
class EnrollmentInfo:
    external_id: str
    status: str  # DRAFT, SUBMITTED, PROVISIONING, LIVE, REJECTED, CANCELED, ...
    reason: str = ""
    effective_date: dt.date | None = None
    status_changed_at: dt.datetime | None = None


class ClearinghousePort(abc.ABC):
    @abc.abstractmethod
    def submit_interchange(self, *, x12: str, idempotency_key: str) -> SubmissionReceipt:
        """Submit one 837P interchange; the same key returns the same receipt."""

    @abc.abstractmethod
    def fetch_reports(self, *, since: dt.datetime | None) -> ReportPage:
        """Inbound reports processed at or after ``since`` (all pages)."""

    @abc.abstractmethod
    def check_eligibility(self, *, x12: str) -> RealtimeResult:
        """A 270 in, a 271 out."""

    @abc.abstractmethod
    def check_claim_status(self, *, x12: str) -> RealtimeResult:
        """A 276 in, a 277 out."""

    @abc.abstractmethod
    def search_payers(self, *, query: str, limit: int = 20) -> list[PayerInfo]:
        """Payers matching a name or id."""

    @abc.abstractmethod
    def create_enrollment(self, *, request: EnrollmentRequest) -> EnrollmentInfo:
        """Create and submit an enrollment; repeating ``request.reference`` is safe."""

    @abc.abstractmethod
    def get_enrollment(self, *, external_id: str) -> EnrollmentInfo:
        """An enrollment's current status."""
