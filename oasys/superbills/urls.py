from django.urls import path

from . import pdf_views, views

app_name = "superbills"

urlpatterns = [
    path("", views.superbills, name="list"),
    path("new/", views.superbill_new, name="new"),
    path("new/preview/", views.superbill_preview_pdf, name="preview"),
    path("<int:pk>/pdf/", pdf_views.superbill_pdf_download, name="pdf"),
    path("<int:pk>/send/", views.superbill_send_view, name="send"),
    path("<int:pk>/void/", views.superbill_void_view, name="void"),
    path("<int:pk>/recreate/", views.superbill_recreate_view, name="recreate"),
]
