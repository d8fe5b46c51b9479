"""The HTTP server: Stedi's healthcare, core and enrollment APIs under their version
prefixes on one loopback port, plus `/_sandbox/...` controls (clock, members, providers,
faults, reset).  Standard library only (http.server.ThreadingHTTPServer)."""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import re
import sys
import uuid
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.clearinghouse import enrollments, payers, realtime, reports
from sandbox.clearinghouse.intake import read_submission
from sandbox.clearinghouse.plans import Plan, plan_for
from sandbox.clearinghouse.store import Store, iso, parse_iso
from sandbox.http import FaultingHandler
from x12.errors import X12Error
from x12.parse import parse_file

HEALTHCARE = "/healthcare/2024-04-01"
CORE = "/core/2023-08-01"
ENROLLMENTS = "/enrollments/2024-09-01"
IDEMPOTENCY_WINDOW = dt.timedelta(hours=24)
DEFAULT_DB = Path(__file__).resolve().parents[2] / "var" / "sandbox-clearinghouse.sqlite3"


class Reply:
    def __init__(self, status: int, body: Any = None, *, headers: dict[str, str] | None = None,
                 raw: str | None = None, content_type: str = "application/json") -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.raw = raw
        self.content_type = content_type

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw.encode()
        return json.dumps(self.body, default=str).encode()


def error(status: int, code: str, message: str) -> Reply:
    return Reply(status, {"code": code, "message": message})


