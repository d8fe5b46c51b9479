"""PLACEHOLDER until the charging helper's branch is merged (it owns this file): no card is
charged on send, so every sent invoice is emailed."""

from __future__ import annotations

from oasys.core.audit import AuditContext
from oasys.core.errors import Conflict
from oasys.core.models import User

from .models import Invoice, PaymentAttempt


def card_charge_refusal(*, invoice: Invoice, trigger: str) -> str:
    return "Charging the card on file is not available yet."


def invoice_card_charge(*, invoice: Invoice, trigger: str, ctx: AuditContext,
                        actor: User | None = None) -> PaymentAttempt:
    raise Conflict(card_charge_refusal(invoice=invoice, trigger=trigger))
