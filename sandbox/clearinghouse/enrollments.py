"""Transaction enrollment: providers and enrollment requests in Stedi's shapes.

A submitted request is SUBMITTED for a business day, then PROVISIONING, then LIVE after 5 to
15 business days (fixed per request), or REJECTED after 2 business days when the NPI or tax
ID does not match what the simulator was told (`POST /_sandbox/providers`), the NPI fails its
check digit, or the tax ID is the magic 000000000 / starts with 9999.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

from sandbox.clearinghouse import payers
from sandbox.clearinghouse.intake import npi_valid
from sandbox.clearinghouse.store import Store, iso, parse_iso

SUBMITTING = ("SUBMITTED", "STEDI_ACTION_REQUIRED")


class EnrollmentError(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def add_business_days(start: dt.datetime, days: int) -> dt.datetime:
    moment = start
    while days > 0:
        moment += dt.timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


def provider_create(store: Store, body: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    for key in ("name", "npi", "taxId"):
        if not body.get(key):
            raise EnrollmentError(400, f"{key} is required")
    provider = {"id": str(uuid.uuid4()), "name": body["name"], "npi": body["npi"],
                "taxId": body["taxId"], "taxIdType": body.get("taxIdType", "EIN"),
                "contacts": body.get("contacts", []), "createdAt": iso(now),
                "updatedAt": iso(now)}
    store.x("INSERT INTO providers (id, data) VALUES (?, ?)", provider["id"],
            json.dumps(provider))
    return provider


def _decide(store: Store, provider: dict[str, Any]) -> tuple[str, str]:
    npi, tin = provider["npi"], provider["taxId"]
    if not npi_valid(npi):
        return "REJECTED", "The payer could not validate the NPI."
    if tin == "000000000" or tin.startswith("9999"):
        return "REJECTED", "The tax ID does not match the payer's records."
    reg = store.one("SELECT tax_id FROM registered_providers WHERE npi = ?", npi)
    if reg is not None and reg["tax_id"] != tin:
        return "REJECTED", "The NPI and tax ID do not match the payer's records."
    return "LIVE", ""


def enrollment_create(store: Store, body: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    provider_id = (body.get("provider") or {}).get("id")
    row = store.one("SELECT data FROM providers WHERE id = ?", provider_id or "")
    if row is None:
        raise EnrollmentError(404, "Provider not found")
    payer_key = (body.get("payer") or {}).get("idOrAlias") or ""
    payer = payers.find(payer_key)
    if payer is None:
        raise EnrollmentError(400, f"Unknown payer '{payer_key}'")
    if not body.get("transactions"):
        raise EnrollmentError(400, "transactions is required")
    provider = json.loads(row["data"])
    enrollment_id = str(uuid.uuid4())
    outcome, reason = _decide(store, provider)
    days = 5 + int(hashlib.sha256(enrollment_id.encode()).hexdigest(), 16) % 11
    data = {"id": enrollment_id, "provider": provider,
            "payer": {"name": payer["displayName"], "stediPayerId": payer["stediId"],
                      "submittedPayerIdOrAlias": payer_key},
            "transactions": body["transactions"], "primaryContact": body.get("primaryContact"),
            "userEmail": body.get("userEmail", ""), "source": "API",
            "requestedEffectiveDate": body.get("requestedEffectiveDate")}
    store.x("INSERT INTO enrollments (id, data, created_at, submitted_at, outcome, "
            "business_days, reason) VALUES (?, ?, ?, NULL, ?, ?, ?)", enrollment_id,
            json.dumps(data), iso(now), outcome, days, reason)
    if body.get("status") in SUBMITTING:
        store.x("UPDATE enrollments SET submitted_at = ? WHERE id = ?", iso(now), enrollment_id)
    return enrollment_view(store, enrollment_id, now)


def enrollment_update(store: Store, enrollment_id: str, body: dict[str, Any],
                      now: dt.datetime) -> dict[str, Any]:
    row = store.one("SELECT submitted_at FROM enrollments WHERE id = ?", enrollment_id)
    if row is None:
        raise EnrollmentError(404, "Enrollment not found")
    if body.get("status") in SUBMITTING and row["submitted_at"] is None:
        store.x("UPDATE enrollments SET submitted_at = ? WHERE id = ?", iso(now), enrollment_id)
    return enrollment_view(store, enrollment_id, now)


def enrollment_view(store: Store, enrollment_id: str, now: dt.datetime) -> dict[str, Any]:
    row = store.one("SELECT * FROM enrollments WHERE id = ?", enrollment_id)
    if row is None:
        raise EnrollmentError(404, "Enrollment not found")
    data = json.loads(row["data"])
    created = parse_iso(row["created_at"])
    history = [{"changedAt": iso(created), "changedBy": data["userEmail"],
                "newStatus": "DRAFT", "type": "STATUS_CHANGE"}]
    status, changed = "DRAFT", created
    if row["submitted_at"]:
        steps = [("SUBMITTED", parse_iso(row["submitted_at"]))]
        steps.append(("PROVISIONING", add_business_days(steps[0][1], 1)))
        if row["outcome"] == "REJECTED":
            steps.append(("REJECTED", add_business_days(steps[0][1], 2)))
        else:
            steps.append(("LIVE", add_business_days(steps[0][1], row["business_days"])))
        for new, when in steps:
            if when <= now:
                history.append({"changedAt": iso(when), "changedBy": "stedi",
                                "newStatus": new, "previousStatus": status,
                                "type": "STATUS_CHANGE"})
                status, changed = new, when
    out = {**data, "status": status, "history": history, "createdAt": iso(created),
           "updatedAt": iso(changed), "statusLastUpdatedAt": iso(changed)}
    if row["submitted_at"]:
        out["submittedAt"] = row["submitted_at"]
    if status == "REJECTED":
        out["reason"] = row["reason"]
    if status == "LIVE":
        out["effectiveDate"] = changed.date().isoformat()
    return out
