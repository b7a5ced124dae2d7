from __future__ import annotations

from django.urls import path

from accounts import mfa_views, views

app_name = "accounts"

urlpatterns = [
    # /practice/users/
    path("users/", views.user_list, name="user_list"),
    path("users/invite/", views.user_invite, name="user_invite"),
    # /practice/settings/
    path("settings/", views.practice_settings, name="practice_settings"),
    # /practice/users/<code>/
    path("users/<uuid:code>/", views.user_detail, name="user_detail"),
    path("users/<uuid:code>/role/", views.user_change_role, name="user_change_role"),
    path(
        "users/<uuid:code>/supervisors/",
        views.supervision_create,
        name="supervision_create",
    ),
    path(
        "users/<uuid:code>/deactivate/", views.user_deactivate, name="user_deactivate"
    ),
    path(
        "users/<uuid:code>/reactivate/", views.user_reactivate, name="user_reactivate"
    ),
    path(
        "users/<uuid:code>/end-sessions/",
        views.user_end_sessions,
        name="user_end_sessions",
    ),
    path(
        "users/<uuid:code>/reset-mfa/", mfa_views.user_mfa_reset, name="user_mfa_reset"
    ),
    path(
        "users/<uuid:code>/emergency-access/",
        mfa_views.user_break_glass,
        name="user_break_glass",
    ),
    path(
        "users/<uuid:code>/resend-invitation/",
        views.invitation_resend,
        name="invitation_resend",
    ),
    # /practice/supervisions/<code>/
    path(
        "supervisions/<uuid:code>/end/", views.supervision_end, name="supervision_end"
    ),
]
