from __future__ import annotations

from django.urls import path

from disclosures import views

app_name = "disclosures"

# Mounted at the site root, beside the client pages.
urlpatterns = [
    path("clients/<uuid:code>/disclosures/", views.report, name="report"),
    path("clients/<uuid:code>/disclosures/release/", views.release, name="release"),
    path(
        "clients/<uuid:code>/authorizations/new/",
        views.authorization_create,
        name="authorization_create",
    ),
    path(
        "clients/authorizations/<uuid:code>/revoke/",
        views.authorization_revoke,
        name="authorization_revoke",
    ),
    # A psychotherapy note is named by its session, as on its own page.
    path(
        "sessions/<uuid:code>/process-note/release/",
        views.process_note_release,
        name="process_note_release",
    ),
]
