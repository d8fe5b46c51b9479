"""The state machine mechanism itself, on a throwaway machine over a real table (enrollments,
looked up by name so core's tests import no domain app): the lock and the table check, the
event row, the audit row, side effects only on commit, allow_same, try_transition, the
actions, and declarations that refer to unknown statuses."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext

from oasys.core import statemachine
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import Conflict
from oasys.core.models import AuditEvent
from oasys.core.statemachine import (
    MACHINES,
    Action,
    IllegalTransition,
    StateMachine,
    machine_register,
)


class Light(models.TextChoices):
    # The enrollment table's values, with a table of our own.
    NOT_STARTED = "not_started", "Off"
    PENDING = "pending", "Warming"
    ACTIVE = "active", "On"
    REJECTED = "rejected", "Broken"


L = Light
TABLE = {
    L.NOT_STARTED: frozenset({L.PENDING}),
    L.PENDING: frozenset({L.ACTIVE, L.REJECTED}),
    L.ACTIVE: frozenset(),
    L.REJECTED: frozenset({L.PENDING}),
}


def _machine(**kwargs) -> StateMachine:
    fields = {
        "name": "light", "noun": "light", "model": apps.get_model("practice", "Enrollment"),
        "statuses": Light, "transitions": TABLE,
        "event_model": apps.get_model("practice", "EnrollmentEvent"), "event_fk": "enrollment",
        "changed_at_field": "status_changed_at", "client_attr": "",
        "actions": {a.name: a for a in (
            Action("warm", "Warm up", frozenset({L.NOT_STARTED, L.REJECTED}), to=L.PENDING),
            Action("look", "Look at it", frozenset({L.PENDING, L.ACTIVE})),
            Action("switch_on", "Switch on", frozenset({L.PENDING}), to=L.ACTIVE,
                   when=lambda o: o.note != "fuse out",
                   refusal="A {status} {noun} does not switch on."),
        )},
    }
    fields.update(kwargs)
    return StateMachine(**fields)


@pytest.fixture
def machine():
    return _machine()


@pytest.fixture
def row(practice):
    Payer = apps.get_model("practice", "Payer")
    AcceptedPayer = apps.get_model("practice", "AcceptedPayer")
    Enrollment = apps.get_model("practice", "Enrollment")
    payer = Payer.objects.create(name="Lamp Mutual", payer_id_claims="LAMP1")
    accepted = AcceptedPayer.objects.create(practice=practice, payer=payer)
    return Enrollment.objects.create(practice=practice, accepted_payer=accepted,
                                     transaction_type="claims")


@pytest.fixture
def ctx(practice):
    return AuditContext.system(practice_id=practice.pk, source="test")


@pytest.mark.django_db
def test_a_legal_move_writes_status_event_and_audit(machine, row, ctx, owner):
    audits = AuditEvent.objects.count()
    out = machine.transition(obj=row, to=L.PENDING, ctx=ctx, actor=owner, source="screen",
                             reason="because", updates={"note": "set with it"})
    assert out is row and row.status == L.PENDING and row.note == "set with it"
    stored = type(row).objects.get(pk=row.pk)
    assert (stored.status, stored.note) == (L.PENDING, "set with it")
    assert stored.status_changed_at is not None
    [event] = row.events.all()
    assert (event.from_status, event.to_status, event.actor_id, event.source, event.reason,
            event.practice_id) == ("not_started", "pending", owner.pk, "screen", "because",
                                   row.practice_id)
    assert AuditEvent.objects.count() == audits + 1
    audit = AuditEvent.objects.order_by("-seq").first()
    assert (audit.category, audit.object_type, audit.object_id, audit.detail) == (
        "light", "Enrollment", str(row.pk),
        {"from": "not_started", "to": "pending", "source": "screen"})


@pytest.mark.django_db
def test_the_actor_may_be_a_user_id(machine, row, ctx, owner):
    machine.transition(obj=row, to=L.PENDING, ctx=ctx, actor=owner.pk)
    assert row.events.get().actor_id == owner.pk


@pytest.mark.django_db
def test_an_illegal_move_is_a_conflict_and_writes_nothing(machine, row, ctx):
    audits = AuditEvent.objects.count()
    with pytest.raises(IllegalTransition) as caught:
        machine.transition(obj=row, to=L.ACTIVE, ctx=ctx)
    assert isinstance(caught.value, Conflict) and caught.value.status_code == 409
    assert caught.value.errors == {"status": "A light cannot go from Off to On."}
    assert (caught.value.current, caught.value.new) == (L.NOT_STARTED, L.ACTIVE)
    assert type(row).objects.get(pk=row.pk).status == L.NOT_STARTED
    assert row.events.count() == 0 and AuditEvent.objects.count() == audits


@pytest.mark.django_db
def test_the_table_is_checked_against_the_stored_row_not_the_object(machine, row, ctx):
    stale = type(row).objects.get(pk=row.pk)
    machine.transition(obj=row, to=L.PENDING, ctx=ctx)
    machine.transition(obj=row, to=L.ACTIVE, ctx=ctx)
    assert stale.status == L.NOT_STARTED
    with pytest.raises(IllegalTransition):  # active -> pending, whatever `stale` says
        machine.transition(obj=stale, to=L.PENDING, ctx=ctx)


@pytest.mark.django_db
def test_the_row_is_locked_for_the_move(machine, row, ctx, monkeypatch):
    calls = []
    manager_type = type(type(row)._default_manager)
    original = manager_type.select_for_update

    def spy(self, *args, **kwargs):
        calls.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(manager_type, "select_for_update", spy)
    machine.transition(obj=row, to=L.PENDING, ctx=ctx)
    assert calls[0] is type(row)  # the row first (the audit chain head locks after it)


@pytest.mark.django_db
def test_same_status_is_a_no_op_only_when_allowed(machine, row, ctx):
    machine.transition(obj=row, to=L.PENDING, ctx=ctx)
    audits = AuditEvent.objects.count()
    machine.transition(obj=row, to=L.PENDING, ctx=ctx, allow_same=True)
    assert row.events.count() == 1 and AuditEvent.objects.count() == audits
    with pytest.raises(IllegalTransition):
        machine.transition(obj=row, to=L.PENDING, ctx=ctx)


@pytest.mark.django_db
def test_guard_runs_under_the_lock_before_the_table(row, ctx):
    seen = []

    def guard(locked, current, to):
        seen.append((locked.pk, current, to))
        if to == L.REJECTED:
            raise Conflict("no breaking")

    m = _machine(guard=guard)
    m.transition(obj=row, to=L.PENDING, ctx=ctx)
    with pytest.raises(Conflict, match="no breaking"):
        m.transition(obj=row, to=L.REJECTED, ctx=ctx)
    assert seen == [(row.pk, L.NOT_STARTED, L.PENDING), (row.pk, L.PENDING, L.REJECTED)]
    assert type(row).objects.get(pk=row.pk).status == L.PENDING


@pytest.mark.django_db
def test_audit_shape_can_be_the_machines_own(row, ctx):
    m = _machine(audit_category="lamp",
                 audit_detail=lambda frm, to, source: {"fields": ["status"], "to": to})
    m.transition(obj=row, to=L.PENDING, ctx=ctx, audit_extra={"why": "dark"})
    audit = AuditEvent.objects.order_by("-seq").first()
    assert (audit.category, audit.detail) == (
        "lamp", {"fields": ["status"], "to": "pending", "why": "dark"})


@pytest.mark.django_db
def test_try_transition_moves_or_says_no(machine, row, ctx):
    assert machine.try_transition(obj=row, to=L.ACTIVE, ctx=ctx) is False  # not allowed
    assert machine.try_transition(obj=row, to=L.NOT_STARTED, ctx=ctx) is False  # already
    assert row.events.count() == 0
    assert machine.try_transition(obj=row, to=L.PENDING, ctx=ctx, source="file 7") is True
    assert row.events.get().source == "file 7"
    assert type(row).objects.get(pk=row.pk).status == L.PENDING


@pytest.mark.django_db
def test_side_effects_run_on_commit_and_never_for_a_rollback(machine, row, ctx,
                                                             django_capture_on_commit_callbacks):
    ran = []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        machine.transition(obj=row, to=L.PENDING, ctx=ctx, on_commit=[lambda: ran.append(1)])
        assert ran == []  # not before the commit
    assert ran == [1] and len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            machine.transition(obj=row, to=L.ACTIVE, ctx=ctx,
                               on_commit=[lambda: ran.append(2)])
            raise RuntimeError("the caller's transaction fails after the move")
        with pytest.raises(IllegalTransition):
            machine.transition(obj=row, to=L.NOT_STARTED, ctx=ctx,
                               on_commit=[lambda: ran.append(3)])
    assert ran == [1] and callbacks == []
    assert type(row).objects.get(pk=row.pk).status == L.PENDING  # rolled back with it


@pytest.mark.django_db(transaction=True)
def test_side_effects_wait_for_the_real_commit(machine, practice, ctx):
    Payer = apps.get_model("practice", "Payer")
    AcceptedPayer = apps.get_model("practice", "AcceptedPayer")
    Enrollment = apps.get_model("practice", "Enrollment")
    accepted = AcceptedPayer.objects.create(
        practice=practice, payer=Payer.objects.create(name="Lamp", payer_id_claims="L2"))
    row = Enrollment.objects.create(practice=practice, accepted_payer=accepted,
                                    transaction_type="era")
    ran = []
    with transaction.atomic():
        machine.transition(obj=row, to=L.PENDING, ctx=ctx, on_commit=[lambda: ran.append(1)])
        assert ran == []
    assert ran == [1]


@pytest.mark.django_db
def test_allowed_actions_follow_status_when_and_table(machine, row, ctx):
    assert machine.allowed_action_names(row) == {"warm"}
    machine.transition(obj=row, to=L.PENDING, ctx=ctx)
    assert machine.allowed_action_names(row) == {"look", "switch_on"}
    row.note = "fuse out"
    assert machine.allowed_action_names(row) == {"look"}
    assert machine.allows(row, "look") and not machine.allows(row, "switch_on")


@pytest.mark.django_db
def test_require_action_returns_it_or_refuses_with_the_reason(machine, row, ctx):
    assert machine.require_action(row, "warm").to == L.PENDING
    with pytest.raises(Conflict, match="A Off light does not switch on."):
        machine.require_action(row, "switch_on")
    with pytest.raises(Conflict, match='This light is Off: "Look at it" is not possible now.'):
        machine.require_action(row, "look")


@pytest.mark.django_db
def test_require_action_raises_the_machines_error(row):
    class Refused(Exception):
        pass

    with pytest.raises(Refused):
        _machine(refusal_error=Refused).require_action(row, "look")


def test_unknown_statuses_are_refused_at_declaration():
    with pytest.raises(ValueError, match="unknown statuses in the table"):
        _machine(transitions={**TABLE, L.ACTIVE: frozenset({"exploded"})})
    with pytest.raises(ValueError, match="unknown statuses in the table"):
        _machine(transitions={**TABLE, "exploded": frozenset()})
    with pytest.raises(ValueError, match="leads nowhere known"):
        _machine(actions={"x": Action("x", "X", frozenset({L.PENDING}), to="exploded")})
    with pytest.raises(ValueError, match="starts from unknown"):
        _machine(actions={"x": Action("x", "X", frozenset({"exploded"}))})
    with pytest.raises(ValueError, match="can never be taken"):
        _machine(actions={"x": Action("x", "X", frozenset({L.ACTIVE}), to=L.NOT_STARTED)})


def test_two_machines_cannot_share_a_name():
    m = _machine(name="light-registry-test")
    try:
        assert machine_register(m) is m
        assert machine_register(m) is m  # the same one again (a re-import) is fine
        with pytest.raises(ValueError, match="two state machines"):
            machine_register(_machine(name="light-registry-test"))
    finally:
        MACHINES.pop("light-registry-test", None)


def test_writer_modules_default_to_the_models_services():
    assert _machine().writer_modules == ("oasys.practice.services",)
    assert _machine(writers=("a.b",)).writer_modules == ("a.b",)


# --- the cost of a move, and what a failure does to the caller's transaction -------------

def _statements(queries) -> list[str]:
    return [q["sql"].split(" ", 1)[0] for q in queries.captured_queries]


def _audit_append() -> list[str]:
    """An audit append's statements once the connection knows the head: the swap and the
    insert, one statement on PostgreSQL (oasys/core/audit.py)."""
    return ["WITH"] if connection.vendor == "postgresql" else ["UPDATE", "INSERT"]


@pytest.mark.django_db
def test_a_move_inside_a_transaction_is_five_queries_or_four_and_no_savepoint(machine, row, ctx):
    audit_record(ctx=ctx, action="read", category="test")  # this connection knows the head
    with CaptureQueriesContext(connection) as queries:
        machine.transition(obj=row, to=L.PENDING, ctx=ctx)
    # the row locked, its status, the event row, the audit head's swap, the audit row
    assert _statements(queries) == ["SELECT", "UPDATE", "INSERT", *_audit_append()], \
        [q["sql"] for q in queries.captured_queries]
    assert 'FROM "practice_enrollment"' in queries.captured_queries[0]["sql"]


@pytest.mark.django_db(transaction=True)
def test_a_move_outside_a_transaction_opens_one(machine, practice, ctx, monkeypatch):
    Payer = apps.get_model("practice", "Payer")
    AcceptedPayer = apps.get_model("practice", "AcceptedPayer")
    Enrollment = apps.get_model("practice", "Enrollment")
    accepted = AcceptedPayer.objects.create(
        practice=practice, payer=Payer.objects.create(name="Lamp", payer_id_claims="L3"))
    row = Enrollment.objects.create(practice=practice, accepted_payer=accepted,
                                    transaction_type="era")
    audit_record(ctx=ctx, action="read", category="test")
    seen = []
    original = statemachine.audit_record

    def spy(**kwargs):
        seen.append(connection.in_atomic_block)
        return original(**kwargs)

    monkeypatch.setattr(statemachine, "audit_record", spy)
    with CaptureQueriesContext(connection) as queries:
        machine.transition(obj=row, to=L.PENDING, ctx=ctx)
    assert seen == [True] and not connection.in_atomic_block
    assert [s for s in _statements(queries) if s not in {"BEGIN", "COMMIT"}] == [
        "SELECT", "UPDATE", "INSERT", *_audit_append()]
    assert not any("SAVEPOINT" in q["sql"] for q in queries.captured_queries)
    assert type(row).objects.get(pk=row.pk).status == L.PENDING


@pytest.mark.django_db
def test_a_refusal_inside_the_callers_transaction_leaves_it_usable(row, ctx):
    def guard(locked, current, to):
        if locked.note == "fuse out":
            raise Conflict("The fuse is out.")

    guarded = _machine(guard=guard)
    with transaction.atomic():
        with pytest.raises(IllegalTransition):
            guarded.transition(obj=row, to=L.ACTIVE, ctx=ctx)
        assert guarded.try_transition(obj=row, to=L.ACTIVE, ctx=ctx) is False
        type(row).objects.filter(pk=row.pk).update(note="fuse out")
        with pytest.raises(Conflict) as refused:
            guarded.transition(obj=row, to=L.PENDING, ctx=ctx)
        assert not isinstance(refused.value, IllegalTransition)  # the guard's own refusal
        assert not transaction.get_rollback()  # refusals write nothing: the caller goes on
        type(row).objects.filter(pk=row.pk).update(note="")
        guarded.transition(obj=row, to=L.PENDING, ctx=ctx)
    assert type(row).objects.get(pk=row.pk).status == L.PENDING
    assert row.events.count() == 1


@pytest.mark.django_db
def test_a_failed_write_dooms_the_callers_transaction(machine, row, ctx, monkeypatch):
    audits = AuditEvent.objects.count()

    def fails(**kwargs):
        raise RuntimeError("the audit row could not be written")

    with monkeypatch.context() as m:
        m.setattr(statemachine, "audit_record", fails)
        with transaction.atomic():
            with pytest.raises(RuntimeError):
                machine.transition(obj=row, to=L.PENDING, ctx=ctx)
            # the status and event were written without a savepoint: nothing may commit
            assert transaction.get_rollback()
    assert type(row).objects.get(pk=row.pk).status == L.NOT_STARTED
    assert row.events.count() == 0 and AuditEvent.objects.count() == audits


@pytest.mark.django_db
def test_a_held_row_is_moved_without_reading_it_again(machine, row, ctx):
    with transaction.atomic():
        locked = type(row).objects.select_for_update().get(pk=row.pk)
        with CaptureQueriesContext(connection) as queries:
            machine.transition(obj=locked, to=L.PENDING, ctx=ctx, held=True)
    selects = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith("SELECT") and "enrollment" in q["sql"]]
    assert selects == []
    assert type(row).objects.get(pk=row.pk).status == L.PENDING
    assert locked.events.get().to_status == L.PENDING


@pytest.mark.django_db
def test_a_held_row_is_checked_against_the_table_as_read(machine, row, ctx):
    with transaction.atomic():
        locked = type(row).objects.select_for_update().get(pk=row.pk)
        with pytest.raises(IllegalTransition):
            machine.transition(obj=locked, to=L.ACTIVE, ctx=ctx, held=True)
    assert type(row).objects.get(pk=row.pk).status == L.NOT_STARTED


@pytest.mark.django_db(transaction=True)
def test_held_outside_a_transaction_is_refused(machine, row, ctx):
    with pytest.raises(RuntimeError, match="outside a transaction"):
        machine.transition(obj=row, to=L.PENDING, ctx=ctx, held=True)
    assert type(row).objects.get(pk=row.pk).status == L.NOT_STARTED
