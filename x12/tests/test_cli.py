"""`python -m x12 parse|check` — the JSON schema other code relies on, and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from x12.cli import main
from x12.parse import parse_file
from x12.tests.conftest import FIXTURES


def run_parse(capsys, name: str) -> dict:
    assert main(["parse", str(FIXTURES / name)]) == 0
    return json.loads(capsys.readouterr().out)


def test_parse_835_schema(capsys) -> None:
    doc = run_parse(capsys, "835_own_bom_crlf_two_interchanges.835")
    assert set(doc) == {"interchanges", "errors", "warnings"}
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


# -- streaming ---------------------------------------------------------------------------

ALL_FIXTURES = sorted(p for p in FIXTURES.iterdir() if p.is_file())


def cli_output(capsys, *args: str) -> str:
    assert main(["parse", *args]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=lambda p: p.name)
def test_streamed_json_equals_full_parse(capsys, path) -> None:
    want = parse_file(path).to_dict()
    assert json.loads(cli_output(capsys, str(path))) == want
    lines = cli_output(capsys, "--ndjson", str(path)).splitlines()
    docs = [json.loads(line) for line in lines]  # every line is a JSON document of its own
    assert [d["transaction"] for d in docs if "transaction" in d] == [
        t for isa in want["interchanges"] for t in isa["transactions"]]
    assert [d["error"] for d in docs if "error" in d] == want["errors"]
    for d in docs:
        if "transaction" in d:
            assert set(d["interchange"]) == {"sender", "receiver", "control_number"}


def test_ndjson_names_each_transactions_interchange(capsys) -> None:
    name = "835_own_bom_crlf_two_interchanges.835"
    docs = [json.loads(x) for x in cli_output(capsys, "--ndjson", str(FIXTURES / name))
            .splitlines()]
    want = parse_file(FIXTURES / name).to_dict()["interchanges"]
    assert [d["interchange"]["control_number"] for d in docs] == [
        isa["control_number"] for isa in want for _ in isa["transactions"]]
    assert len({d["interchange"]["control_number"] for d in docs}) == 2


def big_835(path, n: int, *, sets: int = 1, bad_claim: int | None = None) -> None:
    """An 835 of ``sets`` transaction sets of ``n`` balanced claims each, written as it goes."""
    from x12.envelope import isa_segment  # noqa: PLC0415
    from x12.tests.factories import envelope  # noqa: PLC0415

    env = envelope()
    with open(path, "w", encoding="ascii") as fh:
        fh.write("*".join(isa_segment(env, 1)) + "~")
        fh.write("GS*HP*PAYERSIM*OASYS*20260201*1200*1*X*005010X221A1~")
        for s in range(1, sets + 1):
            head = [f"ST*835*{s:04d}", f"BPR*I*{100 * n}*C*ACH*CCP*01*999999999*DA*1234*"
                    "1234567890**01*999999999*DA*9876*20260201", "TRN*1*EFT0001*1234567890",
                    "DTM*405*20260201", "N1*PR*SUNRISE HEALTH", "N3*1 PAYER WAY",
                    "N4*AUSTIN*TX*78701", "N1*PE*CALM MIND*XX*1234567893", "LX*1"]
            fh.write("~".join(head) + "~")
            count = len(head)
            for i in range(n):
                charge = "X" if i == bad_claim else "150"
                fh.write(f"CLP*PCN{i:07d}*1*{charge}*100*25*12*PAYER{i:09d}~"
                         f"NM1*QC*1*DOE*JANE****MI*W{i:08d}~SVC*HC:90837*150*100**1~"
                         "DTM*472*20260101~CAS*CO*45*25~CAS*PR*3*25~AMT*B6*125~")
                count += 7
            fh.write(f"SE*{count + 1}*{s:04d}~")
        fh.write(f"GE*{sets}*1~IEA*1*000000001~")


def test_big_file_generator_is_clean(tmp_path, capsys) -> None:
    path = tmp_path / "big.835"
    big_835(path, 50, sets=2)
    assert main(["check", str(path)]) == 0, capsys.readouterr().out
    assert "2 transaction set(s)" in capsys.readouterr().out


def test_claims_leave_memory_as_they_are_parsed(tmp_path, capsys, monkeypatch) -> None:
    """Claims go to the spool one by one and the spool spills to a file past its limit, so
    a transaction set of any size never sits in memory (and the output is unchanged)."""
    from x12 import cli  # noqa: PLC0415

    path = tmp_path / "big.835"
    big_835(path, 400)
    monkeypatch.setattr(cli, "SPOOL_LIMIT", 5000)
    sizes: list[int] = []
    spills: list[int] = []
    real_write, real_spill = cli._Spool.write, cli._Spool._spill

    def write(self, text: str) -> None:
        real_write(self, text)
        sizes.append(self.size)

    def spill(self) -> None:
        spills.append(self.size)
        real_spill(self)

    monkeypatch.setattr(cli._Spool, "write", write)
    monkeypatch.setattr(cli._Spool, "_spill", spill)
    doc = json.loads(cli_output(capsys, str(path)))
    assert doc == parse_file(path).to_dict()
    assert len(doc["interchanges"][0]["transactions"][0]["claims"]) == 400
    assert len(sizes) == 400 and len(spills) > 10
    assert max(sizes) <= 5000  # never more than the limit held in memory


def test_first_transaction_is_written_before_the_reader_reaches_the_next(
        tmp_path, monkeypatch) -> None:
    from x12 import cli  # noqa: PLC0415
    from x12.reader import X12Reader  # noqa: PLC0415

    path = tmp_path / "three.835"
    big_835(path, 5, sets=3)
    seen: list[int] = []  # ST segments the reader had produced at each write to stdout
    starts = [0]
    real_events = X12Reader.events

    def events(self):
        for ev in real_events(self):
            if ev[0] == "start":
                starts[0] += 1
            yield ev

    class Out(io.StringIO):
        def write(self, s: str) -> int:
            seen.append(starts[0])
            return super().write(s)

    out = Out()
    monkeypatch.setattr(X12Reader, "events", events)
    monkeypatch.setattr(sys, "stdout", out)
    assert cli.main(["parse", str(path)]) == 0
    doc = json.loads(out.getvalue())
    assert [t["control_number"] for t in doc["interchanges"][0]["transactions"]] == [
        "0001", "0002", "0003"]
    assert 1 in seen and 2 in seen  # output came while the 1st and 2nd sets were current


def test_bad_claim_mid_set_gives_what_parse_file_gives(tmp_path, capsys) -> None:
    """A bad claim (index 17) is handled as parse_file handles it: the claim is flagged as damaged
    and the set, every other claim included, is still written."""
    path = tmp_path / "bad.835"
    big_835(path, 30, bad_claim=17)
    doc = json.loads(cli_output(capsys, str(path)))
    assert doc == parse_file(path).to_dict()
    assert doc["errors"] == []
    claims = doc["interchanges"][0]["transactions"][0]["claims"]
    assert len(claims) == 30
    assert [i for i, c in enumerate(claims) if c.get("damage")] == [17]
    assert claims[17]["damage"][0]["segment_id"] == "CLP"


def test_peak_memory_is_flat(tmp_path) -> None:
    """A 20,000-claim 835 (one transaction set; about 60 MB of JSON) in a subprocess: its
    peak RSS stays under 80 MB. Holding the parse (as parse_file + json.dumps did) took
    over 300 MB for this file."""
    path = tmp_path / "big.835"
    big_835(path, 20_000)
    # VmHWM is the peak RSS of this process image (ru_maxrss would carry the forked
    # pytest's size over the exec)
    code = ("import sys; from x12.cli import main; main(sys.argv[1:]); sys.stdout.flush(); "
            "print(next(x for x in open('/proc/self/status') if x.startswith('VmHWM')), "
            "file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code, "parse", str(path)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=True, cwd=Path(__file__).resolve().parents[2])
    peak_kb = int(proc.stderr.split()[-2])
    assert peak_kb < 80 * 1024, proc.stderr


def test_no_progress_line_when_stderr_is_not_a_terminal(tmp_path) -> None:
    path = tmp_path / "big.835"
    big_835(path, 3000)
    proc = subprocess.run([sys.executable, "-m", "x12", "parse", "--ndjson", str(path)],
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.stderr == ""
    assert len(proc.stdout.splitlines()) == 1


def test_progress_line_on_a_terminal(tmp_path, capsys, monkeypatch) -> None:
    from x12 import cli  # noqa: PLC0415

    path = tmp_path / "big.835"
    big_835(path, 3000)
    monkeypatch.setattr(cli, "PROGRESS_MIN_BYTES", 1)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    clock = iter(range(0, 10_000))  # each look at the clock is a second later
    monkeypatch.setattr("time.monotonic", lambda: next(clock))
    assert main(["parse", "--ndjson", str(path)]) == 0
    err = capsys.readouterr().err
    assert err.startswith("\rx12: ") and err.endswith("3000 claim(s)\n")
    assert "100.0% read, 1 transaction set(s), 3000 claim(s)" in err
