from __future__ import annotations

from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("ping/", views.ping, name="ping"),
    path("caseload/", views.caseload, name="caseload"),
    path("caseload/<uuid:code>/", views.caseload, name="supervisee_caseload"),
    path("caseload.csv", views.caseload_csv, name="caseload_csv"),
    path(
        "caseload/<uuid:code>/caseload.csv",
        views.caseload_csv,
        name="supervisee_caseload_csv",
    ),
    path("clients/<uuid:code>/", views.trajectory, name="trajectory"),
    path(
        "clients/<uuid:code>/<slug:chart>.csv",
        views.trajectory_csv,
        name="trajectory_csv",
    ),
    path("supervision/", views.supervision, name="supervision"),
    path("supervision/weekly.csv", views.supervision_csv, name="supervision_csv"),
    path(
        "supervision/<uuid:code>/ruptures/",
        views.supervisee_ruptures,
        name="supervisee_ruptures",
    ),
    path("practice/", views.practice, name="practice"),
    path("practice/weekly.csv", views.practice_csv, name="practice_csv"),
]
