from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("set-password/<str:token>/", views.set_password_view, name="set_password"),
    path("password/reset/", views.ResetView.as_view(), name="reset"),
    path("password/reset/sent/", views.ResetSentView.as_view(), name="reset_sent"),
    path("password/reset/<uidb64>/<token>/", views.ResetConfirmView.as_view(),
         name="reset_confirm"),
    path("password/reset/done/", views.ResetDoneView.as_view(), name="reset_done"),
    path("password/change/", views.ChangeView.as_view(), name="change"),
    path("password/change/done/", views.ChangeDoneView.as_view(), name="change_done"),
]
