from __future__ import annotations

from django.urls import path

from measures import instruments, views

app_name = "measures"

# Mounted at the site root, beside the client pages. One completion page per instrument of
# the registry, so that every one has its own entry in the authorization matrix.
urlpatterns = [
    *(
        path(
            f"clients/<uuid:code>/measures/{spec.slug}/",
            views.administer,
            {"instrument": spec.code},
            name=f"administer_{spec.slug}",
        )
        for spec in instruments.INSTRUMENTS.values()
    ),
    path(
        "clients/<uuid:code>/measures/practice/",
        views.practice_choose,
        name="practice_choose",
    ),
    path(
        "clients/<uuid:code>/measures/practice/<uuid:instrument>/",
        views.administer_practice,
        name="administer_practice",
    ),
    path("clients/<uuid:code>/measures/link/", views.link_create, name="link_create"),
    path("clients/<uuid:code>/measures/schedule/", views.schedule, name="schedule"),
    path("clients/<uuid:code>/measures.csv", views.measures_csv, name="measures_csv"),
    path("measures/links/<uuid:code>/copy/", views.link_copy, name="link_copy"),
    path("practice/measures/", views.practice_measures, name="practice_measures"),
    path(
        "practice/measures/instruments/new/",
        views.practice_instrument_create,
        name="practice_instrument_create",
    ),
    path(
        "practice/measures/instruments/<uuid:code>/active/",
        views.practice_instrument_active,
        name="practice_instrument_active",
    ),
    path(
        "sessions/<uuid:code>/check-in/link/",
        views.checkin_link_create,
        name="checkin_link_create",
    ),
    path("sessions/<uuid:code>/check-in/", views.checkin_mirror, name="checkin_mirror"),
    path(
        "measures/<uuid:code>/",
        views.administration_detail,
        name="administration_detail",
    ),
    path(
        "measures/practice-scores/<uuid:code>/",
        views.practice_score_detail,
        name="practice_score_detail",
    ),
    path("measures/links/<uuid:code>/revoke/", views.link_revoke, name="link_revoke"),
    path(
        "measures/alerts/<uuid:code>/",
        views.alert_acknowledge,
        name="alert_acknowledge",
    ),
]

# The client's pages: no login, no namespace (like the invitation link), mounted at /m/.
public_urlpatterns = [
    path("m/thank-you/", views.link_thanks, name="measure_link_thanks"),
    path("m/<str:token>/", views.link_open, name="measure_link_open"),
]
