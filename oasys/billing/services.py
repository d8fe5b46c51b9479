"""Bill Sessions: turn Ready sessions into claims (insured) or invoices (self-pay, no-show).

Billing makes no outside call: the claims, their 837P file and its transmission (the outbox
row) are written in one transaction, and the file is sent after commit. A crash before the
commit leaves the sessions Ready; after it, the claims are Submitted and the outbox sends them.
Invoices the same way: created and sent (Draft -> Sending) in that transaction, delivered to
the client (Stripe, email) by a worker after commit (oasys.invoices.sending).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from oasys.claims.services import ClaimDraft, claims_create_for_sessions
from oasys.claims.submission import claims_submit
from oasys.core.audit import AuditContext, audit_record
from oasys.core.errors import DomainError
from oasys.core.models import AuditAction, Practice, User
from oasys.invoices.models import InvoiceGrouping
from oasys.invoices.selectors import invoice_settings_get
from oasys.invoices.sending import invoice_send
from oasys.invoices.services import AlreadyInvoiced, SessionCharge, invoice_create_for_sessions

from .readiness import Route, billing_queue, unbilled_sessions
from .selectors import QueueFilters, queue_get


@dataclass
class BillingResult:
    claims: list = field(default_factory=list)
    claims_failed: list = field(default_factory=list)
    invoices: list = field(default_factory=list)  # created and sent (Sending)
    # (invoice, why) created but left Draft: sending was refused (e.g. no client email)
    invoices_unsent: list = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (session id, why)
    submission_error: str = ""
    matching: int | None = None  # "select all matching": how many were Ready when billed


def billing_submit_matching(
    *,
    practice: Practice,
    filters: QueueFilters,
    ctx: AuditContext,
    actor: User | None = None,
    also_ids: Iterable[int] = (),
    expected: int | None = None,
) -> BillingResult:
    """Bill every Ready session matching `filters`, across all pages ("Select all N
    matching" in Bill Sessions).

    The set is recomputed here from the filters, never taken from the page: a session that
    stopped being Ready since the page was drawn is not billed, and one the page showed as
    ticked (`also_ids`) is reported back with the reason, as billing_submit does.
    `expected`: the count the person saw, recorded beside the count billed.
    """
    ready_ids = [item.appointment.pk for item in
                 queue_get(practice=practice, filters=filters).ready]
    result = billing_submit(practice=practice, appointment_ids={*ready_ids, *also_ids},
                            ctx=ctx, actor=actor)
    result.matching = len(ready_ids)
    audit_record(ctx=ctx, action=AuditAction.CREATE, category="billing_submit",
                 object_type="BillingQueue",
                 detail={"select_all_matching": True, "matching": len(ready_ids),
                         "expected": expected, "skipped": [i for i, _ in result.skipped]})
    return result


def billing_submit(
    *,
    practice: Practice,
    appointment_ids: Iterable[int],
    ctx: AuditContext,
    actor: User | None = None,
    queue_deliveries: bool = True,
) -> BillingResult:
    """Bill the given sessions by their route, in one transaction. Only Ready sessions are
    billed; the rest are reported back with the reason. A session is billed once, even under
    concurrency. Claims come back Submitted (queued for the clearinghouse: being sent);
    invoices come back Sending (queued for delivery to the client: Stripe and email).
    `queue_deliveries=False`: the invoices' delivery tasks are not queued, because the
    caller delivers them itself (an auto-billing run's deliver phase; the sweeper covers a
    caller that dies first)."""
    ids = sorted({int(i) for i in appointment_ids})
    result = BillingResult()
    with transaction.atomic():
        sessions = unbilled_sessions(practice=practice).filter(pk__in=ids)
        items = {i.appointment.pk: i for i in billing_queue(practice=practice, sessions=sessions)}
        drafts: list[ClaimDraft] = []
        # The practice's setting: one invoice per session, or one per client per run.
        per_client = (invoice_settings_get(practice=practice).grouping
                      == InvoiceGrouping.PER_CLIENT)
        to_invoice: dict[int, list[SessionCharge]] = {}
        for appt_id in ids:
            item = items.get(appt_id)
            if item is None:
                result.skipped.append((appt_id, "already billed, or not billable"))
                continue
            if not item.ready:
                result.skipped.append((appt_id, "; ".join(r.text for r in item.problems)))
                continue
            if item.route == Route.CLAIM:
                drafts.append(ClaimDraft(appointment_id=appt_id, policy_id=item.policy_id,
                                         payer_id=item.payer_id, cpt=item.cpt,
                                         charge=item.charge,
                                         diagnosis_codes=item.diagnosis_codes))
            else:
                to_invoice.setdefault(
                    item.appointment.client_id if per_client else appt_id, []).append(
                    SessionCharge(appt_id, item.charge, item.cpt))
        # The chunk's claims in one go (a session someone billed meanwhile is skipped).
        made = claims_create_for_sessions(
            practice=practice, drafts=drafts, ctx=ctx, actor=actor,
            appointments={d.appointment_id: items[d.appointment_id].appointment
                          for d in drafts})
        new_claims = made.claims
        result.skipped += [(appt_id, "already billed") for appt_id in made.already_billed]
        for group in to_invoice.values():
            _invoice_group(practice=practice, group=group, ctx=ctx, actor=actor, result=result)
        created, result.invoices = result.invoices, []
        for invoice in created:
            _invoice_send(invoice=invoice, ctx=ctx, actor=actor, result=result,
                          enqueue=queue_deliveries)
        if new_claims:
            outcome = claims_submit(practice=practice, claims=new_claims, ctx=ctx, actor=actor)
            result.claims = outcome.submitted
            result.claims_failed = outcome.failed
            result.submission_error = outcome.error
    return result


def _invoice_group(*, practice: Practice, group: list[SessionCharge], ctx: AuditContext,
                   actor: User | None, result: BillingResult) -> None:
    """One invoice for the group; if another click invoiced one of its sessions meanwhile,
    each of the others is invoiced on its own so none is lost and none billed twice."""
    try:
        with transaction.atomic():
            result.invoices.append(invoice_create_for_sessions(
                practice=practice, sessions=group, ctx=ctx, actor=actor))
        return
    except AlreadyInvoiced:
        if len(group) == 1:
            result.skipped.append((group[0].appointment_id, "already invoiced"))
            return
    for charge in group:
        _invoice_group(practice=practice, group=[charge], ctx=ctx, actor=actor, result=result)


def _invoice_send(*, invoice, ctx: AuditContext, actor: User | None,
                  result: BillingResult, enqueue: bool = True) -> None:
    """Send the new invoice ("send an invoice" is what the therapist clicked). A refusal
    (a client without an email address slipped past readiness) leaves it a Draft in Manage
    Invoices with the reason, and the other sessions are billed all the same."""
    try:
        with transaction.atomic():
            invoice_send(invoice=invoice, ctx=ctx, actor=actor, source="bill sessions",
                         enqueue=enqueue)
    except DomainError as exc:
        result.invoices_unsent.append((invoice, exc.message))
        return
    result.invoices.append(invoice)
