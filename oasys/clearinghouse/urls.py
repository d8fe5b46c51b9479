from django.urls import path

from . import views

app_name = "clearinghouse"

urlpatterns = [
    path("", views.files, name="files"),
    path("<int:pk>/", views.file, name="file"),
    # posted from the practice's accepted-payer page (billing/setup/payers/<pk>/)
    path("payers/<int:pk>/enrollments/<int:enrollment_pk>/submit/", views.enrollment_submit,
         name="enrollment_submit"),
]
