"""The invoice machine, ready for the payments work: SPEC §10's seven statuses, a table that
follows Stripe's invoice lifecycle, an event for every move (the first is the creation), the
actions per status, and the history on the invoice page."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.urls import reverse

from oasys.billing.tests import factories as f
from oasys.core.models import AuditEvent
from oasys.core.statemachine import MACHINES, IllegalTransition
from oasys.invoices.machine import INVOICE_ACTIONS, INVOICE_MACHINE, TRANSITIONS
from oasys.invoices.models import Invoice, InvoiceEvent, InvoiceStatus
from oasys.invoices.services import invoice_create_for_session

pytestmark = pytest.mark.django_db

S = InvoiceStatus

LEGAL = {
    (S.DRAFT, S.SENDING), (S.DRAFT, S.VOID),
    (S.SENDING, S.OPEN), (S.SENDING, S.DRAFT),
    (S.OPEN, S.PAID), (S.OPEN, S.OVERDUE), (S.OPEN, S.VOID), (S.OPEN, S.UNCOLLECTIBLE),
    (S.OVERDUE, S.PAID), (S.OVERDUE, S.VOID), (S.OVERDUE, S.UNCOLLECTIBLE),
    (S.UNCOLLECTIBLE, S.PAID), (S.UNCOLLECTIBLE, S.VOID),
}
ALL = set(itertools.permutations(S.values, 2))

# The shortest way to each status from Draft, for setting up a test.
PATH = {
    S.DRAFT: [], S.SENDING: [S.SENDING], S.OPEN: [S.SENDING, S.OPEN],
    S.PAID: [S.SENDING, S.OPEN, S.PAID], S.OVERDUE: [S.SENDING, S.OPEN, S.OVERDUE],
    S.VOID: [S.VOID], S.UNCOLLECTIBLE: [S.SENDING, S.OPEN, S.UNCOLLECTIBLE],
}


@pytest.fixture
def ctx(practice):
    return f.ctx_for(practice=practice)


@pytest.fixture
def invoice(practice, owner, ctx):
    appt = f.self_pay_session(practice)
    return invoice_create_for_session(practice=practice, appointment_id=appt.pk,
                                      amount=Decimal("130.00"), cpt="90834", ctx=ctx,
                                      actor=owner)


def _to(invoice, status, ctx):
    for step in PATH[status]:
        INVOICE_MACHINE.transition(obj=invoice, to=step, ctx=ctx, source="test setup")
    invoice.refresh_from_db()
    assert invoice.status == status
    return invoice


def test_the_table_is_the_stripe_lifecycle():
    assert MACHINES["invoice"] is INVOICE_MACHINE
    assert set(TRANSITIONS) == set(S.values)
    assert set(INVOICE_MACHINE.edges()) == LEGAL
    assert TRANSITIONS[S.PAID] == frozenset() and TRANSITIONS[S.VOID] == frozenset()


def test_creation_records_the_first_event(invoice, owner):
    assert [(e.from_status, e.to_status, e.actor_id, e.reason) for e in invoice.events.all()] \
        == [("", S.DRAFT, owner.pk, "created")]
    assert invoice.events.get().practice_id == invoice.practice_id


@pytest.mark.parametrize(("frm", "to"), sorted(LEGAL), ids=[f"{a}->{b}" for a, b in sorted(LEGAL)])
def test_every_legal_edge_moves_records_and_audits(invoice, ctx, owner, frm, to):
    invoice = _to(invoice, frm, ctx)
    audits = AuditEvent.objects.filter(category="invoice").count()
    INVOICE_MACHINE.transition(obj=invoice, to=to, ctx=ctx, actor=owner, source="stripe",
                               reason="webhook")
    invoice.refresh_from_db()
    assert invoice.status == to
    ev = invoice.events.order_by("-pk").first()
    assert (ev.from_status, ev.to_status, ev.actor_id, ev.source) == (frm, to, owner.pk,
                                                                      "stripe")
    assert AuditEvent.objects.filter(category="invoice").count() == audits + 1


ILLEGAL = sorted(ALL - LEGAL)


@pytest.mark.parametrize(("frm", "to"), ILLEGAL, ids=[f"{a}->{b}" for a, b in ILLEGAL])
def test_every_illegal_edge_is_refused(invoice, ctx, frm, to):
    invoice = _to(invoice, frm, ctx)
    events = InvoiceEvent.objects.count()
    with pytest.raises(IllegalTransition):
        INVOICE_MACHINE.transition(obj=invoice, to=to, ctx=ctx)
    assert Invoice.objects.get(pk=invoice.pk).status == frm
    assert InvoiceEvent.objects.count() == events


OFFERED = {
    S.DRAFT: {"send", "void"},
    S.SENDING: set(),
    S.OPEN: {"void", "resend", "request_payment_method", "record_payment",
             "mark_uncollectible"},
    S.OVERDUE: {"void", "resend", "request_payment_method", "record_payment",
                "mark_uncollectible"},
    S.UNCOLLECTIBLE: {"void", "request_payment_method", "record_payment"},
    S.PAID: {"refund"},
    S.VOID: set(),
}


def test_actions_are_declared_for_the_payments_work():
    assert set(INVOICE_ACTIONS) == {"send", "void", "resend", "request_payment_method",
                                    "record_payment", "refund", "mark_uncollectible"}
    assert set(OFFERED) == set(S.values)


@pytest.mark.parametrize("status", sorted(OFFERED))
def test_allowed_actions_per_status(invoice, ctx, status):
    invoice = _to(invoice, status, ctx)
    assert INVOICE_MACHINE.allowed_action_names(invoice) == OFFERED[status]


def test_the_page_shows_the_status_history(invoice, ctx, owner_client):
    _to(invoice, S.OVERDUE, ctx)
    html = owner_client.get(reverse("invoices:detail", args=[invoice.pk])).content.decode()
    assert "<h2>History</h2>" in html
    for status in ("draft", "sending", "open", "overdue"):
        assert f"<td>{status}</td>" in html
