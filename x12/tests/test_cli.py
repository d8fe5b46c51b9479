"""`python -m x12 parse|check` — the JSON schema other code relies on, and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from x12.cli import main
from x12.tests.conftest import FIXTURES


def run_parse(capsys, name: str) -> dict:
    assert main(["parse", str(FIXTURES / name)]) == 0
    return json.loads(capsys.readouterr().out)


def test_parse_835_schema(capsys) -> None:
    doc = run_parse(capsys, "835_own_bom_crlf_two_interchanges.835")
    assert set(doc) == {"interchanges", "errors"}
    assert doc["errors"] == []
    isa = doc["interchanges"][0]
    assert {"sender", "receiver", "control_number", "transactions"} <= set(isa)
    t = isa["transactions"][0]
    assert t["type"] == "835"
    assert {"payer", "payee", "payment", "claims", "provider_adjustments",
            "balance_errors"} <= set(t)
    assert {"amount", "method", "date", "trace_number"} <= set(t["payment"])
    claim = t["claims"][0]
    assert {"patient_control_number", "status_code", "charge", "paid",
            "patient_responsibility", "payer_claim_number", "adjustments", "lines"} <= set(claim)
    line = claim["lines"][0]
    assert {"procedure", "modifiers", "charge", "paid", "allowed", "units",
            "adjustments"} <= set(line)
    assert {"group", "reason", "amount"} <= set(line["adjustments"][0])
    assert {"reason", "reference", "amount"} <= set(t["provider_adjustments"][0])
    # amounts are strings with two decimals
    assert claim["charge"] == "300.00" and line["allowed"] == "160.00"


@pytest.mark.parametrize(("name", "set_type"), [
    ("271_lfh_subscriber.271", "271"), ("999_own_partial.x12", "999"),
    ("277CA_own_payer_response.x12", "277"), ("837P_lfh_tr3ex1_X222A1_pyx12OK.x12", "837"),
    ("270_lfh_dependent.270", "270"),
])
def test_parse_other_types(capsys, name: str, set_type: str) -> None:
    doc = run_parse(capsys, name)
    assert [t["type"] for t in doc["interchanges"][0]["transactions"]] == [set_type]


def test_parse_reports_errors_without_crashing(capsys) -> None:
    doc = run_parse(capsys, "837P_NEG_4errors_derived.x12")
    assert [(e["segment_id"], e["element"], e["expected"], e["found"]) for e in doc["errors"]] \
        == [("SE", 1, "41", "40")]
    # an unreadable SVC01 damages its claim only: the transaction is output, the claim flagged
    doc = run_parse(capsys, "835_lfh_secondary_payment.835")
    (ts,) = doc["interchanges"][0]["transactions"]
    damage = [d for c in ts["claims"] for d in c.get("damage", [])]
    assert damage and damage[0]["segment_id"] == "SVC" and damage[0]["element"] == 1


def test_check_exit_codes(capsys) -> None:
    assert main(["check", str(FIXTURES / "835_edi835parser_emedny_sample.txt")]) == 0
    assert "OK" in capsys.readouterr().out
    assert main(["check", str(FIXTURES / "835_own_unbalanced.835")]) == 1
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[2] == ("segment 4 (BPR): sum of claim payments - provider adjustments != "
                        "BPR02: expected 230.00, found 100.00")
    assert main(["check", str(FIXTURES / "837P_NEG_4errors_derived.x12")]) == 1


def test_check_unreadable_file(tmp_path, capsys) -> None:
    p = tmp_path / "junk.txt"
    p.write_bytes(b"hello world, not x12")
    assert main(["check", str(p)]) == 1
    assert "ISA" in capsys.readouterr().out


def test_module_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "x12", "check",
                           str(FIXTURES / "835_own_unbalanced.835")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert len(proc.stdout.strip().splitlines()) == 3
