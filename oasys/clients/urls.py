from django.urls import path

from . import views

app_name = "clients"

urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_new, name="new"),
    path("payers/", views.payer_options, name="payer_options"),
    path("diagnoses/search/", views.diagnosis_options, name="diagnosis_options"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/diagnoses/", views.client_diagnoses, name="diagnoses"),
    path("<int:pk>/insurance/", views.client_policies, name="policies"),
    path("<int:pk>/insurance/<int:policy_pk>/", views.client_policy_edit, name="policy_edit"),
    # the insurance wizard (the main path; the plain policy form above stays as a fallback)
    # is under these same paths, from oasys.eligibility.wizard_urls (namespace "wizard")
    path("<int:pk>/pricing/", views.client_pricing_rules, name="pricing_rules"),
    path(
        "<int:pk>/pricing/<int:rule_pk>/",
        views.client_pricing_rule_edit,
        name="pricing_rule_edit",
    ),
    path(
        "<int:pk>/pricing/<int:rule_pk>/delete/",
        views.client_pricing_rule_delete,
        name="pricing_rule_delete",
    ),
]
