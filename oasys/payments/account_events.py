"""Webhook handlers for the practice's Stripe account. Both trust only the current state:
`account.updated` fetches the account through the port (`account_sync`), so a late or
repeated event writes what Stripe says now; a deauthorization older than the row's last
status move (the owner reconnected since) changes nothing."""

from __future__ import annotations

from oasys.core.audit import AuditContext

from .handlers import webhook_handler
from .models import PaymentAccount
from .port import Event
from .services import account_deauthorized, account_sync


def _ctx(account: PaymentAccount) -> AuditContext:
    return AuditContext.system(practice_id=account.practice_id, source="stripe webhook")


@webhook_handler("account.updated")
def account_updated(event: Event, account: PaymentAccount) -> str:
    synced = account_sync(account=account, ctx=_ctx(account), source=f"webhook {event.id}")
    return f"status {synced.status}"


@webhook_handler("account.application.deauthorized")
def account_application_deauthorized(event: Event, account: PaymentAccount) -> str:
    before = account.status
    after = account_deauthorized(account=account, ctx=_ctx(account),
                                 source=f"webhook {event.id}", happened_at=event.created)
    if after.status == before:
        return f"status {after.status} (unchanged)"
    return f"status {after.status}"
