from django.urls import path

from . import views

app_name = "statements"

urlpatterns = [
    path("settings/", views.statement_settings, name="settings"),
    path("clients/<int:pk>/", views.client_statement, name="client"),
]