class App:
    """Routing and behaviour, independent of the socket handling."""

    def __init__(self, store: Store, api_key: str) -> None:
        self.store = store
        self.api_key = api_key

    # -- entry ----------------------------------------------------------------------------
    def authorized(self, header: str | None) -> bool:
        value = (header or "").strip()
        if value.lower().startswith("key "):
            value = value[4:].strip()
        return bool(value) and value == self.api_key

    def take_fault(self, path: str) -> dict[str, Any] | None:
        if path.startswith("/_sandbox"):
            return None
        with self.store.lock:
            for row in self.store.q("SELECT * FROM faults ORDER BY id"):
                if row["path"] in path:
                    if row["remaining"] <= 1:
                        self.store.x("DELETE FROM faults WHERE id = ?", row["id"])
                    else:
                        self.store.x("UPDATE faults SET remaining = remaining - 1 WHERE id = ?",
                                     row["id"])
                    return dict(row)
        return None

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Reply:
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        if not path.startswith(("/_sandbox/", "/_sandbox")) and not self.authorized(
                headers.get("Authorization")):
            return error(401, "UNAUTHORIZED", "Missing or invalid API key")
        try:
            data = json.loads(body or b"{}") if method in ("POST", "PUT") else {}
        except ValueError:
            return error(400, "VALIDATION", "The request body is not valid JSON")
        key = headers.get("Idempotency-Key")
        with self.store.lock:
            now = self.store.now()
            reports.tick(self.store, now)
            if method == "POST" and key and not path.startswith("/_sandbox"):
                return self._idempotent(key, method, path, body, now,
                                        lambda: self.route(method, path, query, data, now))
            return self.route(method, path, query, data, now)

    def _idempotent(self, key: str, method: str, path: str, body: bytes, now: dt.datetime,
                    run) -> Reply:
        request = f"{method} {path}"
        digest = hashlib.sha256(body).hexdigest()
        row = self.store.one("SELECT * FROM idempotency WHERE key = ?", key)
        if row is not None and parse_iso(row["created_at"]) + IDEMPOTENCY_WINDOW > now:
            if row["request"] != request or row["body_hash"] != digest:
                return error(422, "REQUEST_CHANGED", "This Idempotency-Key was used with a "
                             "different request")
            reply = Reply(row["status"], json.loads(row["response"]))
            reply.headers["Idempotent-Replayed"] = "true"
            return reply
        reply = run()
        if reply.status < 500:
            self.store.x("INSERT OR REPLACE INTO idempotency (key, request, body_hash, status, "
                         "response, created_at) VALUES (?, ?, ?, ?, ?, ?)", key, request, digest,
                         reply.status, json.dumps(reply.body, default=str), iso(now))
        return reply

    # -- routing --------------------------------------------------------------------------
    def route(self, method: str, path: str, query: dict[str, str], data: Any,
              now: dt.datetime) -> Reply:
        hc = HEALTHCARE + "/change/medicalnetwork"
        if method == "POST" and path == hc + "/professionalclaims/v3/raw-x12-submission":
            return self.claim_submit(data, now)
        if method == "POST" and path == hc + "/eligibility/v3/raw-x12":
            return self.realtime(data, now, realtime.answer_270, "eligibility")
        if method == "POST" and path == hc + "/claimstatus/v2/raw-x12":
            return self.realtime(data, now, realtime.answer_276, "claim status")
        if method == "GET" and path == HEALTHCARE + "/payers/search":
            return self.payer_search(query)
        if method == "GET" and path.startswith(HEALTHCARE + "/payer/"):
            found = payers.find(path.rsplit("/", 1)[1])
            return Reply(200, found) if found else error(404, "NOT_FOUND", "Payer not found")
        if method == "GET" and path == CORE + "/polling/transactions":
            return self.polling(query, now)
        m = re.fullmatch(CORE + r"/transactions/([\w-]+)(/input|/output)?", path)
        if method == "GET" and m:
            return self.transaction(m.group(1), m.group(2), now)
        m = re.fullmatch(r"/_sandbox/artifacts/([\w-]+)/(input|output)", path)
        if method == "GET" and m:
            return self.artifact(m.group(1), m.group(2), now)
        if path.startswith(ENROLLMENTS):
            return self.enrollment_route(method, path[len(ENROLLMENTS):], data, now)
        if path.startswith("/_sandbox"):
            return self.sandbox_route(method, path, query, data, now)
        return error(404, "NOT_FOUND", f"No route for {method} {path}")

    # -- healthcare -----------------------------------------------------------------------
    def claim_submit(self, data: Any, now: dt.datetime) -> Reply:
        text = data.get("x12") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            return error(400, "VALIDATION", "x12 is required")
        try:
            intake = read_submission(text)
        except X12Error as exc:
            return error(400, "VALIDATION", f"The X12 could not be parsed: {exc}")
        stored = reports.accept_submission(self.store, text, intake, now)
        first = intake.claims[0] if intake.claims else {}
        payer_id = first.get("payer_id", "")
        isa = intake.interchange
        body = {
            "status": "SUCCESS",
            "controlNumber": isa.control_number if isa else "",
            "tradingPartnerServiceId": payer_id,
            "transactionId": stored["transactionId"],
            "claimReference": {
                "correlationId": stored["transactionId"],
                "rhclaimNumber": stored["transactionId"],
                "patientControlNumber": first.get("patient_control_number", ""),
                "payerId": payer_id, "formatVersion": "5010", "timeOfResponse": iso(now),
                "serviceLines": [],
            },
            "payer": {"payerId": payer_id,
                      "payerName": payers.payer_name(payer_id, first.get("payer_name", ""))},
            "meta": {"traceId": str(uuid.uuid4()), "applicationMode": "test"},
            "httpStatusCode": "200 OK",
        }
        if intake.rejected:
            body["editStatus"] = "REJECTED"
            body["errors"] = [{"code": "999", "description": "The file was rejected; see the "
                               "999 acknowledgment"}]
        return Reply(200, body)

    def realtime(self, data: Any, now: dt.datetime, answer, what: str) -> Reply:
        text = data.get("x12") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            return error(400, "VALIDATION", "x12 is required")
        try:
            out, summary = answer(self.store, text, now)
        except X12Error as exc:
            return Reply(400, {"status": "ERROR", "errors": [{
                "code": "71", "description": f"Parse errors: {exc}",
                "followupAction": "Please Correct and Resubmit"}]})
        body = {"status": "SUCCESS", "x12": out, "id": str(uuid.uuid4()),
                "controlNumber": out.split("*")[13] if out.startswith("ISA") else "",
                "tradingPartnerServiceId": summary.get("payer_id", ""),
                "meta": {"traceId": str(uuid.uuid4()), "applicationMode": "test"},
                "sandbox": summary}
        return Reply(200, body)

    def payer_search(self, query: dict[str, str]) -> Reply:
        size = max(1, min(int(query.get("pageSize") or 10), 500))
        offset = int(_untoken(query.get("pageToken")) or 0)
        page, total = payers.search(query.get("query", ""), size, offset)
        body: dict[str, Any] = {"items": page, "stats": {"total": total}}
        if offset + size < total:
            body["nextPageToken"] = _token(str(offset + size))
        return Reply(200, body)

    # -- core -----------------------------------------------------------------------------
    def _item(self, row: Any) -> dict[str, Any]:
        base = CORE + f"/transactions/{row['id']}"
        size = len(row["x12"].encode())
        return {
            "direction": row["direction"], "mode": "test", "status": "succeeded",
            "fileExecutionId": row["id"], "transactionId": row["id"],
            "processedAt": row["processed_at"],
            "artifacts": [
                {"artifactType": "application/edi-x12", "sizeBytes": size,
                 "model": "transaction", "usage": "input", "url": base + "/input"},
                {"artifactType": "application/json", "sizeBytes": size,
                 "model": "transaction", "usage": "output", "url": base + "/output"}],
            "partnership": {"partnershipId": "sandbox_clearinghouse", "partnershipType": "x12",
                            "sender": {"profileId": "stedi" if row["direction"] == "INBOUND"
                                       else "oasys"},
                            "receiver": {"profileId": "oasys" if row["direction"] == "INBOUND"
                                         else "stedi"}},
            "x12": json.loads(row["meta"]),
        }

    def polling(self, query: dict[str, str], now: dt.datetime) -> Reply:
        size = max(1, min(int(float(query.get("pageSize") or 100)), 500))
        start = query.get("startDateTime")
        after = _untoken(query.get("pageToken"))
        sql = "SELECT * FROM transactions WHERE processed_at <= ?"
        args: list[Any] = [iso(now)]
        if start:
            sql += " AND processed_at >= ?"
            args.append(iso(parse_iso(start)))
        if after:
            when, seq = after.split("|")
            sql += " AND (processed_at > ? OR (processed_at = ? AND seq > ?))"
            args += [when, when, int(seq)]
        rows = self.store.q(sql + " ORDER BY processed_at, seq LIMIT ?", *args, size + 1)
        body: dict[str, Any] = {"items": [self._item(r) for r in rows[:size]]}
        if len(rows) > size:
            last = rows[size - 1]
            body["nextPageToken"] = _token(f"{last['processed_at']}|{last['seq']}")
        return Reply(200, body)

    def _visible(self, txn_id: str, now: dt.datetime) -> Any:
        row = self.store.one("SELECT * FROM transactions WHERE id = ?", txn_id)
        if row is None or row["processed_at"] > iso(now):
            return None
        return row

    def transaction(self, txn_id: str, part: str | None, now: dt.datetime) -> Reply:
        row = self._visible(txn_id, now)
        if row is None:
            return error(404, "NOT_FOUND", "Transaction not found")
        if part is None:
            return Reply(200, self._item(row))
        url = f"/_sandbox/artifacts/{txn_id}{part}"
        return Reply(302, {"documentDownloadUrl": url}, headers={"Location": url})

    def artifact(self, txn_id: str, part: str, now: dt.datetime) -> Reply:
        row = self._visible(txn_id, now)
        if row is None:
            return error(404, "NOT_FOUND", "Artifact not found")
        if part == "input":
            return Reply(200, raw=row["x12"], content_type="application/edi-x12")
        return Reply(200, parse_file(row["x12"].encode()).to_dict())

    # -- enrollments ----------------------------------------------------------------------
    def enrollment_route(self, method: str, sub: str, data: Any, now: dt.datetime) -> Reply:
        try:
            if method == "POST" and sub == "/providers":
                return Reply(200, enrollments.provider_create(self.store, data, now))
            m = re.fullmatch(r"/providers/([\w-]+)", sub)
            if method == "GET" and m:
                row = self.store.one("SELECT data FROM providers WHERE id = ?", m.group(1))
                return Reply(200, json.loads(row["data"])) if row else error(
                    404, "NOT_FOUND", "Provider not found")
            if method == "POST" and sub == "/enrollments":
                return Reply(200, enrollments.enrollment_create(self.store, data, now))
            if method == "GET" and sub == "/enrollments":
                ids = [r["id"] for r in self.store.q("SELECT id FROM enrollments ORDER BY "
                                                     "created_at")]
                return Reply(200, {"items": [enrollments.enrollment_view(self.store, i, now)
                                             for i in ids]})
            m = re.fullmatch(r"/enrollments/([\w-]+)", sub)
            if m and method == "GET":
                return Reply(200, enrollments.enrollment_view(self.store, m.group(1), now))
            if m and method == "POST":
                return Reply(200, enrollments.enrollment_update(self.store, m.group(1), data,
                                                                now))
        except enrollments.EnrollmentError as exc:
            return error(exc.status, "VALIDATION" if exc.status == 400 else "NOT_FOUND",
                         str(exc))
        return error(404, "NOT_FOUND", f"No route for {method} {sub}")

    # -- sandbox controls -----------------------------------------------------------------
    def sandbox_route(self, method: str, path: str, query: dict[str, str], data: Any,
                      now: dt.datetime) -> Reply:
        store = self.store
        if path == "/_sandbox/health":
            return Reply(200, {"ok": True, "now": iso(now)})
        if path == "/_sandbox/reset" and method == "POST":
            store.reset()
            return Reply(200, {"reset": True, "now": iso(store.now())})
        if path == "/_sandbox/clock":
            if method == "POST":
                if data.get("timestamp"):
                    moment = store.set_now(parse_iso(data["timestamp"]))
                else:
                    moment = store.advance(days=float(data.get("days") or 0),
                                           seconds=float(data.get("seconds") or 0))
                reports.tick(store, moment)
                return Reply(200, {"now": iso(moment)})
            return Reply(200, {"now": iso(now)})
        if path == "/_sandbox/members" and method == "POST":
            items = data if isinstance(data, dict) else {}
            for member_id, plan in items.items():
                store.x("INSERT OR REPLACE INTO members (member_id, plan) VALUES (?, ?)",
                        member_id.upper(), json.dumps(Plan.from_json(plan).to_json()))
            return Reply(200, {"members": sorted(k.upper() for k in items)})
        m = re.fullmatch(r"/_sandbox/members/([\w-]+)", path)
        if m and method == "GET":
            return Reply(200, plan_for(store, m.group(1)).to_json())
        if path == "/_sandbox/providers" and method == "POST":
            if not data.get("npi") or not data.get("taxId"):
                return error(400, "VALIDATION", "npi and taxId are required")
            store.x("INSERT OR REPLACE INTO registered_providers (npi, tax_id) VALUES (?, ?)",
                    data["npi"], data["taxId"])
            return Reply(200, {"npi": data["npi"], "taxId": data["taxId"]})
        if path == "/_sandbox/faults":
            if method == "POST":
                kind = str(data.get("kind", ""))
                if kind not in ("500", "429", "timeout", "drop"):
                    return error(400, "VALIDATION", "kind is one of 500, 429, timeout, drop")
                fid = store.x("INSERT INTO faults (kind, path, remaining, seconds) VALUES "
                              "(?, ?, ?, ?)", kind, data.get("path", ""),
                              int(data.get("count", 1)), float(data.get("seconds", 5)))
                return Reply(200, {"id": fid})
            if method == "DELETE":
                store.x("DELETE FROM faults")
                return Reply(200, {"cleared": True})
            return Reply(200, {"items": [dict(r) for r in store.q("SELECT * FROM faults")]})
        if path == "/_sandbox/claims" and method == "GET":
            rows = store.q("SELECT id, pcn, member_id, payer_id, trigger, state, "
                           "payer_claim_number, received_at, ack_due, remit_due, result "
                           "FROM claims ORDER BY id")
            return Reply(200, {"items": [{**dict(r), "result": json.loads(r["result"])
                                          if r["result"] else None} for r in rows]})
        return error(404, "NOT_FOUND", f"No route for {method} {path}")


