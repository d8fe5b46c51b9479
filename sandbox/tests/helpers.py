"""Shared helpers for the simulator tests: submit, collect reports, validate them."""

from __future__ import annotations

from x12.balancing import balance_835
from x12.parse import parse_277, parse_835, parse_999
from x12.reader import X12Reader
from x12.tests.pyx12_check import pyx12_errors

HC = "/healthcare/2024-04-01/change/medicalnetwork"
SUBMIT = HC + "/professionalclaims/v3/raw-x12-submission"


def submit(sim, x12: str, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return sim.api("POST", SUBMIT, json={"x12": x12}, headers=headers)


def reports(sim, set_id: str | None = None) -> list[tuple[dict, str]]:
    """Every visible INBOUND transaction (item, raw X12), oldest first, across pages."""
    out: list[tuple[dict, str]] = []
    params: dict = {"pageSize": 50}
    while True:
        body = sim.api("GET", "/core/2023-08-01/polling/transactions", params=params).json()
        for item in body["items"]:
            sid = item["x12"]["metadata"]["transaction"]["transactionSetIdentifier"]
            if item["direction"] != "INBOUND" or (set_id and sid != set_id):
                continue
            raw = sim.api("GET", f"/core/2023-08-01/transactions/{item['transactionId']}/input",
                          follow_redirects=True).text
            out.append((item, raw))
        if not body.get("nextPageToken"):
            return out
        params["pageToken"] = body["nextPageToken"]


def one(text: str):
    """The single parsed transaction set in ``text``."""
    (ts,) = list(X12Reader.from_text(text))
    return {"999": parse_999, "277": parse_277, "835": parse_835}[ts.set_id](ts)


def assert_valid(text: str) -> None:
    """pyx12 accepts it; an 835 also balances."""
    errors = pyx12_errors(text)
    assert not errors, "\n".join(errors[:10]) + "\n" + text
    for ts in X12Reader.from_text(text):
        if ts.set_id == "835":
            problems = balance_835(parse_835(ts))
            assert not problems, [p.message for p in problems]
