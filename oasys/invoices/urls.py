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
    path("<int:pk>/payments/<int:payment_pk>/receipt.pdf", views.invoice_payment_receipt,
         name="receipt"),
    path("<int:pk>/send/", views.invoice_send_view, name="send"),
    path("<int:pk>/resend/", views.invoice_resend_view, name="resend"),
    path("<int:pk>/void/", views.invoice_void_view, name="void"),
    path("<int:pk>/mark-uncollectible/", views.invoice_mark_uncollectible_view,
         name="mark_uncollectible"),
    path("<int:pk>/record-payment/", views.invoice_record_payment_view,
         name="record_payment"),
    path("<int:pk>/refund/", views.invoice_refund_view, name="refund"),
    path("<int:pk>/request-payment-method/", views.invoice_request_payment_method_view,
         name="request_payment_method"),
    path("<int:pk>/charge/", views.invoice_charge_view, name="charge"),
    path("clients/<int:client_pk>/panel/", views.client_invoices_panel, name="client_panel"),
    # --- bulk
    path("batches/", bulk_views.batch_start, name="batch_start"),
    path("batches/<int:pk>/", bulk_views.batch_detail, name="batch"),
    path("batches/<int:pk>/progress/", bulk_views.batch_progress, name="batch_progress"),
    path("batches/<int:pk>/resume/", bulk_views.batch_resume, name="batch_resume"),
]
