from __future__ import annotations

from django.urls import path

from clients import views

app_name = "clients"

# Mounted at the site root: the clinical record under clients/, caseload assignment by
# practice admins under practice/ (next to the account pages).
urlpatterns = [
    path("clients/", views.client_list, name="client_list"),
    path("clients/new/", views.client_create, name="client_create"),
    path("clients/<uuid:code>/", views.client_detail, name="client_detail"),
    path("clients/<uuid:code>/edit/", views.client_edit, name="client_edit"),
    path("clients/<uuid:code>/goals/new/", views.goal_create, name="goal_create"),
    path("clients/goals/<uuid:code>/edit/", views.goal_edit, name="goal_edit"),
    path("clients/goals/<uuid:code>/status/", views.goal_status, name="goal_status"),
    # Practice admins: names, status and assignments only, never clinical text.
    path("practice/clients/", views.assign_list, name="assign_list"),
    path("practice/clients/<uuid:code>/", views.assign_detail, name="assign_detail"),
    path(
        "practice/clients/<uuid:code>/primary/",
        views.assign_primary,
        name="assign_primary",
    ),
    path(
        "practice/clients/<uuid:code>/co-therapists/",
        views.cotherapist_add,
        name="cotherapist_add",
    ),
    path(
        "practice/assignments/<uuid:code>/end/",
        views.assignment_end,
        name="assignment_end",
    ),
    path(
        "practice/users/<uuid:code>/transfer/",
        views.caseload_transfer,
        name="caseload_transfer",
    ),
]
