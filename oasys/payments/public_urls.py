"""Pages reached without logging in: Stripe's webhooks (`/webhooks/stripe`) and the link a
client opens from an email to save a card (`/pay/…`). Each proves who it is for by itself (a
signature, an unguessable token) and discloses nothing else."""

from django.urls import path

from . import card_views, webhook_views

app_name = "payments_public"

urlpatterns: list = [
    # webhooks: Stripe's Connect endpoint (signed; see webhook_views.py)
    path("webhooks/stripe", webhook_views.stripe_webhook, name="stripe_webhook"),
    # cards: the link emailed to a client (its token is the only key; an unknown one is 404)
    path("pay/card/<str:token>/", card_views.card_link, name="card_link"),
    path("pay/card/<str:token>/done/", card_views.card_link_done, name="card_link_done"),
]
