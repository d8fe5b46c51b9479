"""The invoice state machine: SPEC §10's seven statuses with a table that follows Stripe's
invoice lifecycle, the event rows (InvoiceEvent) and the actions the invoice pages and API
offer. The services that send (sending.py), charge cards (charging.py), take payments
(settlement.py), act on an invoice (actions.py) and follow Stripe's events
(stripe_events.py) move invoices only through `INVOICE_MACHINE.transition` and ask
`require_action` first.

    draft         -> sending        send: the invoice is finalised and being delivered
                  -> void           cancel an invoice never sent (Stripe deletes drafts; ours
                                    keep their number, which is never reused)
    sending       -> open           delivered (Stripe finalised it, the email went out)
                  -> draft          delivery failed: back to Draft to fix and send again
    open          -> paid           paid in full (card, ACH, or a payment recorded by hand)
                  -> overdue        past its due date unpaid (the nightly run)
                  -> void           cancelled (Stripe: voided)
                  -> uncollectible  payment failed permanently (Stripe: marked uncollectible)
    overdue       -> paid, void, uncollectible   (Stripe keeps such an invoice `open` and
                                    sends `invoice.overdue`; it is Overdue here for the pages)
    uncollectible -> paid           Stripe still accepts payment of an uncollectible invoice
                  -> void
    paid          -> (nothing)
    void          -> (nothing)

Paid is final. A refund or a dispute does not reopen the invoice: Stripe keeps a refunded
or disputed invoice `paid` (the refund and the dispute live on the charge), and here the
money is the journal's, which records the refund or the lost dispute as its own entry and
shows the client's balance from it. Asking the client again after a lost dispute is a new
invoice, not paid -> open. The "refund" action therefore starts from Paid and leads nowhere.
"""

from __future__ import annotations

from oasys.core.statemachine import Action, StateMachine, machine_register

from .models import Invoice, InvoiceEvent, InvoiceStatus

S = InvoiceStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SENDING, S.VOID}),
    S.SENDING: frozenset({S.OPEN, S.DRAFT}),
    S.OPEN: frozenset({S.PAID, S.OVERDUE, S.VOID, S.UNCOLLECTIBLE}),
    S.OVERDUE: frozenset({S.PAID, S.VOID, S.UNCOLLECTIBLE}),
    S.UNCOLLECTIBLE: frozenset({S.PAID, S.VOID}),
    S.PAID: frozenset(),
    S.VOID: frozenset(),
}

UNPAID = frozenset({S.OPEN, S.OVERDUE})

INVOICE_ACTIONS: dict[str, Action] = {a.name: a for a in (
    Action("send", "Send", frozenset({S.DRAFT}), to=S.SENDING,
           refusal="A {status} invoice has already been sent."),
    Action("void", "Void", frozenset({S.DRAFT, S.OPEN, S.OVERDUE, S.UNCOLLECTIBLE}), to=S.VOID,
           refusal="A {status} invoice cannot be voided."),
    # A payment reminder: the invoice stays where it is.
    Action("resend", "Resend", UNPAID, refusal="Only an unpaid invoice is resent."),
    # Ask the client to update the card on file (after a failed charge).
    Action("request_payment_method", "Request payment method", UNPAID | {S.UNCOLLECTIBLE},
           refusal="Only an unpaid invoice needs a payment method."),
    # A payment recorded by hand (check, cash). It may be partial, so it does not itself
    # move the status: the payment service moves the invoice to Paid once it is covered.
    Action("record_payment", "Record a payment", UNPAID | {S.UNCOLLECTIBLE},
           refusal="A {status} invoice takes no payment."),
    Action("refund", "Refund", frozenset({S.PAID}),
           refusal="Only a paid invoice is refunded."),
    Action("mark_uncollectible", "Mark uncollectible", UNPAID, to=S.UNCOLLECTIBLE,
           refusal="A {status} invoice cannot be marked uncollectible."),
)}

INVOICE_MACHINE = machine_register(StateMachine(
    name="invoice", noun="invoice", model=Invoice, statuses=InvoiceStatus,
    transitions=TRANSITIONS, event_model=InvoiceEvent, event_fk="invoice",
    actions=INVOICE_ACTIONS, writers=("oasys.invoices.services", "oasys.invoices.machine",
             "oasys.invoices.settlement", "oasys.invoices.sending", "oasys.invoices.charging",
             "oasys.invoices.actions", "oasys.invoices.stripe_events"),
))
