"""One mechanism for every status field (claims, appointments, invoices, EDI files,
remittances, enrollments, billing runs).

A machine is declared once, next to its model, as a `StateMachine`: the transition table in
code, the event model that records each move, and the named actions that screens and the API
offer. `StateMachine.transition` is the only code that assigns the status: it locks the row,
checks the table, writes the event row (who, what, when, why, source) and the audit row, and
runs side effects on commit. Views and the API ask `allowed_actions(obj)` instead of keeping
their own lists, so a rule lives in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, models, transaction
from django.utils import timezone

from .audit import AuditContext, audit_record
from .errors import Conflict
from .models import AuditAction

log = logging.getLogger(__name__)


class IllegalTransition(Conflict):
    """The table does not allow this move from the object's current status."""

    def __init__(self, machine: StateMachine, obj: Any, current: str, to: str) -> None:
        self.machine = machine
        self.obj = obj
        self.current = current
        self.new = to
        super().__init__(
            f"A {machine.noun} cannot go from {machine.label(current)} to {machine.label(to)}.",
            errors={"status": f"A {machine.noun} cannot go from {machine.label(current)} to "
                              f"{machine.label(to)}."})


@dataclass(frozen=True)
class Action:
    """Something a person can do to an object in some statuses. `to` is the status the action
    leads to (None when the action does not itself move the status, e.g. "ask for status");
    `when` is an extra condition on the object beyond its status."""

    name: str
    label: str
    sources: frozenset[str]
    to: str | None = None
    when: Callable[[Any], bool] | None = None
    refusal: str = ""  # what to tell the user when the action is not allowed

    def allowed_for(self, obj: Any, status: str) -> bool:
        if status not in self.sources:
            return False
        return self.when is None or bool(self.when(obj))


class StatusEventBase(models.Model):
    """Fields every machine's event row has. Concrete event models add the practice and a
    foreign key to their object."""

    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30)
    actor = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    source = models.CharField(max_length=120, blank=True, help_text="file, task or screen")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]


