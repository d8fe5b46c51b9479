from django.urls import path

from . import pdf_views, views

app_name = "invoices"

urlpatterns = [
    path("", views.invoices, name="list"),
    path("export.csv", views.invoices_export, name="export"),
    path("new/", views.invoice_standalone_new, name="standalone_new"),
    path("settings/", views.invoice_settings, name="settings"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/pdf/", pdf_views.invoice_pdf_download, name="pdf"),
]
