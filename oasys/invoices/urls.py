from django.urls import path

from . import views

app_name = "invoices"

urlpatterns = [
    path("", views.invoices, name="list"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
]
