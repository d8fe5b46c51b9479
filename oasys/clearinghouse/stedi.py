"""The Stedi adapter: Stedi's published healthcare, core and enrollment APIs over httpx.

No official SDK supports Python 3.11, so this is plain HTTP: the API key goes bare in the
`Authorization` header, claims go as raw X12 with an `Idempotency-Key`, inbound reports are
found by polling transactions and read from each transaction's input document.

Errors are translated here, at the edge: timeouts, dropped connections, 5xx and 429 are
retried with exponential back-off (the same idempotency key every time) and then raised as
RetryableError; other 4xx raise FinalError with the clearinghouse's message.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import httpx

from .port import (
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

HEALTHCARE = "/healthcare/2024-04-01"
CORE = "/core/2023-08-01"
ENROLLMENTS = "/enrollments/2024-09-01"
INBOUND_SETS = ("999", "277", "835")

# our transaction types -> Stedi's enrollment transaction names
ENROLL_TRANSACTIONS = {"claims": "professionalClaimSubmission", "era": "claimPayment",
                       "eligibility": "eligibilityCheck"}


def parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def stedi_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class StediClearinghouse(ClearinghousePort):
    def __init__(self, *, base_url: str, api_key: str, timeout: float = 30.0,
                 attempts: int = 4, backoff: float = 0.5,
                 healthcare_url: str | None = None, core_url: str | None = None,
                 enrollments_url: str | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        base = base_url.rstrip("/")
        # Stedi serves each API from its own host; the simulator serves all three on one.
        self.healthcare = healthcare_url or base + HEALTHCARE
        self.core = core_url or base + CORE
        self.enrollments = enrollments_url or base + ENROLLMENTS
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.client = httpx.Client(timeout=timeout, headers={"Authorization": api_key},
                                   follow_redirects=True, transport=transport)

    # -- transport with error translation ---------------------------------------------------
    def _call(self, method: str, url: str, *, json: Any = None, params: Any = None,
              headers: dict[str, str] | None = None, expect_json: bool = True) -> Any:
        last: RetryableError | None = None
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(self._delay(attempt, last))
            try:
                resp = self.client.request(method, url, json=json, params=params,
                                           headers=headers)
            except httpx.TimeoutException as exc:
                last = RetryableError(f"timed out: {type(exc).__name__}")
                continue
            except httpx.TransportError as exc:  # refused, reset, closed without a reply
                last = RetryableError(f"connection failed: {type(exc).__name__}: {exc}")
                continue
            if resp.status_code == 429 or resp.status_code >= 500:
                last = RetryableError(self._message(resp), status=resp.status_code)
                last.retry_after = resp.headers.get("Retry-After")  # type: ignore[attr-defined]
                continue
            if resp.status_code >= 400:
                raise FinalError(self._message(resp), status=resp.status_code)
            return resp.json() if expect_json else resp.text
        assert last is not None
        raise last

    def _delay(self, attempt: int, last: RetryableError | None) -> float:
        retry_after = getattr(last, "retry_after", None)
        if retry_after and str(retry_after).isdigit():
            return float(retry_after)
        return self.backoff * (2 ** (attempt - 1))

    @staticmethod
    def _message(resp: httpx.Response) -> str:
        try:
            body = resp.json()
        except ValueError:
            return f"HTTP {resp.status_code}: {resp.text[:200]}"
        if isinstance(body, dict):
            msg = body.get("message")
            if not msg and body.get("errors"):
                msg = "; ".join(str(e.get("description") or e.get("message") or e)
                                for e in body["errors"])
            return f"HTTP {resp.status_code}: {msg or body}"
        return f"HTTP {resp.status_code}: {body}"

    # -- claims -----------------------------------------------------------------------------
    def submit_interchange(self, *, x12: str, idempotency_key: str) -> SubmissionReceipt:
        body = self._call(
            "POST", self.healthcare + "/change/medicalnetwork/professionalclaims/v3/"
            "raw-x12-submission", json={"x12": x12},
            headers={"Idempotency-Key": idempotency_key})
        ref = body.get("claimReference") or {}
        return SubmissionReceipt(
            transaction_id=body.get("transactionId") or ref.get("correlationId") or "",
            control_number=body.get("controlNumber") or "", status=body.get("status") or "",
            payer_id=body.get("tradingPartnerServiceId") or "", raw=body)

    # -- inbound reports --------------------------------------------------------------------
    def fetch_reports(self, *, since: dt.datetime | None) -> ReportPage:
        params: dict[str, Any] = {"pageSize": 100}
        if since is not None:
            params["startDateTime"] = stedi_time(since)
        reports: list[InboundReport] = []
        cursor = since
        while True:
            page = self._call("GET", self.core + "/polling/transactions", params=params)
            for item in page.get("items", []):
                processed = parse_time(item["processedAt"])
                cursor = processed if cursor is None or processed > cursor else cursor
                set_id = (((item.get("x12") or {}).get("metadata") or {}).get(
                    "transaction") or {}).get("transactionSetIdentifier", "")
                if item.get("direction") != "INBOUND" or set_id not in INBOUND_SETS:
                    continue
                text = self._call("GET", self.core + f"/transactions/{item['transactionId']}"
                                  "/input", expect_json=False)
                reports.append(InboundReport(item["transactionId"], set_id, processed, text))
            token = page.get("nextPageToken")
            if not token:
                return ReportPage(reports, cursor)
            params = {**params, "pageToken": token}

    # -- real time ----------------------------------------------------------------------------
    def check_eligibility(self, *, x12: str) -> RealtimeResult:
        body = self._call("POST", self.healthcare + "/change/medicalnetwork/eligibility/v3/"
                          "raw-x12", json={"x12": x12})
        return RealtimeResult(body.get("x12") or "", body.get("id") or "",
                              body.get("controlNumber") or "")

    def check_claim_status(self, *, x12: str) -> RealtimeResult:
        body = self._call("POST", self.healthcare + "/change/medicalnetwork/claimstatus/v2/"
                          "raw-x12", json={"x12": x12})
        return RealtimeResult(body.get("x12") or "", body.get("id") or "",
                              body.get("controlNumber") or "")

    # -- payers -------------------------------------------------------------------------------
    def search_payers(self, *, query: str, limit: int = 20) -> list[PayerInfo]:
        body = self._call("GET", self.healthcare + "/payers/search",
                          params={"query": query, "pageSize": limit})
        out = []
        for item in body.get("items", []):
            p = item.get("payer") or {}
            out.append(PayerInfo(p.get("stediId", ""), p.get("displayName", ""),
                                 p.get("primaryPayerId", ""), tuple(p.get("aliases") or ()),
                                 dict(p.get("transactionSupport") or {})))
        return out

    # -- enrollment ---------------------------------------------------------------------------
    def create_enrollment(self, *, request: EnrollmentRequest) -> EnrollmentInfo:
        first, _, last = request.contact_name.partition(" ")
        contact = {"firstName": first or request.provider_name, "lastName": last or "-",
                   "email": request.contact_email, "phone": request.contact_phone,
                   "streetAddress1": request.address1, "city": request.city,
                   "state": request.state, "zipCode": request.zip_code}
        provider = self._call(
            "POST", self.enrollments + "/providers",
            json={"name": request.provider_name, "npi": request.npi, "taxId": request.tax_id,
                  "taxIdType": request.tax_id_type, "contacts": [contact]},
            headers={"Idempotency-Key": f"{request.reference}-provider"})
        body = self._call(
            "POST", self.enrollments + "/enrollments",
            json={"provider": {"id": provider["id"]}, "payer": {"idOrAlias": request.payer_id},
                  "transactions": {ENROLL_TRANSACTIONS.get(t, t): {"enroll": True}
                                   for t in request.transactions},
                  "primaryContact": contact, "userEmail": request.contact_email,
                  "status": "SUBMITTED"},
            headers={"Idempotency-Key": f"{request.reference}-enrollment"})
        return self._enrollment(body)

    def get_enrollment(self, *, external_id: str) -> EnrollmentInfo:
        return self._enrollment(self._call("GET", self.enrollments +
                                           f"/enrollments/{external_id}"))

    @staticmethod
    def _enrollment(body: dict[str, Any]) -> EnrollmentInfo:
        effective = body.get("effectiveDate")
        changed = body.get("statusLastUpdatedAt")
        return EnrollmentInfo(
            external_id=body["id"], status=body.get("status", ""),
            reason=body.get("reason") or "",
            effective_date=dt.date.fromisoformat(effective[:10]) if effective else None,
            status_changed_at=parse_time(changed) if changed else None)

    def close(self) -> None:
        self.client.close()
