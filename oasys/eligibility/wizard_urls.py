"""The insurance wizard's screens, under /billing/clients/<pk>/insurance/wizard/ beside the
client's other pages. A URL module of its own (namespace "wizard") because the wizard belongs
to eligibility, which builds on clients: clients.urls cannot import it."""

from django.urls import path

from . import wizard_views

app_name = "wizard"

urlpatterns = [
    path("<int:pk>/insurance/wizard/", wizard_views.wizard_start, name="start"),
    path("<int:pk>/insurance/wizard/complete/", wizard_views.wizard_complete, name="complete"),
    path("<int:pk>/insurance/wizard/discard/", wizard_views.wizard_discard, name="discard"),
    path("<int:pk>/insurance/wizard/<slug:step>/", wizard_views.wizard_step, name="step"),
    path("<int:pk>/insurance/cards/<int:card_pk>/", wizard_views.insurance_card_image,
         name="card"),
    path("wizard/payers/", wizard_views.wizard_payer_options, name="payer_options"),
]
