from django.urls import path

from . import views

app_name = "remittance"

urlpatterns = [
    path("", views.remittances, name="list"),
    path("export.csv", views.remittances_export, name="export"),
    path("upload/", views.remittance_upload, name="upload"),
    path("<int:pk>/", views.remittance_detail, name="detail"),
    path("<int:pk>/decide/", views.remittance_decide, name="decide"),
    path("<int:pk>/invoice-client-shares/", views.remittance_invoice_client_shares,
         name="invoice_client_shares"),
    path("claims/<int:pk>/invoice/", views.remittance_claim_invoice, name="claim_invoice"),
    path("review/", views.payment_reviews, name="reviews"),
    path("review/<int:pk>/", views.payment_review_decide, name="review_decide"),
]
