"""Scheduling: sessions one by one and in series, moves and cancellations, the calendar and
its feed."""

from __future__ import annotations

from django.urls import path

from sessions.scheduling import views

urlpatterns = [
    path(
        "clients/<uuid:client_code>/sessions/new/",
        views.session_create,
        name="session_create",
    ),
    path(
        "clients/<uuid:client_code>/sessions/series/new/",
        views.series_create,
        name="series_create",
    ),
    path("sessions/<uuid:code>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<uuid:code>/move/", views.session_move, name="session_move"),
    path("sessions/<uuid:code>/cancel/", views.session_cancel, name="session_cancel"),
    path("sessions/<uuid:code>/mark/", views.session_mark, name="session_mark"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/feed/", views.feed_settings, name="feed_settings"),
    # The feed a calendar app reads: no sign-in; the token is its key (stored hashed).
    path("calendar/feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
