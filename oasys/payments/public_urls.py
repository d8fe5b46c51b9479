"""Pages reached without logging in: Stripe's webhooks (`/webhooks/stripe`) and the link a
client opens from an email to save a card (`/pay/…`). Each proves who it is for by itself (a
signature, an unguessable token) and discloses nothing else."""

from django.urls import path  # noqa: F401 - the patterns arrive with the features

app_name = "payments_public"

urlpatterns: list = []
