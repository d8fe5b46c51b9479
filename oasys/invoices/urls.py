from django.urls import path

from . import bulk_views, pdf_views, views

app_name = "invoices"

urlpatterns = [
    path("", views.invoices, name="list"),
    path("export.csv", views.invoices_export, name="export"),
    path("new/", views.invoice_standalone_new, name="standalone_new"),
    path("settings/", views.invoice_settings, name="settings"),
    path("<int:pk>/", views.invoice_detail, name="detail"),
    path("<int:pk>/pdf/", pdf_views.invoice_pdf_download, name="pdf"),
    # --- bulk
    path("batches/", bulk_views.batch_start, name="batch_start"),
    path("batches/<int:pk>/", bulk_views.batch_detail, name="batch"),
    path("batches/<int:pk>/progress/", bulk_views.batch_progress, name="batch_progress"),
    path("batches/<int:pk>/resume/", bulk_views.batch_resume, name="batch_resume"),
]