def _token(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def _untoken(value: str | None) -> str:
    if not value:
        return ""
    try:
        return base64.urlsafe_b64decode(value.encode()).decode()
    except ValueError:
        return ""


class Handler(FaultingHandler):
    app: App
    server_version = "SandboxClearinghouse/1.0"

    def fault_for(self, method: str, path: str) -> dict[str, Any] | None:
        return self.app.take_fault(path)

    def fault_reply(self, fault: dict[str, Any]) -> Reply | None:
        if fault["kind"] not in ("500", "429"):
            return None
        status = int(fault["kind"])
        return error(status, "INTERNAL_FAILURE" if status == 500 else "TOO_MANY_REQUESTS",
                     "Simulated fault")

    def crash_reply(self, exc: Exception) -> Reply:
        return error(500, "INTERNAL_FAILURE", f"{type(exc).__name__}: {exc}")

    def handle_request(self, method: str, body: bytes) -> Reply:
        return self.app.handle(method, self.path, self.headers, body)


def make_server(port: int, db: str | Path, api_key: str, verbose: bool = False
                ) -> ThreadingHTTPServer:
    app = App(Store(db), api_key)
    handler = type("BoundHandler", (Handler,), {"app": app, "verbose": verbose})
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sandbox clearinghouse",
                                     description="Stedi-style clearinghouse and payer simulator")
    parser.add_argument("--port", type=int, default=8701, help="0 picks a free port")
    parser.add_argument("--db", default=str(DEFAULT_DB), help="SQLite file for its state")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    key = os.environ.get("SANDBOX_CLEARINGHOUSE_API_KEY", "test-key")
    server = make_server(args.port, args.db, key, args.verbose)
    port = server.server_address[1]
    print(f"Sandbox clearinghouse listening on http://127.0.0.1:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)