@dataclass(frozen=True)
class StateMachine:
    """A status field's rules. Declared once per model; see the module docstring."""

    name: str  # short machine name, used in audit rows: "claim", "invoice", …
    noun: str  # for messages: "claim", "session", "EDI file"
    model: type[models.Model]
    statuses: type[models.TextChoices]
    transitions: Mapping[str, frozenset[str]]
    event_model: type[models.Model] | None = None
    event_fk: str = ""  # the event model's foreign key to `model`
    status_field: str = "status"
    changed_at_field: str = ""  # a timestamp field set on every move, if the model has one
    client_attr: str = "client_id"  # for audit rows; "" when the model has no client
    actions: Mapping[str, Action] = field(default_factory=dict)
    audit_category: str = ""  # the audit row's category; the machine's name when empty
    # The audit row's detail for a move (from, to, source); {"from", "to", "source"} when
    # None. Machines whose audit rows predate the mechanism keep their shape with it.
    audit_detail: Callable[[str, str, str], dict[str, Any]] | None = None
    # Extra rules checked under the row lock before the table (e.g. "a billed session does
    # not change"); raises to refuse. Receives the locked row, its status and the target.
    guard: Callable[[Any, str, str], None] | None = None
    # What `require_action` raises when an action is not possible now.
    refusal_error: Callable[[str], Exception] = Conflict
    # Modules (dotted) allowed to write the status field: the machine's own services. The
    # guard test refuses a status write anywhere else. Empty: the model's app's services.
    writers: tuple[str, ...] = ()
    # Modules allowed to create rows in a status other than the default (seed data, …).
    creators: tuple[str, ...] = ()
    # Statuses a row may be created in besides the field's default (e.g. an enrollment that
    # needs none starts active).
    initial: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        known = set(self.statuses.values)
        for frm, tos in self.transitions.items():
            unknown = ({frm} | set(tos)) - known
            if unknown:
                raise ValueError(f"{self.name}: unknown statuses in the table: {unknown}")
        for action in self.actions.values():
            if action.to is not None and action.to not in known:
                raise ValueError(f"{self.name}: action {action.name} leads nowhere known")
            if set(action.sources) - known:
                raise ValueError(f"{self.name}: action {action.name} starts from unknown "
                                 f"statuses: {set(action.sources) - known}")
            if action.to is not None and not any(
                    self.can(s, action.to) or s == action.to for s in action.sources):
                raise ValueError(f"{self.name}: action {action.name} can never be taken")

    @property
    def writer_modules(self) -> tuple[str, ...]:
        return self.writers or (f"{self.model.__module__.rsplit('.', 1)[0]}.services",)

    # --- reading the table ----------------------------------------------------------------
    def label(self, status: str) -> str:
        try:
            return str(self.statuses(status).label)
        except ValueError:
            return status or "(none)"

    def can(self, current: str, to: str) -> bool:
        return to in self.transitions.get(current, frozenset())

    def edges(self) -> list[tuple[str, str]]:
        return [(frm, to) for frm, tos in self.transitions.items() for to in sorted(tos)]

    def allowed_actions(self, obj: Any) -> list[Action]:
        """The actions a screen or the API may offer for `obj` as it is now."""
        status = getattr(obj, self.status_field)
        return [a for a in self.actions.values()
                if a.allowed_for(obj, status) and (a.to is None or a.to == status
                                                   or self.can(status, a.to))]

    def allowed_action_names(self, obj: Any) -> set[str]:
        return {a.name for a in self.allowed_actions(obj)}

    def require_action(self, obj: Any, name: str) -> Action:
        """The action, or Conflict saying why it cannot be done to `obj` now."""
        action = self.actions[name]
        if action not in self.allowed_actions(obj):
            status = self.label(getattr(obj, self.status_field))
            raise self.refusal_error(
                action.refusal.format(status=status, noun=self.noun) if action.refusal else
                f"This {self.noun} is {status}: \"{action.label}\" is not possible now.")
        return action

    def allows(self, obj: Any, name: str) -> bool:
        """Whether the action `name` is possible for `obj` now (for templates and the API)."""
        return name in self.allowed_action_names(obj)

    # --- moving -----------------------------------------------------------------------------
    def transition(
        self,
        *,
        obj: Any,
        to: str,
        ctx: AuditContext,
        actor: Any = None,
        source: str = "",
        reason: str = "",
        allow_same: bool = False,
        updates: Mapping[str, Any] | None = None,
        on_commit: Iterable[Callable[[], Any]] = (),
        audit_extra: Mapping[str, Any] | None = None,
        held: bool = False,
    ) -> Any:
        """Move `obj` to `to`: lock the row, check the table, write the event and audit rows,
        and queue `on_commit` callbacks. `updates` are other fields written in the same
        statement (e.g. a timestamp the move sets). Re-applying the current status is a
        no-op when `allow_same` (replayed inbound files), otherwise refused like any other
        illegal edge. `audit_extra` adds keys to the audit row's detail. Returns `obj` with
        the new values set.

        `held=True`: the caller read `obj` with `select_for_update()` in the transaction it
        is in now, so the row is locked and `obj` is what it holds: it is not read again.
        Outside a transaction that cannot be true, and is refused."""
        in_transaction = transaction.get_connection().in_atomic_block
        if held and not in_transaction:
            raise RuntimeError("transition(held=True) outside a transaction: no lock is held")
        move = dict(obj=obj, to=to, ctx=ctx, actor=actor, source=source, reason=reason,
                    allow_same=allow_same, updates=updates, on_commit=on_commit,
                    audit_extra=audit_extra, held=held)
        if in_transaction:
            # Inside the caller's transaction: no savepoint of our own. A refusal is raised
            # before any write, so there is nothing to undo and the caller may go on.
            values = self._move(**move)
        else:
            with transaction.atomic():
                values = self._move(**move)
        if values is None:
            setattr(obj, self.status_field, to)
            return obj
        for key, value in values.items():
            setattr(obj, key, value)
        return obj

    def _move(self, *, obj: Any, to: str, ctx: AuditContext, actor: Any, source: str,
              reason: str, allow_same: bool, updates: Mapping[str, Any] | None,
              on_commit: Iterable[Callable[[], Any]],
              audit_extra: Mapping[str, Any] | None, held: bool = False
              ) -> dict[str, Any] | None:
        """`transition` inside a transaction: the values written, None for a same-status
        no-op."""
        if held:
            locked = obj
        else:
            try:
                locked = self.model._default_manager.select_for_update().get(pk=obj.pk)
            except DatabaseError:
                # Without a savepoint the caller's transaction cannot go on after this (on
                # PostgreSQL it is aborted): tell Django, so the caller's block rolls back.
                transaction.set_rollback(True)
                raise
        current = getattr(locked, self.status_field)
        if current == to and allow_same:
            return None
        if self.guard is not None:
            self.guard(locked, current, to)
        if not self.can(current, to):
            raise IllegalTransition(self, locked, current, to)
        now = timezone.now()
        values: dict[str, Any] = {self.status_field: to, **(updates or {})}
        if self.changed_at_field:
            values[self.changed_at_field] = now
        detail = (self.audit_detail(current, to, source) if self.audit_detail is not None
                  else {"from": current, "to": to, "source": source[:80]})
        client_id = getattr(locked, self.client_attr, None) if self.client_attr else None
        # The writes: a failure among them dooms the caller's transaction (no savepoint), so
        # a status never commits without its event and audit rows.
        with transaction.atomic(savepoint=False):
            self.model._default_manager.filter(pk=locked.pk).update(**values)
            self._event(obj=locked, frm=current, to=to, actor=actor, source=source,
                        reason=reason)
            audit_record(
                ctx=ctx, action=AuditAction.UPDATE, category=self.audit_category or self.name,
                client_id=client_id, object_type=self.model.__name__, object_id=locked.pk,
                detail={**detail, **(audit_extra or {})})
            for callback in on_commit:
                transaction.on_commit(callback)
        return values

    def try_transition(self, *, obj: Any, to: str, ctx: AuditContext, **kwargs: Any) -> bool:
        """Move if the table allows it and the object is not there already; say whether it
        moved. For inbound files, which report what happened rather than ask."""
        current = self.model._default_manager.filter(pk=obj.pk).values_list(
            self.status_field, flat=True).first()
        if current is None or current == to:
            return False
        if not self.can(current, to):
            log.info("%s %s: %s -> %s not applied (not allowed)", self.name, obj.pk, current,
                     to)
            return False
        try:
            self.transition(obj=obj, to=to, ctx=ctx, **kwargs)
        except IllegalTransition:  # moved by someone else between the read and the lock
            return False
        return True

    def record_created(self, *, obj: Any, actor: Any = None, source: str = "",
                       reason: str = "") -> None:
        """The event row for an object just created in its initial status. Call inside the
        transaction that created it (the creating service writes its own audit row)."""
        self._event(obj=obj, frm="", to=getattr(obj, self.status_field), actor=actor,
                    source=source,
                    reason=reason)

    def transition_many(
        self,
        *,
        objs: Iterable[Any],
        to: str,
        ctx: AuditContext,
        actor: Any = None,
        source: str = "",
        reason: str = "",
        allow_same: bool = False,
        updates: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        """`transition` for a batch (a submission's claims): the same table, guard, event
        and audit rows, in a fixed number of queries plus the audit rows. Every row is
        locked first (one SELECT ... FOR UPDATE in id order) and every move checked before
        anything is written, so an illegal one (IllegalTransition) changes nothing; objects
        already in `to` are left alone when `allow_same`. Answers the objects that moved,
        with their new values set."""
        by_pk = {o.pk: o for o in objs}
        if not by_pk:
            return []
        manager = self.model._default_manager
        with transaction.atomic():
            locked = list(manager.select_for_update().filter(pk__in=by_pk).order_by("pk"))
            if len(locked) != len(by_pk):
                missing = sorted(set(by_pk) - {row.pk for row in locked})
                raise self.model.DoesNotExist(f"{self.noun} {missing} do not exist")
            moving = []
            for row in locked:
                current = getattr(row, self.status_field)
                if current == to and allow_same:
                    setattr(by_pk[row.pk], self.status_field, current)
                    continue
                if self.guard is not None:
                    self.guard(row, current, to)
                if not self.can(current, to):
                    raise IllegalTransition(self, row, current, to)
                moving.append((row, current))
            if not moving:
                return []
            values: dict[str, Any] = {self.status_field: to, **(updates or {})}
            if self.changed_at_field:
                values[self.changed_at_field] = timezone.now()
            manager.filter(pk__in=[row.pk for row, _ in moving]).update(**values)
            if self.event_model is not None:
                self.event_model._default_manager.bulk_create([
                    self._event_row(obj=row, frm=current, to=to, actor=actor, source=source,
                                    reason=reason) for row, current in moving])
            for row, current in moving:
                detail = (self.audit_detail(current, to, source)
                          if self.audit_detail is not None
                          else {"from": current, "to": to, "source": source[:80]})
                audit_record(
                    ctx=ctx, action=AuditAction.UPDATE,
                    category=self.audit_category or self.name,
                    client_id=getattr(row, self.client_attr, None) if self.client_attr
                    else None,
                    object_type=self.model.__name__, object_id=row.pk, detail=detail)
        moved = []
        for row, _ in moving:
            obj = by_pk[row.pk]
            for key, value in values.items():
                setattr(obj, key, value)
            moved.append(obj)
        return moved

    def _event_row(self, *, obj: Any, frm: str, to: str, actor: Any, source: str,
                   reason: str) -> Any:
        # `actor` is a user or a user's id (what an AuditContext carries).
        who = {"actor_id": actor} if isinstance(actor, int) else {"actor": actor}
        fields: dict[str, Any] = {self.event_fk: obj, "from_status": frm, "to_status": to,
                                  "source": source[:120], "reason": reason, **who}
        if any(f.name == "practice" for f in self.event_model._meta.get_fields()):
            fields["practice_id"] = getattr(obj, "practice_id", None)
        return self.event_model(**fields)

    def _event(self, *, obj: Any, frm: str, to: str, actor: Any, source: str,
               reason: str) -> None:
        if self.event_model is None:
            return
        self._event_row(obj=obj, frm=frm, to=to, actor=actor, source=source,
                        reason=reason).save(force_insert=True)


# Every machine registers here when its app loads, so guard tests and the docs can list them.
MACHINES: dict[str, StateMachine] = {}


def machine_register(machine: StateMachine) -> StateMachine:
    if machine.name in MACHINES and MACHINES[machine.name] is not machine:
        raise ValueError(f"two state machines named {machine.name!r}")
    MACHINES[machine.name] = machine
    return machine

