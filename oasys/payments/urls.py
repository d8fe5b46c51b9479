"""Screens of payments: Billing → Setup → Billing Setup → Payment Processing, and a client's
card on file. Mounted under /billing/."""

from django.urls import path

from . import card_views

app_name = "payments"

urlpatterns: list = [
    # cards: a client's card on file (linked from the client's page header)
    path("clients/<int:pk>/card/", card_views.client_card, name="client_card"),
    path("clients/<int:pk>/card/request/", card_views.client_card_request,
         name="client_card_request"),
    path("clients/<int:pk>/card/requests/<int:request_pk>/cancel/",
         card_views.client_card_request_cancel, name="client_card_request_cancel"),
    path("clients/<int:pk>/card/remove/", card_views.client_card_remove,
         name="client_card_remove"),
]
