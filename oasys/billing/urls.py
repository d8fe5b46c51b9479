from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("submit/", views.submit, name="submit"),
    path("sending/", views.sending, name="sending"),
]
