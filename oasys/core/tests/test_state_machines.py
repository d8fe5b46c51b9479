"""Every registered state machine (`MACHINES`): its table is well formed, and no code outside
the machine's own writer modules assigns its status field (a static check of the source).

The check generalises the first claim-status guard: for each machine it looks for
`.update(status=…)`, `.create(status=…)` (and get_or_create / update_or_create /
bulk_create), `bulk_update(…, ["status"])`, `Model(status=…)`, `obj.status = …` and
`setattr(obj, "status", …)` on anything that names the machine's model (its class, its
snake-case name, the related managers that return it). Writer modules may do all of these;
creator modules (seed data) may create rows in a status. Machines added by other apps are
covered the moment they register.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from oasys.core.statemachine import MACHINES, StateMachine

OASYS = Path(__file__).resolve().parents[2]
MECHANISM = "oasys.core.statemachine"
# Every machine the product declares: a new status field must join this list.
EXPECTED_MACHINES = {"claim", "appointment", "invoice", "enrollment", "edi_file",
                     "claim_submission_ack", "remittance", "payment_review", "payment_account",
                     "card_request", "sent_email", "stripe_webhook_event"}
# Variable names the code base uses for a machine's objects beyond the derived ones.
ALIASES: dict[str, tuple[str, ...]] = {
    "appointment": ("appt", "session"),
}
WRITE_METHODS = ("update", "create", "get_or_create", "update_or_create", "bulk_update",
                 "bulk_create")
CREATE_METHODS = ("create", "get_or_create", "update_or_create", "bulk_create")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@dataclass(frozen=True)
class Target:
    """What the checker looks for, for one machine."""

    name: str
    model: str  # class name
    field: str  # the status field
    receiver: re.Pattern[str]  # on a queryset/manager receiver
    owner: re.Pattern[str]  # on the object of an attribute assignment


def target_for(machine: StateMachine) -> Target:
    model = machine.model.__name__
    snake = _snake(model)
    words = {snake, snake.replace("_", ""), *ALIASES.get(machine.name, ())}
    # Related managers that return the model (e.g. appointment.claims): the reverse names of
    # the model's own foreign keys.
    related = {f.remote_field.get_accessor_name() for f in machine.model._meta.fields
               if f.many_to_one and f.remote_field.related_name != "+"}
    related.discard(None)
    words_re = "|".join(re.escape(w) for w in sorted(words))
    receiver = rf"\b{re.escape(model)}\b(?!\w)|\b(?:{words_re})s?\b|{re.escape(snake)}_set"
    if related:
        receiver += "|" + "|".join(rf"\.{re.escape(r)}\b" for r in sorted(related))
    return Target(name=machine.name, model=model, field=machine.status_field,
                  receiver=re.compile(receiver), owner=re.compile(words_re, re.I))


def status_writes(source: str, target: Target, *, label: str = "") -> list[tuple[str, str]]:
    """(kind, where) of every write of `target`'s status field in `source`. kind is
    "create" for a creation in a status (allowed to creator modules), else "write"."""
    tree = ast.parse(source)
    found: list[tuple[str, str]] = []
    f = target.field

    def seg(node: ast.AST) -> str:
        return ast.get_source_segment(source, node) or ""

    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr in WRITE_METHODS:
            kws = {k.arg for k in node.keywords}
            strs = {a.value for a in ast.walk(node) if isinstance(a, ast.Constant)}
            if target.receiver.search(seg(node.func.value)) and (f in kws or f in strs):
                kind = "create" if node.func.attr in CREATE_METHODS else "write"
                found.append((kind, f"{label}:{node.lineno}: {seg(node)[:120]}"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == target.model and any(k.arg == f for k in node.keywords):
            found.append(("create", f"{label}:{node.lineno}: {target.model}({f}=...)"))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "setattr" and len(node.args) >= 2 \
                and isinstance(node.args[1], ast.Constant) and node.args[1].value == f \
                and target.owner.search(seg(node.args[0])):
            found.append(("write", f"{label}:{node.lineno}: setattr(..., {f!r}, ...)"))
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for t in targets:
            if isinstance(t, ast.Attribute) and t.attr == f and target.owner.search(seg(t.value)):
                found.append(("write", f"{label}:{node.lineno}: {seg(t.value)}.{f} = ..."))
    return found


def _module(path: Path) -> str:
    return ".".join(("oasys", *path.relative_to(OASYS).with_suffix("").parts))


def _sources() -> list[Path]:
    out = []
    for path in sorted(OASYS.rglob("*.py")):
        rel = path.relative_to(OASYS).parts
        if "tests" in rel or "migrations" in rel or rel[-1] == "conftest.py":
            continue
        out.append(path)
    return out


def test_the_machines_this_branch_declares_are_registered():
    assert EXPECTED_MACHINES <= set(MACHINES)


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_every_status_is_reachable(name):
    # (A status without a row in the table is final; unknown statuses are refused when the
    # machine is declared.)
    machine = MACHINES[name]
    status_field = machine.model._meta.get_field(machine.status_field)
    start = set(machine.initial)
    if status_field.has_default():
        start.add(status_field.default)
    elif not start:
        # No default and no declared `initial`: the statuses nothing leads to are the ones
        # rows are created in.
        targets = {t for tos in machine.transitions.values() for t in tos}
        start = set(machine.statuses.values) - targets
    seen, todo = set(start), list(start)
    while todo:
        for nxt in machine.transitions.get(todo.pop(), frozenset()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    # A status nothing leads to and nothing is created in is dead code in the table.
    assert set(machine.statuses.values) - seen == set()


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_every_machine_records_events(name):
    machine = MACHINES[name]
    assert machine.event_model is not None and machine.event_fk
    fk = machine.event_model._meta.get_field(machine.event_fk)
    assert fk.related_model is machine.model


SAMPLE = '''
def bad(claim, claims, appointment):
    Claim.objects.filter(pk=1).update(status="paid")
    Claim(status="draft", practice=p)
    claim.status = "paid"
    setattr(claim, "status", "paid")
    Claim.objects.bulk_update(claims, ["status"])
    appointment.claims.filter(x=1).update(status="voided")
    Claim.objects.create(practice=p, status="paid")
    ClaimEvent.objects.create(to_status="paid")          # another model: not a claim write
    claim.status_changed_at = now                         # another field
'''


def test_the_checker_finds_every_kind_of_write():
    target = target_for(MACHINES["claim"])
    found = status_writes(SAMPLE, target, label="sample")
    assert [k for k, _ in found].count("write") == 5, found
    assert [k for k, _ in found].count("create") == 2, found


def test_the_checker_would_have_seen_the_old_writers():
    # The status writes claims/services.py and appointments/services.py made before the
    # machine (kept here as text) are found.
    old_claim = ("Claim.objects.filter(pk=locked.pk).update(status=to, status_changed_at=now)\n"
                 "claim.status = locked.status\n")
    old_appt = "appointment.status = locked.status\n"
    assert len(status_writes(old_claim, target_for(MACHINES["claim"]))) == 2
    assert len(status_writes(old_appt, target_for(MACHINES["appointment"]))) == 1


@pytest.mark.parametrize("name", sorted(MACHINES))
def test_no_code_outside_the_writer_modules_assigns_the_status(name):
    machine = MACHINES[name]
    target = target_for(machine)
    writers = {MECHANISM, *machine.writer_modules}
    creators = set(machine.creators)
    offenders = []
    for path in _sources():
        module = _module(path)
        if module in writers:
            continue
        for kind, where in status_writes(path.read_text(encoding="utf-8"), target,
                                         label=str(path.relative_to(OASYS))):
            if kind == "create" and module in creators:
                continue
            offenders.append(where)
    assert offenders == []
