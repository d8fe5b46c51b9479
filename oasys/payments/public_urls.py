"""Pages reached without logging in: Stripe's webhooks (`/webhooks/stripe`) and the link a
client opens from an email to save a card (`/pay/…`). Each proves who it is for by itself (a
signature, an unguessable token) and discloses nothing else."""

from django.urls import path

from . import webhook_views

app_name = "payments_public"

urlpatterns: list = [
    # webhooks: Stripe's Connect endpoint (signed; see webhook_views.py)
    path("webhooks/stripe", webhook_views.stripe_webhook, name="stripe_webhook"),
]
