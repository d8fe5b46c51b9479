"""Payments: the practice's Stripe connected account, clients' cards on file, Stripe's
webhooks, and the port every call to Stripe goes through."""
