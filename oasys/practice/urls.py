from django.urls import path

from . import views

app_name = "practice"

urlpatterns = [
    path("", views.setup, name="setup"),
    path("provider/", views.provider, name="provider"),
    path("payers/", views.payers, name="payers"),
    path("payers/search/", views.payer_search, name="payer_search"),
    path("payers/<int:pk>/", views.accepted_payer, name="accepted_payer"),
    path("payers/<int:pk>/remove/", views.accepted_payer_remove, name="accepted_payer_remove"),
    path("service-types/", views.service_types, name="service_types"),
    path("service-types/new/", views.service_type_new, name="service_type_new"),
    path("service-types/<int:pk>/", views.service_type_edit, name="service_type_edit"),
    path("service-codes/", views.service_codes, name="service_codes"),
    path("service-codes/<int:pk>/remove/", views.service_code_remove, name="service_code_remove"),
    path("clinicians/", views.clinicians, name="clinicians"),
    path("clinicians/new/", views.clinician_new, name="clinician_new"),
    path("clinicians/<int:pk>/", views.clinician_edit, name="clinician_edit"),
]
