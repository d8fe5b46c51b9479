"""The client's good-faith estimates, under /billing/clients/<pk>/estimates/ beside the
client's other pages. A URL module of its own (namespace "estimates"): estimates builds on
clients, so clients.urls cannot import it."""

from django.urls import path

from . import views

app_name = "estimates"

urlpatterns = [
    path("<int:pk>/estimates/", views.estimate_client_list, name="list"),
    path("<int:pk>/estimates/new/", views.estimate_new, name="new"),
    path("<int:pk>/estimates/<int:gfe_pk>/pdf/", views.estimate_pdf_download, name="pdf"),
    path("<int:pk>/estimates/<int:gfe_pk>/email/", views.estimate_email_send, name="email"),
    path("<int:pk>/estimates/<int:gfe_pk>/void/", views.estimate_void_view, name="void"),
]
