from __future__ import annotations

from django.urls import path

from audit import views

app_name = "audit"

urlpatterns = [
    # /practice/audit/
    path("", views.event_list, name="event_list"),
    path("export.csv", views.event_export, name="event_export"),
    path("emergency-access/", views.emergency_access, name="emergency_access"),
]
