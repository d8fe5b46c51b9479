from django.urls import path

from . import views

app_name = "autobilling"

# Included under billing/: the setting sits with Billing Setup, the runs under auto-billing/.
urlpatterns = [
    path("setup/auto-billing/", views.autobilling_settings, name="settings"),
    path("setup/auto-billing/card/", views.setup_card, name="setup_card"),
    path("auto-billing/", views.history, name="history"),
    path("auto-billing/next-run/", views.next_run, name="next_run"),
    path("auto-billing/run/", views.run_now, name="run_now"),
    path("auto-billing/runs/<int:pk>/", views.run_detail, name="run"),
    path("auto-billing/runs/<int:pk>/status/", views.run_status, name="run_status"),
]
