from django.urls import path

from . import views

app_name = "eligibility"

urlpatterns = [
    path("clients/<int:pk>/", views.client_checks, name="client_checks"),
    path("clients/<int:pk>/run/", views.check_run, name="run"),
    path("checks/<int:check_pk>/", views.check_detail, name="detail"),
    path("fees/", views.fees, name="fees"),
    path("failing/", views.failing, name="failing"),
]
