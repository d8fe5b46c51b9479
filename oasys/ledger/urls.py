from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("aging/", views.aging, name="aging"),
    path("clients/<int:pk>/", views.client_ledger, name="client"),
]
