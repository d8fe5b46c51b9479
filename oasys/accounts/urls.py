from django.urls import path

from . import signup_views, team_views, two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("signup/", signup_views.signup_view, name="signup"),
    path("signup/sent/", signup_views.signup_sent_view, name="signup_sent"),
    path("signup/invited/<str:token>/", signup_views.signup_invited_view,
         name="signup_invited"),
    path("verify/<str:token>/", signup_views.verify_view, name="verify"),
    path("start/", signup_views.start_view, name="start"),
    path("start/dismiss/", signup_views.checklist_dismiss_view, name="checklist_dismiss"),
    path("set-password/<str:token>/", views.set_password_view, name="set_password"),
    path("password/reset/", views.ResetView.as_view(), name="reset"),
    path("password/reset/sent/", views.ResetSentView.as_view(), name="reset_sent"),
    path("password/reset/<uidb64>/<token>/", views.ResetConfirmView.as_view(),
         name="reset_confirm"),
    path("password/reset/done/", views.ResetDoneView.as_view(), name="reset_done"),
    path("password/change/", views.ChangeView.as_view(), name="change"),
    path("password/change/done/", views.ChangeDoneView.as_view(), name="change_done"),
    path("team/", team_views.team_page, name="team"),
    path("team/invitations/<int:invitation_id>/resend/", team_views.invitation_resend_view,
         name="invitation_resend"),
    path("team/invitations/<int:invitation_id>/revoke/", team_views.invitation_revoke_view,
         name="invitation_revoke"),
    path("team/members/<int:user_id>/role/", team_views.member_role_view, name="member_role"),
    path("team/members/<int:user_id>/active/", team_views.member_active_view,
         name="member_active"),
    path("invitation/<str:token>/", team_views.accept_view, name="accept"),
    path("two-factor/", two_factor_views.two_factor_page, name="two_factor"),
    path("two-factor/setup/", two_factor_views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/verify/", two_factor_views.two_factor_verify, name="two_factor_verify"),
    path("two-factor/disable/", two_factor_views.two_factor_disable,
         name="two_factor_disable"),
    path("two-factor/recovery-codes/", two_factor_views.two_factor_recovery_renew,
         name="two_factor_recovery"),
    path("team/two-factor/", two_factor_views.practice_two_factor, name="practice_two_factor"),
]
