"""REST API for payments, mounted at /api/v1: the practice's Stripe account
(`/payments/account…`) and clients' cards on file (`/clients/{id}/payment-method…`). Same
services (writes) and selectors (reads) as the screens; every lookup is scoped to the caller's
practice, so another practice's id answers 404."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["payments"])
