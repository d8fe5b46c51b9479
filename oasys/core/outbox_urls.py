from django.urls import path

from . import outbox_views

app_name = "outbox"

urlpatterns = [
    path("", outbox_views.outbox, name="list"),
    path("<int:pk>/", outbox_views.outbox_email, name="detail"),
    path("<int:pk>/send-again/", outbox_views.outbox_email_retry, name="retry"),
]
