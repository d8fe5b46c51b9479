"""Screens of payments: Billing → Setup → Billing Setup → Payment Processing, and a client's
card on file. Mounted under /billing/."""

from django.urls import path

from . import card_views, views

app_name = "payments"

urlpatterns: list = [
    # --- Payment Processing (the practice's Stripe account) ---
    path("setup/payments/", views.processing, name="processing"),
    path("setup/payments/summary/", views.processing_summary, name="processing_summary"),
    path("setup/payments/connect/", views.processing_connect, name="processing_connect"),
    path("setup/payments/onboarding/", views.processing_onboarding,
         name="processing_onboarding"),
    # Stripe's account-link contract: return_url (back from onboarding) and refresh_url
    # (the link expired or was used: make a fresh one).
    path("setup/payments/return/", views.processing_return, name="processing_return"),
    path("setup/payments/refresh/", views.processing_refresh, name="processing_refresh"),
    path("setup/payments/sync/", views.processing_sync, name="processing_sync"),
    path("setup/payments/disconnect/", views.processing_disconnect,
         name="processing_disconnect"),
    path("setup/payments/payouts/<str:payout_id>/", views.payout, name="payout"),
    # cards: a client's card on file (linked from the client's page header)
    path("clients/<int:pk>/card/", card_views.client_card, name="client_card"),
    path("clients/<int:pk>/card/request/", card_views.client_card_request,
         name="client_card_request"),
    path("clients/<int:pk>/card/requests/<int:request_pk>/cancel/",
         card_views.client_card_request_cancel, name="client_card_request_cancel"),
    path("clients/<int:pk>/card/remove/", card_views.client_card_remove,
         name="client_card_remove"),
]
