from django.urls import path

from . import views

app_name = "clearinghouse"

urlpatterns = [
    path("", views.files, name="files"),
    path("<int:pk>/", views.file, name="file"),
]
