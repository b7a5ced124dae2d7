"""The in-session capture panel, IPNB events, integration ratings and the indicator set."""

from __future__ import annotations

from django.urls import path

from sessions.capture import views as capture

urlpatterns = [
    path("sessions/<uuid:code>/capture/", capture.capture, name="capture"),
    path("sessions/<uuid:code>/capture/tag/", capture.capture_tag, name="capture_tag"),
    path(
        "sessions/<uuid:code>/capture/repair/",
        capture.capture_repair,
        name="capture_repair",
    ),
    path(
        "sessions/<uuid:code>/capture/undo/", capture.capture_undo, name="capture_undo"
    ),
    path(
        "sessions/<uuid:code>/capture/summary/",
        capture.capture_summary,
        name="capture_summary",
    ),
    path(
        "sessions/<uuid:code>/events/<slug:kind>/<uuid:event_code>/",
        capture.event_edit,
        name="event_edit",
    ),
    path("sessions/<uuid:code>/ratings/", capture.ratings, name="ratings"),
    path("practice/indicators/", capture.indicator_list, name="indicator_list"),
    path("practice/indicators/new/", capture.indicator_create, name="indicator_create"),
    path(
        "practice/indicators/<slug:code>/",
        capture.indicator_edit,
        name="indicator_edit",
    ),
    path(
        "practice/indicators/<slug:code>/retire/",
        capture.indicator_retire,
        name="indicator_retire",
    ),
    path(
        "practice/indicators/<slug:code>/reinstate/",
        capture.indicator_reinstate,
        name="indicator_reinstate",
    ),
]
