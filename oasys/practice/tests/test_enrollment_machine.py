"""Enrollment status on the state machine: creation and every change leave an event row,
the audit row keeps its shape, and the page's Submit / Check buttons are the machine's
actions."""

from __future__ import annotations

import pytest

from oasys.core.audit import AuditContext
from oasys.core.models import AuditEvent
from oasys.core.statemachine import MACHINES
from oasys.practice.machine import ENROLLMENT_MACHINE, TRANSITIONS
from oasys.practice.models import EnrollmentEvent, EnrollmentStatus
from oasys.practice.services import accepted_payer_add, enrollment_status_set

pytestmark = pytest.mark.django_db

S = EnrollmentStatus


def test_registered_with_every_status_in_the_table():
    assert MACHINES["enrollment"] is ENROLLMENT_MACHINE
    assert set(TRANSITIONS) == set(S.values)
    for status, targets in TRANSITIONS.items():
        assert targets == set(S.values) - {status}


def test_accepting_a_payer_records_each_enrollments_creation(pr_practice, pr_ctx, pr_payer,
                                                             pr_owner):
    accepted = accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    for e in accepted.enrollments.all():
        assert [(ev.from_status, ev.to_status, ev.actor_id) for ev in e.events.all()] == [
            ("", e.status, pr_owner.pk)]


def test_each_status_change_is_an_event_with_its_reason(pr_practice, pr_ctx, pr_payer):
    accepted = accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    era = accepted.enrollments.get(transaction_type="era")
    era = enrollment_status_set(practice=pr_practice, actor_ctx=pr_ctx, enrollment=era,
                                status=S.PENDING)
    system = AuditContext.system(practice_id=pr_practice.pk, source="clearinghouse")
    era = enrollment_status_set(practice=pr_practice, actor_ctx=system, enrollment=era,
                                status=S.REJECTED, note="Rejected by the payer: W-9")
    assert [(e.from_status, e.to_status, e.source, e.reason) for e in era.events.all()] == [
        ("", S.NOT_STARTED, "accepted payers", "payer accepted"),
        (S.NOT_STARTED, S.PENDING, "practice setup", ""),
        (S.PENDING, S.REJECTED, "clearinghouse", "Rejected by the payer: W-9"),
    ]
    audit = AuditEvent.objects.filter(category="enrollment").last()
    assert audit.detail == {"fields": ["status", "status_changed_at", "note"],
                            "from": S.PENDING, "to": S.REJECTED}
    assert era.status_changed_at is not None and era.note == "Rejected by the payer: W-9"


def test_a_note_alone_is_no_status_event(pr_practice, pr_ctx, pr_payer):
    accepted = accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    era = accepted.enrollments.get(transaction_type="era")
    events = EnrollmentEvent.objects.count()
    era = enrollment_status_set(practice=pr_practice, actor_ctx=pr_ctx, enrollment=era,
                                status=S.NOT_STARTED, note="Called the payer")
    assert era.note == "Called the payer" and EnrollmentEvent.objects.count() == events
    audit = AuditEvent.objects.filter(category="enrollment").last()
    assert audit.detail == {"fields": ["note"], "from": S.NOT_STARTED, "to": S.NOT_STARTED}


def test_submit_or_check_is_offered_by_the_machine(pr_practice, pr_ctx, pr_payer):
    accepted = accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    era = accepted.enrollments.get(transaction_type="era")
    assert ENROLLMENT_MACHINE.allowed_action_names(era) == {"submit", "record_status"}
    era.external_id = "ENR-1"
    assert ENROLLMENT_MACHINE.allowed_action_names(era) == {"check_status", "record_status"}
    active = accepted.enrollments.get(transaction_type="claims")
    assert active.status == S.ACTIVE
    assert ENROLLMENT_MACHINE.allowed_action_names(active) == {"record_status"}
