from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("aging/", views.aging, name="aging"),
    path("aging/export.csv", views.aging_export, name="aging_export"),
    path("clients/<int:pk>/", views.client_ledger, name="client"),
]
