from django.urls import path

from . import audit_log_views

app_name = "audit_log"

urlpatterns = [
    path("", audit_log_views.audit_log, name="list"),
    path("export.csv", audit_log_views.audit_log_export, name="export"),
]
