from django.urls import path

from . import views

app_name = "operator"

urlpatterns = [
    path("", views.console, name="console"),
    path("practices/<int:practice_id>/", views.practice_page, name="practice"),
    path("practices/<int:practice_id>/suspend/", views.suspend, name="suspend"),
    path("practices/<int:practice_id>/reactivate/", views.reactivate, name="reactivate"),
    path("practices/<int:practice_id>/export/", views.export, name="export"),
    path("practices/<int:practice_id>/delete/", views.delete, name="delete"),
    path("practices/<int:practice_id>/delete/cancel/", views.delete_cancel,
         name="delete_cancel"),
]
