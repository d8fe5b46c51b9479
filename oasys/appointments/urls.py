from django.urls import path

from . import views

app_name = "appointments"

urlpatterns = [
    path("", views.appointment_list, name="list"),
    path("export.csv", views.appointment_export, name="export"),
    path("new/", views.appointment_new, name="new"),
    path("calendar/", views.appointment_calendar, name="calendar"),
    path("calendar/<int:pk>/", views.appointment_calendar_card, name="calendar_card"),
    path("approvals/", views.appointment_approvals, name="approvals"),
    path("<int:pk>/", views.appointment_detail, name="detail"),
    path("<int:pk>/edit/", views.appointment_edit, name="edit"),
    path("<int:pk>/complete/", views.appointment_complete, name="complete"),
    path("<int:pk>/no-show/", views.appointment_no_show, name="no_show"),
    path("<int:pk>/cancel/", views.appointment_cancel, name="cancel"),
    path("<int:pk>/reopen/", views.appointment_reopen, name="reopen"),
    path("<int:pk>/sign-note/", views.appointment_sign_note, name="sign_note"),
    path("<int:pk>/approve/", views.appointment_approve, name="approve"),
]
