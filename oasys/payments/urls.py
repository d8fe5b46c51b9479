"""Screens of payments: Billing → Setup → Billing Setup → Payment Processing, and a client's
card on file. Mounted under /billing/."""

from django.urls import path  # noqa: F401 - the patterns arrive with the screens

app_name = "payments"

urlpatterns: list = []
