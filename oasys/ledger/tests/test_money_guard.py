"""Static check: money is written by the ledger's posting functions only.

The stored money fields -- `Claim.paid_amount`, `Claim.patient_responsibility` and
`Invoice.total` -- are a cache of the journal that `oasys/ledger/services.py` rewrites in the
transaction of the entry that changes them; journal rows are created there too. No other
product code may write any of them (and `Invoice.amount_paid` no longer exists)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

OASYS = Path(__file__).resolve().parents[2]
ALLOWED = OASYS / "ledger" / "services.py"
WRITE_CALLS = {"update", "create", "get_or_create", "update_or_create", "bulk_update",
               "bulk_create"}
CLAIM_FIELDS = {"paid_amount", "patient_responsibility"}
INVOICE_FIELDS = {"total", "amount_paid"}
ALWAYS = {"paid_amount", "amount_paid"}  # no other model has these names
_CLAIM = re.compile(r"(?<!Remittance)(?<!remittance_)\bclaims?\b|(?<!Remittance)Claim\b|"
                    r"claim_model", re.I)
# an invoice's receiver, not its lines' nor a bulk batch's (whose `total` counts invoices)
_INVOICE = re.compile(r"invoice(?!_?line)(?!Line)(?!_?batch)(?!Batch)", re.I)
_JOURNAL = re.compile(r"\bJournal(Entry|Line)\b")


def _money_writes(path: Path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    found: list[str] = []

    def hit(node, what):
        found.append(f"{path.name}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            kws = {k.arg for k in node.keywords if k.arg}
            strs = {a.value for a in ast.walk(node) if isinstance(a, ast.Constant)
                    and isinstance(a.value, str)}
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr in WRITE_CALLS:
                receiver = ast.get_source_segment(source, func.value) or ""
                if kws & ALWAYS or strs & ALWAYS:
                    hit(node, f"{receiver}.{func.attr}(... paid amount ...)")
                if _CLAIM.search(receiver) and (kws | strs) & CLAIM_FIELDS:
                    hit(node, f"{receiver}.{func.attr}(... claim money ...)")
                if _INVOICE.search(receiver) and (kws | strs) & INVOICE_FIELDS:
                    hit(node, f"{receiver}.{func.attr}(... invoice total ...)")
                if _JOURNAL.search(receiver):
                    hit(node, f"{receiver}.{func.attr}(...)")
            if isinstance(func, ast.Name):
                if func.id == "Claim" and kws & CLAIM_FIELDS:
                    hit(node, "Claim(... money ...)")
                if func.id == "Invoice" and kws & INVOICE_FIELDS:
                    hit(node, "Invoice(total=...)")
                if func.id in ("JournalEntry", "JournalLine"):
                    hit(node, f"{func.id}(...)")
                if func.id == "setattr" and len(node.args) >= 2 and isinstance(
                        node.args[1], ast.Constant) and node.args[1].value in (
                        CLAIM_FIELDS | INVOICE_FIELDS):
                    hit(node, f"setattr(..., {node.args[1].value!r}, ...)")
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for t in targets:
            if not isinstance(t, ast.Attribute):
                continue
            owner = ast.get_source_segment(source, t.value) or ""
            if t.attr in ALWAYS or (t.attr in CLAIM_FIELDS and _CLAIM.search(owner)) or (
                    t.attr in INVOICE_FIELDS and _INVOICE.search(owner)):
                hit(node, f"{owner}.{t.attr} = ...")
    return found


def _sources():
    for path in sorted(OASYS.rglob("*.py")):
        rel = path.relative_to(OASYS).parts
        if "tests" in rel or "migrations" in rel or rel[-1] == "conftest.py":
            continue
        yield path


def test_the_static_check_sees_the_ledgers_own_writes():
    writes = "\n".join(_money_writes(ALLOWED))
    # the entry is built as JournalEntry(...) and written by one INSERT ... ON CONFLICT
    for what in ("claim money", "invoice total", "JournalEntry(...)",
                 "JournalLine.objects.bulk_create", "invoice.total = ..."):
        assert what in writes, what


def test_the_static_check_catches_a_bump_elsewhere(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(claim, inv):\n"
                   "    Claim.objects.filter(pk=1).update(paid_amount=claim.paid_amount + 1)\n"
                   "    claim.patient_responsibility = 3\n"
                   "    Invoice.objects.filter(pk=inv.pk).update(total=5)\n"
                   "    JournalLine.objects.create(debit=1)\n", encoding="utf-8")
    lines = {w.split(":")[1] for w in _money_writes(bad)}
    assert lines == {"2", "3", "4", "5"}


def test_no_code_outside_the_ledger_writes_money():
    offenders = [w for p in _sources() if p != ALLOWED for w in _money_writes(p)]
    assert offenders == []
