from django.urls import path

from . import cms1500_views, views

app_name = "claims"

urlpatterns = [
    path("", views.claims, name="list"),
    path("export.csv", views.claims_export, name="export"),
    path("saved-filters/", views.saved_filter_save, name="saved_filter_save"),
    path("saved-filters/<int:pk>/remove/", views.saved_filter_remove,
         name="saved_filter_remove"),
    path("unmatched/", views.unmatched, name="unmatched"),
    path("<int:pk>/", views.claim_detail, name="detail"),
    path("<int:pk>/appeal/", views.claim_appeal, name="appeal"),
    path("<int:pk>/appeals/<int:appeal_pk>/letter.pdf", views.appeal_letter,
         name="appeal_letter"),
    path("<int:pk>/cms1500.pdf", cms1500_views.claim_cms1500, name="cms1500"),
    path("<int:pk>/replacement/", views.claim_replacement, name="replacement"),
    path("<int:pk>/replacement/review/", views.claim_replacement_review,
         name="replacement_review"),
    path("<int:pk>/write-off/", views.claim_write_off, name="write_off"),
    path("<int:pk>/<slug:action>/", views.claim_action, name="action"),
]
